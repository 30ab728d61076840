package collectors

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// update rewrites the golden inventories of the fixture tests instead of
// comparing with them: go test ./collectors/ -run Golden -update.
var update = flag.Bool("update", false, "rewrite golden files")

// checkGolden validates doc against the GLPI inventory schema, encodes it
// as indented JSON without HTML escaping and compares it with the golden
// file at path. With -update it rewrites the file instead.
func checkGolden(t *testing.T, doc any, path string) {
	t.Helper()
	schematest.Validate(t, doc)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		test, _, _ := strings.Cut(t.Name(), "/")
		t.Errorf("inventory differs from %s at %s; run go test ./collectors -run %s -update and review the diff",
			path, firstDiff(got, want), test)
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	line := func(lines []string, i int) string {
		if i < len(lines) {
			return lines[i]
		}
		return "<end of file>"
	}
	for i := 0; i < len(g) || i < len(w); i++ {
		if gl, wl := line(g, i), line(w, i); gl != wl {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, gl, wl)
		}
	}
	return "the same lines"
}
