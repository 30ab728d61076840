package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/collectors"
)

// localAgent is an agent on the VM fixture root that writes its
// inventories to files.
func localAgent(t *testing.T) *Agent {
	t.Helper()
	cfg := config.Default()
	cfg.StateDir, cfg.NoHTTPD = t.TempDir(), true
	a, err := New(cfg, &collectors.Env{Root: "../collectors/testdata/vm"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// runLocal runs a local inventory and returns its content and whether it
// is partial.
func runLocal(t *testing.T, a *Agent) (map[string]json.RawMessage, bool) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "inv.json")
	if _, err := a.RunLocal(t.Context(), out, Request{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Partial bool                       `json:"partial"`
		Content map[string]json.RawMessage `json:"content"`
	}
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content, doc.Partial
}

func compact(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// An upgrade from a version that kept the last good sections in one JSON
// object carries them over, and replaces the file.
func TestLastGoodSectionsMigrate(t *testing.T) {
	a := localAgent(t)
	networks := `[{"description":"eth9","macaddr":"02:00:00:00:00:09","status":"up","virtualdev":false}]`
	old := `{"sections":{"networks":` + networks + `},"since":{"networks":"2026-01-02T03:04:05Z"}}`
	if err := os.WriteFile(a.State().File(oldSectionsFile), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	a.runCollectors = failing("networks")
	content, partial := runLocal(t, a)
	if partial {
		t.Error("the old file's networks were not carried over: the inventory is partial")
	}
	if got := compact(t, content["networks"]); got != networks {
		t.Errorf("networks carried over = %s, want %s", got, networks)
	}
	if _, err := os.Stat(a.State().File(oldSectionsFile)); !os.IsNotExist(err) {
		t.Errorf("the old file is still there: %v", err)
	}
	// The next failure carries the same from the new file.
	content, partial = runLocal(t, a)
	if partial || compact(t, content["networks"]) != networks {
		t.Errorf("from the new file: partial %v, networks %s", partial, content["networks"])
	}
}

// A run reads the sections only to carry one over: an unchanged host
// leaves the file as it is without reading past its first line, and a
// section whose line does not match its digest is not sent.
func TestLastGoodSectionsReadOnlyToCarry(t *testing.T) {
	a := localAgent(t)
	first, _ := runLocal(t, a)
	path := a.State().File(sectionsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := bytes.Cut(b, []byte("\n"))
	// The same lines with every section altered: digests no longer match.
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	var damaged bytes.Buffer
	damaged.Write(head)
	damaged.WriteByte('\n')
	for range lines[1:] {
		damaged.WriteString(`[{"name":"not this"}]` + "\n")
	}
	if err := os.WriteFile(path, damaged.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	runLocal(t, a)
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) {
		t.Fatal("an unchanged host rewrote the last good sections")
	}

	a.runCollectors = failing("networks")
	content, partial := runLocal(t, a)
	if !partial {
		t.Error("a damaged section was carried over: the inventory is not partial")
	}
	if _, ok := content["networks"]; ok {
		t.Errorf("a damaged section was sent: %s", content["networks"])
	}
	if compact(t, content["softwares"]) != compact(t, first["softwares"]) {
		t.Error("the sections collected were changed")
	}
	b, _ = os.ReadFile(path)
	if bytes.Contains(b, []byte("not this")) {
		t.Errorf("the damaged lines were kept:\n%.300s", b)
	}
	// The sections collected since are carried over again.
	a.runCollectors = failing("softwares")
	content, partial = runLocal(t, a)
	if partial || compact(t, content["softwares"]) != compact(t, first["softwares"]) {
		t.Errorf("softwares after the rewrite: partial %v", partial)
	}
}

// A section that went (no data) and another that failed, in the same run:
// the failed one is carried over from its own line.
func TestLastGoodSectionsCarryAfterOneWent(t *testing.T) {
	a := localAgent(t)
	first, _ := runLocal(t, a)
	if first["drives"] == nil || first["softwares"] == nil {
		t.Fatal("the VM fixture has no drives or softwares")
	}
	run := ending(collectors.NoData("no drive any more"), "drives")
	a.runCollectors = func(ctx context.Context, env *collectors.Env, infos []collectors.Info, timeout time.Duration, progress func(collectors.Result)) (map[string]any, []collectors.Result) {
		content, results := run(ctx, env, infos, timeout, progress)
		for i, r := range results {
			if r.Key == "softwares" {
				delete(content, r.Key)
				results[i].Items, results[i].Err = 0, errors.New("rpm: database locked")
			}
		}
		return content, results
	}
	content, partial := runLocal(t, a)
	if partial {
		t.Error("the failed softwares were not carried over: the inventory is partial")
	}
	if compact(t, content["softwares"]) != compact(t, first["softwares"]) {
		t.Errorf("softwares carried over = %.200s, want the first run's", content["softwares"])
	}
	if _, ok := content["drives"]; ok {
		t.Error("a section with no data any more was sent")
	}
}
