package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFileAndEnv(t *testing.T) {
	p := write(t, `
server = "https://glpi.example.com/"
tag = "site-a"
no_category = ["software", "process"]
delaytime = 600
httpd_trust = ["10.0.0.0/8"]
`)
	c, err := Load(p, true, []string{"GLPI_AGENTD_TAG=from-env", "GLPI_AGENTD_NO_HTTPD=yes", "GLPI_AGENTD_HTTPD_PORT=1234", "OTHER=1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Server != "https://glpi.example.com/" || c.Tag != "from-env" || c.Delaytime != 600 {
		t.Errorf("Load = server %q tag %q delaytime %d", c.Server, c.Tag, c.Delaytime)
	}
	if !c.NoHTTPD || c.HTTPDPort != 1234 {
		t.Errorf("env overrides: no_httpd %v httpd_port %d", c.NoHTTPD, c.HTTPDPort)
	}
	if !slices.Equal(c.NoCategory, []string{"software", "process"}) {
		t.Errorf("no_category = %v", c.NoCategory)
	}
	if c.Timeout != 180 || c.FullInventoryPostpone != 14 {
		t.Errorf("defaults lost: timeout %d postpone %d", c.Timeout, c.FullInventoryPostpone)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, file string
		env        []string
		want       string
	}{
		{"unknown key", "serveur = \"x\"\n", nil, `unknown key "serveur"`},
		{"wrong type", "delaytime = \"soon\"\n", nil, "delaytime"},
		{"bad scheme", "server = \"ftp://x\"\n", nil, `scheme "ftp"`},
		{"negative", "timeout = -1\n", nil, `"timeout"`},
		{"bad port", "httpd_port = 70000\n", nil, `"httpd_port"`},
		{"env bad int", "", []string{"GLPI_AGENTD_DELAYTIME=x"}, "not a whole number"},
		{"env bad bool", "", []string{"GLPI_AGENTD_NO_HTTPD=maybe"}, "not a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(write(t, tt.file), true, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestUnknownEnvironmentIsIgnored: a typo in a fleet's environment is
// warned about (Ignored), not fatal: the service must start.
func TestUnknownEnvironmentIsIgnored(t *testing.T) {
	c, err := Load("", false, []string{"GLPI_AGENTD_BOGUS=1", "GLPI_AGENTD_TAG=site-a"})
	if err != nil {
		t.Fatalf("Load with an unknown GLPI_AGENTD_ variable: %v", err)
	}
	if c.Tag != "site-a" {
		t.Errorf("tag = %q: the known variable beside it was lost", c.Tag)
	}
	if got := c.Ignored(); len(got) != 1 || got[0] != "GLPI_AGENTD_BOGUS" {
		t.Errorf("Ignored() = %v, want [GLPI_AGENTD_BOGUS]", got)
	}
	for _, k := range Keys() {
		if k == "" {
			t.Error("Keys() lists an empty key")
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.toml")
	if _, err := Load(missing, false, nil); err != nil {
		t.Errorf("Load(missing, optional) error = %v, want nil", err)
	}
	if _, err := Load(missing, true, nil); err == nil {
		t.Error("Load(missing, required) error = nil, want one")
	}
}

func TestRegistrationKeyNotAConfigKey(t *testing.T) {
	// The key itself is read by the enrollment code, never stored in Config.
	if _, err := Load("", false, []string{"GLPI_AGENTD_REGISTRATION_KEY=glpik_x"}); err != nil {
		t.Errorf("Load with GLPI_AGENTD_REGISTRATION_KEY: %v", err)
	}
}

func TestServerURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"glpi.example.com", "http://glpi.example.com/"},
		{"https://glpi.example.com", "https://glpi.example.com/"},
		{"https://h/front/inventory.php", "https://h/front/inventory.php"},
	}
	for _, tt := range tests {
		u, err := ServerURL(tt.in)
		if err != nil || u.String() != tt.want {
			t.Errorf("ServerURL(%q) = %v, %v, want %q", tt.in, u, err, tt.want)
		}
	}
}

func TestKeysAllSettable(t *testing.T) {
	for _, k := range Keys() {
		c := Default()
		if err := c.Set(k, "1"); err != nil {
			t.Errorf("Set(%q) = %v", k, err)
		}
	}
}
