package state

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestValidDeviceID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"pc42-2024-10-18-16-44-47", true},
		{"pc42.example.org-2024-10-18-16-44-47", true},
		{"ПК-бух_1-2024-10-18-16-44-47", true},
		{"-2024-10-18-16-44-47", false},
		{"pc42", false},
		{"pc42-2024-13-18-16-44-47", false},
		{"../../x-2024-10-18-16-44-47", false},
		{"..-2024-10-18-16-44-47", false},
		{"a/b-2024-10-18-16-44-47", false},
		{`a\b-2024-10-18-16-44-47`, false},
		{"c:x-2024-10-18-16-44-47", false},
		{"pc\x1b[2J-2024-10-18-16-44-47", false},
		{"pc 42-2024-10-18-16-44-47", false},
		{strings.Repeat("a", 200) + "-2024-10-18-16-44-47", false},
		{"pc42-2024-10-18-16-44-47\x00", false},
	}
	for _, tt := range tests {
		if got := ValidDeviceID(tt.id); got != tt.want {
			t.Errorf("ValidDeviceID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestWriteFileIn(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need a privilege on Windows")
	}
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	elsewhere := filepath.Join(base, "elsewhere")
	for _, d := range []string{dir, elsewhere} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFileIn(dir, "a.json", []byte("1"), 0o600); err != nil {
		t.Fatalf("WriteFileIn(dir) = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.json")); string(b) != "1" {
		t.Errorf("a.json = %q, want 1", b)
	}

	// A link planted at the name is replaced, not followed.
	victim := filepath.Join(elsewhere, "victim")
	os.WriteFile(victim, []byte("keep"), 0o600)
	os.Symlink(victim, filepath.Join(dir, "b.json"))
	if err := WriteFileIn(dir, "b.json", []byte("2"), 0o600); err != nil {
		t.Fatalf("WriteFileIn over a link = %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("link target = %q, want it untouched", b)
	}

	// A directory that is a link is refused, with or without a trailing slash.
	link := filepath.Join(base, "link")
	os.Symlink(elsewhere, link)
	for _, d := range []string{link, link + "/"} {
		if err := WriteFileIn(d, "c.json", []byte("3"), 0o600); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("WriteFileIn(%q) = %v, want a symbolic link refused", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "c.json")); err == nil {
		t.Error("c.json written through the link")
	}

	for _, name := range []string{"", ".", "..", "../x", "a/b", `a\b`} {
		if err := WriteFileIn(dir, name, nil, 0o600); err == nil {
			t.Errorf("WriteFileIn(dir, %q) = nil, want an error", name)
		}
	}
}
