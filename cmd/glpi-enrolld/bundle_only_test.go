package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// TestBundleIsTheOnlySetting: an agent whose only setting is a key bundle
// takes the service's URL from it: `inventory` enrolls and sends, instead
// of saying there is nowhere to send the inventory.
func TestBundleIsTheOnlySetting(t *testing.T) {
	data := t.TempDir()
	port := serveRaw(t, data, "--listen", ":0").port()
	keyFile := filepath.Join(t.TempDir(), "bundle")
	create := exec.Command(bins.enrolld, "key", "create", "--data-dir", data, "--tag", "t", "--bundle", "https://127.0.0.1:"+port, "--output", keyFile)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("key create --bundle: %v\n%s", err, out)
	}
	// The pin an admin puts in ssl_fingerprint is the one bundles carry.
	b, _ := os.ReadFile(keyFile)
	bundle, err := enroll.ParseBundle(string(b))
	if err != nil {
		t.Fatal(err)
	}
	pin, err := exec.Command(bins.enrolld, "tls", "pin", "--data-dir", data).Output()
	if err != nil || strings.TrimSpace(string(pin)) != bundle.Pin {
		t.Errorf("tls pin = %q, %v; want the bundle's %s", pin, err, bundle.Pin)
	}
	root := host(t, "pc-bundle", "00112233445566778899aabbccddeeff", "4c4c4544-0000-1111-2222-aaaabbbbcccc")
	out, code := agentRun(t, root, t.TempDir(), []string{"GLPI_AGENTD_REGISTRATION_KEY_FILE=" + keyFile}, "inventory")
	if code != 0 {
		t.Fatalf("glpi-agentd inventory with a bundle as its only setting: exit %d\n%s", code, out)
	}
}
