// Package tlstest makes certificates for tests: CAs, and the servers and
// clients they sign, on ECDSA P-256 keys, valid from an hour ago for an
// hour, or expired.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// Cert is a certificate and its key.
type Cert struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// New makes a certificate named cn for hosts (names or addresses), signed
// by parent, or self-signed when parent is nil; isCA makes a CA. It serves
// as a server's and as a client's.
func New(t testing.TB, cn string, parent *Cert, isCA bool, hosts ...string) *Cert {
	t.Helper()
	return newCert(t, cn, parent, isCA, time.Now().Add(time.Hour), hosts)
}

// Expired makes a certificate as New does, whose validity ended an hour
// ago.
func Expired(t testing.TB, cn string, parent *Cert) *Cert {
	t.Helper()
	return newCert(t, cn, parent, false, time.Now().Add(-time.Hour), nil)
}

func newCert(t testing.TB, cn string, parent *Cert, isCA bool, notAfter time.Time, hosts []string) *Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notAfter.Add(-2 * time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:         isCA, BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Cert{c, key}
}

// CertPEM is the certificate in PEM.
func (c *Cert) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})
}

// KeyPEM is the key in PEM (PKCS #8).
func (c *Cert) KeyPEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		panic(err) // an ECDSA key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// TLS is the certificate for a tls.Config, followed by chain.
func (c *Cert) TLS(chain ...*x509.Certificate) tls.Certificate {
	raw := [][]byte{c.Cert.Raw}
	for _, ca := range chain {
		raw = append(raw, ca.Raw)
	}
	return tls.Certificate{Certificate: raw, PrivateKey: c.Key, Leaf: c.Cert}
}
