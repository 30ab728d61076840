package agent

import (
	"context"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/agent/state"
)

// RunOnce runs one inventory to wherever the configuration says: a local
// file or directory, or the server.
// The outcome is recorded for `status`.
func (a *Agent) RunOnce(ctx context.Context, req Request) (*Report, error) {
	var rep *Report
	var err error
	switch {
	case a.cfg.Local != "":
		rep, err = a.RunLocal(ctx, a.cfg.Local, req)
	case a.Enrolled():
		rep, err = a.RunEnrolled(ctx, req)
	default:
		rep, err = a.RunDirect(ctx, req)
	}
	a.record(rep, err)
	return rep, err
}

// record stores a run's outcome.
func (a *Agent) record(rep *Report, err error) {
	st, rerr := a.state.Run()
	if rerr != nil {
		a.log.Warn("run state unreadable, starting afresh", "err", rerr)
	}
	st.LastRun = time.Now()
	st.LastResult, st.LastAnswer = "ok", ""
	st.Failed, st.Carried = nil, nil
	if rep != nil {
		st.LastAnswer = rep.Answer
		st.Failed, st.Carried = failedNames(rep.Results), carriedSections(rep.Carried)
	}
	if err != nil {
		st.LastResult = err.Error()
	}
	if t := a.target(); t != "" {
		st.Target = t
	}
	if err := a.state.SaveRun(st); err != nil {
		a.log.Warn("run state not saved", "err", err)
	}
}

// Trigger asks the daemon to run now. Requests made while one is already
// pending are merged into it (a full request wins), so a burst of clicks
// makes one run.
func (a *Agent) Trigger(req Request) {
	for {
		select {
		case a.trigger <- req:
			return
		default:
		}
		select {
		case pending := <-a.trigger:
			req = merge(pending, req)
		default:
		}
	}
}

// merge combines two pending requests into one run: a category run is
// widened to an ordinary run when the other request is one.
func merge(a, b Request) Request {
	out := Request{Full: a.Full || b.Full, Force: a.Force || b.Force, Actions: slices.Concat(a.Actions, b.Actions)}
	if len(a.Categories) > 0 && len(b.Categories) > 0 {
		out.Categories = slices.Compact(slices.Sorted(slices.Values(slices.Concat(a.Categories, b.Categories))))
	}
	return out
}

// Run is the daemon loop: a first run soon after start (or when the last
// schedule says), then runs as the server asks, with a backoff after
// errors, and a run at once whenever Trigger is called. It returns when ctx
// is done, after the run in progress, if any, has stopped.
func (a *Agent) Run(ctx context.Context) error {
	return a.loop(ctx, a.RunOnce, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())))
}

// triggerWindow is how long a triggered run waits for more requests, so
// that requests made at the same moment (a double click, two technicians)
// make one run.
const triggerWindow = 250 * time.Millisecond

// gather merges into req the requests that arrive within triggerWindow.
func (a *Agent) gather(ctx context.Context, req Request) Request {
	t := time.NewTimer(triggerWindow)
	defer t.Stop()
	for {
		select {
		case more := <-a.trigger:
			req = merge(req, more)
		case <-t.C:
			return req
		case <-ctx.Done():
			return req
		}
	}
}

// keyErrorBackoff is the wait after a refused key or a revoked device.
const keyErrorBackoff = 4 * time.Hour

type runFunc func(context.Context, Request) (*Report, error)

func (a *Agent) loop(ctx context.Context, run runFunc, r *rand.Rand) error {
	st, err := a.state.Run()
	if err != nil {
		a.log.Warn("run state unreadable, starting afresh", "err", err)
	}
	delaytime := config.Seconds(a.cfg.Delaytime)
	wait := firstDelay(delaytime, r)
	if now := time.Now(); st.NextRun.After(now) {
		wait = min(st.NextRun.Sub(now), maxDelayOf(st))
	}
	// The schedule is on record from the start, for status.
	st.NextRun = time.Now().Add(wait)
	if t := a.target(); t != "" {
		st.Target = t
	}
	if err := a.state.SaveRun(st); err != nil {
		a.log.Warn("run state not saved", "err", err)
	}
	a.log.Info("agent started", "version", Version, "target", a.target(), "first_run_in", wait.Round(time.Second).String())
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		var req Request
		select {
		case <-ctx.Done():
			a.log.Info("agent stopping")
			return nil
		case <-timer.C:
		case req = <-a.trigger:
			req = a.gather(ctx, req)
		}
		wait = a.scheduled(ctx, run, req, st, delaytime, r)
		if ctx.Err() != nil {
			continue
		}
		timer.Reset(wait)
	}
}

// scheduled makes one run, records its outcome in st, and returns the wait
// before the next one.
func (a *Agent) scheduled(ctx context.Context, run runFunc, req Request, st *state.Run, delaytime time.Duration, r *rand.Rand) time.Duration {
	req, waiters := a.takeWaiters(req)
	rep, err := run(ctx, req)
	finish(waiters, rep, err)
	// The inventory's memory is garbage now; give it back to the OS at
	// once rather than over minutes, so an idle agent stays small.
	debug.FreeOSMemory()
	if ctx.Err() != nil {
		return 0 // stopping: the interrupted run is no failure
	}
	if fresh, ferr := a.state.Run(); ferr == nil {
		*st = *fresh // the run updated digests and counters
	}
	now := time.Now()
	var wait time.Duration
	if err != nil {
		st.Failures++
		wait = backoff(st.Failures, min(maxDelayOf(st), delaytime), r)
		if isKeyError(err) {
			// Only an administrator can fix this: ask again in hours.
			wait = max(wait, keyErrorBackoff-jitter(keyErrorBackoff/4, r))
		}
		a.log.Error("inventory failed", "err", err, "failures", st.Failures, "retry_in", wait.Round(time.Second).String())
	} else {
		st.Failures = 0
		if rep.Delay > 0 {
			st.MaxDelay = int64(rep.Delay / time.Second)
		}
		wait = nextDelay(maxDelayOf(st), r)
		a.log.Info("inventory done", "kind", kind(rep.Partial), "sections", rep.Sections,
			"elapsed", rep.Elapsed.Round(time.Millisecond).String(), "next_in", wait.Round(time.Second).String())
	}
	st.NextRun = now.Add(wait)
	if err := a.state.SaveRun(st); err != nil {
		a.log.Warn("run state not saved", "err", err)
	}
	return wait
}

func maxDelayOf(st *state.Run) time.Duration {
	if st.MaxDelay > 0 {
		return time.Duration(st.MaxDelay) * time.Second
	}
	return defaultMaxDelay
}

func (a *Agent) target() string {
	if a.cfg.Local != "" {
		return a.cfg.Local
	}
	return a.cfg.Server
}
