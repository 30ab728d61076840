package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// TestRunNowThroughCheckIn: the helpdesk asks the service for an inventory
// of a device behind NAT; the real agent daemon gets it over its check-in
// long poll and the run is followed until GLPI answers.
func TestRunNowThroughCheckIn(t *testing.T) {
	t.Parallel() // waits on processes and the network, mostly
	glpi := glpitest.New(t)
	s := startService(t, "--glpi-url", glpi.URL)
	key := s.newKey("--tag", "helpdesk")
	root, state := host(t, "desk-07", "99999999999999999999999999999999", "4C4C4544-0010-0010-0010-000000000010"), t.TempDir()

	log := startDaemon(t, root, state, "GLPI_AGENTD_DEBUG=1", "GLPI_AGENTD_SERVER="+s.url, "GLPI_AGENTD_REGISTRATION_KEY_FILE="+key)
	glpi.WaitInventories(t, 1, 30*time.Second) // enrolled, first inventory relayed
	id := s.devices()[0].ID

	var delays []time.Duration
	for i := range 5 {
		var act struct {
			State     string    `json:"state"`
			CreatedAt time.Time `json:"created_at"`
			History   []struct {
				At    time.Time `json:"at"`
				State string    `json:"state"`
			} `json:"history"`
		}
		out, err := s.adminErr("device", "run-now", id, "--wait", "--timeout", "30s", "--json")
		if err != nil {
			t.Fatalf("run-now: %v\n%s\nagent log:\n%s\nservice log:\n%s", err, out, log.String(), s.log.String())
		}
		if err := json.Unmarshal([]byte(out), &act); err != nil {
			t.Fatalf("run-now --json: %v\n%s\nagent log:\n%s", err, out, log.String())
		}
		if act.State != "relayed" {
			t.Fatalf("run-now %d ended %q, want relayed:\n%s\nagent log:\n%s", i, act.State, out, log.String())
		}
		for _, ev := range act.History {
			if ev.State == "running" {
				delays = append(delays, ev.At.Sub(act.CreatedAt))
			}
		}
	}
	if len(delays) != 5 {
		t.Fatalf("%d runs reported running, want 5", len(delays))
	}
	slices.Sort(delays)
	median := delays[len(delays)/2]
	t.Logf("run-now → running: median %v (min %v, max %v) over %d runs", median, delays[0], delays[len(delays)-1], len(delays))
	if median > 2*time.Second {
		t.Errorf("median delay from run-now to running %v, want under 2 s", median)
	}
	if n := len(glpi.Inventories()); n != 6 {
		t.Errorf("GLPI got %d inventories, want 6 (the first run and five requests)", n)
	}
}

// syncBuffer is a buffer safe for a process writing while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
