package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// TestRevocationIsNotOneWay walks the admin's path: a device is revoked,
// its owner runs `glpi-agentd enroll --force` with a new key while the
// daemon keeps running, and a run-now reaches the daemon through its
// check-in without a restart.
func TestRevocationIsNotOneWay(t *testing.T) {
	t.Parallel() // waits on processes and the network, mostly
	glpi := glpitest.New(t)
	s := startService(t, "--glpi-url", glpi.URL)
	key := s.newKey("--tag", "first")
	root, state := host(t, "desk-09", "88888888888888888888888888888888", "4C4C4544-0010-0010-0010-000000000019"), t.TempDir()
	env := []string{"GLPI_AGENTD_NO_HTTPD=1", "GLPI_AGENTD_DELAYTIME=1", "GLPI_AGENTD_SERVER=" + s.url}
	log := startDaemon(t, root, state, "GLPI_AGENTD_SERVER="+s.url, "GLPI_AGENTD_REGISTRATION_KEY_FILE="+key)
	glpi.WaitInventories(t, 1, 30*time.Second)
	old := s.devices()[0].ID

	if out, err := s.adminErr("device", "revoke", old); err != nil {
		t.Fatalf("device revoke: %v\n%s", err, out)
	}
	// The service answers the check-in the daemon holds with the
	// revocation at once, and the daemon pauses its check-ins.
	deadline := time.Now().Add(90 * time.Second)
	for !containsText(log.String(), "check-in paused: device revoked") {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not see the revocation:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	start := time.Now()
	newKey := s.newKey("--tag", "second")
	if out, code := agentRun(t, root, state, env, "enroll", "--force", "--key-file", newKey); code != 0 {
		t.Fatalf("enroll --force with a new key after the revocation: exit %d\n%s", code, out)
	}
	var fresh string
	for _, d := range s.devices() {
		if d.ID != old {
			fresh = d.ID
		}
	}
	if fresh == "" {
		t.Fatal("no new device after enrolling again")
	}
	out, err := s.adminErr("device", "run-now", fresh, "--wait", "--timeout", "60s", "--json")
	if err != nil {
		t.Fatalf("run-now on the device enrolled again: %v\n%s\nagent log:\n%s", err, out, log.String())
	}
	t.Logf("enrolled again and a run-now relayed in %v", time.Since(start))
	var act struct{ State string }
	if err := json.Unmarshal([]byte(out), &act); err != nil || act.State != "relayed" {
		t.Errorf("run-now ended %q (%v), want relayed:\n%s\nagent log:\n%s", act.State, err, out, log.String())
	}
	audit, _ := s.adminErr("audit", "--json")
	if !containsText(audit, "device_reenrolled_after_revocation") {
		t.Errorf("the audit does not record the re-enrollment of the revoked device:\n%s", audit)
	}
}

func containsText(s, sub string) bool { return strings.Contains(s, sub) }
