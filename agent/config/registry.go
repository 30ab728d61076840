package config

import (
	"fmt"
	"maps"
	"slices"
)

// RegistryKey is where the MSI writes its public properties, under
// HKEY_LOCAL_MACHINE (Windows only).
const RegistryKey = `SOFTWARE\glpi-agentd`

// registryNames maps the MSI's property names, as stored in the registry,
// to configuration keys. Beyond this package's own (DELAY_ENROLL), they
// are the official agent's MSI properties of the same meaning, so that a
// fleet's msiexec command lines keep working. REGISTRATIONKEY and RUNNOW
// are not configuration: see RegistryRegistrationKey and RegistryRunNow.
// The official LOCAL is left out: here it would stop the sending to the
// server, where there it adds a target.
var registryNames = map[string]string{
	"SERVER":                  "server",
	"TAG":                     "tag",
	"PROXY":                   "proxy",
	"HTTPD_TRUST":             "httpd_trust",
	"DELAY_ENROLL":            "delay_enroll",
	"CA_CERT_FILE":            "ca_cert_file",
	"CA_CERT_DIR":             "ca_cert_dir",
	"SSL_CERT_FILE":           "ssl_cert_file",
	"SSL_KEY_FILE":            "ssl_key_file",
	"SSL_FINGERPRINT":         "ssl_fingerprint",
	"NO_SSL_CHECK":            "no_ssl_check",
	"USER":                    "user",
	"PASSWORD":                "password",
	"OAUTH_CLIENT_ID":         "oauth_client_id",
	"OAUTH_CLIENT_SECRET":     "oauth_client_secret",
	"DELAYTIME":               "delaytime",
	"NO_CATEGORY":             "no_category",
	"HTTPD_IP":                "httpd_ip",
	"HTTPD_PORT":              "httpd_port",
	"NO_HTTPD":                "no_httpd",
	"ADD_FIREWALL_EXCEPTION":  "add_firewall_exception",
	"TIMEOUT":                 "timeout",
	"BACKEND_COLLECT_TIMEOUT": "backend_collect_timeout",
	"SCAN_HOMEDIRS":           "scan_homedirs",
	"ADDITIONAL_CONTENT":      "additional_content",
	"NO_COMPRESSION":          "no_compression",
	"FULL_INVENTORY_POSTPONE": "full_inventory_postpone",
	"DEBUG":                   "debug",
	"LOGFILE":                 "logfile",
}

// RegistryProperties lists, sorted, the MSI properties the agent reads
// from the registry as configuration.
func RegistryProperties() []string { return slices.Sorted(maps.Keys(registryNames)) }

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
		c.markExplicit(key)
	}
	return nil
}
