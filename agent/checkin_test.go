package agent

import (
	"errors"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

func TestRetryInSpreadsAndHonoursRetryAfter(t *testing.T) {
	lost := errors.New("connection refused")
	seen := map[time.Duration]bool{}
	for range 1000 {
		got := retryIn(10*time.Second, lost)
		if got < 5*time.Second || got > 10*time.Second {
			t.Fatalf("retryIn(10s, %v) = %v, want within [5s, 10s]", lost, got)
		}
		seen[got.Truncate(100*time.Millisecond)] = true
	}
	if len(seen) < 20 {
		t.Errorf("retryIn(10s) drew %d distinct tenths of a second in 1000 draws, want them spread over 5 s", len(seen))
	}
	busy := &enroll.RejectError{Status: 503, RetryAfter: 40 * time.Second}
	if got := retryIn(10*time.Second, busy); got != 40*time.Second {
		t.Errorf("retryIn(10s, 503 with Retry-After 40s) = %v, want 40s", got)
	}
	if got := retryIn(5*time.Minute, &enroll.RejectError{Status: 503, RetryAfter: time.Second}); got < 150*time.Second {
		t.Errorf("retryIn(5m, 503 with Retry-After 1s) = %v, want the backoff's 2m30s at least", got)
	}
}
