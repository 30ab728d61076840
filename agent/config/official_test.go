package config

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// cfgFS reads and lists an in-memory tree by absolute paths.
func cfgFS(files map[string]string) (func(string) ([]byte, error), func(string) ([]string, error)) {
	m := fstest.MapFS{}
	for name, data := range files {
		m[strings.TrimPrefix(name, "/")] = &fstest.MapFile{Data: []byte(data)}
	}
	read := func(p string) ([]byte, error) { return fs.ReadFile(m, strings.TrimPrefix(path.Clean(p), "/")) }
	list := func(p string) ([]string, error) {
		entries, err := fs.ReadDir(m, strings.TrimPrefix(path.Clean(p), "/"))
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
		return names, nil
	}
	return read, list
}

func TestParseAgentCfg(t *testing.T) {
	read, list := cfgFS(map[string]string{
		// The official package's file, trimmed: defaults, comments, the
		// include of conf.d.
		"/etc/glpi-agent/agent.cfg": `# GLPI agent configuration
#server = http://server.domain.com/glpi/
server = https://old.example.com/glpi/
tag = "site a" # quoted: the comment is not part of it
delaytime = 3600 # seconds
password = 'p#ss'
user = glpi#agent
no-ssl-check = 0
httpd-trust =
include "conf.d/"
`,
		// conf.d in name order: the later value wins.
		"/etc/glpi-agent/conf.d/10-server.cfg": "server = https://glpi.example.com/\r\nno-category = printer,software\r\n",
		"/etc/glpi-agent/conf.d/20-tag.cfg":    "tag = site-b\ninclude = ../extra.cfg\n",
		"/etc/glpi-agent/conf.d/notes.txt":     "server = https://ignored.example.com/\n",
		"/etc/glpi-agent/extra.cfg":            "timeout = 60\ninclude \"agent.cfg\"\ninclude missing.cfg\n",
	})
	got, err := ParseAgentCfg("/etc/glpi-agent/agent.cfg", read, list)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"server": "https://glpi.example.com/", "tag": "site-b", "delaytime": "3600", "password": "p#ss",
		"user": "glpi", "no-ssl-check": "0", "httpd-trust": "", "no-category": "printer,software", "timeout": "60",
	}
	if !maps.Equal(got, want) {
		t.Errorf("ParseAgentCfg =\n%v\nwant\n%v", got, want)
	}
	if _, err := ParseAgentCfg("/etc/none/agent.cfg", read, list); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ParseAgentCfg(missing) = %v, want ErrNotExist", err)
	}
}

func TestOfficialValue(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:             "plain",
		`plain   `:          "plain",
		`a # comment`:       "a",
		`a#b`:               "a",
		`a#`:                "a#", // the official agent cuts "#" followed by something
		`"a # b" # c`:       "a # b",
		`"a"b" `:            `a"b`, // up to the last quote, as the official pattern takes it
		`'single'`:          "single",
		`"`:                 `"`,
		`https://h/?a=1#x`:  "https://h/?a=1",
		`"https://h/#frag"`: "https://h/#frag",
	} {
		if got := officialValue(in); got != want {
			t.Errorf("officialValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOfficialSettings(t *testing.T) {
	got, err := OfficialSettings(map[string]string{
		"server": "https://glpi.example.com/", "Tag": "site-b", "ssl-fingerprint": "sha256$ab", "no-ssl-check": "0",
		"oauth-client-id": "id1", "oauth-client-secret": "s1", "httpd-trust": "", "logfile": "/var/log/glpi-agent.log",
		"local": "/tmp", "debug": "2", "tasks": "inventory,deploy", "lazy": "1",
	})
	want := map[string]string{
		"server": "https://glpi.example.com/", "tag": "site-b", "ssl_fingerprint": "sha256$ab", "no_ssl_check": "0",
		"oauth_client_id": "id1", "oauth_client_secret": "s1",
	}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("OfficialSettings = %v, %v; want %v", got, err, want)
	}
	for _, server := range []string{" ", ",", " , "} {
		if got, err := OfficialSettings(map[string]string{"tag": "site-b", "server": server, "oauth-client-id": ","}); got != nil || err != nil {
			t.Errorf("OfficialSettings(server %q) = %v, %v; want nothing", server, got, err)
		}
	}
	if got, _ := OfficialSettings(map[string]string{"server": "https://a.example.com/", "oauth-client-id": ","}); got["oauth_client_id"] != "" || len(got) != 1 {
		t.Errorf("OfficialSettings(a client id of commas alone) = %v, want the server alone", got)
	}
	if _, err := OfficialSettings(map[string]string{"server": "https://a.example.com/,https://b.example.com/"}); !errors.Is(err, ErrOfficialServers) {
		t.Errorf("OfficialSettings(two servers) = %v, want ErrOfficialServers", err)
	}
	// One server: the first of its per-server credential lists.
	got, _ = OfficialSettings(map[string]string{"server": "https://a.example.com/,", "oauth-client-id": "id1,id2", "oauth-client-secret": "s1,s2"})
	if got["server"] != "https://a.example.com/" || got["oauth_client_id"] != "id1" || got["oauth_client_secret"] != "s1" {
		t.Errorf("OfficialSettings(one server, lists) = %v", got)
	}
	for _, key := range officialKeys {
		if _, ok := Default().field(key); !ok {
			t.Errorf("official option %s maps to %q, no key", strings.ReplaceAll(key, "_", "-"), key)
		}
	}
	// Its own names only: the official agent knows no no_category.
	if got, _ := OfficialSettings(map[string]string{"server": "https://a.example.com/", "no_category": "software", "No-Category": "process"}); got["no_category"] != "process" {
		t.Errorf("OfficialSettings(no_category, No-Category) = %v, want the second only", got)
	}
}

func TestAdopt(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/agent.toml"
	if err := os.WriteFile(file, []byte("tag = \"mine\"\ntimeout = 180\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file, true, []string{"GLPI_AGENTD_HTTPD_PORT=62400"})
	if err != nil {
		t.Fatal(err)
	}
	c.Delaytime = 600 // set by a flag: not the default
	applied, err := c.Adopt(map[string]string{
		"server": "https://glpi.example.com/", "tag": "site-b", "timeout": "60", "httpd_port": "62354",
		"delaytime": "7200", "no_category": "printer", "user": "glpi", "full_inventory_postpone": "many",
	})
	if err == nil || !strings.Contains(err.Error(), "full_inventory_postpone") {
		t.Errorf("Adopt error = %v, want one naming full_inventory_postpone", err)
	}
	if want := []string{"no_category", "server", "user"}; !slices.Equal(applied, want) {
		t.Errorf("Adopt applied %v, want %v", applied, want)
	}
	if c.Server != "https://glpi.example.com/" || c.Tag != "mine" || c.Timeout != 180 || c.HTTPDPort != 62400 ||
		c.Delaytime != 600 || !slices.Equal(c.NoCategory, []string{"printer"}) || c.User != "glpi" || c.FullInventoryPostpone != 14 {
		t.Errorf("after Adopt: %+v", c)
	}
	if !c.Explicit("tag") || !c.Explicit("timeout") || !c.Explicit("httpd_port") || c.Explicit("server") {
		t.Errorf("Explicit: tag %t timeout %t httpd_port %t server %t; want the file's and the environment's keys only",
			c.Explicit("tag"), c.Explicit("timeout"), c.Explicit("httpd_port"), c.Explicit("server"))
	}
}
