// Package store keeps the state of glpi-enrolld: registration keys, devices
// and their hashed credentials, inventories, the relay outbox and the audit
// trail. It has two back ends behind one Store interface: embedded SQLite
// (OpenSQLite) and PostgreSQL (OpenPostgres). Secrets are never stored in
// clear: keys as an HMAC, tokens and secrets as a SHA-256.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// Errors returned by Store methods.
var (
	// ErrNotFound reports a missing key, device, token or inventory.
	ErrNotFound = errors.New("not found")
	// ErrKeyUnavailable reports a key that could not be used at the moment
	// of the enrollment: revoked, expired or out of uses.
	ErrKeyUnavailable = errors.New("registration key is no longer usable")
	// ErrExists reports an identifier that is already taken.
	ErrExists = errors.New("already exists")
)

// KeyState is the state of a registration key as shown to administrators.
type KeyState string

// Key states.
const (
	KeyValid     KeyState = "valid"
	KeyExpired   KeyState = "expired"
	KeyExhausted KeyState = "exhausted"
	KeyRevoked   KeyState = "revoked"
)

// Key is a registration key as stored: its secret is kept only as an HMAC.
type Key struct {
	ID              string    `json:"id"`
	Hash            string    `json:"-"`
	Tag             string    `json:"tag"`
	Description     string    `json:"description,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	ExpiresAt       time.Time `json:"expires_at,omitzero"`
	MaxUses         int64     `json:"max_uses"` // 0 means unlimited
	Uses            int64     `json:"uses"`
	AllowCIDRs      []string  `json:"allow_cidrs,omitempty"`
	HostnamePattern string    `json:"hostname_pattern,omitempty"`
	RevokedAt       time.Time `json:"revoked_at,omitzero"`
}

// State returns the key's state at now; revocation wins over expiry, which
// wins over exhaustion.
func (k *Key) State(now time.Time) KeyState {
	switch {
	case !k.RevokedAt.IsZero():
		return KeyRevoked
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return KeyExpired
	case k.MaxUses > 0 && k.Uses >= k.MaxUses:
		return KeyExhausted
	}
	return KeyValid
}

// Device is an enrolled device.
type Device struct {
	ID           string             `json:"id"`
	KeyID        string             `json:"key_id"`
	Tag          string             `json:"tag"`
	Hostname     string             `json:"hostname"`
	GLPIDeviceID string             `json:"glpi_deviceid"`
	AgentID      string             `json:"agent_id"`
	OS           string             `json:"os"`
	Arch         string             `json:"arch"`
	AgentVersion string             `json:"agent_version"`
	InstallID    string             `json:"install_id"`
	Fingerprint  enroll.Fingerprint `json:"fingerprint"`
	SourceIP     string             `json:"source_ip"`
	Generation   int64              `json:"generation"`
	CreatedAt    time.Time          `json:"created_at"`
	LastSeenAt   time.Time          `json:"last_seen_at"`
	RevokedAt    time.Time          `json:"revoked_at,omitzero"`
	RelayStatus  string             `json:"relay_status,omitempty"`
	RelayMessage string             `json:"relay_message,omitempty"`
	RelayAt      time.Time          `json:"relay_at,omitzero"`

	ReplaceHash string `json:"-"`
}

// Secrets holds the hashes of a newly issued credential.
type Secrets struct {
	AccessHash      string
	AccessExpiresAt time.Time
	RefreshHash     string
	// ReplaceHash, when not empty, replaces the device's replace secret.
	ReplaceHash string
}

// Event is an audit record. It names keys by public id and never holds a
// secret.
type Event struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Event    string    `json:"event"`
	KeyID    string    `json:"key_id,omitempty"`
	DeviceID string    `json:"device_id,omitempty"`
	SourceIP string    `json:"source_ip,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Detail   string    `json:"detail,omitempty"`
}

// RefreshOutcome tells what Refresh did with a presented refresh secret.
type RefreshOutcome int

// Refresh outcomes.
const (
	// Rotated: the current secret was presented and replaced.
	Rotated RefreshOutcome = iota + 1
	// ReplayedInGrace: the previous secret was presented within the grace
	// window (a lost answer); a new credential was issued anyway.
	ReplayedInGrace
	// Replayed: an old secret was presented outside the grace window.
	Replayed
	// BadSecret: the secret matches neither the current nor the previous one.
	BadSecret
	// DeviceRevoked: the device was revoked; nothing was changed.
	DeviceRevoked
)

// Inventory is the latest inventory of a device.
type Inventory struct {
	DeviceID   string
	ReceivedAt time.Time
	// Size is the decompressed size in bytes.
	Size int64
	// Body is the inventory message compressed with zlib.
	Body []byte
	// Sections maps each content section to its hash and item count.
	Sections map[string]Section
}

// Section summarises one content section of an inventory.
type Section struct {
	Hash  string `json:"hash"`
	Items int    `json:"items"`
}

// HistoryEntry records one received inventory.
type HistoryEntry struct {
	ID         int64     `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	Size       int64     `json:"size"`
	Changed    []string  `json:"changed"`
}

// OutboxItem is an inventory waiting to be relayed to GLPI.
type OutboxItem struct {
	ID        int64
	DeviceID  string
	AgentID   string
	Body      []byte // zlib-compressed inventory message
	CreatedAt time.Time
	Attempts  int
}

// Store is the persistent state of glpi-enrolld. Every method is safe for
// concurrent use, including from several processes on the same database.
type Store interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
	// Setting returns the named setting, storing value first when the
	// setting does not exist yet, so concurrent first starts agree.
	Setting(ctx context.Context, name, value string) (string, error)

	// CreateKey stores a new key; ErrExists if its id is taken.
	CreateKey(ctx context.Context, k *Key) error
	// Key returns a key by public id.
	Key(ctx context.Context, id string) (*Key, error)
	// Keys lists keys, newest first.
	Keys(ctx context.Context) ([]Key, error)
	// RevokeKey marks a key revoked.
	RevokeKey(ctx context.Context, id string, at time.Time) error

	// Enroll atomically takes one use of d.KeyID (failing with
	// ErrKeyUnavailable if the key is revoked, expired or out of uses at
	// now), creates d with generation 1 and records ev.
	Enroll(ctx context.Context, d *Device, s Secrets, now time.Time, ev Event) error
	// DeviceByInstall returns the live device enrolled with key keyID and
	// install id installID.
	DeviceByInstall(ctx context.Context, keyID, installID string) (*Device, error)
	// Device returns a device by id.
	Device(ctx context.Context, id string) (*Device, error)
	// Devices lists devices, newest first.
	Devices(ctx context.Context) ([]Device, error)
	// Reissue gives a live device a new credential (generation + 1) and
	// records ev; it returns the new generation.
	Reissue(ctx context.Context, deviceID string, s Secrets, now time.Time, ev Event) (int64, error)
	// Refresh rotates the refresh secret whose hash is presented. The
	// previous secret stays accepted until grace after its rotation. It
	// returns the outcome and, when a credential was issued, its generation.
	Refresh(ctx context.Context, deviceID, presentedHash string, s Secrets, now time.Time, grace time.Duration) (RefreshOutcome, int64, error)
	// RevokeDevice marks a device revoked.
	RevokeDevice(ctx context.Context, id string, at time.Time) error
	// Authenticate returns the device owning an access token hash, and the
	// token's expiry.
	Authenticate(ctx context.Context, accessHash string) (*Device, time.Time, error)

	// SaveInventory stores inv as the device's latest inventory, appends a
	// history entry (keeping the last keep), and, when relay is set, queues
	// agentID's inventory in the outbox, all in one transaction. It returns
	// the history entry.
	SaveInventory(ctx context.Context, inv *Inventory, relay bool, agentID string, keep int) (*HistoryEntry, error)
	// Inventory returns the latest inventory of a device.
	Inventory(ctx context.Context, deviceID string) (*Inventory, error)
	// History returns the inventory history of a device, newest first.
	History(ctx context.Context, deviceID string) ([]HistoryEntry, error)

	// ClaimOutbox leases up to n due outbox items until now+lease, at most
	// the oldest one per device so that each device's order is kept.
	ClaimOutbox(ctx context.Context, n int, now time.Time, lease time.Duration) ([]OutboxItem, error)
	// CompleteOutbox removes a relayed item and records GLPI's answer.
	CompleteOutbox(ctx context.Context, it *OutboxItem, status, message string, now time.Time) error
	// RetryOutbox releases an item until next and records the failure.
	RetryOutbox(ctx context.Context, it *OutboxItem, next time.Time, message string, now time.Time) error
	// OutboxDepth counts the items waiting in the outbox.
	OutboxDepth(ctx context.Context) (int64, error)

	// AddEvent records an audit event.
	AddEvent(ctx context.Context, ev Event) error
	// Events returns the audit events since the given time, oldest first.
	Events(ctx context.Context, since time.Time) ([]Event, error)
}
