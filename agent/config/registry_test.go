package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestApplyRegistry(t *testing.T) {
	for _, tt := range []struct {
		name    string
		values  map[string]string
		check   func(*Config) bool
		wantErr string
	}{
		{"server and tag", map[string]string{"SERVER": "https://enroll.example.com", "TAG": "site-a"},
			func(c *Config) bool { return c.Server == "https://enroll.example.com" && c.Tag == "site-a" }, ""},
		{"empty values are unset", map[string]string{"SERVER": "", "TAG": "", "PROXY": ""},
			func(c *Config) bool { return c.Server == "from-file" && c.Tag == "" && c.Proxy == "" }, ""},
		{"list and boolean", map[string]string{"HTTPD_TRUST": "10.0.0.0/8, 127.0.0.1", "DELAY_ENROLL": "1", "PROXY": "none"},
			func(c *Config) bool {
				return slices.Equal(c.HTTPDTrust, []string{"10.0.0.0/8", "127.0.0.1"}) && c.DelayEnroll && c.Proxy == "none"
			}, ""},
		{"the official agent's MSI properties", map[string]string{
			"CA_CERT_FILE": `C:\certs\ca.pem`, "SSL_FINGERPRINT": "sha256/AAAA", "NO_SSL_CHECK": "0",
			"USER": "glpi", "PASSWORD": "secret", "OAUTH_CLIENT_ID": "id", "OAUTH_CLIENT_SECRET": "oauth-secret",
			"DELAYTIME": "600", "NO_CATEGORY": "printer,software", "HTTPD_IP": "127.0.0.1", "HTTPD_PORT": "62355",
			"NO_HTTPD": "1", "TIMEOUT": "60", "BACKEND_COLLECT_TIMEOUT": "90", "SCAN_HOMEDIRS": "1",
			"NO_COMPRESSION": "1", "FULL_INVENTORY_POSTPONE": "0", "DEBUG": "2", "LOGFILE": `C:\logs\agent.log`},
			func(c *Config) bool {
				return c.CACertFile == `C:\certs\ca.pem` && c.SSLFingerprint == "sha256/AAAA" && !c.NoSSLCheck &&
					c.User == "glpi" && c.Password == "secret" && c.OAuthClientID == "id" && c.OAuthClientSecret == "oauth-secret" &&
					c.Delaytime == 600 && slices.Equal(c.NoCategory, []string{"printer", "software"}) && c.HTTPDIP == "127.0.0.1" &&
					c.HTTPDPort == 62355 && c.NoHTTPD && c.Timeout == 60 && c.BackendCollectTimeout == 90 && c.ScanHomedirs &&
					c.NoCompression && c.FullInventoryPostpone == 0 && c.Debug == 2 && c.Logfile == `C:\logs\agent.log`
			}, ""},
		{"every registry property is a key", func() map[string]string {
			m := map[string]string{}
			for _, p := range RegistryProperties() {
				m[p] = "1"
			}
			return m
		}(), func(*Config) bool { return true }, ""},
		{"bad number", map[string]string{"HTTPD_PORT": "62354/tcp"}, nil, "registry value HTTPD_PORT"},
		{"secrets and unknown names are not configuration", map[string]string{"REGISTRATIONKEY": "glpik_x", "RUNNOW": "1", "LOCAL": "/tmp"},
			func(c *Config) bool { return c.RegistrationKeyFile == "" && c.Local == "" }, ""},
		{"bad boolean", map[string]string{"DELAY_ENROLL": "maybe"}, nil, "registry value DELAY_ENROLL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Server = "from-file"
			err := c.applyRegistry(func(name string) (string, error) { return tt.values[name], nil })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("applyRegistry(%v) = %v, want an error with %q", tt.values, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("applyRegistry(%v) = %v, want nil", tt.values, err)
			}
			if !tt.check(c) {
				t.Errorf("applyRegistry(%v) gave %+v", tt.values, c)
			}
		})
	}
}

func TestApplyRegistryReadError(t *testing.T) {
	c := Default()
	err := c.applyRegistry(func(string) (string, error) { return "", errors.New("access denied") })
	if err == nil || !strings.Contains(err.Error(), "access denied") {
		t.Errorf("applyRegistry(failing) = %v, want the read error", err)
	}
}
