package server

import (
	"context"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

const (
	// DefaultAuditRetention is how long audit events are kept by default.
	DefaultAuditRetention = 90 * 24 * time.Hour
	// auditWindow is the window of the counted audit events: a source's
	// refused unauthenticated attempts are one row per window.
	auditWindow = 10 * time.Minute
	// auditPruneEvery is how often expired audit events are deleted.
	auditPruneEvery = time.Hour
)

// unauthenticated reports whether ev is the refusal of an attempt that
// proved no secret (a wrong or malformed key, a bad body before the key
// was checked, a rate-limited attempt, a wrong refresh secret): anyone on
// the network can make any number of them, so they are counted per source
// and window rather than recorded one by one.
func unauthenticated(ev store.Event) bool {
	switch ev.Event {
	case "enroll_rejected":
		switch enroll.Reason(ev.Reason) {
		case enroll.ReasonRateLimited, enroll.ReasonKeyInvalid, enroll.ReasonBadRequest:
			return true
		}
	case "refresh_rejected":
		switch enroll.Reason(ev.Reason) {
		case enroll.ReasonRateLimited, enroll.ReasonTokenInvalid, enroll.ReasonDeviceUnknown, enroll.ReasonBadRequest:
			return true
		}
	}
	return false
}

// PruneAudit deletes the audit events older than the retention and returns
// how many; it does nothing when the retention is negative (for ever).
func (s *Server) PruneAudit(ctx context.Context) (int64, error) {
	if s.cfg.AuditRetention < 0 {
		return 0, nil
	}
	return s.st.PruneEvents(ctx, s.now().Add(-s.cfg.AuditRetention))
}

// runAuditRetention prunes the audit at once, then every auditPruneEvery,
// until ctx is done. Each replica does it: the deletes are idempotent.
func (s *Server) runAuditRetention(ctx context.Context) {
	t := time.NewTicker(auditPruneEvery)
	defer t.Stop()
	for {
		n, err := s.PruneAudit(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("prune audit", "err", err)
		case n > 0:
			s.log.Info("audit events past their retention deleted", "count", n, "retention", s.cfg.AuditRetention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
