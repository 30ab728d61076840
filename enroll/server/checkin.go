package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

const (
	maxCheckInBody = 64 << 10
	maxResults     = 100
	// redeliverAfter is how long a delivered action waits for a report
	// before it is delivered again.
	redeliverAfter = 3 * time.Minute
	// seenEvery bounds how often check-ins update last_seen_at.
	seenEvery = 30 * time.Second
	// shortPollInterval is the next check-in asked of an agent that does
	// not long-poll.
	shortPollInterval = 60
)

// authenticate checks the access token of r and returns its device, or
// answers the refusal and returns nil.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, now time.Time) *store.Device {
	token := bearer(r)
	if len(token) > 128 || len(token) <= len(enroll.AccessTokenPrefix) || token[:len(enroll.AccessTokenPrefix)] != enroll.AccessTokenPrefix {
		s.reject(w, http.StatusUnauthorized, enroll.ReasonTokenInvalid, "missing access token", 0)
		return nil
	}
	d, expires, err := s.st.Authenticate(r.Context(), enroll.HashToken(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.reject(w, http.StatusUnauthorized, enroll.ReasonTokenInvalid, "unknown access token", 0)
	case err != nil:
		s.log.Error("authenticate access token", "err", err)
		s.reject(w, http.StatusInternalServerError, enroll.ReasonInternal, "internal error", 5*time.Second)
	case !d.RevokedAt.IsZero():
		s.reject(w, http.StatusForbidden, enroll.ReasonDeviceRevoked, "device revoked", 0)
	case !d.RetiredAt.IsZero():
		s.reject(w, http.StatusUnauthorized, enroll.ReasonDeviceUnknown, "device retired: enroll again", 0)
	case !now.Before(expires):
		s.reject(w, http.StatusUnauthorized, enroll.ReasonTokenExpired, "access token expired", 0)
	default:
		return d
	}
	return nil
}

// handleRetire retires the device whose token it is, at the agent's
// request: `glpi-agentd prepare-image` is wiping its identity to make an
// image, so the machine that built the image does not stay "active" with a
// key use. The clones enroll as devices of their own.
func (s *Server) handleRetire(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	d := s.authenticate(w, r, now)
	if d == nil {
		return
	}
	ev := store.Event{At: now, Event: "device_retired", DeviceID: d.ID, KeyID: d.KeyID, SourceIP: sourceIP(r).String(),
		Reason: "prepare_image", Detail: "the agent wiped its identity to make an image"}
	if err := s.st.RetireDevice(r.Context(), d.ID, now, ev); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.unavailable(w, "retire device", d.ID, err)
		return
	}
	s.log.Info("device retired at its request", "device_id", d.ID, "reason", "prepare_image")
	w.WriteHeader(http.StatusNoContent)
}

// handleCheckIn records the agent's action results and answers the
// device's pending actions, holding the request up to the wait the agent
// allows while there are none. On Serve's listener a held request is
// parked (park.go); elsewhere (HTTP/2, Handler alone) it costs a waiting
// goroutine. It wakes when an action is queued for its device, by this
// process or (via the store's watch) by any other.
func (s *Server) handleCheckIn(w http.ResponseWriter, r *http.Request) {
	ctx, now := r.Context(), s.now()
	d := s.authenticate(w, r, now)
	if d == nil {
		return
	}
	body, err := readBody(w, r, maxCheckInBody)
	var req *enroll.CheckInRequest
	if err == nil {
		req, err = decodeCheckIn(body)
	}
	if err != nil {
		s.reject(w, http.StatusBadRequest, enroll.ReasonBadRequest, "want a check-in with at most 100 results", 0)
		return
	}
	for _, rr := range req.Requested {
		a := &store.Action{ID: rr.ID, DeviceID: d.ID, Type: enroll.ActionRunInventory, Full: rr.Full, Categories: rr.Categories,
			CreatedAt: now, RequestedBy: store.RequestedByGLPI, RequestedFrom: rr.Client}
		if err := s.st.RecordRequested(ctx, a); err != nil {
			s.unavailable(w, "record requested inventory", d.ID, err)
			return
		}
	}
	if len(req.Results) > 0 {
		if err := s.st.ReportActions(ctx, d.ID, req.Results, now); err != nil {
			s.unavailable(w, "record action results", d.ID, err)
			return
		}
	}
	if now.Sub(d.LastSeenAt) >= seenEvery {
		if err := s.st.SeeDevice(ctx, d.ID, now); err != nil {
			s.log.Warn("record check-in", "device_id", d.ID, "err", err)
		}
	}
	pl, parkOK := parkable(w, r)
	stream := req.Stream && parkOK
	maxWait := enroll.MaxCheckInWait
	if stream {
		maxWait = enroll.MaxStreamedCheckInWait
	}
	wait := time.Duration(min(max(req.Wait, 0), maxWait)) * time.Second
	resp := enroll.CheckInResponse{Actions: []enroll.Action{}, Poll: shortPollInterval, AgentTrust: s.agentTrust.get(ctx, now)}
	if wait > 0 {
		resp.Poll = 0
	}
	if req.AgentTrustHash != "" && req.AgentTrustHash != enroll.TrustHash(resp.AgentTrust) {
		// The agent holds another list: it gets this one now, and comes
		// back at once for the long poll.
		wait, resp.Poll = 0, 0
	}
	if d.RelayStatus != "" {
		resp.Relay = &enroll.RelayStatus{Status: d.RelayStatus, Message: d.RelayMessage, At: d.RelayAt, InventoryID: d.RelayInventoryID}
	}
	if parkOK && wait > 0 {
		s.parkCheckIn(w, r, pl, d.ID, resp, wait, stream)
		return
	}
	var replaced <-chan struct{}
	if wait > 0 {
		var release func()
		replaced, release = s.hub.hold(d.ID)
		defer release()
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	woke := false // authenticate has checked the device until then
	for {
		woken, done := s.hub.wait(d.ID)
		actions, err := s.st.DeliverActions(ctx, d.ID, s.now(), redeliverAfter)
		if err != nil {
			done()
			s.unavailable(w, "deliver actions", d.ID, err)
			return
		}
		if len(actions) == 0 && woke && s.revoked(ctx, d.ID) {
			done()
			s.reject(w, http.StatusForbidden, enroll.ReasonDeviceRevoked, "device revoked", 0)
			return
		}
		if len(actions) > 0 || wait == 0 {
			done()
			for _, a := range actions {
				resp.Actions = append(resp.Actions, enroll.Action{ID: a.ID, Type: a.Type, Full: a.Full, Categories: a.Categories, Config: a.Config})
			}
			s.metrics.checkIn(len(actions))
			writeJSON(w, http.StatusOK, resp)
			return
		}
		s.metrics.held.Add(1)
		select {
		case <-woken:
			s.metrics.held.Add(-1)
			done()
			woke = true
			continue
		case <-timer.C:
		case <-s.closing:
			resp.Poll = s.parking.comeBack()
		case <-replaced:
			// A newer check-in of the device holds now: this one is
			// answered, with no action, and told to poll later rather
			// than come back at once and replace it in turn.
			resp.Poll = shortPollInterval
		case <-ctx.Done():
		}
		s.metrics.held.Add(-1)
		done()
		if ctx.Err() == nil {
			s.metrics.checkIn(0)
			writeJSON(w, http.StatusOK, resp)
		}
		return
	}
}

// revokedBody is the answer to a held check-in of a device revoked
// meanwhile, as authenticate would have given it.
var revokedBody = enroll.ErrorBody{Reason: enroll.ReasonDeviceRevoked, Message: "device revoked"}

// revoked reports whether deviceID was revoked: asked when a held
// check-in is woken with nothing to deliver, which a revocation does
// (WatchActions), so that the agent learns it at once, not when its wait
// ends. A failed read counts as not revoked: the wait goes on.
func (s *Server) revoked(ctx context.Context, deviceID string) bool {
	d, err := s.st.Device(ctx, deviceID)
	return err == nil && !d.RevokedAt.IsZero()
}

// decodeCheckIn decodes a check-in body with at most maxResults results.
func decodeCheckIn(data []byte) (*enroll.CheckInRequest, error) {
	var req enroll.CheckInRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return nil, fmt.Errorf("decode check-in: %w", err)
	}
	if len(req.Results) > maxResults {
		return nil, fmt.Errorf("decode check-in: %d results, want at most %d", len(req.Results), maxResults)
	}
	if len(req.Requested) > maxResults {
		return nil, fmt.Errorf("decode check-in: %d requested runs, want at most %d", len(req.Requested), maxResults)
	}
	for i := range req.Requested {
		if err := validRequested(&req.Requested[i]); err != nil {
			return nil, fmt.Errorf("decode check-in: %w", err)
		}
	}
	return &req, nil
}

// validRequested checks a run the agent says a trusted host asked for: a
// UUID of its own choosing and the asking address. Categories that are no
// category name are dropped: the asking host chose them.
func validRequested(rr *enroll.RequestedRun) error {
	if u, err := uuid.Parse(rr.ID); err != nil || u.String() != rr.ID {
		return fmt.Errorf("requested run id %q: want a lowercase UUID", rr.ID)
	}
	if _, err := netip.ParseAddr(rr.Client); err != nil {
		return fmt.Errorf("requested run %s: client %q is not an address", rr.ID, rr.Client)
	}
	rr.Categories = slices.DeleteFunc(rr.Categories, func(c string) bool {
		return c == "" || len(c) > 64 || strings.ContainsFunc(c, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' })
	})
	rr.Categories = rr.Categories[:min(len(rr.Categories), 64)]
	return nil
}

func (s *Server) unavailable(w http.ResponseWriter, what, deviceID string, err error) {
	s.log.Error(what, "device_id", deviceID, "err", err)
	s.reject(w, http.StatusServiceUnavailable, enroll.ReasonInternal, "try again later", 5*time.Second)
}

// Wake answers at once the check-in this process holds for a device, if
// any, so that it collects an action just queued in this process (the web
// console's run-now) without waiting for the store's watch.
func (s *Server) Wake(deviceID string) { s.hub.notify(deviceID) }

// RunWatch relays the store's notifications of queued actions to the
// check-ins held by this process, until ctx is done.
func (s *Server) RunWatch(ctx context.Context) {
	for ctx.Err() == nil {
		err := s.st.WatchActions(ctx, s.hub.notify)
		if ctx.Err() != nil {
			return
		}
		s.log.Error("watch queued actions", "err", err)
		// Wake everyone: they look for their actions while the watch
		// restarts.
		s.hub.notify("")
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// Sweep retires the devices of ephemeral keys silent past their window.
func (s *Server) Sweep(ctx context.Context) error {
	ids, err := s.st.RetireIdle(ctx, s.now())
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		s.log.Info("ephemeral devices retired", "count", len(ids))
	}
	return nil
}

// sweepFailures forgets the failure counts of the subjects no longer
// limited, when the store keeps them.
func (s *Server) sweepFailures(ctx context.Context) error {
	fc, ok := s.st.(store.FailureCounter)
	if !ok {
		return nil
	}
	_, err := fc.SweepFailures(ctx, s.now())
	return err
}

// runSweeper sweeps every interval until ctx is done.
func (s *Server) runSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("retire idle ephemeral devices", "err", err)
		}
		if err := s.sweepFailures(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sweep failure counts", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
