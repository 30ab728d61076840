package config

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// loadRegistry applies the settings the MSI wrote under HKLM\RegistryKey.
// A missing key (no MSI install) is no error.
func (c *Config) loadRegistry() error {
	k, err := openRegistry()
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open registry key %s: %w", RegistryKey, err)
	}
	defer k.Close()
	return c.applyRegistry(func(name string) (string, error) { return stringValue(k, name) })
}

// openRegistry opens the key in the 64-bit view, where the x64 MSI writes.
func openRegistry() (registry.Key, error) {
	return registry.OpenKey(registry.LOCAL_MACHINE, RegistryKey, registry.QUERY_VALUE|registry.WOW64_64KEY)
}

// stringValue returns a value trimmed, "" when it is absent.
func stringValue(k registry.Key, name string) (string, error) {
	v, _, err := k.GetStringValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return "", nil
	}
	return strings.TrimSpace(v), err
}

// registryValue reads one value, "" on any error: the key is optional.
func registryValue(name string) string {
	k, err := openRegistry()
	if err != nil {
		return ""
	}
	defer k.Close()
	v, _ := stringValue(k, name)
	return v
}

// RegistryRegistrationKey returns the registration key the MSI stored
// (REGISTRATIONKEY), or "". It is a secret: never log it.
func RegistryRegistrationKey() string { return registryValue("REGISTRATIONKEY") }

// RegistryRunNow reports whether the MSI asked for a run at once (RUNNOW=1).
func RegistryRunNow() bool {
	b, err := parseBool(registryValue("RUNNOW"))
	return err == nil && b
}
