// Package enroll defines the enrollment protocol spoken between glpi-agentd
// and glpi-enrolld: the wire types, the registration key and bundle formats,
// and a client. It stays free of database drivers so the agent can import it.
package enroll

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// API paths served by glpi-enrolld, relative to its base URL.
const (
	PathEnroll    = "/api/v1/enroll"
	PathToken     = "/api/v1/token"
	PathInventory = "/api/v1/inventory"
	PathCheckIn   = "/api/v1/checkin"
	// PathRetire is where a device asks to be retired: its identity is
	// being wiped (prepare-image), and it will not be heard from again.
	PathRetire = "/api/v1/retire"
)

// MaxCheckInWait is the longest the server holds a check-in, in seconds.
const MaxCheckInWait = 60

// MaxStreamedCheckInWait is the longest the server holds a streamed
// check-in (CheckInRequest.Stream), in seconds.
const MaxStreamedCheckInWait = 600

// CheckInKeepAlive is how often, in seconds, the server writes a
// keep-alive on a streamed check-in's answer: white space before its
// JSON, so that NATs, firewalls and proxies see a connection held for
// minutes carry data, and the agent sees the server alive.
const CheckInKeepAlive = 45

// HeaderIdempotencyKey carries a key that makes an inventory sent again
// (after a lost answer, from the agent's spool) count once.
const HeaderIdempotencyKey = "Idempotency-Key"

// HeaderHTTPDPort carries, with an inventory, the port of the agent's
// local listener (GLPI's httpd-port), which the relay tells GLPI; absent
// when the listener is off.
const HeaderHTTPDPort = "GLPI-Agentd-HTTPD-Port"

// MaxAgentTrust caps the entries of an agent trust list.
const MaxAgentTrust = 64

// Reason is a machine-readable rejection reason carried in error bodies.
type Reason string

// Rejection reasons. An agent re-enrolls only on ReasonDeviceUnknown and
// stops for good on ReasonDeviceRevoked.
const (
	ReasonKeyInvalid          Reason = "key_invalid"
	ReasonKeyExpired          Reason = "key_expired"
	ReasonKeyExhausted        Reason = "key_exhausted"
	ReasonKeyRevoked          Reason = "key_revoked"
	ReasonNetworkNotAllowed   Reason = "network_not_allowed"
	ReasonHostnameNotAllowed  Reason = "hostname_not_allowed"
	ReasonDeviceRevoked       Reason = "device_revoked"
	ReasonDeviceUnknown       Reason = "device_unknown"
	ReasonRateLimited         Reason = "rate_limited"
	ReasonBadRequest          Reason = "bad_request"
	ReasonTokenExpired        Reason = "token_expired"
	ReasonTokenInvalid        Reason = "token_invalid"
	ReasonTooLarge            Reason = "too_large"
	ReasonUnsupportedEncoding Reason = "unsupported_encoding"
	ReasonInternal            Reason = "internal"
	// ReasonBusy (503, with Retry-After) sheds a request the service has
	// no room for at the moment; the agent comes back when told.
	ReasonBusy Reason = "busy"
	// ReasonCloneQuarantined refuses a suspected clone until an
	// administrator approves it; the agent waits and retries later.
	ReasonCloneQuarantined Reason = "clone_quarantined"
	// ReasonCloneRejected refuses a suspected clone for good.
	ReasonCloneRejected Reason = "clone_rejected"
)

// Token prefixes. Access and refresh tokens are opaque random strings; the
// prefixes make them recognisable to secret scanners.
const (
	AccessTokenPrefix   = "glpia_"
	RefreshSecretPrefix = "glpir_"
	ReplaceSecretPrefix = "glpix_"
)

// Fingerprint identifies the hardware and installation of a device. Every
// field except InstallID is already HMAC-hashed by the agent and hex encoded,
// so the server never sees raw hardware identifiers.
type Fingerprint struct {
	InstallID  string   `json:"install_id,omitempty"`
	MachineID  string   `json:"machine_id,omitempty"`
	SMBIOSUUID string   `json:"smbios_uuid,omitempty"`
	Serial     string   `json:"serial,omitempty"`
	MACs       []string `json:"macs,omitempty"`
}

// Replace asks the server to give a new credential to an existing device,
// for example after a reinstall that lost the credential.
type Replace struct {
	DeviceID      string `json:"device_id"`
	ReplaceSecret string `json:"replace_secret"`
}

// EnrollRequest is the body of POST /api/v1/enroll. The registration key
// travels in the Authorization header, never in the body or the URL.
type EnrollRequest struct {
	Hostname     string      `json:"hostname"`
	AgentVersion string      `json:"agent_version"`
	OS           string      `json:"os"`
	Arch         string      `json:"arch"`
	InstallID    string      `json:"install_id"`
	Fingerprint  Fingerprint `json:"fingerprint"`
	Replace      *Replace    `json:"replace,omitempty"`
	// PreviousGLPIDeviceID is the deviceid the machine's agent used with
	// GLPI before, the official agent's when it moves from it: the
	// service keeps it when it names this host and no other device has
	// it, so that GLPI keeps its agent record.
	PreviousGLPIDeviceID string `json:"previous_glpi_deviceid,omitempty"`
}

// Validate reports the first missing or malformed field of r.
func (r *EnrollRequest) Validate() error {
	switch {
	case r.Hostname == "" || len(r.Hostname) > 255:
		return errors.New("hostname must have 1 to 255 characters")
	case !validHostname(r.Hostname):
		return errors.New("hostname may hold only letters, digits, '-', '_' and '.'")
	case r.InstallID == "" || len(r.InstallID) > 128:
		return errors.New("install_id must have 1 to 128 characters")
	case r.Fingerprint.InstallID != "" && r.Fingerprint.InstallID != r.InstallID:
		return errors.New("fingerprint.install_id differs from install_id")
	case len(r.Fingerprint.MACs) > 64:
		return errors.New("fingerprint.macs has more than 64 entries")
	case r.Replace != nil && (r.Replace.DeviceID == "" || r.Replace.ReplaceSecret == ""):
		return errors.New("replace needs device_id and replace_secret")
	case r.PreviousGLPIDeviceID != "" && DeviceIDHost(r.PreviousGLPIDeviceID) == "":
		return errors.New("previous_glpi_deviceid must be a host name then -YYYY-MM-DD-HH-MM-SS")
	}
	for name, v := range map[string]string{
		"install_id":    r.InstallID,
		"agent_version": r.AgentVersion, "os": r.OS, "arch": r.Arch,
		"fingerprint.machine_id": r.Fingerprint.MachineID, "fingerprint.smbios_uuid": r.Fingerprint.SMBIOSUUID,
		"fingerprint.serial": r.Fingerprint.Serial,
	} {
		if len(v) > 255 {
			return fmt.Errorf("%s is longer than 255 characters", name)
		}
		if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
			return fmt.Errorf("%s holds invalid or control characters", name)
		}
	}
	return nil
}

// Credential is the per-device credential: a short-lived access token for
// inventories and a refresh secret exchanged for the next credential.
type Credential struct {
	AccessToken     string    `json:"access_token"`
	AccessExpiresAt time.Time `json:"access_expires_at"`
	RefreshSecret   string    `json:"refresh_secret"`
	Generation      int64     `json:"generation"`
}

// EnrollResponse is the 201 answer to a successful enrollment.
type EnrollResponse struct {
	DeviceID string `json:"device_id"`
	// GLPIDeviceID is the GLPI deviceid the agent must use in its
	// inventories, "<hostname>-YYYY-MM-DD-HH-MM-SS", fixed at first enrollment.
	GLPIDeviceID string `json:"glpi_deviceid"`
	// AgentID is the UUID for the GLPI-Agent-ID header.
	AgentID       string     `json:"agent_id"`
	Tag           string     `json:"tag"`
	Credential    Credential `json:"credential"`
	ReplaceSecret string     `json:"replace_secret"`
	ServerTime    time.Time  `json:"server_time"`
	// AgentTrust lists the hosts (addresses, CIDR prefixes, names) that
	// may ask the agent's listener for an inventory: GLPI's, whose
	// "Request inventory" button calls it. See CheckInResponse.AgentTrust.
	AgentTrust []string `json:"agent_trust,omitempty"`
}

// RefreshRequest is the body of POST /api/v1/token.
type RefreshRequest struct {
	DeviceID      string       `json:"device_id"`
	RefreshSecret string       `json:"refresh_secret"`
	Generation    int64        `json:"generation"`
	Fingerprint   *Fingerprint `json:"fingerprint,omitempty"`
	// NextRefreshSecret, when set, is the refresh secret the agent chose
	// for the next generation and stored before asking. An agent stopped
	// before it could store the answer then still holds a valid secret:
	// a renewal can never strand it. It must be a token made by NewToken
	// with RefreshSecretPrefix.
	NextRefreshSecret string `json:"next_refresh_secret,omitempty"`
}

// ValidNextSecret reports whether s can serve as a next refresh secret: the
// refresh prefix and 256 bits of base62.
func ValidNextSecret(s string) bool {
	rest, ok := strings.CutPrefix(s, RefreshSecretPrefix)
	return ok && len(rest) == tokenRandLen && isBase62(rest)
}

// InventoryResponse is the 202 answer to an accepted inventory.
type InventoryResponse struct {
	Status string `json:"status"`
	ID     int64  `json:"id"`
}

// Action types carried by a check-in answer.
const (
	ActionRunInventory = "run_inventory"
	ActionRefreshToken = "refresh_token"
	ActionConfig       = "config"
)

// Action states. The agent reports ActionRunning, ActionSent and
// ActionFailed; the server sets the others. An action ends relayed (GLPI
// answered), stored (kept by the service, which has no GLPI relay) or
// failed.
const (
	ActionQueued    = "queued"
	ActionDelivered = "delivered"
	ActionRunning   = "running"
	ActionSent      = "sent"
	ActionRelayed   = "relayed"
	ActionStored    = "stored"
	ActionFailed    = "failed"
)

// CheckInRequest is the body of POST /api/v1/checkin, authenticated with
// the access token.
type CheckInRequest struct {
	// Wait is how many seconds the agent lets the server hold the request
	// while no action is queued; the server caps it at MaxCheckInWait, or
	// MaxStreamedCheckInWait for a streamed check-in, and answers at once
	// for 0.
	Wait int `json:"wait"`
	// Stream says the agent reads a streamed answer: its head at once,
	// then white space every CheckInKeepAlive seconds, then the JSON
	// when an action comes or the wait ends. A server that cannot stream
	// (HTTP/2) answers as usual, and holds it at most MaxCheckInWait.
	Stream bool `json:"stream,omitempty"`
	// Status is "idle" or "running".
	Status  string         `json:"status"`
	Results []ActionResult `json:"results,omitempty"`
	// Requested reports the inventories the agent's listener started at
	// the request of a host the service trusts (GLPI's button): the
	// service records each as an action, whose progress the agent then
	// reports under its ID like the service's own.
	Requested []RequestedRun `json:"requested,omitempty"`
	// AgentTrustHash is TrustHash of the agent trust list the agent holds:
	// when the service's differs, it answers at once rather than hold the
	// check-in, so that a change reaches the agent without waiting.
	AgentTrustHash string `json:"agent_trust_hash,omitempty"`
}

// TrustHash identifies an agent trust list: the first 16 hex digits of the
// SHA-256 of its entries, one per line.
func TrustHash(entries []string) string {
	sum := sha256.Sum256([]byte(strings.Join(entries, "\n")))
	return hex.EncodeToString(sum[:8])
}

// RequestedRun is an inventory asked of the agent's listener by a host of
// the agent trust list.
type RequestedRun struct {
	// ID is a random UUID the agent chose, the action's ID from then on.
	ID string `json:"id"`
	// Client is the address that asked.
	Client     string    `json:"client"`
	Full       bool      `json:"full,omitempty"`
	Categories []string  `json:"categories,omitempty"`
	At         time.Time `json:"at"`
}

// ActionResult reports the progress of a delivered action.
type ActionResult struct {
	ID string `json:"id"`
	// State is ActionRunning, ActionSent or ActionFailed.
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
	// InventoryID is the id answered by the inventory endpoint, with
	// ActionSent.
	InventoryID int64     `json:"inventory_id,omitempty"`
	At          time.Time `json:"at"`
}

// CheckInResponse is the 200 answer to a check-in.
type CheckInResponse struct {
	Actions []Action `json:"actions"`
	// Relay is the outcome of the device's last relay to GLPI, if any.
	Relay *RelayStatus `json:"relay,omitempty"`
	// Poll is the number of seconds before the next check-in; 0 means at once.
	Poll int `json:"poll"`
	// AgentTrust, when not null, replaces the agent trust list the agent
	// holds (empty: none); null, from a service that predates it, leaves
	// it as it is.
	AgentTrust []string `json:"agent_trust"`
}

// Action is a request for the agent, delivered by a check-in.
type Action struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Full asks run_inventory for every category.
	Full       bool              `json:"full,omitempty"`
	Categories []string          `json:"categories,omitempty"`
	Config     map[string]string `json:"config,omitempty"`
}

// RelayStatus is the outcome of relaying an inventory to GLPI: "ok",
// "retrying" or "rejected", with GLPI's message.
type RelayStatus struct {
	Status      string    `json:"status"`
	Message     string    `json:"message,omitempty"`
	At          time.Time `json:"at"`
	InventoryID int64     `json:"inventory_id,omitempty"`
}

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Reason  Reason `json:"reason"`
	Message string `json:"message"`
}

// RejectError is a refusal from the server, decoded from an error answer.
type RejectError struct {
	Status     int
	Reason     Reason
	Message    string
	RetryAfter time.Duration
}

// Error implements error.
func (e *RejectError) Error() string {
	msg := fmt.Sprintf("server refused request: %d %s", e.Status, e.Reason)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// validHostname accepts what a machine calls itself: letters (any script,
// for NetBIOS names), digits, '-', '_' and '.', and no "..". The name
// starts the GLPI deviceid, so nothing else gets through.
func validHostname(h string) bool {
	if !utf8.ValidString(h) || strings.Contains(h, "..") {
		return false
	}
	for _, r := range h {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// deviceIDStamp is the time a GLPI deviceid ends with.
const deviceIDStamp = "-2006-01-02-15-04-05"

// GLPIDeviceID builds the GLPI deviceid the service gives a device:
// host, then the time in UTC (<host>-YYYY-MM-DD-HH-MM-SS).
func GLPIDeviceID(host string, t time.Time) string { return host + t.UTC().Format(deviceIDStamp) }

// DeviceIDHost returns the host name a GLPI deviceid starts with
// (<host>-YYYY-MM-DD-HH-MM-SS, as the agents build it), or "" when id is
// not one.
func DeviceIDHost(id string) string {
	if len(id) <= len(deviceIDStamp) || len(id) > 200 {
		return ""
	}
	host, stamp := id[:len(id)-len(deviceIDStamp)], id[len(id)-len(deviceIDStamp):]
	if _, err := time.Parse(deviceIDStamp, stamp); err != nil || !validHostname(host) {
		return ""
	}
	return host
}

// SameHost reports whether two host names name one machine: the same
// first label, in any case (a deviceid may start with the FQDN).
func SameHost(a, b string) bool {
	a, _, _ = strings.Cut(a, ".")
	b, _, _ = strings.Cut(b, ".")
	return a != "" && strings.EqualFold(a, b)
}
