package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// viaIdentity: an inventory claimed hardware other than the device's.
const viaIdentity = "identity"

// inventoryIdentity is what GLPI's import rules match a computer on, as
// an inventory states it.
type inventoryIdentity struct {
	UUID   string // content.hardware.uuid
	Serial string // content.bios.ssn
}

// identityOf reads the identity fields of a decoded inventory.
func identityOf(msg *inventoryMsg) (inventoryIdentity, error) {
	var id inventoryIdentity
	content := msg.content
	var hw struct {
		UUID string `json:"uuid"`
	}
	var bios struct {
		SSN string `json:"ssn"`
	}
	if raw, ok := content["hardware"]; ok {
		if err := json.Unmarshal(raw, &hw); err != nil {
			return id, errors.New("content.hardware must be an object with a string uuid")
		}
	}
	if raw, ok := content["bios"]; ok {
		if err := json.Unmarshal(raw, &bios); err != nil {
			return id, errors.New("content.bios must be an object with a string ssn")
		}
	}
	return inventoryIdentity{UUID: strings.TrimSpace(hw.UUID), Serial: strings.TrimSpace(bios.SSN)}, nil
}

// identityChanges lists the identity fields of an inventory that the
// device's enrolled fingerprint does not vouch for. The fingerprint holds
// the agent's hashes of the same values, normalised as the agent does: an
// SMBIOS UUID must hash to the enrolled one (a device enrolled without one
// may send none: a placeholder or malformed UUID is never sent by the
// agent, so it counts as a claim too); a serial is compared when the
// device enrolled with one (macOS agents, and Windows ones whose
// IdentifyingNumber is empty, send a serial their fingerprint lacks).
func identityChanges(fp enroll.Fingerprint, id inventoryIdentity) []store.SignalChange {
	var out []store.SignalChange
	if id.UUID != "" {
		h := enroll.HashSignal(enroll.SignalUUID(id.UUID))
		if h == "" {
			h = enroll.HashSignal(id.UUID)
		}
		if h != fp.SMBIOSUUID {
			out = append(out, store.SignalChange{Signal: "smbios_uuid", Old: fp.SMBIOSUUID, New: h})
		}
	}
	if id.Serial != "" && fp.Serial != "" {
		if h := enroll.HashSignal(id.Serial); h != fp.Serial {
			out = append(out, store.SignalChange{Signal: "serial", Old: fp.Serial, New: h})
		}
	}
	return out
}

// checkIdentity refuses, and answers, an inventory whose hardware identity
// differs from the enrolled machine's: a device token must not make GLPI
// update another computer. The mismatch is a clone signal: the key's
// policy decides, with quarantine in place of fork (the sender holds the
// device's own credential, there is nothing to fork), and an administrator
// who approves it lets inventories with that identity through. It reports
// whether the inventory may go on.
func (s *Server) checkIdentity(ctx context.Context, w http.ResponseWriter, r *http.Request, d *store.Device, msg *inventoryMsg) bool {
	id, err := identityOf(msg)
	if err != nil {
		s.reject(w, http.StatusBadRequest, enroll.ReasonBadRequest, "decode inventory: "+err.Error(), 0)
		return false
	}
	changes := identityChanges(d.Fingerprint, id)
	if len(changes) == 0 {
		return true
	}
	var b strings.Builder
	for _, c := range changes {
		b.WriteString(c.Signal + "=" + c.New + "\n")
	}
	fpHash := enroll.HashToken("identity\n" + b.String())
	c, err := s.st.FindClone(ctx, d.ID, fpHash)
	if errors.Is(err, store.ErrNotFound) {
		c, err = s.identityMismatch(ctx, d, fpHash, changes, sourceIP(r).String())
	}
	if err != nil {
		s.log.Error("check inventory identity", "device_id", d.ID, "err", err)
		s.reject(w, http.StatusServiceUnavailable, enroll.ReasonInternal, "try again later", 30*time.Second)
		return false
	}
	switch c.State {
	case store.CloneApproved:
		return true
	case store.CloneRejected:
		s.reject(w, http.StatusForbidden, enroll.ReasonCloneRejected, "this inventory claims another machine's hardware identity and was refused", 0)
	default:
		s.reject(w, http.StatusForbidden, enroll.ReasonCloneQuarantined, "this inventory claims another machine's hardware identity: awaiting an administrator's approval", 0)
	}
	s.log.Info("inventory refused: hardware identity differs from the enrolled machine's", "device_id", d.ID, "state", c.State)
	return false
}

// identityMismatch records a first mismatch, audited as identity_mismatch.
func (s *Server) identityMismatch(ctx context.Context, d *store.Device, fpHash string, changes []store.SignalChange, ip string) (*store.Clone, error) {
	policy := store.ClonePolicyQuarantine
	k, err := s.st.Key(ctx, d.KeyID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err == nil && k.ClonePolicy == store.ClonePolicyReject {
		policy = store.ClonePolicyReject
	}
	state := store.ClonePending
	if policy == store.ClonePolicyReject {
		state = store.CloneRejected
	}
	now := s.now()
	c := &store.Clone{DeviceID: d.ID, KeyID: d.KeyID, FPHash: fpHash, Via: viaIdentity, Signals: changes,
		Policy: policy, State: state, DetectedAt: now}
	msg := describeChanges(changes)
	ev := store.Event{At: now, Event: "identity_mismatch", KeyID: d.KeyID, DeviceID: d.ID, SourceIP: ip, Reason: viaIdentity,
		Detail: msg + "; inventory not relayed; policy " + string(policy)}
	stored, err := s.st.RecordClone(ctx, c, ev)
	if err != nil {
		return nil, err
	}
	if stored == c {
		s.log.Warn("inventory claims another machine's hardware identity", "device_id", d.ID, "key_id", d.KeyID, "policy", policy, "signals", msg)
	}
	return stored, nil
}
