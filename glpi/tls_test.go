package glpi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
)

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer srv.Close()
	cert := srv.Certificate()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	goodPin := tlspin.Of(cert).String()
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	hexPin := strings.ToUpper(hex.EncodeToString(sum[:]))
	var colons []string
	for i := 0; i < len(hexPin); i += 2 {
		colons = append(colons, hexPin[i:i+2])
	}
	wrong := sha256.Sum256([]byte("another key"))
	wrongPin := hex.EncodeToString(wrong[:])
	// The official agent's ssl-fingerprint: the certificate's SHA-256 (as
	// its log and openssl x509 -fingerprint show it), or the key's.
	whole := sha256.Sum256(cert.Raw)
	var certColons []string
	for _, b := range whole {
		certColons = append(certColons, fmt.Sprintf("%02X", b))
	}

	tests := []struct {
		name   string
		cfg    Config
		wantOK bool
	}{
		{name: "untrusted", cfg: Config{}},
		{name: "ca file", cfg: Config{CAFile: caFile}, wantOK: true},
		{name: "insecure", cfg: Config{InsecureSkipVerify: true}, wantOK: true},
		{name: "pin base64", cfg: Config{PinSHA256: []string{goodPin}}, wantOK: true},
		{name: "pin curl style", cfg: Config{PinSHA256: []string{"sha256//" + strings.TrimPrefix(goodPin, "sha256/")}}, wantOK: true},
		{name: "pin hex with colons", cfg: Config{PinSHA256: []string{wrongPin, strings.Join(colons, ":")}}, wantOK: true},
		{name: "official certificate fingerprint", cfg: Config{PinSHA256: []string{"sha256$" + hex.EncodeToString(whole[:])}}, wantOK: true},
		{name: "official fingerprint with colons", cfg: Config{PinSHA256: []string{"SHA256$" + strings.Join(certColons, ":")}}, wantOK: true},
		{name: "official bare certificate fingerprint", cfg: Config{PinSHA256: []string{hex.EncodeToString(whole[:])}}, wantOK: true},
		{name: "official public key fingerprint", cfg: Config{PinSHA256: []string{"sha256$pub$" + hexPin}}, wantOK: true},
		{name: "wrong official fingerprint", cfg: Config{PinSHA256: []string{"sha256$" + wrongPin}}},
		{name: "wrong pin, CA trusted", cfg: Config{CAFile: caFile, PinSHA256: []string{wrongPin}}},
		{name: "wrong pin, insecure", cfg: Config{InsecureSkipVerify: true, PinSHA256: []string{wrongPin}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.URL = srv.URL
			c := newTestClient(t, cfg)
			_, err := c.Contact(t.Context(), testContact())
			if tt.wantOK {
				if err != nil {
					t.Errorf("Contact() error: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), "ca_cert_file") {
				t.Errorf("Contact() error = %v, want ErrTLS with a ca_cert_file hint", err)
			}
		})
	}
}

func TestWeakFingerprint(t *testing.T) {
	for _, fp := range []string{"sha1$" + strings.Repeat("ab", 20), "md5$" + strings.Repeat("ab", 16)} {
		_, err := New(Config{URL: "https://glpi.example/", PinSHA256: []string{fp}})
		if err == nil || !strings.Contains(err.Error(), "too weak") {
			t.Errorf("New(ssl_fingerprint %s) = %v, want an error asking for the SHA-256", fp, err)
		}
	}
	if _, err := New(Config{URL: "https://glpi.example/", PinSHA256: []string{"sha256$abc"}}); err == nil {
		t.Error("New(ssl_fingerprint sha256$abc) succeeded, want an error")
	}
}

func TestCAFileWithoutCertificate(t *testing.T) {
	f := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(f, []byte("not a certificate"), 0o600)
	if _, err := New(Config{URL: "https://glpi.example/", CAFile: f}); err == nil {
		t.Error("New(CAFile without PEM) succeeded, want an error")
	}
}
