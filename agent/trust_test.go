package agent

import (
	"slices"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/collectors"
	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// TestPushedTrustKept: the agent trust list the service sends is kept in
// the state directory, so that a restarted daemon trusts GLPI before its
// first check-in; entries that are no host are dropped; the service's
// empty list empties it.
func TestPushedTrustKept(t *testing.T) {
	cfg := config.Default()
	cfg.StateDir = t.TempDir()
	newAgent := func() *Agent {
		a, err := New(cfg, &collectors.Env{Root: t.TempDir()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := newAgent()
	if got := a.pushedTrust(); len(got) != 0 || a.pushedTrustHash() != enroll.TrustHash(nil) {
		t.Errorf("pushedTrust() before any = %q, hash %s; want none", got, a.pushedTrustHash())
	}
	sent := []string{"glpi.example.com", "no such/host", "198.51.100.0/24", "2001:db8::7"}
	a.setPushedTrust(sent, "https://enroll.example.com")
	want := []string{"glpi.example.com", "198.51.100.0/24", "2001:db8::7"}
	if got := a.pushedTrust(); !slices.Equal(got, want) {
		t.Errorf("pushedTrust() = %q, want %q", got, want)
	}
	if a.pushedTrustHash() != enroll.TrustHash(sent) {
		t.Errorf("pushedTrustHash() = %s, want the hash of the list as sent", a.pushedTrustHash())
	}
	restarted := newAgent()
	p, err := ReadPushedTrust(restarted.state)
	if err != nil || !slices.Equal(restarted.pushedTrust(), want) || p.Server != "https://enroll.example.com" || p.At.IsZero() {
		t.Errorf("after a restart: pushedTrust() = %q, file %+v, %v; want %q from the service", restarted.pushedTrust(), p, err, want)
	}
	restarted.setPushedTrust([]string{}, "https://enroll.example.com")
	if got := restarted.pushedTrust(); len(got) != 0 {
		t.Errorf("pushedTrust() after the service emptied it = %q, want none", got)
	}
	if got := newAgent().pushedTrust(); len(got) != 0 {
		t.Errorf("pushedTrust() after a restart once emptied = %q, want none", got)
	}
}
