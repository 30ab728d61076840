package collectors

import (
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunWindowsSources runs the Windows collectors twice with one Env, as
// the daemon does: the collectors of a run share the sources the first of
// them opens, the next run opens its own, and sources that cannot be
// opened fail every collector of the run, none of them passing for one
// with no data.
func TestRunWindowsSources(t *testing.T) {
	infos := winRegistered(t)
	var opens atomic.Int32
	var fail atomic.Bool
	errOpen := errors.New("connect to root\\CIMV2: access denied")
	env := &Env{open: func(_ *Env, source string) (any, error) {
		opens.Add(1)
		if fail.Load() {
			return nil, errOpen
		}
		return winFixture(filepath.Join("testdata", "windows", "laptop"))
	}}
	for run := 1; run <= 2; run++ {
		content, results := Run(t.Context(), env, infos, time.Minute, nil)
		if got := opens.Load(); got != int32(run) {
			t.Errorf("after run %d: sources opened %d times, want %d", run, got, run)
		}
		if len(content) < 20 {
			t.Errorf("run %d: %d sections, want the laptop's 20 or more", run, len(content))
		}
		for _, r := range results {
			if r.Failed() {
				t.Errorf("run %d: %s failed: %v", run, r.Name, r.Err)
			}
		}
	}

	fail.Store(true)
	content, results := Run(t.Context(), env, infos, time.Minute, nil)
	if got := opens.Load(); got != 3 {
		t.Errorf("failing run: sources opened %d times in all, want 3", got)
	}
	if len(content) != 0 {
		t.Errorf("failing run: sections %v, want none", keys(content))
	}
	for _, r := range results {
		if !r.Failed() || !errors.Is(r.Err, errOpen) {
			t.Errorf("failing run: %s = %v, want a failure wrapping %q", r.Name, r.Err, errOpen)
		}
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
