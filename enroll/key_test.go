package enroll

import (
	"errors"
	"strings"
	"testing"
)

func TestKeyRoundTrip(t *testing.T) {
	for range 50 {
		k := NewKey()
		s := k.String()
		if len(s) != len(KeyPrefix)+KeyIDLen+1+KeySecretLen+keyChecksumLen {
			t.Fatalf("len(%q) = %d", s, len(s))
		}
		got, err := ParseKey(s)
		if err != nil || got != k {
			t.Fatalf("ParseKey(%q) = %+v, %v; want %+v", s, got, err, k)
		}
	}
	if a, b := NewKey(), NewKey(); a == b {
		t.Error("NewKey returned the same key twice")
	}
}

func TestParseKeyErrors(t *testing.T) {
	good := NewKey().String()
	flip := func(s string, i int) string {
		c := byte('a')
		if s[i] == 'a' {
			c = 'b'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrKeyFormat},
		{"wrong prefix", "glpix_" + good[6:], ErrKeyFormat},
		{"truncated", good[:len(good)-1], ErrKeyFormat},
		{"no separator", strings.Replace(good, "_", "", 2), ErrKeyFormat},
		{"not base62", good[:len(good)-1] + "-", ErrKeyFormat},
		{"typo in secret", flip(good, len(KeyPrefix)+KeyIDLen+3), ErrKeyChecksum},
		{"typo in id", flip(good, len(KeyPrefix)+1), ErrKeyChecksum},
		{"typo in checksum", flip(good, len(good)-1), ErrKeyChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseKey(tt.in); !errors.Is(err, tt.want) {
				t.Errorf("ParseKey(%q) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
	if _, err := ParseKey("  " + good + "\n"); err != nil {
		t.Errorf("ParseKey(with spaces) = %v, want nil", err)
	}
}

func TestBundle(t *testing.T) {
	key := NewKey().String()
	pin := "sha256/" + strings.Repeat("A", 43) + "="
	b := Bundle{URL: "https://enroll.example.org:8443", Pin: pin, Key: key}
	got, err := ParseBundle(b.String())
	if err != nil || got != b {
		t.Fatalf("ParseBundle(String()) = %+v, %v; want %+v", got, err, b)
	}
	tests := []struct {
		name string
		in   string
	}{
		{"no prefix", "glpik_abc"},
		{"bad base64", BundlePrefix + "!!!"},
		{"not json", BundlePrefix + "bm90IGpzb24"},
		{"bad url", Bundle{URL: "ftp://x", Key: key}.String()},
		{"bad pin", Bundle{URL: "https://x", Pin: "md5/abc", Key: key}.String()},
		{"bad key", Bundle{URL: "https://x", Key: key[:20]}.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseBundle(tt.in); !errors.Is(err, ErrBundle) {
				t.Errorf("ParseBundle(%q) = %v, want ErrBundle", tt.in, err)
			}
		})
	}
}

func TestParsePin(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"sha256/" + strings.Repeat("A", 43) + "=", true},
		{strings.Repeat("ab", 32), true},
		{strings.Repeat("ab", 31), false},
		{"sha256/short", false},
		{"", false},
	}
	for _, tt := range tests {
		if _, err := ParsePin(tt.in); (err == nil) != tt.ok {
			t.Errorf("ParsePin(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(AccessTokenPrefix), NewToken(AccessTokenPrefix)
	if a == b || !strings.HasPrefix(a, AccessTokenPrefix) || len(a) != len(AccessTokenPrefix)+tokenRandLen {
		t.Errorf("NewToken = %q, %q; want distinct prefixed tokens", a, b)
	}
	if h := HashToken(a); len(h) != 64 || h == HashToken(b) || strings.Contains(h, a) {
		t.Errorf("HashToken(%q) = %q", a, h)
	}
}
