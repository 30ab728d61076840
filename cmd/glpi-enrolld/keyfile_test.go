package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// key create --output writes the key to a new owner-only file, and leaves
// no file behind when the command fails.
func TestKeyCreateOutput(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	failed := filepath.Join(dir, "failed.key")
	if err := run(t.Context(), []string{"key", "create", "--tag", "t", "--expires", "bogus", "--output", failed, "--data-dir", data}, io.Discard); err == nil {
		t.Fatal("key create with --expires bogus succeeded")
	}
	if _, err := os.Stat(failed); !os.IsNotExist(err) {
		t.Errorf("a failed key create left %s: %v", failed, err)
	}
	ok := filepath.Join(dir, "ok.key")
	if err := run(t.Context(), []string{"key", "create", "--tag", "t", "--output", ok, "--data-dir", data}, io.Discard); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(ok)
	if err != nil || fi.Mode() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", fi, err)
	}
	if b, _ := os.ReadFile(ok); !strings.HasPrefix(string(b), "glpik_") {
		t.Errorf("key file holds %q, want a glpik_ key", b)
	}
}

// key create --output never writes through a link nor into a file that
// exists (someone else's, or readable by others); --force replaces the name
// with a new owner-only file, and a failed command leaves what was there.
func TestKeyCreateOutputExisting(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need a privilege on Windows")
	}
	dir, data := t.TempDir(), t.TempDir()
	victim := filepath.Join(dir, "victim")
	keyCreate := func(output string, extra ...string) error {
		args := append([]string{"key", "create", "--tag", "t", "--output", output, "--data-dir", data}, extra...)
		return run(t.Context(), args, io.Discard)
	}
	reset := func(name string) {
		os.Remove(name)
		os.Remove(victim)
		if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	unchanged := func(name string) {
		t.Helper()
		if b, _ := os.ReadFile(victim); string(b) != "keep" {
			t.Errorf("%s: victim holds %q, want it untouched", name, b)
		}
		if fi, err := os.Stat(victim); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: victim changed mode or went (%v), want 0644 untouched", name, err)
		}
	}

	link := filepath.Join(dir, "link.key")
	reset(link)
	os.Symlink(victim, link)
	if err := keyCreate(link); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("key create --output LINK = %v, want refused", err)
	}
	unchanged("--output LINK")

	reset(link)
	os.Symlink(filepath.Join(dir, "dangling"), link)
	if err := keyCreate(link); err == nil {
		t.Error("key create --output DANGLING-LINK succeeded")
	}
	if _, err := os.Lstat(filepath.Join(dir, "dangling")); err == nil {
		t.Error("key create --output DANGLING-LINK created the link's target")
	}

	if err := keyCreate(victim); err == nil {
		t.Error("key create --output EXISTING succeeded")
	}
	unchanged("--output EXISTING")

	reset(link)
	os.Symlink(victim, link)
	if err := keyCreate(link, "--force", "--expires", "bogus"); err == nil {
		t.Error("key create --force --expires bogus succeeded")
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("a failed key create --force removed or replaced %s: %v", link, err)
	}
	if err := keyCreate(link, "--force"); err != nil {
		t.Fatalf("key create --force --output LINK = %v", err)
	}
	unchanged("--force --output LINK")
	fi, err := os.Lstat(link)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("after --force, %s is not a regular 0600 file (%v)", link, err)
	}
	if b, _ := os.ReadFile(link); !strings.HasPrefix(string(b), "glpik_") {
		t.Errorf("key file holds %q, want a glpik_ key", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
