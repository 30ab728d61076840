// Package store keeps the state of glpi-enrolld: registration keys, devices
// and their hashed credentials, inventories, the relay outbox and the audit
// trail. It has two back ends behind one Store interface: embedded SQLite
// (OpenSQLite) and PostgreSQL (OpenPostgres). Secrets are never stored in
// clear: keys as an HMAC, tokens and secrets as a SHA-256.
package store

import (
	"context"
	"errors"
	"fmt"
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
	ID          string    `json:"id"`
	Hash        string    `json:"-"`
	Tag         string    `json:"tag"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	MaxUses     int64     `json:"max_uses"` // 0 means unlimited
	// Uses counts the devices enrolled with the key. For a key without a
	// limit it is counted by Keys only; Key, on every enrollment and
	// inventory, reads one row whatever the number of devices, and leaves
	// it 0.
	Uses            int64     `json:"uses"`
	AllowCIDRs      []string  `json:"allow_cidrs,omitempty"`
	HostnamePattern string    `json:"hostname_pattern,omitempty"`
	RevokedAt       time.Time `json:"revoked_at,omitzero"`
	// ClonePolicy decides the fate of a suspected clone of a device
	// enrolled with the key: ClonePolicyFork when empty.
	ClonePolicy ClonePolicy `json:"clone_policy"`
	// Ephemeral, when set, retires the key's devices after this long
	// without contact, and a new device enrolling with the hostname of an
	// earlier one takes over its GLPI identity.
	Ephemeral time.Duration `json:"ephemeral,omitempty"`
}

// ClonePolicy is what happens to the newcomer when a device is suspected
// of having been cloned.
type ClonePolicy string

// Clone policies.
const (
	// ClonePolicyFork answers device_unknown, so the newcomer enrolls again
	// and becomes a new device.
	ClonePolicyFork ClonePolicy = "fork"
	// ClonePolicyQuarantine refuses the newcomer with clone_quarantined
	// until an administrator approves it; it then becomes a new device.
	ClonePolicyQuarantine ClonePolicy = "quarantine"
	// ClonePolicyReject refuses the newcomer with clone_rejected for good.
	ClonePolicyReject ClonePolicy = "reject"
)

// ParseClonePolicy checks a policy name; empty means fork.
func ParseClonePolicy(s string) (ClonePolicy, error) {
	switch p := ClonePolicy(s); p {
	case "":
		return ClonePolicyFork, nil
	case ClonePolicyFork, ClonePolicyQuarantine, ClonePolicyReject:
		return p, nil
	}
	return "", fmt.Errorf("clone policy %q: want fork, quarantine or reject", s)
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
	InstallID    string             `json:"-"` // a re-enrollment credential: given to Enroll, stored only hashed (InstallHash), never read back
	Fingerprint  enroll.Fingerprint `json:"fingerprint"`
	SourceIP     string             `json:"source_ip"`
	Generation   int64              `json:"generation"`
	CreatedAt    time.Time          `json:"created_at"`
	LastSeenAt   time.Time          `json:"last_seen_at"`
	RevokedAt    time.Time          `json:"revoked_at,omitzero"`
	RelayStatus  string             `json:"relay_status,omitempty"`
	RelayMessage string             `json:"relay_message,omitempty"`
	RelayAt      time.Time          `json:"relay_at,omitzero"`
	// RelayInventoryID is the inventory whose relay RelayStatus describes.
	RelayInventoryID int64 `json:"relay_inventory_id,omitempty"`
	// CloneSuspectedAt is set when another machine presented the device's
	// credential; the device itself keeps working.
	CloneSuspectedAt time.Time `json:"clone_suspected_at,omitzero"`
	// RetiredAt is set when an ephemeral device stayed silent too long or
	// was replaced by a new device of the same hostname (SupersededBy).
	RetiredAt    time.Time `json:"retired_at,omitzero"`
	SupersededBy string    `json:"superseded_by,omitempty"`

	ReplaceHash string `json:"-"`
}

// Device states, as shown to administrators.
const (
	StateActive         = "active"
	StateCloneSuspected = "clone_suspected"
	StateRetired        = "retired"
	StateRevoked        = "revoked"
)

// State returns the device's state: revoked, retired, clone_suspected or
// active, in that order of precedence.
func (d *Device) State() string {
	switch {
	case !d.RevokedAt.IsZero():
		return StateRevoked
	case !d.RetiredAt.IsZero():
		return StateRetired
	case !d.CloneSuspectedAt.IsZero():
		return StateCloneSuspected
	}
	return StateActive
}

// Secrets holds the hashes of a newly issued credential.
type Secrets struct {
	AccessHash      string
	AccessExpiresAt time.Time
	RefreshHash     string
	// Proposed is set when the device proposed the refresh secret
	// (next_refresh_secret) rather than the service.
	Proposed bool
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
	// Occurrences is how many times the event happened from SourceIP in
	// the window starting at At, for events recorded by CountEvent; 1
	// otherwise.
	Occurrences int64 `json:"occurrences"`
	// Actor is the console account that acted, if any.
	Actor string `json:"actor,omitempty"`
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
	// ReplayedByOther: the previous secret was presented within the grace
	// window, but the rotation used a secret the device proposed and this
	// request neither presents nor proposes it: not the client that
	// rotated. Nothing was changed; the generation returned is the spent one.
	ReplayedByOther
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
	// IdempotencyKey, when set, makes a resend of the same inventory a
	// no-op that answers the first one's history entry.
	IdempotencyKey string
	// Partial is set for an inventory of some sections only: it does not
	// supersede the inventories waiting for GLPI.
	Partial bool
	// SourceIP is the address the inventory came from, as the service
	// saw it, and HTTPDPort the port of the agent's listener (0: none):
	// the relay tells GLPI both.
	SourceIP  string
	HTTPDPort int
}

// Section summarises one content section of an inventory.
type Section struct {
	Hash  string `json:"hash"`
	Items int    `json:"items"`
}

// Relay states of an inventory, as recorded in its history entry and on
// the device for the last relay.
const (
	RelayNone     = "none" // kept locally: no GLPI relay configured
	RelayQueued   = "queued"
	RelayRetrying = "retrying"
	RelayOK       = "ok"
	RelayRejected = "rejected"
	// RelaySuperseded: dropped from the outbox, a newer full inventory of
	// the device carrying everything it did.
	RelaySuperseded = "superseded"
	// RelayDropped: dropped from the outbox, the device having too many
	// inventories waiting; a full inventory is asked of the device.
	RelayDropped = "dropped"
)

// HistoryEntry records one received inventory.
type HistoryEntry struct {
	ID         int64     `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	Size       int64     `json:"size"`
	Changed    []string  `json:"changed"`
	// Partial is set for an inventory of some sections only.
	Partial bool `json:"partial"`
	// RelayStatus is the inventory's relay to GLPI (RelayQueued, RelayOK…)
	// and RelayMessage GLPI's answer or the relay's error, as History
	// reads them.
	RelayStatus  string `json:"relay_status,omitempty"`
	RelayMessage string `json:"relay_message,omitempty"`
	// Duplicate is set when SaveInventory found the idempotency key: the
	// entry is the first one's, and nothing was stored.
	Duplicate bool `json:"-"`
	// Superseded and Dropped count the waiting inventories SaveInventory
	// dropped from the device's outbox: superseded by this full one, or
	// beyond the device's limit (DroppedPartial of those were partial,
	// covered by no full inventory yet).
	Superseded     int `json:"-"`
	Dropped        int `json:"-"`
	DroppedPartial int `json:"-"`
}

// OutboxItem is an inventory waiting to be relayed to GLPI.
type OutboxItem struct {
	ID        int64
	DeviceID  string
	AgentID   string
	Body      []byte // zlib-compressed inventory message
	CreatedAt time.Time
	Attempts  int
	// InventoryID is the history entry of the inventory.
	InventoryID int64
	// SourceIP and HTTPDPort are the inventory's (see Inventory).
	SourceIP  string
	HTTPDPort int
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
	// Key returns a key by public id, with Uses only for a key with a
	// limit (see Key.Uses).
	Key(ctx context.Context, id string) (*Key, error)
	// Keys lists keys, newest first.
	Keys(ctx context.Context) ([]Key, error)
	// RevokeKey marks a key revoked.
	RevokeKey(ctx context.Context, id string, at time.Time) error

	// Enroll atomically takes one use of d.KeyID (failing with
	// ErrKeyUnavailable if the key is revoked, expired or out of uses at
	// now), creates d with generation 1 and records ev. With an ephemeral
	// key, the newest earlier device of the same hostname not yet
	// superseded is retired and d takes its GLPI deviceid and agent id; its
	// id is returned. Otherwise d.GLPIDeviceID must be new (ErrExists).
	Enroll(ctx context.Context, d *Device, s Secrets, now time.Time, ev Event) (reused string, err error)
	// DeviceByHostname returns the live devices with that hostname.
	DeviceByHostname(ctx context.Context, hostname string) ([]Device, error)
	// RetireDevice retires a live device at its own request (its disk is
	// about to become an image) and records ev with it; ErrNotFound when
	// no live device has id.
	RetireDevice(ctx context.Context, id string, now time.Time, ev Event) error
	// RetireIdle retires the devices of ephemeral keys silent for longer
	// than their key's window, records an audit event for each and returns
	// their ids.
	RetireIdle(ctx context.Context, now time.Time) ([]string, error)
	// DevicesByInstall returns the live (neither revoked nor retired)
	// devices enrolled with key keyID and install id installID, newest
	// first: the installation's own, and the clones forked from it.
	DevicesByInstall(ctx context.Context, keyID, installID string) ([]*Device, error)
	// Device returns a device by id.
	Device(ctx context.Context, id string) (*Device, error)
	// Devices lists devices, newest first.
	Devices(ctx context.Context) ([]Device, error)
	// Reissue gives a live device a new credential (generation + 1) and
	// records ev; it returns the new generation. keyID, when not empty, is
	// the registration key the request presented: ErrKeyUnavailable if it
	// is revoked, expired or out of uses at the commit.
	Reissue(ctx context.Context, deviceID, keyID string, s Secrets, now time.Time, ev Event) (int64, error)
	// MatchRefresh reports whether a presented refresh secret hash is the
	// device's current, previous or an earlier spent one, without changing
	// anything.
	MatchRefresh(ctx context.Context, deviceID, presentedHash string) (bool, error)
	// Refresh rotates the refresh secret whose hash is presented. The
	// previous secret stays accepted until grace after its rotation; older
	// spent secrets are remembered and reported as Replayed with their
	// generation. It returns the outcome and, when a credential was issued,
	// its generation.
	Refresh(ctx context.Context, deviceID, presentedHash string, s Secrets, now time.Time, grace time.Duration) (RefreshOutcome, int64, error)
	// SeeDevice records a contact from the device at now.
	SeeDevice(ctx context.Context, id string, now time.Time) error
	// RevokeDevice marks a device revoked.
	RevokeDevice(ctx context.Context, id string, at time.Time) error
	// Authenticate returns the device owning an access token hash, and the
	// token's expiry.
	Authenticate(ctx context.Context, accessHash string) (*Device, time.Time, error)

	// SaveInventory stores inv as the device's latest inventory, appends a
	// history entry (keeping the last keep), and, when relay is set, queues
	// agentID's inventory in the outbox, all in one transaction. It returns
	// the history entry.
	//
	// A device keeps at most outboxMax inventories in the outbox (zero: no
	// limit). A full inventory supersedes the device's waiting ones, full
	// or partial, since it carries everything they did; beyond outboxMax,
	// the oldest waiting ones are dropped. Items being posted are never
	// dropped. Each drop is audited (outbox_superseded, outbox_dropped) and
	// recorded in the history entry of the dropped inventory.
	SaveInventory(ctx context.Context, inv *Inventory, relay bool, agentID string, keep, outboxMax int) (*HistoryEntry, error)
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
	// ResumeOutbox makes every item waiting for a retry due now: GLPI
	// answered again, so the backlog drains at the relay's own pace rather
	// than each item's backoff.
	ResumeOutbox(ctx context.Context, now time.Time) (int64, error)
	// ExtendOutbox moves the lease of the claimed items ids to until: a
	// worker still posting them keeps them from other workers.
	ExtendOutbox(ctx context.Context, ids []int64, until time.Time) error
	// RecoverLeases releases the claims a killed process left on outbox
	// items, when this process is the only one that can hold them (SQLite);
	// with PostgreSQL, replicas' claims simply expire.
	RecoverLeases(ctx context.Context) error
	// OutboxDepth counts the items waiting in the outbox.
	OutboxDepth(ctx context.Context) (int64, error)

	// QueueAction stores a new action in state queued and signals it to the
	// check-ins waiting for the device, in every process.
	QueueAction(ctx context.Context, a *Action) error
	// DeliverActions marks delivered, and returns, the device's queued
	// actions and those delivered before now-redeliver and never reported on.
	DeliverActions(ctx context.Context, deviceID string, now time.Time, redeliver time.Duration) ([]Action, error)
	// ReportActions applies an agent's results to its own actions. A sent
	// action whose inventory was already relayed moves on at once.
	ReportActions(ctx context.Context, deviceID string, results []enroll.ActionResult, now time.Time) error
	// Action returns an action with its history.
	Action(ctx context.Context, id string) (*Action, error)
	// DeviceActions returns the device's last n actions with their
	// history, newest first.
	DeviceActions(ctx context.Context, deviceID string, n int) ([]Action, error)
	// RecordRequested stores an inventory the agent started at another's
	// request (a.RequestedBy, from a.RequestedFrom) as an action in state
	// running, whose progress the agent then reports like the service's
	// own. An ID already taken, or a device revoked or retired, records
	// nothing and is no error.
	RecordRequested(ctx context.Context, a *Action) error
	// ActionCounts counts actions by state.
	ActionCounts(ctx context.Context) (map[string]int64, error)
	// WatchActions calls fn with the device id of every action queued, and
	// of every device revoked, from now on by any process sharing the
	// database, until ctx is done (nil)
	// or the database fails (the error; call it again). fn("") means some
	// may have been missed and every waiter should look again; it is
	// called once the watch is in place, and actions queued after it are
	// never missed.
	WatchActions(ctx context.Context, fn func(deviceID string)) error

	// RecordClone records a suspected clone of c.DeviceID, unless one with
	// the same fingerprint hash and route is known, marks the device
	// clone_suspected and records ev. It returns the stored clone.
	RecordClone(ctx context.Context, c *Clone, ev Event) (*Clone, error)
	// FindClone returns the newest clone of a device with that fingerprint
	// hash.
	FindClone(ctx context.Context, deviceID, fpHash string) (*Clone, error)
	// Clones lists the clones of a device, newest first.
	Clones(ctx context.Context, deviceID string) ([]Clone, error)
	// ApproveClones approves the device's pending clones and clears its
	// clone_suspected mark; it returns the number approved.
	ApproveClones(ctx context.Context, deviceID string, now time.Time) (int, error)
	// DecideClone sets the state of one of a device's clones as an
	// administrator decided: CloneApproved, CloneForked or CloneRejected
	// resolve it, ClonePending holds it again. The device is marked
	// clone_suspected while one of its clones is pending, and the mark is
	// cleared once none is. It returns the clone as stored; ErrNotFound
	// when the device has no such clone.
	DecideClone(ctx context.Context, deviceID string, cloneID int64, state string, now time.Time) (*Clone, error)
	// CloneEnrolled records the device a clone became.
	CloneEnrolled(ctx context.Context, cloneID int64, newDeviceID string) error

	// AddEvent records an audit event.
	AddEvent(ctx context.Context, ev Event) error
	// CountEvent records ev, or counts one more occurrence on the event
	// of the same name, source and reason recorded in the same window (At
	// truncated to window): a flood of them is one row per source and
	// window.
	CountEvent(ctx context.Context, ev Event, window time.Duration) error
	// PruneEvents deletes the audit events before the given time, and
	// the daily counts of the days over by then, and returns how many
	// events.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)
	// Events returns the audit events since the given time, oldest first.
	Events(ctx context.Context, since time.Time) ([]Event, error)
}
