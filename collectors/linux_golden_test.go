//go:build linux

package collectors

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// goldenOptIn are the categories off by default that the Linux golden
// inventories include: they read only the fixture's files. process is left
// out: its memory share counts pages of the running kernel's size, which
// differs between machines (TestProcessesFixture covers it).
var goldenOptIn = []string{"environment"}

// fixtureMtime is the modification time of every file of a fixture copy.
// Install dates come from file times (dpkg's file lists, snap files), which
// a checkout sets to whenever it ran.
var fixtureMtime = time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)

// TestLinuxGolden runs the collectors of a full inventory on each fixture
// root, validates the inventory against the GLPI schema and compares it with
// testdata/<case>/inventory.golden.json (-update rewrites it).
func TestLinuxGolden(t *testing.T) {
	infos, err := Select(goldenOptIn, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range fixtureCases {
		t.Run(name, func(t *testing.T) {
			env := fixtureEnvAt(name, copyFixture(t, name))
			content, results := Run(t.Context(), env, infos, time.Minute, nil)
			for _, r := range results {
				if r.Failed() {
					t.Errorf("%s: %v", r.Name, r.Err)
				}
			}
			content["versionclient"] = "test"
			doc := map[string]any{
				"action":   "inventory",
				"deviceid": "fixture-2024-06-12-10-30-00",
				"itemtype": "Computer",
				"content":  content,
			}
			checkGolden(t, doc, filepath.Join("testdata", name, "inventory.golden.json"))
		})
	}
}

// copyFixture copies fixture name into a temporary directory, symbolic
// links as links, and sets every file's times to fixtureMtime. It returns
// the copy's root. Birth times cannot be set: a fixture that needs an OS
// install date must carry an installer log, not just /etc/machine-id.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatalf("copy fixture %s: %v", name, err)
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			// Chtimes would follow the link, possibly out of the copy.
			return err
		}
		return os.Chtimes(path, fixtureMtime, fixtureMtime)
	})
	if err != nil {
		t.Fatalf("set times of fixture %s: %v", name, err)
	}
	return root
}
