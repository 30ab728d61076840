// Package httpd is the agent's small local HTTP listener, which GLPI's
// "Request inventory" and "Status" buttons call (port 62354 by default):
// GET /status for anyone, GET /now for trusted clients only: at most once
// a minute from hosts other than this one, and from a browser page only
// when its Origin is trusted. It serves no files and keeps hostile or slow
// clients cheap: short timeouts, small header limits, a cap on connections.
package httpd

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits that keep the listener cheap whatever clients do.
const (
	maxConns          = 16
	maxHeaderBytes    = 8 << 10
	readHeaderTimeout = 5 * time.Second
	ioTimeout         = 10 * time.Second
	idleTimeout       = 30 * time.Second
	resolveCacheTTL   = 60 * time.Second
	// remoteInterval is the least time between two inventories requested
	// from other hosts: /now is a full inventory, minutes of CPU and disk.
	remoteInterval = time.Minute
)

// Config configures the listener.
type Config struct {
	// Addr is the address to listen on, e.g. ":62354".
	Addr string
	// Trust lists clients allowed to call /now besides 127.0.0.1 and ::1:
	// IP addresses, CIDR prefixes (10.1/16 too), ranges ("10.0.0.1 -
	// 10.0.0.20") and host names (resolved, cached a minute), as the
	// official agent's httpd-trust.
	Trust []string
	// ServerHosts are the hosts of the configured servers; their addresses
	// are always trusted, as GLPI calls from there.
	ServerHosts []string
	// Pushed returns the hosts the enrollment service says may call /now
	// (its GLPI's), trusted as ServerHosts are, for the client's address
	// and for a browser page's Origin. It is called at each request, so a
	// change applies at once; nil means none.
	Pushed func() []string
	// PushedTrigger, when set, is called instead of Trigger for a /now from
	// a host of Pushed's list, with the client's address: GLPI asked.
	PushedTrigger func(client netip.Addr, full bool, categories []string)
	// Status returns the agent's state: "waiting" or "running task inventory".
	Status func() string
	// Trigger schedules a run: a full one, or a partial one of categories.
	Trigger func(full bool, categories []string)
	// Version is shown on the index page.
	Version string
	// Logger receives one line per accepted /now; nil discards.
	Logger *slog.Logger
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
}

// Server is the listener.
type Server struct {
	cfg   Config
	trust *trustList
	srv   *http.Server
	ln    net.Listener
	now   func() time.Time

	mu         sync.Mutex // guards lastRemote
	lastRemote time.Time  // last /now accepted from another host

	pushedMu      sync.Mutex // guards the two below
	pushedEntries []string   // Pushed's list when pushedTrust was made
	pushedTrust   *trustList
}

// New checks cfg and returns a server; Listen starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Status == nil || cfg.Trigger == nil {
		return nil, errors.New("httpd: Status and Trigger are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	tl, err := parseTrust(append(append([]string{}, cfg.Trust...), cfg.ServerHosts...), cfg.Resolver)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, trust: tl, now: time.Now}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       ioTimeout,
		WriteTimeout:      ioTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// Listen opens the listening socket.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = limitListener(ln, maxConns)
	return nil
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves until ctx is done.
func (s *Server) Serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.srv.Shutdown(shut)
	}()
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ServeHTTP answers GLPI's calls.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 0)
	path := r.URL.Path
	switch {
	case path == "/status":
		if !methodOK(w, r) {
			return
		}
		h.Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "status: %s", s.cfg.Status())
	case path == "/now" || strings.HasPrefix(path, "/now/"):
		s.serveNow(w, r)
	case path == "/":
		if !methodOK(w, r) {
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>glpi-agentd</title></head><body><h1>glpi-agentd %s</h1><p>status: %s</p></body></html>\n",
			html.EscapeString(s.cfg.Version), html.EscapeString(s.cfg.Status()))
	default:
		http.NotFound(w, r)
	}
}

func methodOK(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func (s *Server) serveNow(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		// CORS preflight from GLPI's page: only for a trusted origin.
		if o := r.Header.Get("Origin"); o != "" && s.trustedOrigin(r.Context(), o) {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Methods", "GET")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		http.Error(w, "Access denied", http.StatusForbidden)
		return
	}
	if !methodOK(w, r) {
		return
	}
	client, ok := clientAddr(r)
	byService := ok && !slices.Contains(loopbackTrusted, client) && s.pushed().allows(r.Context(), client)
	if !ok || !byService && !s.trust.allows(r.Context(), client) {
		s.cfg.Logger.Debug("refused /now", "client", r.RemoteAddr)
		http.Error(w, "Access denied", http.StatusForbidden)
		return
	}
	if !s.browserAllowed(r) {
		// A web page open in a browser on a trusted host (this one) must
		// not start inventories: only a trusted GLPI page may.
		s.cfg.Logger.Debug("refused /now from a browser page", "client", r.RemoteAddr, "origin", r.Header.Get("Origin"))
		http.Error(w, "Access denied: a browser may call /now only from a trusted GLPI page", http.StatusForbidden)
		return
	}
	if wait := s.remoteWait(client); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		http.Error(w, "Too many requests: an inventory was requested from another host less than a minute ago", http.StatusTooManyRequests)
		return
	}
	q := r.URL.Query()
	var cats []string
	if strings.EqualFold(q.Get("partial"), "yes") {
		for c := range strings.SplitSeq(q.Get("category"), ",") {
			if c = strings.TrimSpace(c); c != "" && len(cats) < 64 {
				cats = append(cats, c)
			}
		}
	}
	if byService && s.cfg.PushedTrigger != nil {
		s.cfg.PushedTrigger(client, len(cats) == 0, cats)
	} else {
		s.cfg.Trigger(len(cats) == 0, cats)
	}
	s.cfg.Logger.Info("inventory requested", "client", client.String(), "categories", strings.Join(cats, ","), "by_service_trust", byService)
	if o := r.Header.Get("Origin"); o != "" && s.trustedOrigin(r.Context(), o) {
		w.Header().Set("Access-Control-Allow-Origin", o)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "<!DOCTYPE html><html><body><p>Done.</p></body></html>\n")
}

// browserAllowed reports whether a request may come from a browser page:
// a request with an Origin (a script's fetch, a form) must name a trusted
// host; one without Origin but with Sec-Fetch-Site (an image or a link on
// another site's page) must come from no page at all (a typed URL) or
// this listener's own.
func (s *Server) browserAllowed(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		return s.trustedOrigin(r.Context(), o)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "none", "same-origin":
		return true
	}
	return false
}

// remoteWait returns how long a client that is not this host must wait
// before its /now is accepted, and records an accepted one. Requests from
// this host are not limited: they merge into the pending run (see
// agent.Trigger).
func (s *Server) remoteWait(client netip.Addr) time.Duration {
	if slices.Contains(loopbackTrusted, client) {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if wait := s.lastRemote.Add(remoteInterval).Sub(now); !s.lastRemote.IsZero() && wait > 0 {
		return wait
	}
	s.lastRemote = now
	return 0
}

// trustedOrigin reports whether a CORS Origin names a trusted host.
func (s *Server) trustedOrigin(ctx context.Context, origin string) bool {
	_, hostport, ok := strings.Cut(origin, "://")
	if !ok {
		return false
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return s.trust.allows(ctx, a) || s.pushed().allows(ctx, a)
	}
	for _, h := range append(slices.Clip(s.cfg.ServerHosts), s.pushed().hosts...) {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// pushed returns the trust list of Config.Pushed's hosts, made again when
// they change; entries that do not parse are left out.
func (s *Server) pushed() *trustList {
	var entries []string
	if s.cfg.Pushed != nil {
		entries = s.cfg.Pushed()
	}
	s.pushedMu.Lock()
	defer s.pushedMu.Unlock()
	if s.pushedTrust != nil && slices.Equal(entries, s.pushedEntries) {
		return s.pushedTrust
	}
	var ok []string
	for _, e := range entries {
		if _, err := parseTrust([]string{e}, s.cfg.Resolver); err == nil {
			ok = append(ok, e)
		}
	}
	tl, _ := parseTrust(ok, s.cfg.Resolver)
	s.pushedEntries, s.pushedTrust = slices.Clone(entries), tl
	return tl
}

func clientAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// trustList decides who may call /now.
type trustList struct {
	prefixes []netip.Prefix
	ranges   [][2]netip.Addr // first and last address
	hosts    []string
	resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}

	mu       sync.Mutex
	resolved map[string]cached
}

type cached struct {
	addrs []netip.Addr
	at    time.Time
}

// loopbackTrusted are always trusted: exactly the local host's own
// addresses, not the whole loopback range.
var loopbackTrusted = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}

// addrRange parses a range of addresses as the official agent's Net::IP
// writes it, "10.0.0.1 - 10.0.0.20" (blanks optional). It reports false
// for what is no range (a host name with a dash), and an error for a range
// of two families or whose first address is after its last.
func addrRange(e string) (lo, hi netip.Addr, ok bool, err error) {
	first, last, found := strings.Cut(e, "-")
	if !found {
		return lo, hi, false, nil
	}
	lo, err1 := netip.ParseAddr(strings.TrimSpace(first))
	hi, err2 := netip.ParseAddr(strings.TrimSpace(last))
	if err1 != nil || err2 != nil {
		return lo, hi, false, nil
	}
	lo, hi = lo.Unmap(), hi.Unmap()
	if lo.BitLen() != hi.BitLen() || lo.Compare(hi) > 0 {
		return lo, hi, false, fmt.Errorf("httpd_trust %q: a range goes from its first address up to its last, of one family", e)
	}
	return lo, hi, true, nil
}

func parseTrust(entries []string, resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}) (*trustList, error) {
	tl := &trustList{resolver: resolver, resolved: map[string]cached{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		lo, hi, ok, err := addrRange(e)
		if err != nil {
			return nil, err
		}
		if ok {
			tl.ranges = append(tl.ranges, [2]netip.Addr{lo, hi})
			continue
		}
		switch {
		case e == "":
		case strings.Contains(e, "/"):
			p, err := netip.ParsePrefix(e)
			if err != nil {
				// The official agent's Net::IP also takes an IPv4 prefix
				// with its zero octets left out: 10.1/16.
				if addr, bits, ok := strings.Cut(e, "/"); ok && strings.Count(addr, ".") < 3 && !strings.Contains(addr, ":") {
					p, err = netip.ParsePrefix(addr + strings.Repeat(".0", 3-strings.Count(addr, ".")) + "/" + bits)
				}
			}
			if err != nil {
				return nil, fmt.Errorf("httpd_trust %q: %w", e, err)
			}
			tl.prefixes = append(tl.prefixes, p.Masked())
		default:
			if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
				tl.prefixes = append(tl.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			} else {
				tl.hosts = append(tl.hosts, e)
			}
		}
	}
	return tl, nil
}

func (tl *trustList) allows(ctx context.Context, a netip.Addr) bool {
	a = a.Unmap()
	for _, l := range loopbackTrusted {
		if a == l {
			return true
		}
	}
	for _, p := range tl.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	for _, r := range tl.ranges {
		if a.BitLen() == r[0].BitLen() && a.Compare(r[0]) >= 0 && a.Compare(r[1]) <= 0 {
			return true
		}
	}
	for _, h := range tl.hosts {
		for _, ha := range tl.lookup(ctx, h) {
			if ha.Unmap() == a {
				return true
			}
		}
	}
	return false
}

// lookup resolves a host name, cached for a minute; a failed lookup is
// cached too, so a hostile client cannot make the agent resolve in a loop.
func (tl *trustList) lookup(ctx context.Context, host string) []netip.Addr {
	tl.mu.Lock()
	c, ok := tl.resolved[host]
	tl.mu.Unlock()
	if ok && time.Since(c.at) < resolveCacheTTL {
		return c.addrs
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, _ := tl.resolver.LookupNetIP(ctx, "ip", host)
	tl.mu.Lock()
	tl.resolved[host] = cached{addrs, time.Now()}
	tl.mu.Unlock()
	return addrs
}

// limitListener accepts at most n connections at once; further ones wait
// in the kernel's backlog.
func limitListener(l net.Listener, n int) net.Listener {
	return &limited{Listener: l, sem: make(chan struct{}, n)}
}

type limited struct {
	net.Listener
	sem chan struct{}
}

func (l *limited) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.sem }}, nil
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
