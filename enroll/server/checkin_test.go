package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

const testAdminToken = "admin-token-0123456789abcdef0123456789"

// checkInResult is the outcome of a check-in run in the background.
type checkInResult struct {
	resp *enroll.CheckInResponse
	err  error
	at   time.Time
}

func checkInAsync(ctx context.Context, c *enroll.Client, token string, req *enroll.CheckInRequest) <-chan checkInResult {
	out := make(chan checkInResult, 1)
	go func() {
		resp, err := c.CheckIn(ctx, token, req)
		out <- checkInResult{resp, err, time.Now()}
	}()
	return out
}

// waitHeld waits until the server holds n check-ins.
func waitHeld(t testing.TB, srv *Server, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for srv.metrics.held.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("held check-ins = %d, want %d", srv.metrics.held.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// answeredRevoked fails unless res, a check-in held with a wait of 60 s,
// is answered with the revocation well before that wait ends.
func answeredRevoked(t *testing.T, res <-chan checkInResult, what string) {
	t.Helper()
	select {
	case r := <-res:
		if rej, ok := errors.AsType[*enroll.RejectError](r.err); !ok || rej.Status != 403 || rej.Reason != enroll.ReasonDeviceRevoked {
			t.Errorf("%s = %+v, %v; want 403 %s", what, r.resp, r.err, enroll.ReasonDeviceRevoked)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: still held", what)
	}
}

// runNowAPI queues an inventory through the admin API.
func runNowAPI(t testing.TB, url, token, deviceID string, body string) (*http.Response, RunNowResponse) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/v1/admin/devices/"+deviceID+"/run-now", strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out RunNowResponse
	json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

func TestCheckInWakesOnRunNow(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AdminToken = testAdminToken })
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	// A second handle on the database, as the admin command has.
	cli, err := store.OpenSQLite(t.Context(), e.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()

	tests := []struct {
		name  string
		queue func() string
	}{
		{"admin api", func() string {
			resp, out := runNowAPI(t, e.url, testAdminToken, dev.DeviceID, `{"categories":["software","os"]}`)
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("run-now = %d, want 202", resp.StatusCode)
			}
			return out.ID
		}},
		{"other process", func() string {
			a, err := QueueRunNow(t.Context(), cli, dev.DeviceID, []string{"software", "os"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return a.ID
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res := checkInAsync(t.Context(), e.client, dev.Credential.AccessToken, &enroll.CheckInRequest{Wait: 30, Status: "idle"})
			waitHeld(t, e.srv, 1)
			time.Sleep(50 * time.Millisecond)
			queued := time.Now()
			id := tt.queue()
			r := <-res
			if r.err != nil {
				t.Fatalf("CheckIn: %v", r.err)
			}
			delay := r.at.Sub(queued)
			t.Logf("check-in answered %v after the run-now (held %v)", delay.Round(time.Millisecond), queued.Sub(start).Round(time.Millisecond))
			if delay > 15*time.Second { // its wait is 30 s
				t.Errorf("check-in answered %v after the run-now: by its wait, not woken", delay)
			}
			want := []enroll.Action{{ID: id, Type: enroll.ActionRunInventory, Categories: []string{"software", "os"}}}
			if !slices.EqualFunc(r.resp.Actions, want, func(a, b enroll.Action) bool {
				return a.ID == b.ID && a.Type == b.Type && a.Full == b.Full && slices.Equal(a.Categories, b.Categories)
			}) || r.resp.Poll != 0 {
				t.Errorf("CheckIn = %+v, want actions %+v and poll 0", r.resp, want)
			}
		})
	}
}

// TestWakeWithoutWatch: Wake alone answers a held check-in, the store's
// watch stopped.
func TestWakeWithoutWatch(t *testing.T) {
	e := newEnv(t, nil)
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	e.stop() // no store watch from here on
	res := checkInAsync(t.Context(), e.client, dev.Credential.AccessToken, &enroll.CheckInRequest{Wait: 30, Status: "idle"})
	waitHeld(t, e.srv, 1)
	a, err := QueueRunNow(t.Context(), e.st, dev.DeviceID, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	queued := time.Now()
	e.srv.Wake(dev.DeviceID)
	select {
	case r := <-res:
		if r.err != nil {
			t.Fatalf("CheckIn: %v", r.err)
		}
		if len(r.resp.Actions) != 1 || r.resp.Actions[0].ID != a.ID {
			t.Errorf("CheckIn = %+v, want action %s", r.resp, a.ID)
		}
		t.Logf("check-in answered %v after the wake", r.at.Sub(queued).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatal("held check-in not answered 5 s after Wake")
	}
}

func TestCheckInIdle(t *testing.T) {
	e := newEnv(t, nil)
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	tests := []struct {
		wait     int
		min, max time.Duration
		poll     int
	}{
		{0, 0, 500 * time.Millisecond, shortPollInterval},
		{1, time.Second, 2 * time.Second, 0},
	}
	for _, tt := range tests {
		start := time.Now()
		resp, err := e.client.CheckIn(t.Context(), dev.Credential.AccessToken, &enroll.CheckInRequest{Wait: tt.wait, Status: "idle"})
		took := time.Since(start)
		if err != nil || len(resp.Actions) != 0 || resp.Poll != tt.poll || took < tt.min || took > tt.max {
			t.Errorf("CheckIn(wait %d) = %+v, %v after %v; want no actions, poll %d, within [%v, %v]", tt.wait, resp, err, took, tt.poll, tt.min, tt.max)
		}
	}
	if held := e.srv.metrics.held.Load(); held != 0 {
		t.Errorf("held check-ins after the answers = %d, want 0", held)
	}
	_, err := e.client.CheckIn(t.Context(), "glpia_nothing", &enroll.CheckInRequest{})
	wantReject(t, err, 401, enroll.ReasonTokenInvalid)
	e.st.RevokeDevice(t.Context(), dev.DeviceID, e.clock.Now())
	_, err = e.client.CheckIn(t.Context(), dev.Credential.AccessToken, &enroll.CheckInRequest{})
	wantReject(t, err, 403, enroll.ReasonDeviceRevoked)
}

// states returns the states of an action's history.
func states(a *store.Action) []string {
	var out []string
	for _, h := range a.History {
		out = append(out, h.State)
	}
	return out
}

func TestActionStateHistory(t *testing.T) {
	g := glpitest.New(t)
	relay, err := glpi.New(glpi.Config{URL: g.URL, Retries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		relay Relay
		final string
	}{
		{"relayed to GLPI", relay, enroll.ActionRelayed},
		{"no relay", nil, enroll.ActionStored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Relay = tt.relay })
			ctx := t.Context()
			dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
			tok := dev.Credential.AccessToken
			act, err := QueueRunNow(ctx, e.st, dev.DeviceID, nil, e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			resp, err := e.client.CheckIn(ctx, tok, &enroll.CheckInRequest{Wait: 5})
			if err != nil || len(resp.Actions) != 1 || resp.Actions[0].ID != act.ID || !resp.Actions[0].Full {
				t.Fatalf("CheckIn = %+v, %v; want the full run %s", resp, err, act.ID)
			}
			// Delivered once: the next check-in finds nothing.
			if again, err := e.client.CheckIn(ctx, tok, &enroll.CheckInRequest{}); err != nil || len(again.Actions) != 0 {
				t.Errorf("second CheckIn = %+v, %v; want no action", again, err)
			}
			report := func(r enroll.ActionResult) {
				t.Helper()
				r.ID, r.At = act.ID, e.clock.Now()
				if _, err := e.client.CheckIn(ctx, tok, &enroll.CheckInRequest{Status: "running", Results: []enroll.ActionResult{r}}); err != nil {
					t.Fatalf("CheckIn(report %s): %v", r.State, err)
				}
			}
			report(enroll.ActionResult{State: enroll.ActionRunning})
			ack, err := e.client.SendInventory(ctx, tok, inventoryJSON("pc", 5))
			if err != nil {
				t.Fatal(err)
			}
			report(enroll.ActionResult{State: enroll.ActionSent, InventoryID: ack.ID})
			report(enroll.ActionResult{State: enroll.ActionRunning}) // late: ignored
			waitFor(t, func() bool { a, _ := e.st.Action(ctx, act.ID); return a.Done() })
			got, _ := e.st.Action(ctx, act.ID)
			want := []string{"queued", "delivered", "running", "sent", tt.final}
			if !slices.Equal(states(got), want) || got.State != tt.final || got.InventoryID != ack.ID {
				t.Errorf("action = %s (inventory %d), history %v; want %s (inventory %d), history %v", got.State, got.InventoryID, states(got), tt.final, ack.ID, want)
			}
			if tt.relay != nil {
				resp, err := e.client.CheckIn(ctx, tok, &enroll.CheckInRequest{})
				if err != nil || resp.Relay == nil || resp.Relay.Status != "ok" || resp.Relay.InventoryID != ack.ID {
					t.Errorf("CheckIn relay = %+v, %v; want ok for inventory %d", resp.Relay, err, ack.ID)
				}
			}
			m := e.get("/metrics")
			if want := fmt.Sprintf("glpi_enrolld_actions{state=%q} 1", tt.final); !strings.Contains(m, want) || !strings.Contains(m, "glpi_enrolld_checkins_held 0") {
				t.Errorf("/metrics lacks %q or the held gauge:\n%s", want, m)
			}
		})
	}
}

func TestActionRedelivery(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	act, _ := QueueRunNow(ctx, e.st, dev.DeviceID, nil, e.clock.Now())
	first, _ := e.client.CheckIn(ctx, dev.Credential.AccessToken, &enroll.CheckInRequest{})
	e.clock.Advance(redeliverAfter + time.Second) // the agent never reported
	second, _ := e.client.CheckIn(ctx, dev.Credential.AccessToken, &enroll.CheckInRequest{})
	if len(first.Actions) != 1 || len(second.Actions) != 1 || second.Actions[0].ID != act.ID {
		t.Errorf("deliveries = %+v then %+v, want %s twice", first.Actions, second.Actions, act.ID)
	}
	// Reported on: no more deliveries.
	e.client.CheckIn(ctx, dev.Credential.AccessToken, &enroll.CheckInRequest{Results: []enroll.ActionResult{{ID: act.ID, State: enroll.ActionFailed, Message: "collector crashed"}}})
	e.clock.Advance(redeliverAfter + time.Second)
	third, _ := e.client.CheckIn(ctx, dev.Credential.AccessToken, &enroll.CheckInRequest{})
	got, _ := e.st.Action(ctx, act.ID)
	if len(third.Actions) != 0 || got.State != enroll.ActionFailed || got.Message != "collector crashed" {
		t.Errorf("after failure: delivered %+v, action %s %q; want nothing, failed", third.Actions, got.State, got.Message)
	}
}

func TestAdminAPIAuth(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AdminToken = testAdminToken })
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	tests := []struct {
		name, token, device, body string
		want                      int
	}{
		{"no token", "", dev.DeviceID, "", 401},
		{"wrong token", "admin-token-0123456789abcdef012345678X", dev.DeviceID, "", 401},
		{"short token", "a", dev.DeviceID, "", 401},
		{"right token", testAdminToken, dev.DeviceID, "", 202},
		{"categories", testAdminToken, dev.DeviceID, `{"categories":["software"]}`, 202},
		{"bad category", testAdminToken, dev.DeviceID, `{"categories":["../etc"]}`, 400},
		{"bad body", testAdminToken, dev.DeviceID, `{`, 400},
		{"unknown device", testAdminToken, "nosuchdevice", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, out := runNowAPI(t, e.url, tt.token, tt.device, tt.body)
			if resp.StatusCode != tt.want {
				t.Errorf("POST run-now = %d, want %d", resp.StatusCode, tt.want)
			}
			for h, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
				"Content-Security-Policy": "default-src 'none'", "X-Frame-Options": "DENY"} {
				if got := resp.Header.Get(h); got != v {
					t.Errorf("header %s = %q, want %q", h, got, v)
				}
			}
			if tt.want != 202 {
				return
			}
			req, _ := http.NewRequest("GET", e.url+"/api/v1/admin/actions/"+out.ID, nil)
			req.Header.Set("Authorization", "Bearer "+tt.token)
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			var a store.Action
			json.NewDecoder(r.Body).Decode(&a)
			if r.StatusCode != 200 || a.ID != out.ID || a.State != enroll.ActionQueued || len(a.History) != 1 {
				t.Errorf("GET action = %d %+v, want 200 queued with its history", r.StatusCode, a)
			}
		})
	}
	if strings.Contains(e.logs.String(), testAdminToken) || strings.Contains(e.logs.String(), "0123456789abcdef012345678X") {
		t.Error("an admin token appears in the logs")
	}
	// Without a token the API does not exist.
	off := newEnv(t, nil)
	if resp, _ := runNowAPI(t, off.url, testAdminToken, "x", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("run-now without admin token configured = %d, want 404", resp.StatusCode)
	}
}

// fakeAgent checks in like glpi-agentd on machine host and runs every
// inventory asked.
func fakeAgent(ctx context.Context, t testing.TB, c *enroll.Client, host, token string) {
	var results []enroll.ActionResult
	for ctx.Err() == nil {
		resp, err := c.CheckIn(ctx, token, &enroll.CheckInRequest{Wait: 30, Status: "idle", Results: results})
		results = nil
		if err != nil {
			if ctx.Err() == nil {
				t.Errorf("fake agent: CheckIn: %v", err)
			}
			return
		}
		for _, a := range resp.Actions {
			running := []enroll.ActionResult{{ID: a.ID, State: enroll.ActionRunning, At: time.Now()}}
			if _, err := c.CheckIn(ctx, token, &enroll.CheckInRequest{Status: "running", Results: running}); err != nil {
				t.Errorf("fake agent: report running: %v", err)
				return
			}
			ack, err := c.SendInventory(ctx, token, inventoryJSON(host, 20))
			if err != nil {
				t.Errorf("fake agent: SendInventory: %v", err)
				return
			}
			results = append(results, enroll.ActionResult{ID: a.ID, State: enroll.ActionSent, InventoryID: ack.ID, At: time.Now()})
		}
	}
}

func TestRunNowWaitCLI(t *testing.T) {
	g := glpitest.New(t)
	relay, err := glpi.New(glpi.Config{URL: g.URL, Retries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Now, c.Relay = nil, relay })
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc-cli"))
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { fakeAgent(ctx, t, e.client, "pc-cli", dev.Credential.AccessToken) })
	defer func() { cancel(); wg.Wait() }()
	cli, err := store.OpenSQLite(t.Context(), e.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()

	var toRunning, toDone []time.Duration
	for i := range 20 {
		var out bytes.Buffer
		a := &Admin{Store: cli, Out: &out}
		opts := RunNowOptions{Hostname: "pc-cli", Wait: true, Timeout: 20 * time.Second, Poll: 20 * time.Millisecond}
		if i%2 == 1 {
			opts = RunNowOptions{DeviceID: dev.DeviceID, Categories: []string{"software"}, Wait: true, Timeout: 20 * time.Second, Poll: 20 * time.Millisecond}
		}
		waitHeld(t, e.srv, 1)
		if err := a.RunNow(t.Context(), opts); err != nil {
			t.Fatalf("RunNow: %v\n%s", err, out.String())
		}
		text := out.String()
		for _, want := range []string{"delivered", "running", "sent (inventory ", "relayed: GLPI answered ok"} {
			if !strings.Contains(text, want) {
				t.Errorf("RunNow output lacks %q:\n%s", want, text)
			}
		}
		id := strings.Fields(text)[0]
		act, err := cli.Action(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range act.History {
			switch h.State {
			case enroll.ActionRunning:
				toRunning = append(toRunning, h.At.Sub(act.CreatedAt))
			case enroll.ActionRelayed:
				toDone = append(toDone, h.At.Sub(act.CreatedAt))
			}
		}
	}
	slices.Sort(toRunning)
	slices.Sort(toDone)
	if len(toRunning) != 20 || len(toDone) != 20 {
		t.Fatalf("got %d running and %d relayed states, want 20 each", len(toRunning), len(toDone))
	}
	t.Logf("run-now → running: median %v, max %v; → relayed: median %v, max %v",
		toRunning[10], toRunning[19], toDone[10], toDone[19])
	if toRunning[10] > 500*time.Millisecond {
		t.Errorf("median run-now → running = %v, want well under 2 s", toRunning[10])
	}

	// A request nobody answers times out with an error.
	var out bytes.Buffer
	a := &Admin{Store: cli, Out: &out}
	cancel()
	wg.Wait()
	err = a.RunNow(t.Context(), RunNowOptions{DeviceID: dev.DeviceID, Wait: true, Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "queued") {
		t.Errorf("RunNow(no agent) = %v, want a timeout while queued", err)
	}
	out.Reset()
	if err := a.DeviceShow(t.Context(), dev.DeviceID); err != nil || !strings.Contains(out.String(), "Requests (last 10)") {
		t.Errorf("DeviceShow = %v, want the last 10 requests:\n%s", err, out.String())
	}
}

// rss returns the resident set size of this process, or 0 where /proc is
// not available.
func rss() int64 { return procStatus("VmRSS") }

// procStatus returns the size /proc/self/status gives for field (VmRSS,
// VmHWM), in bytes, or 0 where /proc is not available.
func procStatus(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func TestManyHeldCheckIns(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 connections")
	}
	const n = 2000
	e := newEnv(t, func(c *Config) { c.Now, c.Logger = nil, nil })
	ctx := t.Context()
	key := e.key(KeyOptions{})
	k, _ := enroll.ParseKey(key)
	tokens := make([]string, n)
	ids := make([]string, n)
	now := time.Now()
	for i := range n {
		tokens[i] = enroll.NewToken(enroll.AccessTokenPrefix)
		d := &store.Device{ID: fmt.Sprintf("dev%05d", i), KeyID: k.ID, Tag: "t", Hostname: fmt.Sprintf("pc-%d", i),
			GLPIDeviceID: fmt.Sprintf("pc-%d-x", i), AgentID: fmt.Sprint(i), InstallID: fmt.Sprint(i), CreatedAt: now, LastSeenAt: now}
		sec := store.Secrets{AccessHash: enroll.HashToken(tokens[i]), AccessExpiresAt: now.Add(time.Hour), RefreshHash: fmt.Sprint("r", i)}
		if _, err := e.st.Enroll(ctx, d, sec, now, store.Event{At: now, Event: "e"}); err != nil {
			t.Fatal(err)
		}
		ids[i] = d.ID
	}
	runtime.GC()
	baseG, baseRSS := runtime.NumGoroutine(), rss()
	c, err := enroll.NewClient(enroll.ClientConfig{URL: e.url, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	results := make([]<-chan checkInResult, n)
	start := time.Now()
	for i := range n {
		results[i] = checkInAsync(ctx, c, tokens[i], &enroll.CheckInRequest{Wait: 8, Status: "idle"})
	}
	waitHeld(t, e.srv, n)
	held := time.Since(start)
	runtime.GC()
	g, mem := runtime.NumGoroutine(), rss()

	// The server stays responsive while holding them.
	t0 := time.Now()
	if got := e.get("/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q", got)
	}
	health := time.Since(t0)
	t0 = time.Now()
	e.enroll(key, enrollReq("newcomer"))
	enrollTook := time.Since(t0)
	t0 = time.Now()
	if _, err := QueueRunNow(ctx, e.st, ids[n/2], nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	r := <-results[n/2]
	woke := r.at.Sub(t0)
	if r.err != nil || len(r.resp.Actions) != 1 {
		t.Errorf("woken check-in = %+v, %v; want one action", r.resp, r.err)
	}
	failed := 0
	for i, ch := range results {
		if i == n/2 {
			continue
		}
		if r := <-ch; r.err != nil || len(r.resp.Actions) != 0 {
			failed++
		}
	}
	t.Logf("%d held check-ins: all held after %v; goroutines %d → %d (client and server, %.1f per check-in); RSS %d → %d MiB (%.1f KiB per check-in); /healthz %v, enroll %v, run-now wake %v; all answered after %v",
		n, held.Round(time.Millisecond), baseG, g, float64(g-baseG)/n, baseRSS>>20, mem>>20, float64(mem-baseRSS)/1024/n,
		health.Round(time.Microsecond), enrollTook.Round(time.Microsecond), woke.Round(time.Microsecond), time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		t.Errorf("%d idle check-ins failed", failed)
	}
	if health > time.Second || enrollTook > 2*time.Second || woke > 500*time.Millisecond {
		t.Errorf("server slow while holding %d check-ins: healthz %v, enroll %v, wake %v", n, health, enrollTook, woke)
	}
}

func TestShutdownAnswersHeldCheckIns(t *testing.T) {
	e := newEnv(t, nil)
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	srv, err := New(Config{Store: e.st, Secret: e.srv.cfg.Secret})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, "", "") }()
	c, _ := enroll.NewClient(enroll.ClientConfig{URL: "http://" + ln.Addr().String(), Retries: -1})
	res := checkInAsync(t.Context(), c, dev.Credential.AccessToken, &enroll.CheckInRequest{Wait: 60})
	waitHeld(t, srv, 1)
	stop := time.Now()
	cancel()
	r := <-res
	if r.err != nil || r.resp.Poll < comeBackMin || r.resp.Poll >= comeBackMin+comeBackWindow(1) || r.at.Sub(stop) > time.Second {
		t.Errorf("held check-in at shutdown = %+v, %v after %v; want an answer at once with a poll in [%d, %d)", r.resp, r.err, r.at.Sub(stop),
			comeBackMin, comeBackMin+comeBackWindow(1))
	}
	if err := <-served; err != nil || time.Since(stop) > 3*time.Second {
		t.Errorf("Serve = %v after %v, want nil promptly", err, time.Since(stop))
	}
}
