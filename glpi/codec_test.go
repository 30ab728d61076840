package glpi

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const sample = `{"action":"contact","deviceid":"pc42-2024-10-18-16-44-47","name":"GLPI-Agent"}`

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		compression string
		contentType string
	}{
		{"", ContentTypeZlib},
		{CompressionZlib, ContentTypeZlib},
		{CompressionGzip, ContentTypeGzip},
		{CompressionDeflate, ContentTypeDeflate},
		{CompressionNone, ContentTypeJSON},
	}
	for _, tt := range tests {
		t.Run(tt.compression, func(t *testing.T) {
			enc, ct, err := Encode([]byte(sample), tt.compression)
			if err != nil {
				t.Fatalf("Encode(%q) error: %v", tt.compression, err)
			}
			if ct != tt.contentType {
				t.Errorf("Encode(%q) content type = %q, want %q", tt.compression, ct, tt.contentType)
			}
			if tt.compression != CompressionNone && bytes.Equal(enc, []byte(sample)) {
				t.Errorf("Encode(%q) left the body as it was", tt.compression)
			}
			got, err := Decode(ct, bytes.NewReader(enc), 0)
			if err != nil {
				t.Fatalf("Decode(%q) error: %v", ct, err)
			}
			if string(got) != sample {
				t.Errorf("Decode(Encode(x)) = %q, want %q", got, sample)
			}
		})
	}
}

func TestEncodeUnknownCompression(t *testing.T) {
	if _, _, err := Encode([]byte(sample), "br"); !errors.Is(err, ErrUnsupportedEncoding) {
		t.Errorf("Encode(br) error = %v, want ErrUnsupportedEncoding", err)
	}
}

func compress(t *testing.T, kind string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch kind {
	case "zlib":
		w = zlib.NewWriter(&buf)
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate":
		w, _ = flate.NewWriter(&buf, flate.BestCompression)
	}
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestDecodeContentTypes(t *testing.T) {
	tests := []struct {
		contentType string
		body        []byte
	}{
		{"application/x-zlib", compress(t, "zlib", []byte(sample))},
		{"application/x-compress-zlib", compress(t, "zlib", []byte(sample))},
		{"Application/X-Compress-Zlib", compress(t, "zlib", []byte(sample))},
		{"application/x-compress-zlib; charset=binary", compress(t, "zlib", []byte(sample))},
		{"application/x-gzip", compress(t, "gzip", []byte(sample))},
		{"application/x-compress-gzip", compress(t, "gzip", []byte(sample))},
		{"application/x-deflate", compress(t, "deflate", []byte(sample))},
		{"application/x-compress-deflate", compress(t, "deflate", []byte(sample))},
		{"application/json", []byte(sample)},
		{"application/json; charset=utf-8", []byte(sample)},
		{"text/plain", []byte(sample)},
		{"Application/x-compress", []byte(sample)},
		{"", []byte(sample)},
		{";;garbage", []byte(sample)},
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			got, err := Decode(tt.contentType, bytes.NewReader(tt.body), 1<<20)
			if err != nil {
				t.Fatalf("Decode(%q) error: %v", tt.contentType, err)
			}
			if string(got) != sample {
				t.Errorf("Decode(%q) = %q, want %q", tt.contentType, got, sample)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	bomb := compress(t, "zlib", make([]byte, 8<<20))
	gzBomb := compress(t, "gzip", make([]byte, 8<<20))
	truncated := compress(t, "zlib", []byte(strings.Repeat(sample, 100)))
	truncated = truncated[:len(truncated)/2]
	tests := []struct {
		name        string
		contentType string
		r           io.Reader
		want        error
	}{
		{"zlib bomb", ContentTypeZlib, bytes.NewReader(bomb), ErrTooLarge},
		{"gzip bomb", ContentTypeGzip, bytes.NewReader(gzBomb), ErrTooLarge},
		{"plain too large", ContentTypeJSON, bytes.NewReader(make([]byte, 1<<20+1)), ErrTooLarge},
		{"zlib header", ContentTypeZlib, strings.NewReader(sample), ErrCorrupt},
		{"gzip header", ContentTypeGzip, strings.NewReader(sample), ErrCorrupt},
		{"deflate garbage", ContentTypeDeflate, strings.NewReader("\xff\xff\xff\xff"), ErrCorrupt},
		{"truncated zlib", ContentTypeZlib, bytes.NewReader(truncated), ErrCorrupt},
		{"empty zlib", ContentTypeZlib, strings.NewReader(""), ErrCorrupt},
		{"brotli", "application/x-br", strings.NewReader(sample), ErrUnsupportedEncoding},
		{"brotli compress", "application/X-Compress-Br", strings.NewReader(sample), ErrUnsupportedEncoding},
		{"read error", ContentTypeZlib, iotest.ErrReader(iotest.ErrTimeout), iotest.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.contentType, tt.r, 1<<20)
			if !errors.Is(err, tt.want) {
				t.Errorf("Decode(%q) error = %v, want %v", tt.contentType, err, tt.want)
			}
			if tt.want == iotest.ErrTimeout && errors.Is(err, ErrCorrupt) {
				t.Errorf("Decode(%q) error = %v, a read error is not corrupt data", tt.contentType, err)
			}
		})
	}
}

func TestDecodeExactLimit(t *testing.T) {
	b := bytes.Repeat([]byte("a"), 1000)
	got, err := Decode(ContentTypeZlib, bytes.NewReader(compress(t, "zlib", b)), 1000)
	if err != nil || len(got) != 1000 {
		t.Errorf("Decode(1000 bytes, max 1000) = %d bytes, %v; want 1000 bytes, nil", len(got), err)
	}
}

func TestCompressionOf(t *testing.T) {
	tests := map[string]string{
		"application/x-compress-zlib": CompressionZlib,
		"APPLICATION/X-ZLIB":          CompressionZlib,
		"application/x-gzip":          CompressionGzip,
		"application/x-deflate":       CompressionDeflate,
		"application/json":            CompressionNone,
		"application/xml":             CompressionNone,
		"":                            CompressionNone,
	}
	for ct, want := range tests {
		if got, err := CompressionOf(ct); got != want || err != nil {
			t.Errorf("CompressionOf(%q) = %q, %v; want %q, nil", ct, got, err, want)
		}
	}
}

func TestDecodeStopsAtStreamEnd(t *testing.T) {
	body := []byte(`{"action":"inventory","deviceid":"pc"}`)
	// (gzip reads on for a next member, and refuses what follows.)
	for _, c := range []string{CompressionZlib, CompressionDeflate} {
		enc, ctype, err := Encode(body, c)
		if err != nil {
			t.Fatal(err)
		}
		in := bytes.NewReader(append(enc, "after"...))
		got, err := Decode(ctype, in, 0)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%s: Decode = %q, %v", c, got, err)
		}
		if in.Len() != len("after") {
			t.Errorf("%s: %d bytes left unread, want the 5 after the stream", c, in.Len())
		}
	}
}

// Inventory.Encode writes what json.Marshal writes, for content values
// encoded by json.Marshal and kept as json.RawMessage, and for any other.
func TestInventoryEncodeIsMarshal(t *testing.T) {
	raw := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	type soft struct {
		Name    string `json:"name"`
		Version string `json:"version,omitempty"`
	}
	for _, inv := range []*Inventory{
		{Action: "inventory", DeviceID: "pc-2026-01-01-00-00-00", ItemType: "Computer", Content: map[string]any{
			"versionclient": "glpi-agentd_v1",
			"softwares":     raw([]soft{{Name: "<b>&amp;\u2028", Version: "1"}, {Name: "é \"q\" \\ \n"}}),
			"hardware":      map[string]any{"name": "pc", "memory": 2048},
			"cpus":          []soft{{Name: "x"}},
			"empty":         json.RawMessage(nil),
		}},
		{Action: "inventory", DeviceID: "d", ItemType: "Computer", Partial: true, Tag: "<paris>", JobID: "j1", Content: map[string]any{}},
		{DeviceID: "d"},
	} {
		want, err := json.Marshal(inv)
		if err != nil {
			t.Fatal(err)
		}
		got, err := inv.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Encode =\n%s\nwant (json.Marshal)\n%s", got, want)
		}
	}
	if _, err := (&Inventory{Content: map[string]any{"bad": func() {}}}).Encode(); err == nil {
		t.Error("Encode of a value json.Marshal refuses: no error")
	}
}

// BenchmarkInventoryEncode encodes an inventory of 900 softwares whose
// sections are already encoded, as the agent sends it.
func BenchmarkInventoryEncode(b *testing.B) {
	softs := make([]map[string]any, 900)
	for i := range softs {
		softs[i] = map[string]any{"name": fmt.Sprintf("package-%d", i), "version": "1.2.3-4", "publisher": "Debian", "arch": "amd64"}
	}
	s, _ := json.Marshal(softs)
	inv := &Inventory{Action: "inventory", DeviceID: "pc", ItemType: "Computer", Content: map[string]any{"softwares": json.RawMessage(s), "versionclient": "v"}}
	for _, f := range []struct {
		name string
		enc  func() ([]byte, error)
	}{{"Encode", inv.Encode}, {"json.Marshal", func() ([]byte, error) { return json.Marshal(inv) }}} {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				if _, err := f.enc(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// DecodeAppend appends to its buffer, and its limit is on the body alone.
func TestDecodeAppend(t *testing.T) {
	body := []byte(`{"action":"inventory"}`)
	packed, ct, err := Encode(body, CompressionZlib)
	if err != nil {
		t.Fatal(err)
	}
	buf := append(make([]byte, 0, 4), "old:"...)
	got, err := DecodeAppend(buf, ct, bytes.NewReader(packed), int64(len(body)))
	if err != nil || string(got) != "old:"+string(body) {
		t.Errorf("DecodeAppend = %q, %v; want the body after old:", got, err)
	}
	if _, err := DecodeAppend(buf, ct, bytes.NewReader(packed), int64(len(body)-1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("DecodeAppend over the limit = %v, want ErrTooLarge", err)
	}
}

// BenchmarkDecodeAppend inflates a zlib inventory of 900 softwares held in
// memory, as the enrollment service does with a body it has read.
func BenchmarkDecodeAppend(b *testing.B) {
	softs := make([]map[string]any, 900)
	for i := range softs {
		softs[i] = map[string]any{"name": fmt.Sprintf("package-%d", i), "version": "1.2.3-4", "publisher": "Debian", "arch": "amd64",
			"comment": fmt.Sprintf("the %dth package of a fleet's usual machine, described at some length", i)}
	}
	body, _ := json.Marshal(map[string]any{"action": "inventory", "content": map[string]any{"softwares": softs}})
	packed, ct, err := Encode(body, CompressionZlib)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	buf := make([]byte, 0, len(body)+1)
	for b.Loop() {
		got, err := DecodeAppend(buf[:0], ct, bytes.NewReader(packed), 0)
		if err != nil || len(got) != len(body) {
			b.Fatal(len(got), err)
		}
	}
}
