package collectors

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestWindowsGolden runs every Windows collector on each fixture machine,
// validates the inventory against the GLPI schema and compares it with
// testdata/windows/<case>/inventory.golden.json (-update rewrites it).
func TestWindowsGolden(t *testing.T) {
	for _, name := range []string{"laptop", "desktop", "server"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "windows", name)
			h, err := winFixture(dir)
			if err != nil {
				t.Fatal(err)
			}
			env := winEnv(h)
			content := map[string]any{"versionclient": "test"}
			for _, c := range windowsCollectors() {
				v, err := c.Collect(t.Context(), env)
				switch {
				case errors.Is(err, ErrNoData):
					continue
				case err != nil:
					t.Errorf("%s: %v", c.Name, err)
					continue
				}
				if count(v) > 0 {
					content[c.Key] = v
				}
			}
			doc := map[string]any{
				"action":   "inventory",
				"deviceid": "fixture-2024-01-08-10-00-00",
				"itemtype": "Computer",
				"content":  content,
			}
			checkGolden(t, doc, filepath.Join(dir, "inventory.golden.json"))
		})
	}
}
