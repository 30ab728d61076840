package collectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/collectors/schematest"
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
			content := map[string]any{"versionclient": "test"}
			for _, c := range winCollectors {
				v, err := c.collect(h)
				switch {
				case errors.Is(err, ErrNoData):
					continue
				case err != nil:
					t.Errorf("%s: %v", c.name, err)
					continue
				}
				if count(v) > 0 {
					content[c.key] = v
				}
			}
			doc := map[string]any{
				"action":   "inventory",
				"deviceid": "fixture-2024-01-08-10-00-00",
				"itemtype": "Computer",
				"content":  content,
			}
			schematest.Validate(t, doc)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(doc); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			golden := filepath.Join(dir, "inventory.golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("inventory of %s differs from %s; run go test -run TestWindowsGolden -update and review the diff\ngot:\n%s", name, golden, got)
			}
		})
	}
}
