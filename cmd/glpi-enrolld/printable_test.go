package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// TestAdminOutputEscapesDeviceText: an action message is the agent's own
// words; with terminal escapes and a newline in it, the admin commands must
// print it escaped: no ESC or BEL reaches the terminal, no line is forged.
func TestAdminOutputEscapesDeviceText(t *testing.T) {
	s := startService(t)
	b, err := os.ReadFile(s.newKey("--tag", "t"))
	if err != nil {
		t.Fatal(err)
	}
	keyText := strings.TrimSpace(string(b))
	c, err := enroll.NewClient(enroll.ClientConfig{URL: s.url, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := c.Enroll(t.Context(), keyText, &enroll.EnrollRequest{Hostname: "pc-esc", InstallID: "i1", Fingerprint: enroll.Fingerprint{SMBIOSUUID: "u1"}})
	if err != nil {
		t.Fatal(err)
	}
	const evil = "disk full\x1b]0;pwned\x07\x1b[2J\u009b31m\u202e\nState         approved"

	// The agent fails every request it gets, with evil as the reason.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		var results []enroll.ActionResult
		for ctx.Err() == nil {
			resp, err := c.CheckIn(ctx, dev.Credential.AccessToken, &enroll.CheckInRequest{Wait: 30, Status: "idle", Results: results})
			results = nil
			if err != nil {
				return
			}
			for _, a := range resp.Actions {
				results = append(results, enroll.ActionResult{ID: a.ID, State: enroll.ActionFailed, Message: evil, At: time.Now()})
			}
		}
	}()
	s.waitMetric("glpi_enrolld_checkins_held 1")

	args := append(append([]string{"device", "run-now"}, s.storeArgs()...), dev.DeviceID, "--wait", "--timeout", "20s")
	cmd := exec.Command(bins.enrolld, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("run-now --wait succeeded, want the agent's failure:\n%s", stdout.String())
	}
	outputs := map[string]string{
		"run-now stdout": stdout.String(),
		"run-now stderr": stderr.String(),
		"device show":    s.admin("device", "show", dev.DeviceID),
		"device list":    s.admin("device", "list"),
		"audit":          s.admin("audit"),
	}
	if !strings.Contains(outputs["device show"], `disk full\x1b]0;pwned\a\x1b[2J\u009b31m\u202e\nState`) {
		t.Errorf("device show lacks the escaped message:\n%s", outputs["device show"])
	}
	for name, out := range outputs {
		if i := strings.IndexFunc(out, func(r rune) bool {
			return r == 0x1b || r == 0x07 || r == 0x9b || r == '\u202e'
		}); i >= 0 {
			t.Errorf("%s prints a raw control character at %d: %q", name, i, out)
		}
		for line := range strings.Lines(out) {
			if strings.HasPrefix(line, "State         approved") {
				t.Errorf("%s prints a forged line: %q", name, out)
			}
		}
	}
}
