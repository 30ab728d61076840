package main

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

func TestServeRefreshGraceFlag(t *testing.T) {
	tests := []struct {
		value, want string
	}{
		{"0s", "--refresh-grace must be positive"},
		{"-1m", "--refresh-grace must be positive"},
		{"soon", "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			err := run(t.Context(), []string{"serve", "--data-dir", t.TempDir(), "--refresh-grace", tt.value}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("serve --refresh-grace %s = %v, want an error with %q", tt.value, err, tt.want)
			}
		})
	}
}

// TestRefreshGraceShortened: a rotated refresh secret replayed within
// --refresh-grace renews again (a lost answer); past it, it is a clone's.
func TestRefreshGraceShortened(t *testing.T) {
	t.Parallel() // waits on processes and the network, mostly
	s := startService(t, "--refresh-grace", "1s")
	keyFile := s.newKey("--tag", "t")
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := enroll.NewClient(enroll.ClientConfig{URL: s.url, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	fp := enroll.Fingerprint{InstallID: "grace-1", MachineID: "m1", SMBIOSUUID: "u1"}
	dev, err := c.Enroll(t.Context(), strings.TrimSpace(string(key)),
		&enroll.EnrollRequest{Hostname: "grace", OS: "linux", Arch: "amd64", AgentVersion: "1.0.0", InstallID: fp.InstallID, Fingerprint: fp})
	if err != nil {
		t.Fatal(err)
	}
	spent := &enroll.RefreshRequest{DeviceID: dev.DeviceID, RefreshSecret: dev.Credential.RefreshSecret, Generation: dev.Credential.Generation, Fingerprint: &fp}
	if _, err := c.Refresh(t.Context(), spent); err != nil {
		t.Fatalf("first renewal: %v", err)
	}
	if _, err := c.Refresh(t.Context(), spent); err != nil {
		t.Errorf("renewal with the previous secret within the grace = %v, want a new credential", err)
	}
	// A replay within the grace gives the same credential again, so the
	// test replays until the service sees the grace over, which must be
	// within the second asked for (and some slack for a slow machine).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, err = c.Refresh(t.Context(), spent)
		if err != nil || time.Now().After(deadline) {
			break
		}
	}
	if rej, ok := errors.AsType[*enroll.RejectError](err); !ok || rej.Status != 401 {
		t.Errorf("renewal with a spent secret past the grace = %v, want a 401 rejection", err)
	}
}
