package glpi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
)

const testAgentID = "3f2a9c1e-7b4d-4e2a-9c1e-7b4d4e2a9c1e"

// newTestClient returns a client for url with fast retries.
func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.AgentID == "" {
		cfg.AgentID = testAgentID
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v) error: %v", cfg, err)
	}
	c.hc.RetryWaitMin, c.hc.RetryWaitMax = time.Millisecond, 10*time.Millisecond
	return c
}

func testContact() *Contact {
	return &Contact{DeviceID: "pc42-2024-10-18-16-44-47", Version: "1.0.0", InstalledTasks: []string{"inventory"}, EnabledTasks: []string{"inventory"}}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantURL string
		wantErr bool
	}{
		{name: "root", cfg: Config{URL: "https://glpi.example/"}, wantURL: "https://glpi.example/"},
		{name: "bare host", cfg: Config{URL: "glpi.example"}, wantURL: "http://glpi.example/"},
		{name: "bare host and port", cfg: Config{URL: "glpi.example:8080/glpi"}, wantURL: "http://glpi.example:8080/glpi"},
		{name: "upper scheme", cfg: Config{URL: "HTTPS://glpi.example/front/inventory.php"}, wantURL: "https://glpi.example/front/inventory.php"},
		{name: "upper agent id", cfg: Config{URL: "glpi", AgentID: strings.ToUpper(testAgentID)}, wantURL: "http://glpi/"},
		{name: "empty", cfg: Config{}, wantErr: true},
		{name: "ftp", cfg: Config{URL: "ftp://glpi.example/"}, wantErr: true},
		{name: "no host", cfg: Config{URL: "https:///front/inventory.php"}, wantErr: true},
		{name: "bad agent id", cfg: Config{URL: "glpi", AgentID: "pc42"}, wantErr: true},
		{name: "agent id without dashes", cfg: Config{URL: "glpi", AgentID: strings.ReplaceAll(testAgentID, "-", "")}, wantErr: true},
		{name: "compression", cfg: Config{URL: "glpi", Compression: "br"}, wantErr: true},
		{name: "oauth id only", cfg: Config{URL: "glpi", OAuthClientID: "id"}, wantErr: true},
		{name: "password only", cfg: Config{URL: "glpi", Password: "p"}, wantErr: true},
		{name: "basic and oauth", cfg: Config{URL: "glpi", Username: "u", OAuthClientID: "id", OAuthClientSecret: "s"}, wantErr: true},
		{name: "proxy scheme", cfg: Config{URL: "glpi", Proxy: "ftp://proxy"}, wantErr: true},
		{name: "bad pin", cfg: Config{URL: "glpi", PinSHA256: []string{"abc"}}, wantErr: true},
		{name: "missing CA file", cfg: Config{URL: "glpi", CAFile: "/nonexistent/ca.pem"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.wantErr {
				if err == nil {
					t.Errorf("New(%+v) = %v, want an error", tt.cfg, c.URL())
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%+v) error: %v", tt.cfg, err)
			}
			if c.URL() != tt.wantURL {
				t.Errorf("New(%+v).URL() = %q, want %q", tt.cfg, c.URL(), tt.wantURL)
			}
		})
	}
}

func TestRequestHeadersAndCompression(t *testing.T) {
	for _, compression := range []string{"", CompressionZlib, CompressionGzip, CompressionDeflate, CompressionNone} {
		t.Run(compression, func(t *testing.T) {
			var got *http.Request
			var body []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Clone(context.Background())
				var err error
				if body, err = Decode(r.Header.Get("Content-Type"), r.Body, 0); err != nil {
					t.Errorf("server: decode request: %v", err)
				}
				// Answer the way GLPI does: in the request's encoding.
				c, _ := CompressionOf(r.Header.Get("Content-Type"))
				enc, ct, _ := Encode([]byte(`{"status":"ok","expiration":"2h"}`), c)
				w.Header().Set("Content-Type", ct)
				w.Write(enc)
			}))
			defer srv.Close()
			c := newTestClient(t, Config{URL: srv.URL, Compression: compression, UserAgent: UserAgent("1.2.3")})
			a, err := c.Contact(t.Context(), testContact())
			if err != nil {
				t.Fatalf("Contact() error: %v", err)
			}
			if d, ok := a.Delay(); d != 2*time.Hour || !ok {
				t.Errorf("Contact().Delay() = %v, %v; want 2h, true", d, ok)
			}
			want := map[string]string{
				"GLPI-Agent-ID": testAgentID,
				"Pragma":        "no-cache",
				"User-Agent":    "GLPI-Agent (glpi-agentd/1.2.3)",
				"Authorization": "",
			}
			for k, v := range want {
				if g := got.Header.Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
			if got.Method != http.MethodPost {
				t.Errorf("method = %s, want POST", got.Method)
			}
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("request body %q: %v", body, err)
			}
			if m["action"] != "contact" || m["name"] != "GLPI-Agent" || m["deviceid"] != "pc42-2024-10-18-16-44-47" {
				t.Errorf("request body = %s, want action contact, name GLPI-Agent and the deviceid", body)
			}
			if _, ok := m["httpd-port"]; ok {
				t.Errorf("request body = %s, want no httpd-port when unset", body)
			}
		})
	}
}

func TestSendInventoryMessage(t *testing.T) {
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = Decode(r.Header.Get("Content-Type"), r.Body, 0)
		w.Header().Set("Content-Type", ContentTypeJSON)
		io.WriteString(w, `{"status":"ok","expiration":24}`)
	}))
	defer srv.Close()
	c := newTestClient(t, Config{URL: srv.URL})
	inv := &Inventory{DeviceID: "pc42", Tag: "SITE-A", Content: map[string]any{"versionclient": "GLPI-Agent (glpi-agentd/1.0.0)"}}
	if _, err := c.SendInventory(t.Context(), inv); err != nil {
		t.Fatalf("SendInventory() error: %v", err)
	}
	want := `{"action":"inventory","deviceid":"pc42","itemtype":"Computer","partial":false,"tag":"SITE-A","content":{"versionclient":"GLPI-Agent (glpi-agentd/1.0.0)"}}`
	if string(body) != want {
		t.Errorf("SendInventory() sent %s, want %s", body, want)
	}
	if inv.Action != "" || inv.ItemType != "" {
		t.Errorf("SendInventory() changed its argument: %+v", inv)
	}
}

func TestAnswers(t *testing.T) {
	const loginPage = `<!DOCTYPE html><html><head><title>Authentication - GLPI</title></head><body></body></html>`
	jsonError := func(msg string) string {
		return fmt.Sprintf(`{"status":"error","message":%q,"expiration":24}`, msg)
	}
	tests := []struct {
		name        string
		cfg         Config
		status      int
		contentType string
		header      map[string]string
		body        string
		wantStatus  string   // for success
		wantIs      error    // sentinel, for errors
		wantCode    int      // Error.StatusCode
		wantText    []string // substrings of Error()
	}{
		{name: "ok", status: 200, contentType: ContentTypeJSON, body: `{"status":"ok","expiration":24}`, wantStatus: "ok"},
		{name: "pending", status: 200, contentType: ContentTypeJSON, body: `{"status":"pending","expiration":"10s"}`, wantStatus: "pending"},
		{name: "ok any content type", status: 200, contentType: "text/html", body: `{"status":"ok"}`, wantStatus: "ok"},
		{name: "200 status error", status: 200, contentType: ContentTypeJSON, body: jsonError("Unable to import"),
			wantCode: 200, wantText: []string{"server answered status error: Unable to import"}},
		{name: "400", status: 400, contentType: ContentTypeJSON, body: jsonError("JSON not well formed!"),
			wantCode: 400, wantText: []string{"HTTP 400: JSON not well formed!"}},
		{name: "401 basic challenge no credentials", status: 401, contentType: ContentTypeJSON,
			header: map[string]string{"WWW-Authenticate": `Basic realm="basic"`}, body: jsonError("Authorization header required to send an inventory"),
			wantIs: ErrUnauthorized, wantCode: 401, wantText: []string{"requires basic authentication: set user and password", "Authorization header required"}},
		{name: "401 no challenge no credentials", status: 401, contentType: ContentTypeJSON, body: jsonError("Authorization header required to send an inventory"),
			wantIs: ErrUnauthorized, wantCode: 401, wantText: []string{"set user and password (basic), or oauth_client_id and oauth_client_secret"}},
		{name: "401 wrong basic", cfg: Config{Username: "agent", Password: "s3cr3t-pw"}, status: 401, contentType: ContentTypeJSON,
			body:   jsonError("Access denied. Wrong login or password for basic authentication."),
			wantIs: ErrUnauthorized, wantCode: 401, wantText: []string{"refused the user and password", "Wrong login or password"}},
		{name: "403 GLPI 11 disabled", status: 403, contentType: "text/html", body: `<html><body>Inventory is disabled</body></html>`,
			wantIs: ErrInventoryDisabled, wantCode: 403, wantText: []string{"HTTP 403: inventory is disabled on the GLPI server: enable it in Administration > Inventory"}},
		{name: "403 bare", status: 403, contentType: "text/plain", body: ``,
			wantIs: ErrInventoryDisabled, wantCode: 403, wantText: []string{"enable it in Administration > Inventory"}},
		{name: "GLPI 10 disabled text", status: 200, contentType: "text/html", body: `Inventory is disabled`,
			wantIs: ErrInventoryDisabled, wantCode: 200, wantText: []string{"contact http://127.0.0.1:", "/: inventory is disabled on the GLPI server"}},
		{name: "404", status: 404, contentType: "text/html", body: `<html><head><title>404 Not Found</title></head></html>`,
			wantIs: ErrNotGLPI, wantCode: 404, wantText: []string{"use the GLPI root URL or .../front/inventory.php", `"404 Not Found"`}},
		{name: "405", status: 405, body: ``, wantIs: ErrNotGLPI, wantCode: 405, wantText: []string{"does not look like a GLPI inventory endpoint"}},
		{name: "login page", status: 200, contentType: "text/html; charset=UTF-8", body: loginPage,
			wantIs: ErrNotGLPI, wantCode: 200, wantText: []string{`HTML page titled "Authentication - GLPI"`, "GLPI root URL"}},
		{name: "legacy XML reply", status: 200, contentType: "application/xml", body: `<REPLY><RESPONSE>SEND</RESPONSE></REPLY>`,
			wantIs: ErrNotGLPI, wantCode: 200, wantText: []string{"got an XML answer", "GLPI root URL"}},
		{name: "redirect", status: 302, header: map[string]string{"Location": "https://glpi.example/"}, body: ``,
			wantIs: ErrNotGLPI, wantCode: 302, wantText: []string{"redirects to https://glpi.example/: set the server URL"}},
		{name: "407", status: 407, body: `Proxy Authentication Required`, wantCode: 407, wantText: []string{"proxy requires authentication"}},
		{name: "415", status: 415, contentType: ContentTypeJSON, body: jsonError("Unsupported compression"),
			wantCode: 415, wantText: []string{"no_compression = true"}},
		{name: "500 violations", status: 500, contentType: ContentTypeZlib, body: jsonError("JSON does not validate. Violations:\nRequired property missing: deviceid"),
			wantCode: 500, wantText: []string{"HTTP 500: JSON does not validate. Violations: Required property missing: deviceid"}},
		{name: "500 corrupt zlib", status: 500, contentType: ContentTypeZlib, body: "not zlib", wantCode: 500, wantText: []string{"HTTP 500: Internal Server Error"}},
		{name: "501", status: 501, contentType: ContentTypeJSON, body: jsonError("Query 'register' is not supported."),
			wantCode: 501, wantText: []string{"Query 'register' is not supported."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				body := []byte(tt.body)
				if tt.contentType == ContentTypeZlib && tt.body != "not zlib" {
					body, _, _ = Encode(body, CompressionZlib)
				}
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.WriteHeader(tt.status)
				w.Write(body)
			}))
			defer srv.Close()
			cfg := tt.cfg
			cfg.URL = srv.URL
			c := newTestClient(t, cfg)
			a, err := c.Contact(t.Context(), testContact())
			if tt.wantStatus != "" {
				if err != nil || a.Status != tt.wantStatus {
					t.Fatalf("Contact() = %+v, %v; want status %q", a, err, tt.wantStatus)
				}
				return
			}
			if err == nil {
				t.Fatalf("Contact() = %+v, want an error", a)
			}
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("Contact() error = %v, want an *Error", err)
			}
			if e.StatusCode != tt.wantCode {
				t.Errorf("Contact() error status = %d, want %d", e.StatusCode, tt.wantCode)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Contact() error = %v, want it to wrap %v", err, tt.wantIs)
			}
			msg := err.Error()
			for _, s := range tt.wantText {
				if !strings.Contains(msg, s) {
					t.Errorf("Contact() error = %q, want it to contain %q", msg, s)
				}
			}
			if strings.ContainsAny(msg, "\n\r") || strings.Contains(msg, "<") {
				t.Errorf("Contact() error = %q, want one line without markup", msg)
			}
			if cfg.Password != "" && strings.Contains(msg, cfg.Password) {
				t.Errorf("Contact() error = %q reveals the password", msg)
			}
			if wantAnswer := strings.HasPrefix(tt.body, "{"); (e.Answer != nil) != wantAnswer {
				t.Errorf("Contact() error Answer = %+v, want present: %v", e.Answer, wantAnswer)
			}
		})
	}
}

func TestBasicAuthPreemptive(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		user, pass, ok := r.BasicAuth()
		if !ok || user != "agent" || pass != "pw" {
			w.Header().Set("WWW-Authenticate", `Basic realm="basic"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"status":"ok","expiration":24}`)
	}))
	defer srv.Close()
	c := newTestClient(t, Config{URL: srv.URL, Username: "agent", Password: "pw"})
	if _, err := c.Contact(t.Context(), testContact()); err != nil {
		t.Fatalf("Contact() error: %v", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("requests = %d, want 1 (credentials sent with the first request)", n)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		failures   int32
		retries    int
		wantOK     bool
		wantCalls  int32
		minElapsed time.Duration
	}{
		{name: "503 retry-after", status: 503, retryAfter: "1", failures: 1, wantOK: true, wantCalls: 2, minElapsed: time.Second},
		{name: "429", status: 429, retryAfter: "0", failures: 2, wantOK: true, wantCalls: 3},
		{name: "502", status: 502, failures: 3, wantOK: true, wantCalls: 4},
		{name: "504 exhausted", status: 504, failures: 10, wantCalls: 4},
		{name: "no retry", status: 503, failures: 10, retries: -1, wantCalls: 1},
		{name: "500 not retried", status: 500, failures: 10, wantCalls: 1},
		{name: "501 not retried", status: 501, failures: 10, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := Decode(r.Header.Get("Content-Type"), r.Body, 0)
				if !bytes.Contains(body, []byte(`"contact"`)) {
					t.Errorf("attempt %d body = %q, want the message again", calls.Load()+1, body)
				}
				if calls.Add(1) <= tt.failures {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					w.WriteHeader(tt.status)
					return
				}
				io.WriteString(w, `{"status":"ok"}`)
			}))
			defer srv.Close()
			c := newTestClient(t, Config{URL: srv.URL, Retries: tt.retries})
			start := time.Now()
			_, err := c.Contact(t.Context(), testContact())
			if (err == nil) != tt.wantOK {
				t.Errorf("Contact() error = %v, want success %v", err, tt.wantOK)
			}
			if e, ok := errors.AsType[*Error](err); err != nil && (!ok || e.StatusCode != tt.status) {
				t.Errorf("Contact() error = %v, want an *Error with status %d", err, tt.status)
			}
			if n := calls.Load(); n != tt.wantCalls {
				t.Errorf("requests = %d, want %d", n, tt.wantCalls)
			}
			if el := time.Since(start); el < tt.minElapsed {
				t.Errorf("Contact() took %v, want at least %v (Retry-After)", el, tt.minElapsed)
			}
		})
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := newTestClient(t, Config{URL: url, Retries: 2})
	_, err := c.Contact(t.Context(), testContact())
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("Contact() error = %v, want connection refused", err)
	}
	if strings.Count(err.Error(), url) != 1 {
		t.Errorf("Contact() error = %q, want the URL once", err)
	}
}

func TestContextCanceled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c := newTestClient(t, Config{URL: srv.URL})
	c.hc.RetryWaitMin, c.hc.RetryWaitMax = time.Minute, time.Minute
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Contact(ctx, testContact()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Contact() error = %v, want context.DeadlineExceeded", err)
	}
}

func TestPostJSON(t *testing.T) {
	var gotID string
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotID = r.Header.Get("GLPI-Agent-ID")
		gotBody, _ = Decode(r.Header.Get("Content-Type"), r.Body, 0)
		io.WriteString(w, `{"status":"ok","expiration":24}`)
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL}) // a relay has no agent id of its own
	if err != nil {
		t.Fatal(err)
	}
	const other = "0b1e6a8f-5c2d-4d7e-8f9a-0b1c2d3e4f5a"
	body := []byte(`{"action":"inventory","deviceid":"x","content":{"versionclient":"v"}}`)
	if _, err := c.PostJSON(t.Context(), strings.ToUpper(other), body); err != nil {
		t.Fatalf("PostJSON() error: %v", err)
	}
	if gotID != other || !bytes.Equal(gotBody, body) {
		t.Errorf("PostJSON() sent id %q body %s, want %q and the body as given", gotID, gotBody, other)
	}
	if _, err := c.PostJSON(t.Context(), "not-a-uuid", body); err == nil {
		t.Error("PostJSON(not-a-uuid) succeeded, want an error")
	}
	if _, err := c.Contact(t.Context(), testContact()); err == nil {
		t.Error("Contact() without agent id succeeded, want an error")
	}
}

func TestProxy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer srv.Close()
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		if !r.URL.IsAbs() {
			t.Errorf("proxy got %q, want an absolute URL", r.URL)
		}
		out := r.Clone(r.Context())
		out.RequestURI = ""
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	defer proxy.Close()

	t.Setenv("HTTP_PROXY", "")
	t.Setenv("http_proxy", "")
	for _, tt := range []struct {
		proxy string
		want  int32
	}{{proxy.URL, 1}, {"none", 0}, {"", 0}} {
		proxied.Store(0)
		c := newTestClient(t, Config{URL: srv.URL, Proxy: tt.proxy})
		if _, err := c.Contact(t.Context(), testContact()); err != nil {
			t.Fatalf("Contact() via proxy %q error: %v", tt.proxy, err)
		}
		if n := proxied.Load(); n != tt.want {
			t.Errorf("Contact() via proxy %q: proxy saw %d requests, want %d", tt.proxy, n, tt.want)
		}
	}
}

// TestRedirectPolicy: a 307 never takes Basic or OAuth credentials (header
// or token request body) to another address, and never downgrades to http;
// a credential-free client still follows a 307 that keeps the scheme.
func TestRedirectPolicy(t *testing.T) {
	var stolen atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || strings.HasSuffix(r.URL.Path, "/token") {
			stolen.Add(1)
		}
		io.WriteString(w, `{"status":"ok","expiration":24}`)
	}))
	defer target.Close()
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	plain := httptest.NewServer(redirect)
	defer plain.Close()
	secure := httptest.NewTLSServer(redirect)
	defer secure.Close()
	pin := []string{tlspin.Of(secure.Certificate()).String()}

	tests := []struct {
		name   string
		cfg    Config
		follow bool
	}{
		{name: "basic, https to http", cfg: Config{URL: secure.URL + "/glpi/", PinSHA256: pin, Username: "u", Password: "p"}},
		{name: "basic, another port", cfg: Config{URL: plain.URL + "/glpi/", Username: "u", Password: "p"}},
		{name: "oauth, another port", cfg: Config{URL: plain.URL + "/glpi/", OAuthClientID: "id", OAuthClientSecret: "secret"}},
		{name: "oauth, https to http", cfg: Config{URL: secure.URL + "/glpi/", PinSHA256: pin, OAuthClientID: "id", OAuthClientSecret: "secret"}},
		{name: "no credentials, https to http", cfg: Config{URL: secure.URL + "/glpi/", PinSHA256: pin}},
		{name: "no credentials, http to http", cfg: Config{URL: plain.URL + "/glpi/"}, follow: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stolen.Store(0)
			c := newTestClient(t, tt.cfg)
			_, err := c.Contact(t.Context(), testContact())
			if tt.follow {
				if err != nil {
					t.Errorf("Contact() error: %v, want the redirect followed", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "redirects to "+target.URL) {
				t.Errorf("Contact() error = %v, want the redirect to %s reported", err, target.URL)
			}
			if n := stolen.Load(); n != 0 {
				t.Errorf("%d credentials reached the redirect target", n)
			}
		})
	}
}

func TestPostZlibFor(t *testing.T) {
	var gotType string
	var gotRaw []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotType = r.Header.Get("Content-Type")
		gotRaw, _ = io.ReadAll(r.Body)
		io.WriteString(w, `{"status":"ok","expiration":24}`)
	}))
	defer srv.Close()
	const id = "0b1e6a8f-5c2d-4d7e-8f9a-0b1c2d3e4f5a"
	body := []byte(`{"action":"inventory","deviceid":"x","content":{"versionclient":"v"}}`)
	zbody, _, err := Encode(body, CompressionZlib)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		compression, wantType string
		asIs                  bool
	}{
		{"", ContentTypeZlib, true},
		{CompressionZlib, ContentTypeZlib, true},
		{CompressionGzip, ContentTypeGzip, false},
		{CompressionNone, ContentTypeJSON, false},
	} {
		c, err := New(Config{URL: srv.URL, Compression: tt.compression})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PostZlibFor(t.Context(), id, zbody, netip.Addr{}); err != nil {
			t.Fatalf("%q: PostZlibFor() error: %v", tt.compression, err)
		}
		got, err := Decode(gotType, bytes.NewReader(gotRaw), 0)
		if gotType != tt.wantType || err != nil || !bytes.Equal(got, body) {
			t.Errorf("%q: sent %s %q (%v), want %s and the message", tt.compression, gotType, got, err, tt.wantType)
		}
		if asIs := bytes.Equal(gotRaw, zbody); asIs != tt.asIs {
			t.Errorf("%q: body sent as given = %v, want %v", tt.compression, asIs, tt.asIs)
		}
		if _, err := c.PostZlibFor(t.Context(), "not-a-uuid", zbody, netip.Addr{}); err == nil {
			t.Errorf("%q: PostZlibFor(not-a-uuid) succeeded, want an error", tt.compression)
		}
	}
}
