package collectors

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// macCases are the macOS fixtures under testdata/macos: a MacBook Pro M2
// Pro on macOS 14, an Intel iMac on macOS 13, a Mac mini M1 server on
// macOS 15. They are made by hand and kept for what the real Macs of the
// corpus (TestMacCorpus) lack: a battery record, an NVMe disk, Wi-Fi, and
// the sources only a live system has (sysctl in full, fdesetup, ps, the
// local directory).
var macCases = []string{"laptop", "desktop", "server"}

// macFixtureNow is the clock of the macOS fixture runs.
var macFixtureNow = time.Date(2024, 6, 12, 10, 30, 0, 0, time.UTC)

// macFixture returns the Env and macHost of a macOS fixture. Its
// system_profiler prints the fixture's reports, fdesetup and ps print
// fdesetup.txt and ps.txt, and the agent's environment is environ.txt, one
// variable a line. The runs of the programs are counted by arguments.
func macFixture(t *testing.T, name string) (*Env, *macHost, map[string]int) {
	t.Helper()
	dir := filepath.Join("testdata", "macos", name)
	runs := map[string]int{}
	var runsMu sync.Mutex // the collectors run concurrently
	count := func(key string) {
		runsMu.Lock()
		defer runsMu.Unlock()
		runs[key]++
	}
	env := &Env{
		Root: dir,
		Now:  func() time.Time { return macFixtureNow },
		Exec: func(_ context.Context, prog string, args ...string) ([]byte, error) {
			if prog != systemProfiler || len(args) < 4 || !slices.Equal(args[:3], []string{"-json", "-detailLevel", "basic"}) {
				return nil, fmt.Errorf("fake exec: unexpected %s %q", prog, args)
			}
			key := "system_profiler " + strings.Join(args[3:], " ")
			count(key)
			switch key {
			case "system_profiler SPApplicationsDataType":
				return os.ReadFile(filepath.Join(dir, "applications.json"))
			case "system_profiler " + strings.Join(profilerDataTypes(macVersion(&Env{Root: dir}).major()), " "):
				return os.ReadFile(filepath.Join(dir, "system_profiler.json"))
			}
			return nil, fmt.Errorf("fake exec: unexpected data types %q", key)
		},
	}
	sysctl, err := os.ReadFile(filepath.Join(dir, "sysctl.txt"))
	if err != nil {
		t.Fatal(err)
	}
	values := parseSysctlText(string(sysctl))
	environ, err := os.ReadFile(filepath.Join(dir, "environ.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// output prints a fixture file as the program of key would.
	output := func(key, file string) func(context.Context, *Env) ([]byte, error) {
		return func(context.Context, *Env) ([]byte, error) {
			count(key)
			return os.ReadFile(filepath.Join(dir, file))
		}
	}
	h := &macHost{
		sysctl:     func(name string) string { return values[name] },
		consoleUID: func() (int, bool) { return 501, true },
		fdesetup:   output("fdesetup status", "fdesetup.txt"),
		ps:         output("ps", "ps.txt"),
		environ:    func() []string { return strings.Split(strings.TrimSuffix(string(environ), "\n"), "\n") },
	}
	return env, h, runs
}

// macContent runs every macOS collector on env and returns the content of
// its inventory; a collector that fails fails the test.
func macContent(t *testing.T, env *Env) map[string]any {
	t.Helper()
	content := map[string]any{"versionclient": "test"}
	for _, c := range macCollectors() {
		v, err := c.Collect(t.Context(), env)
		if errors.Is(err, ErrNoData) {
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if count(v) > 0 {
			content[c.Key] = v
		}
	}
	return content
}

// macEnv returns a copy of env whose macOS host is h, for one run.
func macEnv(env *Env, h *macHost) *Env {
	e := *env
	e.open = openFixture("macos", h)
	return e.forRun()
}

// TestMacGolden runs every macOS collector on each fixture, validates the
// inventory against the schema and compares it with the golden file.
func TestMacGolden(t *testing.T) {
	for _, name := range macCases {
		t.Run(name, func(t *testing.T) {
			env, h, runs := macFixture(t, name)
			content := macContent(t, macEnv(env, h))
			for args, n := range runs {
				if n != 1 {
					t.Errorf("%s ran %d times, want 1", args, n)
				}
			}
			doc := map[string]any{"action": "inventory", "deviceid": "mac-2024-06-12-10-30-00", "content": content}
			checkGolden(t, doc, filepath.Join("testdata", "macos", name, "inventory.golden.json"))
		})
	}
}
