package agent

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin/tlstest"
	"github.com/glpi-agentd/glpi-agentd/glpi"
)

// tlsServer serves over TLS with leaf and then chain as the certificates
// it presents; it answers both clients' requests.
func tlsServer(t *testing.T, leaf *tlstest.Cert, chain ...*x509.Certificate) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok","expiration":24,"generation":7}`))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLS(chain...)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

func pemFile(t *testing.T, c *x509.Certificate) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestOneTrustPolicy runs each server and trust setting against both of the
// agent's clients, to GLPI directly and to glpi-enrolld: they must agree.
func TestOneTrustPolicy(t *testing.T) {
	server := tlstest.New(t, "glpi", nil, false, "127.0.0.1")
	attacker := tlstest.New(t, "glpi", nil, false, "127.0.0.1")
	ca := tlstest.New(t, "Private CA", nil, true)
	otherCA := tlstest.New(t, "Other CA", nil, true)
	signed := tlstest.New(t, "glpi", ca, false, "127.0.0.1")
	misnamed := tlstest.New(t, "glpi", ca, false, "other.example")

	sum := sha256.Sum256(server.Cert.RawSubjectPublicKeyInfo)
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	hexColons := strings.ToUpper(hex.EncodeToString(sum[:]))
	var pairs []string
	for i := 0; i < len(hexColons); i += 2 {
		pairs = append(pairs, hexColons[i:i+2])
	}
	wrong := enroll.PinOf(otherCA.Cert)
	caPin := enroll.PinOf(ca.Cert)

	selfSigned := tlsServer(t, server)
	// The attack: the attacker's own key, with the real (public) pinned
	// certificate sent after it.
	impostor := tlsServer(t, attacker, server.Cert)
	caChain := tlsServer(t, signed, ca.Cert)
	caLeafOnly := tlsServer(t, signed)
	caMisnamed := tlsServer(t, misnamed, ca.Cert)
	impostorCA := tlsServer(t, attacker, ca.Cert)

	tests := []struct {
		name   string
		url    string
		pin    string
		caFile string
		ok     bool
	}{
		{"self-signed, sha256/ pin", selfSigned, "sha256/" + b64, "", true},
		{"self-signed, curl pin", selfSigned, "sha256//" + b64, "", true},
		{"self-signed, bare base64", selfSigned, b64, "", true},
		{"self-signed, unpadded URL base64", selfSigned, base64.RawURLEncoding.EncodeToString(sum[:]), "", true},
		{"self-signed, hex with colons", selfSigned, strings.Join(pairs, ":"), "", true},
		{"self-signed, rotation list", selfSigned, wrong + ", " + b64, "", true},
		{"self-signed, wrong pin", selfSigned, wrong, "", false},
		{"self-signed, no trust", selfSigned, "", "", false},
		{"impostor sending the pinned certificate", impostor, b64, "", false},
		{"pinned CA sent in the chain", caChain, caPin, "", true},
		{"pinned CA from the CA file", caLeafOnly, caPin, pemFile(t, ca.Cert), true},
		{"pinned CA, wrong host name", caMisnamed, caPin, "", false},
		{"impostor sending the pinned CA", impostorCA, caPin, "", false},
		{"CA file, no pin", caChain, "", pemFile(t, ca.Cert), true},
		{"CA file of another CA", caChain, "", pemFile(t, otherCA.Cert), false},
		{"CA file, pin of another key", caChain, wrong, pemFile(t, ca.Cert), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gc, err := glpi.New(glpi.Config{URL: tt.url, AgentID: "3f2504e0-4f89-41d3-9a0c-0305e82c3301", CAFile: tt.caFile,
				PinSHA256: strings.Split(tt.pin, ","), Retries: -1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = gc.Contact(t.Context(), &glpi.Contact{DeviceID: "pc-2024-01-01-00-00-00", Version: "1"})
			if (err == nil) != tt.ok {
				t.Errorf("direct mode (GLPI): err = %v, want ok %v", err, tt.ok)
			}
			ec, err := enroll.NewClient(enroll.ClientConfig{URL: tt.url, CAFile: tt.caFile, PinSHA256: tt.pin, Retries: -1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = ec.Refresh(t.Context(), &enroll.RefreshRequest{DeviceID: "d", RefreshSecret: "r"})
			if (err == nil) != tt.ok {
				t.Errorf("enrolled mode (glpi-enrolld): err = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// TestClientCertificateBothClients: a reverse proxy that admits only the
// fleet's certificates, in front of GLPI or of glpi-enrolld, gets the
// agent's from both clients, and refuses both without it.
func TestClientCertificateBothClients(t *testing.T) {
	fleet := tlstest.New(t, "Fleet CA", nil, true)
	client := tlstest.New(t, "pc42", fleet, false)
	server := tlstest.New(t, "proxy", nil, false, "127.0.0.1")
	clients := x509.NewCertPool()
	clients.AddCert(fleet.Cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok","expiration":24,"generation":7}`))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{server.TLS()}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clients}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "pc42.crt"), filepath.Join(dir, "pc42.key")
	os.WriteFile(certFile, client.CertPEM(), 0o600)
	os.WriteFile(keyFile, client.KeyPEM(), 0o600)
	caFile := pemFile(t, server.Cert)
	for _, withCert := range []bool{true, false} {
		var cert, key string
		if withCert {
			cert, key = certFile, keyFile
		}
		gc, err := glpi.New(glpi.Config{URL: srv.URL, AgentID: "3f2504e0-4f89-41d3-9a0c-0305e82c3301", CAFile: caFile, CertFile: cert, KeyFile: key, Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = gc.Contact(t.Context(), &glpi.Contact{DeviceID: "pc-2024-01-01-00-00-00", Version: "1"})
		if (err == nil) != withCert {
			t.Errorf("direct mode (GLPI), certificate %t: err = %v", withCert, err)
		}
		ec, err := enroll.NewClient(enroll.ClientConfig{URL: srv.URL, CAFile: caFile, CertFile: cert, KeyFile: key, Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ec.Refresh(t.Context(), &enroll.RefreshRequest{DeviceID: "d", RefreshSecret: "r"})
		if (err == nil) != withCert {
			t.Errorf("enrolled mode (glpi-enrolld), certificate %t: err = %v", withCert, err)
		}
	}
}

// TestClientCertificateExpiry: a client certificate near its end, or past
// it, is reported at every run; one far from it is not.
func TestClientCertificateExpiry(t *testing.T) {
	ca := tlstest.New(t, "Fleet CA", nil, true)
	for _, tt := range []struct {
		name string
		cert *tlstest.Cert
		want string
	}{
		{"an hour left", tlstest.New(t, "pc42", ca, false), "expires soon"},
		{"expired", tlstest.Expired(t, "pc42", ca), "has expired"},
	} {
		dir := t.TempDir()
		file := filepath.Join(dir, "pc42.pem")
		os.WriteFile(file, append(tt.cert.CertPEM(), tt.cert.KeyPEM()...), 0o600)
		var logs strings.Builder
		a := &Agent{cfg: &config.Config{SSLCertFile: file}, log: slog.New(slog.NewTextHandler(&logs, nil))}
		a.warnClientCertificate()
		if !strings.Contains(logs.String(), tt.want) || !strings.Contains(logs.String(), "CN=pc42") {
			t.Errorf("%s: log %q, want %q naming the certificate", tt.name, logs.String(), tt.want)
		}
	}
	var logs strings.Builder
	(&Agent{cfg: &config.Config{}, log: slog.New(slog.NewTextHandler(&logs, nil))}).warnClientCertificate()
	if logs.Len() != 0 {
		t.Errorf("without a client certificate the run logs %q", logs.String())
	}
}
