package enroll

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"net/url"
	"strings"

	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
)

// Registration key layout: "glpik_" + public id + "_" + secret + checksum.
// The public id names the key in logs and listings; the secret is never
// stored or logged; the checksum (CRC32 of everything before it, in base62)
// lets ParseKey catch typos offline.
const (
	KeyPrefix      = "glpik_"
	BundlePrefix   = "glpib_"
	KeyIDLen       = 8
	KeySecretLen   = 22 // 62^22 > 2^130
	keyChecksumLen = 6  // 62^6 > 2^32
	tokenRandLen   = 43 // 62^43 > 2^256
)

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Errors returned by ParseKey and ParseBundle.
var (
	ErrKeyFormat   = errors.New("registration key is malformed")
	ErrKeyChecksum = errors.New("registration key checksum mismatch (mistyped or truncated key)")
	ErrBundle      = errors.New("enrollment bundle is malformed")
)

// Key is a parsed registration key.
type Key struct {
	ID     string
	Secret string
}

// String returns the full key, secret included.
func (k Key) String() string {
	body := KeyPrefix + k.ID + "_" + k.Secret
	return body + checksum(body)
}

// NewKey returns a random registration key.
func NewKey() Key {
	return Key{ID: randomBase62(KeyIDLen), Secret: randomBase62(KeySecretLen)}
}

// ParseKey parses and checks a registration key without contacting the server.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, KeyPrefix)
	if !ok {
		return Key{}, fmt.Errorf("%w: missing %q prefix", ErrKeyFormat, KeyPrefix)
	}
	id, tail, ok := strings.Cut(rest, "_")
	if !ok || len(id) != KeyIDLen || len(tail) != KeySecretLen+keyChecksumLen ||
		!isBase62(id) || !isBase62(tail) {
		return Key{}, fmt.Errorf("%w: want %s<%d chars>_<%d chars>", ErrKeyFormat, KeyPrefix, KeyIDLen, KeySecretLen+keyChecksumLen)
	}
	secret, sum := tail[:KeySecretLen], tail[KeySecretLen:]
	if checksum(KeyPrefix+id+"_"+secret) != sum {
		return Key{}, ErrKeyChecksum
	}
	return Key{ID: id, Secret: secret}, nil
}

// NewToken returns a random opaque token with the given prefix, such as
// AccessTokenPrefix, carrying 256 bits of entropy.
func NewToken(prefix string) string {
	return prefix + randomBase62(tokenRandLen)
}

// HashToken returns the hex SHA-256 of a token, the only form in which the
// server stores access tokens, refresh and replace secrets.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Bundle configures an agent with one string: the server URL, an optional
// SPKI pin of the server certificate and a registration key.
type Bundle struct {
	URL string `json:"url"`
	Pin string `json:"pin,omitempty"`
	Key string `json:"key"`
}

// String encodes b as "glpib_<base64url JSON>".
func (b Bundle) String() string {
	data, _ := json.Marshal(b) // a struct of strings always marshals
	return BundlePrefix + base64.RawURLEncoding.EncodeToString(data)
}

// ParseBundle decodes and checks an enrollment bundle.
func ParseBundle(s string) (Bundle, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), BundlePrefix)
	if !ok {
		return Bundle{}, fmt.Errorf("%w: missing %q prefix", ErrBundle, BundlePrefix)
	}
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(rest, "="))
	if err != nil {
		return Bundle{}, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return Bundle{}, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	u, err := url.Parse(b.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Bundle{}, fmt.Errorf("%w: url %q is not an http(s) URL", ErrBundle, b.URL)
	}
	if b.Pin != "" {
		if _, err := ParsePin(b.Pin); err != nil {
			return Bundle{}, fmt.Errorf("%w: %v", ErrBundle, err)
		}
	}
	if _, err := ParseKey(b.Key); err != nil {
		return Bundle{}, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	return b, nil
}

// ParsePin decodes a certificate pin in any form package tlspin accepts
// into the 32-byte SHA-256 of a SubjectPublicKeyInfo.
func ParsePin(pin string) ([]byte, error) {
	p, err := tlspin.Parse(pin)
	if err != nil {
		return nil, err
	}
	return p[:], nil
}

// PinOf returns the "sha256/<base64>" pin of a certificate's public key.
func PinOf(cert *x509.Certificate) string { return tlspin.Of(cert).String() }

func checksum(s string) string {
	return encodeBase62(uint64(crc32.ChecksumIEEE([]byte(s))), keyChecksumLen)
}

// encodeBase62 writes v in base62 on exactly n digits, most significant first.
func encodeBase62(v uint64, n int) string {
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = base62Alphabet[v%62]
		v /= 62
	}
	return string(out)
}

// randomBase62 returns n uniformly random base62 characters.
func randomBase62(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		rand.Read(buf) // never fails (crypto/rand panics on failure)
		for _, b := range buf {
			if b >= 248 { // 248 = 4*62: reject to keep the draw unbiased
				continue
			}
			out = append(out, base62Alphabet[b%62])
			if len(out) == n {
				break
			}
		}
	}
	return string(out)
}

func isBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
