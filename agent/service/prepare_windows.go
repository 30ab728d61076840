package service

import (
	"errors"
	"fmt"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/config"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/mgr"
)

// recoveryDelays are the waits before each restart after a failure: the
// third applies to every later one.
var recoveryDelays = []time.Duration{15 * time.Second, 60 * time.Second, 5 * time.Minute}

// restrictedSDDL grants SYSTEM and Administrators full control, inherited,
// and nothing to anyone else (P: inherited entries are dropped).
const restrictedSDDL = "D:P(A;OICI;GA;;;SY)(A;OICI;GA;;;BA)"

// prepare applies what the MSI cannot: the recovery actions (wixl has no
// ServiceConfigFailureActions) and the ACL of the registry key holding
// the registration key (config.RegistryKey), which must be SYSTEM and
// Administrators only.
func prepare() error {
	return errors.Join(setRecovery(Name), restrictRegistry(`MACHINE\`+config.RegistryKey))
}

func setRecovery(name string) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to service manager: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("open service %s: %w", name, err)
	}
	defer s.Close()
	actions := make([]mgr.RecoveryAction, len(recoveryDelays))
	for i, d := range recoveryDelays {
		actions[i] = mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: d}
	}
	if err := s.SetRecoveryActions(actions, uint32(recoveryReset/time.Second)); err != nil {
		return fmt.Errorf("set recovery actions of %s: %w", name, err)
	}
	// Also restart when the agent exits with an error, not only on a crash.
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("set recovery actions of %s: %w", name, err)
	}
	return nil
}

func restrictRegistry(path string) error {
	sd, err := windows.SecurityDescriptorFromString(restrictedSDDL)
	if err != nil {
		return fmt.Errorf("parse security descriptor: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("parse security descriptor: %w", err)
	}
	err = windows.SetNamedSecurityInfo(path, windows.SE_REGISTRY_KEY,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return nil // not installed by the MSI
	}
	if err != nil {
		return fmt.Errorf("restrict registry key %s: %w", path, err)
	}
	return nil
}
