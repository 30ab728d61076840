package store

import (
	"slices"
	"strings"
	"testing"
)

// TestLookupsUseTheirIndexes: SQLite plans each lookup of a device by what
// an agent presents on the index made for it. Without statistics, its
// planner once preferred devices_state (revoked_at, retired_at, …), which
// nearly every device matches: every enrollment then read every active
// device, and enrollments fell from 580/s at 2,000 devices to 86/s at
// 20,000 (BenchmarkEnroll).
func TestLookupsUseTheirIndexes(t *testing.T) {
	st, err := OpenSQLite(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.(*sqlStore).r
	for _, tt := range []struct {
		name, query, table, index string
		args                      []any
	}{
		{"by install id", queryDevicesByInstall, "devices", "devices_install_hash", []any{"k", "h"}},
		{"by host name", queryDevicesByHostname, "devices", "devices_by_hostname", []any{"pc"}},
		{"ephemeral predecessor", queryEphemeralPredecessor, "devices", "devices_hostname", []any{"k", "pc"}},
		{"inventory repeated", queryRepeatAndSections, "h", "inventory_history_idem", []any{"d", "k"}},
	} {
		rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tt.query, tt.args...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if !slices.ContainsFunc(plan, func(step string) bool {
			return strings.HasPrefix(step, "SEARCH "+tt.table+" USING INDEX "+tt.index+" ")
		}) {
			t.Errorf("%s: plan %q, want a search of %s", tt.name, plan, tt.index)
		}
	}
}
