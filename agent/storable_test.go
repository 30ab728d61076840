package agent

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// The fixtures in testdata/official were written by Perl's Storable
// (store, and nstore for network order), as the official agent writes its
// state.
func TestReadStorableHash(t *testing.T) {
	tests := []struct {
		file string
		want map[string]string
	}{
		{"GLPI-Agent.dump", map[string]string{"deviceid": "pc01-2024-10-18-16-44-47", "agentid": "0a1b2c3d-0000-4000-8000-123456789abc"}},
		{"FusionInventory-Agent.dump", map[string]string{"deviceid": "PC01.example.org-2023-02-03-04-05-06"}},
		// nstore: network order, an integer too large for 32 bits as a
		// string, a double, nested array and hash, read past.
		{"nstore.dump", map[string]string{"deviceid": "pc42-2024-10-18-16-44-47", "agentid": "0a1b2c3d-0000-4000-8000-123456789abc",
			"n": "-3", "big": "1234567890123", "d": "1.5"}},
		// A UTF-8 string, a Latin-1 key, a long scalar.
		{"utf8.dump", map[string]string{"deviceid": "café-2024-10-18-16-44-47", "cl\xe9": "v", "long": string(bytes.Repeat([]byte("x"), 300))}},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join("testdata", "official", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := readStorableHash(b)
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.file, got, tt.want)
		}
		// Cut anywhere, the file is an error, never a panic or a hash.
		for n := range len(b) {
			if m, err := readStorableHash(b[:n]); err == nil {
				t.Errorf("%s cut to %d bytes read as %q", tt.file, n, m)
			}
		}
	}
}

// A 32-bit Perl's native file (4-byte integers, "1234"), a hash with
// flags (restricted, or with UTF-8 keys) and a reference to the hash, built
// by hand from Storable's layout.
func TestReadStorableHashLayouts(t *testing.T) {
	le32 := func(n int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(n)) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	header32 := []byte("pst0\x04\x0b\x041234\x04\x04\x04\x08")
	header64 := []byte("pst0\x04\x0b\x0812345678\x04\x08\x08\x08")
	id := []byte("\x0a\x18pc01-2024-10-18-16-44-47")
	for name, tt := range map[string]struct {
		b    []byte
		want map[string]string
	}{
		"32-bit integers": {cat(header32, []byte{sxHash}, le32(2), id, le32(8), []byte("deviceid"),
			[]byte{sxInteger}, le32(70000), le32(1), []byte("n")),
			map[string]string{"deviceid": "pc01-2024-10-18-16-44-47", "n": "70000"}},
		"hash with flags": {cat(header64, []byte{sxFlagHash, 0}, le32(1), id, []byte{0}, le32(8), []byte("deviceid")),
			map[string]string{"deviceid": "pc01-2024-10-18-16-44-47"}},
		"reference to the hash": {cat(header64, []byte{sxRef, sxHash}, le32(1), id, le32(8), []byte("deviceid")),
			map[string]string{"deviceid": "pc01-2024-10-18-16-44-47"}},
	} {
		got, err := readStorableHash(tt.b)
		if err != nil || !maps.Equal(got, tt.want) {
			t.Errorf("%s: %q, %v; want %q", name, got, err, tt.want)
		}
	}
	for name, b := range map[string][]byte{
		"no magic":         []byte("perl\x04\x0b"),
		"an array":         cat(header64, []byte{sxArray}, le32(0)),
		"a huge length":    cat(header64, []byte{sxHash}, le32(1<<30)),
		"an unknown value": cat(header64, []byte{sxHash}, le32(1), []byte{0x7f}),
		"too deep":         cat(header64, []byte{sxHash}, le32(1), bytes.Repeat([]byte{sxRef}, 100)),
	} {
		if m, err := readStorableHash(b); !errors.Is(err, errStorable) {
			t.Errorf("%s: %q, %v; want an error", name, m, err)
		}
	}
}

// The official agent's state file is read whatever it holds.
func FuzzReadStorableHash(f *testing.F) {
	for _, name := range []string{"GLPI-Agent.dump", "nstore.dump", "utf8.dump"} {
		b, err := os.ReadFile(filepath.Join("testdata", "official", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := readStorableHash(b)
		if err == nil && m == nil {
			t.Fatal("no error and no hash")
		}
	})
}
