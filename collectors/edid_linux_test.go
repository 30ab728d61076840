package collectors

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCollectMonitorsFailures: an unreadable EDID fails the section, an
// empty one or a blob that is no EDID is skipped, and a bad checksum keeps
// the monitor.
func TestCollectMonitorsFailures(t *testing.T) {
	connector := func(root, name, status string, edid []byte) string {
		dir := filepath.Join(root, "sys/class/drm", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "status"), []byte(status+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if edid != nil {
			if err := os.WriteFile(filepath.Join(dir, "edid"), edid, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	badSum := testEDID("DEL", 0x1, 7, 3, 2022, descName("P2422H"))
	badSum[127]++

	root := t.TempDir()
	connector(root, "card0-DP-1", "connected", badSum)
	connector(root, "card0-DP-2", "connected", []byte{})
	connector(root, "card0-DP-3", "connected", []byte("not an edid"))
	connector(root, "card0-HDMI-A-1", "disconnected", nil)
	got, err := collectMonitors(t.Context(), &Env{Root: root})
	mons, _ := got.([]Monitor)
	if err != nil || len(mons) != 1 || mons[0].Caption != "P2422H" || mons[0].Port != "DP-1" {
		t.Errorf("collectMonitors() = %+v, %v, want the P2422H on DP-1", got, err)
	}

	// An edid that is a directory cannot be read.
	root = t.TempDir()
	dir := connector(root, "card0-DP-1", "connected", nil)
	if err := os.Mkdir(filepath.Join(dir, "edid"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := collectMonitors(t.Context(), &Env{Root: root}); err == nil {
		t.Errorf("collectMonitors(unreadable edid) = %+v, nil, want an error", got)
	}
}
