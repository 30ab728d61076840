package collectors

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"strings"
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
	infos := windowsCollectors()
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

// TestRunMacSources runs the macOS collectors four times with one Env, as
// the daemon does: system_profiler runs once a run, whatever the number of
// collectors reading its report; when it fails, every collector that needs
// it fails with its error, none passing for one with no data, and the next
// run runs it again.
func TestRunMacSources(t *testing.T) {
	infos := macCollectors()
	base, h0, runs := macFixture(t, "laptop")
	errProfiler := errors.New("system_profiler: signal: killed")
	var fail atomic.Bool
	env := *base
	env.Exec = func(ctx context.Context, prog string, args ...string) ([]byte, error) {
		if fail.Load() && prog == systemProfiler {
			return nil, errProfiler
		}
		return base.Exec(ctx, prog, args...)
	}
	env.open = func(*Env, string) (any, error) {
		return &macHost{sysctl: h0.sysctl, consoleUID: h0.consoleUID, fdesetup: h0.fdesetup, ps: h0.ps, environ: h0.environ}, nil
	}
	report := "system_profiler " + strings.Join(profilerDataTypes(macVersion(base).major()), " ")
	items := func(results []Result) map[string]int {
		m := map[string]int{}
		for _, r := range results {
			m[r.Name] = r.Items
		}
		return m
	}

	_, first := Run(t.Context(), &env, infos, time.Minute, nil)
	for _, r := range first {
		if r.Failed() {
			t.Errorf("run 1: %s failed: %v", r.Name, r.Err)
		}
	}
	_, second := Run(t.Context(), &env, infos, time.Minute, nil)
	if !maps.Equal(items(first), items(second)) {
		t.Errorf("run 2 = %v, want run 1's %v", items(second), items(first))
	}
	if runs[report] != 2 || runs["system_profiler SPApplicationsDataType"] != 2 {
		t.Errorf("after two runs: system_profiler ran %v, want each report twice", runs)
	}

	fail.Store(true)
	_, failed := Run(t.Context(), &env, infos, time.Minute, nil)
	var failures int
	for i, r := range failed {
		switch {
		case r.Failed() && errors.Is(r.Err, errProfiler):
			failures++
		case errors.Is(r.Err, ErrNoData) && errors.Is(first[i].Err, ErrNoData):
			// Reads no report (the fixture has no database server).
		case r.Err != nil:
			t.Errorf("failing system_profiler: %s = %v, want its data or a failure wrapping %q", r.Name, r.Err, errProfiler)
		case r.Items != first[i].Items:
			t.Errorf("failing system_profiler: %s has %d items, want %d", r.Name, r.Items, first[i].Items)
		}
	}
	if failures < 10 {
		t.Errorf("failing system_profiler: %d collectors failed, want the 10 or more that read its reports", failures)
	}

	fail.Store(false)
	_, again := Run(t.Context(), &env, infos, time.Minute, nil)
	if !maps.Equal(items(first), items(again)) {
		t.Errorf("run after the failing one = %v, want run 1's %v", items(again), items(first))
	}
}
