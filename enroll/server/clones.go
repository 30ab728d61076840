package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// Routes by which a clone is detected.
const (
	viaFingerprint = "fingerprint" // the credential came with other hardware
	viaReplay      = "replay"      // a spent refresh secret came back
	viaInstallID   = "install_id"  // an enrollment copied the install id
	// an enrollment presented the replace secret from other hardware
	viaReplaceSecret = "replace_secret"
)

// strongChanges lists the strong fingerprint signals known on both sides
// that differ, or all the device's when the request has none of them: a
// signal one side does not know proves nothing (an agent that can no
// longer read the SMBIOS UUID), but an empty fingerprint never matches.
// Serial numbers and MAC addresses are weak (they flap on virtual machines
// and change with a network card) and never count alone.
func strongChanges(old, cur enroll.Fingerprint) []store.SignalChange {
	var out, missing []store.SignalChange
	known := false
	for _, sig := range strongSignals(old, cur) {
		switch {
		case sig.Old == "":
		case sig.New == "":
			missing = append(missing, sig)
		default:
			known = true
			if sig.Old != sig.New {
				out = append(out, sig)
			}
		}
	}
	if !known {
		return missing
	}
	return out
}

// exactChanges lists every strong signal the device had that the request
// does not repeat: where an install id is the only other proof (a retried
// enrollment), a partial fingerprint is no proof.
func exactChanges(old, cur enroll.Fingerprint) []store.SignalChange {
	var out []store.SignalChange
	for _, sig := range strongSignals(old, cur) {
		if sig.Old != "" && sig.Old != sig.New {
			out = append(out, sig)
		}
	}
	return out
}

func strongSignals(old, cur enroll.Fingerprint) []store.SignalChange {
	return []store.SignalChange{
		{Signal: "machine_id", Old: old.MachineID, New: cur.MachineID},
		{Signal: "smbios_uuid", Old: old.SMBIOSUUID, New: cur.SMBIOSUUID},
	}
}

// hardwareChanges is exactChanges limited to the hardware itself: the
// SMBIOS UUID, which survives a reinstall of the operating system.
func hardwareChanges(old, cur enroll.Fingerprint) []store.SignalChange {
	return exactChanges(enroll.Fingerprint{SMBIOSUUID: old.SMBIOSUUID}, enroll.Fingerprint{SMBIOSUUID: cur.SMBIOSUUID})
}

// fingerprintHash names a machine by its strong signals, to recognise a
// clone again.
func fingerprintHash(fp enroll.Fingerprint) string {
	return enroll.HashToken("machine_id=" + fp.MachineID + "\nsmbios_uuid=" + fp.SMBIOSUUID)
}

// describeChanges renders changed signals for the audit trail, with the
// agent's hashes shortened.
func describeChanges(changes []store.SignalChange) string {
	if len(changes) == 0 {
		return "same hardware signals"
	}
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = fmt.Sprintf("%s %s→%s", c.Signal, short(c.Old), short(c.New))
	}
	return strings.Join(parts, ", ")
}

// suspectClone records that another machine uses device d's identity and
// returns the clone, whose state the key's clone policy decided when it
// was first seen.
func (s *Server) suspectClone(ctx context.Context, d *store.Device, via string, fp enroll.Fingerprint, changes []store.SignalChange, ip, detail string) (*store.Clone, error) {
	policy := store.ClonePolicyFork
	if k, err := s.st.Key(ctx, d.KeyID); err == nil && k.ClonePolicy != "" {
		policy = k.ClonePolicy
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	state := map[store.ClonePolicy]string{
		store.ClonePolicyFork: store.CloneForked, store.ClonePolicyQuarantine: store.ClonePending, store.ClonePolicyReject: store.CloneRejected,
	}[policy]
	now := s.now()
	if changes == nil {
		changes = []store.SignalChange{}
	}
	c := &store.Clone{DeviceID: d.ID, KeyID: d.KeyID, FPHash: fingerprintHash(fp), Via: via, Signals: changes,
		Policy: policy, State: state, DetectedAt: now}
	msg := describeChanges(changes)
	if detail != "" {
		msg += "; " + detail
	}
	ev := store.Event{At: now, Event: "clone_suspected", KeyID: d.KeyID, DeviceID: d.ID, SourceIP: ip, Reason: via,
		Detail: msg + "; policy " + string(policy)}
	stored, err := s.st.RecordClone(ctx, c, ev)
	if err != nil {
		return nil, err
	}
	if stored == c {
		s.log.Warn("clone suspected", "device_id", d.ID, "key_id", d.KeyID, "via", via, "policy", policy, "signals", msg)
	}
	return stored, nil
}

// cloneRefusal is the answer to a newcomer given its clone's state: a
// forked or approved clone must enroll as a new device, the others wait or
// stop.
func cloneRefusal(c *store.Clone) (int, enroll.Reason, string) {
	switch c.State {
	case store.ClonePending:
		return http.StatusForbidden, enroll.ReasonCloneQuarantined, "this machine is a suspected clone awaiting approval"
	case store.CloneRejected:
		return http.StatusForbidden, enroll.ReasonCloneRejected, "this machine is a suspected clone and was refused"
	}
	return http.StatusUnauthorized, enroll.ReasonDeviceUnknown, "this credential belongs to another machine: enroll again"
}
