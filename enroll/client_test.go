package enroll

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewClientURLPolicy(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		ok       bool
	}{
		{"https://enroll.example.org", false, true},
		{"http://127.0.0.1:8080", false, true},
		{"http://localhost:8080", false, true},
		{"http://[::1]:8080", false, true},
		{"http://enroll.example.org", false, false},
		{"http://enroll.example.org", true, true},
		{"ftp://enroll.example.org", false, false},
		{"enroll.example.org", false, false},
	}
	for _, tt := range tests {
		_, err := NewClient(ClientConfig{URL: tt.url, InsecureHTTP: tt.insecure})
		if (err == nil) != tt.ok {
			t.Errorf("NewClient(%q, insecure=%v) = %v, want ok %v", tt.url, tt.insecure, err, tt.ok)
		}
	}
}

func TestClientTLSAndPin(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		json.NewEncoder(w).Encode(Credential{Generation: 7})
	}))
	defer ts.Close()
	goodPin := PinOf(ts.Certificate())
	otherPin := "sha256/" + strings.Repeat("A", 43) + "="
	tests := []struct {
		name string
		pin  string
		ok   bool
	}{
		{"untrusted without pin", "", false},
		{"pinned self-signed", goodPin, true},
		{"wrong pin", otherPin, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(ClientConfig{URL: ts.URL, PinSHA256: tt.pin, Retries: -1})
			if err != nil {
				t.Fatal(err)
			}
			cred, err := c.Refresh(t.Context(), &RefreshRequest{DeviceID: "d", RefreshSecret: "r"})
			if (err == nil) != tt.ok {
				t.Fatalf("Refresh = %v, want ok %v", err, tt.ok)
			}
			if tt.ok && cred.Generation != 7 {
				t.Errorf("Generation = %d, want 7", cred.Generation)
			}
		})
	}
}

func TestClientRejectAndRetry(t *testing.T) {
	var calls atomic.Int32
	var gotAuth, gotCT string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		gotAuth, gotCT = r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		switch {
		case r.URL.Path == PathEnroll && n == 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == PathEnroll:
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusForbidden)
			json.NewEncoder(w).Encode(ErrorBody{Reason: ReasonKeyExhausted, Message: "no uses left"})
		default:
			w.WriteHeader(http.StatusAccepted)
			json.NewEncoder(w).Encode(InventoryResponse{Status: "accepted", ID: 3})
		}
	}))
	defer ts.Close()
	c, err := NewClient(ClientConfig{URL: ts.URL, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := NewKey().String()
	_, err = c.Enroll(ctx, key, &EnrollRequest{Hostname: "h", InstallID: "i"})
	var rej *RejectError
	if !errors.As(err, &rej) || rej.Status != 403 || rej.Reason != ReasonKeyExhausted || rej.RetryAfter != 30*time.Second {
		t.Fatalf("Enroll = %v, want RejectError 403 key_exhausted retry 30s", err)
	}
	if calls.Load() != 2 {
		t.Errorf("calls = %d, want 2 (one retry after 503)", calls.Load())
	}
	if gotAuth != "Bearer "+key {
		t.Errorf("Authorization = %q, want the key as bearer", gotAuth)
	}
	resp, err := c.SendInventory(ctx, "glpia_x", []byte(`{"deviceid":"d"}`))
	if err != nil || resp.ID != 3 || gotCT != "application/x-compress-zlib" {
		t.Errorf("SendInventory = %+v, %v, content type %q", resp, err, gotCT)
	}
}

func TestCheckInLongPollNoRetry(t *testing.T) {
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		var req CheckInRequest
		json.NewDecoder(r.Body).Decode(&req)
		if r.URL.Path != PathCheckIn || r.Header.Get("Authorization") != "Bearer glpia_tok" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if n == 1 { // held longer than the client timeout, within the wait
			time.Sleep(400 * time.Millisecond)
			json.NewEncoder(w).Encode(CheckInResponse{Actions: []Action{{ID: "a1", Type: ActionRunInventory, Full: true}}})
			return
		}
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(ErrorBody{Reason: ReasonInternal})
	}))
	defer ts.Close()
	c, err := NewClient(ClientConfig{URL: ts.URL, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.CheckIn(t.Context(), "glpia_tok", &CheckInRequest{Wait: 1, Status: "idle"})
	if err != nil || len(resp.Actions) != 1 || resp.Actions[0].ID != "a1" {
		t.Fatalf("CheckIn(held 400 ms, wait 1 s) = %+v, %v; want action a1", resp, err)
	}
	_, err = c.CheckIn(t.Context(), "glpia_tok", &CheckInRequest{})
	var rej *RejectError
	if !errors.As(err, &rej) || rej.Status != 503 || rej.RetryAfter != 7*time.Second {
		t.Errorf("CheckIn(503) = %v, want a RejectError with Retry-After 7s", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("server saw %d check-ins, want 2 (no retries)", n)
	}
}

// TestClientRefusesRedirect: a server (or whoever answers in its name) that
// redirects with 307 must not receive the key, the refresh secret or the
// token again at another address, in clear or on another port.
func TestClientRefusesRedirect(t *testing.T) {
	var leaked atomic.Int32
	steal := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
		t.Errorf("redirect followed: %s %s got Authorization %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusTeapot)
	})
	plain := httptest.NewServer(steal)
	defer plain.Close()
	otherPort := httptest.NewTLSServer(steal) // same test certificate: the pin matches
	defer otherPort.Close()

	for _, target := range []string{plain.URL, otherPort.URL} {
		t.Run(target, func(t *testing.T) {
			ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect)
			}))
			defer ts.Close()
			c, err := NewClient(ClientConfig{URL: ts.URL, PinSHA256: PinOf(ts.Certificate()), Retries: -1})
			if err != nil {
				t.Fatal(err)
			}
			key := NewKey().String()
			calls := map[string]func() error{
				"enroll": func() error {
					_, err := c.Enroll(t.Context(), key, &EnrollRequest{Hostname: "pc1"})
					return err
				},
				"refresh": func() error {
					_, err := c.Refresh(t.Context(), &RefreshRequest{DeviceID: "d", RefreshSecret: "secret"})
					return err
				},
				"inventory": func() error {
					_, err := c.SendInventory(t.Context(), "token", []byte(`{}`))
					return err
				},
				"checkin": func() error {
					_, err := c.CheckIn(t.Context(), "token", &CheckInRequest{})
					return err
				},
			}
			for name, call := range calls {
				err := call()
				var rej *RejectError
				if !errors.As(err, &rej) || rej.Status != http.StatusTemporaryRedirect || !strings.Contains(rej.Message, "not followed") {
					t.Errorf("%s = %v, want a refused 307", name, err)
				}
			}
			if n := leaked.Load(); n != 0 {
				t.Errorf("%d requests reached the redirect target", n)
			}
		})
	}
}

// TestPlainHTTPServerNotRetried: an https:// URL to a server that speaks
// plain HTTP is said so at once, not retried five times.
func TestPlainHTTPServerNotRetried(t *testing.T) {
	var conns atomic.Int32
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	defer ts.Close()
	c, err := NewClient(ClientConfig{URL: "https://" + ts.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Enroll(t.Context(), NewKey().String(), &EnrollRequest{Hostname: "pc"})
	if err == nil || !strings.Contains(err.Error(), "does not speak TLS") {
		t.Errorf("Enroll over https to a plain HTTP server = %v, want an error saying it does not speak TLS", err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1: the failure is not retried", n)
	}
}

func TestStreamedCheckInStalls(t *testing.T) {
	var streamed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !streamed.Load() {
			// A service that does not stream holds the check-in, then
			// answers as usual.
			time.Sleep(300 * time.Millisecond)
			io.WriteString(w, `{"actions":[],"poll":0}`)
			return
		}
		// A proxy that buffers: the head, one keep-alive, then nothing.
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := NewClient(ClientConfig{URL: srv.URL, Timeout: 200 * time.Millisecond, StreamIdle: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckIn(t.Context(), "tok", &CheckInRequest{Wait: 600, Stream: true}); err != nil {
		t.Errorf("streamed check-in with a service that does not stream = %v, want its answer", err)
	}
	streamed.Store(true)
	start := time.Now()
	_, err = c.CheckIn(t.Context(), "tok", &CheckInRequest{Wait: 600, Stream: true})
	if !errors.Is(err, ErrCheckInStalled) || time.Since(start) > 5*time.Second {
		t.Errorf("stalled streamed check-in = %v after %v, want ErrCheckInStalled after its idle time", err, time.Since(start))
	}
	// A check-in that does not stream is not watched so.
	ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
	defer cancel()
	if _, err := c.CheckIn(ctx, "tok", &CheckInRequest{Wait: 600}); errors.Is(err, ErrCheckInStalled) || err == nil {
		t.Errorf("plain check-in = %v, want the caller's deadline", err)
	}
}
