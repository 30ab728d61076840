package server

import (
	"context"
	"net"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// serveTLS runs a second server on e's store with Serve, over TLS with a
// self-signed certificate, and returns it, its listener and a client
// pinning its key. Serve stops when the test ends.
func serveTLS(t *testing.T, e *env) (*Server, *countingListener, *enroll.Client) {
	t.Helper()
	return serveTLSWith(t, e, nil)
}

// serveTLSWith is serveTLS with the server's Config edited.
func serveTLSWith(t *testing.T, e *env, edit func(*Config)) (*Server, *countingListener, *enroll.Client) {
	t.Helper()
	cfg := Config{Store: e.st, Secret: e.srv.cfg.Secret}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, pin, err := SelfSigned(filepath.Join(t.TempDir(), "tls"))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{Listener: inner}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, cert, key) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve = %v", err)
		}
	})
	c, err := enroll.NewClient(enroll.ClientConfig{URL: "https://" + inner.Addr().String(), PinSHA256: pin, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return srv, ln, c
}

// handlersWaiting counts the goroutines of check-in handlers.
func handlersWaiting() int {
	var b strings.Builder
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	return strings.Count(b.String(), "(*Server).handleCheckIn(")
}

func TestParkedCheckInsHoldNoGoroutine(t *testing.T) {
	e := newEnv(t, nil)
	srv, _, c := serveTLS(t, e)
	key := e.key(KeyOptions{})
	const n = 50
	var results []<-chan checkInResult
	for i := range n {
		dev := e.enroll(key, enrollReq("pc-"+string(rune('a'+i%26))+strings.Repeat("x", i/26)))
		results = append(results, checkInAsync(t.Context(), c, dev.Credential.AccessToken, &enroll.CheckInRequest{Wait: 60}))
	}
	waitHeld(t, srv, n)
	if got := handlersWaiting(); got != 0 {
		t.Errorf("%d check-in handlers waiting while %d check-ins are held, want 0: parked check-ins hold no goroutine", got, n)
	}
	srv.Close()
	for _, res := range results {
		if r := <-res; r.err != nil || r.resp.Poll < comeBackMin {
			t.Errorf("held check-in at Close = %+v, %v; want an answer with a poll of %d s at least", r.resp, r.err, comeBackMin)
		}
	}
}

func TestParkedCheckInAnswersAndKeepsItsConnection(t *testing.T) {
	e := newEnv(t, nil)
	srv, ln, c := serveTLS(t, e)
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	token := dev.Credential.AccessToken

	// Woken by a run-now: the action is answered.
	res := checkInAsync(t.Context(), c, token, &enroll.CheckInRequest{Wait: 60})
	waitHeld(t, srv, 1)
	a, err := QueueRunNow(t.Context(), e.st, dev.DeviceID, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv.Wake(dev.DeviceID)
	r := <-res
	if r.err != nil || len(r.resp.Actions) != 1 || r.resp.Actions[0].ID != a.ID || r.resp.Poll != 0 {
		t.Fatalf("woken check-in = %+v, %v; want action %s and poll 0", r.resp, r.err, a.ID)
	}

	// Its result reported, the next check-in waits out its wait.
	res = checkInAsync(t.Context(), c, token, &enroll.CheckInRequest{Wait: 1,
		Results: []enroll.ActionResult{{ID: a.ID, State: enroll.ActionSent, InventoryID: 7, At: time.Now()}}})
	if r := <-res; r.err != nil || len(r.resp.Actions) != 0 || r.resp.Poll != 0 {
		t.Errorf("check-in past its wait = %+v, %v; want no action and poll 0", r.resp, r.err)
	}

	// Replaced by a newer one of the device: told to poll later.
	first := checkInAsync(t.Context(), c, token, &enroll.CheckInRequest{Wait: 60})
	waitHeld(t, srv, 1)
	second := checkInAsync(t.Context(), c, token, &enroll.CheckInRequest{Wait: 60})
	if r := <-first; r.err != nil || len(r.resp.Actions) != 0 || r.resp.Poll != shortPollInterval {
		t.Errorf("replaced check-in = %+v, %v; want no action and poll %d", r.resp, r.err, shortPollInterval)
	}
	waitHeld(t, srv, 1)
	srv.Wake(dev.DeviceID) // nothing queued: it stays parked
	time.Sleep(50 * time.Millisecond)
	if held := srv.metrics.held.Load(); held != 1 {
		t.Errorf("held after a wake with nothing queued = %d, want 1", held)
	}
	srv.Close()
	if r := <-second; r.err != nil || r.resp.Poll < comeBackMin {
		t.Errorf("check-in at Close = %+v, %v; want a poll of %d s at least", r.resp, r.err, comeBackMin)
	}
	// Two connections at most: the one the answered check-ins went on
	// with, and the one the replacing check-in opened while the other
	// was busy.
	if n := ln.n.Load(); n > 2 {
		t.Errorf("connections accepted = %d, want 2 at most: an answered check-in's connection serves the next", n)
	}
}

func TestCloseSpreadsComeBack(t *testing.T) {
	tests := []struct {
		held int64
		want int
	}{
		{0, comeBackMin},
		{1, comeBackMin},
		{10_000, 20},
		{100_000, 200},
		{10_000_000, comeBackMax},
	}
	for _, tt := range tests {
		if got := comeBackWindow(tt.held); got != tt.want {
			t.Errorf("comeBackWindow(%d) = %d, want %d", tt.held, got, tt.want)
		}
	}
	var pk parking
	pk.close(100_000)
	seen := map[int]bool{}
	for range 2000 {
		p := pk.comeBack()
		if p < comeBackMin || p >= comeBackMin+200 {
			t.Fatalf("comeBack() after close(100000) = %d, want in [%d, %d)", p, comeBackMin, comeBackMin+200)
		}
		seen[p] = true
	}
	if len(seen) < 100 {
		t.Errorf("comeBack() drew %d distinct delays of 200 in 2000 draws, want them spread", len(seen))
	}
}

func TestParkedCheckInOfAgentGoneLeavesActionQueued(t *testing.T) {
	e := newEnv(t, nil)
	srv, _, c := serveTLS(t, e)
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	ctx, cancel := context.WithCancel(t.Context())
	res := checkInAsync(ctx, c, dev.Credential.AccessToken, &enroll.CheckInRequest{Wait: 60})
	waitHeld(t, srv, 1)
	cancel() // the agent stops: its connection closes
	<-res
	a, err := QueueRunNow(t.Context(), e.st, dev.DeviceID, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv.Wake(dev.DeviceID)
	for deadline := time.Now().Add(10 * time.Second); srv.metrics.held.Load() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the check-in of an agent gone is still held after a wake")
		}
	}
	got, err := e.st.Action(t.Context(), a.ID)
	if err != nil || got.State != enroll.ActionQueued {
		t.Errorf("action for an agent gone = %+v, %v; want it still %s", got, err, enroll.ActionQueued)
	}
}

// TestCheckInsOfOneDeviceAtOnce: check-ins of one device replacing each
// other while actions are queued and delivered, each answered once.
func TestCheckInsOfOneDeviceAtOnce(t *testing.T) {
	e := newEnv(t, nil)
	srv, _, c := serveTLS(t, e)
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	delivered := map[string]int{}
	var queued []string
	collect := func(r checkInResult) {
		t.Helper()
		if r.err != nil {
			t.Fatalf("check-in = %v", r.err)
		}
		for _, got := range r.resp.Actions {
			delivered[got.ID]++
		}
	}
	checkIn := func() <-chan checkInResult {
		return checkInAsync(t.Context(), c, dev.Credential.AccessToken, &enroll.CheckInRequest{Wait: 1})
	}
	// Each round, four check-ins of the device and a run-now race. All
	// but the newest held are answered at once (the action, or replaced);
	// a check-in of the next round then replaces that one, rather than
	// the round waiting out its second.
	var carry <-chan checkInResult
	for range 20 {
		pending := []<-chan checkInResult{checkIn(), checkIn(), checkIn(), checkIn()}
		if carry != nil {
			pending = append(pending, carry)
		}
		a, err := QueueRunNow(t.Context(), e.st, dev.DeviceID, nil, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		queued = append(queued, a.ID)
		srv.Wake(dev.DeviceID)
		answers := make(chan checkInResult, len(pending))
		for _, res := range pending {
			go func() { answers <- <-res }()
		}
		for range len(pending) - 1 {
			collect(<-answers)
		}
		carry = checkIn()
		collect(<-answers)
	}
	collect(<-carry)
	for id, n := range delivered {
		if n != 1 {
			t.Errorf("action %s delivered %d times, want once", id, n)
		}
	}
	if len(delivered) == 0 {
		t.Errorf("none of %d actions delivered", len(queued))
	}
}

// TestRevocationEndsHeldCheckIn: a device revoked by another process (the
// admin command) gets its held check-in answered at once with the
// revocation, parked or held by its handler, not when its wait ends; an
// unrevoked device held beside it stays held.
func TestRevocationEndsHeldCheckIn(t *testing.T) {
	e := newEnv(t, nil)
	srv, _, tlsClient := serveTLS(t, e)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go srv.RunWatch(ctx)
	cli, err := store.OpenSQLite(t.Context(), e.dir) // the admin command's own handle
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	key := e.key(KeyOptions{})
	for _, tt := range []struct {
		name   string
		srv    *Server
		client *enroll.Client
	}{
		{"parked", srv, tlsClient},
		{"held by its handler", e.srv, e.client},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dev := e.enroll(key, enrollReq("pc-revoked-"+strings.ReplaceAll(tt.name, " ", "-")))
			other := e.enroll(key, enrollReq("pc-kept-"+strings.ReplaceAll(tt.name, " ", "-")))
			res := checkInAsync(t.Context(), tt.client, dev.Credential.AccessToken, &enroll.CheckInRequest{Wait: 60})
			kept := checkInAsync(t.Context(), tt.client, other.Credential.AccessToken, &enroll.CheckInRequest{Wait: 60})
			waitHeld(t, tt.srv, 2)
			if err := cli.RevokeDevice(t.Context(), dev.DeviceID, time.Now()); err != nil {
				t.Fatal(err)
			}
			answeredRevoked(t, res, "held check-in of the revoked device")
			waitFor(t, func() bool { return tt.srv.metrics.held.Load() == 1 })
			select {
			case r := <-kept:
				t.Errorf("the other device's check-in answered: %+v, %v", r.resp, r.err)
			default:
			}
		})
	}
}
