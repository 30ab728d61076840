package config

import "fmt"

// RegistryKey is where the MSI writes its public properties, under
// HKEY_LOCAL_MACHINE (Windows only).
const RegistryKey = `SOFTWARE\glpi-agentd`

// registryNames maps the MSI's property names, as stored in the registry,
// to configuration keys. REGISTRATIONKEY and RUNNOW are not configuration:
// see RegistryRegistrationKey and RegistryRunNow.
var registryNames = map[string]string{
	"SERVER":       "server",
	"TAG":          "tag",
	"PROXY":        "proxy",
	"HTTPD_TRUST":  "httpd_trust",
	"DELAY_ENROLL": "delay_enroll",
}

// applyRegistry sets the keys whose registry value get returns non-empty.
// The MSI writes every property, so an empty value means "not set".
func (c *Config) applyRegistry(get func(name string) (string, error)) error {
	for name, key := range registryNames {
		v, err := get(name)
		if err != nil {
			return fmt.Errorf("read registry value %s: %w", name, err)
		}
		if v == "" {
			continue
		}
		if err := c.Set(key, v); err != nil {
			return fmt.Errorf("registry value %s: %w", name, err)
		}
	}
	return nil
}
