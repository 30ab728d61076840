package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a running server on loopback with its store and a client.
type env struct {
	t      testing.TB
	dir    string
	st     store.Store
	srv    *Server
	url    string
	client *enroll.Client
	clock  *clock
	logs   *syncBuffer
	// stop stops the relay and watch workers as a stopping server does
	// and returns when they have; the test's cleanup calls it too.
	stop func()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newEnv(t testing.TB, edit func(*Config)) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenSQLite(t.Context(), dir)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	secret, err := LoadSecretFile(filepath.Join(dir, SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, dir, st, secret, edit)
}

// newEnvWith runs the server on loopback over st.
func newEnvWith(t testing.TB, dir string, st store.Store, secret []byte, edit func(*Config)) *env {
	t.Helper()
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, dir: dir, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, logs: &syncBuffer{}}
	var err error
	cfg := Config{Store: st, Secret: secret, Now: e.clock.Now,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if edit != nil {
		edit(&cfg)
	}
	e.st = st
	e.srv, err = New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	e.url = ts.URL
	e.client, err = enroll.NewClient(enroll.ClientConfig{URL: ts.URL, Retries: -1})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		wg.Go(func() { e.srv.RunRelay(ctx) })
		wg.Go(func() { e.srv.RunWatch(ctx) })
		wg.Wait()
	}()
	e.stop = sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(e.stop)
	return e
}

func (e *env) key(opts KeyOptions) string {
	e.t.Helper()
	if opts.Tag == "" {
		opts.Tag = "SITE-A"
	}
	k, _, err := CreateKey(e.t.Context(), e.st, e.srv.cfg.Secret, opts, e.clock.Now())
	if err != nil {
		e.t.Fatalf("CreateKey: %v", err)
	}
	return k.String()
}

func enrollReq(name string) *enroll.EnrollRequest {
	install := "install-" + name
	return &enroll.EnrollRequest{Hostname: name, AgentVersion: "1.0.0", OS: "linux", Arch: "amd64", InstallID: install,
		Fingerprint: enroll.Fingerprint{InstallID: install, MachineID: "aa" + name, SMBIOSUUID: enroll.HashSignal(enroll.SignalUUID(hostUUID(name))),
			Serial: enroll.HashSignal("SN-" + name), MACs: []string{"dd"}}}
}

// hostUUID is the SMBIOS UUID of the test machine called name, as its
// inventory states it; enrollReq's fingerprint carries its hash.
func hostUUID(name string) string {
	u := uuid.NewSHA1(uuid.NameSpaceOID, []byte(name))
	return strings.ToUpper(u.String())
}

func (e *env) enroll(key string, req *enroll.EnrollRequest) *enroll.EnrollResponse {
	e.t.Helper()
	resp, err := e.client.Enroll(e.t.Context(), key, req)
	if err != nil {
		e.t.Fatalf("Enroll(%s): %v", req.Hostname, err)
	}
	return resp
}

func (e *env) events(event string) []store.Event {
	e.t.Helper()
	evs, err := e.st.Events(e.t.Context(), time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.Event
	for _, ev := range evs {
		if event == "" || ev.Event == event {
			out = append(out, ev)
		}
	}
	return out
}

func wantReject(t *testing.T, err error, status int, reason enroll.Reason) *enroll.RejectError {
	t.Helper()
	var rej *enroll.RejectError
	if !errors.As(err, &rej) {
		t.Fatalf("error = %v, want a RejectError %d %s", err, status, reason)
	}
	if rej.Status != status || rej.Reason != reason {
		t.Errorf("rejection = %d %s, want %d %s", rej.Status, rej.Reason, status, reason)
	}
	return rej
}

// inventoryJSON returns a schema-valid computer inventory with n softwares.
func inventoryJSON(host string, n int) []byte {
	softs := make([]map[string]string, n)
	for i := range softs {
		softs[i] = map[string]string{"name": fmt.Sprintf("package-%04d", i), "version": "1.2.3-" + fmt.Sprint(i%7),
			"publisher": "Example Software Foundation", "arch": "x86_64", "install_date": "2026-01-02", "from": "deb"}
	}
	msg := map[string]any{
		"action": "inventory", "deviceid": "agent-chosen-id", "itemtype": "Computer", "tag": "agent-tag",
		"content": map[string]any{
			"versionclient": "GLPI-Agent_v1.11",
			"hardware":      map[string]any{"name": host, "memory": 2048, "uuid": hostUUID(host)},
			"bios":          map[string]any{"ssn": "SN-" + host, "smanufacturer": "Example"},
			"softwares":     softs,
		},
	}
	b, _ := json.Marshal(msg)
	return b
}

func TestEnrollHappyPath(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(KeyOptions{Tag: "PARIS", MaxUses: 10})
	resp := e.enroll(key, enrollReq("pc-01"))

	if resp.Tag != "PARIS" {
		t.Errorf("Tag = %q, want PARIS", resp.Tag)
	}
	if want := "pc-01-" + e.clock.Now().Format("2006-01-02-15-04-05"); resp.GLPIDeviceID != want {
		t.Errorf("GLPIDeviceID = %q, want %q", resp.GLPIDeviceID, want)
	}
	if _, err := uuid.Parse(resp.AgentID); err != nil || !glpi.ValidAgentID(resp.AgentID) {
		t.Errorf("AgentID = %q, want a lowercase UUID", resp.AgentID)
	}
	c := resp.Credential
	if !strings.HasPrefix(c.AccessToken, enroll.AccessTokenPrefix) || !strings.HasPrefix(c.RefreshSecret, enroll.RefreshSecretPrefix) ||
		!strings.HasPrefix(resp.ReplaceSecret, enroll.ReplaceSecretPrefix) || c.Generation != 1 {
		t.Errorf("credential = %+v, replace %q; want prefixed tokens, generation 1", c, resp.ReplaceSecret)
	}
	if !c.AccessExpiresAt.After(e.clock.Now()) {
		t.Errorf("AccessExpiresAt = %v, want after now", c.AccessExpiresAt)
	}
	evs := e.events("enroll_succeeded")
	k, _ := enroll.ParseKey(key)
	if len(evs) != 1 || evs[0].KeyID != k.ID || evs[0].DeviceID != resp.DeviceID || evs[0].SourceIP != "127.0.0.1" {
		t.Errorf("audit = %+v, want one enroll_succeeded for key %s from 127.0.0.1", evs, k.ID)
	}
	rec, _ := e.st.Key(t.Context(), k.ID)
	if rec.Uses != 1 {
		t.Errorf("key uses = %d, want 1", rec.Uses)
	}
	d, err := e.st.Device(t.Context(), resp.DeviceID)
	if err != nil || d.Hostname != "pc-01" || d.Fingerprint.MachineID != "aapc-01" || d.KeyID != k.ID {
		t.Errorf("stored device = %+v, %v", d, err)
	}
}

func TestEnrollRejections(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FailureBurst = 100 })
	ctx := t.Context()
	valid := e.key(KeyOptions{})
	wrongSecret := func() string {
		k, _ := enroll.ParseKey(valid)
		k.Secret = strings.Repeat("A", enroll.KeySecretLen)
		return k.String()
	}()
	expiring := e.key(KeyOptions{TTL: time.Hour})
	oneUse := e.key(KeyOptions{MaxUses: 1})
	e.enroll(oneUse, enrollReq("first"))
	revoked := e.key(KeyOptions{})
	rk, _ := enroll.ParseKey(revoked)
	e.st.RevokeKey(ctx, rk.ID, e.clock.Now())
	otherNet := e.key(KeyOptions{AllowCIDRs: []string{"10.0.0.0/8"}})
	pattern := e.key(KeyOptions{HostnamePattern: "srv-*"})
	revDev := e.enroll(valid, enrollReq("revoked-dev"))
	e.st.RevokeDevice(ctx, revDev.DeviceID, e.clock.Now())
	e.clock.Advance(2 * time.Hour) // expiring is now expired

	bad := enrollReq("bad")
	bad.InstallID = ""
	replaceRevoked := enrollReq("r1")
	replaceRevoked.Replace = &enroll.Replace{DeviceID: revDev.DeviceID, ReplaceSecret: "glpix_wrong"}
	replaceUnknown := enrollReq("r2")
	replaceUnknown.Replace = &enroll.Replace{DeviceID: "nosuchdevice", ReplaceSecret: "glpix_x"}

	tests := []struct {
		name   string
		key    string
		req    *enroll.EnrollRequest
		status int
		reason enroll.Reason
	}{
		{"wrong secret", wrongSecret, enrollReq("a"), 401, enroll.ReasonKeyInvalid},
		{"unknown id", enroll.NewKey().String(), enrollReq("a"), 401, enroll.ReasonKeyInvalid},
		{"expired", expiring, enrollReq("a"), 403, enroll.ReasonKeyExpired},
		{"exhausted", oneUse, enrollReq("second"), 403, enroll.ReasonKeyExhausted},
		{"revoked", revoked, enrollReq("a"), 403, enroll.ReasonKeyRevoked},
		{"network", otherNet, enrollReq("a"), 403, enroll.ReasonNetworkNotAllowed},
		{"hostname", pattern, enrollReq("pc-1"), 403, enroll.ReasonHostnameNotAllowed},
		{"bad request", valid, bad, 400, enroll.ReasonBadRequest},
		{"replace unknown device", valid, replaceUnknown, 401, enroll.ReasonDeviceUnknown},
		{"replace revoked device, wrong secret", valid, replaceRevoked, 401, enroll.ReasonTokenInvalid},
	}
	// rejected counts the audited rejections by reason: refusals that
	// prove no secret share a row per source and window (Occurrences).
	rejected := func() map[string]int64 {
		n := map[string]int64{}
		for _, ev := range e.events("enroll_rejected") {
			n[ev.Reason] += ev.Occurrences
		}
		return n
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rejected()
			_, err := e.client.Enroll(ctx, tt.key, tt.req)
			wantReject(t, err, tt.status, tt.reason)
			after := rejected()
			before[string(tt.reason)]++
			if !maps.Equal(after, before) {
				t.Errorf("audited rejections = %v, want one more %s: %v", after, tt.reason, before)
			}
		})
	}
	t.Run("hostname match", func(t *testing.T) {
		e.enroll(pattern, enrollReq("SRV-01"))
	})
	t.Run("malformed key never leaves the client", func(t *testing.T) {
		_, err := e.client.Enroll(ctx, "glpik_bogus", enrollReq("a"))
		if !errors.Is(err, enroll.ErrKeyFormat) {
			t.Errorf("Enroll(malformed) = %v, want ErrKeyFormat", err)
		}
	})
	t.Run("malformed key on the wire", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.url+enroll.PathEnroll, strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer glpik_bogus")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body enroll.ErrorBody
		json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != 401 || body.Reason != enroll.ReasonKeyInvalid {
			t.Errorf("POST with malformed key = %d %s, want 401 key_invalid", resp.StatusCode, body.Reason)
		}
	})
}

func TestEnrollRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FailureBurst, c.FailureEvery = 3, 10*time.Second })
	good := e.key(KeyOptions{})
	bad := enroll.NewKey().String()
	for i := range 3 {
		_, err := e.client.Enroll(t.Context(), bad, enrollReq("a"))
		wantReject(t, err, 401, enroll.ReasonKeyInvalid)
		_ = i
	}
	_, err := e.client.Enroll(t.Context(), good, enrollReq("a"))
	rej := wantReject(t, err, 429, enroll.ReasonRateLimited)
	if rej.RetryAfter <= 0 || rej.RetryAfter > 10*time.Second {
		t.Errorf("RetryAfter = %v, want in (0, 10s]", rej.RetryAfter)
	}
	e.clock.Advance(10 * time.Second)
	e.enroll(good, enrollReq("a"))

	post := func(ip, key string) int {
		req := httptest.NewRequest("POST", enroll.PathEnroll, bytes.NewReader(mustJSON(enrollReq("b-"+strings.NewReplacer(":", "-", ".", "-").Replace(ip)))))
		req.RemoteAddr = net.JoinHostPort(ip, "40000")
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	t.Run("a key id hammered elsewhere still enrolls", func(t *testing.T) {
		// Whoever knows a key's public id (it is in every log line) tries
		// wrong secrets with it: that source is stopped, the key is not.
		k, _ := enroll.ParseKey(good)
		k.Secret = strings.Repeat("B", enroll.KeySecretLen)
		codes := map[int]int{}
		for range 20 {
			codes[post("192.0.2.66", k.String())]++
		}
		if codes[401] != 3 || codes[429] != 17 {
			t.Errorf("20 wrong secrets from one address: %v, want 3 × 401 then 17 × 429", codes)
		}
		for i := range 3 {
			if got := post(fmt.Sprintf("192.0.2.%d", 10+i), good); got != 201 {
				t.Errorf("the real key from another address while its id is hammered = %d, want 201", got)
			}
		}
	})
	t.Run("an IPv6 /64 is one source", func(t *testing.T) {
		for i := range 3 {
			if got := post(fmt.Sprintf("2001:db8:1:2::%x", i+1), bad); got != 401 {
				t.Errorf("wrong key from 2001:db8:1:2::%x = %d, want 401", i+1, got)
			}
		}
		if got := post("2001:db8:1:2:ffff::9", good); got != 429 {
			t.Errorf("another address of the same /64 after its burst = %d, want 429", got)
		}
		if got := post("2001:db8:1:3::1", good); got != 201 {
			t.Errorf("an address of another /64 = %d, want 201", got)
		}
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestReenrollAfterRevocation: the owner of a revoked device enrolls again
// with a valid key (glpi-agentd enroll --force sends its replace secret): a
// new device, the revoked one stays revoked, and the audit ties the two.
func TestReenrollAfterRevocation(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	old := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	if err := e.st.RevokeDevice(ctx, old.DeviceID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	req := enrollReq("pc")
	req.Replace = &enroll.Replace{DeviceID: old.DeviceID, ReplaceSecret: old.ReplaceSecret}
	again, err := e.client.Enroll(ctx, e.key(KeyOptions{Tag: "SITE-B"}), req)
	if err != nil {
		t.Fatalf("enrolling again after a revocation, with a new key: %v", err)
	}
	if again.DeviceID == old.DeviceID {
		t.Error("the revoked device came back instead of a new one")
	}
	if d, _ := e.st.Device(ctx, old.DeviceID); d.RevokedAt.IsZero() {
		t.Error("the revoked device is no longer revoked")
	}
	evs := e.events("device_reenrolled_after_revocation")
	if len(evs) != 1 || evs[0].DeviceID != again.DeviceID || !strings.Contains(evs[0].Detail, old.DeviceID) {
		t.Errorf("audit = %+v, want device_reenrolled_after_revocation of %s naming %s", evs, again.DeviceID, old.DeviceID)
	}
}

func TestRefreshRotation(t *testing.T) {
	e := newEnv(t, nil)
	resp := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	ctx := t.Context()
	pcFP := enrollReq("pc").Fingerprint
	first := resp.Credential

	e.clock.Advance(time.Minute)
	second, err := e.client.Refresh(ctx, &enroll.RefreshRequest{Fingerprint: &pcFP, DeviceID: resp.DeviceID, RefreshSecret: first.RefreshSecret, Generation: first.Generation})
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if second.Generation != 2 || second.RefreshSecret == first.RefreshSecret || second.AccessToken == first.AccessToken {
		t.Errorf("Refresh = generation %d, want 2 with new secrets", second.Generation)
	}
	if _, err := e.client.SendInventory(ctx, second.AccessToken, inventoryJSON("pc", 3)); err != nil {
		t.Errorf("SendInventory with refreshed token: %v", err)
	}

	// The answer was lost: the old secret still works within the grace.
	e.clock.Advance(time.Minute)
	third, err := e.client.Refresh(ctx, &enroll.RefreshRequest{Fingerprint: &pcFP, DeviceID: resp.DeviceID, RefreshSecret: first.RefreshSecret, Generation: 1})
	if err != nil || third.Generation != 3 {
		t.Fatalf("Refresh(old secret within grace) = %+v, %v; want generation 3", third, err)
	}
	if evs := e.events("refresh_replayed"); len(evs) != 1 || !strings.Contains(evs[0].Detail, "within grace") {
		t.Errorf("audit = %+v, want one refresh_replayed within grace", evs)
	}

	e.clock.Advance(2 * time.Minute)
	_, err = e.client.Refresh(ctx, &enroll.RefreshRequest{Fingerprint: &pcFP, DeviceID: resp.DeviceID, RefreshSecret: first.RefreshSecret, Generation: 1})
	// Beyond the grace, a spent secret means two machines share the
	// credential: the replayer is told to enroll again (fork policy).
	wantReject(t, err, 401, enroll.ReasonDeviceUnknown)
	if evs := e.events("clone_suspected"); len(evs) != 1 || evs[0].DeviceID != resp.DeviceID || evs[0].Reason != "replay" {
		t.Errorf("audit = %+v, want one clone_suspected by replay", evs)
	}
	fourth, err := e.client.Refresh(ctx, &enroll.RefreshRequest{Fingerprint: &pcFP, DeviceID: resp.DeviceID, RefreshSecret: third.RefreshSecret, Generation: 3})
	if err != nil {
		t.Fatalf("Refresh(current) after a replay: %v", err)
	}
	_, err = e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: "unknown", RefreshSecret: "glpir_x", Generation: 1})
	wantReject(t, err, 401, enroll.ReasonDeviceUnknown)

	e.clock.Advance(2 * time.Hour)
	_, err = e.client.SendInventory(ctx, fourth.AccessToken, inventoryJSON("pc", 1))
	wantReject(t, err, 401, enroll.ReasonTokenExpired)
}

func TestDeviceRevocation(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	resp := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	if err := e.st.RevokeDevice(ctx, resp.DeviceID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: resp.DeviceID, RefreshSecret: resp.Credential.RefreshSecret, Generation: 1})
	wantReject(t, err, 403, enroll.ReasonDeviceRevoked)
	_, err = e.client.SendInventory(ctx, resp.Credential.AccessToken, inventoryJSON("pc", 1))
	wantReject(t, err, 403, enroll.ReasonDeviceRevoked)
}

func TestIdempotentReenroll(t *testing.T) {
	e := newEnv(t, nil)
	// Two uses: a used-up key gives nothing back (TestUsedUpKeyGivesNothingBack).
	key := e.key(KeyOptions{MaxUses: 2})
	first := e.enroll(key, enrollReq("pc"))
	again := e.enroll(key, enrollReq("pc"))
	if again.DeviceID != first.DeviceID || again.GLPIDeviceID != first.GLPIDeviceID || again.AgentID != first.AgentID {
		t.Errorf("re-enroll = %s %s, want the same device %s %s", again.DeviceID, again.GLPIDeviceID, first.DeviceID, first.GLPIDeviceID)
	}
	if again.Credential.Generation != 2 || again.Credential.AccessToken == first.Credential.AccessToken {
		t.Errorf("re-enroll credential generation = %d, want a new generation 2", again.Credential.Generation)
	}
	k, _ := enroll.ParseKey(key)
	if rec, _ := e.st.Key(t.Context(), k.ID); rec.Uses != 1 {
		t.Errorf("key uses after re-enroll = %d, want 1", rec.Uses)
	}
	// A reinstall keeps its identity with the replace secret: a new
	// machine id, but the same hardware.
	fresh := enrollReq("pc-reinstalled")
	fresh.Fingerprint.SMBIOSUUID = enrollReq("pc").Fingerprint.SMBIOSUUID
	fresh.Replace = &enroll.Replace{DeviceID: first.DeviceID, ReplaceSecret: again.ReplaceSecret}
	replaced := e.enroll(key, fresh)
	if replaced.DeviceID != first.DeviceID {
		t.Errorf("replace = device %s, want %s", replaced.DeviceID, first.DeviceID)
	}
	fresh.Replace.ReplaceSecret = again.ReplaceSecret // now rotated away
	_, err := e.client.Enroll(t.Context(), key, fresh)
	wantReject(t, err, 401, enroll.ReasonTokenInvalid)
}

func TestInventoryRelayed(t *testing.T) {
	g := glpitest.New(t)
	relay, err := glpi.New(glpi.Config{URL: g.URL, Retries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Relay = relay })
	resp := e.enroll(e.key(KeyOptions{Tag: "LYON"}), enrollReq("pc-42"))
	ack, err := e.client.SendInventory(t.Context(), resp.Credential.AccessToken, inventoryJSON("pc-42", 50))
	if err != nil || ack.Status != "accepted" || ack.ID == 0 {
		t.Fatalf("SendInventory = %+v, %v; want accepted", ack, err)
	}
	got := g.WaitInventories(t, 1, 10*time.Second)
	if got[0].DeviceID != resp.GLPIDeviceID || got[0].Tag != "LYON" || got[0].AgentID != resp.AgentID {
		t.Errorf("GLPI received deviceid %q tag %q agent %q, want %q LYON %q", got[0].DeviceID, got[0].Tag, got[0].AgentID, resp.GLPIDeviceID, resp.AgentID)
	}
	waitFor(t, func() bool {
		d, _ := e.st.Device(t.Context(), resp.DeviceID)
		return d.RelayStatus == "ok"
	})
	inv, err := e.st.Inventory(t.Context(), resp.DeviceID)
	if err != nil || inv.Sections["softwares"].Items != 50 {
		t.Errorf("stored inventory sections = %+v, %v; want 50 softwares", inv, err)
	}
}

func TestRelayRetriesWhenGLPIDown(t *testing.T) {
	g := glpitest.New(t, glpitest.WithFailures(3, http.StatusServiceUnavailable))
	relay, err := glpi.New(glpi.Config{URL: g.URL, Retries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		c.Relay, c.RelayBackoff, c.RelayMaxBackoff, c.RelayPoll = relay, 20*time.Millisecond, 50*time.Millisecond, 10*time.Millisecond
		c.Now = nil // the outbox schedule needs real time
	})
	resp := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	// The second is partial: a full one would supersede the first
	// while it waits for its retry.
	for _, body := range [][]byte{inventoryJSON("pc", 1), partialInventory("pc", 2)} {
		if _, err := e.client.SendInventory(t.Context(), resp.Credential.AccessToken, body); err != nil {
			t.Fatal(err)
		}
	}
	got := g.WaitInventories(t, 2, 10*time.Second)
	var first, second map[string]any
	json.Unmarshal(got[0].JSON, &first)
	json.Unmarshal(got[1].JSON, &second)
	n := func(m map[string]any) int { return len(m["content"].(map[string]any)["softwares"].([]any)) }
	if n(first) != 1 || n(second) != 2 {
		t.Errorf("relayed in order %d, %d softwares; want 1, 2", n(first), n(second))
	}
	waitFor(t, func() bool { d, _ := e.st.OutboxDepth(t.Context()); return d == 0 })
	metrics := e.get("/metrics")
	if !strings.Contains(metrics, `glpi_enrolld_relays_total{result="retry"} 3`) || !strings.Contains(metrics, `glpi_enrolld_relays_total{result="ok"} 2`) {
		t.Errorf("metrics do not show 3 retries and 2 successes:\n%s", metrics)
	}
}

func (e *env) get(path string) string {
	e.t.Helper()
	resp, err := http.Get(e.url + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInventoryEncodingsAndValidation(t *testing.T) {
	e := newEnv(t, nil)
	resp := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	valid := inventoryJSON("pc", 2)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(valid)
	zw.Close()
	tests := []struct {
		name, contentType string
		body              []byte
		status            int
	}{
		{"plain json", "application/json", valid, 202},
		{"gzip", "application/x-compress-gzip", gz.Bytes(), 202},
		{"corrupt zlib", "application/x-compress-zlib", []byte("not zlib"), 400},
		{"brotli", "application/x-compress-br", valid, 415},
		{"not an object", "application/json", []byte(`[1,2]`), 400},
		{"unknown root key", "application/json", []byte(`{"deviceid":"x","content":{"versionclient":"v"},"extra":1}`), 400},
		{"no deviceid", "application/json", []byte(`{"content":{"versionclient":"v"}}`), 400},
		{"no versionclient", "application/json", []byte(`{"deviceid":"x","content":{"hardware":{}}}`), 400},
		{"bad itemtype", "application/json", []byte(`{"deviceid":"x","itemtype":"Toaster","content":{"versionclient":"v"}}`), 400},
		{"too large", "application/json", bytes.Repeat([]byte(" "), DefaultMaxInventorySize+1), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.url+enroll.PathInventory, bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			req.Header.Set("Authorization", "Bearer "+resp.Credential.AccessToken)
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != tt.status {
				t.Errorf("POST inventory (%s) = %d, want %d", tt.name, r.StatusCode, tt.status)
			}
		})
	}
	hist, _ := e.st.History(t.Context(), resp.DeviceID)
	if len(hist) != 2 || len(hist[0].Changed) != 0 || len(hist[1].Changed) != 3 {
		t.Errorf("history = %+v, want 2 entries, the second unchanged", hist)
	}
	_, err := e.client.SendInventory(t.Context(), "glpia_unknown", valid)
	wantReject(t, err, 401, enroll.ReasonTokenInvalid)
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t, nil)
	e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	if got := e.get("/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q, want ok", got)
	}
	if got := e.get("/readyz"); got != "ok\n" {
		t.Errorf("/readyz = %q, want ok", got)
	}
	m := e.get("/metrics")
	for _, want := range []string{`glpi_enrolld_enrollments_total{result="ok"} 1`, "glpi_enrolld_outbox_depth 0", `glpi_enrolld_relay_duration_seconds_bucket{le="+Inf"} 0`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, m)
		}
	}
}

// TestNoSecretInClear drives every endpoint, then scans the database files,
// the logs and the audit trail for any key, token or secret in clear.
func TestNoSecretInClear(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	pcFP := enrollReq("pc").Fingerprint
	key := e.key(KeyOptions{MaxUses: 5})
	k, _ := enroll.ParseKey(key)
	resp := e.enroll(key, enrollReq("pc"))
	cred, err := e.client.Refresh(ctx, &enroll.RefreshRequest{Fingerprint: &pcFP, DeviceID: resp.DeviceID, RefreshSecret: resp.Credential.RefreshSecret, Generation: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.SendInventory(ctx, cred.AccessToken, inventoryJSON("pc", 3)); err != nil {
		t.Fatal(err)
	}
	wrong := k
	wrong.Secret = strings.Repeat("Z", enroll.KeySecretLen)
	e.client.Enroll(ctx, wrong.String(), enrollReq("x"))
	e.client.Refresh(ctx, &enroll.RefreshRequest{Fingerprint: &pcFP, DeviceID: resp.DeviceID, RefreshSecret: resp.Credential.RefreshSecret, Generation: 1})
	again := e.enroll(key, enrollReq("pc"))

	secrets := []string{key, k.Secret, wrong.String(), wrong.Secret, enrollReq("pc").InstallID,
		resp.Credential.AccessToken, resp.Credential.RefreshSecret, resp.ReplaceSecret,
		cred.AccessToken, cred.RefreshSecret, again.Credential.AccessToken, again.Credential.RefreshSecret, again.ReplaceSecret}

	var haystack bytes.Buffer
	files, _ := filepath.Glob(filepath.Join(e.dir, store.SQLiteFile+"*"))
	if len(files) == 0 {
		t.Fatal("no database file found")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		haystack.Write(b)
	}
	haystack.WriteString(e.logs.String())
	audit, _ := json.Marshal(e.events(""))
	haystack.Write(audit)
	if !bytes.Contains(haystack.Bytes(), []byte(k.ID)) {
		t.Fatal("key id not found at all: the scan does not see the data")
	}
	for _, s := range secrets {
		if bytes.Contains(haystack.Bytes(), []byte(s)) {
			t.Errorf("secret %.10s… found in clear in the database, logs or audit", s)
		}
	}
}

// A machine moving from the official agent keeps the GLPI deviceid of its
// agent record when the id names it and no other device holds it; another
// machine's id, or one a clone enrolled first with, gives a new deviceid.
func TestEnrollKeepsPreviousGLPIDeviceID(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(KeyOptions{})
	fresh := "-" + e.clock.Now().UTC().Format("2006-01-02-15-04-05")

	req := enrollReq("pc-01")
	req.PreviousGLPIDeviceID = "PC-01.example.org-2024-10-18-16-44-47"
	if got := e.enroll(key, req).GLPIDeviceID; got != req.PreviousGLPIDeviceID {
		t.Errorf("GLPI deviceid %q, want the previous agent's %q", got, req.PreviousGLPIDeviceID)
	}
	evs := e.events("enroll_succeeded")
	if len(evs) != 1 || !strings.Contains(evs[0].Detail, "kept from the previous agent") {
		t.Errorf("audit %+v does not say the deviceid was kept", evs)
	}

	// A clone of that machine (same hostname) enrolls after it.
	clone := enrollReq("pc-01")
	clone.InstallID, clone.Fingerprint.InstallID, clone.Fingerprint.MachineID, clone.Fingerprint.SMBIOSUUID = "install-clone", "install-clone", "bb", "cc"
	clone.PreviousGLPIDeviceID = req.PreviousGLPIDeviceID
	if got := e.enroll(key, clone).GLPIDeviceID; got != "pc-01"+fresh {
		t.Errorf("clone's GLPI deviceid %q, want a new one, pc-01%s", got, fresh)
	}

	other := enrollReq("pc-02")
	other.PreviousGLPIDeviceID = "golden-2022-01-01-00-00-00"
	if got := e.enroll(key, other).GLPIDeviceID; got != "pc-02"+fresh {
		t.Errorf("GLPI deviceid %q for another host's previous id, want pc-02%s", got, fresh)
	}

	// A non-persistent desktop's key: its devices take their
	// predecessor's deviceid, not one from before.
	vdi := e.key(KeyOptions{Ephemeral: time.Hour})
	desk := enrollReq("vdi-01")
	desk.PreviousGLPIDeviceID = "vdi-01-2024-10-18-16-44-47"
	if got := e.enroll(vdi, desk).GLPIDeviceID; got != "vdi-01"+fresh {
		t.Errorf("GLPI deviceid %q under an ephemeral key, want vdi-01%s", got, fresh)
	}

	bad := enrollReq("pc-03")
	bad.PreviousGLPIDeviceID = "pc-03/../x"
	_, err := e.client.Enroll(t.Context(), key, bad)
	wantReject(t, err, http.StatusBadRequest, enroll.ReasonBadRequest)
}
