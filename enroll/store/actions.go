package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// Action is a request queued for a device, delivered by its check-ins.
type Action struct {
	ID          string            `json:"id"`
	DeviceID    string            `json:"device_id"`
	Type        string            `json:"type"`
	Full        bool              `json:"full,omitempty"`
	Categories  []string          `json:"categories,omitempty"`
	Config      map[string]string `json:"config,omitempty"`
	State       string            `json:"state"`
	Message     string            `json:"message,omitempty"`
	InventoryID int64             `json:"inventory_id,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	DeliveredAt time.Time         `json:"delivered_at,omitzero"`
	UpdatedAt   time.Time         `json:"updated_at"`
	History     []ActionEvent     `json:"history,omitempty"`
	// RequestedBy is who asked, for an action the agent reported rather
	// than the service queued (RequestedByGLPI), and RequestedFrom the
	// address that asked; both empty for the service's own.
	RequestedBy   string `json:"requested_by,omitempty"`
	RequestedFrom string `json:"requested_from,omitempty"`
}

// RequestedByGLPI marks an inventory GLPI asked of the agent's listener
// ("Request inventory").
const RequestedByGLPI = "GLPI"

// ActionEvent is one state change of an action.
type ActionEvent struct {
	At          time.Time `json:"at"`
	State       string    `json:"state"`
	Message     string    `json:"message,omitempty"`
	InventoryID int64     `json:"inventory_id,omitempty"`
}

// Done reports whether the action reached a final state.
func (a *Action) Done() bool {
	switch a.State {
	case enroll.ActionRelayed, enroll.ActionStored, enroll.ActionFailed:
		return true
	}
	return false
}

// stateRank orders the states an action goes through, so that late or
// repeated reports never move it backwards.
func stateRank(state string) int {
	switch state {
	case enroll.ActionQueued:
		return 0
	case enroll.ActionDelivered:
		return 1
	case enroll.ActionRunning:
		return 2
	case enroll.ActionSent:
		return 3
	}
	return 4
}

// notifyChannel is the PostgreSQL channel announcing queued actions.
const notifyChannel = "glpi_enrolld_actions"

func (s *sqlStore) QueueAction(ctx context.Context, a *Action) error {
	config, err := json.Marshal(a.Config)
	if err != nil {
		return fmt.Errorf("encode action config: %w", err)
	}
	a.State, a.UpdatedAt = enroll.ActionQueued, a.CreatedAt
	return s.tx(ctx, func(tx txn) error {
		var n int
		err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM devices WHERE id = ? AND revoked_at = 0 AND retired_at = 0`), a.DeviceID).Scan(&n)
		if err != nil {
			return fmt.Errorf("queue action: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("queue action: device %s: %w", a.DeviceID, ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO actions (id, device_id, type, full_run, categories, config, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), a.ID, a.DeviceID, a.Type, boolInt(a.Full), strings.Join(a.Categories, ","), string(config),
			a.State, ts(a.CreatedAt), ts(a.CreatedAt))
		if err != nil {
			return fmt.Errorf("queue action: %w", err)
		}
		if err := s.addActionEvent(ctx, tx, a.ID, a.DeviceID, ActionEvent{At: a.CreatedAt, State: a.State}); err != nil {
			return err
		}
		if s.postgres {
			// Delivered on commit to every replica listening.
			if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, a.DeviceID); err != nil {
				return fmt.Errorf("notify action: %w", err)
			}
		}
		return nil
	})
}

func (s *sqlStore) RecordRequested(ctx context.Context, a *Action) error {
	a.State, a.UpdatedAt, a.DeliveredAt = enroll.ActionRunning, a.CreatedAt, a.CreatedAt
	return s.tx(ctx, func(tx txn) error {
		var n int
		err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM devices WHERE id = ? AND revoked_at = 0 AND retired_at = 0`), a.DeviceID).Scan(&n)
		if err != nil {
			return fmt.Errorf("record requested action: %w", err)
		}
		if n == 0 {
			return nil
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO actions (id, device_id, type, full_run, categories, config, state,
			created_at, delivered_at, updated_at, requested_by, requested_from)
			VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
			a.ID, a.DeviceID, a.Type, boolInt(a.Full), strings.Join(a.Categories, ","), a.State,
			ts(a.CreatedAt), ts(a.CreatedAt), ts(a.CreatedAt), a.RequestedBy, a.RequestedFrom)
		if err != nil {
			return fmt.Errorf("record requested action: %w", err)
		}
		if added, err := res.RowsAffected(); err != nil || added == 0 {
			return err
		}
		return s.addActionEvent(ctx, tx, a.ID, a.DeviceID, ActionEvent{At: a.CreatedAt, State: a.State,
			Message: "requested by " + a.RequestedBy + " from " + a.RequestedFrom})
	})
}

func (s *sqlStore) addActionEvent(ctx context.Context, tx txn, actionID, deviceID string, ev ActionEvent) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO action_history (action_id, device_id, at, state, message, inventory_id)
		VALUES (?, ?, ?, ?, ?, ?)`), actionID, deviceID, ts(ev.At), ev.State, ev.Message, ev.InventoryID)
	if err != nil {
		return fmt.Errorf("record action %s %s: %w", actionID, ev.State, err)
	}
	return nil
}

// setActionState moves an action to state and records the change.
func (s *sqlStore) setActionState(ctx context.Context, tx txn, actionID, deviceID string, ev ActionEvent) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE actions SET state = ?, message = ?,
		inventory_id = CASE WHEN ? > 0 THEN ? ELSE inventory_id END, updated_at = ? WHERE id = ?`),
		ev.State, ev.Message, ev.InventoryID, ev.InventoryID, ts(ev.At), actionID)
	if err != nil {
		return fmt.Errorf("update action %s: %w", actionID, err)
	}
	return s.addActionEvent(ctx, tx, actionID, deviceID, ev)
}

const actionColumns = `id, device_id, type, full_run, categories, config, state, message, inventory_id, created_at, delivered_at, updated_at, requested_by, requested_from`

func scanAction(row interface{ Scan(...any) error }) (*Action, error) {
	var (
		a                           Action
		categories, config          string
		full                        int64
		created, delivered, updated int64
	)
	err := row.Scan(&a.ID, &a.DeviceID, &a.Type, &full, &categories, &config, &a.State, &a.Message, &a.InventoryID,
		&created, &delivered, &updated, &a.RequestedBy, &a.RequestedFrom)
	if err != nil {
		return nil, err
	}
	a.Full, a.Categories = full != 0, splitList(categories)
	if config != "" && config != "null" {
		if err := json.Unmarshal([]byte(config), &a.Config); err != nil {
			return nil, fmt.Errorf("decode action config: %w", err)
		}
	}
	a.CreatedAt, a.DeliveredAt, a.UpdatedAt = fromTS(created), fromTS(delivered), fromTS(updated)
	return &a, nil
}

func collectActions(rows *sql.Rows) ([]Action, error) {
	defer rows.Close()
	var out []Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("read actions: %w", err)
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read actions: %w", err)
	}
	return out, nil
}

// deliverable selects the device's actions to deliver: queued ones, and
// delivered ones never reported on since before the redelivery time.
const deliverable = `device_id = ? AND (state = 'queued' OR (state = 'delivered' AND delivered_at < ?))`

func (s *sqlStore) DeliverActions(ctx context.Context, deviceID string, now time.Time, redeliver time.Duration) ([]Action, error) {
	before := ts(now.Add(-redeliver))
	// Most check-ins find nothing: look on a reader before taking the
	// write lock.
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM actions WHERE `+deliverable), deviceID, before).Scan(&n); err != nil {
		return nil, fmt.Errorf("look for actions: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	var out []Action
	err := s.tx(ctx, func(tx txn) error {
		// On PostgreSQL a concurrent delivery blocks on the row locks and
		// then no longer matches: each delivery happens once.
		rows, err := tx.QueryContext(ctx, s.q(`UPDATE actions SET state = 'delivered', delivered_at = ?, updated_at = ?
			WHERE `+deliverable+` RETURNING `+actionColumns), ts(now), ts(now), deviceID, before)
		if err != nil {
			return fmt.Errorf("deliver actions: %w", err)
		}
		if out, err = collectActions(rows); err != nil {
			return err
		}
		for _, a := range out {
			if err := s.addActionEvent(ctx, tx, a.ID, deviceID, ActionEvent{At: now, State: enroll.ActionDelivered}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *sqlStore) ReportActions(ctx context.Context, deviceID string, results []enroll.ActionResult, now time.Time) error {
	return s.tx(ctx, func(tx txn) error {
		for _, r := range results {
			if err := s.report(ctx, tx, deviceID, r, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// report applies one result; results for unknown or finished actions, for
// another device's actions, or that would go backwards are ignored.
func (s *sqlStore) report(ctx context.Context, tx txn, deviceID string, r enroll.ActionResult, now time.Time) error {
	switch r.State {
	case enroll.ActionRunning, enroll.ActionSent, enroll.ActionFailed:
	default:
		return nil
	}
	var state string
	err := tx.QueryRowContext(ctx, s.q(`SELECT state FROM actions WHERE id = ? AND device_id = ?`+s.forUpdate()), r.ID, deviceID).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read action %s: %w", r.ID, err)
	}
	if stateRank(state) >= stateRank(r.State) && r.State != enroll.ActionFailed || stateRank(state) == 4 {
		return nil
	}
	ev := ActionEvent{At: now, State: r.State, Message: truncate(r.Message, 1000)}
	if r.State == enroll.ActionSent {
		ev.InventoryID = r.InventoryID
	}
	if err := s.setActionState(ctx, tx, r.ID, deviceID, ev); err != nil {
		return err
	}
	if ev.InventoryID == 0 {
		return nil
	}
	// The relay may have finished before the agent reported. The row is
	// locked: a relay finishing at this moment (another connection, in
	// PostgreSQL) waits for this report, or this read waits for it, so
	// one of the two always moves the action on.
	var relayStatus, relayMessage string
	err = tx.QueryRowContext(ctx, s.q(`SELECT relay_status, relay_message FROM inventory_history WHERE id = ? AND device_id = ?`+s.forUpdate()),
		ev.InventoryID, deviceID).Scan(&relayStatus, &relayMessage)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read relay of inventory %d: %w", ev.InventoryID, err)
	}
	return s.relayActions(ctx, tx, deviceID, ev.InventoryID, relayStatus, relayMessage, now)
}

// relayActions moves the device's sent actions for an inventory on, once
// the relay of that inventory is over.
func (s *sqlStore) relayActions(ctx context.Context, tx txn, deviceID string, inventoryID int64, relayStatus, message string, now time.Time) error {
	var state string
	switch relayStatus {
	case RelayOK:
		state = enroll.ActionRelayed
	case RelayRejected:
		state = enroll.ActionFailed
		message = "GLPI refused the inventory: " + message
	case RelayNone:
		state, message = enroll.ActionStored, "accepted (no GLPI relay configured)"
	case RelaySuperseded, RelayDropped:
		// An action reported after its inventory left the outbox.
		state = enroll.ActionFailed
	default:
		return nil
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM actions WHERE device_id = ? AND inventory_id = ? AND state = 'sent'`), deviceID, inventoryID)
	if err != nil {
		return fmt.Errorf("find actions of inventory %d: %w", inventoryID, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("find actions of inventory %d: %w", inventoryID, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find actions of inventory %d: %w", inventoryID, err)
	}
	for _, id := range ids {
		if err := s.setActionState(ctx, tx, id, deviceID, ActionEvent{At: now, State: state, Message: message}); err != nil {
			return err
		}
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (s *sqlStore) Action(ctx context.Context, id string) (*Action, error) {
	a, err := scanAction(s.r.QueryRowContext(ctx, s.q(`SELECT `+actionColumns+` FROM actions WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read action %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read action %s: %w", id, err)
	}
	if a.History, err = s.actionHistory(ctx, id); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *sqlStore) actionHistory(ctx context.Context, id string) ([]ActionEvent, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT at, state, message, inventory_id FROM action_history WHERE action_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, fmt.Errorf("read history of action %s: %w", id, err)
	}
	defer rows.Close()
	var out []ActionEvent
	for rows.Next() {
		var (
			ev ActionEvent
			at int64
		)
		if err := rows.Scan(&at, &ev.State, &ev.Message, &ev.InventoryID); err != nil {
			return nil, fmt.Errorf("read history of action %s: %w", id, err)
		}
		ev.At = fromTS(at)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history of action %s: %w", id, err)
	}
	return out, nil
}

func (s *sqlStore) DeviceActions(ctx context.Context, deviceID string, n int) ([]Action, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+actionColumns+` FROM actions WHERE device_id = ?
		ORDER BY created_at DESC, id LIMIT ?`), deviceID, n)
	if err != nil {
		return nil, fmt.Errorf("list actions of %s: %w", deviceID, err)
	}
	out, err := collectActions(rows)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].History, err = s.actionHistory(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *sqlStore) ActionCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state, COUNT(*) FROM actions GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count actions: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var (
			state string
			n     int64
		)
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count actions: %w", err)
		}
		out[state] = n
	}
	return out, rows.Err()
}

// watchPoll is how often SQLite is polled for actions queued by another
// process, such as the administration command.
const watchPoll = 50 * time.Millisecond

func (s *sqlStore) WatchActions(ctx context.Context, fn func(deviceID string)) error {
	if s.postgres {
		return s.listen(ctx, fn)
	}
	// SQLite assigns history ids under its single write lock, so a cursor
	// on them misses nothing. Revocations are found by their time, which
	// the revoking process's clock sets: one stamped earlier than the last
	// seen is missed, and its check-in ends when its wait does.
	var last, lastRevoked int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM action_history`).Scan(&last); err != nil {
		return fmt.Errorf("watch actions: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(revoked_at), 0) FROM devices`).Scan(&lastRevoked); err != nil {
		return fmt.Errorf("watch actions: %w", err)
	}
	// Watching from here on, as PostgreSQL's LISTEN says: look again.
	fn("")
	tick := time.NewTicker(watchPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		rows, err := s.r.QueryContext(ctx, `SELECT id, device_id, state FROM action_history WHERE id > ? ORDER BY id`, last)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch actions: %w", err)
		}
		for rows.Next() {
			var device, state string
			if err := rows.Scan(&last, &device, &state); err != nil {
				rows.Close()
				return fmt.Errorf("watch actions: %w", err)
			}
			if state == enroll.ActionQueued {
				fn(device)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil && ctx.Err() == nil {
			return fmt.Errorf("watch actions: %w", err)
		}
		if err := s.watchRevoked(ctx, &lastRevoked, fn); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch actions: %w", err)
		}
	}
}

// watchRevoked calls fn with each device revoked after *last, and moves
// *last on.
func (s *sqlStore) watchRevoked(ctx context.Context, last *int64, fn func(deviceID string)) error {
	rows, err := s.r.QueryContext(ctx, `SELECT id, revoked_at FROM devices WHERE revoked_at > ? ORDER BY revoked_at`, *last)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id, last); err != nil {
			return err
		}
		fn(id)
	}
	return rows.Err()
}

// listen receives the notifications of QueueAction on a dedicated
// PostgreSQL connection. Once listening it calls fn(""), since
// notifications sent before may have been missed.
func (s *sqlStore) listen(ctx context.Context, fn func(deviceID string)) error {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return fmt.Errorf("watch actions: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("watch actions: listen: %w", err)
	}
	fn("")
	for {
		n, err := conn.WaitForNotification(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("watch actions: %w", err)
		}
		fn(n.Payload)
	}
}
