package glpi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
)

// Compression names, as accepted by Encode and returned by CompressionOf.
const (
	CompressionZlib    = "zlib"
	CompressionGzip    = "gzip"
	CompressionDeflate = "deflate"
	CompressionNone    = "none"
)

// Content types the agent sends and a GLPI server mirrors in its answers.
const (
	ContentTypeZlib    = "application/x-compress-zlib"
	ContentTypeGzip    = "application/x-compress-gzip"
	ContentTypeDeflate = "application/x-compress-deflate"
	ContentTypeJSON    = "application/json"
)

// DefaultMaxBytes is the decompressed size Decode allows when given no limit.
// GLPI budgets 1 GiB of memory for a 20 MB switch inventory; computers are
// far smaller.
const DefaultMaxBytes = 64 << 20

var (
	// ErrTooLarge reports a body whose decompressed size exceeds the limit.
	ErrTooLarge = errors.New("body too large")
	// ErrCorrupt reports compressed data that cannot be decompressed.
	ErrCorrupt = errors.New("corrupt compressed data")
	// ErrUnsupportedEncoding reports a compression this package does not
	// implement (brotli); a server answers it with 415.
	ErrUnsupportedEncoding = errors.New("unsupported compression")
)

// contentTypes maps every request Content-Type GLPI recognises to its
// compression; any other type means an uncompressed body.
var contentTypes = map[string]string{
	"application/x-zlib":             CompressionZlib,
	"application/x-compress-zlib":    CompressionZlib,
	"application/x-gzip":             CompressionGzip,
	"application/x-compress-gzip":    CompressionGzip,
	"application/x-deflate":          CompressionDeflate,
	"application/x-compress-deflate": CompressionDeflate,
	"application/x-br":               "br",
	"application/x-compress-br":      "br",
}

// CompressionOf returns the compression a Content-Type announces: zlib, gzip,
// deflate, or none for JSON, XML, text and unknown types, as GLPI does. It
// returns ErrUnsupportedEncoding for brotli.
func CompressionOf(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	c, ok := contentTypes[mt]
	switch {
	case !ok:
		return CompressionNone, nil
	case c == "br":
		return "", fmt.Errorf("content type %q: brotli: %w", contentType, ErrUnsupportedEncoding)
	}
	return c, nil
}

// zlibWriters are reused by Encode: a new writer allocates and clears
// about 1 MB of compressor state, which a relay paid on every inventory.
var zlibWriters = sync.Pool{New: func() any { return zlib.NewWriter(nil) }}

// zlibReaders are reused by Decode: a new reader allocates its 32 KB
// window, a tenth of what the service allocated for an inventory.
var zlibReaders sync.Pool

// zlibReader returns a zlib reader of r, from zlibReaders when it has one.
func zlibReader(r io.Reader) (io.ReadCloser, error) {
	if zr, ok := zlibReaders.Get().(io.ReadCloser); ok {
		if err := zr.(zlib.Resetter).Reset(r, nil); err != nil {
			zlibReaders.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return zlib.NewReader(r)
}

// Encode compresses a JSON body and returns it with its Content-Type.
// compression is zlib (the default when empty), gzip, deflate or none.
func Encode(body []byte, compression string) (encoded []byte, contentType string, err error) {
	var (
		buf bytes.Buffer
		w   io.WriteCloser
	)
	switch compression {
	case "", CompressionZlib:
		zw := zlibWriters.Get().(*zlib.Writer)
		defer zlibWriters.Put(zw)
		zw.Reset(&buf)
		w, contentType = zw, ContentTypeZlib
	case CompressionGzip:
		w, contentType = gzip.NewWriter(&buf), ContentTypeGzip
	case CompressionDeflate:
		fw, _ := flate.NewWriter(&buf, flate.DefaultCompression) // fails only on a bad level
		w, contentType = fw, ContentTypeDeflate
	case CompressionNone:
		return body, ContentTypeJSON, nil
	default:
		return nil, "", fmt.Errorf("encode body: compression %q: %w", compression, ErrUnsupportedEncoding)
	}
	if _, err := w.Write(body); err != nil {
		return nil, "", fmt.Errorf("encode body: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, "", fmt.Errorf("encode body: %w", err)
	}
	return buf.Bytes(), contentType, nil
}

// Decode reads a body framed as contentType says and returns it
// decompressed. It reads at most maxBytes decompressed bytes
// (DefaultMaxBytes when maxBytes <= 0) and fails with an error wrapping
// ErrTooLarge beyond, ErrCorrupt for damaged compressed data and
// ErrUnsupportedEncoding for brotli. Content types are matched
// case-insensitively; unknown ones are read as they are.
func Decode(contentType string, r io.Reader, maxBytes int64) ([]byte, error) {
	return DecodeAppend(nil, contentType, r, maxBytes)
}

// DecodeAppend is Decode appending the body to dst, so that a caller
// decoding many bodies can reuse one buffer.
func DecodeAppend(dst []byte, contentType string, r io.Reader, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	compression, err := CompressionOf(contentType)
	if err != nil {
		return nil, fmt.Errorf("decode body: %w", err)
	}
	src := &readErr{r: r}
	// A reader that is also a ByteReader (a *bytes.Reader) is read by the
	// decompressors no further than the compressed stream's end, so that
	// its caller can tell whether bytes follow it; a network body is
	// buffered as usual.
	var in io.Reader = src
	switch br := r.(type) {
	case *bytes.Reader, *bytes.Buffer, *strings.Reader:
		// Memory cannot fail to read, and the decompressors read these
		// types directly, several times faster than a ByteReader of
		// unknown type.
		in = br
	case flate.Reader:
		in = byteReadErr{src, br}
	}
	var dec io.Reader
	switch compression {
	case CompressionZlib:
		zr, err := zlibReader(in)
		if err != nil {
			return nil, decodeError(compression, src, err)
		}
		defer zlibReaders.Put(zr)
		dec = zr
	case CompressionGzip:
		gr, err := gzip.NewReader(in)
		if err != nil {
			return nil, decodeError(compression, src, err)
		}
		defer gr.Close()
		dec = gr
	case CompressionDeflate:
		fr := flate.NewReader(in)
		defer fr.Close()
		dec = fr
	default:
		dec = src
	}
	b, err := ReadAppend(dst, io.LimitReader(dec, maxBytes+1))
	if err != nil {
		return nil, decodeError(compression, src, err)
	}
	if int64(len(b)-len(dst)) > maxBytes {
		return nil, fmt.Errorf("decode %s body: %w: more than %d bytes", compression, ErrTooLarge, maxBytes)
	}
	return b, nil
}

// ReadAppend is io.ReadAll appending to b: it reads r to its end into
// b's spare capacity, growing b as io.ReadAll grows its buffer.
func ReadAppend(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // room to read into
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// decodeError tells a failure to read the underlying stream apart from
// corrupt compressed data.
func decodeError(compression string, src *readErr, err error) error {
	if src.err != nil {
		return fmt.Errorf("read %s body: %w", compression, src.err)
	}
	if compression == CompressionNone {
		return fmt.Errorf("read body: %w", err)
	}
	return fmt.Errorf("decode %s body: %w: %w", compression, ErrCorrupt, err)
}

// readErr remembers the first error other than io.EOF its reader returned.
type readErr struct {
	r   io.Reader
	err error
}

// byteReadErr is a readErr whose reader is also a ByteReader.
type byteReadErr struct {
	*readErr
	br io.ByteReader
}

func (b byteReadErr) ReadByte() (byte, error) {
	c, err := b.br.ReadByte()
	if err != nil && err != io.EOF && b.readErr.err == nil {
		b.readErr.err = err
	}
	return c, err
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
