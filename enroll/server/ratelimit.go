package server

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// failureLimiter limits the failed attempts (wrong registration keys, wrong
// refresh secrets) of a subject: a source address or a key id.
type failureLimiter interface {
	// blocked returns how long subject must wait before its next attempt:
	// zero when it may try now.
	blocked(ctx context.Context, subject string, now time.Time) time.Duration
	// fail counts a failed attempt of subject.
	fail(ctx context.Context, subject string, now time.Time)
	// sync learns the failures counted by other processes.
	sync(ctx context.Context, now time.Time) error
}

// Limiter scopes, as stored in the database.
const (
	scopeIP  = "ip"
	scopeKey = "key"
)

// newFailureLimiter counts failures in the database when the store shares
// them between replicas (PostgreSQL), and in memory otherwise (SQLite, one
// process).
func newFailureLimiter(st store.Store, scope string, lim limits, log *slog.Logger) failureLimiter {
	if fc, ok := st.(store.FailureCounter); ok {
		return &dbLimiter{limits: lim, scope: scope, fc: fc, log: log, full: map[string]time.Time{}}
	}
	return &memLimiter{limits: lim, full: map[string]time.Time{}}
}

// limits is a token bucket per subject: burst tokens, refilled at one per
// every, and each failure takes one; a subject with less than one token is
// blocked. A bucket is kept as the time it is full again, as
// store.FailureCounter does.
type limits struct {
	burst int
	every time.Duration
}

// wait returns how long a subject whose bucket is full at full must wait
// for a token at now.
func (l limits) wait(full, now time.Time) time.Duration {
	if !full.After(now) {
		return 0
	}
	return max(0, full.Sub(now)-time.Duration(l.burst-1)*l.every)
}

// take returns when a bucket full at full is full again once a token is
// taken at now.
func (l limits) take(full, now time.Time) time.Time {
	if full.Before(now) {
		full = now
	}
	if capped := now.Add(time.Duration(l.burst) * l.every); full.Add(l.every).After(capped) {
		return capped
	}
	return full.Add(l.every)
}

// maxSubjects bounds the memory of a limiter; beyond it, the subjects no
// longer limited are forgotten.
const maxSubjects = 100_000

// forget deletes from m the subjects whose time is not after now.
func forget(m map[string]time.Time, now time.Time) {
	for k, t := range m {
		if !t.After(now) {
			delete(m, k)
		}
	}
}

// memLimiter counts failures in memory, for a single process.
type memLimiter struct {
	limits

	mu   sync.Mutex
	full map[string]time.Time // when each subject's bucket is full again
}

func (l *memLimiter) blocked(_ context.Context, subject string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wait(l.full[subject], now)
}

// sync has nothing to learn: the process is alone.
func (l *memLimiter) sync(context.Context, time.Time) error { return nil }

func (l *memLimiter) fail(_ context.Context, subject string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.full[subject]; !ok && len(l.full) >= maxSubjects {
		forget(l.full, now)
	}
	l.full[subject] = l.take(l.full[subject], now)
}

// dbLimiter counts failures in the database the replicas share: one
// upsert per failure, and no query for a subject without recent failures:
// the attempts of everyone else cost nothing. It remembers, per subject, the
// latest full time it has seen: a lower bound of the true one, which only
// failures move forward. A subject seen blocked is refused from memory; a
// subject seen failing but not blocked is read again, since other replicas
// may have counted more failures; the others are let through. Subjects
// failing elsewhere are learnt by sync, run every second by Serve: until
// then, or until its first failure here, a subject new to this replica is
// not refused here, but each of its failures is counted. A database error
// lets the attempt through (it needs the database anyway) and is logged.
type dbLimiter struct {
	limits
	scope string
	fc    store.FailureCounter
	log   *slog.Logger

	mu   sync.Mutex
	full map[string]time.Time // latest full time seen per subject
}

func (l *dbLimiter) blocked(ctx context.Context, subject string, now time.Time) time.Duration {
	l.mu.Lock()
	full := l.full[subject]
	l.mu.Unlock()
	if wait := l.wait(full, now); wait > 0 || !full.After(now) {
		return wait
	}
	full, err := l.fc.FailuresFullAt(ctx, l.scope, subject)
	if err != nil {
		l.log.Error("read failed attempts", "scope", l.scope, "err", err)
		return 0
	}
	return l.wait(l.seen(subject, full, now), now)
}

func (l *dbLimiter) fail(ctx context.Context, subject string, now time.Time) {
	// Count the failure even when the client has gone.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	full, err := l.fc.CountFailure(ctx, l.scope, subject, now, l.burst, l.every)
	if err != nil {
		l.log.Error("count failed attempt", "scope", l.scope, "err", err)
		return
	}
	l.seen(subject, full, now)
}

func (l *dbLimiter) sync(ctx context.Context, now time.Time) error {
	recent, err := l.fc.RecentFailures(ctx, l.scope, now)
	if err != nil {
		return err
	}
	for subject, full := range recent {
		l.seen(subject, full, now)
	}
	return nil
}

// seen records full as subject's full time unless a later one was seen,
// and returns the latest.
func (l *dbLimiter) seen(subject string, full, now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev, ok := l.full[subject]
	if !ok && len(l.full) >= maxSubjects {
		forget(l.full, now)
	}
	if full.After(prev) {
		l.full[subject] = full
		return full
	}
	return prev
}

// failureSyncEvery is how often a replica learns the failures counted by
// the others.
const failureSyncEvery = time.Second

// runFailureSync syncs the limiters every failureSyncEvery until ctx is
// done.
func (s *Server) runFailureSync(ctx context.Context) {
	t := time.NewTicker(failureSyncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.syncFailures(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sync failed attempts", "err", err)
		}
	}
}

// syncFailures learns the failures counted by other replicas.
func (s *Server) syncFailures(ctx context.Context) error {
	now := s.now()
	return errors.Join(s.byIP.sync(ctx, now), s.byKey.sync(ctx, now))
}

// sourceSubject is the subject of a source address for the failure
// limits: an IPv4 address, or the /64 of an IPv6 one, since a single host
// commonly holds a whole /64 and picks addresses from it at will.
func sourceSubject(ip netip.Addr) string {
	if ip.Is6() && !ip.Is4In6() {
		p, err := ip.Prefix(64)
		if err == nil {
			return p.String()
		}
	}
	return ip.Unmap().String()
}

// sourceKeySubject is the subject of a key id used from a source: failures
// with a key's public id count against the source that made them, never
// against the key itself, which its real holders must still be able to use.
func sourceKeySubject(ip netip.Addr, keyID string) string {
	return sourceSubject(ip) + " " + keyID
}
