package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
)

// The self-signed certificate and its key in the data directory, made on
// the first start without --tls-cert.
const (
	SelfSignedCertFile = "tls-cert.pem"
	SelfSignedKeyFile  = "tls-key.pem"
)

// selfSignedLife is long: agents pin the key, which a pinned leaf proves
// whatever its dates.
const selfSignedLife = 20 * 365 * 24 * time.Hour

// SelfSigned returns the certificate and key files of the service's
// self-signed certificate in dataDir, creating them (mode 0600) on first
// use, and the certificate's pin, which key bundles carry.
func SelfSigned(dataDir string) (certFile, keyFile, pin string, err error) {
	certFile, keyFile = filepath.Join(dataDir, SelfSignedCertFile), filepath.Join(dataDir, SelfSignedKeyFile)
	if pin, err = PinOfCertFile(certFile); err == nil {
		if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
			return "", "", "", fmt.Errorf("self-signed certificate %s: %w", certFile, err)
		}
		return certFile, keyFile, pin, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", "", "", err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", "", "", fmt.Errorf("create data dir: %w", err)
	}
	certPEM, keyPEM, err := newSelfSigned(time.Now())
	if err != nil {
		return "", "", "", err
	}
	// The key first: a certificate without its key would be reused.
	if err := writeNew(keyFile, keyPEM); err != nil {
		return "", "", "", err
	}
	if err := writeNew(certFile, certPEM); err != nil {
		os.Remove(keyFile)
		return "", "", "", err
	}
	pin, err = PinOfCertFile(certFile)
	return certFile, keyFile, pin, err
}

// PinOfCertFile returns the pin of the first certificate in a PEM file.
func PinOfCertFile(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read certificate: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", fmt.Errorf("read certificate %s: no PEM certificate", file)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", fmt.Errorf("read certificate %s: %w", file, err)
	}
	return tlspin.Of(cert).String(), nil
}

func newSelfSigned(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	names := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		names = append([]string{h}, names...)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "glpi-enrolld"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              names,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create self-signed certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// writeNew creates file, which must not exist, owner-only, with data.
func writeNew(file string, data []byte) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", file, err)
	}
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		os.Remove(file)
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

// LoopbackAddr reports whether a listen address ("127.0.0.1:8080",
// "localhost:8080", "[::1]:8080") accepts loopback connections only. An
// empty host (":8443") is every interface.
func LoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// adminPath reports whether a path is /metrics, the administration API or
// the web console.
func adminPath(p string) bool {
	return p == "/metrics" || strings.HasPrefix(p, "/api/v1/admin/") || p == "/ui" || strings.HasPrefix(p, "/ui/")
}

// apiHandler is Handler for the agents' listener: /metrics and the
// administration API are served there only to loopback clients, and not
// at all when they have a listener of their own (Config.AdminApart).
func (s *Server) apiHandler() http.Handler {
	h := s.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if adminPath(r.URL.Path) && (s.cfg.AdminApart || !sourceIP(r).IsLoopback()) {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ServeAdmin serves /metrics, the administration API, /healthz and
// /readyz on ln until ctx is done: over TLS with certFile and keyFile when
// set. Serve runs the workers; set Config.AdminApart so that the agents'
// listener no longer serves these paths.
func (s *Server) ServeAdmin(ctx context.Context, ln net.Listener, certFile, keyFile string) error {
	h := s.Handler()
	if s.cfg.Pprof {
		h = withPprof(h)
	}
	hs := s.httpServer()
	hs.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Pprof && strings.HasPrefix(r.URL.Path, "/debug/pprof/") {
			h.ServeHTTP(w, r)
			return
		}
		if !adminPath(r.URL.Path) && r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
	return serveUntil(ctx, hs, ln, certFile, keyFile, 5*time.Second, nil)
}

// withPprof serves net/http/pprof's profiles under /debug/pprof/ beside h
// (Config.Pprof: the admin listener only).
func withPprof(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", h)
	return mux
}

// BundleTarget checks the URL a key bundle names and returns it with the
// pin agents need: for https, the pin of the self-signed certificate in
// dataDir when the service made one (a certificate given with --tls-cert
// is trusted as the agents' CAs say, or pinned in their configuration).
func BundleTarget(rawURL, dataDir string) (string, string, error) {
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", "", fmt.Errorf("%q is not an http(s) URL", rawURL)
	}
	if u.Scheme == "http" {
		return u.String(), "", nil
	}
	pin, err := PinOfCertFile(filepath.Join(dataDir, SelfSignedCertFile))
	if errors.Is(err, os.ErrNotExist) {
		return u.String(), "", nil
	}
	return u.String(), pin, err
}
