package main

import (
	"io"
	"os"
	"path/filepath"
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
