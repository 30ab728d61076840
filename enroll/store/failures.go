package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// FailureCounter counts failed attempts in the database, so that every
// process sharing it sees the same counts and an attacker gets one budget
// however many replicas serve it. The PostgreSQL store implements it; a
// SQLite database serves one process, which counts in memory.
//
// A subject (a source address or a key id, within a scope) has a token
// bucket of burst tokens refilled at one per every, and each failure takes
// a token. The bucket is kept as the time it is full again: a failure moves
// that time every further, starting from now at the earliest and going no
// further than burst*every past now.
type FailureCounter interface {
	// CountFailure takes a token from the subject's bucket and returns when
	// the bucket is full again.
	CountFailure(ctx context.Context, scope, subject string, now time.Time, burst int, every time.Duration) (time.Time, error)
	// FailuresFullAt returns when the subject's bucket is full again: the
	// zero time when no failure of it is counted.
	FailuresFullAt(ctx context.Context, scope, subject string) (time.Time, error)
	// RecentFailures returns the subjects of scope whose bucket is not full
	// at now, and when each is full again.
	RecentFailures(ctx context.Context, scope string, now time.Time) (map[string]time.Time, error)
	// SweepFailures forgets the buckets that are full at now and returns
	// how many.
	SweepFailures(ctx context.Context, now time.Time) (int64, error)
}

// postgresStore is the PostgreSQL store: the shared store plus the
// failure counts of its replicas.
type postgresStore struct {
	*sqlStore
}

func (s *postgresStore) CountFailure(ctx context.Context, scope, subject string, now time.Time, burst int, every time.Duration) (time.Time, error) {
	var full int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO rate_limits AS r (scope, subject, full_at) VALUES ($1, $2, $3::bigint + $4::bigint)
		ON CONFLICT (scope, subject) DO UPDATE SET full_at = LEAST(GREATEST(r.full_at, $3::bigint) + $4::bigint, $3::bigint + $5::bigint)
		RETURNING full_at`,
		scope, subject, now.UnixMicro(), every.Microseconds(), int64(burst)*every.Microseconds()).Scan(&full)
	if err != nil {
		return time.Time{}, fmt.Errorf("count failure of %s %s: %w", scope, subject, err)
	}
	return time.UnixMicro(full).UTC(), nil
}

func (s *postgresStore) FailuresFullAt(ctx context.Context, scope, subject string) (time.Time, error) {
	var full int64
	err := s.r.QueryRowContext(ctx, `SELECT full_at FROM rate_limits WHERE scope = $1 AND subject = $2`, scope, subject).Scan(&full)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("read failures of %s %s: %w", scope, subject, err)
	}
	return time.UnixMicro(full).UTC(), nil
}

func (s *postgresStore) RecentFailures(ctx context.Context, scope string, now time.Time) (map[string]time.Time, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT subject, full_at FROM rate_limits WHERE scope = $1 AND full_at > $2`, scope, now.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("read recent failures of %s: %w", scope, err)
	}
	defer rows.Close()
	recent := map[string]time.Time{}
	for rows.Next() {
		var (
			subject string
			full    int64
		)
		if err := rows.Scan(&subject, &full); err != nil {
			return nil, fmt.Errorf("read recent failures of %s: %w", scope, err)
		}
		recent[subject] = time.UnixMicro(full).UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read recent failures of %s: %w", scope, err)
	}
	return recent, nil
}

func (s *postgresStore) SweepFailures(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM rate_limits WHERE full_at <= $1`, now.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("sweep failure counts: %w", err)
	}
	return res.RowsAffected()
}
