package agent

import (
	"errors"
	"os"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/collectors"
	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

func TestOfflineSpool(t *testing.T) {
	// GLPI down for the first run (CONTACT and its retries all fail).
	srv := glpitest.New(t, glpitest.WithFailures(4, 503))
	cfg := config.Default()
	cfg.StateDir, cfg.Server, cfg.NoHTTPD = t.TempDir(), srv.URL, true
	a, err := New(cfg, &collectors.Env{Root: "../collectors/testdata/vm"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.RunOnce(t.Context(), Request{}); err == nil {
		t.Fatal("first run succeeded against a failing server")
	}
	if _, err := os.Stat(a.state.File(spoolFile)); err != nil {
		t.Fatalf("no spooled inventory after the failed run: %v", err)
	}
	if n := len(srv.Inventories()); n != 0 {
		t.Fatalf("server got %d inventories while down", n)
	}

	// GLPI back: the kept inventory goes, then the spool is empty.
	rep, err := a.RunOnce(t.Context(), Request{})
	if err != nil {
		t.Fatalf("run after recovery: %v", err)
	}
	if rep.FromSpool.IsZero() {
		t.Error("run after recovery collected anew instead of sending the kept inventory")
	}
	if n := len(srv.Inventories()); n != 1 {
		t.Errorf("server got %d inventories after recovery, want 1", n)
	}
	if _, err := os.Stat(a.state.File(spoolFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("spool still there after a successful send")
	}
	// The next run is an ordinary one (partial: nothing changed).
	rep, err = a.RunOnce(t.Context(), Request{})
	if err != nil || !rep.FromSpool.IsZero() || !rep.Partial {
		t.Errorf("third run: %v, from spool %v, partial %v", err, rep.FromSpool, rep.Partial)
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New("dial tcp: connection refused"), true},
		{&glpi.Error{StatusCode: 503}, true},
		{&glpi.Error{StatusCode: 0}, true},
		{&glpi.Error{StatusCode: 401}, false},
		{&glpi.Error{StatusCode: 200}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
