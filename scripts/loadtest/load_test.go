//go:build loadtest

package loadtest

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestLoad plays the simulated fleet against the real glpi-enrolld in every
// mode. It takes minutes, so it is built only with -tags loadtest: `make
// test` runs it as a step of its own (CI size), `make loadtest` at full
// size, and the plain `go test ./...` loop stays quick.

func TestLoad(t *testing.T) {
	selected := modes
	if *flagMode != "all" {
		selected = strings.Split(*flagMode, ",")
		for _, m := range selected {
			if !slices.Contains(modes, m) {
				t.Fatalf("-mode %q: want one of %s or all", m, strings.Join(modes, ", "))
			}
		}
	}
	tmpl := newTemplate()
	var reports []*report
	for _, mode := range selected {
		if mode == "checkin" {
			continue // TestLoadCheckIn
		}
		t.Run(mode, func(t *testing.T) {
			r := runMode(t, mode, tmpl)
			t.Log("\n" + r.table())
			reports = append(reports, r)
		})
	}
	if *flagJSONOut != "" {
		b, _ := json.MarshalIndent(reports, "", "  ")
		if err := os.WriteFile(*flagJSONOut, append(b, '\n'), 0o644); err != nil {
			t.Errorf("write -json-out: %v", err)
		}
	}
}
