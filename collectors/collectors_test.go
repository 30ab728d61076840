package collectors

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	infos := []Info{
		{Name: "list", Key: "lists", Collect: func(context.Context, *Env) (any, error) { return []int{1, 2, 3}, nil }},
		{Name: "object", Key: "object", Collect: func(context.Context, *Env) (any, error) { return &struct{ A int }{1}, nil }},
		{Name: "empty", Key: "empties", Collect: func(context.Context, *Env) (any, error) { return []int{}, nil }},
		{Name: "nodata", Key: "nodata", Collect: func(context.Context, *Env) (any, error) { return nil, NoData("no DMI") }},
		{Name: "missing", Key: "missing", Collect: func(context.Context, *Env) (any, error) {
			return nil, fmt.Errorf("read x: %w", os.ErrNotExist)
		}},
		{Name: "broken", Key: "broken", Collect: func(context.Context, *Env) (any, error) { return nil, errors.New("parse: bad") }},
		{Name: "hung", Key: "hung", Collect: func(context.Context, *Env) (any, error) { <-block; return []int{1}, nil }},
		{Name: "panics", Key: "panics", Collect: func(context.Context, *Env) (any, error) { panic("boom") }},
	}
	var progress atomic.Int32
	var inProgress atomic.Bool
	start := time.Now()
	content, results := Run(context.Background(), &Env{Root: t.TempDir()}, infos, 200*time.Millisecond, func(Result) {
		if !inProgress.CompareAndSwap(false, true) {
			t.Error("progress called while a call was in progress: want one call at a time")
		}
		time.Sleep(time.Millisecond)
		progress.Add(1)
		inProgress.Store(false)
	})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run took %v with a hung collector, want it cut at its timeout", d)
	}
	if len(content) != 2 || content["lists"] == nil || content["object"] == nil {
		t.Errorf("content = %v, want lists and object only", content)
	}
	if int(progress.Load()) != len(infos) {
		t.Errorf("progress called %d times, want %d", progress.Load(), len(infos))
	}
	want := map[string]struct {
		items          int
		failed, nodata bool
	}{
		"list": {3, false, false}, "object": {1, false, false}, "empty": {0, false, true},
		"nodata": {0, false, true}, "missing": {0, false, true}, "broken": {0, true, false},
		"hung": {0, true, false}, "panics": {0, true, false},
	}
	for i, r := range results {
		if r.Name != infos[i].Name {
			t.Fatalf("results[%d] = %s, want the order given (%s)", i, r.Name, infos[i].Name)
		}
		w := want[r.Name]
		if r.Items != w.items || r.Failed() != w.failed || errors.Is(r.Err, ErrNoData) != w.nodata {
			t.Errorf("%s: items %d failed %v nodata %v (err %v), want %+v", r.Name, r.Items, r.Failed(), errors.Is(r.Err, ErrNoData), r.Err, w)
		}
	}
}

func TestSelect(t *testing.T) {
	if _, err := Select([]string{"nope"}, nil); err == nil {
		t.Error("Select(unknown category) = nil error")
	}
	if _, err := Select(nil, []string{"slots"}); err == nil {
		t.Error("Select(disable a misspelt category) = nil error")
	}
	// The official agent's categories this one does not collect: a
	// configuration or a server's no-category written for it names them.
	if got, err := Select(nil, []string{"slot", "port", "lvm", "modem", "registry", "rudder"}); err != nil || len(got) == 0 {
		t.Errorf("Select(disable the official agent's own categories) = %d collectors, %v; want the defaults", len(got), err)
	}
	if _, err := Select([]string{"slot"}, nil); err == nil || !strings.Contains(err.Error(), "official agent's") {
		t.Errorf("Select(enable slot) = %v, want an error saying this agent does not collect it", err)
	}
	all, err := Select(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range all {
		if !i.Default {
			t.Errorf("default selection includes %s, which is off by default", i.Name)
		}
	}
	if len(All()) > 0 {
		name := All()[0].Name
		less, _ := Select(nil, []string{name})
		for _, i := range less {
			if i.Name == name {
				t.Errorf("Select(disable %s) still has it", name)
			}
		}
	}
}

func TestResultJSON(t *testing.T) {
	for _, r := range []Result{
		{Name: "a", Key: "as", Items: 2, Duration: time.Millisecond},
		{Name: "b", Key: "b", Err: NoData("no DMI")},
		{Name: "c", Key: "c", Err: errors.New("broken")},
	} {
		b, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Result
		if err := back.UnmarshalJSON(b); err != nil {
			t.Fatal(err)
		}
		if back.Name != r.Name || back.Items != r.Items || back.Failed() != r.Failed() || (back.Err == nil) != (r.Err == nil) {
			t.Errorf("round trip of %+v = %+v", r, back)
		}
		if r.Err != nil && back.Err.Error() != r.Err.Error() {
			t.Errorf("error text %q, want %q", back.Err, r.Err)
		}
	}
}

func TestLive(t *testing.T) {
	tests := []struct {
		root string
		live bool
	}{
		{"", true},
		{"/", true},
		{"testdata/laptop", false},
		{"/host", false},
	}
	for _, tt := range tests {
		if got := (&Env{Root: tt.root}).Live(); got != tt.live {
			t.Errorf("Env{Root: %q}.Live() = %v, want %v", tt.root, got, tt.live)
		}
	}
}
