package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Role is what a console account may do.
type Role string

// Console roles.
const (
	// RoleAdmin may do everything.
	RoleAdmin Role = "admin"
	// RoleHelpdesk sees devices and asks them for an inventory now.
	RoleHelpdesk Role = "helpdesk"
	// RoleViewer sees everything and changes nothing.
	RoleViewer Role = "viewer"
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleHelpdesk, RoleViewer:
		return r, nil
	}
	return "", fmt.Errorf("role %q: want admin, helpdesk or viewer", s)
}

// User is an account of the web console.
type User struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// PasswordHash is the encoded argon2id hash of the password.
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// Session is a signed-in console session; its token is kept as a SHA-256.
type Session struct {
	Hash       string
	User       User
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// Device states the console adds to Device.State: a live device not seen
// for a while is silent; a clone waiting for approval is quarantined.
const (
	StateSilent      = "silent"
	StateQuarantined = "quarantined"
)

// DeviceQuery selects devices for the console, newest first.
type DeviceQuery struct {
	// Text matches a part of the hostname, case-insensitively, or a
	// whole device id.
	Text  string
	Tag   string
	KeyID string
	// State is one of the Device states or StateSilent (live but not
	// seen since SilentBefore); empty for any.
	State        string
	SilentBefore time.Time
	// SeenBefore and SeenAfter bound the last contact when set.
	SeenBefore, SeenAfter time.Time
	Limit, Offset         int
}

// EventQuery selects audit events, newest first.
type EventQuery struct {
	Event, Reason, KeyID, DeviceID, Actor string
	Since, Until                          time.Time
	// Limit caps the events returned; zero means no limit.
	Limit, Offset int
}

// DayCount is how many events of a name and reason happened on a day
// (UTC), occurrences of counted events included.
type DayCount struct {
	Day    time.Time
	Event  string
	Reason string
	Count  int64
}

// RelayAnswer is GLPI's last answer to a relay.
type RelayAnswer struct {
	Status, Message string
	At              time.Time
}

// ConsoleStore is what the web console needs beyond Store: accounts,
// sessions and the queries of its pages. Both back ends implement it.
type ConsoleStore interface {
	// CreateUser stores a new account; ErrExists if the name is taken.
	CreateUser(ctx context.Context, u *User) error
	// User returns an account by name.
	User(ctx context.Context, name string) (*User, error)
	// Users lists the accounts by name.
	Users(ctx context.Context) ([]User, error)
	// SetPassword replaces an account's password hash and ends its sessions.
	SetPassword(ctx context.Context, name, hash string) error
	// DeleteUser removes an account and its sessions.
	DeleteUser(ctx context.Context, name string) error

	// CreateSession stores a session of an existing account.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the session with that token hash, with its account.
	Session(ctx context.Context, hash string) (*Session, error)
	// TouchSession records activity on a session.
	TouchSession(ctx context.Context, hash string, at time.Time) error
	// DeleteSession ends a session.
	DeleteSession(ctx context.Context, hash string) error
	// PruneSessions deletes the sessions idle since before.
	PruneSessions(ctx context.Context, before time.Time) (int64, error)

	// SearchDevices returns a page of the devices matching q, newest
	// first, and how many match in all.
	SearchDevices(ctx context.Context, q DeviceQuery) ([]Device, int64, error)
	// DeviceStates counts the devices by state, StateSilent for the live
	// ones not seen since silentBefore, and StateQuarantined for the
	// clones waiting for approval.
	DeviceStates(ctx context.Context, silentBefore time.Time) (map[string]int64, error)
	// SearchEvents returns the audit events matching q, newest first.
	SearchEvents(ctx context.Context, q EventQuery) ([]Event, error)
	// DailyEvents counts the named events per day and reason from the
	// day of since until now. A day is counted once from the audit, an
	// hour after it is over (DayClosedAfter), and its counts kept: an
	// event recorded later with a time on that day is not counted.
	DailyEvents(ctx context.Context, since, now time.Time, events ...string) ([]DayCount, error)
	// LastRelay returns GLPI's last answer to a relay; ErrNotFound before
	// the first.
	LastRelay(ctx context.Context) (*RelayAnswer, error)
}

var _ ConsoleStore = (*sqlStore)(nil)

func (s *sqlStore) CreateUser(ctx context.Context, u *User) error {
	res, err := s.w.ExecContext(ctx, s.q(`INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING`), u.Name, string(u.Role), u.PasswordHash, ts(u.CreatedAt))
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("create user %s: %w", u.Name, ErrExists)
	}
	return nil
}

func (s *sqlStore) User(ctx context.Context, name string) (*User, error) {
	var (
		u       User
		created int64
	)
	err := s.r.QueryRowContext(ctx, s.q(`SELECT name, role, password_hash, created_at FROM users WHERE name = ?`), name).
		Scan(&u.Name, &u.Role, &u.PasswordHash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read user %s: %w", name, err)
	}
	u.CreatedAt = fromTS(created)
	return &u, nil
}

func (s *sqlStore) Users(ctx context.Context) ([]User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, role, created_at FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var (
			u       User
			created int64
		)
		if err := rows.Scan(&u.Name, &u.Role, &created); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.CreatedAt = fromTS(created)
		out = append(out, u)
	}
	return out, rows.Err()
}

func (s *sqlStore) SetPassword(ctx context.Context, name, hash string) error {
	return s.tx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ? WHERE name = ?`), hash, name)
		if err != nil {
			return fmt.Errorf("set password of %s: %w", name, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return fmt.Errorf("user %s: %w", name, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_name = ?`), name); err != nil {
			return fmt.Errorf("end sessions of %s: %w", name, err)
		}
		return nil
	})
}

func (s *sqlStore) DeleteUser(ctx context.Context, name string) error {
	return s.tx(ctx, func(tx txn) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_name = ?`), name); err != nil {
			return fmt.Errorf("end sessions of %s: %w", name, err)
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM users WHERE name = ?`), name)
		if err != nil {
			return fmt.Errorf("delete user %s: %w", name, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return fmt.Errorf("user %s: %w", name, ErrNotFound)
		}
		return nil
	})
}

func (s *sqlStore) CreateSession(ctx context.Context, ss *Session) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO sessions (hash, user_name, created_at, last_seen_at) VALUES (?, ?, ?, ?)`),
		ss.Hash, ss.User.Name, ts(ss.CreatedAt), ts(ss.LastSeenAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

func (s *sqlStore) Session(ctx context.Context, hash string) (*Session, error) {
	var (
		ss                      Session
		created, seen, uCreated int64
	)
	err := s.r.QueryRowContext(ctx, s.q(`SELECT s.hash, s.created_at, s.last_seen_at, u.name, u.role, u.password_hash, u.created_at
		FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.hash = ?`), hash).
		Scan(&ss.Hash, &created, &seen, &ss.User.Name, &ss.User.Role, &ss.User.PasswordHash, &uCreated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	ss.CreatedAt, ss.LastSeenAt, ss.User.CreatedAt = fromTS(created), fromTS(seen), fromTS(uCreated)
	return &ss, nil
}

func (s *sqlStore) TouchSession(ctx context.Context, hash string, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE sessions SET last_seen_at = ? WHERE hash = ?`), ts(at), hash); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

func (s *sqlStore) DeleteSession(ctx context.Context, hash string) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE hash = ?`), hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func (s *sqlStore) PruneSessions(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE last_seen_at < ?`), ts(before))
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return res.RowsAffected()
}

// likeEscape escapes the LIKE wildcards of s, for "ESCAPE '\'".
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (s *sqlStore) SearchDevices(ctx context.Context, q DeviceQuery) ([]Device, int64, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if q.Text != "" {
		add(`(LOWER(hostname) LIKE ? ESCAPE '\' OR id = ?)`, "%"+likeEscape(strings.ToLower(q.Text))+"%", q.Text)
	}
	if q.Tag != "" {
		add(`tag = ?`, q.Tag)
	}
	if q.KeyID != "" {
		add(`key_id = ?`, q.KeyID)
	}
	switch q.State {
	case "":
	case StateRevoked:
		add(`revoked_at <> 0`)
	case StateRetired:
		add(`revoked_at = 0 AND retired_at <> 0`)
	case StateCloneSuspected:
		add(`revoked_at = 0 AND retired_at = 0 AND clone_suspected_at <> 0`)
	case StateActive:
		add(`revoked_at = 0 AND retired_at = 0 AND clone_suspected_at = 0`)
	case StateSilent:
		add(`revoked_at = 0 AND retired_at = 0 AND last_seen_at < ?`, ts(q.SilentBefore))
	default:
		return nil, 0, fmt.Errorf("search devices: unknown state %q", q.State)
	}
	if !q.SeenBefore.IsZero() {
		add(`last_seen_at < ?`, ts(q.SeenBefore))
	}
	if !q.SeenAfter.IsZero() {
		add(`last_seen_at >= ?`, ts(q.SeenAfter))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int64
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM devices`+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("search devices: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+deviceColumns+` FROM devices`+cond+` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`),
		append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("search devices: %w", err)
	}
	devs, err := collectDevices(rows)
	return devs, total, err
}

func (s *sqlStore) DeviceStates(ctx context.Context, silentBefore time.Time) (map[string]int64, error) {
	// Ranges of the devices_state index, counted without reading the
	// rows: the few revoked, retired and suspected devices, and the
	// active ones; silent is what is left of the total.
	var total, revoked, retired, suspected, active, quarantined int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT
		(SELECT COUNT(*) FROM devices),
		(SELECT COUNT(*) FROM devices WHERE revoked_at > 0),
		(SELECT COUNT(*) FROM devices WHERE revoked_at = 0 AND retired_at > 0),
		(SELECT COUNT(*) FROM devices WHERE revoked_at = 0 AND retired_at = 0 AND clone_suspected_at > 0),
		(SELECT COUNT(*) FROM devices WHERE revoked_at = 0 AND retired_at = 0 AND clone_suspected_at = 0 AND last_seen_at >= ?),
		(SELECT COUNT(*) FROM clones WHERE state = ?)`), ts(silentBefore), ClonePending).Scan(&total, &revoked, &retired, &suspected, &active, &quarantined)
	if err != nil {
		return nil, fmt.Errorf("count devices: %w", err)
	}
	silent := total - revoked - retired - suspected - active
	return map[string]int64{StateActive: active, StateSilent: silent, StateCloneSuspected: suspected,
		StateQuarantined: quarantined, StateRetired: retired, StateRevoked: revoked}, nil
}

func (s *sqlStore) SearchEvents(ctx context.Context, q EventQuery) ([]Event, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, a any) {
		where = append(where, cond)
		args = append(args, a)
	}
	for _, f := range []struct{ col, v string }{{"event", q.Event}, {"reason", q.Reason}, {"key_id", q.KeyID}, {"device_id", q.DeviceID}, {"actor", q.Actor}} {
		if f.v != "" {
			add(f.col+" = ?", f.v)
		}
	}
	if !q.Since.IsZero() {
		add("at >= ?", ts(q.Since))
	}
	if !q.Until.IsZero() {
		add("at < ?", ts(q.Until))
	}
	query := `SELECT ` + eventColumns + ` FROM audit`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY at DESC, id DESC"
	if q.Limit > 0 {
		query += " LIMIT ? OFFSET ?"
		args = append(args, q.Limit, max(q.Offset, 0))
	}
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("search audit: %w", err)
	}
	out, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("search audit: %w", err)
	}
	return out, nil
}

// DayClosedAfter is how long after its end DailyEvents counts a day for
// good: the events of the day still being written (an audit window of
// counted events, a slow transaction) have been by then.
const DayClosedAfter = time.Hour

const dayMicros = int64(24 * time.Hour / time.Microsecond)

func (s *sqlStore) DailyEvents(ctx context.Context, since, now time.Time, events ...string) ([]DayCount, error) {
	if len(events) == 0 {
		return nil, nil
	}
	first := ts(since) / dayMicros * dayMicros
	// Days before open are over: counted once, then read from their
	// counts; the open days are counted from the audit at each call.
	open := max(first, ts(now.Add(-DayClosedAfter))/dayMicros*dayMicros)
	if err := s.countDays(ctx, first, open); err != nil {
		return nil, err
	}
	marks := make([]string, len(events))
	var evArgs []any
	for i, e := range events {
		marks[i] = "?"
		evArgs = append(evArgs, e)
	}
	in := strings.Join(marks, ", ")
	args := append([]any{first, open}, evArgs...)
	args = append(args, dayMicros, dayMicros, open)
	args = append(args, evArgs...)
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT day, event, reason, count FROM audit_day_counts
		WHERE day >= ? AND day < ? AND event IN (`+in+`)
		UNION ALL
		SELECT (at / ?) * ?, event, reason, SUM(occurrences) FROM audit
		WHERE at >= ? AND event IN (`+in+`) GROUP BY 1, event, reason
		ORDER BY 1, 2, 3`), args...)
	if err != nil {
		return nil, fmt.Errorf("count audit by day: %w", err)
	}
	defer rows.Close()
	var out []DayCount
	for rows.Next() {
		var (
			c  DayCount
			at int64
		)
		if err := rows.Scan(&at, &c.Event, &c.Reason, &c.Count); err != nil {
			return nil, fmt.Errorf("count audit by day: %w", err)
		}
		c.Day = time.UnixMicro(at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// countDays counts from the audit each day in [first, end) not counted
// yet, one transaction a day; a day another process counts at the same
// time is counted once.
func (s *sqlStore) countDays(ctx context.Context, first, end int64) error {
	if first >= end {
		return nil
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT day FROM audit_days WHERE day >= ? AND day < ?`), first, end)
	if err != nil {
		return fmt.Errorf("read counted days: %w", err)
	}
	done := map[int64]bool{}
	for rows.Next() {
		var day int64
		if err := rows.Scan(&day); err != nil {
			rows.Close()
			return fmt.Errorf("read counted days: %w", err)
		}
		done[day] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read counted days: %w", err)
	}
	for day := first; day < end; day += dayMicros {
		if done[day] {
			continue
		}
		err := s.tx(ctx, func(tx txn) error {
			res, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_days (day) VALUES (?) ON CONFLICT (day) DO NOTHING`), day)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err // counted by another process
			}
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO audit_day_counts (day, event, reason, count)
				SELECT CAST(? AS BIGINT), event, reason, SUM(occurrences) FROM audit WHERE at >= ? AND at < ? GROUP BY event, reason`),
				day, day, day+dayMicros)
			return err
		})
		if err != nil {
			return fmt.Errorf("count audit of %s: %w", time.UnixMicro(day).UTC().Format(time.DateOnly), err)
		}
	}
	return nil
}

func (s *sqlStore) LastRelay(ctx context.Context) (*RelayAnswer, error) {
	var (
		a  RelayAnswer
		at int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT relay_status, relay_message, relay_at FROM devices
		WHERE relay_at > 0 ORDER BY relay_at DESC LIMIT 1`).Scan(&a.Status, &a.Message, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("last relay: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("last relay: %w", err)
	}
	a.At = fromTS(at)
	return &a, nil
}
