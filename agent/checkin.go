package agent

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/state"
	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// checkinWait is how long a check-in may be held by the service: the
// longest a "run now" from the service waits before it reaches the agent is
// the time to answer it, not this. A streamed check-in, whose connection
// carries a keep-alive every enroll.CheckInKeepAlive seconds, may be held
// for streamWait: the service answers ten times fewer check-ins.
const (
	checkinWait = 55
	streamWait  = enroll.MaxStreamedCheckInWait
)

// noStreamFor is how long the agent checks in without streaming after a
// streamed answer stalled: something on the way (a proxy that buffers
// answers) holds it back.
const noStreamFor = 24 * time.Hour

// Backoff of the check-in loop after errors.
const (
	checkinBackoffMin = 5 * time.Second
	checkinBackoffMax = 5 * time.Minute
)

// RelayFile, in the state directory, keeps the last GLPI relay status the
// enrollment service reported, for status.
const RelayFile = "relay.json"

// actionReports queues the outcome of actions, and the runs GLPI asked
// the listener for, for the next check-in.
type actionReports struct {
	mu        sync.Mutex
	pending   []enroll.ActionResult
	requested []enroll.RequestedRun
	ready     chan struct{} // signalled when a result is queued
}

// request queues a run GLPI asked for, announced before its results.
func (r *actionReports) request(rr enroll.RequestedRun) {
	r.mu.Lock()
	if len(r.requested) < 100 {
		r.requested = append(r.requested, rr)
	}
	r.mu.Unlock()
	select {
	case r.ready <- struct{}{}:
	default:
	}
}

// takeRequested returns the queued runs GLPI asked for.
func (r *actionReports) takeRequested() []enroll.RequestedRun {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.requested
	r.requested = nil
	return p
}

// giveBackRequested requeues runs a failed check-in could not announce.
func (r *actionReports) giveBackRequested(p []enroll.RequestedRun) {
	r.mu.Lock()
	r.requested = append(p, r.requested...)
	r.mu.Unlock()
}

func (r *actionReports) add(ids []string, state, message string, inventoryID int64) {
	if len(ids) == 0 {
		return
	}
	r.mu.Lock()
	for _, id := range ids {
		r.pending = append(r.pending, enroll.ActionResult{ID: id, State: state, Message: message, InventoryID: inventoryID, At: time.Now().UTC()})
	}
	r.mu.Unlock()
	select {
	case r.ready <- struct{}{}:
	default:
	}
}

func (r *actionReports) take() []enroll.ActionResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.pending
	r.pending = nil
	return p
}

// waiting reports whether results are queued.
func (r *actionReports) waiting() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending) > 0
}

// giveBack requeues results a failed check-in could not deliver.
func (r *actionReports) giveBack(p []enroll.ActionResult) {
	r.mu.Lock()
	r.pending = append(p, r.pending...)
	r.mu.Unlock()
}

// checkinLoop keeps a long-polled check-in with glpi-enrolld, which carries
// the service's actions ("run now" from the helpdesk, token refresh, config
// changes) to agents behind NAT and VPNs, and reports their progress.
func (a *Agent) checkinLoop(ctx context.Context) {
	var delay, backoff time.Duration
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		case <-a.reports.ready: // progress to deliver now
		}
		next, err := a.checkin(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, ErrRevoked):
			a.log.Error("check-in paused: device revoked; it resumes once this machine enrolls again (glpi-agentd enroll --force with a valid key)")
			if !a.waitReenrolled(ctx) {
				return
			}
			a.log.Info("check-in resumed: enrolled again; sending a full inventory")
			a.Trigger(Request{Full: true, Force: true})
			delay = 0
		case errors.Is(err, errNotEnrolled):
			// Wait for the first run to enroll.
			select {
			case <-a.enrolled:
			case <-ctx.Done():
				return
			}
			delay = 0
		case err != nil:
			backoff = min(max(2*backoff, checkinBackoffMin), checkinBackoffMax)
			delay = retryIn(backoff, err)
			a.log.Debug("check-in failed", "err", err, "retry_in", delay.String())
		default:
			backoff, delay = 0, next
			if next > 0 {
				a.log.Debug("next check-in as the service asked", "in", next.String())
			}
		}
	}
}

// retryIn is the wait before the check-in after a failure: drawn from the
// upper half of backoff, so that the agents a service crash or an outage
// cut off at once do not all come back at once, or the service's
// Retry-After when longer.
func retryIn(backoff time.Duration, err error) time.Duration {
	wait := backoff/2 + rand.N(backoff/2+1)
	if re, ok := errors.AsType[*enroll.RejectError](err); ok && re.RetryAfter > wait {
		wait = re.RetryAfter
	}
	return wait
}

// reenrollPoll is how often a revoked agent looks for a new enrollment
// made by another process (glpi-agentd enroll --force).
var reenrollPoll = 5 * time.Second

// waitReenrolled waits until the agent holds an enrollment that is not
// revoked: one made in this process, or one another process wrote to the
// state directory. It returns false when ctx is done.
func (a *Agent) waitReenrolled(ctx context.Context) bool {
	t := time.NewTicker(reenrollPoll)
	defer t.Stop()
	for {
		if e, err := a.Enrollment(); err == nil && e != nil && !e.Revoked {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-a.enrolled:
		case <-t.C:
		}
	}
}

// errNotEnrolled makes the loop wait for the first enrollment.
var errNotEnrolled = errors.New("not enrolled yet")

// checkin makes one check-in and acts on its answer. It returns the wait
// before the next.
func (a *Agent) checkin(ctx context.Context) (time.Duration, error) {
	e, err := a.Enrollment()
	if err != nil {
		return 0, err
	}
	// A copied disk must not check in as the machine it was copied from,
	// nor take that machine's "run now" requests.
	if e, err = a.checkClone(e); err != nil {
		return 0, err
	}
	if e == nil {
		return 0, errNotEnrolled
	}
	if e.Revoked {
		return 0, ErrRevoked
	}
	client, err := a.enrollClient(e.Server, a.serverPin(e))
	if err != nil {
		return 0, err
	}
	if e, err = a.freshCredential(ctx, client, e); err != nil {
		return 0, a.rejected(e, err)
	}
	requested := a.reports.takeRequested()
	results := a.reports.take()
	req := &enroll.CheckInRequest{Wait: checkinWait, Status: "idle", Results: results, Requested: requested,
		AgentTrustHash: a.pushedTrustHash()}
	if time.Now().Unix() >= a.noStreamUntil.Load() {
		req.Wait, req.Stream = streamWait, true
	}
	if a.running.Load() {
		req.Status = "running"
	}
	if len(results) > 0 {
		req.Wait = 0 // deliver progress now
		a.log.Debug("reporting to the enrollment service", "results", len(results), "state", results[len(results)-1].State)
	}
	if len(requested) > 0 {
		req.Wait = 0
		a.log.Debug("telling the enrollment service of inventories GLPI requested", "requested", len(requested))
	}
	// A result queued while the poll is held ends the poll early, so that
	// "running" and "sent" reach the helpdesk at once.
	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-a.reports.ready:
			cancel()
		case <-pollCtx.Done():
		}
	}()
	resp, err := client.CheckIn(pollCtx, e.Credential.AccessToken, req)
	if err != nil {
		a.reports.giveBack(results)
		a.reports.giveBackRequested(requested)
		if pollCtx.Err() != nil && ctx.Err() == nil {
			return 0, nil // interrupted to deliver results
		}
		if re, ok := errors.AsType[*enroll.RejectError](err); ok && (re.Reason == enroll.ReasonTokenExpired || re.Reason == enroll.ReasonTokenInvalid) {
			a.expireToken(e.Credential.AccessToken)
		}
		if errors.Is(err, enroll.ErrCheckInStalled) {
			a.noStreamUntil.Store(time.Now().Add(noStreamFor).Unix())
			a.log.Warn("check-ins stop streaming for a day: their answers stalled on the way to the agent; a \"run now\" still reaches it within a minute",
				"err", err)
		}
		return 0, a.rejected(e, err)
	}
	if resp.AgentTrust != nil {
		a.setPushedTrust(resp.AgentTrust, e.Server)
	}
	if resp.Relay != nil {
		if err := state.WriteJSON(a.state.File(RelayFile), resp.Relay); err != nil {
			a.log.Debug("relay status not saved", "err", err)
		}
	}
	for _, act := range resp.Actions {
		a.act(ctx, client, act)
	}
	if a.reports.waiting() || req.Wait == 0 {
		// Results queued meanwhile go at once; after delivering some,
		// the long poll resumes at once too.
		return 0, nil
	}
	return time.Duration(resp.Poll) * time.Second, nil
}

// act carries out one action of the service.
func (a *Agent) act(ctx context.Context, client *enroll.Client, act enroll.Action) {
	switch act.Type {
	case "run_inventory":
		a.log.Info("inventory requested by the enrollment service", "action", act.ID, "categories", act.Categories)
		a.Trigger(Request{Full: act.Full || len(act.Categories) == 0, Categories: act.Categories, Force: true, Actions: []string{act.ID}})
	case "refresh_token":
		e, err := a.Enrollment()
		if err == nil && e != nil {
			e.Credential.AccessExpiresAt = time.Time{}
			_, err = a.freshCredential(ctx, client, e)
		}
		if err != nil {
			a.reports.add([]string{act.ID}, "failed", err.Error(), 0)
			return
		}
		a.reports.add([]string{act.ID}, "sent", "token refreshed", 0)
	case "config":
		if refused := a.applyConfig(act.Config); refused != "" {
			a.reports.add([]string{act.ID}, "failed", refused, 0)
			return
		}
		a.reports.add([]string{act.ID}, "sent", "settings applied", 0)
	default:
		a.reports.add([]string{act.ID}, "failed", "unknown action "+act.Type, 0)
	}
}

// remoteKeys are the settings the service may change at run time.
var remoteKeys = []string{"delaytime", "no_category", "enable_category", "full_inventory_postpone", "backend_collect_timeout", "tag"}

// applyConfig applies the settings the service sent, in memory until the
// next start, and returns "" or what was refused.
func (a *Agent) applyConfig(kv map[string]string) string {
	var refused []string
	for k, v := range kv {
		if !slices.Contains(remoteKeys, k) {
			refused = append(refused, k)
			continue
		}
		if err := a.cfg.Set(k, v); err != nil {
			refused = append(refused, k)
		}
	}
	if len(refused) > 0 {
		return "refused settings: " + strings.Join(refused, ", ")
	}
	return ""
}

// expireToken makes the next use of the credential renew it, if its
// access token is still the one refused: a run may have renewed it
// meanwhile (which ends the old token), and that newer credential is kept.
func (a *Agent) expireToken(token string) {
	a.credMu.Lock()
	defer a.credMu.Unlock()
	if cur, err := a.Enrollment(); err == nil && cur != nil && cur.Credential.AccessToken == token {
		cur.Credential.AccessExpiresAt = time.Time{}
		a.saveEnrollment(cur)
	}
}

// freshCredential renews the access token when it is due. Renewals are
// serialised and re-read the stored credential first, so the check-in loop
// and a run never both spend the same refresh secret.
func (a *Agent) freshCredential(ctx context.Context, client *enroll.Client, e *Enrollment) (*Enrollment, error) {
	a.credMu.Lock()
	defer a.credMu.Unlock()
	if cur, err := a.Enrollment(); err == nil && cur != nil && cur.DeviceID == e.DeviceID {
		e = cur
	}
	if time.Until(e.Credential.AccessExpiresAt) >= refreshMargin {
		return e, nil
	}
	return e, a.refresh(ctx, client, e)
}
