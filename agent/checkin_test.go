package agent

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
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

func TestCheckInStopsStreamingWhenStalled(t *testing.T) {
	var (
		mu      sync.Mutex
		streams []bool
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req enroll.CheckInRequest
		json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		streams = append(streams, req.Stream)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if req.Stream {
			// A proxy on the way holds the streamed answer back.
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		io.WriteString(w, `{"actions":[],"poll":7}`)
	}))
	defer srv.Close()
	defer func(d time.Duration) { streamIdle = d }(streamIdle)
	streamIdle = 100 * time.Millisecond

	a := newTestAgent(t)
	install, err := installID(a.state)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.saveEnrollment(&Enrollment{Server: srv.URL, DeviceID: "dev", Fingerprint: fingerprint(a.env, install),
		Credential: enroll.Credential{AccessToken: "tok", AccessExpiresAt: time.Now().Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.checkin(t.Context()); !errors.Is(err, enroll.ErrCheckInStalled) {
		t.Fatalf("first check-in = %v, want ErrCheckInStalled", err)
	}
	next, err := a.checkin(t.Context())
	if err != nil || next != 7*time.Second {
		t.Fatalf("second check-in = %v, %v; want the service's poll of 7 s", next, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(streams, []bool{true, false}) {
		t.Errorf("check-ins streamed %v, want a streamed one, then a plain one after it stalled", streams)
	}
}
