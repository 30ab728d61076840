package enroll

import (
	"strings"
	"testing"
)

// FuzzParseKey: whatever a key file holds, parsing never panics, and a key
// it accepts prints back as itself.
func FuzzParseKey(f *testing.F) {
	f.Add(NewKey().String())
	f.Add("glpik_ABCDEFGH_0123456789abcdefghijklAAAAAA")
	f.Add("glpik__")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		if got := k.String(); got != strings.TrimSpace(s) {
			t.Errorf("ParseKey(%q).String() = %q", s, got)
		}
	})
}

// FuzzParseBundle: a bundle string never panics the parser, and what it
// accepts carries a valid key.
func FuzzParseBundle(f *testing.F) {
	f.Add(Bundle{URL: "https://enroll.example.com", Key: NewKey().String()}.String())
	f.Add("glpib_e30")
	f.Add("glpib_!!!")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBundle(s)
		if err != nil {
			return
		}
		if _, err := ParseKey(b.Key); err != nil {
			t.Errorf("ParseBundle(%q) accepted an invalid key: %v", s, err)
		}
	})
}
