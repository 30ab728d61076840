// Package tlspin is the one TLS trust policy of every client the agent
// runs, to GLPI directly and to glpi-enrolld: which CAs it trusts, how a
// public-key pin is written, and what a pin proves.
//
// A pin is the SHA-256 of a certificate's SubjectPublicKeyInfo, or of the
// certificate itself, as the official GLPI agent's ssl-fingerprint gives
// it. Every form in use is accepted: "sha256/<base64>" (glpi-enrolld's key
// bundles), "sha256//<base64>" (curl's --pinnedpubkey), bare base64
// (standard or URL alphabet, padded or not), 64 hex digits (any case,
// colons allowed), and the official agent's "sha256$<hex>" (a certificate)
// and "sha256$pub$<hex>" (a public key). A pin matches a certificate whose
// key or whose encoding has that digest: either proves the same server,
// and no one can make another key or certificate of a given SHA-256. So a
// bare digest, which the official agent reads as a certificate's and this
// package as a key's, works either way. A list, separated by commas,
// semicolons or spaces, holds several pins so that a key can be rotated.
//
// The server is accepted when
//   - its leaf certificate, or that certificate's key, is pinned: the
//     handshake proves the server holds that key, so a self-signed server
//     needs nothing else; or
//   - its leaf verifies, for the server's name, through the chain it sent to
//     a trusted root or a pinned certificate, and a certificate of that
//     verified chain is pinned (a pinned private CA).
//
// A pinned certificate that merely appears somewhere in what the server
// sends proves nothing: anyone can send a copy of a public certificate.
// Without pins, ordinary verification applies. The CA file and the CA
// directory, when given, replace the system roots: the client trusts
// exactly the CAs they hold, as the official agent's ca-cert-file and
// ca-cert-dir do.
//
// A client certificate, when given, is sent to a server that asks for one
// (mutual TLS, such as a reverse proxy in front of GLPI that admits only
// the fleet's machines), whatever CAs the server names as acceptable, as
// the official agent's ssl-cert-file is.
package tlspin

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Pin is the SHA-256 of a SubjectPublicKeyInfo, or of a certificate.
type Pin [sha256.Size]byte

// String writes the pin as glpi-enrolld's bundles do: "sha256/<base64>".
func (p Pin) String() string { return "sha256/" + base64.StdEncoding.EncodeToString(p[:]) }

// Of returns the pin of a certificate's public key.
func Of(cert *x509.Certificate) Pin { return sha256.Sum256(cert.RawSubjectPublicKeyInfo) }

// Parse decodes one pin in any of the accepted forms.
func Parse(s string) (Pin, error) {
	var p Pin
	t := strings.TrimSpace(s)
	if algo, rest, ok := strings.Cut(t, "$"); ok {
		return parseOfficial(s, strings.ToLower(algo), rest)
	}
	// "sha256//" is curl's prefix, or ours before a digest that starts
	// with a slash: the one that decodes wins.
	for _, prefix := range []string{"sha256//", "sha256/", ""} {
		rest, ok := strings.CutPrefix(t, prefix)
		if !ok {
			continue
		}
		if h := strings.ReplaceAll(rest, ":", ""); len(h) == 2*sha256.Size {
			if b, err := hex.DecodeString(h); err == nil {
				copy(p[:], b)
				return p, nil
			}
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(rest); err == nil && len(b) == sha256.Size {
				copy(p[:], b)
				return p, nil
			}
		}
	}
	return p, fmt.Errorf("parse pin %q: want the SHA-256 of a public key as sha256/<base64>, base64 or 64 hex digits", s)
}

// parseOfficial decodes the official agent's "<algo>$[pub$]<hex>", the
// form of IO::Socket::SSL's SSL_fingerprint.
func parseOfficial(s, algo, rest string) (Pin, error) {
	var p Pin
	if algo != "sha256" {
		return p, fmt.Errorf("parse pin %q: a %s fingerprint is too weak to pin a server: give its SHA-256 (sha256$<hex>)", s, algo)
	}
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, "pub$"), "PUB$")
	b, err := hex.DecodeString(strings.ReplaceAll(rest, ":", ""))
	if err != nil || len(b) != sha256.Size {
		return p, fmt.Errorf("parse pin %q: want sha256$ then 64 hex digits", s)
	}
	copy(p[:], b)
	return p, nil
}

// ParseList decodes a list of pins separated by commas, semicolons or
// spaces; an empty list is no pin.
func ParseList(s string) ([]Pin, error) {
	var pins []Pin
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' }) {
		p, err := Parse(f)
		if err != nil {
			return nil, err
		}
		pins = append(pins, p)
	}
	return pins, nil
}

// Config is a client's trust settings.
type Config struct {
	// Host is the server's host name or address, which a certificate
	// verified through a chain must name.
	Host string
	// CAFile is a PEM bundle of the CAs to trust instead of the system
	// roots; empty means the system roots.
	CAFile string
	// CADir is a directory of PEM files of CAs (such as OpenSSL's hashed
	// directories, "<hash>.0"), trusted with CAFile's instead of the
	// system roots.
	CADir string
	// CertFile is a PEM file of the client certificate, its chain, and
	// its private key unless KeyFile names the key's file.
	CertFile, KeyFile string
	// Pins lists pins, each in any accepted form (or several in one string).
	Pins []string
	// InsecureSkipVerify accepts any certificate when there is no pin; with
	// pins, it only waives the chain's verification of a pinned leaf, which
	// is never verified anyway.
	InsecureSkipVerify bool
}

// ClientConfig returns the TLS settings for cfg.
func ClientConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	roots, err := loadRoots(cfg.CAFile, cfg.CADir)
	if err != nil {
		return nil, err
	}
	tc.RootCAs = roots
	if cfg.CertFile != "" {
		cert, err := LoadClientCertificate(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		// Sent whenever the server asks, as OpenSSL does: Go's default
		// would send nothing to a server naming other acceptable CAs,
		// which such servers often name wrongly or not at all.
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	} else if cfg.KeyFile != "" {
		return nil, fmt.Errorf("client key file %q given without its certificate: set the certificate file too", cfg.KeyFile)
	}
	pins, err := ParseList(strings.Join(cfg.Pins, ","))
	if err != nil {
		return nil, err
	}
	if len(pins) == 0 {
		tc.InsecureSkipVerify = cfg.InsecureSkipVerify
		return tc, nil
	}
	// Verification is done by VerifyConnection, which runs the standard
	// chain and name checks itself where a pin needs them.
	roots, host := tc.RootCAs, cfg.Host
	tc.InsecureSkipVerify = true
	tc.VerifyConnection = func(cs tls.ConnectionState) error {
		if cs.ServerName == "" {
			// No SNI for an IP address: the address is the name.
			cs.ServerName = host
		}
		return Verify(cs, roots, pins)
	}
	return tc, nil
}

// loadRoots returns the CAs of a PEM bundle and of a directory's PEM
// files, or nil (the system roots) when neither is given.
func loadRoots(file, dir string) (*x509.CertPool, error) {
	if file == "" && dir == "" {
		return nil, nil
	}
	b, err := CABundle(file, dir)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b)
	return pool, nil
}

// CABundle returns, as one PEM bundle, the certificates of a CA file and
// of a CA directory's files (either may be empty): what ca_cert_file and
// ca_cert_dir trust. In the directory, files and links to them count (a
// hashed directory's "<hash>.0"), never subdirectories, and a file
// without a certificate (a README, a CRL) is passed over; a CA file, or a
// directory, without any certificate is an error.
func CABundle(file, dir string) ([]byte, error) {
	var bundle []byte
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		if bundle = pemCertificates(b); len(bundle) == 0 {
			return nil, fmt.Errorf("read CA file %q: no PEM certificate found", file)
		}
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("read CA directory: %w", err)
		}
		found := len(bundle)
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("read CA directory: %w", err)
			}
			bundle = append(bundle, pemCertificates(b)...)
		}
		if len(bundle) == found {
			return nil, fmt.Errorf("read CA directory %q: no PEM certificate found", dir)
		}
	}
	return bundle, nil
}

// pemCertificates returns the PEM certificates of b, re-encoded, leaving
// out everything else (text, keys, CRLs) and certificates that do not
// parse, as x509.CertPool.AppendCertsFromPEM does.
func pemCertificates(b []byte) []byte {
	var out []byte
	for {
		var block *pem.Block
		if block, b = pem.Decode(b); block == nil {
			return out
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err == nil {
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: block.Bytes})...)
		}
	}
}

// LoadClientCertificate reads a client certificate and its key: PEM
// files, the certificate first in certFile with its chain after it, the
// key in keyFile, or in certFile when keyFile is empty. An encrypted key
// and a PKCS#12 or DER file are refused with how to convert them.
func LoadClientCertificate(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("read client certificate: %w", err)
	}
	keyPEM, keyName := certPEM, certFile
	if keyFile != "" {
		if keyPEM, err = os.ReadFile(keyFile); err != nil {
			return tls.Certificate{}, fmt.Errorf("read client key: %w", err)
		}
		keyName = keyFile
	}
	if !bytes.Contains(certPEM, []byte("-----BEGIN")) {
		return tls.Certificate{}, fmt.Errorf("read client certificate %q: not PEM (a PKCS#12 .pfx or .p12 file, or DER?): convert it with openssl pkcs12 -in FILE -out client.pem -nodes", certFile)
	}
	if bytes.Contains(keyPEM, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----")) || bytes.Contains(keyPEM, []byte("Proc-Type: 4,ENCRYPTED")) {
		return tls.Certificate{}, fmt.Errorf("read client key %q: the key is encrypted; give it unencrypted in a file only the agent's account can read (openssl pkey -in FILE -out key.pem)", keyName)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err == nil && cert.Leaf == nil {
		cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0])
	}
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("read client certificate %q and key %q: %w", certFile, keyName, err)
	}
	return cert, nil
}

// ErrNoMatch reports a server whose certificates prove none of the pins.
var ErrNoMatch = errors.New("server certificate matches none of the pinned public keys and certificates")

// Verify checks a connection's certificates against pins, as the package
// documentation says; roots nil means the system roots.
func Verify(cs tls.ConnectionState, roots *x509.CertPool, pins []Pin) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("server sent no certificate")
	}
	pinned := func(c *x509.Certificate) bool {
		key, whole := Of(c), sha256.Sum256(c.Raw)
		for _, p := range pins {
			if bytes.Equal(key[:], p[:]) || bytes.Equal(whole[:], p[:]) {
				return true
			}
		}
		return false
	}
	leaf := cs.PeerCertificates[0]
	if pinned(leaf) {
		return nil
	}
	// A pinned CA among the certificates sent is a root for this check:
	// the leaf must still verify to it, signature by signature.
	if roots == nil {
		sys, err := x509.SystemCertPool()
		if err != nil || sys == nil {
			sys = x509.NewCertPool()
		}
		roots = sys
	} else {
		roots = roots.Clone()
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
		if pinned(c) {
			roots.AddCert(c)
		}
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: cs.ServerName})
	if err != nil {
		return fmt.Errorf("%w (and its chain does not verify to a pinned key: %v)", ErrNoMatch, err)
	}
	for _, chain := range chains {
		for _, c := range chain {
			if pinned(c) {
				return nil
			}
		}
	}
	return ErrNoMatch
}
