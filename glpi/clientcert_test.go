package glpi

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin/tlstest"
)

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestClientCertificate is GLPI behind a server that admits only the
// fleet's certificates (the official agent's ssl-cert-file and
// ssl-key-file): the certificate is sent, in one file with its key or in
// two, a missing or foreign one is told apart from an untrusted server,
// and files the agent cannot use are refused with how to convert them.
func TestClientCertificate(t *testing.T) {
	fleet, other := tlstest.New(t, "fleet CA", nil, true), tlstest.New(t, "other CA", nil, true)
	clients := x509.NewCertPool()
	clients.AddCert(fleet.Cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "pc42" {
			http.Error(w, "no client certificate", http.StatusTeapot)
			return
		}
		io.WriteString(w, `{"status":"ok"}`)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clients}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	defer srv.Close()

	dir := t.TempDir()
	caFile := writeFile(t, dir, "server-ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	client := tlstest.New(t, "pc42", fleet, false)
	certPEM, keyPEM := client.CertPEM(), client.KeyPEM()
	both := writeFile(t, dir, "client.pem", append(append([]byte{}, certPEM...), keyPEM...))
	certOnly := writeFile(t, dir, "client.crt", certPEM)
	keyOnly := writeFile(t, dir, "client.key", keyPEM)
	stranger := tlstest.New(t, "pc42", other, false)
	foreignCert, foreignKey := stranger.CertPEM(), stranger.KeyPEM()
	foreign := writeFile(t, dir, "foreign.pem", append(foreignCert, foreignKey...))

	for _, tt := range []struct {
		name              string
		certFile, keyFile string
		wantErr           error
	}{
		{name: "certificate and key in one file", certFile: both},
		{name: "certificate and key apart", certFile: certOnly, keyFile: keyOnly},
		{name: "no certificate", wantErr: ErrClientCert},
		{name: "certificate of another CA", certFile: foreign, wantErr: ErrClientCert},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, Config{URL: srv.URL, CAFile: caFile, CertFile: tt.certFile, KeyFile: tt.keyFile})
			_, err := c.Contact(t.Context(), testContact())
			if tt.wantErr == nil {
				if err != nil {
					t.Errorf("Contact() error: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), "ssl_cert_file") || errors.Is(err, ErrTLS) {
				t.Errorf("Contact() error = %v, want %v with an ssl_cert_file hint", err, tt.wantErr)
			}
		})
	}

	encKey := writeFile(t, dir, "enc.pem", append(append([]byte{}, certPEM...), []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n")...))
	der, _ := pem.Decode(certPEM)
	pfx := writeFile(t, dir, "client.pfx", der.Bytes)
	for _, tt := range []struct {
		name, certFile, keyFile, want string
	}{
		{"encrypted key", encKey, "", "encrypted"},
		{"PKCS#12 or DER", pfx, "", "openssl pkcs12"},
		{"key without certificate", "", keyOnly, "without its certificate"},
		{"key that is not the certificate's", certOnly, writeFile(t, dir, "foreign.key", foreignKey), "does not match"},
		{"missing file", filepath.Join(dir, "none.pem"), "", "no such file"},
	} {
		_, err := New(Config{URL: srv.URL, CertFile: tt.certFile, KeyFile: tt.keyFile})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New() error = %v, want one saying %q", tt.name, err, tt.want)
		}
	}
}

// TestNginxClientCertificatePage is nginx's ssl_verify_client, which
// answers a missing certificate with a 400 page rather than in the
// handshake.
func TestNginxClientCertificatePage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
	}))
	defer srv.Close()
	_, err := newTestClient(t, Config{URL: srv.URL}).Contact(t.Context(), testContact())
	if !errors.Is(err, ErrClientCert) || !strings.Contains(err.Error(), "No required SSL certificate was sent") {
		t.Errorf("Contact() error = %v, want ErrClientCert naming nginx's page", err)
	}
}

// TestCADir is the official agent's ca-cert-dir: a hashed directory of
// CAs, with a file that holds none beside them, trusted instead of the
// system's; a directory without a CA is an error.
func TestCADir(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	writeFile(t, dir, "README", []byte("CAs of the GLPI server\n"))
	writeFile(t, dir, "other.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlstest.New(t, "other", nil, true).Cert.Raw}))
	ca := writeFile(t, dir, "glpi-ca.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	if err := os.Symlink(ca, filepath.Join(dir, "5ed36f99.0")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestClient(t, Config{URL: srv.URL, CADir: dir}).Contact(t.Context(), testContact()); err != nil {
		t.Errorf("Contact() with the CA directory: %v", err)
	}
	only := t.TempDir()
	writeFile(t, only, "other.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlstest.New(t, "other", nil, true).Cert.Raw}))
	if _, err := newTestClient(t, Config{URL: srv.URL, CADir: only}).Contact(t.Context(), testContact()); !errors.Is(err, ErrTLS) {
		t.Errorf("Contact() with a directory of other CAs = %v, want ErrTLS", err)
	}
	if _, err := New(Config{URL: srv.URL, CADir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("New(empty CA directory) = %v, want an error", err)
	}
}
