package server

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/glpi"
)

// claims are the outbox items this process is posting. Their leases are
// renewed until the posts end, so that a slow GLPI never lets another
// replica take them, while the items of a process that died come free
// within one RelayLease.
type claims struct {
	mu  sync.Mutex
	ids map[int64]struct{}
}

func (c *claims) add(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids[id] = struct{}{}
}

func (c *claims) remove(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.ids, id)
}

func (c *claims) list() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Collect(maps.Keys(c.ids))
}

// renewLeases extends the leases of held every third of RelayLease until
// stop is closed.
func (s *Server) renewLeases(held *claims, stop <-chan struct{}) {
	every := s.cfg.RelayLease / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ids := held.list()
		if len(ids) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), every)
		err := s.st.ExtendOutbox(ctx, ids, s.now().Add(s.cfg.RelayLease))
		cancel()
		if err != nil {
			s.log.Warn("extend outbox leases", "items", len(ids), "err", err)
		}
	}
}

// RunRelay sends queued inventories to GLPI until ctx is done, at most
// RelayConcurrency at a time and one at a time per device. It returns at
// once when the server has no relay.
//
// When ctx is done it claims nothing more and waits up to RelayStopGrace
// for the posts in flight: GLPI imports an inventory whether or not its
// client is still there to read the answer, so a post cut short would be
// sent again after the restart. Only a relay still running at the end of
// the grace, or a process killed outright, can repeat one.
func (s *Server) RunRelay(ctx context.Context) {
	if s.cfg.Relay == nil {
		return
	}
	if err := s.st.RecoverLeases(ctx); err != nil {
		s.log.Error("recover outbox leases", "err", err)
	}
	var (
		wg    sync.WaitGroup
		slots = make(chan struct{}, s.cfg.RelayConcurrency)
		done  = make(chan struct{}, 1) // a relay ended: look for work
	)
	held := &claims{ids: map[int64]struct{}{}}
	stopRenew, renewed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(renewed)
		s.renewLeases(held, stopRenew)
	}()
	inflight, cut := context.WithCancel(context.WithoutCancel(ctx))
	defer cut()
	defer func() {
		if n := len(slots); n > 0 {
			s.log.Info("stopping: waiting for the relays in flight", "relays", n, "grace", s.cfg.RelayStopGrace)
		}
		grace := time.AfterFunc(s.cfg.RelayStopGrace, cut)
		defer grace.Stop()
		wg.Wait()
		close(stopRenew)
		<-renewed
	}()
	poll := time.NewTicker(s.cfg.RelayPoll)
	defer poll.Stop()
	for {
		if free := cap(slots) - len(slots); free > 0 {
			items, err := s.st.ClaimOutbox(ctx, free, s.now(), s.cfg.RelayLease)
			if err != nil && ctx.Err() == nil {
				s.log.Error("claim outbox", "err", err)
			}
			for _, it := range items {
				slots <- struct{}{}
				held.add(it.ID)
				wg.Go(func() {
					defer func() {
						held.remove(it.ID)
						<-slots
						select { // a wake-up: one pending is enough
						case done <- struct{}{}:
						default:
						}
					}()
					s.relayOne(inflight, &it)
				})
			}
			if len(items) == free {
				continue // there may be more work waiting
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-done:
		case <-poll.C:
		}
	}
}

// relayOne posts one outbox item and records the outcome.
func (s *Server) relayOne(ctx context.Context, it *store.OutboxItem) {
	log := s.log.With("device_id", it.DeviceID, "outbox_id", it.ID)
	start := time.Now()
	answer, err := s.post(ctx, log, it)
	elapsed := time.Since(start)
	var bad *unreadableError
	if errors.As(err, &bad) {
		log.Error("relay inventory: drop unreadable outbox item", "err", err)
		s.finish(ctx, it, "rejected", err.Error())
		return
	}
	if ctx.Err() != nil {
		// Cut at the end of the stop grace: the item stays claimed and is
		// sent again after the restart, maybe a second time.
		log.Warn("relay cut short by the stop: the inventory will be sent again", "duration", elapsed)
		return
	}
	if err == nil {
		s.metrics.relay("ok", elapsed)
		log.Debug("inventory relayed", "duration", elapsed)
		s.finish(ctx, it, "ok", answer.Message)
		if s.glpiDown.CompareAndSwap(true, false) {
			// GLPI is back: the backlog is due now, paced by the
			// concurrency cap, not by each item's backoff.
			n, err := s.st.ResumeOutbox(ctx, s.now())
			if err != nil {
				log.Error("resume outbox", "err", err)
			}
			s.log.Info("GLPI answers again: draining the outbox", "waiting", n)
			s.wakeRelay()
		}
		return
	}
	if permanent(err) {
		s.metrics.relay("rejected", elapsed)
		log.Warn("GLPI refused inventory", "err", err)
		s.finish(ctx, it, "rejected", err.Error())
		return
	}
	s.metrics.relay("retry", elapsed)
	s.glpiDown.Store(true)
	delay := s.backoff(it.Attempts)
	log.Info("relay inventory failed, will retry", "err", err, "attempt", it.Attempts+1, "retry_in", delay.Round(time.Millisecond))
	if err := s.st.RetryOutbox(ctx, it, s.now().Add(delay), err.Error(), s.now()); err != nil {
		log.Error("reschedule outbox item", "err", err)
	}
}

// forwardingRelay is a Relay that speaks for the device: GLPI records the
// device's address, not the service's, and its listener's port. It takes
// the inventory compressed as the outbox keeps it. *glpi.Client
// implements it.
type forwardingRelay interface {
	PostZlibFor(ctx context.Context, agentID string, zbody []byte, from netip.Addr) (*glpi.Answer, error)
	ContactFor(ctx context.Context, agentID string, m *glpi.Contact, from netip.Addr) (*glpi.Answer, error)
}

// unreadableError is an outbox item that cannot be read: it is dropped,
// not retried.
type unreadableError struct{ err error }

func (e *unreadableError) Error() string { return e.err.Error() }
func (e *unreadableError) Unwrap() error { return e.err }

// post sends one inventory to GLPI as the device would itself: from the
// address the service received it from (X-Forwarded-For), after a
// CONTACT that gives GLPI the port of the device's listener, which GLPI
// reads from CONTACT only and then calls for "Request inventory". A
// CONTACT GLPI refuses for good is logged and the inventory still sent.
// The inventory goes as the outbox keeps it, compressed: only the head
// of the message is inflated, for the CONTACT's deviceid and tag.
func (s *Server) post(ctx context.Context, log *slog.Logger, it *store.OutboxItem) (*glpi.Answer, error) {
	fr, ok := s.cfg.Relay.(forwardingRelay)
	if !ok {
		body, err := decompress(it.Body)
		if err != nil {
			return nil, &unreadableError{err}
		}
		return s.cfg.Relay.PostJSON(ctx, it.AgentID, body)
	}
	from, _ := netip.ParseAddr(it.SourceIP)
	if it.HTTPDPort > 0 {
		deviceID, tag, err := inventoryHead(it.Body)
		if err != nil {
			return nil, &unreadableError{err}
		}
		c := &glpi.Contact{DeviceID: deviceID, Tag: tag, HTTPDPort: it.HTTPDPort,
			InstalledTasks: []string{"inventory"}, EnabledTasks: []string{"inventory"}}
		if _, err := fr.ContactFor(ctx, it.AgentID, c, from); err != nil {
			if !permanent(err) {
				return nil, err
			}
			log.Debug("GLPI refused the CONTACT that gives the listener's port", "err", err)
		}
	}
	return fr.PostZlibFor(ctx, it.AgentID, it.Body, from)
}

func (s *Server) finish(ctx context.Context, it *store.OutboxItem, status, message string) {
	if err := s.st.CompleteOutbox(ctx, it, status, message, s.now()); err != nil {
		s.log.Error("complete outbox item", "outbox_id", it.ID, "err", err)
	}
}

// backoff returns the delay before retry number attempts+1: exponential
// from RelayBackoff up to RelayMaxBackoff, with jitter in [d/2, d).
func (s *Server) backoff(attempts int) time.Duration {
	d := s.cfg.RelayBackoff
	for range min(attempts, 30) {
		d *= 2
		if d >= s.cfg.RelayMaxBackoff {
			d = s.cfg.RelayMaxBackoff
			break
		}
	}
	return d/2 + rand.N(d/2+1)
}

// permanent reports whether GLPI refused the message itself, so that
// sending it again cannot succeed: it is dropped rather than blocking the
// device's queue.
func permanent(err error) bool {
	var ge *glpi.Error
	if !errors.As(err, &ge) {
		return false
	}
	switch ge.StatusCode {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
		http.StatusUnprocessableEntity, http.StatusNotImplemented:
		return true
	}
	return false
}

// wakeRelay makes the relay loop look for work now.
func (s *Server) wakeRelay() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
