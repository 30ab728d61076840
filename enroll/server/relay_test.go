package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/glpi"
	"github.com/glpi-agentd/glpi-agentd/agent/glpi/glpitest"
	"github.com/glpi-agentd/glpi-agentd/enroll"
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
