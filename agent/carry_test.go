package agent

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/collectors"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// failing makes the collectors of the given sections fail, as a WMI query
// or a command that errors would, on top of the real collectors.
func failing(sections ...string) func(context.Context, *collectors.Env, []collectors.Info, time.Duration, func(collectors.Result)) (map[string]any, []collectors.Result) {
	return ending(errors.New("query failed: 0x80041003"), sections...)
}

// ending makes the collectors of the given sections end with err.
func ending(err error, sections ...string) func(context.Context, *collectors.Env, []collectors.Info, time.Duration, func(collectors.Result)) (map[string]any, []collectors.Result) {
	return func(ctx context.Context, env *collectors.Env, infos []collectors.Info, timeout time.Duration, progress func(collectors.Result)) (map[string]any, []collectors.Result) {
		content, results := collectors.Run(ctx, env, infos, timeout, progress)
		for i, r := range results {
			if slices.Contains(sections, r.Key) {
				delete(content, r.Key)
				results[i].Items, results[i].Err = 0, err
			}
		}
		return content, results
	}
}

// directAgent is an agent on the VM fixture root that sends to srv.
func directAgent(t *testing.T, srv *glpitest.Server) *Agent {
	t.Helper()
	cfg := config.Default()
	cfg.StateDir, cfg.Server, cfg.NoHTTPD = t.TempDir(), srv.URL, true
	a, err := New(cfg, &collectors.Env{Root: "../collectors/testdata/vm"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// glpiHolds fails the test unless GLPI's record of the computer holds
// every section of want, unchanged.
func glpiHolds(t *testing.T, srv *glpitest.Server, deviceID string, want map[string]json.RawMessage) {
	t.Helper()
	got := srv.Computer(deviceID)
	for k, v := range want {
		if string(got[k]) != string(v) {
			t.Errorf("GLPI's computer lost or changed section %s:\n got %.200s\nwant %.200s", k, got[k], v)
		}
	}
}

func TestFailedSectionIsCarriedOver(t *testing.T) {
	srv := glpitest.New(t)
	a := directAgent(t, srv)
	if _, err := a.RunOnce(t.Context(), Request{}); err != nil {
		t.Fatal(err)
	}
	id, _ := a.Identity()
	before := srv.Computer(id.DeviceID)
	if before["networks"] == nil || before["softwares"] == nil {
		t.Fatalf("the first inventory has no networks or softwares to lose: %v", len(before))
	}

	// The network collector fails; a full inventory is due.
	a.runCollectors = failing("networks")
	rep, err := a.RunOnce(t.Context(), Request{Full: true})
	if err != nil {
		t.Fatalf("run with a failed collector: %v", err)
	}
	if rep.Partial {
		t.Error("a full inventory was asked and the failed section had an earlier value, yet the run was partial")
	}
	if len(rep.Carried) != 1 || rep.Carried[0].Section != "networks" || rep.Carried[0].Since.IsZero() {
		t.Errorf("report's carried sections = %+v, want networks with its collection time", rep.Carried)
	}
	glpiHolds(t, srv, id.DeviceID, before)

	// The failure is on record for status.
	run, err := a.State().Run()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(run.Failed["network"], "0x80041003") || !slices.Equal(run.Carried, []string{"networks"}) {
		t.Errorf("run state: failed %v, carried %v", run.Failed, run.Carried)
	}

	// Still failing on the next ordinary (partial) run: nothing lost either.
	if _, err := a.RunOnce(t.Context(), Request{}); err != nil {
		t.Fatal(err)
	}
	glpiHolds(t, srv, id.DeviceID, before)

	// Back to health: the failure is cleared from the run state.
	a.runCollectors = collectors.Run
	if _, err := a.RunOnce(t.Context(), Request{Full: true}); err != nil {
		t.Fatal(err)
	}
	if run, _ := a.State().Run(); len(run.Failed) != 0 || len(run.Carried) != 0 {
		t.Errorf("after a good run: failed %v, carried %v", run.Failed, run.Carried)
	}
	glpiHolds(t, srv, id.DeviceID, before)
}

func TestFailedSectionWithNothingToCarryKeepsGLPIs(t *testing.T) {
	srv := glpitest.New(t)
	a := directAgent(t, srv)
	if _, err := a.RunOnce(t.Context(), Request{}); err != nil {
		t.Fatal(err)
	}
	id, _ := a.Identity()
	before := srv.Computer(id.DeviceID)
	// An agent upgraded from a version that kept no sections, or a state
	// directory lost: the failed section has no earlier value.
	if err := os.Remove(a.State().File(sectionsFile)); err != nil {
		t.Fatal(err)
	}
	a.runCollectors = failing("networks", "softwares")
	rep, err := a.RunOnce(t.Context(), Request{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Partial {
		t.Error("a full inventory without the failed sections was sent: GLPI would delete them")
	}
	glpiHolds(t, srv, id.DeviceID, before)
}

func TestCoreSectionFailureSendsNothing(t *testing.T) {
	for _, section := range []string{"hardware", "bios", "operatingsystem"} {
		t.Run(section, func(t *testing.T) {
			srv := glpitest.New(t)
			a := directAgent(t, srv)
			if _, err := a.RunOnce(t.Context(), Request{}); err != nil {
				t.Fatal(err)
			}
			id, _ := a.Identity()
			before := srv.Computer(id.DeviceID)

			a.runCollectors = failing(section)
			rep, err := a.RunOnce(t.Context(), Request{Full: true})
			var cf *CoreFailedError
			if !errors.As(err, &cf) {
				t.Fatalf("run with %s failed: err = %v, want a CoreFailedError", section, err)
			}
			if rep == nil || len(rep.Results) == 0 {
				t.Error("the failed run's report does not say what each collector did")
			}
			if n := len(srv.Inventories()); n != 1 {
				t.Errorf("GLPI got %d inventories, want only the first", n)
			}
			if _, err := os.Stat(a.State().File(spoolFile)); !errors.Is(err, os.ErrNotExist) {
				t.Error("the unsendable inventory was spooled")
			}
			glpiHolds(t, srv, id.DeviceID, before)
			if run, _ := a.State().Run(); !strings.Contains(run.LastResult, "not sent") {
				t.Errorf("last result %q does not say the inventory was not sent", run.LastResult)
			}
		})
	}
}

func TestNoDataSectionIsForgotten(t *testing.T) {
	// A section the host no longer has (a battery removed) is not a
	// failure: it is not carried over, and GLPI forgets it.
	srv := glpitest.New(t)
	a := directAgent(t, srv)
	if _, err := a.RunOnce(t.Context(), Request{}); err != nil {
		t.Fatal(err)
	}
	id, _ := a.Identity()
	a.runCollectors = ending(collectors.NoData("no sound card"), "sounds")
	rep, err := a.RunOnce(t.Context(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Partial || len(rep.Carried) != 0 {
		t.Errorf("vanished section: partial %v, carried %v; want a full inventory without it", rep.Partial, rep.Carried)
	}
	if _, ok := srv.Computer(id.DeviceID)["sounds"]; ok {
		t.Error("GLPI still has the sound card the host no longer has")
	}
	// And a later failure of that collector has nothing to resurrect.
	a.runCollectors = failing("sounds")
	if rep, err = a.RunOnce(t.Context(), Request{}); err != nil || len(rep.Carried) != 0 {
		t.Errorf("failure after no data: err %v, carried %v", err, rep.Carried)
	}
	if _, ok := srv.Computer(id.DeviceID)["sounds"]; ok {
		t.Error("a forgotten section came back")
	}
}

func TestLastGoodSectionsWrittenOnlyOnChange(t *testing.T) {
	srv := glpitest.New(t)
	a := directAgent(t, srv)
	if _, err := a.RunOnce(t.Context(), Request{}); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(a.State().File(sectionsFile))
	if err != nil {
		t.Fatal(err)
	}
	if before.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", sectionsFile, before.Mode().Perm())
	}
	if _, err := a.RunOnce(t.Context(), Request{}); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(a.State().File(sectionsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("an unchanged host rewrote the last good sections")
	}
}

func TestLocalPartialInventoryIsMarkedPartial(t *testing.T) {
	a := localAgent(t)
	read := func(req Request) map[string]any {
		t.Helper()
		out := filepath.Join(t.TempDir(), "inv.json")
		if _, err := a.RunLocal(t.Context(), out, req); err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		b, _ := os.ReadFile(out)
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	if doc := read(Request{}); doc["partial"] == true {
		t.Error("a full local inventory says partial")
	}
	if doc := read(Request{Categories: []string{"software", "cpu"}}); doc["partial"] != true {
		t.Errorf("inventory --local --category software,cpu wrote partial = %v, want true", doc["partial"])
	}
	// A failed section with nothing to carry over: the file must not
	// claim the host lacks it.
	if err := os.Remove(a.State().File(sectionsFile)); err != nil {
		t.Fatal(err)
	}
	a.runCollectors = failing("networks")
	if doc := read(Request{}); doc["partial"] != true {
		t.Errorf("a local inventory missing a failed section wrote partial = %v, want true", doc["partial"])
	}
}

func TestRetriesAreShown(t *testing.T) {
	srv := glpitest.New(t, glpitest.WithFailures(2, 503))
	a := directAgent(t, srv)
	var retries []string
	if _, err := a.RunOnce(t.Context(), Request{Progress: func(e Event) {
		if e.Step == "retry" {
			retries = append(retries, e.Message)
		}
	}}); err != nil {
		t.Fatal(err)
	}
	if len(retries) != 2 || !strings.Contains(retries[0], "retry 1 of") {
		t.Errorf("retry events = %q, want two, the first 'retry 1 of …'", retries)
	}
}

// A GLPI server's no-category is obeyed, and may name the official
// agent's categories this agent does not collect ("slot"), which once
// failed the whole inventory.
func TestServerNoCategory(t *testing.T) {
	srv := glpitest.New(t, glpitest.WithNoCategory("slot,port,software"))
	a := directAgent(t, srv)
	if _, err := a.RunOnce(t.Context(), Request{Full: true}); err != nil {
		t.Fatalf("inventory with the server's no-category: %v", err)
	}
	id, _ := a.Identity()
	got := srv.Computer(id.DeviceID)
	if got["softwares"] != nil || got["hardware"] == nil {
		t.Errorf("GLPI got sections %v: want no softwares, as the server asked, and the others", slices.Collect(maps.Keys(got)))
	}
}
