package collectors

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The corpus comes with its own scoring tool (tools/score.sh), which
// copies its tests (tools/corpus_*_test.go) into a copy of this package
// and reads the figures it prints off this tree. Those tests call
// winFixture, parseEDID, monitorFromEDID and this table by name; the
// table is the tool's view of windowsCollectors.

// winCollector is a Windows collector as the scoring tool runs it: by
// name, on a fixture machine.
//
//lint:ignore U1000 used by the scoring tool's tests, which TestCorpusScorerRuns builds in
type winCollector struct {
	name    string
	collect func(h winHost) (any, error)
}

// winCollectors is windowsCollectors for the scoring tool.
//
//lint:ignore U1000 used by the scoring tool's tests, which TestCorpusScorerRuns builds in
var winCollectors = func() []winCollector {
	var cs []winCollector
	for _, c := range windowsCollectors() {
		cs = append(cs, winCollector{name: c.Name, collect: func(h winHost) (any, error) {
			ctx := h.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			return c.Collect(ctx, winEnv(h))
		}})
	}
	return cs
}()

// The scoring tool's tests build against this package and run: every
// captured machine and monitor gets its results. (A renamed helper once
// broke the tool without a test noticing.)
func TestCorpusScorerRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package's tests again")
	}
	dir := corpusDir(t)
	tools, err := filepath.Glob(filepath.Join(dir, "tools", "corpus_*_test.go"))
	if err != nil || len(tools) == 0 {
		t.Fatalf("no scoring tests in %s/tools: %v", dir, err)
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	overlay := map[string]map[string]string{"Replace": {}}
	for _, f := range tools {
		overlay["Replace"][filepath.Join(here, filepath.Base(f))] = f
	}
	tmp := t.TempDir()
	ov, _ := json.Marshal(overlay)
	ovFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovFile, ov, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out")
	cmd := exec.CommandContext(t.Context(), "go", "test", "-count=1", "-overlay="+ovFile, "-run=^TestCorpus(Windows|EDID)$", ".")
	cmd.Env = append(os.Environ(), "CORPUS_CASES="+filepath.Join(dir, "windows"), "CORPUS_EDID="+filepath.Join(dir, "edid"),
		"CORPUS_OUT="+out, "CORPUS_WIN_OUT="+filepath.Join(out, "win"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the corpus's scoring tests on this package: %v\n%s", err, b)
	}
	cases, err := filepath.Glob(filepath.Join(dir, "windows", "*", "registry.reg"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no captured machines in %s/windows: %v", dir, err)
	}
	for _, reg := range cases {
		name := filepath.Base(filepath.Dir(reg))
		for _, c := range windowsCollectors() {
			if _, err := os.Stat(filepath.Join(out, "win", name, c.Name+".json")); err != nil {
				t.Errorf("case %s: no %s result: %v", name, c.Name, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(out, "edid.json")); err != nil {
		t.Errorf("no EDID results: %v", err)
	}
}
