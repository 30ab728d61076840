package agent

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// officialOn puts an official agent's state file (a fixture written by
// Perl's Storable) at path on a host whose name is pc01.
func officialOn(t *testing.T, fixture, path string) string {
	t.Helper()
	root := hostRoot(t, "0123456789abcdef0123456789abcdef", "4C4C4544-0042-3510-8052-B4C04F4E4B32", "1700000000")
	if fixture == "" {
		return root
	}
	b, err := os.ReadFile(filepath.Join("testdata", "official", fixture))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return root
}

// A machine moving from the official agent keeps the deviceid and agentid
// GLPI knows it by, so that GLPI updates its agent record instead of
// adding a second one; an id that names another host (a state file copied
// with an image) or a file that cannot be read gives a new identity.
func TestOfficialIdentityKept(t *testing.T) {
	tests := []struct {
		name, fixture, path string
		deviceID, agentID   string // "" for a new one
	}{
		{"GLPI Agent", "GLPI-Agent.dump", "/var/lib/glpi-agent/GLPI-Agent.dump", "pc01-2024-10-18-16-44-47", "0a1b2c3d-0000-4000-8000-123456789abc"},
		{"FusionInventory, FQDN in another case, no agentid", "FusionInventory-Agent.dump", "/var/lib/fusioninventory-agent/FusionInventory-Agent.dump",
			"PC01.example.org-2023-02-03-04-05-06", ""},
		{"GLPI Agent with its own vardir", "GLPI-Agent.dump", "/srv/glpi-agent/var/GLPI-Agent.dump", "pc01-2024-10-18-16-44-47", "0a1b2c3d-0000-4000-8000-123456789abc"},
		{"another host's", "other-host.dump", "/var/lib/glpi-agent/GLPI-Agent.dump", "", ""},
		{"not Storable", "GLPI-Agent.dump", "/var/lib/glpi-agent/GLPI-Agent.dump", "", ""},
		{"none", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := officialOn(t, tt.fixture, tt.path)
			if tt.name == "not Storable" {
				os.WriteFile(filepath.Join(root, tt.path), []byte("deviceid=pc01-2024-10-18-16-44-47\n"), 0o600)
			}
			if tt.name == "GLPI Agent with its own vardir" {
				cfg := filepath.Join(root, "etc/glpi-agent/agent.cfg")
				os.MkdirAll(filepath.Dir(cfg), 0o755)
				os.WriteFile(cfg, []byte("server = https://glpi.example.com/\nvardir = /srv/glpi-agent/var\n"), 0o644)
			}
			a := agentOn(t, root, t.TempDir(), nil)
			id, err := a.Identity()
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.deviceID != "" && id.DeviceID != tt.deviceID:
				t.Errorf("deviceid %q, want the official agent's %q", id.DeviceID, tt.deviceID)
			case tt.deviceID == "" && (!strings.HasPrefix(id.DeviceID, "pc01-") || strings.HasPrefix(id.DeviceID, "pc01-2024-10-18")):
				t.Errorf("deviceid %q, want a new one of pc01", id.DeviceID)
			case tt.agentID != "" && id.AgentID != tt.agentID:
				t.Errorf("agentid %q, want the official agent's %q", id.AgentID, tt.agentID)
			case tt.agentID == "" && id.AgentID == "0a1b2c3d-0000-4000-8000-123456789abc":
				t.Errorf("agentid %q taken from another file", id.AgentID)
			}
			// Kept once and for all: the next run reads its own state.
			os.RemoveAll(filepath.Join(root, "var"))
			os.RemoveAll(filepath.Join(root, "srv"))
			again, err := a.Identity()
			if err != nil || *again != *id {
				t.Errorf("second run: identity %+v, %v; want %+v", again, err, id)
			}
		})
	}
}

// prepare-image names the official agent's state file left in the image.
func TestPrepareImageNamesOfficialState(t *testing.T) {
	root := officialOn(t, "GLPI-Agent.dump", "/var/lib/glpi-agent/GLPI-Agent.dump")
	advice, err := agentOn(t, root, t.TempDir(), nil).PrepareImage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(advice, func(s string) bool { return strings.Contains(s, "/var/lib/glpi-agent/GLPI-Agent.dump") }) {
		t.Errorf("prepare-image advice does not name the official agent's state file:\n%s", strings.Join(advice, "\n"))
	}
}
