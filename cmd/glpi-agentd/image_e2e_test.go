package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// TestImageBuilderPath walks the image builder's path: prepare-image, a
// look at status, a run in the same boot, then the clone's first boot. Only
// that first boot may make the identity: before, every clone of the image
// sent the image's deviceid and agent id, and GLPI merged them.
func TestImageBuilderPath(t *testing.T) {
	srv := glpitest.New(t)
	stateDir := t.TempDir()
	identity := filepath.Join(stateDir, "identity.json")
	run := func(args ...string) (string, string, int) {
		return agent(t, []string{"GLPI_AGENTD_NO_HTTPD=true"}, append([]string{"--state-dir", stateDir}, args...)...)
	}

	// An installation that already sent once has an identity.
	if _, stderr, code := run("inventory", "--server", srv.URL); code != 0 {
		t.Fatalf("first inventory: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run("prepare-image"); code != 0 {
		t.Fatalf("prepare-image: exit %d: %s", code, stderr)
	}
	gone := func(when string) {
		t.Helper()
		if _, err := os.Stat(identity); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: identity.json exists (%v): the image would carry one identity for all its clones", when, err)
		}
	}
	gone("after prepare-image")

	stdout, stderr, code := run("status")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "not made yet") {
		t.Errorf("status after prepare-image does not say the identity is still to be made:\n%s", stdout)
	}
	gone("after status")
	if _, _, code := run("status", "--json"); code != 0 {
		t.Errorf("status --json: exit %d", code)
	}
	gone("after status --json")

	// A run in the boot the image was prepared in makes no identity.
	_, stderr, code = run("inventory", "--server", srv.URL)
	if code == 0 || !strings.Contains(stderr, "prepare-image") {
		t.Errorf("inventory in the image's boot: exit %d, stderr %q; want a refusal naming prepare-image", code, stderr)
	}
	gone("after a run in the image's boot")

	// The clone's first boot: a boot other than the recorded one.
	if err := os.WriteFile(filepath.Join(stateDir, "enroll-after-boot"), []byte("1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run("inventory", "--server", srv.URL); code != 0 {
		t.Fatalf("inventory at the clone's first boot: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(identity); err != nil {
		t.Errorf("no identity after the clone's first run: %v", err)
	}
	ids := map[string]bool{}
	for _, inv := range srv.Inventories() {
		ids[inv.AgentID] = true
	}
	if len(ids) != 2 {
		t.Errorf("GLPI saw agent ids %v, want the original's and the clone's", ids)
	}
}

// TestUnknownEnvironmentWarns: a typo in a fleet's environment is warned
// about and the command goes on.
func TestUnknownEnvironmentWarns(t *testing.T) {
	out := filepath.Join(t.TempDir(), "inv.json")
	_, stderr, code := agent(t, []string{"GLPI_AGENTD_DELAYTIMEE=60"}, "--state-dir", t.TempDir(), "inventory", "--local", out)
	if code != 0 {
		t.Fatalf("inventory with GLPI_AGENTD_DELAYTIMEE set: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "GLPI_AGENTD_DELAYTIMEE") {
		t.Errorf("no warning naming the unknown variable: %s", stderr)
	}
}

// TestDeadlineBoundsOneShotRun: a server that accepts and never answers
// held `inventory` for about twelve minutes (4 attempts × timeout); the
// whole run now gives up at --deadline, saying so.
func TestDeadlineBoundsOneShotRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, agentBin, "--config", agentConfig, "--state-dir", t.TempDir(), "inventory", "--server", "http://"+ln.Addr().String()+"/", "--deadline", "2s")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GLPI_AGENTD_TIMEOUT=60", "GLPI_AGENTD_NO_HTTPD=true"}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("inventory --deadline 2s against a silent server still running after 2 minutes")
	}
	if err == nil || !strings.Contains(string(out), "--deadline") {
		t.Errorf("inventory against a silent server: err %v, output %s; want a failure naming --deadline", err, out)
	}
}

// TestStatusSaysEachState: status says plainly a key not yet used, the
// daemon's first scheduled run, and leaves unknown values out of --json.
func TestStatusSaysEachState(t *testing.T) {
	stateDir := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(enroll.NewKey().String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"GLPI_AGENTD_SERVER=https://enroll.example.org/", "GLPI_AGENTD_REGISTRATION_KEY_FILE=" + keyFile, "GLPI_AGENTD_NO_HTTPD=true", "GLPI_AGENTD_DELAYTIME=3600"}
	stdout, stderr, code := agent(t, env, "--state-dir", stateDir, "status")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "not enrolled yet: a registration key is configured") || strings.Contains(stdout, "direct mode") {
		t.Errorf("status with a key not used yet:\n%s", stdout)
	}
	stdout, _, _ = agent(t, env, "--state-dir", stateDir, "status", "--json")
	for _, bad := range []string{"0001-01-01", `"last_kind": ""`, `"deviceid": ""`} {
		if strings.Contains(stdout, bad) {
			t.Errorf("status --json holds %s:\n%s", bad, stdout)
		}
	}

	// A daemon that has started but not run yet has its first run on record.
	cmd := exec.Command(agentBin, "--config", agentConfig, "--state-dir", stateDir, "run")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var run struct {
		NextRun time.Time `json:"next_run"`
	}
	for i := 0; i < 200 && run.NextRun.IsZero(); i++ {
		time.Sleep(50 * time.Millisecond)
		b, _ := os.ReadFile(filepath.Join(stateDir, "run.json"))
		json.Unmarshal(b, &run)
	}
	if run.NextRun.IsZero() {
		t.Fatal("the daemon put no next run on record")
	}
	stdout, _, _ = agent(t, env, "--state-dir", stateDir, "status")
	if strings.Contains(stdout, "Next run:     never") {
		t.Errorf("status of a started daemon says its next run is never:\n%s", stdout)
	}
}
