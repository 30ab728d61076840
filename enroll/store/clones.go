package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Clone states.
const (
	// CloneForked: the newcomer was told to enroll again as a new device.
	CloneForked = "forked"
	// ClonePending: the newcomer waits for an administrator's approval.
	ClonePending = "pending"
	// CloneApproved: the newcomer may enroll as a new device.
	CloneApproved = "approved"
	// CloneRejected: the newcomer is refused for good.
	CloneRejected = "rejected"
)

// Clone is a machine suspected of using another device's identity: it
// presented the device's credential with other hardware, replayed a spent
// refresh secret, or enrolled with the device's install id on other hardware.
type Clone struct {
	ID       int64  `json:"id"`
	DeviceID string `json:"device_id"`
	KeyID    string `json:"key_id"`
	// FPHash identifies the newcomer's strong fingerprint signals.
	FPHash string `json:"fp_hash"`
	// Via is how it was detected: "fingerprint", "replay" or "install_id".
	Via         string         `json:"via"`
	Signals     []SignalChange `json:"signals"`
	Policy      ClonePolicy    `json:"policy"`
	State       string         `json:"state"`
	DetectedAt  time.Time      `json:"detected_at"`
	ResolvedAt  time.Time      `json:"resolved_at,omitzero"`
	NewDeviceID string         `json:"new_device_id,omitempty"`
}

// SignalChange is a fingerprint signal that differs between a device and
// its suspected clone, both values being the agent's hashes.
type SignalChange struct {
	Signal string `json:"signal"`
	Old    string `json:"old"`
	New    string `json:"new"`
}

const cloneColumns = `id, device_id, key_id, fp_hash, via, signals, policy, state, detected_at, resolved_at, new_device_id`

func scanClone(row interface{ Scan(...any) error }) (*Clone, error) {
	var (
		c                  Clone
		signals, policy    string
		detected, resolved int64
	)
	if err := row.Scan(&c.ID, &c.DeviceID, &c.KeyID, &c.FPHash, &c.Via, &signals, &policy, &c.State, &detected, &resolved, &c.NewDeviceID); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(signals), &c.Signals); err != nil {
		return nil, fmt.Errorf("decode clone signals: %w", err)
	}
	c.Policy, c.DetectedAt, c.ResolvedAt = ClonePolicy(policy), fromTS(detected), fromTS(resolved)
	return &c, nil
}

func (s *sqlStore) RecordClone(ctx context.Context, c *Clone, ev Event) (*Clone, error) {
	signals, err := json.Marshal(c.Signals)
	if err != nil {
		return nil, fmt.Errorf("encode clone signals: %w", err)
	}
	var out *Clone
	err = s.tx(ctx, func(tx txn) error {
		// Lock the device first so that concurrent detections of one
		// newcomer record it once.
		var suspected int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT clone_suspected_at FROM devices WHERE id = ?`+s.forUpdate()), c.DeviceID).Scan(&suspected)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("record clone: device %s: %w", c.DeviceID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("record clone: %w", err)
		}
		old, err := scanClone(tx.QueryRowContext(ctx, s.q(`SELECT `+cloneColumns+` FROM clones
			WHERE device_id = ? AND fp_hash = ? ORDER BY id DESC LIMIT 1`), c.DeviceID, c.FPHash))
		if err == nil {
			out = old
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("record clone: %w", err)
		}
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO clones (device_id, key_id, fp_hash, via, signals, policy, state, detected_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), c.DeviceID, c.KeyID, c.FPHash, c.Via, string(signals), string(c.Policy),
			c.State, ts(c.DetectedAt)).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("record clone: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE devices SET clone_suspected_at = ? WHERE id = ? AND clone_suspected_at = 0`),
			ts(c.DetectedAt), c.DeviceID); err != nil {
			return fmt.Errorf("mark clone suspected: %w", err)
		}
		out = c
		return s.addEvent(ctx, tx, ev)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *sqlStore) FindClone(ctx context.Context, deviceID, fpHash string) (*Clone, error) {
	c, err := scanClone(s.r.QueryRowContext(ctx, s.q(`SELECT `+cloneColumns+` FROM clones
		WHERE device_id = ? AND fp_hash = ? ORDER BY id DESC LIMIT 1`), deviceID, fpHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("find clone: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find clone: %w", err)
	}
	return c, nil
}

func (s *sqlStore) Clones(ctx context.Context, deviceID string) ([]Clone, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+cloneColumns+` FROM clones WHERE device_id = ? ORDER BY id DESC`), deviceID)
	if err != nil {
		return nil, fmt.Errorf("list clones of %s: %w", deviceID, err)
	}
	defer rows.Close()
	var out []Clone
	for rows.Next() {
		c, err := scanClone(rows)
		if err != nil {
			return nil, fmt.Errorf("list clones of %s: %w", deviceID, err)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list clones of %s: %w", deviceID, err)
	}
	return out, nil
}

func (s *sqlStore) ApproveClones(ctx context.Context, deviceID string, now time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE devices SET clone_suspected_at = 0 WHERE id = ?`), deviceID)
		if err != nil {
			return fmt.Errorf("approve clones: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("approve clones: device %s: %w", deviceID, ErrNotFound)
		}
		res, err = tx.ExecContext(ctx, s.q(`UPDATE clones SET state = ?, resolved_at = ? WHERE device_id = ? AND state = ?`),
			CloneApproved, ts(now), deviceID, ClonePending)
		if err != nil {
			return fmt.Errorf("approve clones: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

func (s *sqlStore) DecideClone(ctx context.Context, deviceID string, cloneID int64, state string, now time.Time) (*Clone, error) {
	switch state {
	case CloneApproved, CloneForked, CloneRejected, ClonePending:
	default:
		return nil, fmt.Errorf("decide clone %d: unknown state %q", cloneID, state)
	}
	var out *Clone
	err := s.tx(ctx, func(tx txn) error {
		var suspected int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT clone_suspected_at FROM devices WHERE id = ?`+s.forUpdate()), deviceID).Scan(&suspected)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("decide clone %d: device %s: %w", cloneID, deviceID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("decide clone %d: %w", cloneID, err)
		}
		resolved := ts(now)
		if state == ClonePending {
			resolved = 0
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE clones SET state = ?, resolved_at = ? WHERE id = ? AND device_id = ?`),
			state, resolved, cloneID, deviceID)
		if err != nil {
			return fmt.Errorf("decide clone %d: %w", cloneID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("decide clone %d of %s: %w", cloneID, deviceID, ErrNotFound)
		}
		var pending int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM clones WHERE device_id = ? AND state = ?`), deviceID, ClonePending).Scan(&pending); err != nil {
			return fmt.Errorf("decide clone %d: %w", cloneID, err)
		}
		mark := suspected
		switch {
		case pending > 0 && suspected == 0:
			mark = ts(now)
		case pending == 0:
			mark = 0
		}
		if mark != suspected {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE devices SET clone_suspected_at = ? WHERE id = ?`), mark, deviceID); err != nil {
				return fmt.Errorf("decide clone %d: %w", cloneID, err)
			}
		}
		out, err = scanClone(tx.QueryRowContext(ctx, s.q(`SELECT `+cloneColumns+` FROM clones WHERE id = ?`), cloneID))
		if err != nil {
			return fmt.Errorf("decide clone %d: %w", cloneID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *sqlStore) CloneEnrolled(ctx context.Context, cloneID int64, newDeviceID string) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE clones SET new_device_id = ? WHERE id = ?`), newDeviceID, cloneID); err != nil {
		return fmt.Errorf("record clone enrollment: %w", err)
	}
	return nil
}
