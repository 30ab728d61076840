//go:build !windows

package config

// loadRegistry reads the MSI's settings: there are none outside Windows.
func (c *Config) loadRegistry() error { return nil }

// RegistryRegistrationKey returns the registration key the MSI stored:
// none outside Windows.
func RegistryRegistrationKey() string { return "" }

// RegistryRunNow reports whether the MSI asked for a run at once (RUNNOW=1):
// never outside Windows.
func RegistryRunNow() bool { return false }
