// Package server implements glpi-enrolld: the HTTP endpoints that exchange
// registration keys for device credentials, accept inventories and hold
// the agents' check-ins (long polls answered as soon as an action such as
// "run inventory now" is queued), the worker that relays inventories to
// GLPI, clone detection with per-key policies, and the administration
// commands and API.
package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zlib"

	"github.com/google/uuid"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/glpi"
)

// Body limits.
const (
	maxEnrollBody         = 64 << 10
	maxTokenBody          = 16 << 10
	inventoryHistoryDepth = 20
)

// Relay posts an inventory to GLPI; *glpi.Client implements it.
type Relay interface {
	PostJSON(ctx context.Context, agentID string, body []byte) (*glpi.Answer, error)
}

// Config configures a Server.
type Config struct {
	Store store.Store
	// Secret keys the HMAC of registration keys.
	Secret []byte
	// Relay sends inventories to GLPI; nil keeps them only locally.
	Relay Relay
	// RelayConcurrency caps concurrent posts to GLPI; zero means 4.
	RelayConcurrency int
	// RelayBackoff is the first retry delay after a failed relay, doubled
	// on each failure up to RelayMaxBackoff; zero means 5 s and 10 min.
	RelayBackoff, RelayMaxBackoff time.Duration
	// RelayPoll is how often the outbox is polled for work queued by other
	// replicas or due for retry; zero means 2 s.
	RelayPoll time.Duration
	// RelayLease is how long a claimed outbox item stays reserved to the
	// process posting it, renewed while the post lasts: the items of a
	// process that died are posted by another replica (or by it, restarted)
	// after at most this long. Zero means 60 s.
	RelayLease time.Duration
	// RelayStopGrace is how long a stopping server lets the relays in
	// flight finish and record GLPI's answer, so that a restart does not
	// post them again; zero means 60 s (under systemd's 90 s stop timeout).
	RelayStopGrace time.Duration
	// AccessTTL is the lifetime of access tokens; zero means 1 h.
	AccessTTL time.Duration
	// RefreshGrace is how long a rotated refresh secret stays accepted;
	// zero means 2 min.
	RefreshGrace time.Duration
	// FailureBurst failures per source (an IPv4 address, an IPv6 /64), and
	// per source and key id, are allowed, then one per FailureEvery; zeros
	// mean 10 and 6 s. Failures are never counted per key id alone: whoever
	// knows a key's public id could then lock everyone out of it.
	FailureBurst int
	FailureEvery time.Duration
	// AdminToken enables the administration API for callers presenting it
	// as a bearer token; empty disables the API.
	AdminToken string
	// Console, when set, is the web console, served under /ui/ where the
	// administration API is (see adminPath).
	Console http.Handler
	// AdminApart keeps /metrics and the administration API off the agents'
	// listener, for ServeAdmin's; otherwise that listener serves them to
	// loopback clients only.
	AdminApart bool
	// Pprof serves net/http/pprof's profiles under /debug/pprof/ on the
	// admin listener (ServeAdmin) only, never on the agents'.
	Pprof bool
	// SweepEvery is how often ephemeral devices are checked for
	// retirement; zero means 1 min.
	SweepEvery time.Duration
	// TrustedProxies are the networks of the load balancers or reverse
	// proxies in front of the service: a request from one of them is
	// taken to come from the client its ForwardedHeader names (see
	// clientIP); from anywhere else, the headers are ignored.
	TrustedProxies []netip.Prefix
	// ForwardedHeader is the header the trusted proxies write:
	// HeaderXForwardedFor (when empty) or HeaderForwarded. The other one
	// is ignored, since a client could write it.
	ForwardedHeader string
	// AuditRetention is how long audit events are kept: older ones are
	// deleted every hour. Zero means 90 days, negative for ever.
	AuditRetention time.Duration
	// MaxInventorySize caps an inventory, as sent and as inflated: a body
	// inflating beyond it is refused (413) once that much is read. Zero
	// means DefaultMaxInventorySize.
	MaxInventorySize int64
	// OutboxPerDevice is how many inventories of one device wait for GLPI
	// at most; zero means DefaultOutboxPerDevice. See
	// store.Store.SaveInventory.
	OutboxPerDevice int
	// MaxInFlight bounds the enrollments, credential refreshes and
	// inventories in progress at once; zero means 8 a CPU (GOMAXPROCS),
	// 16 at least. See gate.
	MaxInFlight int
	// InFlightWait is how long a request waits for room beyond
	// MaxInFlight before it is told to come back; zero means a second.
	InFlightWait time.Duration
	// CheckInKeepAlive is how often a streamed check-in gets a keep-alive;
	// zero means enroll.CheckInKeepAlive seconds.
	CheckInKeepAlive time.Duration
	// AgentTrust lists the hosts the agents' listeners trust for "Request
	// inventory" (GLPI's host, --agent-trust): sent in the enrollment
	// answer and every check-in's, with the addresses its names resolve
	// to here. Nil sends an empty list: the agents trust no host for it.
	AgentTrust []string
	// Resolver resolves AgentTrust's names; nil means net.DefaultResolver.
	Resolver Resolver
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Server serves the enrollment API.
type Server struct {
	cfg     Config
	st      store.Store
	log     *slog.Logger
	now     func() time.Time
	byIP    failureLimiter // failures per source address
	byKey   failureLimiter // failures per source and registration key id
	metrics *metrics
	wake    chan struct{}
	hub     *hub
	closing chan struct{} // closed when Serve starts shutting down
	once    sync.Once
	// parking holds the check-ins parked on Serve's listener (park.go).
	parking parking
	// intake holds the devices with an inventory being read.
	intake busySet
	gate   *gate
	// glpiDown is set while GLPI fails, so its first success resumes
	// the backlog.
	glpiDown atomic.Bool
	// agentTrust is what the agents are told to trust (Config.AgentTrust).
	agentTrust *agentTrust
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || len(cfg.Secret) < 16 {
		return nil, errors.New("new server: a store and a secret of at least 16 bytes are required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.RelayBackoff, 5*time.Second)
	def(&cfg.RelayMaxBackoff, 10*time.Minute)
	def(&cfg.RelayPoll, 2*time.Second)
	def(&cfg.RelayStopGrace, 60*time.Second)
	def(&cfg.RelayLease, 60*time.Second)
	def(&cfg.AccessTTL, time.Hour)
	def(&cfg.RefreshGrace, 2*time.Minute)
	def(&cfg.CheckInKeepAlive, enroll.CheckInKeepAlive*time.Second)
	def(&cfg.FailureEvery, 6*time.Second)
	def(&cfg.SweepEvery, time.Minute)
	if cfg.AuditRetention == 0 {
		cfg.AuditRetention = DefaultAuditRetention
	}
	switch cfg.ForwardedHeader {
	case "":
		cfg.ForwardedHeader = HeaderXForwardedFor
	case HeaderXForwardedFor, HeaderForwarded:
	default:
		return nil, fmt.Errorf("new server: forwarded header %q: want %s or %s", cfg.ForwardedHeader, HeaderXForwardedFor, HeaderForwarded)
	}
	if cfg.RelayConcurrency <= 0 {
		cfg.RelayConcurrency = 4
	}
	if cfg.FailureBurst <= 0 {
		cfg.FailureBurst = 10
	}
	if cfg.MaxInventorySize <= 0 {
		cfg.MaxInventorySize = DefaultMaxInventorySize
	}
	if cfg.OutboxPerDevice <= 0 {
		cfg.OutboxPerDevice = DefaultOutboxPerDevice
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = max(16, 8*runtime.GOMAXPROCS(0))
	}
	if cfg.InFlightWait <= 0 {
		cfg.InFlightWait = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	lim := limits{burst: cfg.FailureBurst, every: cfg.FailureEvery}
	return &Server{
		cfg: cfg, st: cfg.Store, log: cfg.Logger, now: cfg.Now,
		byIP:       newFailureLimiter(cfg.Store, scopeIP, lim, cfg.Logger),
		byKey:      newFailureLimiter(cfg.Store, scopeKey, lim, cfg.Logger),
		metrics:    newMetrics(),
		wake:       make(chan struct{}, 1),
		hub:        newHub(),
		closing:    make(chan struct{}),
		intake:     busySet{ids: map[string]struct{}{}},
		gate:       newGate(cfg.MaxInFlight, cfg.InFlightWait),
		agentTrust: newAgentTrust(cfg.AgentTrust, cfg.Resolver),
	}, nil
}

// Handler returns the HTTP handler of every endpoint.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+enroll.PathEnroll, s.gated("enroll", s.handleEnroll))
	mux.HandleFunc("POST "+enroll.PathToken, s.gated("token", s.handleToken))
	mux.HandleFunc("POST "+enroll.PathInventory, s.handleInventory) // gated once its body is read
	mux.HandleFunc("POST "+enroll.PathCheckIn, s.handleCheckIn)
	mux.HandleFunc("POST "+enroll.PathRetire, s.handleRetire)
	if s.cfg.AdminToken != "" {
		mux.Handle("POST "+PathAdminRunNow, s.admin(s.handleAdminRunNow))
		mux.Handle("GET "+PathAdminAction, s.admin(s.handleAdminAction))
	}
	if s.cfg.Console != nil {
		mux.Handle("/ui/", s.cfg.Console)
		mux.Handle("GET /ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.st.Ping(r.Context()); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.metrics.write(r.Context(), w, s.st.OutboxDepth, s.st.ActionCounts)
	})
	return mux
}

// httpServer is the HTTP server of the API: bounded headers and times, so
// slow or hostile clients stay cheap, and TLS 1.2 at least.
func (s *Server) httpServer() *http.Server {
	return &http.Server{
		Handler:           s.behindProxies(s.apiHandler()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// Serve serves the API on ln (over TLS when certFile and keyFile are set)
// and runs the relay worker, the watch of queued actions, the sweep of
// ephemeral devices and the sync of failed attempts with other replicas,
// until ctx is done. Held check-ins are answered at
// once when it stops.
func (s *Server) Serve(ctx context.Context, ln net.Listener, certFile, keyFile string) error {
	hs := s.httpServer()
	pl, err := s.parkingListener(hs, ln, certFile, keyFile)
	if err != nil {
		return err
	}
	var workers sync.WaitGroup
	workers.Go(func() { s.RunRelay(ctx) })
	workers.Go(func() { s.RunWatch(ctx) })
	workers.Go(func() { s.runSweeper(ctx, s.cfg.SweepEvery) })
	workers.Go(func() { s.runFailureSync(ctx) })
	workers.Go(func() { s.runAuditRetention(ctx) })
	err = serveUntil(ctx, hs, pl, "", "", 10*time.Second, func() { s.Close(); pl.closeGivenBack() })
	workers.Wait()
	return err
}

// serveUntil serves hs on ln (over TLS when certFile is set) until ctx is
// done, then calls stopping, when not nil, and shuts hs down within grace.
func serveUntil(ctx context.Context, hs *http.Server, ln net.Listener, certFile, keyFile string, grace time.Duration, stopping func()) error {
	errc := make(chan error, 1)
	go func() {
		if certFile != "" {
			errc <- hs.ServeTLS(ln, certFile, keyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		if stopping != nil {
			stopping()
		}
		shutCtx, cancel := context.WithTimeout(context.Background(), grace)
		err = hs.Shutdown(shutCtx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close answers the held check-ins at once, each told to come back
// within a window sized to how many were held, and makes new ones return
// without waiting; Serve calls it when stopping.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.parking.close(s.metrics.held.Load())
	})
}

// reject writes an error answer.
func (s *Server) reject(w http.ResponseWriter, status int, reason enroll.Reason, message string, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter.Seconds()+0.999)))
	}
	writeJSON(w, status, enroll.ErrorBody{Reason: reason, Message: message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// audit records an event, logging (not failing) when the store refuses.
// The refusals of unauthenticated attempts are counted on one row per
// source and window (see unauthenticated).
func (s *Server) audit(ctx context.Context, ev store.Event) {
	if ev.At.IsZero() {
		ev.At = s.now()
	}
	var err error
	if unauthenticated(ev) {
		if ip, perr := netip.ParseAddr(ev.SourceIP); perr == nil {
			ev.SourceIP = sourceSubject(ip)
		}
		err = s.st.CountEvent(ctx, ev, auditWindow)
	} else {
		err = s.st.AddEvent(ctx, ev)
	}
	if err != nil {
		s.log.Error("record audit event", "event", ev.Event, "err", err)
	}
}

func sourceIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func bearer(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

// readBody reads at most limit bytes of the request body, in a buffer
// sized from the announced length up to maxPresized: a client that
// announces more and sends it slowly does not make the service hold
// memory it has not sent.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	const maxPresized = 1 << 20
	var b []byte
	if n := r.ContentLength; n > 0 && n <= limit && n < maxPresized {
		b = make([]byte, 0, n+1) // the length and the read that sees the end
	}
	return glpi.ReadAppend(b, http.MaxBytesReader(w, r.Body, limit))
}

// inflated keeps inventories' decoded bodies for the next ones: a body
// (140 KB of JSON for 900 packages) and its growth were most of what an
// inventory allocated, and of the collector's work. Bodies larger than
// maxPooledBody are left to the collector.
var inflated = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBody = 1 << 20

// issue makes a fresh credential and the hashes to store.
func (s *Server) issue(now time.Time, withReplace bool) (enroll.Credential, string, store.Secrets) {
	cred := enroll.Credential{
		AccessToken:     enroll.NewToken(enroll.AccessTokenPrefix),
		AccessExpiresAt: now.Add(s.cfg.AccessTTL).UTC().Truncate(time.Second),
		RefreshSecret:   enroll.NewToken(enroll.RefreshSecretPrefix),
	}
	sec := store.Secrets{
		AccessHash: enroll.HashToken(cred.AccessToken), AccessExpiresAt: cred.AccessExpiresAt,
		RefreshHash: enroll.HashToken(cred.RefreshSecret),
	}
	var replace string
	if withReplace {
		replace = enroll.NewToken(enroll.ReplaceSecretPrefix)
		sec.ReplaceHash = enroll.HashToken(replace)
	}
	return cred, replace, sec
}

// deviceByInstall finds the device a request repeating an install id
// speaks for: among the live devices of that key and install id (the
// installation's own, and clones forked from it), the one whose strong
// signals are exactly the request's; else the first enrolled, which the
// clone check compares with. nil when there is none.
func (s *Server) deviceByInstall(ctx context.Context, keyID string, req *enroll.EnrollRequest) (*store.Device, error) {
	devs, err := s.st.DevicesByInstall(ctx, keyID, req.InstallID)
	if err != nil || len(devs) == 0 {
		return nil, err
	}
	for _, d := range devs {
		if len(exactChanges(d.Fingerprint, req.Fingerprint)) == 0 && len(exactChanges(req.Fingerprint, d.Fingerprint)) == 0 {
			return d, nil
		}
	}
	return devs[len(devs)-1], nil
}

// rejection is a refused enrollment or renewal, audited and answered.
type rejection struct {
	status     int
	reason     enroll.Reason
	message    string
	retryAfter time.Duration
	// failure counts against the rate limits (a wrong key or secret, not a
	// policy).
	failure bool
	// event is the audit event of a refused renewal; none when empty (a
	// clone, which suspectClone audits). Enrollments audit their own.
	event string
}

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	ctx, now, ip := r.Context(), s.now(), sourceIP(r)
	ev := store.Event{At: now, Event: "enroll_rejected", SourceIP: ip.String()}
	resp, rej := s.enroll(ctx, r, w, now, ip, &ev)
	if rej != nil {
		if rej.failure {
			s.byIP.fail(ctx, sourceSubject(ip), now)
			if ev.KeyID != "" {
				s.byKey.fail(ctx, sourceKeySubject(ip, ev.KeyID), now)
			}
		}
		ev.Reason = string(rej.reason)
		s.audit(ctx, ev)
		s.metrics.enrollment(string(rej.reason))
		s.log.Info("enrollment rejected", "key_id", ev.KeyID, "source_ip", ev.SourceIP, "reason", rej.reason)
		s.reject(w, rej.status, rej.reason, rej.message, rej.retryAfter)
		return
	}
	s.metrics.enrollment("ok")
	s.log.Debug("device enrolled", "event", ev.Event, "key_id", ev.KeyID, "device_id", resp.DeviceID, "source_ip", ev.SourceIP)
	writeJSON(w, http.StatusCreated, resp)
}

// enroll decides an enrollment. On success the audit event ev has been
// recorded with the device; on rejection the caller records it.
func (s *Server) enroll(ctx context.Context, r *http.Request, w http.ResponseWriter, now time.Time, ip netip.Addr, ev *store.Event) (*enroll.EnrollResponse, *rejection) {
	rec, req, rej := s.authenticateKey(ctx, r, w, now, ip, ev)
	if rej != nil {
		return nil, rej
	}
	cred, replace, sec := s.issue(now, true)
	resp := &enroll.EnrollResponse{Tag: rec.Tag, Credential: cred, ReplaceSecret: replace, ServerTime: now.UTC(),
		AgentTrust: s.agentTrust.get(ctx, now)}
	// reissue gives device d back with the new credential.
	reissue := func(d *store.Device, event string) *rejection {
		ev.Event, ev.DeviceID = event, d.ID
		gen, err := s.st.Reissue(ctx, d.ID, rec.ID, sec, now, *ev)
		if errors.Is(err, store.ErrNotFound) {
			return &rejection{status: http.StatusForbidden, reason: enroll.ReasonDeviceRevoked, message: "device revoked"}
		}
		if errors.Is(err, store.ErrKeyUnavailable) {
			return s.keyUnavailable(ctx, rec.ID, now, ev)
		}
		if err != nil {
			return s.internal(err)
		}
		resp.DeviceID, resp.GLPIDeviceID, resp.AgentID, resp.Tag = d.ID, d.GLPIDeviceID, d.AgentID, d.Tag
		resp.Credential.Generation = gen
		return nil
	}
	// existing decides for a request that speaks for device d: d back,
	// when no clone is known and no signal changed; else a clone, which
	// the key's policy refuses or lets enroll as a new device.
	var clone *store.Clone
	existing := func(d *store.Device, changes []store.SignalChange, via, event string) (back bool, rej *rejection) {
		c, err := s.st.FindClone(ctx, d.ID, fingerprintHash(req.Fingerprint))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, s.internal(err)
		}
		if c != nil {
			clone = c
		}
		if clone == nil && len(changes) == 0 {
			return true, reissue(d, event)
		}
		if clone == nil {
			if clone, err = s.suspectClone(ctx, d, via, req.Fingerprint, changes, ip.String(), ""); err != nil {
				return false, s.internal(err)
			}
		}
		if status, reason, msg := cloneRefusal(clone); reason != enroll.ReasonDeviceUnknown {
			ev.DeviceID = d.ID
			return false, &rejection{status: status, reason: reason, message: msg}
		}
		return false, nil
	}

	// revokedBefore is the revoked device whose owner enrolls again.
	var revokedBefore string
	if req.Replace != nil {
		d, err := s.st.Device(ctx, req.Replace.DeviceID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, &rejection{status: http.StatusUnauthorized, reason: enroll.ReasonDeviceUnknown, message: "unknown device"}
		case err != nil:
			return nil, s.internal(err)
		case d.ReplaceHash == "" || !hmac.Equal([]byte(d.ReplaceHash), []byte(enroll.HashToken(req.Replace.ReplaceSecret))):
			return nil, &rejection{status: http.StatusUnauthorized, reason: enroll.ReasonTokenInvalid, message: "wrong replace secret", failure: true}
		case !d.RevokedAt.IsZero():
			// An admin revoked this device, and its owner enrolls again
			// with a valid key: a new device, the revoked one stays
			// revoked, and the audit ties the two.
			revokedBefore = d.ID
		default:
			// The replace secret travels with a copied disk: on other
			// hardware it is a clone's, and the original keeps its
			// identity. A reinstall on the same hardware gets a new
			// machine id, so only the SMBIOS UUID counts here.
			back, rej := existing(d, hardwareChanges(d.Fingerprint, req.Fingerprint), viaReplaceSecret, "device_replaced")
			if rej != nil {
				return nil, rej
			}
			if back {
				return resp, nil
			}
		}
	}

	// The same installation retrying after a lost answer gets its device
	// back, with a new credential; it takes no further use of the key. A
	// known clone, or other hardware with the same install id (a copied
	// disk), becomes a new device as the key's clone policy allows.
	d, err := s.deviceByInstall(ctx, rec.ID, req)
	if err != nil {
		return nil, s.internal(err)
	}
	if d != nil {
		back, rej := existing(d, exactChanges(d.Fingerprint, req.Fingerprint), viaInstallID, "enroll_repeated")
		if rej != nil {
			return nil, rej
		}
		if back {
			return resp, nil
		}
	}

	return s.createDevice(ctx, rec, req, sec, resp, clone, revokedBefore, now, ip, ev)
}

// authenticateKey checks an enrollment's rate limits, its registration
// key (secret, then state, networks and host names) and its body.
func (s *Server) authenticateKey(ctx context.Context, r *http.Request, w http.ResponseWriter, now time.Time, ip netip.Addr, ev *store.Event) (*store.Key, *enroll.EnrollRequest, *rejection) {
	if wait := s.byIP.blocked(ctx, sourceSubject(ip), now); wait > 0 {
		return nil, nil, &rejection{status: http.StatusTooManyRequests, reason: enroll.ReasonRateLimited, message: "too many failed attempts from this address", retryAfter: wait}
	}
	key, err := enroll.ParseKey(bearer(r))
	if err != nil {
		return nil, nil, &rejection{status: http.StatusUnauthorized, reason: enroll.ReasonKeyInvalid, message: err.Error(), failure: true}
	}
	ev.KeyID = key.ID
	if wait := s.byKey.blocked(ctx, sourceKeySubject(ip, key.ID), now); wait > 0 {
		return nil, nil, &rejection{status: http.StatusTooManyRequests, reason: enroll.ReasonRateLimited, message: "too many failed attempts with this key", retryAfter: wait}
	}
	body, err := readBody(w, r, maxEnrollBody)
	if err != nil {
		return nil, nil, &rejection{status: http.StatusRequestEntityTooLarge, reason: enroll.ReasonBadRequest, message: "request body too large"}
	}
	req, err := decodeEnroll(body)
	if err != nil {
		return nil, nil, &rejection{status: http.StatusBadRequest, reason: enroll.ReasonBadRequest, message: err.Error()}
	}
	rec, err := s.st.Key(ctx, key.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, s.internal(err)
	}
	if err != nil || !hmac.Equal([]byte(rec.Hash), []byte(keyHash(s.cfg.Secret, key))) {
		return nil, nil, &rejection{status: http.StatusUnauthorized, reason: enroll.ReasonKeyInvalid, message: "unknown registration key", failure: true}
	}
	// The key's state comes before anything else: a revoked, expired or
	// used-up key neither enrolls nor gives back a device it enrolled.
	switch rec.State(now) {
	case store.KeyRevoked:
		return nil, nil, &rejection{status: http.StatusForbidden, reason: enroll.ReasonKeyRevoked, message: "registration key revoked"}
	case store.KeyExpired:
		return nil, nil, &rejection{status: http.StatusForbidden, reason: enroll.ReasonKeyExpired, message: "registration key expired"}
	case store.KeyExhausted:
		return nil, nil, &rejection{status: http.StatusForbidden, reason: enroll.ReasonKeyExhausted, message: "registration key has no uses left"}
	}
	if !networkAllowed(rec, ip) {
		return nil, nil, &rejection{status: http.StatusForbidden, reason: enroll.ReasonNetworkNotAllowed, message: "source address not allowed for this key"}
	}
	if !hostnameAllowed(rec, req.Hostname) {
		return nil, nil, &rejection{status: http.StatusForbidden, reason: enroll.ReasonHostnameNotAllowed, message: "hostname not allowed for this key"}
	}

	return rec, req, nil
}

// keyUnavailable refuses a request whose key the transaction found no
// longer usable: the request lost a race with a revocation or the key's
// last use since the key was read. It says which, from the key as it is
// now.
func (s *Server) keyUnavailable(ctx context.Context, id string, now time.Time, ev *store.Event) *rejection {
	reason, msg := enroll.ReasonKeyExhausted, "registration key has no uses left"
	if cur, err := s.st.Key(ctx, id); err == nil {
		switch cur.State(now) {
		case store.KeyRevoked:
			reason, msg = enroll.ReasonKeyRevoked, "registration key revoked"
		case store.KeyExpired:
			reason, msg = enroll.ReasonKeyExpired, "registration key expired"
		}
	}
	ev.Event = "enroll_rejected"
	return &rejection{status: http.StatusForbidden, reason: reason, message: msg}
}

// createDevice enrolls a new device for req: a first enrollment, a clone
// the key's policy lets in, or a revoked device's owner enrolling again.
func (s *Server) createDevice(ctx context.Context, rec *store.Key, req *enroll.EnrollRequest, sec store.Secrets, resp *enroll.EnrollResponse,
	clone *store.Clone, revokedBefore string, now time.Time, ip netip.Addr, ev *store.Event) (*enroll.EnrollResponse, *rejection) {
	fp := req.Fingerprint
	fp.InstallID = "" // kept only as the device's install hash
	d := &store.Device{
		ID: newDeviceID(), KeyID: rec.ID, Tag: rec.Tag, Hostname: req.Hostname,
		GLPIDeviceID: enroll.GLPIDeviceID(req.Hostname, now),
		AgentID:      uuid.NewString(), OS: req.OS, Arch: req.Arch, AgentVersion: req.AgentVersion,
		InstallID: req.InstallID, Fingerprint: fp, SourceIP: ip.String(), CreatedAt: now, LastSeenAt: now,
	}
	ev.Event, ev.DeviceID = "enroll_succeeded", d.ID
	if revokedBefore != "" {
		ev.Event, ev.Detail = "device_reenrolled_after_revocation", "revoked device "+revokedBefore
	}
	// A machine moving from another agent keeps the deviceid GLPI knows
	// it by, and so its agent record, when the id names this host and no
	// other device holds it (a clone of the same image would). A key's
	// non-persistent desktops take their predecessor's instead.
	detail := ev.Detail
	kept := false
	if prev := req.PreviousGLPIDeviceID; prev != "" && rec.Ephemeral == 0 && enroll.SameHost(enroll.DeviceIDHost(prev), req.Hostname) {
		d.GLPIDeviceID, kept = prev, true
		ev.Detail = "GLPI deviceid " + prev + " kept from the previous agent"
		if detail != "" {
			ev.Detail = detail + "; " + ev.Detail
		}
	}
	reused, err := s.st.Enroll(ctx, d, sec, now, *ev)
	if kept && errors.Is(err, store.ErrExists) {
		d.GLPIDeviceID, ev.Detail = enroll.GLPIDeviceID(req.Hostname, now), detail
		reused, err = s.st.Enroll(ctx, d, sec, now, *ev)
	}
	// Two machines of one hostname enrolled in the same second: GLPI
	// tells agents apart by deviceid, so the newcomer takes the next second.
	for i := 1; errors.Is(err, store.ErrExists) && i <= 10; i++ {
		d.GLPIDeviceID = enroll.GLPIDeviceID(req.Hostname, now.Add(time.Duration(i)*time.Second))
		reused, err = s.st.Enroll(ctx, d, sec, now, *ev)
	}
	if errors.Is(err, store.ErrKeyUnavailable) {
		ev.DeviceID = ""
		return nil, s.keyUnavailable(ctx, rec.ID, now, ev)
	}
	if err != nil {
		return nil, s.internal(err)
	}
	if clone != nil {
		if err := s.st.CloneEnrolled(ctx, clone.ID, d.ID); err != nil {
			s.log.Error("record clone enrollment", "err", err)
		}
		s.audit(ctx, store.Event{At: now, Event: "clone_enrolled", KeyID: rec.ID, DeviceID: d.ID, SourceIP: ip.String(),
			Reason: clone.Via, Detail: "new device for a clone of " + clone.DeviceID})
	}
	if reused != "" {
		s.log.Info("ephemeral device replaced", "device_id", d.ID, "previous", reused, "hostname", d.Hostname)
	}
	resp.DeviceID, resp.GLPIDeviceID, resp.AgentID = d.ID, d.GLPIDeviceID, d.AgentID
	resp.Credential.Generation = d.Generation
	return resp, nil
}

func (s *Server) internal(err error) *rejection {
	s.log.Error("enrollment failed", "err", err)
	return &rejection{status: http.StatusInternalServerError, reason: enroll.ReasonInternal, message: "internal error", retryAfter: 5 * time.Second}
}

func newDeviceID() string {
	return strings.ToLower(rand.Text()[:16])
}

// decodeRefresh decodes a refresh request body: device_id and
// refresh_secret are required.
func decodeRefresh(data []byte) (*enroll.RefreshRequest, error) {
	var req enroll.RefreshRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return nil, fmt.Errorf("decode refresh request: %w", err)
	}
	if req.DeviceID == "" || req.RefreshSecret == "" {
		return nil, errors.New("decode refresh request: want device_id and refresh_secret")
	}
	return &req, nil
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	ctx, now, ip := r.Context(), s.now(), sourceIP(r)
	if wait := s.byIP.blocked(ctx, sourceSubject(ip), now); wait > 0 {
		s.metrics.refresh(string(enroll.ReasonRateLimited))
		s.reject(w, http.StatusTooManyRequests, enroll.ReasonRateLimited, "too many failed attempts from this address", wait)
		return
	}
	body, err := readBody(w, r, maxTokenBody)
	var req *enroll.RefreshRequest
	if err == nil {
		req, err = decodeRefresh(body)
	}
	if err != nil {
		s.metrics.refresh(string(enroll.ReasonBadRequest))
		s.reject(w, http.StatusBadRequest, enroll.ReasonBadRequest, "want device_id and refresh_secret", 0)
		return
	}
	ev := store.Event{At: now, DeviceID: req.DeviceID, SourceIP: ip.String(), Detail: "presented generation " + strconv.FormatInt(req.Generation, 10)}
	cred, rej := s.refresh(ctx, req, now, ip, &ev)
	if rej != nil {
		if rej.event != "" {
			ev.Event, ev.Reason = rej.event, string(rej.reason)
			s.audit(ctx, ev)
		}
		if rej.reason != enroll.ReasonInternal {
			s.metrics.refresh(string(rej.reason))
		}
		if rej.failure {
			s.byIP.fail(ctx, sourceSubject(ip), now)
		}
		s.reject(w, rej.status, rej.reason, rej.message, rej.retryAfter)
		return
	}
	s.audit(ctx, ev)
	s.metrics.refresh("ok")
	writeJSON(w, http.StatusOK, cred)
}

// refused is a refused renewal, audited as event (refresh_rejected unless
// said otherwise); a wrong secret or an unknown device counts against the
// source's rate limit.
func refused(status int, reason enroll.Reason, msg string) *rejection {
	return &rejection{status: status, reason: reason, message: msg, event: "refresh_rejected",
		failure: reason == enroll.ReasonTokenInvalid || reason == enroll.ReasonDeviceUnknown}
}

// refresh decides a renewal: the device's state, then its fingerprint
// (only a holder of one of its secrets can raise a clone alarm), then the
// secret presented, spent or not. On success ev is the event to audit.
func (s *Server) refresh(ctx context.Context, req *enroll.RefreshRequest, now time.Time, ip netip.Addr, ev *store.Event) (*enroll.Credential, *rejection) {
	internal := func(err error) *rejection {
		s.log.Error("refresh credential", "device_id", req.DeviceID, "err", err)
		return &rejection{status: http.StatusInternalServerError, reason: enroll.ReasonInternal, message: "internal error", retryAfter: 5 * time.Second}
	}
	// clone refuses a proven copy of the credential without touching the
	// original's, as its key's clone policy says; suspectClone audits it.
	clone := func(d *store.Device, via string, fp enroll.Fingerprint, changes []store.SignalChange, detail string) *rejection {
		c, err := s.suspectClone(ctx, d, via, fp, changes, ip.String(), detail)
		if err != nil {
			return internal(err)
		}
		status, reason, msg := cloneRefusal(c)
		return &rejection{status: status, reason: reason, message: msg}
	}
	hash := enroll.HashToken(req.RefreshSecret)
	d, err := s.st.Device(ctx, req.DeviceID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, refused(http.StatusUnauthorized, enroll.ReasonDeviceUnknown, "unknown device")
	case err != nil:
		return nil, internal(err)
	case !d.RevokedAt.IsZero():
		return nil, refused(http.StatusForbidden, enroll.ReasonDeviceRevoked, "device revoked")
	case !d.RetiredAt.IsZero():
		return nil, &rejection{status: http.StatusUnauthorized, reason: enroll.ReasonDeviceUnknown, message: "device retired: enroll again", event: "device_retired_refresh"}
	}
	// A refresh without a fingerprint is checked as one with an empty
	// fingerprint: leaving it out must not skip the clone check. A replay
	// is judged on the fingerprint sent, else on the device's.
	var fp enroll.Fingerprint
	if req.Fingerprint != nil {
		fp = *req.Fingerprint
	}
	if changes := strongChanges(d.Fingerprint, fp); len(changes) > 0 {
		switch ok, err := s.st.MatchRefresh(ctx, d.ID, hash); {
		case err != nil:
			return nil, internal(err)
		case !ok:
			return nil, refused(http.StatusUnauthorized, enroll.ReasonTokenInvalid, "wrong refresh secret")
		}
		return nil, clone(d, viaFingerprint, fp, changes, "")
	}
	replayFP := d.Fingerprint
	if req.Fingerprint != nil {
		replayFP = *req.Fingerprint
	}
	cred, _, sec := s.issue(now, false)
	if req.NextRefreshSecret != "" {
		if !enroll.ValidNextSecret(req.NextRefreshSecret) {
			return nil, refused(http.StatusBadRequest, enroll.ReasonBadRequest, "next_refresh_secret is not a refresh secret")
		}
		// The agent stored this secret before asking: it is the one.
		cred.RefreshSecret, sec.RefreshHash, sec.Proposed = req.NextRefreshSecret, enroll.HashToken(req.NextRefreshSecret), true
	}
	outcome, gen, err := s.st.Refresh(ctx, req.DeviceID, hash, sec, now, s.cfg.RefreshGrace)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, refused(http.StatusUnauthorized, enroll.ReasonDeviceUnknown, "unknown device")
	case err != nil:
		return nil, internal(err)
	case outcome == store.DeviceRevoked:
		return nil, refused(http.StatusForbidden, enroll.ReasonDeviceRevoked, "device revoked")
	case outcome == store.Replayed:
		// A spent secret beyond the grace window: two machines share the
		// credential. The holder of the newest generation is the original.
		return nil, clone(d, viaReplay, replayFP, nil, fmt.Sprintf("spent generation %d replayed, device at %d", gen, d.Generation))
	case outcome == store.ReplayedByOther:
		// The client that rotated knows the secret it proposed; this one
		// does not: a copy of the spent secret, within the grace or not.
		return nil, clone(d, viaReplay, replayFP, nil, fmt.Sprintf("spent generation %d replayed within the grace window by a client that did not rotate it, device at %d", gen, d.Generation))
	case outcome == store.BadSecret:
		return nil, refused(http.StatusUnauthorized, enroll.ReasonTokenInvalid, "wrong refresh secret")
	}
	ev.Event = "credential_rotated"
	if outcome == store.ReplayedInGrace {
		ev.Event, ev.Detail = "refresh_replayed", ev.Detail+", within grace: new credential issued"
	}
	cred.Generation = gen
	return &cred, nil
}

func (s *Server) handleInventory(w http.ResponseWriter, r *http.Request) {
	ctx, now := r.Context(), s.now()
	d := s.authenticate(w, r, now)
	if d == nil {
		return
	}
	if !s.intake.take(d.ID) {
		s.reject(w, http.StatusTooManyRequests, enroll.ReasonRateLimited, "an inventory of this device is already being received", 5*time.Second)
		return
	}
	defer s.intake.done(d.ID)
	// The body is read up to the cap, and inflated up to the cap and no
	// further: a small compressed body cannot make the service hold more
	// than that.
	limit := s.cfg.MaxInventorySize
	raw, err := readBody(w, r, limit)
	var data []byte
	in := bytes.NewReader(raw)
	if err == nil {
		if !s.admit(w, r, "inventory") {
			return
		}
		defer s.gate.leave()
		// Nothing keeps data past this request: the body stored is raw
		// or a new encoding, the sections' digests are copies.
		buf := inflated.Get().(*[]byte)
		defer func() {
			if cap(data) <= maxPooledBody {
				*buf = data[:0]
				inflated.Put(buf)
			}
		}()
		data, err = glpi.DecodeAppend((*buf)[:0], r.Header.Get("Content-Type"), in, limit)
	}
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, glpi.ErrTooLarge) || errors.As(err, &maxErr):
		s.reject(w, http.StatusRequestEntityTooLarge, enroll.ReasonTooLarge, fmt.Sprintf("inventory larger than %d bytes once inflated", limit), 0)
		return
	case errors.Is(err, glpi.ErrUnsupportedEncoding):
		s.reject(w, http.StatusUnsupportedMediaType, enroll.ReasonUnsupportedEncoding, "use zlib, gzip or plain JSON", 0)
		return
	case err != nil:
		s.reject(w, http.StatusBadRequest, enroll.ReasonBadRequest, err.Error(), 0)
		return
	}
	msg, err := decodeInventory(data)
	if err != nil {
		s.reject(w, http.StatusBadRequest, enroll.ReasonBadRequest, err.Error(), 0)
		return
	}
	if !s.checkIdentity(ctx, w, r, d, msg) {
		return
	}
	// The agent names its deviceid and its key's tag: its zlib body, with
	// nothing after the stream, is kept as it came, and only another
	// message is rewritten and compressed again.
	packed, size := raw, len(data)
	if compression, _ := glpi.CompressionOf(r.Header.Get("Content-Type")); compression != glpi.CompressionZlib || in.Len() > 0 ||
		!msg.names(d.GLPIDeviceID, d.Tag) {
		out := msg.rewrite(d.GLPIDeviceID, d.Tag)
		if packed, err = compress(out); err != nil {
			s.log.Error("compress inventory", "err", err)
			s.reject(w, http.StatusInternalServerError, enroll.ReasonInternal, "internal error", 5*time.Second)
			return
		}
		size = len(out)
	}
	key := r.Header.Get(enroll.HeaderIdempotencyKey)
	if len(key) > 128 {
		s.reject(w, http.StatusBadRequest, enroll.ReasonBadRequest, "idempotency key longer than 128 characters", 0)
		return
	}
	inv := &store.Inventory{DeviceID: d.ID, ReceivedAt: now, Size: int64(size), Body: packed, Sections: msg.sections, IdempotencyKey: key,
		Partial: msg.partial, SourceIP: clientAddr(r), HTTPDPort: httpdPort(r)}
	h, err := s.st.SaveInventory(ctx, inv, s.cfg.Relay != nil, d.AgentID, inventoryHistoryDepth, s.cfg.OutboxPerDevice)
	if err != nil {
		s.log.Error("store inventory", "device_id", d.ID, "err", err)
		s.reject(w, http.StatusServiceUnavailable, enroll.ReasonInternal, "try again later", 30*time.Second)
		return
	}
	if h.Duplicate {
		s.log.Debug("inventory already accepted", "device_id", d.ID, "id", h.ID)
		writeJSON(w, http.StatusAccepted, enroll.InventoryResponse{Status: "accepted", ID: h.ID})
		return
	}
	s.metrics.inventory()
	if s.cfg.Relay != nil {
		s.wakeRelay()
	}
	if h.Superseded+h.Dropped > 0 {
		s.metrics.trimmed(h.Superseded, h.Dropped)
		s.log.Info("device outbox trimmed", "device_id", d.ID, "superseded", h.Superseded, "dropped", h.Dropped, "dropped_partial", h.DroppedPartial)
	}
	if h.DroppedPartial > 0 {
		s.requestFull(ctx, d.ID, now)
	}
	s.log.Debug("inventory accepted", "device_id", d.ID, "size", size, "changed", h.Changed)
	writeJSON(w, http.StatusAccepted, enroll.InventoryResponse{Status: "accepted", ID: h.ID})
}

// httpdPort returns the port of the agent's listener an inventory names
// (enroll.HeaderHTTPDPort), 0 when it names none or no port.
func httpdPort(r *http.Request) int {
	n, err := strconv.Atoi(r.Header.Get(enroll.HeaderHTTPDPort))
	if err != nil || n <= 0 || n > 65535 {
		return 0
	}
	return n
}

// zlibWriters are reused: a new one allocates and clears about 1 MB of
// compressor state, a tenth of the CPU an inventory cost.
var zlibWriters = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // fails only on a bad level
	return zw
}}

func compress(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(b)/4 + 64)
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	return buf.Bytes(), nil
}

func decompress(b []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	defer zr.Close()
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return out, nil
}
