package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// TestLocalDirConfined: the deviceid the enrollment service assigns names
// the file of `inventory --local DIR`; a hostile one must not write outside
// DIR, nor a deviceid planted in the state dir, nor a DIR that is a link.
func TestLocalDirConfined(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("fixture roots are Linux hosts")
	}
	root := fixtures(t)[0]
	const evil = "../../escaped-2026-01-01-00-00-00"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != enroll.PathEnroll {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(enroll.EnrollResponse{
			DeviceID: "dev1", GLPIDeviceID: evil, AgentID: "3f2a9c1e-7b4d-4e2a-9c1e-7b4d4e2a9c1e",
			Credential: enroll.Credential{AccessToken: "a", RefreshSecret: "r", Generation: 1},
		})
	}))
	defer srv.Close()

	// base/a/b/out: "../../escaped-…json" from out lands in base/a.
	base := t.TempDir()
	out := filepath.Join(base, "a", "b", "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	escaped := func() []string {
		files, _ := filepath.Glob(filepath.Join(base, "a", "escaped*"))
		return files
	}

	t.Run("enrolled deviceid", func(t *testing.T) {
		stateDir := t.TempDir()
		keyFile := filepath.Join(t.TempDir(), "key")
		os.WriteFile(keyFile, []byte(enroll.NewKey().String()), 0o600)
		_, stderr, code := agent(t, nil, "--host-root", root, "--state-dir", stateDir,
			"enroll", "--server", srv.URL, "--key-file", keyFile, "--force")
		if code == 0 || !strings.Contains(stderr, "deviceid") {
			t.Errorf("enroll with deviceid %q: exit %d, stderr %s; want it refused", evil, code, stderr)
		}
		agent(t, nil, "--host-root", root, "--state-dir", stateDir, "inventory", "--local", out)
		if files := escaped(); len(files) != 0 {
			t.Errorf("inventory --local %s wrote %v", out, files)
		}
	})

	t.Run("state file deviceid", func(t *testing.T) {
		stateDir := t.TempDir()
		id := `{"deviceid":"` + evil + `","agent_id":"3f2a9c1e-7b4d-4e2a-9c1e-7b4d4e2a9c1e"}`
		os.WriteFile(filepath.Join(stateDir, "identity.json"), []byte(id), 0o600)
		_, stderr, code := agent(t, nil, "--host-root", root, "--state-dir", stateDir, "inventory", "--local", out)
		if code == 0 || !strings.Contains(stderr, "give --local a file name") {
			t.Errorf("inventory --local with deviceid %q: exit %d, stderr %s; want it refused", evil, code, stderr)
		}
		if files := escaped(); len(files) != 0 {
			t.Errorf("inventory --local %s wrote %v", out, files)
		}
	})

	t.Run("directory is a link", func(t *testing.T) {
		elsewhere := t.TempDir()
		link := filepath.Join(base, "link")
		if err := os.Symlink(elsewhere, link); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := agent(t, nil, "--host-root", root, "--state-dir", t.TempDir(), "inventory", "--local", link)
		if code == 0 || !strings.Contains(stderr, "symbolic link") {
			t.Errorf("inventory --local LINK: exit %d, stderr %s; want it refused", code, stderr)
		}
		if files, _ := filepath.Glob(filepath.Join(elsewhere, "*")); len(files) != 0 {
			t.Errorf("inventory --local LINK wrote %v through the link", files)
		}
	})
}
