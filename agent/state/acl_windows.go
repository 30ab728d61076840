package state

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// restrictedSDDL grants SYSTEM and Administrators full control of the
// directory and everything created in it, and nothing to anyone else (P:
// entries inherited from ProgramData are dropped).
const restrictedSDDL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

// restrictDir makes dir SYSTEM and Administrators only when the agent
// runs elevated (as the service does). An unelevated user running the
// agent on a directory of their own keeps access to it.
func restrictDir(dir string) error {
	if !windows.GetCurrentProcessToken().IsElevated() {
		return nil
	}
	sd, err := windows.SecurityDescriptorFromString(restrictedSDDL)
	if err != nil {
		return fmt.Errorf("restrict %q: %w", dir, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("restrict %q: %w", dir, err)
	}
	err = windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	if err != nil {
		return fmt.Errorf("restrict %q: %w", dir, err)
	}
	return nil
}
