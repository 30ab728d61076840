package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	keyFile := func(body string) string {
		f, err := os.CreateTemp(dir, "key")
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(body)
		f.Close()
		return f.Name()
	}
	key := enroll.NewKey()
	good := keyFile(key.String() + "\n")
	// The key with its last character changed: one the key does not end
	// with (a random key may end in "x").
	typo := key.String()[:len(key.String())-1] + "x"
	if typo == key.String() {
		typo = typo[:len(typo)-1] + "y"
	}
	bundle := keyFile(enroll.Bundle{URL: "https://enroll.example.com:8443", Key: key.String()}.String())
	for _, tt := range []struct {
		name, server, tag, keyFile string
		wantServer, wantLabel      string
		wantErr                    string
	}{
		{name: "base"},
		{name: "key", server: "https://enroll.example.com/", keyFile: good,
			wantServer: "https://enroll.example.com/", wantLabel: "key-" + key.ID},
		{name: "key over http to loopback", server: "http://127.0.0.1:8080/", keyFile: good,
			wantServer: "http://127.0.0.1:8080/", wantLabel: "key-" + key.ID},
		{name: "bundle", keyFile: bundle, wantServer: "https://enroll.example.com:8443", wantLabel: "key-" + key.ID},
		{name: "bundle and its server", server: "https://enroll.example.com:8443/", keyFile: bundle,
			wantServer: "https://enroll.example.com:8443/", wantLabel: "key-" + key.ID},
		{name: "direct mode", server: "https://glpi.example.com/", tag: "site a",
			wantServer: "https://glpi.example.com/", wantLabel: "server-glpi.example.com"},
		{name: "tag alone", tag: "site a", wantLabel: "tag-site_a"},

		{name: "remote plain http with a key", server: "http://enroll.example.com/", keyFile: good, wantErr: "plain http to a remote host"},
		{name: "not a key", server: "https://enroll.example.com/", keyFile: keyFile("notakey\n"), wantErr: "holds no registration key"},
		{name: "mistyped key", server: "https://enroll.example.com/", keyFile: keyFile(typo), wantErr: "checksum"},
		{name: "empty key file", server: "https://enroll.example.com/", keyFile: keyFile("\n"), wantErr: "is empty"},
		{name: "missing key file", server: "https://enroll.example.com/", keyFile: filepath.Join(dir, "none"), wantErr: "read REGISTRATION_KEY_FILE"},
		{name: "key without server", keyFile: good, wantErr: "without SERVER"},
		{name: "tag with a key", server: "https://enroll.example.com/", tag: "site-a", keyFile: good, wantErr: "TAG with a registration key"},
		{name: "bundle for another server", server: "https://other.example.com/", keyFile: bundle, wantErr: "not the server of the bundle"},
		{name: "no scheme", server: "enroll.example.com", wantErr: "give the scheme"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			server, label, err := check(tt.server, tt.tag, tt.keyFile)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("check() = %v, want an error with %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), key.Secret) {
					t.Errorf("check() error quotes the key: %v", err)
				}
				return
			}
			if err != nil || server != tt.wantServer || label != tt.wantLabel {
				t.Errorf("check() = %q, %q, %v; want %q, %q", server, label, err, tt.wantServer, tt.wantLabel)
			}
		})
	}
}
