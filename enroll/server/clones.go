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
// that differ. Serial numbers and MAC addresses are weak (they flap on
// virtual machines and change with a network card) and never count alone.
func strongChanges(old, cur enroll.Fingerprint) []store.SignalChange {
	var out []store.SignalChange
	for _, sig := range []struct{ name, old, cur string }{
		{"machine_id", old.MachineID, cur.MachineID},
		{"smbios_uuid", old.SMBIOSUUID, cur.SMBIOSUUID},
	} {
		if sig.old != "" && sig.cur != "" && sig.old != sig.cur {
			out = append(out, store.SignalChange{Signal: sig.name, Old: sig.old, New: sig.cur})
		}
	}
	return out
}

// hardwareChanges is strongChanges limited to the hardware itself: the
// SMBIOS UUID, which survives a reinstall of the operating system.
func hardwareChanges(old, cur enroll.Fingerprint) []store.SignalChange {
	return strongChanges(enroll.Fingerprint{SMBIOSUUID: old.SMBIOSUUID}, enroll.Fingerprint{SMBIOSUUID: cur.SMBIOSUUID})
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
