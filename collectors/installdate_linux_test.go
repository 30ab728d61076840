package collectors

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestInstallTimeNotEpoch: files dated 0 (an image built reproducibly, a
// file system without birth times) give no install date, not 1970.
func TestInstallTimeNotEpoch(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"etc/machine-id", "var/log/installer/syslog"} {
		f := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, time.Unix(0, 0), time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	env := &Env{Root: root}
	if got := installTime(env); !got.IsZero() && got.Unix() <= 0 {
		t.Errorf("installTime = %v, want no date rather than 1970", got)
	}
	// A real date is kept.
	when := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(root, "var/log/installer/syslog"), when, when); err != nil {
		t.Fatal(err)
	}
	if got := installTime(env); !got.Equal(when) {
		t.Errorf("installTime = %v, want the installer log's %v", got, when)
	}
}
