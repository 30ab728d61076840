package glpitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

const agentID = "3f2a9c1e-7b4d-4e2a-9c1e-7b4d4e2a9c1e"

func newClient(t *testing.T, url string, cfg glpi.Config) *glpi.Client {
	t.Helper()
	cfg.URL, cfg.AgentID = url, agentID
	if cfg.Retries == 0 {
		cfg.Retries = -1
	}
	c, err := glpi.New(cfg)
	if err != nil {
		t.Fatalf("glpi.New() error: %v", err)
	}
	return c
}

// example reads one of the official example inventories.
func example(t *testing.T, name string) *glpi.Inventory {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(filepath.Dir(schematest.Path()), name))
	if err != nil {
		t.Skipf("example inventory not available: %v", err)
	}
	var inv glpi.Inventory
	if err := json.Unmarshal(b, &inv); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return &inv
}

func contact(deviceID string, tasks ...string) *glpi.Contact {
	return &glpi.Contact{DeviceID: deviceID, Version: "1.0.0", InstalledTasks: tasks, EnabledTasks: tasks, HTTPDPort: 62354, Tag: "SITE-A"}
}

func TestContact(t *testing.T) {
	s := New(t, WithVersion("10.0.16"), WithExpiration("90s"))
	c := newClient(t, s.URL, glpi.Config{UserAgent: glpi.UserAgent("1.0.0")})
	a, err := c.Contact(t.Context(), contact("pc42", "inventory", "remoteinventory", "wakeonlan"))
	if err != nil {
		t.Fatalf("Contact() error: %v", err)
	}
	if got, want := a.Tasks["inventory"], (glpi.Task{Server: "glpi", Version: "10.0.16"}); got != want {
		t.Errorf("Contact().Tasks[inventory] = %+v, want %+v", got, want)
	}
	if want := []string{"remoteinventory", "wakeonlan"}; !slices.Equal(a.Disabled, want) {
		t.Errorf("Contact().Disabled = %q, want %q", a.Disabled, want)
	}
	if want := "remoteinventory task not supported;wakeonlan task not supported"; a.Message != want {
		t.Errorf("Contact().Message = %q, want %q", a.Message, want)
	}
	if d, ok := a.Delay(); d != 90*time.Second || !ok {
		t.Errorf("Contact().Delay() = %v, %v; want 90s, true", d, ok)
	}
	got := s.Contacts()
	if len(got) != 1 || got[0].AgentID != agentID || got[0].UserAgent != "GLPI-Agent (glpi-agentd/1.0.0)" || got[0].DeviceID != "pc42" {
		t.Errorf("Contacts() = %+v, want one from %s with our user agent", got, agentID)
	}
	if want := (Agent{AgentID: agentID, Tag: "SITE-A", Port: 62354, RemoteAddr: "127.0.0.1", UserAgent: "GLPI-Agent (glpi-agentd/1.0.0)", Contacts: 1}); s.Agents()["pc42"] != want {
		t.Errorf("Agents()[pc42] = %+v, want %+v", s.Agents()["pc42"], want)
	}
}

func TestInventoryPathsAndCompressions(t *testing.T) {
	s := New(t)
	n := 0
	for _, path := range []string{"", "front/inventory.php", "Inventory"} {
		for _, compression := range []string{glpi.CompressionZlib, glpi.CompressionGzip, glpi.CompressionDeflate, glpi.CompressionNone} {
			for _, file := range []string{"computer_1.json", "computer_2.json"} {
				inv := example(t, file)
				c := newClient(t, s.URL+path, glpi.Config{Compression: compression})
				a, err := c.SendInventory(t.Context(), inv)
				if err != nil {
					t.Fatalf("SendInventory(%s) to /%s with %s error: %v", file, path, compression, err)
				}
				n++
				if a.Status != glpi.StatusOK {
					t.Errorf("SendInventory(%s) status = %q, want ok", file, a.Status)
				}
			}
		}
	}
	got := s.WaitInventories(t, n, time.Second)
	if len(got) != n {
		t.Fatalf("WaitInventories(%d) = %d inventories", n, len(got))
	}
	first := got[0]
	if first.DeviceID != "glpixps-2018-07-09-09-07-13" || first.Tag != "000005" || first.ItemType != "Computer" ||
		first.Action != "inventory" || first.ContentType != glpi.ContentTypeZlib || first.Partial {
		t.Errorf("Inventories()[0] = %+v, want computer_1's deviceid and tag, zlib", first)
	}
	if agents := s.Agents(); len(agents) != 2 || agents["glpixps-2018-07-09-09-07-13"].Inventories != n/2 {
		t.Errorf("Agents() = %+v, want 2 rows with %d inventories each", agents, n/2)
	}
}

func TestInventoryRejected(t *testing.T) {
	s := New(t)
	c := newClient(t, s.URL, glpi.Config{})
	base := example(t, "computer_2.json")
	valid, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	withKey := func(k string, v any) []byte {
		var m map[string]any
		json.Unmarshal(valid, &m)
		m[k] = v
		b, _ := json.Marshal(m)
		return b
	}
	tests := []struct {
		name     string
		body     []byte
		wantCode int
		wantMsg  string
	}{
		{"valid", valid, 0, ""},
		{"unknown root key", withKey("installed-tasks", []string{"inventory"}), 500, "JSON does not validate. Violations: additional properties not allowed at root: installed-tasks"},
		{"bad itemtype", withKey("itemtype", "Toaster"), 500, "JSON does not validate. Violations:"},
		{"no versionclient", withKey("content", map[string]any{"bios": map[string]any{}}), 500, "JSON does not validate. Violations:"},
		{"partial not boolean", withKey("partial", "yes"), 500, "JSON does not validate. Violations:"},
		{"not well formed", []byte(`{"action":"inventory",`), 400, "JSON not well formed!"},
		{"XML", []byte(`<REQUEST><QUERY>PROLOG</QUERY></REQUEST>`), 400, "XML not well formed!"},
		{"unsupported action", []byte(`{"action":"register","deviceid":"pc42"}`), 501, "Query 'register' is not supported."},
		{"legacy query key", []byte(`{"query":"wakeonlan","deviceid":"pc42"}`), 501, "Query 'wakeonlan' is not supported."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PostJSON(t.Context(), agentID, tt.body)
			if tt.wantCode == 0 {
				if err != nil {
					t.Errorf("PostJSON(valid) error: %v", err)
				}
				return
			}
			e, ok := errors.AsType[*glpi.Error](err)
			if !ok || e.StatusCode != tt.wantCode || !strings.HasPrefix(e.Message, tt.wantMsg) {
				t.Fatalf("PostJSON() error = %v, want HTTP %d %q", err, tt.wantCode, tt.wantMsg)
			}
			if d, ok := e.Answer.Delay(); d != 24*time.Hour || !ok {
				t.Errorf("error answer Delay() = %v, %v; want GLPI's constant 24h", d, ok)
			}
		})
	}
	if got := len(s.Inventories()); got != 1 {
		t.Errorf("Inventories() = %d, want only the valid one", got)
	}
}

func TestBasicAuth(t *testing.T) {
	s := New(t, WithBasicAuth("agent", "pw"))
	tests := []struct {
		name   string
		cfg    glpi.Config
		wantOK bool
		hint   string
	}{
		{name: "right", cfg: glpi.Config{Username: "agent", Password: "pw"}, wantOK: true},
		{name: "wrong", cfg: glpi.Config{Username: "agent", Password: "nope"}, hint: "refused the user and password"},
		{name: "none", cfg: glpi.Config{}, hint: "requires basic authentication: set user and password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newClient(t, s.URL, tt.cfg).Contact(t.Context(), contact("pc42", "inventory"))
			if tt.wantOK {
				if err != nil {
					t.Errorf("Contact() error: %v", err)
				}
				return
			}
			if !errors.Is(err, glpi.ErrUnauthorized) || !strings.Contains(err.Error(), tt.hint) {
				t.Errorf("Contact() error = %v, want ErrUnauthorized with %q", err, tt.hint)
			}
		})
	}

	for _, tt := range []struct {
		user, pass, msg string
		authz           bool
	}{{"", "", MsgAuthRequired, false}, {"agent", "nope", MsgBasicDenied, true}} {
		req, _ := http.NewRequest(http.MethodPost, s.URL, strings.NewReader(`{"action":"contact"}`))
		if tt.authz {
			req.SetBasicAuth(tt.user, tt.pass)
		}
		resp, body := do(t, req)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="basic"` || !strings.Contains(string(body), tt.msg) {
			t.Errorf("POST as %q = %d %q %s, want 401, Basic realm, %q", tt.user, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body, tt.msg)
		}
	}
}

func TestOAuth(t *testing.T) {
	s := New(t, WithOAuth("agents", "secret"))
	c := newClient(t, s.URL+"front/inventory.php", glpi.Config{OAuthClientID: "agents", OAuthClientSecret: "secret"})
	for range 2 {
		if _, err := c.Contact(t.Context(), contact("pc42", "inventory")); err != nil {
			t.Fatalf("Contact() error: %v", err)
		}
	}
	if n := s.TokenRequests(); n != 1 {
		t.Errorf("TokenRequests() = %d after 2 contacts, want 1", n)
	}
	s.RevokeTokens()
	if _, err := c.Contact(t.Context(), contact("pc42", "inventory")); err != nil {
		t.Fatalf("Contact() after RevokeTokens error: %v", err)
	}
	if n := s.TokenRequests(); n != 2 {
		t.Errorf("TokenRequests() = %d after revocation, want 2", n)
	}

	bad := newClient(t, s.URL, glpi.Config{OAuthClientID: "agents", OAuthClientSecret: "wrong"})
	if _, err := bad.Contact(t.Context(), contact("pc42", "inventory")); !errors.Is(err, glpi.ErrUnauthorized) {
		t.Errorf("Contact() with a wrong secret error = %v, want ErrUnauthorized", err)
	}
	none := newClient(t, s.URL, glpi.Config{})
	_, err := none.Contact(t.Context(), contact("pc42", "inventory"))
	if !errors.Is(err, glpi.ErrUnauthorized) || !strings.Contains(err.Error(), "oauth_client_id") {
		t.Errorf("Contact() without credentials error = %v, want ErrUnauthorized naming oauth_client_id", err)
	}

	// A token without the inventory scope.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"api.php/token",
		strings.NewReader(`{"grant_type":"client_credentials","client_id":"agents","client_secret":"secret","scope":"api"}`))
	_, body := do(t, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(body, &tok)
	req, _ = http.NewRequest(http.MethodPost, s.URL, strings.NewReader(`{"action":"contact"}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, body := do(t, req)
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "" || !strings.Contains(string(body), `\"inventory\" OAuth scope`) {
		t.Errorf("POST with an api-scoped token = %d %q %s, want 401 without challenge, scope message", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
	}
}

func TestInventoryDisabled(t *testing.T) {
	for _, major := range []int{10, 11} {
		s := New(t, WithInventoryDisabled(major))
		_, err := newClient(t, s.URL, glpi.Config{}).Contact(t.Context(), contact("pc42", "inventory"))
		if !errors.Is(err, glpi.ErrInventoryDisabled) || !strings.Contains(err.Error(), "Administration > Inventory") {
			t.Errorf("GLPI %d disabled: Contact() error = %v, want ErrInventoryDisabled", major, err)
		}
	}
}

func TestFailures(t *testing.T) {
	s := New(t, WithFailures(2, http.StatusServiceUnavailable))
	c := newClient(t, s.URL, glpi.Config{Retries: 3})
	if _, err := c.Contact(t.Context(), contact("pc42", "inventory")); err != nil {
		t.Fatalf("Contact() error: %v", err)
	}
	if n := s.Requests(); n != 3 {
		t.Errorf("Requests() = %d, want 3 (2 failures, 1 success)", n)
	}
}

func TestWrongURL(t *testing.T) {
	s := New(t)
	for _, url := range []string{s.URL + "glpi/", s.URL + "plugins/fusioninventory/"} {
		_, err := newClient(t, url, glpi.Config{}).Contact(t.Context(), contact("pc42", "inventory"))
		if !errors.Is(err, glpi.ErrNotGLPI) {
			t.Errorf("Contact(%s) error = %v, want ErrNotGLPI", url, err)
		}
	}
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := glpi.Decode(resp.Header.Get("Content-Type"), resp.Body, 0)
	if err != nil {
		t.Fatalf("%s %s: decode answer: %v", req.Method, req.URL, err)
	}
	return resp, body
}

func TestRawProtocol(t *testing.T) {
	s := New(t)
	zlibContact, _, _ := glpi.Encode([]byte(`{"action":"contact","deviceid":"pc42","enabled-tasks":["inventory"]}`), glpi.CompressionZlib)
	gzipContact, _, _ := glpi.Encode([]byte(`{"action":"contact","deviceid":"pc42"}`), glpi.CompressionGzip)
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		agentID     string
		body        []byte
		wantStatus  int
		wantType    string
		wantBody    string
	}{
		{"GET without action", "GET", "front/inventory.php", "", "", nil, 405, "", ""},
		{"GET root", "GET", "", "", "", nil, 200, "text/html; charset=UTF-8", "Authentication - GLPI"},
		{"GET getConfig", "GET", "front/inventory.php?action=getConfig", "", "", nil, 400, glpi.ContentTypeJSON, "Protocol not supported"},
		{"PUT", "PUT", "", "", agentID, []byte("{}"), 405, "", ""},
		{"empty POST on root", "POST", "", glpi.ContentTypeJSON, agentID, nil, 200, "text/html; charset=UTF-8", "Authentication - GLPI"},
		{"unknown path", "POST", "glpi/", glpi.ContentTypeJSON, agentID, []byte("{}"), 404, "text/html; charset=UTF-8", "Not Found"},
		{"zlib mirrored", "POST", "", glpi.ContentTypeZlib, agentID, zlibContact, 200, glpi.ContentTypeZlib, `"status":"ok"`},
		{"x-zlib mirrored", "POST", "", "application/x-zlib", agentID, zlibContact, 200, glpi.ContentTypeZlib, `"server":"glpi"`},
		{"gzip mirrored", "POST", "Inventory", "Application/X-Gzip", agentID, gzipContact, 200, glpi.ContentTypeGzip, `"status":"ok"`},
		{"corrupt zlib", "POST", "", glpi.ContentTypeZlib, agentID, []byte("{not zlib"), 400, glpi.ContentTypeZlib, "JSON not well formed!"},
		{"brotli", "POST", "", "application/x-compress-br", agentID, []byte{1, 2, 3}, 415, glpi.ContentTypeJSON, "Unsupported compression"},
		{"text/plain sniffed", "POST", "", "text/plain", agentID, []byte(`{"action":"prolog","deviceid":"pc42"}`), 200, glpi.ContentTypeJSON, `"expiration":24`},
		{"no agent id", "POST", "", glpi.ContentTypeJSON, "", []byte(`{"action":"contact","deviceid":"pc42"}`), 200, "application/xml", "<RESPONSE>SEND</RESPONSE>"},
		{"agent id echoed", "POST", "", glpi.ContentTypeJSON, agentID, []byte(`{"action":"contact","deviceid":"pc42"}`), 200, glpi.ContentTypeJSON, `"status":"ok"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, s.URL+tt.path, bytes.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.agentID != "" {
				req.Header.Set("GLPI-Agent-ID", tt.agentID)
			}
			resp, body := do(t, req)
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != tt.wantType || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("%s /%s = %d %q %s, want %d %q containing %q",
					tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.wantStatus, tt.wantType, tt.wantBody)
			}
			if tt.agentID != "" && resp.StatusCode == 200 && strings.HasPrefix(tt.wantType, "application/") && resp.Header.Get("GLPI-Agent-ID") != tt.agentID {
				t.Errorf("%s /%s GLPI-Agent-ID = %q, want it echoed", tt.method, tt.path, resp.Header.Get("GLPI-Agent-ID"))
			}
		})
	}
}

func TestWaitInventoriesConcurrent(t *testing.T) {
	s := New(t)
	inv := example(t, "computer_2.json")
	c := newClient(t, s.URL, glpi.Config{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		c.SendInventory(t.Context(), inv)
	}()
	if got := s.WaitInventories(t, 1, 5*time.Second); len(got) != 1 {
		t.Errorf("WaitInventories(1) = %d inventories, want 1", len(got))
	}
}

// TestRelayedAgentAddress: a relay that names the agent (X-Forwarded-For)
// makes GLPI record the agent's address, not the relay's, and a CONTACT
// it sends for the agent gives GLPI the agent's httpd-port.
func TestRelayedAgentAddress(t *testing.T) {
	s := New(t)
	c := newClient(t, s.URL, glpi.Config{})
	from := netip.MustParseAddr("192.0.2.7")
	if _, err := c.ContactFor(t.Context(), agentID, &glpi.Contact{DeviceID: "pc42", HTTPDPort: 62999, Tag: "SITE-A"}, from); err != nil {
		t.Fatalf("ContactFor() error: %v", err)
	}
	inv := example(t, "computer_2.json")
	inv.DeviceID, inv.Action, inv.ItemType = "pc42", "inventory", "Computer"
	body, _ := json.Marshal(inv)
	if _, err := c.PostJSONFor(t.Context(), agentID, body, from); err != nil {
		t.Fatalf("PostJSONFor() error: %v", err)
	}
	a := s.Agents()["pc42"]
	if a.RemoteAddr != "192.0.2.7" || a.Port != 62999 || a.Contacts != 1 || a.Inventories != 1 {
		t.Errorf("Agents()[pc42] = %+v, want remote address 192.0.2.7, port 62999, a contact and an inventory", a)
	}
	if got := s.Inventories()[0].Header.Get("X-Forwarded-For"); got != "192.0.2.7" {
		t.Errorf("inventory X-Forwarded-For = %q, want 192.0.2.7", got)
	}
	if got, want := s.AgentURL("pc42", "192.0.2.7"), "http://192.0.2.7:62999"; got != want {
		t.Errorf("AgentURL() = %q, want %q", got, want)
	}
	if got, want := s.AgentURL("pc43", "192.0.2.8"), "http://192.0.2.8:62354"; got != want {
		t.Errorf("AgentURL(no contact) = %q, want %q", got, want)
	}
}
