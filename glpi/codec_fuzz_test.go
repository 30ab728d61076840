package glpi

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzDecode(f *testing.F) {
	for _, c := range []string{CompressionZlib, CompressionGzip, CompressionDeflate, CompressionNone} {
		enc, ct, err := Encode([]byte(sample), c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct, enc)
	}
	f.Add("application/x-zlib", []byte{0x78, 0x9c})
	f.Add("application/x-gzip", []byte{0x1f, 0x8b, 0x08})
	f.Add("application/x-br", []byte(sample))
	f.Add("text/plain; charset=", []byte("<REPLY/>"))
	const max = 1 << 16
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		got, err := Decode(contentType, bytes.NewReader(body), max)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrUnsupportedEncoding) {
				t.Errorf("Decode(%q, %x) error = %v, want ErrCorrupt, ErrTooLarge or ErrUnsupportedEncoding", contentType, body, err)
			}
			return
		}
		if len(got) > max {
			t.Errorf("Decode(%q, %x) = %d bytes, more than the %d allowed", contentType, body, len(got), max)
		}
		c, _ := CompressionOf(contentType)
		enc, ct, err := Encode(got, c)
		if err != nil {
			t.Fatalf("Encode(%q) error: %v", c, err)
		}
		again, err := Decode(ct, bytes.NewReader(enc), max)
		if err != nil || !bytes.Equal(again, got) {
			t.Errorf("Decode(Encode(%x)) = %x, %v; want the same bytes", got, again, err)
		}
	})
}
