package server

import (
	"bytes"
	"testing"
)

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"pc-42", "pc-42"},
		{"ПК бух", "ПК бух"},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"a\x07\tb\nc\r", `a\a\tb\nc\r`},
		{"a\x7fb", `a\x7fb`},
		{"a\u009b31mb", `a\u009b31mb`},
		{"a\u202eb\u2066c\u2028", `a\u202eb\u2066c\u2028`},
		{"a\xffb", `a\ufffdb`},
	}
	for _, tt := range tests {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTextWriter(t *testing.T) {
	var b bytes.Buffer
	TextWriter(&b).Write([]byte("a\tb\x1b[2J\x7f\n"))
	if got, want := b.String(), "a\tb\\x1b[2J\\x7f\n"; got != want {
		t.Errorf("TextWriter wrote %q, want %q", got, want)
	}
}
