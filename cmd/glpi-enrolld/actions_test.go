package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// fakeAgent checks in like glpi-agentd and runs the inventories asked,
// until ctx is done.
func fakeAgent(ctx context.Context, t *testing.T, c *enroll.Client, token string) {
	var results []enroll.ActionResult
	for ctx.Err() == nil {
		resp, err := c.CheckIn(ctx, token, &enroll.CheckInRequest{Wait: 30, Status: "idle", Results: results})
		results = nil
		if err != nil {
			return
		}
		for _, a := range resp.Actions {
			c.CheckIn(ctx, token, &enroll.CheckInRequest{Status: "running", Results: []enroll.ActionResult{{ID: a.ID, State: enroll.ActionRunning, At: time.Now()}}})
			body := `{"action":"inventory","deviceid":"x","itemtype":"Computer","content":{"versionclient":"test","hardware":{"name":"pc-run"}}}`
			ack, err := c.SendInventory(ctx, token, []byte(body))
			if err != nil {
				t.Errorf("fake agent: SendInventory: %v", err)
				return
			}
			results = append(results, enroll.ActionResult{ID: a.ID, State: enroll.ActionSent, InventoryID: ack.ID, At: time.Now()})
		}
	}
}

func TestRunNowThroughTheCommands(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "admin.token")
	const adminToken = "0123456789abcdef0123456789abcdef-admin"
	os.WriteFile(tokenFile, []byte(adminToken+"\n"), 0o600)
	s := startService(t, "--admin-token-file", tokenFile)

	var created struct {
		Key         string `json:"key"`
		ClonePolicy string `json:"clone_policy"`
		Ephemeral   string `json:"ephemeral"`
	}
	json.Unmarshal([]byte(s.admin("key", "create", "--tag", "t", "--clone-policy", "quarantine", "--ephemeral", "8h", "--json")), &created)
	if created.ClonePolicy != "quarantine" || created.Ephemeral != "8h0m0s" {
		t.Errorf("key create = %+v, want quarantine and 8h", created)
	}
	c, err := enroll.NewClient(enroll.ClientConfig{URL: s.url, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	req := &enroll.EnrollRequest{Hostname: "pc-run", InstallID: "i1", Fingerprint: enroll.Fingerprint{SMBIOSUUID: "u1"}}
	dev, err := c.Enroll(t.Context(), created.Key, req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { fakeAgent(ctx, t, c, dev.Credential.AccessToken) })
	s.waitMetric("glpi_enrolld_checkins_held 1")

	// The command is another process: the held check-in wakes through the
	// database.
	start := time.Now()
	out := s.admin("device", "run-now", "--hostname", "pc-run", "--category", "os,software", "--wait", "--timeout", "20s")
	t.Logf("device run-now --wait took %v:\n%s", time.Since(start).Round(time.Millisecond), out)
	for _, want := range []string{"queued for device " + dev.DeviceID, "delivered", "running", "sent (inventory ", "stored: accepted (no GLPI relay configured)"} {
		if !strings.Contains(out, want) {
			t.Errorf("run-now output lacks %q", want)
		}
	}

	// The admin API, for a GLPI-side button.
	hreq, _ := http.NewRequest("POST", s.url+"/api/v1/admin/devices/"+dev.DeviceID+"/run-now", strings.NewReader(`{"full":true}`))
	hreq.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST run-now = %v, %v; want 202", resp, err)
	}
	var queued struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&queued)
	resp.Body.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		hreq, _ := http.NewRequest("GET", s.url+"/api/v1/admin/actions/"+queued.ID, nil)
		hreq.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		var a struct{ State string }
		json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		if a.State == enroll.ActionStored {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("action %s still %s", queued.ID, a.State)
		}
	}
	cancel()
	wg.Wait()

	// Nobody checks in: --wait gives up with a failure.
	args := append(append([]string{"device", "run-now"}, s.storeArgs()...), dev.DeviceID, "--wait", "--timeout", "300ms")
	cmd := exec.Command(bins.enrolld, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "still queued") {
		t.Errorf("run-now without agent = %v, stderr %q; want a failure while queued", err, stderr.String())
	}
	show := s.admin("device", "show", dev.DeviceID)
	if !strings.Contains(show, "Requests (last 3)") || !strings.Contains(show, "inventory of os,software: stored") {
		t.Errorf("device show lacks the requests:\n%s", show)
	}
}
