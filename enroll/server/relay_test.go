package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// heldGLPI is a GLPI whose inventory posts wait until release is called,
// like a GLPI busy importing: arrived receives one value per post. The
// test's cleanup releases them.
func heldGLPI(t *testing.T) (g *glpitest.Server, url string, arrived chan struct{}, release func()) {
	g = glpitest.New(t)
	arrived = make(chan struct{}, 8)
	held := make(chan struct{})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-held
		g.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	release = sync.OnceFunc(func() { close(held) })
	t.Cleanup(release) // before front.Close, which waits for the handlers
	return g, front.URL, arrived, release
}

// relayInFlight starts a server relaying to the GLPI at url, with the
// given stop grace (0 for the default), enrolls a device and sends an
// inventory, and returns once its post reached GLPI.
func relayInFlight(t *testing.T, url string, arrived <-chan struct{}, grace time.Duration) (*env, *enroll.EnrollResponse) {
	t.Helper()
	relay, err := glpi.New(glpi.Config{URL: url, Retries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Relay, c.RelayStopGrace = relay, grace })
	resp := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	if _, err := e.client.SendInventory(t.Context(), resp.Credential.AccessToken, inventoryJSON("pc", 3)); err != nil {
		t.Fatal(err)
	}
	within(t, arrived, 10*time.Second, "relay post")
	return e, resp
}

func within(t *testing.T, c <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(d):
		t.Fatalf("%s: not within %v", what, d)
	}
}

// A stopping server lets the post in flight finish and records GLPI's
// answer: after the restart nothing is sent twice.
func TestStopFinishesRelaysInFlight(t *testing.T) {
	g, url, arrived, release := heldGLPI(t)
	e, resp := relayInFlight(t, url, arrived, 0)

	stopped := make(chan struct{})
	go func() { e.stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("the relay stopped before GLPI answered the post in flight")
	case <-time.After(300 * time.Millisecond):
	}
	release()
	within(t, stopped, 10*time.Second, "stop after GLPI answered")

	if n := len(g.Inventories()); n != 1 {
		t.Errorf("GLPI imported %d inventories, want 1", n)
	}
	if depth, err := e.st.OutboxDepth(t.Context()); err != nil || depth != 0 {
		t.Errorf("outbox depth after the stop = %d, %v; want 0: the item would be sent again", depth, err)
	}
	if d, err := e.st.Device(t.Context(), resp.DeviceID); err != nil || d.RelayStatus != "ok" {
		t.Errorf("relay status = %q, %v; want ok", d.RelayStatus, err)
	}
}

// A post still running at the end of the stop grace is cut, and its item
// stays queued for the next start: nothing is lost.
func TestStopGraceCutsSlowRelay(t *testing.T) {
	_, url, arrived, _ := heldGLPI(t)
	e, _ := relayInFlight(t, url, arrived, 100*time.Millisecond)
	stopped := make(chan struct{})
	go func() { e.stop(); close(stopped) }()
	within(t, stopped, 5*time.Second, "stop at the end of the grace")

	if depth, err := e.st.OutboxDepth(t.Context()); err != nil || depth != 1 {
		t.Errorf("outbox depth after the cut = %d, %v; want 1 (kept for the next start)", depth, err)
	}
	if !strings.Contains(e.logs.String(), "relay cut short by the stop") {
		t.Errorf("no warning about the cut relay in the log:\n%s", e.logs.String())
	}
}

// relayReplica starts a replica on dsn relaying to the GLPI at url with a
// short lease, and returns it with a function that stops its relay.
func relayReplica(t *testing.T, dsn, url string, lease, grace time.Duration) (replica, func()) {
	t.Helper()
	relay, err := glpi.New(glpi.Config{URL: url, Retries: -1, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := startReplica(t, dsn, func(c *Config) {
		c.Relay, c.RelayLease, c.RelayStopGrace, c.RelayPoll = relay, lease, grace, 20*time.Millisecond
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.srv.RunRelay(ctx) }()
	stop := sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(stop)
	return r, stop
}

// A post GLPI takes longer than the lease to answer stays with the replica
// making it: the other replica does not post the inventory again.
func TestSlowRelayKeepsItsLease(t *testing.T) {
	dsn := postgresSchema(t)
	g, url, arrived, release := heldGLPI(t)
	const lease = time.Second
	a, _ := relayReplica(t, dsn, url, lease, time.Minute)
	relayReplica(t, dsn, url, lease, time.Minute)
	dev := enrollOn(t, a)
	within(t, arrived, 10*time.Second, "relay post")
	select {
	case <-arrived:
		t.Fatal("the inventory was posted again while the first post was running")
	case <-time.After(4 * lease):
	}
	release()
	waitFor(t, func() bool { d, _ := a.srv.st.OutboxDepth(t.Context()); return d == 0 })
	if n := len(g.Inventories()); n != 1 {
		t.Errorf("GLPI imported %d inventories, want 1", n)
	}
	if d, err := a.srv.st.Device(t.Context(), dev.DeviceID); err != nil || d.RelayStatus != "ok" {
		t.Errorf("relay status = %q, %v; want ok", d.RelayStatus, err)
	}
}

// The items a dead replica was posting are posted by another one once its
// lease runs out, not minutes later.
func TestDeadReplicaItemsFreedAfterLease(t *testing.T) {
	dsn := postgresSchema(t)
	g := glpitest.New(t)
	// The first post never gets an answer: its replica dies posting it.
	first, ended := make(chan struct{}), make(chan struct{})
	var once sync.Once
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held := false
		once.Do(func() { held = true; close(first) })
		if held {
			io.Copy(io.Discard, r.Body) // then a closed connection ends r.Context()
			select {
			case <-r.Context().Done():
			case <-ended:
			}
			return
		}
		g.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	t.Cleanup(func() { close(ended) }) // before front.Close
	const lease = time.Second
	a, stopA := relayReplica(t, dsn, front.URL, lease, time.Millisecond)
	enrollOn(t, a)
	within(t, first, 10*time.Second, "first post")
	stopA() // no grace: the post is cut, the claim stays, nobody renews it
	claimedUntil := time.Now().Add(lease)

	relayReplica(t, dsn, front.URL, lease, time.Minute)
	got := g.WaitInventories(t, 1, 10*time.Second)
	if late := time.Since(claimedUntil); late > 2*time.Second {
		t.Errorf("posted %v after the dead replica's lease ran out, want within a poll", late)
	}
	if len(got) != 1 {
		t.Errorf("GLPI imported %d inventories, want 1", len(got))
	}
}

// enrollOn enrolls a device on r and sends one inventory through it.
func enrollOn(t *testing.T, r replica) *enroll.EnrollResponse {
	t.Helper()
	k, _, err := CreateKey(t.Context(), r.srv.st, r.srv.cfg.Secret, KeyOptions{Tag: "t"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := enroll.NewClient(enroll.ClientConfig{URL: r.url, Retries: -1})
	dev, err := c.Enroll(t.Context(), k.String(), enrollReq("pc"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendInventory(t.Context(), dev.Credential.AccessToken, inventoryJSON("pc", 3)); err != nil {
		t.Fatal(err)
	}
	return dev
}
