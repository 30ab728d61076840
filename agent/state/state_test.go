package state

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cred.json")
	if err := WriteFileAtomic(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "two" {
		t.Errorf("content = %q, want %q", b, "two")
	}
	fi, _ := os.Stat(p)
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir has %d entries, want 1 (no temporary files left)", len(entries))
	}
}

func TestIdentityCreatedOnce(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 10, 18, 16, 44, 47, 0, time.Local)
	id, err := d.Identity("pc42", now)
	if err != nil {
		t.Fatal(err)
	}
	if id.DeviceID != "pc42-2024-10-18-16-44-47" {
		t.Errorf("DeviceID = %q, want pc42-2024-10-18-16-44-47", id.DeviceID)
	}
	if !ValidUUID(id.AgentID) {
		t.Errorf("AgentID = %q, not a lowercase UUID", id.AgentID)
	}
	again, err := d.Identity("renamed", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if *again != *id {
		t.Errorf("second Identity = %+v, want the stored %+v", again, id)
	}
}

func TestNewUUID(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		u := NewUUID()
		if !v4.MatchString(u) || seen[u] {
			t.Fatalf("NewUUID() = %q: not a fresh v4 UUID", u)
		}
		seen[u] = true
	}
}

func TestRunRoundTrip(t *testing.T) {
	d, _ := Open(t.TempDir())
	r, err := d.Run()
	if err != nil || r.LastResult != "" {
		t.Fatalf("Run() on empty dir = %+v, %v", r, err)
	}
	r.LastResult, r.Sections = "ok", map[string]string{"bios": "abc"}
	if err := d.SaveRun(r); err != nil {
		t.Fatal(err)
	}
	got, _ := d.Run()
	if got.LastResult != "ok" || got.Sections["bios"] != "abc" {
		t.Errorf("Run() = %+v after SaveRun", got)
	}
}
