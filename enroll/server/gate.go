package server

import (
	"context"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// gate bounds the requests that work (enrollments, credential refreshes,
// inventories) in progress at once. Past it, a request waits a moment for
// room, then is told to come back (503, ReasonBusy, Retry-After): an
// overloaded service sheds what it cannot do in time rather than hold
// every request's memory and answer none of them in time. Held check-ins
// are not counted: parked, they cost no work; nor is the time an
// inventory's body takes to arrive, which a slow link makes long: the
// inventory enters once its compressed body is read.
//
// Measured with the service on one core and offered more than it can
// do (500 enrollments and 150 inventories a second): without the gate,
// answers took 6 to 11 s and the service's RSS went from 90 MB to 980 MB.
type gate struct {
	slots chan struct{}
	wait  time.Duration
}

func newGate(n int, wait time.Duration) *gate {
	return &gate{slots: make(chan struct{}, n), wait: wait}
}

// enter takes a slot, waiting for one up to the gate's wait; it reports
// false when there was no room or ctx ended first.
func (g *gate) enter(ctx context.Context) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

func (g *gate) leave() { <-g.slots }

// gated runs h within the gate, for requests whose small body comes with
// their headers: enrollments and refreshes.
func (s *Server) gated(kind string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.admit(w, r, kind) {
			return
		}
		defer s.gate.leave()
		h(w, r)
	}
}

// admit enters the gate, or tells the client to come back in 5 to 15 s,
// spread so that the shed ones do not come back together, and reports
// false. The caller leaves the gate when admitted.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, kind string) bool {
	if s.gate.enter(r.Context()) {
		return true
	}
	s.metrics.shed(kind)
	s.reject(w, http.StatusServiceUnavailable, enroll.ReasonBusy, "the service is busy: come back later",
		5*time.Second+rand.N(10*time.Second))
	return false
}
