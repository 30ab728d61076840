package main

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin/tlstest"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key to
// dir, and returns the certificate and the two files.
func selfSigned(t *testing.T, dir, name string) (*x509.Certificate, string, string) {
	t.Helper()
	c := tlstest.New(t, name, nil, true, "127.0.0.1")
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, c.CertPEM(), 0o644)
	os.WriteFile(keyFile, c.KeyPEM(), 0o600)
	return c.Cert, certFile, keyFile
}

// serveTLS starts glpi-enrolld on addr over TLS with certFile and keyFile,
// on s's store.
func serveTLS(s *service, addr, certFile, keyFile string) *serving {
	s.t.Helper()
	return startServe(s.t, s.log, append([]string{"--listen", addr, "--tls-cert", certFile, "--tls-key", keyFile}, s.storeArgs()...)...)
}

// TestBundlePinOutlivesTheKey: an agent enrolled with a key bundle keeps
// the bundle's server pin (and URL) in its enrollment state, so that after
// forget_registration_key removed the key file its runs still reach a
// self-signed glpi-enrolld, and refuse a server that only a CA vouches for.
func TestBundlePinOutlivesTheKey(t *testing.T) {
	dir := t.TempDir()
	s := &service{t: t, dataDir: t.TempDir(), log: &syncBuffer{}}
	cert, certFile, keyFile := selfSigned(t, dir, "enrolld")
	first := serveTLS(s, "127.0.0.1:0", certFile, keyFile)
	addr := first.addr

	keyPath := s.newKey("--tag", "pinned")
	raw, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	bundle := enroll.Bundle{URL: "https://" + addr, Pin: enroll.PinOf(cert), Key: strings.TrimSpace(string(raw))}.String()
	if err := os.WriteFile(keyPath, []byte(bundle+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root, state := host(t, "pc-pinned", "abababababababababababababababab", "4C4C4544-0021-0021-0021-000000000021"), t.TempDir()
	env := []string{"GLPI_AGENTD_REGISTRATION_KEY_FILE=" + keyPath, "GLPI_AGENTD_FORGET_REGISTRATION_KEY=true"}

	if out, code := agentRun(t, root, state, env, "inventory", "--server", "https://"+addr); code != 0 {
		t.Fatalf("first run (enrollment with the bundle) exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(keyPath); !os.IsNotExist(err) {
		t.Fatalf("key file still there after the enrollment (forget_registration_key): %v", err)
	}
	if out, code := agentRun(t, root, state, env, "inventory", "--server", "https://"+addr); code != 0 {
		t.Fatalf("run after the key file was forgotten exit %d:\n%s", code, out)
	}

	// Another server on the same address, whose certificate a configured
	// CA file vouches for: without the pin the agent would trust it.
	first.stop()
	_, impostorCert, impostorKey := selfSigned(t, dir, "impostor")
	serveTLS(s, addr, impostorCert, impostorKey)
	out, code := agentRun(t, root, state, append(env, "GLPI_AGENTD_CA_CERT_FILE="+impostorCert), "inventory", "--server", "https://"+addr)
	if code == 0 {
		t.Fatalf("a run reached a server that only the CA file vouches for, not the bundle's pin:\n%s", out)
	}
}
