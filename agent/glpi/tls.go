package glpi

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// tlsConfig builds the client's TLS settings: the system roots plus
// cfg.CAFile, and public-key pinning when cfg.PinSHA256 is set.
func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read CA file %q: no PEM certificate found", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	if len(cfg.PinSHA256) == 0 {
		return tc, nil
	}
	pins := make([][]byte, 0, len(cfg.PinSHA256))
	for _, p := range cfg.PinSHA256 {
		sum, err := parsePin(p)
		if err != nil {
			return nil, err
		}
		pins = append(pins, sum)
	}
	// A pin replaces chain verification, so that a self-signed server can
	// be trusted by its key alone; VerifyConnection still runs.
	roots := tc.RootCAs
	tc.InsecureSkipVerify = true
	tc.VerifyConnection = func(cs tls.ConnectionState) error {
		return verifyPins(cs, pins, roots)
	}
	return tc, nil
}

// parsePin decodes a SHA-256 pin written in hex (colons allowed) or base64,
// optionally prefixed with "sha256//" as curl writes them.
func parsePin(s string) ([]byte, error) {
	p := strings.TrimPrefix(strings.TrimSpace(s), "sha256//")
	if h := strings.ReplaceAll(p, ":", ""); len(h) == 2*sha256.Size {
		if b, err := hex.DecodeString(h); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(p); err == nil && len(b) == sha256.Size {
			return b, nil
		}
	}
	return nil, fmt.Errorf("parse pin %q: not a hex or base64 SHA-256", s)
}

// SPKIPin returns the pin of a certificate: the base64 SHA-256 of its
// SubjectPublicKeyInfo, as Config.PinSHA256 accepts it.
func SPKIPin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// pinError reports a server whose certificates match no pin.
type pinError struct{}

func (pinError) Error() string {
	return "server certificate matches none of the pinned public keys"
}

// verifyPins accepts the connection when a certificate the server sent, or
// one of a chain verified to the trusted roots (which may hold a pinned CA
// the server does not send), has a pinned public key.
func verifyPins(cs tls.ConnectionState, pins [][]byte, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("server sent no certificate")
	}
	match := func(c *x509.Certificate) bool {
		sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
		for _, p := range pins {
			if bytes.Equal(sum[:], p) {
				return true
			}
		}
		return false
	}
	for _, c := range cs.PeerCertificates {
		if match(c) {
			return nil
		}
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	chains, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, DNSName: cs.ServerName,
	})
	if err == nil {
		for _, chain := range chains {
			for _, c := range chain {
				if match(c) {
					return nil
				}
			}
		}
	}
	return &pinError{}
}
