package console

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/server"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/enroll/store/pgtest"
)

const testPassword = "correct horse battery"

// clock is a settable time for the tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	t     *testing.T
	st    Store
	srv   *httptest.Server
	clock *clock
	c     *Console
}

func openStores(t *testing.T) map[string]func(t *testing.T) Store {
	m := map[string]func(t *testing.T) Store{
		"sqlite": func(t *testing.T) Store {
			st, err := store.OpenSQLite(t.Context(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st.(Store)
		},
	}
	if pgtest.URL() != "" {
		m["postgres"] = func(t *testing.T) Store {
			st, err := store.OpenPostgres(t.Context(), pgtest.Schema(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st.(Store)
		}
	}
	return m
}

func newEnv(t *testing.T, st Store) *env {
	t.Helper()
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	c, err := New(Config{Store: st, Secret: []byte("0123456789abcdef0123456789abcdef"), Now: clk.now,
		Bundle: func(u string) (string, string, error) { return u, "sha256/pin", nil }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	e := &env{t: t, st: st, srv: srv, clock: clk, c: c}
	for _, u := range []struct{ name, role string }{{"alice", "admin"}, {"hugo", "helpdesk"}, {"vera", "viewer"}} {
		hash, err := HashPassword(testPassword)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateUser(t.Context(), &store.User{Name: u.name, Role: store.Role(u.role), PasswordHash: hash, CreatedAt: clk.now()}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// client is a browser: a cookie jar, redirects not followed.
type client struct {
	e    *env
	hc   *http.Client
	csrf string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.e.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfField.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) get(path string) (*http.Response, string) { return c.do("GET", path, nil) }

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	}
	return c.do("POST", path, form)
}

func (e *env) login(name string) *client {
	e.t.Helper()
	c := e.client()
	resp, body := c.do("POST", "/ui/login", url.Values{"name": {name}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d %s", name, resp.StatusCode, body)
	}
	c.get("/ui/") // picks the CSRF token
	if c.csrf == "" {
		e.t.Fatalf("login %s: no CSRF token on the overview", name)
	}
	return c
}

// device enrolls a device with a new key and returns its id.
func (e *env) device(host string) (string, string) {
	e.t.Helper()
	ctx := e.t.Context()
	_, k, err := server.CreateKey(ctx, e.st, e.c.cfg.Secret, server.KeyOptions{Tag: "SITE"}, e.clock.now())
	if err != nil {
		e.t.Fatal(err)
	}
	id := "dev-" + host
	d := &store.Device{ID: id, KeyID: k.ID, Tag: k.Tag, Hostname: host, GLPIDeviceID: host + "-glpi", AgentID: "agent-" + host,
		OS: "linux", Arch: "amd64", InstallID: "install-" + host, SourceIP: "192.0.2.10", LastSeenAt: e.clock.now()}
	if _, err := e.st.Enroll(ctx, d, store.Secrets{AccessHash: "a-" + host, AccessExpiresAt: e.clock.now().Add(time.Hour), RefreshHash: "r-" + host},
		e.clock.now(), store.Event{At: e.clock.now(), Event: "enroll_succeeded", KeyID: k.ID, DeviceID: id}); err != nil {
		e.t.Fatal(err)
	}
	return id, k.ID
}

func (e *env) events(event string) []store.Event {
	e.t.Helper()
	evs, err := e.st.SearchEvents(e.t.Context(), store.EventQuery{Event: event})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	for name, open := range openStores(t) {
		t.Run(name, func(t *testing.T) { fn(t, newEnv(t, open(t))) })
	}
}

func TestLogin(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.client()
		resp, _ := c.get("/ui/devices")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/login?next=") {
			t.Fatalf("GET /ui/devices without session = %d %s, want a redirect to the login page", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, bad := range []url.Values{
			{"name": {"alice"}, "password": {"wrong password!"}},
			{"name": {"nobody"}, "password": {testPassword}},
		} {
			resp, body := c.do("POST", "/ui/login", bad)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong account name or password") {
				t.Errorf("login %v = %d, want 401 with a message", bad, resp.StatusCode)
			}
		}
		resp, _ = c.do("POST", "/ui/login", url.Values{"name": {"alice"}, "password": {testPassword}, "next": {"https://evil.example/"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/" {
			t.Fatalf("login = %d to %q, want 303 to /ui/ (an outside next is ignored)", resp.StatusCode, resp.Header.Get("Location"))
		}
		ck := resp.Cookies()
		if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Path != "/ui/" {
			t.Fatalf("session cookie = %+v, want one HttpOnly SameSite=Strict cookie on /ui/", ck)
		}
		if ck[0].Secure {
			t.Errorf("session cookie is Secure over plain HTTP")
		}
		// The cookie is the only copy of the token: the store has its hash.
		if _, err := e.st.Session(t.Context(), ck[0].Value); err == nil {
			t.Errorf("the session is found by its clear token: want it stored hashed")
		}
		if resp, _ := c.get("/ui/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("overview after login = %d", resp.StatusCode)
		}
		if evs := e.events("console_login"); len(evs) != 1 || evs[0].Actor != "alice" || evs[0].SourceIP != "127.0.0.1" {
			t.Errorf("console_login events = %+v, want one by alice from 127.0.0.1", evs)
		}
		if evs := e.events("console_login_refused"); len(evs) == 0 || evs[0].Reason != "bad_credentials" {
			t.Errorf("console_login_refused events = %+v, want bad_credentials", evs)
		}
	})
}

func TestLoginThrottled(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.client()
		for i := range 5 {
			if resp, _ := c.do("POST", "/ui/login", url.Values{"name": {"alice"}, "password": {fmt.Sprint("guess number ", i)}}); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failure %d = %d, want 401", i, resp.StatusCode)
			}
		}
		resp, body := c.do("POST", "/ui/login", url.Values{"name": {"alice"}, "password": {testPassword}})
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed sign-ins") {
			t.Fatalf("right password after 5 failures = %d, want 429 with Retry-After", resp.StatusCode)
		}
		e.clock.add(16 * time.Minute)
		if resp, _ := c.do("POST", "/ui/login", url.Values{"name": {"alice"}, "password": {testPassword}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login after the window = %d, want 303", resp.StatusCode)
		}
	})
}

func TestCSRF(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		id, _ := e.device("pc-1")
		c := e.login("alice")
		for _, tc := range []struct {
			name string
			form url.Values
			hdr  []string
		}{
			{"no token", url.Values{"csrf": {""}}, nil},
			{"wrong token", url.Values{"csrf": {"x" + c.csrf}}, nil},
			{"cross-site", url.Values{"csrf": {c.csrf}}, []string{"Sec-Fetch-Site", "cross-site"}},
			{"other origin", url.Values{"csrf": {c.csrf}}, []string{"Origin", "https://evil.example"}},
		} {
			resp, _ := c.do("POST", "/ui/devices/"+id+"/revoke", tc.form, tc.hdr...)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: revoke = %d, want 403", tc.name, resp.StatusCode)
			}
		}
		if d, _ := e.st.Device(t.Context(), id); !d.RevokedAt.IsZero() {
			t.Fatal("a forged request revoked the device")
		}
		// Another session's token is not this one's.
		other := e.login("alice")
		if resp, _ := c.do("POST", "/ui/devices/"+id+"/revoke", url.Values{"csrf": {other.csrf}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("revoke with another session's token = %d, want 403", resp.StatusCode)
		}
		if resp, _ := c.post("/ui/devices/"+id+"/revoke", nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("revoke with the session's token = %d, want 303", resp.StatusCode)
		}
	})
}

func TestRoles(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		id, keyID := e.device("pc-1")
		type check struct {
			method, path string
			want         map[string]int // by account
		}
		checks := []check{
			{"GET", "/ui/", map[string]int{"alice": 200, "hugo": 200, "vera": 200}},
			{"GET", "/ui/devices", map[string]int{"alice": 200, "hugo": 200, "vera": 200}},
			{"GET", "/ui/devices/" + id, map[string]int{"alice": 200, "hugo": 200, "vera": 200}},
			{"GET", "/ui/keys", map[string]int{"alice": 200, "hugo": 403, "vera": 200}},
			{"GET", "/ui/audit", map[string]int{"alice": 200, "hugo": 403, "vera": 200}},
			{"GET", "/ui/audit.csv", map[string]int{"alice": 200, "hugo": 403, "vera": 200}},
			{"POST", "/ui/keys", map[string]int{"alice": 200, "hugo": 403, "vera": 403}},
			{"POST", "/ui/devices/" + id + "/run-now", map[string]int{"alice": 303, "hugo": 303, "vera": 403}},
			{"POST", "/ui/devices/" + id + "/approve", map[string]int{"alice": 303, "hugo": 403, "vera": 403}},
			{"GET", "/ui/keys/" + keyID + "/revoke", map[string]int{"alice": 200, "hugo": 403, "vera": 403}},
		}
		for _, who := range []string{"hugo", "vera", "alice"} {
			c := e.login(who)
			for _, ch := range checks {
				var resp *http.Response
				var body string
				if ch.method == "GET" {
					resp, body = c.get(ch.path)
				} else {
					resp, body = c.post(ch.path, url.Values{"tag": {"ROLE-TEST"}})
				}
				if resp.StatusCode != ch.want[who] {
					t.Errorf("%s: %s %s = %d, want %d", who, ch.method, ch.path, resp.StatusCode, ch.want[who])
				}
				if who == "hugo" && strings.Contains(body, `href="/ui/keys"`) {
					t.Errorf("hugo: %s %s links to the keys", ch.method, ch.path)
				}
			}
		}
		keys, _ := e.st.Keys(t.Context())
		n := 0
		for _, k := range keys {
			if k.Tag == "ROLE-TEST" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d keys created by the role checks, want 1 (alice's)", n)
		}
	})
}

func TestIdleExpiryAndLogout(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.login("vera")
		e.clock.add(20 * time.Minute)
		if resp, _ := c.get("/ui/devices"); resp.StatusCode != http.StatusOK {
			t.Fatalf("after 20 idle minutes = %d, want 200", resp.StatusCode)
		}
		e.clock.add(31 * time.Minute)
		resp, _ := c.get("/ui/devices")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/login") {
			t.Fatalf("after 31 idle minutes = %d %s, want a redirect to the login page", resp.StatusCode, resp.Header.Get("Location"))
		}

		c = e.login("vera")
		u, _ := url.Parse(e.srv.URL + "/ui/")
		token := c.hc.Jar.Cookies(u)[0].Value
		if resp, _ := c.post("/ui/logout", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout = %d, want 303", resp.StatusCode)
		}
		if _, err := e.st.Session(t.Context(), hashToken(token)); err == nil {
			t.Fatal("the session outlived the logout")
		}
		// A copy of the cookie taken before the logout is worthless.
		replay := e.client()
		replay.hc.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: token, Path: "/ui/"}})
		if resp, _ := replay.get("/ui/"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("old cookie after logout = %d, want a redirect to the login page", resp.StatusCode)
		}
		if evs := e.events("console_logout"); len(evs) != 1 || evs[0].Actor != "vera" {
			t.Errorf("console_logout events = %+v, want one by vera", evs)
		}
	})
}

func TestKeyCreateShownOnce(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.login("alice")
		resp, body := c.post("/ui/keys", url.Values{"tag": {"SITE-B"}, "expires": {"7d"}, "max_uses": {"3"},
			"allow_cidrs": {"10.0.0.0/8, 192.0.2.0/24"}, "hostname_pattern": {"pc-*"}, "clone_policy": {"quarantine"},
			"ephemeral": {"8h"}, "bundle_url": {"https://enroll.example:8443"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("create key = %d %s", resp.StatusCode, body)
		}
		secret := regexp.MustCompile(`id="secret-key" readonly value="([^"]+)"`).FindStringSubmatch(body)
		bundle := regexp.MustCompile(`id="secret-bundle" readonly value="([^"]+)"`).FindStringSubmatch(body)
		if secret == nil || bundle == nil {
			t.Fatalf("the created key's page shows no key or bundle:\n%s", body)
		}
		k, err := enroll.ParseKey(secret[1])
		if err != nil {
			t.Fatalf("shown key %q: %v", secret[1], err)
		}
		rec, err := e.st.Key(t.Context(), k.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Tag != "SITE-B" || rec.MaxUses != 3 || rec.ClonePolicy != store.ClonePolicyQuarantine || rec.Ephemeral != 8*time.Hour ||
			rec.HostnamePattern != "pc-*" || strings.Join(rec.AllowCIDRs, ",") != "10.0.0.0/8,192.0.2.0/24" ||
			rec.ExpiresAt.Sub(e.clock.now()) != 7*24*time.Hour {
			t.Errorf("stored key = %+v, want every option of the form", rec)
		}
		if rec.Hash == secret[1] || strings.Contains(rec.Hash, k.String()) {
			t.Error("the key is stored in clear")
		}
		_, list := c.get("/ui/keys")
		if strings.Contains(list, secret[1]) || !strings.Contains(list, k.ID) {
			t.Error("the key list shows the key's secret, or not the key")
		}
		if evs := e.events("key_created"); len(evs) != 1 || evs[0].Actor != "alice" || evs[0].KeyID != k.ID {
			t.Errorf("key_created events = %+v, want one by alice", evs)
		}
		// A bad option creates nothing and says why.
		resp, body = c.post("/ui/keys", url.Values{"tag": {"SITE-C"}, "allow_cidrs": {"10.0.0.300/8"}, "expires": {"soon"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Expires") || !strings.Contains(body, `value="SITE-C"`) {
			t.Errorf("bad key form = %d, want 400 with the reason and the form kept", resp.StatusCode)
		}
		// Revoke, after the confirmation page.
		if resp, body := c.get("/ui/keys/" + k.ID + "/revoke"); resp.StatusCode != 200 || !strings.Contains(body, "Revoke key") {
			t.Fatalf("revoke confirmation = %d", resp.StatusCode)
		}
		if resp, _ := c.post("/ui/keys/"+k.ID+"/revoke", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke = %d", resp.StatusCode)
		}
		if rec, _ := e.st.Key(t.Context(), k.ID); rec.RevokedAt.IsZero() {
			t.Error("key not revoked")
		}
		if evs := e.events("key_revoked"); len(evs) != 1 || evs[0].Actor != "alice" {
			t.Errorf("key_revoked events = %+v, want one by alice", evs)
		}
	})
}

func TestRunNowAndDeviceActions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		id, _ := e.device("pc-1")
		c := e.login("hugo")
		resp, _ := c.post("/ui/devices/"+id+"/run-now", url.Values{"scope": {"categories"}, "categories": {"software, network"}})
		loc := resp.Header.Get("Location")
		m := regexp.MustCompile(`action=([^#&]+)`).FindStringSubmatch(loc)
		if resp.StatusCode != http.StatusSeeOther || m == nil {
			t.Fatalf("run now = %d %q, want a redirect to the device with the request", resp.StatusCode, loc)
		}
		resp, body := c.get("/ui/actions/" + m[1])
		var v actionView
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &v) != nil || v.State != enroll.ActionQueued || v.What != "inventory of software, network" {
			t.Fatalf("action = %d %s, want queued, of software and network", resp.StatusCode, body)
		}
		// The agent's side moves it on: the page and the JSON follow.
		if _, err := e.st.DeliverActions(t.Context(), id, e.clock.now(), time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := e.st.ReportActions(t.Context(), id, []enroll.ActionResult{{ID: m[1], State: enroll.ActionRunning}}, e.clock.now()); err != nil {
			t.Fatal(err)
		}
		_, body = c.get("/ui/actions/" + m[1])
		json.Unmarshal([]byte(body), &v)
		if v.State != enroll.ActionRunning || len(v.Steps) != 3 {
			t.Errorf("action after delivery = %+v, want running after 3 steps", v)
		}
		if _, page := c.get("/ui/devices/" + id + "?action=" + m[1]); !strings.Contains(page, `data-follow="1"`) {
			t.Error("the device page does not follow the request")
		}
		if resp, _ := c.post("/ui/devices/"+id+"/run-now", url.Values{"scope": {"categories"}, "categories": {"Bad!"}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("run now with a bad category = %d, want 400", resp.StatusCode)
		}
		if resp, _ := c.post("/ui/devices/nope/run-now", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("run now of an unknown device = %d, want 404", resp.StatusCode)
		}
		if evs := e.events("run_now_queued"); len(evs) != 1 || evs[0].Actor != "hugo" || evs[0].DeviceID != id {
			t.Errorf("run_now_queued events = %+v, want one by hugo", evs)
		}

		a := e.login("alice")
		if resp, _ := a.post("/ui/devices/"+id+"/revoke", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke = %d", resp.StatusCode)
		}
		if d, _ := e.st.Device(t.Context(), id); d.RevokedAt.IsZero() {
			t.Error("device not revoked")
		}
		if _, page := a.get("/ui/devices/" + id); strings.Contains(page, `id="run-now"`) || !strings.Contains(page, "revoked") {
			t.Error("a revoked device's page offers Run now or hides its state")
		}
		if evs := e.events("device_revoked"); len(evs) != 1 || evs[0].Actor != "alice" {
			t.Errorf("device_revoked events = %+v, want one by alice", evs)
		}
	})
}

func TestDeviceSearch(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for i := range 60 {
			e.device(fmt.Sprintf("pc-%02d", i))
		}
		e.device("laptop-x")
		c := e.login("vera")
		_, body := c.get("/ui/devices")
		if !strings.Contains(body, "Page 1 of 2") || strings.Count(body, `href="/ui/devices/dev-`) != 50 {
			t.Errorf("first page: want 50 devices of 2 pages")
		}
		_, body = c.get("/ui/devices?q=LAPTOP")
		if strings.Count(body, `href="/ui/devices/dev-`) != 1 || !strings.Contains(body, "laptop-x") {
			t.Errorf("search LAPTOP: want laptop-x alone")
		}
		_, body = c.get("/ui/devices?q=pc-0&page=1")
		if n := strings.Count(body, `href="/ui/devices/dev-`); n != 10 {
			t.Errorf("search pc-0 = %d devices, want 10", n)
		}
		// A LIKE wildcard in the search is a character, not a wildcard.
		_, body = c.get("/ui/devices?q=%25")
		if strings.Count(body, `href="/ui/devices/dev-`) != 0 {
			t.Errorf("search %% matched devices")
		}
		if resp, _ := c.get("/ui/devices?state=bogus"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("unknown state = %d, want 400", resp.StatusCode)
		}
		e.clock.add(72 * time.Hour)
		c = e.login("vera") // the session expired meanwhile
		_, body = c.get("/ui/devices?state=silent")
		if !strings.Contains(body, ">61<") {
			t.Errorf("silent devices after 3 days: want 61")
		}
	})
}

func TestAuditFilterAndCSV(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		id, _ := e.device("pc-1")
		c := e.login("alice")
		c.post("/ui/devices/"+id+"/run-now", nil)
		e.st.AddEvent(t.Context(), store.Event{At: e.clock.now(), Event: "enroll_rejected", Reason: "key_invalid", SourceIP: "=cmd|' /C calc'!A0"})
		_, body := c.get("/ui/audit?account=alice")
		if !strings.Contains(body, "run_now_queued") || !strings.Contains(body, "console_login") || strings.Contains(body, "enroll_succeeded") {
			t.Errorf("audit filtered by account alice: want her events only")
		}
		_, body = c.get("/ui/audit?event=enroll_rejected&reason=key_invalid")
		if !strings.Contains(body, "key_invalid") || strings.Contains(body, "run_now_queued") {
			t.Errorf("audit filtered by event and reason: wrong rows")
		}
		resp, body := c.get("/ui/audit.csv?device=" + id)
		if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("CSV content type = %q", resp.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(rows) != 3 || rows[0][2] != "account" {
			t.Fatalf("CSV of the device = %v (%v), want a header and 2 events", rows, err)
		}
		_, body = c.get("/ui/audit.csv?event=enroll_rejected")
		if !strings.Contains(body, "'=cmd") {
			t.Errorf("CSV cell starting with = is not neutralised:\n%s", body)
		}
		if resp, _ := c.get("/ui/audit?from=yesterday"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("bad date = %d, want 400", resp.StatusCode)
		}
	})
}

func TestOverview(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.device("pc-1")
		for range 3 {
			e.st.AddEvent(t.Context(), store.Event{At: e.clock.now().Add(-48 * time.Hour), Event: "enroll_rejected", Reason: "key_expired"})
		}
		c := e.login("alice")
		_, body := c.get("/ui/")
		for _, want := range []string{"<svg", "key expired", "new device", "Backlog", "Active"} {
			if !strings.Contains(body, want) {
				t.Errorf("overview lacks %q", want)
			}
		}
		h := e.login("hugo")
		if _, body := h.get("/ui/"); strings.Contains(body, "Keys needing attention") {
			t.Error("helpdesk sees the keys on the overview")
		}
	})
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword(testPassword)
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("HashPassword = %q, %v", h, err)
	}
	if !CheckPassword(h, testPassword) || CheckPassword(h, testPassword+"x") || CheckPassword("", testPassword) {
		t.Error("CheckPassword accepts a wrong password or refuses the right one")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("HashPassword accepts a short password")
	}
}

func TestCloneDecisions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		id, keyID := e.device("pc-1")
		record := func(fp, via string) *store.Clone {
			t.Helper()
			cl, err := e.st.RecordClone(ctx, &store.Clone{DeviceID: id, KeyID: keyID, FPHash: fp, Via: via, Policy: store.ClonePolicyQuarantine,
				State: store.ClonePending, Signals: []store.SignalChange{{Signal: "smbios_uuid", Old: "a", New: "b"}}, DetectedAt: e.clock.now()},
				store.Event{At: e.clock.now(), Event: "clone_suspected", DeviceID: id})
			if err != nil {
				t.Fatal(err)
			}
			return cl
		}
		cl := record("fp-copy", "fingerprint")
		other := record("fp-other", "replay")
		ident := record("fp-ident", "identity")
		path := fmt.Sprintf("/ui/devices/%s/clones/%d", id, cl.ID)
		stateOf := func(cloneID int64) string {
			t.Helper()
			list, err := e.st.Clones(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range list {
				if c.ID == cloneID {
					return c.State
				}
			}
			t.Fatalf("clone %d not found", cloneID)
			return ""
		}

		// Only an admin decides, and sees the buttons.
		for _, who := range []string{"hugo", "vera"} {
			c := e.login(who)
			if _, body := c.get("/ui/devices/" + id); strings.Contains(body, `name="decision"`) {
				t.Errorf("%s sees the clone decision buttons", who)
			}
			for d := range cloneDecisions {
				if resp, _ := c.post(path, url.Values{"decision": {d}}); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s: %s = %d, want 403", who, d, resp.StatusCode)
				}
			}
		}
		if got := stateOf(cl.ID); got != store.ClonePending {
			t.Fatalf("after refused decisions the clone is %s, want pending", got)
		}

		admin := e.login("alice")
		if _, body := admin.get("/ui/devices/" + id); !strings.Contains(body, fmt.Sprintf(`action="/ui/devices/%s/clones/%d"`, id, cl.ID)) {
			t.Errorf("alice's device page has no decision form for clone %d", cl.ID)
		}
		if resp, _ := admin.do("POST", path, url.Values{"decision": {"reject"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("decision without CSRF token = %d, want 403", resp.StatusCode)
		}
		for _, step := range []struct{ decision, state string }{
			{"reject", store.CloneRejected}, {"quarantine", store.ClonePending}, {"fork", store.CloneForked}, {"approve", store.CloneApproved},
		} {
			resp, body := admin.post(path, url.Values{"decision": {step.decision}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s = %d %s, want 303", step.decision, resp.StatusCode, body)
			}
			if got := stateOf(cl.ID); got != step.state {
				t.Errorf("after %s the clone is %s, want %s", step.decision, got, step.state)
			}
			if got := stateOf(other.ID); got != store.ClonePending {
				t.Errorf("after %s on clone %d, clone %d is %s, want pending", step.decision, cl.ID, other.ID, got)
			}
		}
		evs := e.events("clone_decided")
		if len(evs) != 4 {
			t.Fatalf("%d clone_decided events, want 4: %+v", len(evs), evs)
		}
		for _, ev := range evs {
			if ev.Actor != "alice" || ev.DeviceID != id || ev.KeyID != keyID || ev.Reason == "" {
				t.Errorf("audit event %+v, want alice's decision on %s", ev, id)
			}
		}

		// The device stays clone_suspected while a clone waits.
		if d, _ := e.st.Device(ctx, id); d.State() != store.StateCloneSuspected {
			t.Errorf("device state = %s with clones pending, want clone_suspected", d.State())
		}
		if resp, body := admin.post(fmt.Sprintf("/ui/devices/%s/clones/%d", id, ident.ID), url.Values{"decision": {"fork"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "nothing to fork") {
			t.Errorf("fork of an identity mismatch = %d, want 400 saying there is nothing to fork", resp.StatusCode)
		}
		for _, cid := range []int64{other.ID, ident.ID} {
			if resp, _ := admin.post(fmt.Sprintf("/ui/devices/%s/clones/%d", id, cid), url.Values{"decision": {"reject"}}); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("reject clone %d = %d, want 303", cid, resp.StatusCode)
			}
		}
		if d, _ := e.st.Device(ctx, id); d.State() != store.StateActive {
			t.Errorf("device state = %s once every clone is decided, want active", d.State())
		}

		other2, _ := e.device("pc-2")
		for _, bad := range []struct {
			path, decision string
			want           int
		}{
			{fmt.Sprintf("/ui/devices/%s/clones/%d", other2, cl.ID), "approve", http.StatusNotFound},
			{fmt.Sprintf("/ui/devices/%s/clones/999999", id), "approve", http.StatusNotFound},
			{fmt.Sprintf("/ui/devices/%s/clones/x", id), "approve", http.StatusNotFound},
			{path, "maybe", http.StatusBadRequest},
		} {
			if resp, _ := admin.post(bad.path, url.Values{"decision": {bad.decision}}); resp.StatusCode != bad.want {
				t.Errorf("POST %s %s = %d, want %d", bad.path, bad.decision, resp.StatusCode, bad.want)
			}
		}
		if got := stateOf(cl.ID); got != store.CloneApproved {
			t.Errorf("after refused requests the clone is %s, want approved", got)
		}
	})
}

func TestDeviceInventories(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		id, _ := e.device("pc-1")
		save := func(partial bool, sections map[string]store.Section) {
			t.Helper()
			if _, err := e.st.SaveInventory(ctx, &store.Inventory{DeviceID: id, ReceivedAt: e.clock.now(), Size: 2048, Body: []byte("x"),
				Sections: sections, Partial: partial}, true, "agent", 20, 0); err != nil {
				t.Fatal(err)
			}
		}
		save(false, map[string]store.Section{"cpus": {Hash: "c1", Items: 1}, "software": {Hash: "s1", Items: 9}})
		items, err := e.st.ClaimOutbox(ctx, 10, e.clock.now(), time.Minute)
		if err != nil || len(items) != 1 {
			t.Fatalf("ClaimOutbox = %d items, %v", len(items), err)
		}
		if err := e.st.CompleteOutbox(ctx, &items[0], store.RelayRejected, "GLPI said: missing deviceid", e.clock.now()); err != nil {
			t.Fatal(err)
		}
		e.clock.add(time.Minute)
		save(true, map[string]store.Section{"software": {Hash: "s2", Items: 10}})

		hist, err := e.st.History(ctx, id)
		if err != nil || len(hist) != 2 {
			t.Fatalf("History = %+v, %v", hist, err)
		}
		if !hist[0].Partial || hist[0].RelayStatus != store.RelayQueued || hist[1].Partial || hist[1].RelayStatus != store.RelayRejected ||
			hist[1].RelayMessage != "GLPI said: missing deviceid" {
			t.Errorf("History = %+v, want a queued partial after a rejected full", hist)
		}
		_, page := e.login("vera").get("/ui/devices/" + id)
		m := regexp.MustCompile(`(?s)<table class="list" id="inventories">.*?</table>`).FindString(page)
		for _, want := range []string{"<td>partial</td>", "<td>full</td>", "2.0 KiB", "software", "waiting to be sent", "rejected", "GLPI said: missing deviceid"} {
			if !strings.Contains(m, want) {
				t.Errorf("inventories table lacks %q:\n%s", want, m)
			}
		}
	})
}
