package main

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestHelpExitsZero: -h/--help at any level prints that level's usage and
// exits 0; no command at all is a usage error (2); an unknown one an
// error (1).
func TestHelpExitsZero(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string // in the output
	}{
		{[]string{"--help"}, 0, "key create"},
		{[]string{"-h"}, 0, "key create"},
		{[]string{"help"}, 0, "key create"},
		{[]string{"key", "--help"}, 0, "key create"},
		{[]string{"device", "-h"}, 0, "device run-now"},
		{[]string{"key", "create", "--help"}, 0, "-max-uses"},
		{[]string{"device", "run-now", "-h"}, 0, "-wait"},
		{[]string{"audit", "--help"}, 0, "-since"},
		{[]string{"serve", "--help"}, 0, "-listen"},
		{nil, 2, "key create"},
		{[]string{"key"}, 2, "key create"},
		{[]string{"bogus"}, 1, "unknown command"},
	} {
		cmd := exec.Command(bins.enrolld, tt.args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			code = ee.ExitCode()
		}
		if code != tt.code || !strings.Contains(out.String(), tt.want) {
			t.Errorf("glpi-enrolld %q: exit %d, want %d; output holds %q: %v\n%s", tt.args, code, tt.code, tt.want, strings.Contains(out.String(), tt.want), out.String())
		}
		if strings.Contains(out.String(), `unknown command "--help"`) || strings.Contains(out.String(), `unknown command "-h"`) {
			t.Errorf("glpi-enrolld %q calls the help flag an unknown command", tt.args)
		}
	}
}

// TestKeyListAndRunNowSayWhatTheyMean: key list shows a key's network and
// host-name limits, and run-now on a revoked device says it is revoked.
func TestKeyListAndRunNowSayWhatTheyMean(t *testing.T) {
	s := startService(t)
	s.newKey("--tag", "limited", "--allow-cidr", "198.51.100.0/24", "--hostname-pattern", "pc-*")
	list := s.admin("key", "list")
	for _, want := range []string{"NETWORKS", "198.51.100.0/24", "HOSTNAMES", "pc-*"} {
		if !strings.Contains(list, want) {
			t.Errorf("key list lacks %q:\n%s", want, list)
		}
	}
	key := s.newKey("--tag", "t")
	root := host(t, "pc-rev", "77777777777777777777777777777777", "4C4C4544-0010-0010-0010-000000000077")
	if out, code := agentRun(t, root, t.TempDir(), []string{"GLPI_AGENTD_SERVER=" + s.url, "GLPI_AGENTD_REGISTRATION_KEY_FILE=" + key}, "enroll"); code != 0 {
		t.Fatalf("enroll: exit %d\n%s", code, out)
	}
	id := s.devices()[0].ID
	s.admin("device", "revoke", id)
	_, err := s.adminErr("device", "run-now", id)
	if err == nil || !strings.Contains(err.Error(), "revoked") || strings.Contains(err.Error(), "not found") {
		t.Errorf("run-now on a revoked device: %v; want it to say revoked", err)
	}
}
