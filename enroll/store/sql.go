package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// sqlStore implements Store on database/sql. SQLite and PostgreSQL share the
// same queries, written with "?" placeholders and portable SQL; the few
// differences (placeholders, row locks, SKIP LOCKED) are in the dialect.
type sqlStore struct {
	w, r     *pool    // writer and reader pools; the same pool for PostgreSQL
	batch    *batcher // SQLite's writes, committed together (batch.go)
	postgres bool
	dsn      string // PostgreSQL only, for the notification listener

}

// q adapts a query to the dialect: "?" placeholders become "$n" on
// PostgreSQL. No query of this package has a "?" inside a literal.
func (s *sqlStore) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// forUpdate locks selected rows on PostgreSQL; SQLite transactions already
// hold the database write lock (BEGIN IMMEDIATE).
func (s *sqlStore) forUpdate() string {
	if s.postgres {
		return " FOR UPDATE"
	}
	return ""
}

func (s *sqlStore) tx(ctx context.Context, fn func(txn) error) error {
	if s.batch != nil {
		return s.batch.do(ctx, fn)
	}
	return s.plainTx(ctx, fn)
}

// plainTx runs fn in a transaction of its own.
func (s *sqlStore) plainTx(ctx context.Context, fn func(txn) error) error {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := txn{sqlTx, s.w}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

func (s *sqlStore) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

func (s *sqlStore) Close() error {
	if s.batch != nil {
		s.batch.close()
	}
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

func (s *sqlStore) Setting(ctx context.Context, name, value string) (string, error) {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`), name, value)
	if err != nil {
		return "", fmt.Errorf("store setting %s: %w", name, err)
	}
	var v string
	if err := s.w.QueryRowContext(ctx, s.q(`SELECT value FROM settings WHERE name = ?`), name).Scan(&v); err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}

// Times are stored as Unix microseconds; 0 stands for the zero time.
func ts(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromTS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

const keyColumns = `id, hash, tag, description, created_at, expires_at, max_uses, uses, allow_cidrs, hostname_pattern, revoked_at,
	clone_policy, ephemeral_ttl`

// keysSelect lists keys. Keys without a use limit do not count their uses
// in their row (that would serialise their enrollments on one row lock):
// their uses are their devices, counted for the list.
const keysSelect = `SELECT id, hash, tag, description, created_at, expires_at, max_uses,
	CASE WHEN max_uses = 0 THEN (SELECT COUNT(*) FROM devices d WHERE d.key_id = keys.id) ELSE uses END,
	allow_cidrs, hostname_pattern, revoked_at, clone_policy, ephemeral_ttl FROM keys`

// keySelect reads one key without that count, which would read an index
// entry per device of the key on every enrollment and inventory.
const keySelect = `SELECT ` + keyColumns + ` FROM keys`

func scanKey(row interface{ Scan(...any) error }) (*Key, error) {
	var (
		k                        Key
		created, expires, revoke int64
		cidrs, policy            string
		ephemeral                int64
	)
	err := row.Scan(&k.ID, &k.Hash, &k.Tag, &k.Description, &created, &expires, &k.MaxUses, &k.Uses, &cidrs, &k.HostnamePattern, &revoke,
		&policy, &ephemeral)
	if err != nil {
		return nil, err
	}
	k.ClonePolicy, k.Ephemeral = ClonePolicy(policy), time.Duration(ephemeral)*time.Microsecond
	k.CreatedAt, k.ExpiresAt, k.RevokedAt = fromTS(created), fromTS(expires), fromTS(revoke)
	k.AllowCIDRs = splitList(cidrs)
	return &k, nil
}

func (s *sqlStore) CreateKey(ctx context.Context, k *Key) error {
	if _, err := s.Key(ctx, k.ID); err == nil {
		return fmt.Errorf("create key %s: %w", k.ID, ErrExists)
	}
	policy, err := ParseClonePolicy(string(k.ClonePolicy))
	if err != nil {
		return fmt.Errorf("create key %s: %w", k.ID, err)
	}
	k.ClonePolicy = policy
	_, err = s.w.ExecContext(ctx, s.q(`INSERT INTO keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		k.ID, k.Hash, k.Tag, k.Description, ts(k.CreatedAt), ts(k.ExpiresAt), k.MaxUses, k.Uses,
		strings.Join(k.AllowCIDRs, ","), k.HostnamePattern, ts(k.RevokedAt), string(policy), k.Ephemeral.Microseconds())
	if err != nil {
		return fmt.Errorf("create key %s: %w", k.ID, err)
	}
	return nil
}

func (s *sqlStore) Key(ctx context.Context, id string) (*Key, error) {
	k, err := scanKey(s.r.QueryRowContext(ctx, s.q(keySelect+` WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read key %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", id, err)
	}
	return k, nil
}

func (s *sqlStore) Keys(ctx context.Context) ([]Key, error) {
	rows, err := s.r.QueryContext(ctx, keysSelect+` ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	var keys []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		keys = append(keys, *k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}

func (s *sqlStore) RevokeKey(ctx context.Context, id string, at time.Time) error {
	return s.mark(ctx, "keys", id, at)
}

func (s *sqlStore) SeeDevice(ctx context.Context, id string, now time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE devices SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`), ts(now), id, ts(now)); err != nil {
		return fmt.Errorf("record contact of %s: %w", id, err)
	}
	return nil
}

func (s *sqlStore) RevokeDevice(ctx context.Context, id string, at time.Time) error {
	if err := s.mark(ctx, "devices", id, at); err != nil {
		return err
	}
	if s.postgres {
		// The replicas holding the device's check-in answer it now
		// (WatchActions); SQLite's watch finds revoked_at itself.
		if _, err := s.w.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, id); err != nil {
			return fmt.Errorf("notify revocation of %s: %w", id, err)
		}
	}
	return nil
}

// mark sets revoked_at on a row of table (a constant of this package),
// keeping the first revocation time.
func (s *sqlStore) mark(ctx context.Context, table, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE `+table+` SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END WHERE id = ?`), ts(at), id)
	if err != nil {
		return fmt.Errorf("revoke %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke %s: %w", id, ErrNotFound)
	}
	return nil
}

// deviceColumns leaves out install_hash: the install id is a credential,
// only ever compared.
// The lookups of a device by what an agent presents, run on every
// enrollment or run-now by name; their indexes (migration 0013) name every
// column they filter on, which TestLookupsUseTheirIndexes holds.
const (
	queryDevicesByInstall = `SELECT ` + deviceColumns + ` FROM devices
		WHERE key_id = ? AND install_hash = ? AND revoked_at = 0 AND retired_at = 0 ORDER BY created_at DESC LIMIT 100`
	queryDevicesByHostname = `SELECT ` + deviceColumns + ` FROM devices
		WHERE hostname = ? AND revoked_at = 0 AND retired_at = 0 ORDER BY created_at DESC`
	// queryRepeatAndSections reads the inventory a device's new one
	// repeats, by its idempotency key (through the unique index of the
	// keys that are set), and the sections of the device's last one.
	queryRepeatAndSections = `SELECT h.id, h.received_at, i.sections FROM (SELECT CAST(? AS TEXT) AS device_id) AS d
		LEFT JOIN inventory_history h ON h.device_id = d.device_id AND h.idem_key = ? AND h.idem_key <> ''
		LEFT JOIN inventories i ON i.device_id = d.device_id`
	queryEphemeralPredecessor = `SELECT id, glpi_deviceid, agent_id FROM devices
		WHERE key_id = ? AND hostname = ? AND superseded_by = '' AND revoked_at = 0
		ORDER BY created_at DESC LIMIT 1`
)

const deviceColumns = `id, key_id, tag, hostname, glpi_deviceid, agent_id, os, arch, agent_version, install_id,
	fp_machine_id, fp_smbios_uuid, fp_serial, fp_macs, source_ip, replace_hash, generation,
	created_at, last_seen_at, revoked_at, relay_status, relay_message, relay_at,
	relay_inventory_id, clone_suspected_at, retired_at, superseded_by`

func scanDevice(row interface{ Scan(...any) error }, extra ...any) (*Device, error) {
	var (
		d                               Device
		macs                            string
		created, seen, revoked, relayed int64
		suspected, retired              int64
	)
	dest := []any{&d.ID, &d.KeyID, &d.Tag, &d.Hostname, &d.GLPIDeviceID, &d.AgentID, &d.OS, &d.Arch, &d.AgentVersion, &d.InstallID,
		&d.Fingerprint.MachineID, &d.Fingerprint.SMBIOSUUID, &d.Fingerprint.Serial, &macs, &d.SourceIP, &d.ReplaceHash, &d.Generation,
		&created, &seen, &revoked, &d.RelayStatus, &d.RelayMessage, &relayed,
		&d.RelayInventoryID, &suspected, &retired, &d.SupersededBy}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	d.Fingerprint.MACs = splitList(macs)
	d.CreatedAt, d.LastSeenAt, d.RevokedAt, d.RelayAt = fromTS(created), fromTS(seen), fromTS(revoked), fromTS(relayed)
	d.CloneSuspectedAt, d.RetiredAt = fromTS(suspected), fromTS(retired)
	return &d, nil
}

func (s *sqlStore) Enroll(ctx context.Context, d *Device, sec Secrets, now time.Time, ev Event) (string, error) {
	var reused string
	err := s.tx(ctx, func(tx txn) error {
		// One statement reads the key, whether it can be used now, and
		// whether d's GLPI deviceid is taken: each statement is a round
		// trip to PostgreSQL.
		var ephemeral, maxUses, usable, taken int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT ephemeral_ttl, max_uses,
			CASE WHEN revoked_at = 0 AND (expires_at = 0 OR expires_at > ?) THEN 1 ELSE 0 END,
			(SELECT COUNT(*) FROM devices WHERE glpi_deviceid = ?) FROM keys WHERE id = ?`),
			ts(now), d.GLPIDeviceID, d.KeyID).Scan(&ephemeral, &maxUses, &usable, &taken)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrKeyUnavailable
		}
		if err != nil {
			return fmt.Errorf("read key: %w", err)
		}
		// A key without a use limit is only read, so its enrollments
		// never wait on each other; one with a limit takes a use last,
		// so that its row is locked only until the commit.
		if maxUses == 0 && usable == 0 {
			return ErrKeyUnavailable
		}
		if ephemeral > 0 {
			// A non-persistent desktop comes back under its hostname: it
			// takes over the GLPI identity of its predecessor.
			err := tx.QueryRowContext(ctx, s.q(queryEphemeralPredecessor+s.forUpdate()), d.KeyID, d.Hostname).Scan(&reused, &d.GLPIDeviceID, &d.AgentID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("find previous device: %w", err)
			}
			if reused != "" {
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE devices SET superseded_by = ?,
					retired_at = CASE WHEN retired_at = 0 THEN ? ELSE retired_at END WHERE id = ?`), d.ID, ts(now), reused); err != nil {
					return fmt.Errorf("supersede device %s: %w", reused, err)
				}
				if err := s.addEvent(ctx, tx, Event{At: now, Event: "device_retired", KeyID: d.KeyID, DeviceID: reused,
					Reason: "superseded", Detail: "replaced by " + d.ID + " with the same hostname"}); err != nil {
					return err
				}
			}
		}
		if reused == "" && taken > 0 {
			return fmt.Errorf("create device: GLPI deviceid %s: %w", d.GLPIDeviceID, ErrExists)
		}
		d.Generation = 1
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO devices (id, key_id, tag, hostname, glpi_deviceid, agent_id, os, arch,
			agent_version, install_id, install_hash, fp_machine_id, fp_smbios_uuid, fp_serial, fp_macs, source_ip, replace_hash,
			refresh_hash, generation, created_at, last_seen_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			d.ID, d.KeyID, d.Tag, d.Hostname, d.GLPIDeviceID, d.AgentID, d.OS, d.Arch, d.AgentVersion, InstallHash(d.InstallID),
			d.Fingerprint.MachineID, d.Fingerprint.SMBIOSUUID, d.Fingerprint.Serial, strings.Join(d.Fingerprint.MACs, ","),
			d.SourceIP, sec.ReplaceHash, sec.RefreshHash, d.Generation, ts(d.CreatedAt), ts(d.LastSeenAt))
		if err != nil {
			return fmt.Errorf("create device: %w", err)
		}
		if err := s.insertToken(ctx, tx, d.ID, sec); err != nil {
			return err
		}
		if err := s.addEvent(ctx, tx, ev); err != nil {
			return err
		}
		if maxUses == 0 {
			return nil
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE keys SET uses = uses + 1
			WHERE id = ? AND revoked_at = 0 AND (expires_at = 0 OR expires_at > ?) AND uses < max_uses`), d.KeyID, ts(now))
		if err != nil {
			return fmt.Errorf("take key use: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return ErrKeyUnavailable
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return reused, nil
}

func (s *sqlStore) DeviceByHostname(ctx context.Context, hostname string) ([]Device, error) {
	rows, err := s.r.QueryContext(ctx, s.q(queryDevicesByHostname), hostname)
	if err != nil {
		return nil, fmt.Errorf("find device by hostname: %w", err)
	}
	return collectDevices(rows)
}

func (s *sqlStore) RetireIdle(ctx context.Context, now time.Time) ([]string, error) {
	var ids []string
	err := s.tx(ctx, func(tx txn) error {
		ids = ids[:0]
		rows, err := tx.QueryContext(ctx, s.q(`UPDATE devices SET retired_at = ?
			WHERE retired_at = 0 AND revoked_at = 0 AND EXISTS (SELECT 1 FROM keys k
				WHERE k.id = devices.key_id AND k.ephemeral_ttl > 0 AND devices.last_seen_at + k.ephemeral_ttl < ?)
			RETURNING id, key_id`), ts(now), ts(now))
		if err != nil {
			return fmt.Errorf("retire idle devices: %w", err)
		}
		var evs []Event
		for rows.Next() {
			ev := Event{At: now, Event: "device_retired", Reason: "ephemeral", Detail: "no contact within the key's ephemeral window"}
			if err := rows.Scan(&ev.DeviceID, &ev.KeyID); err != nil {
				rows.Close()
				return fmt.Errorf("retire idle devices: %w", err)
			}
			ids, evs = append(ids, ev.DeviceID), append(evs, ev)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("retire idle devices: %w", err)
		}
		for _, ev := range evs {
			if err := s.addEvent(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	return ids, err
}

// RetireDevice implements Store.
func (s *sqlStore) RetireDevice(ctx context.Context, id string, now time.Time, ev Event) error {
	return s.tx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE devices SET retired_at = ? WHERE id = ? AND retired_at = 0 AND revoked_at = 0`), ts(now), id)
		if err != nil {
			return fmt.Errorf("retire device %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("retire device %s: %w", id, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM access_tokens WHERE device_id = ?`), id); err != nil {
			return fmt.Errorf("retire device %s: %w", id, err)
		}
		return s.addEvent(ctx, tx, ev)
	})
}

// addToken stores a new access token and drops the device's others: a
// token stops working when a newer one is issued, not at its expiry, so a
// copied token dies at the device's next renewal.
func (s *sqlStore) addToken(ctx context.Context, tx txn, deviceID string, sec Secrets) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM access_tokens WHERE device_id = ?`), deviceID); err != nil {
		return fmt.Errorf("drop older tokens: %w", err)
	}
	return s.insertToken(ctx, tx, deviceID, sec)
}

// insertToken stores sec's access token for deviceID: alone, for a
// device the transaction creates.
func (s *sqlStore) insertToken(ctx context.Context, tx txn, deviceID string, sec Secrets) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO access_tokens (hash, device_id, expires_at) VALUES (?, ?, ?)`),
		sec.AccessHash, deviceID, ts(sec.AccessExpiresAt))
	if err != nil {
		return fmt.Errorf("store access token: %w", err)
	}
	return nil
}

// InstallHash is the form in which an install id is stored: a SHA-256,
// as for tokens.
func InstallHash(installID string) string { return enroll.HashToken(installID) }

// hashInstallIDs moves the install ids that devices enrolled before
// migration 0006 kept in clear to install_hash, and blanks them; on later
// starts it finds nothing to do.
func hashInstallIDs(ctx context.Context, s *sqlStore) error {
	return s.tx(ctx, func(tx txn) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, install_id FROM devices WHERE install_id <> ''`)
		if err != nil {
			return fmt.Errorf("hash install ids: %w", err)
		}
		clear := map[string]string{}
		for rows.Next() {
			var id, install string
			if err := rows.Scan(&id, &install); err != nil {
				rows.Close()
				return fmt.Errorf("hash install ids: %w", err)
			}
			clear[id] = install
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("hash install ids: %w", err)
		}
		for id, install := range clear {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE devices SET install_hash = ?, install_id = '' WHERE id = ?`), InstallHash(install), id); err != nil {
				return fmt.Errorf("hash install id of %s: %w", id, err)
			}
		}
		return nil
	})
}

func (s *sqlStore) DevicesByInstall(ctx context.Context, keyID, installID string) ([]*Device, error) {
	rows, err := s.r.QueryContext(ctx, s.q(queryDevicesByInstall), keyID, InstallHash(installID))
	if err != nil {
		return nil, fmt.Errorf("find devices by install id: %w", err)
	}
	defer rows.Close()
	var out []*Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("find devices by install id: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find devices by install id: %w", err)
	}
	return out, nil
}

func (s *sqlStore) Device(ctx context.Context, id string) (*Device, error) {
	d, err := scanDevice(s.r.QueryRowContext(ctx, s.q(`SELECT `+deviceColumns+` FROM devices WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read device %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read device %s: %w", id, err)
	}
	return d, nil
}

func (s *sqlStore) Devices(ctx context.Context) ([]Device, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+deviceColumns+` FROM devices ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return collectDevices(rows)
}

func collectDevices(rows *sql.Rows) ([]Device, error) {
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		out = append(out, *d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return out, nil
}

func (s *sqlStore) Reissue(ctx context.Context, deviceID, keyID string, sec Secrets, now time.Time, ev Event) (int64, error) {
	var gen int64
	err := s.tx(ctx, func(tx txn) error {
		if keyID != "" {
			var one int
			err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM keys WHERE id = ? AND revoked_at = 0 AND (expires_at = 0 OR expires_at > ?)
				AND (max_uses = 0 OR uses < max_uses)`), keyID, ts(now)).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrKeyUnavailable
			}
			if err != nil {
				return fmt.Errorf("check key: %w", err)
			}
		}
		if err := s.spend(ctx, tx, deviceID, "refresh_hash", "generation"); err != nil {
			return err
		}
		if err := s.spend(ctx, tx, deviceID, "prev_refresh_hash", "prev_generation"); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, s.q(`UPDATE devices SET refresh_hash = ?, refresh_proposed = 0, generation = generation + 1,
			prev_refresh_hash = '', prev_generation = 0, prev_valid_until = 0, last_seen_at = ?,
			replace_hash = CASE WHEN ? = '' THEN replace_hash ELSE ? END
			WHERE id = ? AND revoked_at = 0 RETURNING generation`),
			sec.RefreshHash, ts(now), sec.ReplaceHash, sec.ReplaceHash, deviceID).Scan(&gen)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reissue credential: %w", ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("reissue credential: %w", err)
		}
		if err := s.addToken(ctx, tx, deviceID, sec); err != nil {
			return err
		}
		return s.addEvent(ctx, tx, ev)
	})
	return gen, err
}

func (s *sqlStore) Refresh(ctx context.Context, deviceID, presented string, sec Secrets, now time.Time, grace time.Duration) (RefreshOutcome, int64, error) {
	var (
		outcome RefreshOutcome
		gen     int64
	)
	err := s.tx(ctx, func(tx txn) error {
		var (
			cur, prev                    string
			prevGen                      int64
			prevUntil, revoked, proposed int64
		)
		err := tx.QueryRowContext(ctx, s.q(`SELECT refresh_hash, generation, prev_refresh_hash, prev_generation, prev_valid_until, revoked_at,
			refresh_proposed FROM devices WHERE id = ?`+s.forUpdate()), deviceID).Scan(&cur, &gen, &prev, &prevGen, &prevUntil, &revoked, &proposed)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("refresh credential: %w", ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("refresh credential: %w", err)
		}
		var (
			update string
			args   []any
		)
		switch {
		case revoked != 0:
			outcome = DeviceRevoked
			return nil
		case equal(presented, cur):
			outcome = Rotated
			if err := s.spend(ctx, tx, deviceID, "prev_refresh_hash", "prev_generation"); err != nil {
				return err
			}
			update = `UPDATE devices SET prev_refresh_hash = refresh_hash, prev_generation = generation, prev_valid_until = ?,
				refresh_hash = ?, refresh_proposed = ?, generation = generation + 1, last_seen_at = ? WHERE id = ?`
			args = []any{ts(now.Add(grace)), sec.RefreshHash, proposedFlag(sec), ts(now), deviceID}
		case prev != "" && equal(presented, prev) && now.Before(fromTS(prevUntil)) && proposed != 0 && !(sec.Proposed && equal(sec.RefreshHash, cur)):
			// The rotating client proposed the current secret and, having
			// stored it first, retries with it, or proposes it again: this
			// one does neither, so it is another client.
			outcome, gen = ReplayedByOther, prevGen
			return nil
		case prev != "" && equal(presented, prev) && now.Before(fromTS(prevUntil)):
			// A lost answer: the previous secret stays usable until the end
			// of its original grace window, so the agent may retry again.
			outcome = ReplayedInGrace
			update = `UPDATE devices SET refresh_hash = ?, refresh_proposed = ?, generation = generation + 1, last_seen_at = ? WHERE id = ?`
			args = []any{sec.RefreshHash, proposedFlag(sec), ts(now), deviceID}
		case prev != "" && equal(presented, prev):
			outcome, gen = Replayed, prevGen
			return nil
		default:
			// Spent secrets are looked up by hash, so a miss reveals nothing.
			err := tx.QueryRowContext(ctx, s.q(`SELECT generation FROM spent_refresh WHERE device_id = ? AND hash = ?`), deviceID, presented).Scan(&gen)
			switch {
			case err == nil:
				outcome = Replayed
			case errors.Is(err, sql.ErrNoRows):
				outcome = BadSecret
			default:
				return fmt.Errorf("read spent secrets: %w", err)
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q(update), args...); err != nil {
			return fmt.Errorf("rotate refresh secret: %w", err)
		}
		gen++
		return s.addToken(ctx, tx, deviceID, sec)
	})
	return outcome, gen, err
}

// proposedFlag is the refresh_proposed value of a new secret.
func proposedFlag(sec Secrets) int {
	if sec.Proposed {
		return 1
	}
	return 0
}

// spentKept is how many spent refresh secrets are kept per device for
// replay detection: with hourly rotation, about a week.
const spentKept = 200

// spend remembers the device's secret in column hashCol (with its
// generation in genCol) as spent, and forgets the oldest ones.
func (s *sqlStore) spend(ctx context.Context, tx txn, deviceID, hashCol, genCol string) error {
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO spent_refresh (device_id, hash, generation)
		SELECT id, `+hashCol+`, `+genCol+` FROM devices WHERE id = ? AND `+hashCol+` <> ''
		ON CONFLICT (device_id, hash) DO NOTHING`), deviceID); err != nil {
		return fmt.Errorf("remember spent secret: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM spent_refresh WHERE device_id = ? AND generation <
		(SELECT generation FROM devices WHERE id = ?) - ?`), deviceID, deviceID, spentKept); err != nil {
		return fmt.Errorf("forget spent secrets: %w", err)
	}
	return nil
}

func (s *sqlStore) MatchRefresh(ctx context.Context, deviceID, presented string) (bool, error) {
	var cur, prev string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT refresh_hash, prev_refresh_hash FROM devices WHERE id = ?`), deviceID).Scan(&cur, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("match refresh secret: %w", ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("match refresh secret: %w", err)
	}
	if equal(presented, cur) || prev != "" && equal(presented, prev) {
		return true, nil
	}
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM spent_refresh WHERE device_id = ? AND hash = ?`), deviceID, presented).Scan(&n); err != nil {
		return false, fmt.Errorf("match refresh secret: %w", err)
	}
	return n > 0, nil
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

var queryAuthenticate = `SELECT ` + prefixed("d.", deviceColumns) + `, t.expires_at
	FROM access_tokens t JOIN devices d ON d.id = t.device_id WHERE t.hash = ?`

func (s *sqlStore) Authenticate(ctx context.Context, accessHash string) (*Device, time.Time, error) {
	var expires int64
	d, err := scanDevice(s.r.QueryRowContext(ctx, s.q(queryAuthenticate), accessHash), &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, fmt.Errorf("authenticate token: %w", ErrNotFound)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("authenticate token: %w", err)
	}
	return d, fromTS(expires), nil
}

func prefixed(p, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

func (s *sqlStore) SaveInventory(ctx context.Context, inv *Inventory, relay bool, agentID string, keep, outboxMax int) (*HistoryEntry, error) {
	sections, err := json.Marshal(inv.Sections)
	if err != nil {
		return nil, fmt.Errorf("encode sections: %w", err)
	}
	h := &HistoryEntry{ReceivedAt: inv.ReceivedAt, Size: inv.Size}
	err = s.tx(ctx, func(tx txn) error {
		// One statement reads the inventory this one repeats, if its
		// idempotency key says so, and the sections of the device's
		// last one.
		var (
			dupID, dupAt sql.NullInt64
			prevJSON     sql.NullString
		)
		err := tx.QueryRowContext(ctx, s.q(queryRepeatAndSections), inv.DeviceID, inv.IdempotencyKey).Scan(&dupID, &dupAt, &prevJSON)
		if err != nil {
			return fmt.Errorf("read previous inventory: %w", err)
		}
		if dupID.Valid {
			h.ID, h.ReceivedAt, h.Duplicate = dupID.Int64, fromTS(dupAt.Int64), true
			return nil
		}
		var prev map[string]Section
		if prevJSON.String != "" {
			if err := json.Unmarshal([]byte(prevJSON.String), &prev); err != nil {
				return fmt.Errorf("decode previous sections: %w", err)
			}
		}
		h.Changed = changedSections(prev, inv.Sections)
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO inventories (device_id, received_at, size, body, sections)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET
			received_at = excluded.received_at, size = excluded.size, body = excluded.body, sections = excluded.sections`),
			inv.DeviceID, ts(inv.ReceivedAt), inv.Size, inv.Body, string(sections)); err != nil {
			return fmt.Errorf("store inventory: %w", err)
		}
		changed, _ := json.Marshal(h.Changed)
		relayStatus := RelayNone
		if relay {
			relayStatus = RelayQueued
		}
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO inventory_history (device_id, received_at, size, changed, relay_status, idem_key, partial)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), inv.DeviceID, ts(inv.ReceivedAt), inv.Size, string(changed), relayStatus, inv.IdempotencyKey,
			boolInt(inv.Partial)).Scan(&h.ID); err != nil {
			return fmt.Errorf("store inventory history: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM inventory_history WHERE device_id = ? AND id <=
			(SELECT id FROM inventory_history WHERE device_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`),
			inv.DeviceID, inv.DeviceID, keep); err != nil {
			return fmt.Errorf("trim inventory history: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE devices SET last_seen_at = ? WHERE id = ?`), ts(inv.ReceivedAt), inv.DeviceID); err != nil {
			return fmt.Errorf("update device: %w", err)
		}
		if relay {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO outbox (device_id, agent_id, body, created_at, next_attempt_at, inventory_id, partial,
				source_ip, httpd_port) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), inv.DeviceID, agentID, inv.Body, ts(inv.ReceivedAt), ts(inv.ReceivedAt), h.ID,
				boolInt(inv.Partial), inv.SourceIP, inv.HTTPDPort); err != nil {
				return fmt.Errorf("queue inventory: %w", err)
			}
			return s.trimOutbox(ctx, tx, inv, h, outboxMax)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// waitingItem is an outbox item of a device waiting for its relay, as
// trimOutbox sees it.
type waitingItem struct {
	id, inventoryID int64
	partial         bool
}

// trimOutbox drops from the outbox of inv's device, once inv is queued as
// history entry h, the waiting items inv supersedes when it is full, then
// the oldest beyond limit; see Store.SaveInventory.
//
// Only the items no relay holds are read and locked: one being posted, or
// being claimed at this moment by another replica (PostgreSQL: SKIP
// LOCKED), is left alone. Locking it would make this transaction, which
// already holds the device's row, and that relay's completion, which takes
// the item then the device, wait for each other.
func (s *sqlStore) trimOutbox(ctx context.Context, tx txn, inv *Inventory, h *HistoryEntry, limit int) error {
	skipLocked := ""
	if s.postgres {
		skipLocked = " FOR UPDATE SKIP LOCKED"
	}
	// Each row carries the count of the device's items waiting, held or
	// not, which only matters when there are rows to drop.
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, inventory_id, partial,
		(SELECT COUNT(*) FROM outbox WHERE device_id = ? AND inventory_id <> ?) FROM outbox o
		WHERE device_id = ? AND inventory_id <> ? AND `+s.unleased("o")+` ORDER BY id`+skipLocked),
		inv.DeviceID, h.ID, inv.DeviceID, h.ID, ts(inv.ReceivedAt))
	if err != nil {
		return fmt.Errorf("read outbox of %s: %w", inv.DeviceID, err)
	}
	var (
		items []waitingItem
		total int
	)
	for rows.Next() {
		var (
			it      waitingItem
			partial int64
		)
		if err := rows.Scan(&it.id, &it.inventoryID, &partial, &total); err != nil {
			rows.Close()
			return fmt.Errorf("read outbox of %s: %w", inv.DeviceID, err)
		}
		it.partial = partial != 0
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read outbox of %s: %w", inv.DeviceID, err)
	}
	var superseded, dropped []waitingItem
	left := total + 1 // with inv
	for _, it := range items {
		switch {
		case !inv.Partial:
			superseded = append(superseded, it)
			left--
		case limit > 0 && left > limit:
			dropped = append(dropped, it)
			left--
		}
	}
	now := inv.ReceivedAt
	if len(superseded) > 0 {
		h.Superseded = len(superseded)
		msg := fmt.Sprintf("superseded by full inventory %d before reaching GLPI", h.ID)
		if err := s.dropOutbox(ctx, tx, inv.DeviceID, superseded, RelaySuperseded, msg, h.ID, now); err != nil {
			return err
		}
		if err := s.addEvent(ctx, tx, Event{At: now, Event: "outbox_superseded", DeviceID: inv.DeviceID, Reason: "superseded",
			Detail: fmt.Sprintf("inventories %s dropped from the outbox: full inventory %d is newer", historyIDs(superseded), h.ID)}); err != nil {
			return err
		}
	}
	if len(dropped) > 0 {
		h.Dropped = len(dropped)
		for _, it := range dropped {
			if it.partial {
				h.DroppedPartial++
			}
		}
		msg := fmt.Sprintf("dropped: more than %d inventories of the device waiting for GLPI", limit)
		if err := s.dropOutbox(ctx, tx, inv.DeviceID, dropped, RelayDropped, msg, 0, now); err != nil {
			return err
		}
		detail := fmt.Sprintf("inventories %s dropped from the outbox: more than %d waiting for GLPI", historyIDs(dropped), limit)
		if h.DroppedPartial > 0 {
			detail += fmt.Sprintf("; %d of them partial, covered by no full inventory yet: GLPI misses their changes until the next full one", h.DroppedPartial)
		}
		if err := s.addEvent(ctx, tx, Event{At: now, Event: "outbox_dropped", DeviceID: inv.DeviceID, Reason: "outbox_full", Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}

// dropOutbox deletes items from the outbox and records why in their
// history entries. The actions waiting for the relay of a superseded
// inventory wait for the one superseding it (by, when not zero); the
// others fail with msg.
func (s *sqlStore) dropOutbox(ctx context.Context, tx txn, deviceID string, items []waitingItem, status, msg string, by int64, now time.Time) error {
	for _, it := range items {
		if err := s.deleteOutbox(ctx, tx, it.id); err != nil {
			return fmt.Errorf("drop outbox item %d: %w", it.id, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE inventory_history SET relay_status = ?, relay_message = ? WHERE id = ?`),
			status, msg, it.inventoryID); err != nil {
			return fmt.Errorf("record drop of inventory %d: %w", it.inventoryID, err)
		}
		if by != 0 {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE actions SET inventory_id = ? WHERE device_id = ? AND inventory_id = ? AND state = 'sent'`),
				by, deviceID, it.inventoryID); err != nil {
				return fmt.Errorf("move actions of inventory %d: %w", it.inventoryID, err)
			}
			continue
		}
		if err := s.relayActions(ctx, tx, deviceID, it.inventoryID, status, msg, now); err != nil {
			return err
		}
	}
	return nil
}

// historyIDs lists the history entries of items, as "#1, #2".
func historyIDs(items []waitingItem) string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = "#" + strconv.FormatInt(it.inventoryID, 10)
	}
	return strings.Join(ids, ", ")
}

// changedSections lists, sorted, the sections added, removed or modified
// between two inventories.
func changedSections(prev, cur map[string]Section) []string {
	changed := []string{}
	for name, sec := range cur {
		if p, ok := prev[name]; !ok || p.Hash != sec.Hash {
			changed = append(changed, name)
		}
	}
	for name := range prev {
		if _, ok := cur[name]; !ok {
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	return changed
}

func (s *sqlStore) Inventory(ctx context.Context, deviceID string) (*Inventory, error) {
	var (
		inv      = Inventory{DeviceID: deviceID}
		received int64
		sections string
	)
	err := s.r.QueryRowContext(ctx, s.q(`SELECT received_at, size, body, sections FROM inventories WHERE device_id = ?`), deviceID).
		Scan(&received, &inv.Size, &inv.Body, &sections)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read inventory of %s: %w", deviceID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read inventory of %s: %w", deviceID, err)
	}
	inv.ReceivedAt = fromTS(received)
	if err := json.Unmarshal([]byte(sections), &inv.Sections); err != nil {
		return nil, fmt.Errorf("decode sections of %s: %w", deviceID, err)
	}
	return &inv, nil
}

func (s *sqlStore) History(ctx context.Context, deviceID string) ([]HistoryEntry, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, received_at, size, changed, partial, relay_status, relay_message
		FROM inventory_history WHERE device_id = ? ORDER BY id DESC`), deviceID)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", deviceID, err)
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var (
			h                 HistoryEntry
			received, partial int64
			changed           string
		)
		if err := rows.Scan(&h.ID, &received, &h.Size, &changed, &partial, &h.RelayStatus, &h.RelayMessage); err != nil {
			return nil, fmt.Errorf("read history of %s: %w", deviceID, err)
		}
		h.ReceivedAt, h.Partial = fromTS(received), partial != 0
		if err := json.Unmarshal([]byte(changed), &h.Changed); err != nil {
			return nil, fmt.Errorf("decode history of %s: %w", deviceID, err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history of %s: %w", deviceID, err)
	}
	return out, nil
}

func (s *sqlStore) ClaimOutbox(ctx context.Context, n int, now time.Time, lease time.Duration) ([]OutboxItem, error) {
	// The first waiting item of each device whose turn has come and that
	// no relay holds.
	const due = `o.next_attempt_at <= ? AND %s
		AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.device_id = o.device_id AND p.id < o.id)
		ORDER BY o.id LIMIT ?`
	const columns = `id, device_id, agent_id, body, created_at, attempts, inventory_id, source_ip, httpd_port`
	var items []OutboxItem
	where := fmt.Sprintf(due, s.unleased("o"))
	args := []any{ts(now), ts(now), n}
	// read collects the items claimed.
	read := func(rows *sql.Rows, err error) error {
		if err != nil {
			return fmt.Errorf("claim outbox: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				it      OutboxItem
				created int64
			)
			if err := rows.Scan(&it.ID, &it.DeviceID, &it.AgentID, &it.Body, &created, &it.Attempts, &it.InventoryID, &it.SourceIP, &it.HTTPDPort); err != nil {
				return fmt.Errorf("claim outbox: %w", err)
			}
			it.CreatedAt = fromTS(created)
			items = append(items, it)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("claim outbox: %w", err)
		}
		return nil
	}
	var err error
	if s.postgres {
		// One statement, which commits alone: replicas claim disjoint
		// rows without waiting on each other, and a transaction around
		// it would add two round trips.
		err = read(s.w.QueryContext(ctx, s.q(`UPDATE outbox SET locked_until = ? WHERE id IN (SELECT o.id FROM outbox o WHERE `+where+
			` FOR UPDATE SKIP LOCKED) RETURNING `+columns), append([]any{ts(now.Add(lease))}, args...)...))
	} else {
		// On SQLite the leases are rows of their own (migration 0014),
		// written in the transaction that holds the only writer.
		err = s.tx(ctx, func(tx txn) error {
			q := `SELECT o.` + strings.ReplaceAll(columns, ", ", ", o.") + ` FROM outbox o WHERE ` + where
			if err := read(tx.QueryContext(ctx, q, args...)); err != nil {
				return err
			}
			for _, it := range items {
				if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_leases (id, locked_until) VALUES (?, ?)
					ON CONFLICT (id) DO UPDATE SET locked_until = excluded.locked_until`, it.ID, ts(now.Add(lease))); err != nil {
					return fmt.Errorf("claim outbox: %w", err)
				}
			}
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(items, func(a, b OutboxItem) int { return int(a.ID - b.ID) })
	return items, nil
}

// unleased is the condition that outbox item alias is held by no relay at
// the time of its one argument: on PostgreSQL its locked_until, on SQLite
// its row in outbox_leases.
func (s *sqlStore) unleased(alias string) string {
	if s.postgres {
		return alias + `.locked_until <= ?`
	}
	return `NOT EXISTS (SELECT 1 FROM outbox_leases l WHERE l.id = ` + alias + `.id AND l.locked_until > ?)`
}

// deleteOutbox deletes an outbox item, and its lease on SQLite.
func (s *sqlStore) deleteOutbox(ctx context.Context, tx txn, id int64) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM outbox WHERE id = ?`), id); err != nil {
		return err
	}
	if !s.postgres {
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox_leases WHERE id = ?`, id); err != nil {
			return err
		}
	}
	return nil
}

func (s *sqlStore) CompleteOutbox(ctx context.Context, it *OutboxItem, status, message string, now time.Time) error {
	return s.tx(ctx, func(tx txn) error {
		if err := s.deleteOutbox(ctx, tx, it.ID); err != nil {
			return fmt.Errorf("complete outbox item %d: %w", it.ID, err)
		}
		if err := s.setRelay(ctx, tx, it, status, message, now); err != nil {
			return err
		}
		return s.relayActions(ctx, tx, it.DeviceID, it.InventoryID, status, message, now)
	})
}

func (s *sqlStore) RetryOutbox(ctx context.Context, it *OutboxItem, next time.Time, message string, now time.Time) error {
	return s.tx(ctx, func(tx txn) error {
		release := ", locked_until = 0"
		if !s.postgres {
			release = ""
			if _, err := tx.ExecContext(ctx, `DELETE FROM outbox_leases WHERE id = ?`, it.ID); err != nil {
				return fmt.Errorf("reschedule outbox item %d: %w", it.ID, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?`+release+` WHERE id = ?`),
			ts(next), it.ID); err != nil {
			return fmt.Errorf("reschedule outbox item %d: %w", it.ID, err)
		}
		return s.setRelay(ctx, tx, it, RelayRetrying, message, now)
	})
}

func (s *sqlStore) ResumeOutbox(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET next_attempt_at = ? WHERE next_attempt_at > ?`), ts(now), ts(now))
		if err != nil {
			return fmt.Errorf("resume outbox: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

func (s *sqlStore) ExtendOutbox(ctx context.Context, ids []int64, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{ts(until)}
	for _, id := range ids {
		args = append(args, id)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	// locked_until 0 is an item released meanwhile (retry): not claimed;
	// on SQLite a released item has no lease.
	table := "outbox"
	if !s.postgres {
		table = "outbox_leases"
	}
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE `+table+` SET locked_until = ? WHERE locked_until > 0 AND id IN (`+marks+`)`), args...)
	if err != nil {
		return fmt.Errorf("extend outbox leases: %w", err)
	}
	return nil
}

func (s *sqlStore) RecoverLeases(ctx context.Context) error {
	if s.postgres {
		return nil
	}
	return s.tx(ctx, func(tx txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox_leases`); err != nil {
			return fmt.Errorf("recover outbox leases: %w", err)
		}
		return nil
	})
}

// setRelay records the outcome of relaying it on its device and its
// inventory history entry.
func (s *sqlStore) setRelay(ctx context.Context, tx txn, it *OutboxItem, status, message string, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE devices SET relay_status = ?, relay_message = ?, relay_at = ?, relay_inventory_id = ? WHERE id = ?`),
		status, message, ts(now), it.InventoryID, it.DeviceID)
	if err != nil {
		return fmt.Errorf("record relay status of %s: %w", it.DeviceID, err)
	}
	_, err = tx.ExecContext(ctx, s.q(`UPDATE inventory_history SET relay_status = ?, relay_message = ? WHERE id = ?`),
		status, message, it.InventoryID)
	if err != nil {
		return fmt.Errorf("record relay status of inventory %d: %w", it.InventoryID, err)
	}
	return nil
}

func (s *sqlStore) OutboxDepth(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count outbox: %w", err)
	}
	return n, nil
}

func (s *sqlStore) AddEvent(ctx context.Context, ev Event) error {
	return s.tx(ctx, func(tx txn) error { return s.addEvent(ctx, tx, ev) })
}

func (s *sqlStore) addEvent(ctx context.Context, tx txn, ev Event) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit (at, event, key_id, device_id, source_ip, reason, detail, actor)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), ts(ev.At), ev.Event, ev.KeyID, ev.DeviceID, ev.SourceIP, ev.Reason, ev.Detail, ev.Actor)
	if err != nil {
		return fmt.Errorf("record audit event %s: %w", ev.Event, err)
	}
	return nil
}

func (s *sqlStore) CountEvent(ctx context.Context, ev Event, window time.Duration) error {
	return s.tx(ctx, func(tx txn) error {
		start := ev.At.Truncate(window)
		res, err := tx.ExecContext(ctx, s.q(`UPDATE audit SET occurrences = occurrences + 1 WHERE id = (SELECT MIN(id) FROM audit
			WHERE source_ip = ? AND event = ? AND at >= ? AND at < ? AND reason = ?)`),
			ev.SourceIP, ev.Event, ts(start), ts(start.Add(window)), ev.Reason)
		if err != nil {
			return fmt.Errorf("count audit event %s: %w", ev.Event, err)
		}
		if n, err := res.RowsAffected(); err == nil && n > 0 {
			return nil
		}
		return s.addEvent(ctx, tx, ev)
	})
}

// pruneBatch bounds the rows one transaction of PruneEvents deletes, so
// that pruning a large audit never holds the writer for long.
const pruneBatch = 5000

func (s *sqlStore) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? ORDER BY at LIMIT ?)`),
			ts(before), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune audit: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune audit: %w", err)
		}
		total += n
		if n < pruneBatch {
			break
		}
	}
	// The daily counts of the days pruned go with them.
	for _, table := range []string{"audit_day_counts", "audit_days"} {
		if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE day <= ?`), ts(before)-dayMicros); err != nil {
			return total, fmt.Errorf("prune audit: %w", err)
		}
	}
	return total, nil
}

// eventColumns are the audit's columns as scanEvents reads them.
const eventColumns = `id, at, event, key_id, device_id, source_ip, reason, detail, occurrences, actor`

// scanEvents reads the audit rows of a query on eventColumns.
func scanEvents(rows *sql.Rows) ([]Event, error) {
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			ev Event
			at int64
		)
		if err := rows.Scan(&ev.ID, &at, &ev.Event, &ev.KeyID, &ev.DeviceID, &ev.SourceIP, &ev.Reason, &ev.Detail, &ev.Occurrences, &ev.Actor); err != nil {
			return nil, err
		}
		ev.At = fromTS(at)
		out = append(out, ev)
	}
	return out, rows.Err()
}

func (s *sqlStore) Events(ctx context.Context, since time.Time) ([]Event, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+eventColumns+` FROM audit WHERE at >= ? ORDER BY id`), ts(since))
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	out, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	return out, nil
}
