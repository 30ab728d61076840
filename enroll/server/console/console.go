// Package console is the web console of glpi-enrolld, served at /ui/ on
// the admin listener: accounts with roles, the overview, keys, devices
// with "run now" and its live progress, and the audit. Pages are rendered
// on the server with html/template; the assets are embedded, and a little
// plain JavaScript follows progress and copies keys.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// Prefix is the path the console is served under.
const Prefix = "/ui/"

// cookieName names the session cookie.
const cookieName = "glpi_enrolld_session"

//go:embed templates static
var assets embed.FS

// Store is what the console reads and writes.
type Store interface {
	store.Store
	store.ConsoleStore
}

// Config configures a Console.
type Config struct {
	Store Store
	// Secret keys the HMAC of registration keys (see server.CreateKey).
	Secret []byte
	// Bundle, when set, gives the URL and pin of a key bundle for the
	// service at a URL (see server.BundleTarget); BundleURL is the URL
	// offered by default.
	Bundle    func(url string) (string, string, error)
	BundleURL string
	// IdleTimeout ends a session unused this long; zero means 30 min.
	IdleTimeout time.Duration
	// MaxAge ends a session this long after login; zero means 12 h.
	MaxAge time.Duration
	// SilentAfter is how long without contact makes a live device
	// silent; zero means 48 h.
	SilentAfter time.Duration
	// LoginBurst failed logins per account, and per source, are allowed
	// within LoginWindow; then logins are refused until it passes. Zeros
	// mean 5 and 15 min.
	LoginBurst  int
	LoginWindow time.Duration
	// Notify, when set, is told of each run-now queued, to wake the
	// device's held check-in at once.
	Notify func(deviceID string)
	Logger *slog.Logger
	Now    func() time.Time
}

// Console is the web console's handler.
type Console struct {
	cfg   Config
	st    Store
	log   *slog.Logger
	now   func() time.Time
	pages map[string]*template.Template
	mux   *http.ServeMux
	fails throttle
}

// New returns the console for cfg.
func New(cfg Config) (*Console, error) {
	if cfg.Store == nil || len(cfg.Secret) == 0 {
		return nil, errors.New("new console: a store and the server secret are required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.IdleTimeout, 30*time.Minute)
	def(&cfg.MaxAge, 12*time.Hour)
	def(&cfg.SilentAfter, 48*time.Hour)
	def(&cfg.LoginWindow, 15*time.Minute)
	if cfg.LoginBurst <= 0 {
		cfg.LoginBurst = 5
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Console{cfg: cfg, st: cfg.Store, log: cfg.Logger, now: cfg.Now,
		fails: throttle{burst: cfg.LoginBurst, window: cfg.LoginWindow, hits: map[string]*hitCount{}}}
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	c.routes()
	return c, nil
}

func (c *Console) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	m.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", staticHandler(static)))
	m.HandleFunc("GET /ui/login", c.handleLoginPage)
	m.HandleFunc("POST /ui/login", c.handleLogin)
	m.Handle("POST /ui/logout", c.auth(permView, c.handleLogout))
	m.Handle("GET /ui/{$}", c.auth(permView, c.handleOverview))
	m.Handle("GET /ui/devices", c.auth(permView, c.handleDevices))
	m.Handle("GET /ui/devices/{id}", c.auth(permView, c.handleDevice))
	m.Handle("POST /ui/devices/{id}/run-now", c.auth(permRunNow, c.handleRunNow))
	m.Handle("GET /ui/actions/{id}", c.auth(permView, c.handleAction))
	m.Handle("GET /ui/devices/{id}/revoke", c.auth(permManage, c.handleDeviceRevokeConfirm))
	m.Handle("POST /ui/devices/{id}/revoke", c.auth(permManage, c.handleDeviceRevoke))
	m.Handle("POST /ui/devices/{id}/approve", c.auth(permManage, c.handleDeviceApprove))
	m.Handle("POST /ui/devices/{id}/clones/{clone}", c.auth(permManage, c.handleCloneDecision))
	m.Handle("GET /ui/keys", c.auth(permKeys, c.handleKeys))
	m.Handle("POST /ui/keys", c.auth(permManage, c.handleKeyCreate))
	m.Handle("GET /ui/keys/{id}/revoke", c.auth(permManage, c.handleKeyRevokeConfirm))
	m.Handle("POST /ui/keys/{id}/revoke", c.auth(permManage, c.handleKeyRevoke))
	m.Handle("GET /ui/audit", c.auth(permAudit, c.handleAudit))
	m.Handle("GET /ui/audit.csv", c.auth(permAudit, c.handleAuditCSV))
	m.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, nil, http.StatusNotFound, "No such page.")
	})
	c.mux = m
}

// ServeHTTP serves the console: requests from another site are refused
// (Sec-Fetch-Site, Origin), and every answer forbids framing, sniffing
// and caching, and allows scripts and styles from the console only.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if !strings.HasPrefix(r.URL.Path, "/ui/static/") {
		h.Set("Cache-Control", "no-store")
	}
	if err := crossOrigin.Check(r); err != nil {
		c.fail(w, r, nil, http.StatusForbidden, "Cross-site request refused.")
		return
	}
	c.mux.ServeHTTP(w, r)
}

var crossOrigin = http.NewCrossOriginProtection()

func staticHandler(fsys fs.FS) http.Handler {
	fh := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fh.ServeHTTP(w, r)
	})
}

// perm is something an account may be allowed to do.
type perm int

const (
	permView   perm = iota // overview and devices
	permRunNow             // ask a device for an inventory
	permKeys               // see keys
	permAudit              // see the audit
	permManage             // create and revoke keys, revoke devices, decide on clones
)

func allowed(r store.Role, p perm) bool {
	switch r {
	case store.RoleAdmin:
		return true
	case store.RoleHelpdesk:
		return p == permView || p == permRunNow
	case store.RoleViewer:
		return p == permView || p == permKeys || p == permAudit
	}
	return false
}

// session is the signed-in account of a request.
type session struct {
	user  store.User
	token string // the cookie's value
	csrf  string
}

func (s *session) Can(p string) bool {
	if s == nil {
		return false
	}
	switch p {
	case "runnow":
		return allowed(s.user.Role, permRunNow)
	case "keys":
		return allowed(s.user.Role, permKeys)
	case "audit":
		return allowed(s.user.Role, permAudit)
	case "manage":
		return allowed(s.user.Role, permManage)
	}
	return false
}

func (s *session) Name() string { return s.user.Name }
func (s *session) Role() string { return string(s.user.Role) }
func (s *session) CSRF() string { return s.csrf }

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// csrfToken derives a session's form token from its secret token: nothing
// more to store, and useless without the session.
func csrfToken(tok string) string {
	m := hmac.New(sha256.New, []byte(tok))
	m.Write([]byte("glpi-enrolld console csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// auth runs next for a signed-in account allowed p; a form post must also
// carry the session's CSRF token. Without a session, pages redirect to the
// login page.
func (c *Console) auth(p perm, next func(http.ResponseWriter, *http.Request, *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.session(r)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				c.log.Error("console session", "err", err)
				c.fail(w, r, nil, http.StatusServiceUnavailable, "The database is unavailable; try again.")
				return
			}
			clearCookie(w, r)
			if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/ui/actions/") {
				http.Redirect(w, r, "/ui/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.fail(w, r, nil, http.StatusUnauthorized, "Your session has ended: sign in again.")
			return
		}
		if r.Method == http.MethodPost {
			got := r.PostFormValue("csrf")
			if subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
				c.fail(w, r, s, http.StatusForbidden, "The form has expired: reload the page and try again.")
				return
			}
		}
		if !allowed(s.user.Role, p) {
			c.fail(w, r, s, http.StatusForbidden, "Your account ("+string(s.user.Role)+") may not do this.")
			return
		}
		next(w, r, s)
	})
}

// session returns the request's live session, ending it when idle or too
// old; store.ErrNotFound when there is none.
func (c *Console) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(cookieName)
	if err != nil || len(ck.Value) < 32 || len(ck.Value) > 64 {
		return nil, store.ErrNotFound
	}
	ctx, hash := r.Context(), hashToken(ck.Value)
	ss, err := c.st.Session(ctx, hash)
	if err != nil {
		return nil, err
	}
	now := c.now()
	if now.Sub(ss.LastSeenAt) > c.cfg.IdleTimeout || now.Sub(ss.CreatedAt) > c.cfg.MaxAge {
		if err := c.st.DeleteSession(ctx, hash); err != nil {
			return nil, err
		}
		return nil, store.ErrNotFound
	}
	if now.Sub(ss.LastSeenAt) > time.Minute {
		if err := c.st.TouchSession(ctx, hash, now); err != nil {
			return nil, err
		}
	}
	return &session{user: ss.User, token: ck.Value, csrf: csrfToken(ck.Value)}, nil
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(cookieName); err != nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// audit records an event done by the account s, logging a failure.
func (c *Console) audit(ctx context.Context, r *http.Request, s *session, ev store.Event) {
	ev.At = c.now()
	ev.SourceIP = sourceIP(r)
	if s != nil {
		ev.Actor = s.user.Name
	}
	if err := c.st.AddEvent(ctx, ev); err != nil {
		c.log.Error("record audit event", "event", ev.Event, "err", err)
	}
}

func sourceIP(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return ap.Addr().Unmap().String()
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// throttle counts failed logins per subject (an account, a source) in
// fixed windows.
type throttle struct {
	mu     sync.Mutex
	burst  int
	window time.Duration
	hits   map[string]*hitCount
}

type hitCount struct {
	start time.Time
	n     int
}

// blocked reports whether subject used up its failures in the current
// window, and when it may try again.
func (t *throttle) blocked(subject string, now time.Time) (bool, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h, ok := t.hits[subject]
	if !ok || now.Sub(h.start) >= t.window {
		return false, time.Time{}
	}
	return h.n >= t.burst, h.start.Add(t.window)
}

func (t *throttle) fail(subject string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.hits) > 100_000 {
		for k, h := range t.hits {
			if now.Sub(h.start) >= t.window {
				delete(t.hits, k)
			}
		}
	}
	h, ok := t.hits[subject]
	if !ok || now.Sub(h.start) >= t.window {
		h = &hitCount{start: now}
		t.hits[subject] = h
	}
	h.n++
}

func (t *throttle) reset(subject string) {
	t.mu.Lock()
	delete(t.hits, subject)
	t.mu.Unlock()
}

func (c *Console) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := c.session(r); err == nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	users, err := c.st.Users(r.Context())
	if err != nil {
		c.fail(w, r, nil, http.StatusServiceUnavailable, "The database is unavailable; try again.")
		return
	}
	c.render(w, r, nil, http.StatusOK, "login", map[string]any{"Next": safeNext(r.URL.Query().Get("next")), "NoUsers": len(users) == 0})
}

// safeNext keeps a post-login redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix
	}
	return next
}

func (c *Console) handleLogin(w http.ResponseWriter, r *http.Request) {
	ctx, now := r.Context(), c.now()
	name, password := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	ip := sourceIP(r)
	page := func(status int, msg string) {
		c.render(w, r, nil, status, "login", map[string]any{"Next": next, "Name": name, "Error": msg})
	}
	if name == "" || password == "" || len(name) > 64 {
		page(http.StatusBadRequest, "Give your account name and password.")
		return
	}
	blockedUser, until1 := c.fails.blocked("user:"+name, now)
	blockedIP, until2 := c.fails.blocked("ip:"+ip, now)
	if blockedUser || blockedIP {
		until := until1
		if until2.After(until) {
			until = until2
		}
		if err := c.st.CountEvent(ctx, store.Event{At: now, Event: "console_login_refused", SourceIP: ip, Reason: "rate_limited",
			Detail: "account " + name}, 10*time.Minute); err != nil {
			c.log.Error("record audit event", "err", err)
		}
		w.Header().Set("Retry-After", fmt.Sprint(int(until.Sub(now).Seconds())+1))
		page(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins: try again in %d minutes.", int(until.Sub(now).Minutes())+1))
		return
	}
	u, err := c.st.User(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		CheckPassword(dummyHash, password) // as long as for a known account
	case err != nil:
		c.log.Error("console login", "err", err)
		page(http.StatusServiceUnavailable, "The database is unavailable; try again.")
		return
	}
	if u == nil || !CheckPassword(u.PasswordHash, password) {
		c.fails.fail("user:"+name, now)
		c.fails.fail("ip:"+ip, now)
		if err := c.st.CountEvent(ctx, store.Event{At: now, Event: "console_login_refused", SourceIP: ip, Reason: "bad_credentials",
			Detail: "account " + name}, 10*time.Minute); err != nil {
			c.log.Error("record audit event", "err", err)
		}
		page(http.StatusUnauthorized, "Wrong account name or password.")
		return
	}
	c.fails.reset("user:" + name)
	tok := newToken()
	if err := c.st.CreateSession(ctx, &store.Session{Hash: hashToken(tok), User: *u, CreatedAt: now, LastSeenAt: now}); err != nil {
		c.log.Error("console login", "err", err)
		page(http.StatusServiceUnavailable, "The database is unavailable; try again.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: tok, Path: Prefix, HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode})
	s := &session{user: *u}
	c.audit(ctx, r, s, store.Event{Event: "console_login", Detail: "role " + string(u.Role)})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) handleLogout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.st.DeleteSession(r.Context(), hashToken(s.token)); err != nil {
		c.fail(w, r, s, http.StatusServiceUnavailable, "The database is unavailable; try again.")
		return
	}
	clearCookie(w, r)
	c.audit(r.Context(), r, s, store.Event{Event: "console_logout"})
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}
