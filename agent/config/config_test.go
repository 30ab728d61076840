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
	for _, bad := range []string{"ftp://glpi.example.com/", "https://", "https://a.example.com/, https://b.example.com/"} {
		if u, err := ServerURL(bad); err == nil {
			t.Errorf("ServerURL(%q) = %v, want an error", bad, u)
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

func TestDropIns(t *testing.T) {
	p := write(t, `
server = "https://admin.example.com/"
tag = "admin"
no_category = ["software"]
delaytime = 600
`)
	dir := DropInDir(p)
	if want := filepath.Join(filepath.Dir(p), "agent.d"); dir != want {
		t.Fatalf("DropInDir(%q) = %q, want %q", p, dir, want)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		// Read in name order: 20 after 10, whatever the order they were written in.
		"20-install.toml":  "tag = \"install\"\nno_category = [\"process\"]\n",
		"10-package.toml":  "server = \"https://package.example.com/\"\ntag = \"package\"\n",
		".20-x.toml":       "tag = \"hidden\"\n",
		"30-notes.txt":     "not toml\n",
		"40-dpkg.toml.bak": "tag = \"backup\"\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Load(p, true, []string{"GLPI_AGENTD_DELAYTIME=60"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Server != "https://package.example.com/" || c.Tag != "install" || c.Delaytime != 60 ||
		!slices.Equal(c.NoCategory, []string{"process"}) {
		t.Errorf("Load = server %q tag %q delaytime %d no_category %v, want the package's server, the install's tag and no_category, the environment's delaytime",
			c.Server, c.Tag, c.Delaytime, c.NoCategory)
	}
	files, err := DropIns(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "10-package.toml"), filepath.Join(dir, "20-install.toml")}; !slices.Equal(files, want) {
		t.Errorf("DropIns = %q, want %q", files, want)
	}

	// The drop-ins apply without agent.toml, as after an admin removed it.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(p, false, nil); err != nil {
		t.Errorf("Load without agent.toml = %v", err)
	} else if c.Tag != "install" {
		t.Errorf("Load without agent.toml: tag %q, want the drop-ins' tag", c.Tag)
	}

	// An unknown key in a drop-in is refused, as in agent.toml, naming the file.
	bad := filepath.Join(dir, "50-typo.toml")
	if err := os.WriteFile(bad, []byte("serveur = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, false, nil); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), `unknown key "serveur"`) {
		t.Errorf("Load with a typo in a drop-in = %v, want an unknown key error naming %s", err, bad)
	}
}

// TestREADMEDocumentsEveryKey: the README's configuration table names
// every key, and no key that does not exist.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skipf("no README: %v", err)
	}
	documented := map[string]bool{}
	for line := range strings.Lines(string(b)) {
		first, _, ok := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		if !ok || !strings.HasPrefix(line, "| `") {
			continue
		}
		for k := range strings.SplitSeq(first, ",") {
			documented[strings.Trim(strings.TrimSpace(k), "`")] = true
		}
	}
	for _, k := range Keys() {
		if !documented[k] {
			t.Errorf("README's configuration table lacks %q", k)
		}
		delete(documented, k)
	}
	for k := range documented {
		if strings.Contains(k, "/") || strings.Contains(k, " ") || strings.Contains(k, ".") {
			continue // another table's row (paths, commands)
		}
		t.Errorf("README's configuration table documents %q, which is no key", k)
	}
}
