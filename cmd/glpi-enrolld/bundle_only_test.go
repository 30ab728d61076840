package main

import (
	"net"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBundleIsTheOnlySetting: an agent whose only setting is a key bundle
// takes the service's URL from it: `inventory` enrolls and sends, instead
// of saying there is nowhere to send the inventory.
func TestBundleIsTheOnlySetting(t *testing.T) {
	data := t.TempDir()
	_, port, _ := net.SplitHostPort(freeAddr(t, "127.0.0.1"))
	serveRaw(t, data, "--listen", ":"+port)
	keyFile := filepath.Join(t.TempDir(), "bundle")
	create := exec.Command(bins.enrolld, "key", "create", "--data-dir", data, "--tag", "t", "--bundle", "https://127.0.0.1:"+port, "--output", keyFile)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("key create --bundle: %v\n%s", err, out)
	}
	root := host(t, "pc-bundle", "00112233445566778899aabbccddeeff", "4c4c4544-0000-1111-2222-aaaabbbbcccc")
	out, code := agentRun(t, root, t.TempDir(), []string{"GLPI_AGENTD_REGISTRATION_KEY_FILE=" + keyFile}, "inventory")
	if code != 0 {
		t.Fatalf("glpi-agentd inventory with a bundle as its only setting: exit %d\n%s", code, out)
	}
}
