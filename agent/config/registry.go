package config

import (
	"fmt"
	"slices"
	"strings"
)

// RegistryKey is where the MSI writes its public properties, under
// HKEY_LOCAL_MACHINE (Windows only).
const RegistryKey = `SOFTWARE\glpi-agentd`

// registryKeys are the configuration keys the MSI writes, each as the
// property of its name in upper case (ca_cert_file is CA_CERT_FILE).
// Beyond this package's own (DELAY_ENROLL), they are the official agent's
// MSI properties of the same meaning, so that a fleet's msiexec command
// lines keep working. REGISTRATIONKEY and RUNNOW are not configuration:
// see RegistryRegistrationKey and RegistryRunNow. The official LOCAL is
// left out: here it would stop the sending to the server, where there it
// adds a target.
var registryKeys = []string{
	"server", "tag", "proxy", "httpd_trust", "delay_enroll", "ca_cert_file", "ca_cert_dir",
	"ssl_cert_file", "ssl_key_file", "ssl_fingerprint", "no_ssl_check", "user", "password",
	"oauth_client_id", "oauth_client_secret", "delaytime", "no_category", "httpd_ip", "httpd_port",
	"no_httpd", "add_firewall_exception", "timeout", "backend_collect_timeout", "scan_homedirs",
	"additional_content", "no_compression", "full_inventory_postpone", "debug", "logfile",
}

// RegistryProperties lists, sorted, the MSI properties the agent reads
// from the registry as configuration.
func RegistryProperties() []string {
	names := make([]string, len(registryKeys))
	for i, key := range registryKeys {
		names[i] = strings.ToUpper(key)
	}
	slices.Sort(names)
	return names
}

// applyRegistry sets the keys whose registry value get returns non-empty.
// The MSI writes every property, so an empty value means "not set".
func (c *Config) applyRegistry(get func(name string) (string, error)) error {
	for _, key := range registryKeys {
		name := strings.ToUpper(key)
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
		c.markExplicit(key)
	}
	return nil
}
