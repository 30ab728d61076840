package collectors

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// writeTree writes files (path: content) under a new root and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// validateSection checks one content section against the inventory schema.
func validateSection(t *testing.T, key string, v any) {
	t.Helper()
	schematest.Validate(t, map[string]any{
		"deviceid": "x-2024-01-01-00-00-00",
		"content":  map[string]any{"versionclient": "test", key: v},
	})
}
