package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// stubResolver answers from a map, counts lookups, and fails for names
// set to nil.
type stubResolver struct {
	mu      sync.Mutex
	addrs   map[string][]netip.Addr
	lookups int
}

func (r *stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups++
	a, ok := r.addrs[host]
	if !ok || a == nil {
		return nil, errors.New("no such host")
	}
	return a, nil
}

func (r *stubResolver) set(host string, addrs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs[host] = nil
	for _, a := range addrs {
		r.addrs[host] = append(r.addrs[host], netip.MustParseAddr(a))
	}
}

func TestParseAgentTrust(t *testing.T) {
	tests := []struct {
		in      []string
		want    []string
		wantErr bool
	}{
		{[]string{"glpi.example.com"}, []string{"glpi.example.com"}, false},
		{[]string{"198.51.100.0/24, 192.0.2.7", "GLPI.Example.com"}, []string{"198.51.100.0/24", "192.0.2.7", "glpi.example.com"}, false},
		{[]string{"198.51.100.9/24"}, []string{"198.51.100.0/24"}, false},
		{[]string{"[2001:db8::1]", "2001:db8::/32"}, []string{"2001:db8::1", "2001:db8::/32"}, false},
		{[]string{"a.example", "a.example"}, []string{"a.example"}, false},
		{[]string{"198.51.100.0/33"}, nil, true},
		{[]string{"glpi example"}, []string{"glpi", "example"}, false},
		{[]string{"http://glpi/"}, nil, true},
		{[]string{"a..b"}, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseAgentTrust(tt.in)
		if (err != nil) != tt.wantErr || !tt.wantErr && !slices.Equal(got, tt.want) {
			t.Errorf("ParseAgentTrust(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if h, err := GLPIHost("https://GLPI.example.com:8443/glpi/"); h != "glpi.example.com" || err != nil {
		t.Errorf("GLPIHost() = %q, %v; want glpi.example.com", h, err)
	}
}

// TestAgentTrustResolved: the names are sent with the addresses they
// resolve to here, resolved at most once a minute; a failed lookup keeps
// the last addresses rather than untrusting GLPI.
func TestAgentTrustResolved(t *testing.T) {
	r := &stubResolver{addrs: map[string][]netip.Addr{}}
	r.set("glpi.example.com", "2001:db8::10", "192.0.2.10")
	at := newAgentTrust([]string{"glpi.example.com", "198.51.100.0/24"}, r)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	want := []string{"glpi.example.com", "198.51.100.0/24", "192.0.2.10", "2001:db8::10"}
	if got := at.get(t.Context(), now); !slices.Equal(got, want) {
		t.Errorf("get() = %q, want %q", got, want)
	}
	r.set("glpi.example.com", "192.0.2.10", "2001:db8::10") // rotated: the same list
	if got := at.get(t.Context(), now.Add(time.Minute)); !slices.Equal(got, want) {
		t.Errorf("get() after the resolver rotated its answer = %q, want %q", got, want)
	}
	now = now.Add(time.Minute)
	r.set("glpi.example.com", "192.0.2.11")
	if got := at.get(t.Context(), now.Add(30*time.Second)); !slices.Equal(got, want) || r.lookups != 2 {
		t.Errorf("get() within the minute = %q after %d lookups, want %q after 2", got, r.lookups, want)
	}
	want = []string{"glpi.example.com", "198.51.100.0/24", "192.0.2.11"}
	if got := at.get(t.Context(), now.Add(time.Minute)); !slices.Equal(got, want) {
		t.Errorf("get() a minute later = %q, want %q", got, want)
	}
	r.set("glpi.example.com") // fails
	if got := at.get(t.Context(), now.Add(2*time.Minute)); !slices.Equal(got, want) {
		t.Errorf("get() after a failed lookup = %q, want the last addresses %q", got, want)
	}
	if got := newAgentTrust(nil, r).get(t.Context(), now); got == nil || len(got) != 0 {
		t.Errorf("get() of no entries = %#v, want an empty list, not nil", got)
	}
}

// TestAgentTrustSent: the enrollment answer and every check-in answer carry
// the agent trust list; a service without one sends an empty list, which
// makes agents drop what an earlier configuration gave them.
func TestAgentTrustSent(t *testing.T) {
	r := &stubResolver{addrs: map[string][]netip.Addr{}}
	r.set("glpi.example.com", "192.0.2.10")
	e := newEnv(t, func(c *Config) {
		c.AgentTrust, c.Resolver = []string{"glpi.example.com", "198.51.100.0/24"}, r
	})
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc-trust"))
	want := []string{"glpi.example.com", "198.51.100.0/24", "192.0.2.10"}
	if !slices.Equal(dev.AgentTrust, want) {
		t.Errorf("enrollment answer agent_trust = %q, want %q", dev.AgentTrust, want)
	}
	resp, err := e.client.CheckIn(t.Context(), dev.Credential.AccessToken, &enroll.CheckInRequest{Status: "idle"})
	if err != nil || !slices.Equal(resp.AgentTrust, want) {
		t.Errorf("check-in agent_trust = %q, %v; want %q", resp.AgentTrust, err, want)
	}

	// An agent holding another list is answered at once, and told to come
	// back at once; one holding this list is held as usual.
	start := time.Now()
	resp, err = e.client.CheckIn(t.Context(), dev.Credential.AccessToken, &enroll.CheckInRequest{Status: "idle", Wait: 30,
		AgentTrustHash: enroll.TrustHash([]string{"old.example.com"})})
	if took := time.Since(start); err != nil || took > 5*time.Second || resp.Poll != 0 || !slices.Equal(resp.AgentTrust, want) {
		t.Errorf("check-in with a stale list = %+v, %v after %v; want the list at once, poll 0", resp, err, took)
	}
	start = time.Now()
	resp, err = e.client.CheckIn(t.Context(), dev.Credential.AccessToken, &enroll.CheckInRequest{Status: "idle", Wait: 1,
		AgentTrustHash: enroll.TrustHash(want)})
	if took := time.Since(start); err != nil || took < 900*time.Millisecond {
		t.Errorf("check-in with the current list = %+v, %v after %v; want held for its wait", resp, err, took)
	}

	none := newEnv(t, nil)
	dev = none.enroll(none.key(KeyOptions{}), enrollReq("pc-none"))
	resp, err = none.client.CheckIn(t.Context(), dev.Credential.AccessToken, &enroll.CheckInRequest{Status: "idle"})
	if err != nil || resp.AgentTrust == nil || len(resp.AgentTrust) != 0 {
		t.Errorf("check-in agent_trust without a list = %#v, %v; want an empty list", resp.AgentTrust, err)
	}
}

// TestRelayNamesDevice: the relay gives GLPI the device's address, the
// one the service saw the inventory come from (behind a trusted proxy, the
// client it names), and the port of the device's listener, so that GLPI's
// agent list and its "Request inventory" button reach the device.
func TestRelayNamesDevice(t *testing.T) {
	g := glpitest.New(t)
	relay, err := glpi.New(glpi.Config{URL: g.URL, Retries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		c.Relay, c.TrustedProxies = relay, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc-far"))
	// The service's own server, which reads the trusted proxies' header.
	ts := httptest.NewServer(e.srv.httpServer().Handler)
	t.Cleanup(ts.Close)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+enroll.PathInventory, bytes.NewReader(inventoryJSON("pc-far", 3)))
	req.Header.Set("Authorization", "Bearer "+dev.Credential.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	req.Header.Set(enroll.HeaderHTTPDPort, "62999")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST inventory = %v, %v; want 202", resp, err)
	}
	resp.Body.Close()
	got := g.WaitInventories(t, 1, 10*time.Second)
	if xff := got[0].Header.Get("X-Forwarded-For"); xff != "198.51.100.7" {
		t.Errorf("GLPI received X-Forwarded-For %q, want the device's 198.51.100.7", xff)
	}
	a := g.Agents()[dev.GLPIDeviceID]
	if a.RemoteAddr != "198.51.100.7" || a.Port != 62999 || a.Contacts != 1 || a.AgentID != dev.AgentID {
		t.Errorf("GLPI's agent record = %+v, want address 198.51.100.7, port 62999, one CONTACT, agent %s", a, dev.AgentID)
	}
	if c := g.Contacts(); len(c) != 1 || c[0].Header.Get("X-Forwarded-For") != "198.51.100.7" || c[0].Tag != "SITE-A" {
		t.Errorf("GLPI's CONTACTs = %+v, want one from 198.51.100.7 with tag SITE-A", c)
	}

	// A device with its listener off sends no port: no CONTACT.
	dev2 := e.enroll(e.key(KeyOptions{}), enrollReq("pc-nolistener"))
	if _, err := e.client.SendInventory(t.Context(), dev2.Credential.AccessToken, inventoryJSON("pc-nolistener", 3)); err != nil {
		t.Fatal(err)
	}
	g.WaitInventories(t, 2, 10*time.Second)
	if a := g.Agents()[dev2.GLPIDeviceID]; a.Contacts != 0 || a.RemoteAddr != "127.0.0.1" {
		t.Errorf("GLPI's record of a device without listener = %+v, want no CONTACT, address 127.0.0.1", a)
	}
}

// TestRequestedByGLPI: an inventory GLPI asked of the agent's listener,
// announced in a check-in, becomes an action of the device that device
// show lists as requested by GLPI, next to the service's run-nows, and that
// is never delivered back to the agent.
func TestRequestedByGLPI(t *testing.T) {
	e := newEnv(t, nil)
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc-helpdesk"))
	id := "0b6c8c1e-6a0e-4c55-9d2a-2f7c1f5e9a01"
	rr := enroll.RequestedRun{ID: id, Client: "198.51.100.2", Full: true, At: time.Now().UTC()}
	resp, err := e.client.CheckIn(t.Context(), dev.Credential.AccessToken, &enroll.CheckInRequest{Status: "running", Requested: []enroll.RequestedRun{rr},
		Results: []enroll.ActionResult{{ID: id, State: enroll.ActionRunning, At: time.Now().UTC()}}})
	if err != nil || len(resp.Actions) != 0 {
		t.Fatalf("CheckIn(requested) = %+v, %v; want no action back", resp, err)
	}
	acts, err := e.st.DeviceActions(t.Context(), dev.DeviceID, 10)
	if err != nil || len(acts) != 1 {
		t.Fatalf("DeviceActions = %+v, %v; want one", acts, err)
	}
	if a := acts[0]; a.ID != id || a.RequestedBy != store.RequestedByGLPI || a.RequestedFrom != "198.51.100.2" || a.State != enroll.ActionRunning || !a.Full {
		t.Errorf("action = %+v, want %s requested by GLPI from 198.51.100.2, running, full", a, id)
	}
	// Announced again (a lost answer): still one action.
	if _, err := e.client.CheckIn(t.Context(), dev.Credential.AccessToken, &enroll.CheckInRequest{Status: "running", Requested: []enroll.RequestedRun{rr}}); err != nil {
		t.Fatal(err)
	}
	// Another device cannot take the id.
	other := e.enroll(e.key(KeyOptions{}), enrollReq("pc-other"))
	if _, err := e.client.CheckIn(t.Context(), other.Credential.AccessToken, &enroll.CheckInRequest{Status: "idle", Requested: []enroll.RequestedRun{rr},
		Results: []enroll.ActionResult{{ID: id, State: enroll.ActionFailed, Message: "spoofed", At: time.Now().UTC()}}}); err != nil {
		t.Fatal(err)
	}
	if acts, _ := e.st.DeviceActions(t.Context(), other.DeviceID, 10); len(acts) != 0 {
		t.Errorf("other device's actions = %+v, want none", acts)
	}
	acts, _ = e.st.DeviceActions(t.Context(), dev.DeviceID, 10)
	if len(acts) != 1 || acts[0].State != enroll.ActionRunning {
		t.Errorf("actions after a replay and another device's report = %+v, want one, still running", acts)
	}
	var out strings.Builder
	if err := (&Admin{Store: e.st, Out: &out}).DeviceShow(t.Context(), dev.DeviceID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "full inventory, requested by GLPI from 198.51.100.2: running") {
		t.Errorf("device show =\n%s\nwant the request listed as requested by GLPI from 198.51.100.2", out.String())
	}
	// A malformed announcement is refused whole.
	bad := rr
	bad.ID = "not-a-uuid"
	_, err = e.client.CheckIn(t.Context(), dev.Credential.AccessToken, &enroll.CheckInRequest{Status: "idle", Requested: []enroll.RequestedRun{bad}})
	wantReject(t, err, http.StatusBadRequest, enroll.ReasonBadRequest)
}
