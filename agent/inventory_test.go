package agent

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/collectors"
)

func TestPlan(t *testing.T) {
	content := map[string]any{
		"hardware": map[string]any{"name": "pc"}, "bios": map[string]any{"ssn": "1"},
		"operatingsystem": map[string]any{"name": "Debian"},
		"softwares":       []any{map[string]any{"name": "a"}},
		"cpus":            []any{map[string]any{"name": "x"}},
		"versionclient":   "v",
	}
	cur := digests(content)
	if _, ok := cur["versionclient"]; ok {
		t.Fatal("digests include versionclient, which changes with the agent, not the host")
	}
	changedSoft := maps.Clone(cur)
	changedSoft["softwares"] = "old"
	extra := maps.Clone(cur)
	extra["monitors"] = "gone"

	tests := []struct {
		name         string
		prev         map[string]string
		since, post  int
		full         bool
		lost         []string
		required     []string
		wantPartial  bool
		wantSections []string
	}{
		{"first run is full", nil, 0, 14, false, nil, nil, false, nil},
		{"asked for full", cur, 0, 14, true, nil, nil, false, nil},
		{"postpone 0 means always full", cur, 0, 0, false, nil, nil, false, nil},
		{"every postpone+1 runs full", cur, 14, 14, false, nil, nil, false, nil},
		{"vanished section forces full", extra, 0, 14, false, nil, nil, false, nil},
		{"nothing changed", cur, 0, 14, false, nil, nil, true, []string{"bios", "hardware", "operatingsystem", "versionclient"}},
		{"software changed", changedSoft, 3, 14, false, nil, nil, true, []string{"bios", "hardware", "operatingsystem", "softwares", "versionclient"}},
		// A failed section with nothing to carry over: a full inventory
		// would make GLPI delete it, whatever else asks for one.
		{"lost section on first run", nil, 0, 14, false, []string{"networks"}, nil, true, []string{"bios", "cpus", "hardware", "operatingsystem", "softwares", "versionclient"}},
		{"lost section when full asked", cur, 0, 14, true, []string{"networks"}, nil, true, []string{"bios", "hardware", "operatingsystem", "versionclient"}},
		{"lost section when full due", cur, 14, 14, false, []string{"networks"}, nil, true, []string{"bios", "hardware", "operatingsystem", "versionclient"}},
		{"software required", cur, 0, 14, false, nil, []string{"softwares", "monitors"}, true, []string{"bios", "hardware", "operatingsystem", "softwares", "versionclient"}},
		{"lost section, another vanished", extra, 0, 0, false, []string{"networks"}, nil, true, []string{"bios", "hardware", "operatingsystem", "versionclient"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			send, partial := plan(content, cur, tt.prev, tt.since, tt.post, tt.full, tt.lost, tt.required)
			if partial != tt.wantPartial {
				t.Fatalf("plan partial = %v, want %v", partial, tt.wantPartial)
			}
			if !partial {
				if len(send) != len(content) {
					t.Errorf("full plan sends %d sections, want all %d", len(send), len(content))
				}
				return
			}
			if got := slices.Sorted(maps.Keys(send)); !slices.Equal(got, tt.wantSections) {
				t.Errorf("plan sends %v, want %v", got, tt.wantSections)
			}
		})
	}
}

// TestRequiredCategory is the official agent's required-category: its
// categories name the sections a partial inventory always carries; the
// official agent's categories this agent does not collect change nothing,
// and a name that is no category is refused.
func TestRequiredCategory(t *testing.T) {
	cfg := config.Default()
	cfg.StateDir, cfg.RequiredCategory = t.TempDir(), []string{"software", "monitor", "slot"}
	a, err := New(cfg, &collectors.Env{Root: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.requiredSections(); !slices.Equal(got, []string{"softwares", "monitors"}) {
		t.Errorf("requiredSections = %v, want softwares and monitors", got)
	}
	cfg.RequiredCategory = []string{"softwares"}
	if _, err := New(cfg, &collectors.Env{Root: t.TempDir()}, nil); err == nil || !strings.Contains(err.Error(), "required_category") {
		t.Errorf("New(required_category softwares) = %v, want an error naming the key", err)
	}
}
