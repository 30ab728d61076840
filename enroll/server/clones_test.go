package server

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// cloneOf returns the enrollment request of a machine copied from req's:
// same hostname and install id, its own SMBIOS UUID (hostUUID of the
// hostname with "-clone").
func cloneOf(req *enroll.EnrollRequest) *enroll.EnrollRequest {
	c := *req
	c.Fingerprint.SMBIOSUUID = enroll.HashSignal(enroll.SignalUUID(hostUUID(req.Hostname + "-clone")))
	return &c
}

func TestCloneOfCredential(t *testing.T) {
	tests := []struct {
		policy      store.ClonePolicy
		wantStatus  int
		wantReason  enroll.Reason
		enrollAfter enroll.Reason // the newcomer's enrollment, before approval
	}{
		{store.ClonePolicyFork, 401, enroll.ReasonDeviceUnknown, ""},
		{store.ClonePolicyQuarantine, 403, enroll.ReasonCloneQuarantined, enroll.ReasonCloneQuarantined},
		{store.ClonePolicyReject, 403, enroll.ReasonCloneRejected, enroll.ReasonCloneRejected},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := t.Context()
			key := e.key(KeyOptions{ClonePolicy: tt.policy})
			origReq := enrollReq("pc-a")
			orig := e.enroll(key, origReq)
			newcomer := cloneOf(origReq)

			// The copied credential, presented from other hardware.
			_, err := e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: orig.DeviceID, RefreshSecret: orig.Credential.RefreshSecret,
				Generation: 1, Fingerprint: &newcomer.Fingerprint})
			wantReject(t, err, tt.wantStatus, tt.wantReason)
			d, _ := e.st.Device(ctx, orig.DeviceID)
			if d.State() != store.StateCloneSuspected || d.Generation != 1 {
				t.Errorf("original = %s generation %d, want clone_suspected generation 1 (credential untouched)", d.State(), d.Generation)
			}
			evs := e.events("clone_suspected")
			wantDiff := "smbios_uuid " + short(origReq.Fingerprint.SMBIOSUUID) + "→" + short(newcomer.Fingerprint.SMBIOSUUID)
			if len(evs) != 1 || evs[0].Reason != "fingerprint" || !strings.Contains(evs[0].Detail, wantDiff) || !strings.Contains(evs[0].Detail, string(tt.policy)) {
				t.Errorf("audit = %+v, want one clone_suspected with %q and the policy", evs, wantDiff)
			}
			// Asking again changes nothing and is not audited again.
			_, err = e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: orig.DeviceID, RefreshSecret: orig.Credential.RefreshSecret,
				Generation: 1, Fingerprint: &newcomer.Fingerprint})
			wantReject(t, err, tt.wantStatus, tt.wantReason)
			if n := len(e.events("clone_suspected")); n != 1 {
				t.Errorf("%d clone_suspected events after a repeat, want 1", n)
			}

			// The original is not disturbed.
			cred, err := e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: orig.DeviceID, RefreshSecret: orig.Credential.RefreshSecret,
				Generation: 1, Fingerprint: &origReq.Fingerprint})
			if err != nil || cred.Generation != 2 {
				t.Fatalf("original Refresh = %+v, %v; want generation 2", cred, err)
			}
			if _, err := e.client.SendInventory(ctx, cred.AccessToken, inventoryJSON("pc-a", 2)); err != nil {
				t.Errorf("original SendInventory: %v", err)
			}

			// The newcomer enrolls with its key and the copied install id.
			got, err := e.client.Enroll(ctx, key, newcomer)
			if tt.enrollAfter != "" {
				wantReject(t, err, 403, tt.enrollAfter)
				var out bytes.Buffer
				if err := (&Admin{Store: e.st, Out: &out}).DeviceApprove(ctx, orig.DeviceID); err != nil {
					t.Fatal(err)
				}
				got, err = e.client.Enroll(ctx, key, newcomer)
			}
			if tt.policy == store.ClonePolicyReject {
				// Approval does not lift a rejection.
				wantReject(t, err, 403, enroll.ReasonCloneRejected)
				return
			}
			if err != nil {
				t.Fatalf("newcomer Enroll: %v", err)
			}
			if got.DeviceID == orig.DeviceID || got.GLPIDeviceID == orig.GLPIDeviceID || got.AgentID == orig.AgentID {
				t.Errorf("newcomer = %s %s, want a new device apart from %s %s", got.DeviceID, got.GLPIDeviceID, orig.DeviceID, orig.GLPIDeviceID)
			}
			if evs := e.events("clone_enrolled"); len(evs) != 1 || evs[0].DeviceID != got.DeviceID {
				t.Errorf("audit = %+v, want clone_enrolled for %s", evs, got.DeviceID)
			}
			var out bytes.Buffer
			if err := (&Admin{Store: e.st, Out: &out}).DeviceShow(ctx, orig.DeviceID); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"Suspected clones", "via fingerprint", wantDiff, "now device " + got.DeviceID} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("device show lacks %q:\n%s", want, out.String())
				}
			}
			out.Reset()
			(&Admin{Store: e.st, Out: &out}).DeviceList(ctx)
			if tt.policy == store.ClonePolicyFork && !strings.Contains(out.String(), "⚠ clone_suspected") {
				t.Errorf("device list lacks the clone marker:\n%s", out.String())
			}
			// Both keep working, each as itself.
			if _, err := e.client.SendInventory(ctx, got.Credential.AccessToken, spoofOf("pc-a", "pc-a-clone", true, false)); err != nil {
				t.Errorf("newcomer SendInventory: %v", err)
			}
			if _, err := e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: orig.DeviceID, RefreshSecret: cred.RefreshSecret,
				Generation: 2, Fingerprint: &origReq.Fingerprint}); err != nil {
				t.Errorf("original Refresh after the fork: %v", err)
			}
		})
	}
}

func TestCloneByGenerationReplay(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	req := enrollReq("pc")
	orig := e.enroll(e.key(KeyOptions{}), req)
	copied := orig.Credential // the same files on a second machine

	cred := orig.Credential
	for range 2 { // the original rotates twice
		e.clock.Advance(10 * time.Minute)
		next, err := e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: orig.DeviceID, RefreshSecret: cred.RefreshSecret, Generation: cred.Generation, Fingerprint: &req.Fingerprint})
		if err != nil {
			t.Fatal(err)
		}
		cred = *next
	}
	_, err := e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: orig.DeviceID, RefreshSecret: copied.RefreshSecret, Generation: 1, Fingerprint: &req.Fingerprint})
	wantReject(t, err, 401, enroll.ReasonDeviceUnknown)
	evs := e.events("clone_suspected")
	if len(evs) != 1 || evs[0].Reason != "replay" || !strings.Contains(evs[0].Detail, "spent generation 1 replayed, device at 3") {
		t.Errorf("audit = %+v, want one clone_suspected by replay of generation 1", evs)
	}
	if _, err := e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: orig.DeviceID, RefreshSecret: cred.RefreshSecret, Generation: 3, Fingerprint: &req.Fingerprint}); err != nil {
		t.Errorf("original Refresh after the replay: %v", err)
	}
	// The replayer enrolls again with the same disk contents: a new device.
	again, err := e.client.Enroll(ctx, e.key(KeyOptions{}), req)
	if err == nil && again.DeviceID == orig.DeviceID {
		t.Error("the replayer took over the original device")
	}
	// A made-up secret proves nothing and raises no alarm.
	_, err = e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: orig.DeviceID, RefreshSecret: "glpir_forged", Generation: 1,
		Fingerprint: &enroll.Fingerprint{SMBIOSUUID: "elsewhere"}})
	wantReject(t, err, 401, enroll.ReasonTokenInvalid)
	if n := len(e.events("clone_suspected")); n != 1 {
		t.Errorf("%d clone_suspected events after a forged secret, want 1", n)
	}
}

func TestWeakSignalsAreNoClone(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	req := enrollReq("pc")
	orig := e.enroll(e.key(KeyOptions{}), req)
	tests := []struct {
		name string
		edit func(*enroll.Fingerprint)
	}{
		{"MAC added", func(f *enroll.Fingerprint) { f.MACs = append(f.MACs, "ee") }},
		{"serial differs", func(f *enroll.Fingerprint) { f.Serial = "other-serial" }},
		{"strong signal unknown", func(f *enroll.Fingerprint) { f.SMBIOSUUID = "" }},
	}
	cred := orig.Credential
	for _, tt := range tests {
		fp := req.Fingerprint
		fp.MACs = slicesClone(fp.MACs)
		tt.edit(&fp)
		next, err := e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: orig.DeviceID, RefreshSecret: cred.RefreshSecret, Generation: cred.Generation, Fingerprint: &fp})
		if err != nil {
			t.Fatalf("%s: Refresh = %v, want a new credential", tt.name, err)
		}
		cred = *next
	}
	if d, _ := e.st.Device(ctx, orig.DeviceID); d.State() != store.StateActive {
		t.Errorf("device state = %s, want active", d.State())
	}
	if evs := e.events("clone_suspected"); len(evs) != 0 {
		t.Errorf("audit = %+v, want no clone", evs)
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

func TestEphemeralDevices(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	key := e.key(KeyOptions{Ephemeral: 8 * time.Hour})
	first := e.enroll(key, enrollReq("vdi-01"))
	other := e.enroll(key, enrollReq("vdi-02"))

	e.clock.Advance(5 * time.Hour)
	if _, err := e.client.SendInventory(ctx, other.Credential.AccessToken, inventoryJSON("vdi-02", 1)); err == nil {
		t.Fatal("inventory with a 1 h token accepted after 5 h")
	}
	e.clock.Advance(4 * time.Hour) // 9 h without contact
	if err := e.srv.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	d, _ := e.st.Device(ctx, first.DeviceID)
	if d.State() != store.StateRetired {
		t.Fatalf("silent device state = %s, want retired", d.State())
	}
	if evs := e.events("device_retired"); len(evs) != 2 {
		t.Errorf("audit = %+v, want two device_retired", evs)
	}
	_, err := e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: first.DeviceID, RefreshSecret: first.Credential.RefreshSecret, Generation: 1})
	wantReject(t, err, 401, enroll.ReasonDeviceUnknown)

	// The desktop is recreated from its image: a new install, same name.
	next := e.enroll(key, enrollReq("vdi-01"))
	if next.DeviceID == first.DeviceID || next.GLPIDeviceID != first.GLPIDeviceID || next.AgentID != first.AgentID {
		t.Errorf("new desktop = %s %s %s, want a new device with GLPI identity %s %s", next.DeviceID, next.GLPIDeviceID, next.AgentID, first.GLPIDeviceID, first.AgentID)
	}
	// Recreated again before the sweep: the live predecessor is retired
	// and its identity taken over too.
	recreated := enrollReq("vdi-01")
	recreated.InstallID, recreated.Fingerprint.InstallID, recreated.Fingerprint.SMBIOSUUID = "install-3", "install-3", "uuid-3"
	third := e.enroll(key, recreated)
	prev, _ := e.st.Device(ctx, next.DeviceID)
	if third.GLPIDeviceID != first.GLPIDeviceID || prev.State() != store.StateRetired || prev.SupersededBy != third.DeviceID {
		t.Errorf("third desktop %s, predecessor %s superseded by %q; want GLPI id %s, retired, by %s",
			third.GLPIDeviceID, prev.State(), prev.SupersededBy, first.GLPIDeviceID, third.DeviceID)
	}
	// A persistent key keeps separate records per enrollment.
	persistent := e.key(KeyOptions{})
	a := e.enroll(persistent, enrollReq("pc-x"))
	e.clock.Advance(time.Second)
	b := e.enroll(persistent, &enroll.EnrollRequest{Hostname: "pc-x", InstallID: "other-install", Fingerprint: enroll.Fingerprint{SMBIOSUUID: "x2"}})
	if a.GLPIDeviceID == b.GLPIDeviceID {
		t.Errorf("persistent key reused GLPI id %s", a.GLPIDeviceID)
	}
}

func TestSameHostnameSameSecond(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(KeyOptions{})
	a := e.enroll(key, enrollReq("golden"))
	b := &enroll.EnrollRequest{Hostname: "golden", InstallID: "second", Fingerprint: enroll.Fingerprint{SMBIOSUUID: "zz"}}
	got := e.enroll(key, b)
	if got.GLPIDeviceID == a.GLPIDeviceID {
		t.Errorf("two devices share GLPI deviceid %s", a.GLPIDeviceID)
	}
}

// TestInstallIDIsNoCredential: an install id (it is in the agent's state,
// logs and support bundles) and any key of the same id must not hand over
// a device: an empty or partial fingerprint never matches.
func TestInstallIDIsNoCredential(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(KeyOptions{MaxUses: 10})
	victim := e.enroll(key, enrollReq("victim"))
	for _, tt := range []struct {
		name string
		fp   enroll.Fingerprint
	}{
		{"empty fingerprint", enroll.Fingerprint{}},
		{"machine id only", enroll.Fingerprint{MachineID: enrollReq("victim").Fingerprint.MachineID}},
		{"SMBIOS UUID only", enroll.Fingerprint{SMBIOSUUID: enrollReq("victim").Fingerprint.SMBIOSUUID}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := enrollReq("attacker")
			req.InstallID, req.Fingerprint = enrollReq("victim").InstallID, tt.fp
			req.Fingerprint.InstallID = req.InstallID
			resp, err := e.client.Enroll(t.Context(), key, req)
			if err == nil && resp.DeviceID == victim.DeviceID {
				t.Fatalf("an enrollment with the victim's install id and %s got the victim's device", tt.name)
			}
		})
	}
	// The real installation retrying after a lost answer still gets its
	// device back.
	again, err := e.client.Enroll(t.Context(), key, enrollReq("victim"))
	if err != nil || again.DeviceID != victim.DeviceID {
		t.Errorf("the victim's own retry = %v, %v; want its device %s", again, err, victim.DeviceID)
	}
}

// TestRefreshWithoutFingerprint: leaving the fingerprint out of a refresh
// must not skip the clone check.
func TestRefreshWithoutFingerprint(t *testing.T) {
	e := newEnv(t, nil)
	orig := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	_, err := e.client.Refresh(t.Context(), &enroll.RefreshRequest{DeviceID: orig.DeviceID,
		RefreshSecret: orig.Credential.RefreshSecret, Generation: orig.Credential.Generation})
	if err == nil {
		t.Fatal("a refresh without a fingerprint got a credential")
	}
	if evs := e.events("clone_suspected"); len(evs) != 1 {
		t.Errorf("audit = %+v, want one clone_suspected", evs)
	}
}
