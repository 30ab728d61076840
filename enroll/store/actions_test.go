package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

func testActions(t *testing.T, s Store) {
	ctx := t.Context()
	s.CreateKey(ctx, newKey("k1", 0))
	for _, id := range []string{"d1", "d2"} {
		if _, err := s.Enroll(ctx, newDevice(id, "k1"), Secrets{AccessHash: "a" + id, RefreshHash: "r" + id}, t0, Event{At: t0, Event: "e"}); err != nil {
			t.Fatal(err)
		}
	}
	a := &Action{ID: "a1", DeviceID: "d1", Type: enroll.ActionRunInventory, Categories: []string{"os", "software"}, CreatedAt: t0}
	if err := s.QueueAction(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueAction(ctx, &Action{ID: "a2", DeviceID: "nope", Type: enroll.ActionRunInventory, CreatedAt: t0}); !errors.Is(err, ErrNotFound) {
		t.Errorf("QueueAction(unknown device) = %v, want ErrNotFound", err)
	}
	if got, err := s.DeliverActions(ctx, "d2", t0, time.Minute); err != nil || len(got) != 0 {
		t.Errorf("DeliverActions(d2) = %+v, %v; want none", got, err)
	}
	got, err := s.DeliverActions(ctx, "d1", t0.Add(time.Second), time.Minute)
	if err != nil || len(got) != 1 || got[0].ID != "a1" || got[0].Full || !slices.Equal(got[0].Categories, []string{"os", "software"}) {
		t.Fatalf("DeliverActions(d1) = %+v, %v; want a1 for os,software", got, err)
	}
	if got, _ := s.DeliverActions(ctx, "d1", t0.Add(2*time.Second), time.Minute); len(got) != 0 {
		t.Errorf("second DeliverActions = %+v, want none", got)
	}
	// Another device cannot report on d1's action.
	s.ReportActions(ctx, "d2", []enroll.ActionResult{{ID: "a1", State: enroll.ActionFailed}}, t0)
	steps := []struct {
		r     enroll.ActionResult
		state string
	}{
		{enroll.ActionResult{ID: "a1", State: enroll.ActionRunning}, enroll.ActionRunning},
		{enroll.ActionResult{ID: "a1", State: "bogus"}, enroll.ActionRunning},
		{enroll.ActionResult{ID: "a1", State: enroll.ActionSent, InventoryID: 7}, enroll.ActionSent},
		{enroll.ActionResult{ID: "a1", State: enroll.ActionRunning}, enroll.ActionSent},
	}
	for i, st := range steps {
		if err := s.ReportActions(ctx, "d1", []enroll.ActionResult{st.r}, t0.Add(time.Duration(3+i)*time.Second)); err != nil {
			t.Fatal(err)
		}
		if a, _ := s.Action(ctx, "a1"); a.State != st.state {
			t.Errorf("after %s: state %s, want %s", st.r.State, a.State, st.state)
		}
	}
	// The relay of inventory 7 completes: the action is relayed.
	inv := &Inventory{DeviceID: "d1", ReceivedAt: t0, Size: 1, Body: []byte{1}, Sections: map[string]Section{}}
	h, err := s.SaveInventory(ctx, inv, true, "agent", 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.QueueAction(ctx, &Action{ID: "a3", DeviceID: "d1", Type: enroll.ActionRunInventory, Full: true, CreatedAt: t0.Add(time.Minute)})
	s.DeliverActions(ctx, "d1", t0.Add(time.Minute), time.Minute)
	s.ReportActions(ctx, "d1", []enroll.ActionResult{{ID: "a3", State: enroll.ActionSent, InventoryID: h.ID}}, t0.Add(time.Minute))
	items, err := s.ClaimOutbox(ctx, 5, t0.Add(time.Minute), time.Minute)
	if err != nil || len(items) != 1 || items[0].InventoryID != h.ID {
		t.Fatalf("ClaimOutbox = %+v, %v; want inventory %d", items, err, h.ID)
	}
	if err := s.CompleteOutbox(ctx, &items[0], RelayOK, "done", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	a3, err := s.Action(ctx, "a3")
	if err != nil || a3.State != enroll.ActionRelayed || !a3.Full || a3.InventoryID != h.ID {
		t.Errorf("Action(a3) = %+v, %v; want relayed full run of inventory %d", a3, err, h.ID)
	}
	want := []string{"queued", "delivered", "sent", "relayed"}
	var hist []string
	for _, e := range a3.History {
		hist = append(hist, e.State)
	}
	if !slices.Equal(hist, want) {
		t.Errorf("history = %v, want %v", hist, want)
	}
	if d, _ := s.Device(ctx, "d1"); d.RelayStatus != RelayOK || d.RelayInventoryID != h.ID {
		t.Errorf("device relay = %s %d, want ok %d", d.RelayStatus, d.RelayInventoryID, h.ID)
	}
	list, err := s.DeviceActions(ctx, "d1", 10)
	if err != nil || len(list) != 2 || list[0].ID != "a3" || len(list[1].History) != 4 {
		t.Errorf("DeviceActions = %+v, %v; want a3 then a1 with history", list, err)
	}
	counts, err := s.ActionCounts(ctx)
	if err != nil || counts[enroll.ActionSent] != 1 || counts[enroll.ActionRelayed] != 1 {
		t.Errorf("ActionCounts = %v, %v; want one sent, one relayed", counts, err)
	}
}

func testWatch(t *testing.T, s Store) {
	ctx := t.Context()
	s.CreateKey(ctx, newKey("k1", 0))
	s.Enroll(ctx, newDevice("d1", "k1"), secrets(1), t0, Event{At: t0, Event: "e"})
	seen := make(chan string, 10)
	errc := make(chan error, 1)
	go func() { errc <- s.WatchActions(ctx, func(id string) { seen <- id }) }()
	// Both stores announce "" once the watch is in place.
	select {
	case id := <-seen:
		if id != "" {
			t.Fatalf("WatchActions first said %q, want \"\" once watching", id)
		}
	case err := <-errc:
		t.Fatalf("WatchActions = %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("WatchActions never said it was watching")
	}
	start := time.Now()
	if err := s.QueueAction(ctx, &Action{ID: "w1", DeviceID: "d1", Type: enroll.ActionRunInventory, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-seen:
		if id != "d1" {
			t.Errorf("WatchActions saw %q, want d1", id)
		}
		t.Logf("queued action seen after %v", time.Since(start).Round(time.Millisecond))
	case err := <-errc:
		t.Fatalf("WatchActions = %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("queued action not seen")
	}
}

func testClones(t *testing.T, s Store) {
	ctx := t.Context()
	s.CreateKey(ctx, newKey("k1", 0))
	s.Enroll(ctx, newDevice("d1", "k1"), secrets(1), t0, Event{At: t0, Event: "e"})
	c := &Clone{DeviceID: "d1", KeyID: "k1", FPHash: "fp2", Via: "fingerprint", Policy: ClonePolicyQuarantine, State: ClonePending,
		Signals: []SignalChange{{Signal: "smbios_uuid", Old: "u", New: "u2"}}, DetectedAt: t0}
	got, err := s.RecordClone(ctx, c, Event{At: t0, Event: "clone_suspected", DeviceID: "d1"})
	if err != nil || got.ID == 0 {
		t.Fatalf("RecordClone = %+v, %v", got, err)
	}
	again, err := s.RecordClone(ctx, &Clone{DeviceID: "d1", KeyID: "k1", FPHash: "fp2", Via: "replay", State: CloneForked, DetectedAt: t0}, Event{At: t0, Event: "clone_suspected"})
	if err != nil || again.ID != got.ID || again.State != ClonePending || again.Signals[0].New != "u2" {
		t.Errorf("RecordClone(same newcomer) = %+v, %v; want the first record", again, err)
	}
	if d, _ := s.Device(ctx, "d1"); d.State() != StateCloneSuspected {
		t.Errorf("device state = %s, want clone_suspected", d.State())
	}
	if evs, _ := s.Events(ctx, time.Time{}); len(evs) != 2 { // enroll + one clone_suspected
		t.Errorf("%d audit events, want 2", len(evs))
	}
	if _, err := s.FindClone(ctx, "d1", "other"); !errors.Is(err, ErrNotFound) {
		t.Errorf("FindClone(other) = %v, want ErrNotFound", err)
	}
	n, err := s.ApproveClones(ctx, "d1", t0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Errorf("ApproveClones = %d, %v; want 1", n, err)
	}
	s.CloneEnrolled(ctx, got.ID, "d9")
	found, err := s.FindClone(ctx, "d1", "fp2")
	if err != nil || found.State != CloneApproved || found.NewDeviceID != "d9" || !found.ResolvedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("FindClone = %+v, %v; want approved, now d9", found, err)
	}
	if d, _ := s.Device(ctx, "d1"); d.State() != StateActive {
		t.Errorf("device state after approval = %s, want active", d.State())
	}
	if list, _ := s.Clones(ctx, "d1"); len(list) != 1 {
		t.Errorf("Clones = %+v, want one", list)
	}
	if _, err := s.ApproveClones(ctx, "nope", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("ApproveClones(unknown) = %v, want ErrNotFound", err)
	}

	// One clone at a time: the device is clone_suspected while one waits.
	s.Enroll(ctx, newDevice("d2", "k1"), secrets(2), t0, Event{At: t0, Event: "e"})
	c3, err := s.RecordClone(ctx, &Clone{DeviceID: "d1", KeyID: "k1", FPHash: "fp3", Via: "replay", Policy: ClonePolicyQuarantine,
		State: ClonePending, DetectedAt: t0}, Event{At: t0, Event: "clone_suspected", DeviceID: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	state := func(id string) string {
		d, err := s.Device(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.State()
	}
	t1 := t0.Add(2 * time.Hour)
	for _, step := range []struct{ state, device string }{
		{CloneRejected, StateActive}, {ClonePending, StateCloneSuspected}, {CloneForked, StateActive}, {CloneApproved, StateActive},
	} {
		got, err := s.DecideClone(ctx, "d1", c3.ID, step.state, t1)
		if err != nil || got.ID != c3.ID || got.State != step.state {
			t.Fatalf("DecideClone(%s) = %+v, %v", step.state, got, err)
		}
		if want := t1; step.state == ClonePending {
			if !got.ResolvedAt.IsZero() {
				t.Errorf("DecideClone(pending) resolved at %v, want unresolved", got.ResolvedAt)
			}
		} else if !got.ResolvedAt.Equal(want) {
			t.Errorf("DecideClone(%s) resolved at %v, want %v", step.state, got.ResolvedAt, want)
		}
		if st := state("d1"); st != step.device {
			t.Errorf("after DecideClone(%s) device state = %s, want %s", step.state, st, step.device)
		}
	}
	if found, _ := s.FindClone(ctx, "d1", "fp2"); found.State != CloneApproved {
		t.Errorf("the other clone is %s, want approved still", found.State)
	}
	if _, err := s.DecideClone(ctx, "d2", c3.ID, CloneRejected, t1); !errors.Is(err, ErrNotFound) {
		t.Errorf("DecideClone(another device's clone) = %v, want ErrNotFound", err)
	}
	if _, err := s.DecideClone(ctx, "nope", c3.ID, CloneRejected, t1); !errors.Is(err, ErrNotFound) {
		t.Errorf("DecideClone(unknown device) = %v, want ErrNotFound", err)
	}
	if _, err := s.DecideClone(ctx, "d1", c3.ID, "maybe", t1); err == nil {
		t.Error("DecideClone(unknown state) = nil, want an error")
	}
}

func testEphemeral(t *testing.T, s Store) {
	ctx := t.Context()
	k := newKey("k1", 0)
	k.HostnamePattern, k.Ephemeral, k.ClonePolicy = "", 8*time.Hour, ClonePolicyReject
	s.CreateKey(ctx, k)
	s.CreateKey(ctx, newKey("k2", 0))
	if got, _ := s.Key(ctx, "k1"); got.Ephemeral != 8*time.Hour || got.ClonePolicy != ClonePolicyReject {
		t.Errorf("Key = ephemeral %v policy %s, want 8h reject", got.Ephemeral, got.ClonePolicy)
	}
	if got, _ := s.Key(ctx, "k2"); got.ClonePolicy != ClonePolicyFork {
		t.Errorf("default policy = %q, want fork", got.ClonePolicy)
	}
	s.Enroll(ctx, newDevice("d1", "k1"), secrets(1), t0, Event{At: t0, Event: "e"})
	s.Enroll(ctx, newDevice("p1", "k2"), secrets(2), t0, Event{At: t0, Event: "e"})
	if ids, err := s.RetireIdle(ctx, t0.Add(7*time.Hour)); err != nil || len(ids) != 0 {
		t.Errorf("RetireIdle(7h) = %v, %v; want none", ids, err)
	}
	ids, err := s.RetireIdle(ctx, t0.Add(9*time.Hour))
	if err != nil || !slices.Equal(ids, []string{"d1"}) {
		t.Errorf("RetireIdle(9h) = %v, %v; want [d1] (not the persistent p1)", ids, err)
	}
	if _, err := deviceByInstall(ctx, s, "k1", "inst-d1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeviceByInstall(retired) = %v, want ErrNotFound", err)
	}
	d := newDevice("d2", "k1")
	d.Hostname, d.GLPIDeviceID, d.AgentID = "pc-d1", "fresh-id", "fresh-agent"
	reused, err := s.Enroll(ctx, d, secrets(3), t0.Add(10*time.Hour), Event{At: t0, Event: "e"})
	if err != nil || reused != "d1" || d.GLPIDeviceID != "pc-d1-2026-03-01-10-00-00" || d.AgentID != "agent-d1" {
		t.Errorf("Enroll(same hostname) reused %q, ids %s %s, %v; want d1's", reused, d.GLPIDeviceID, d.AgentID, err)
	}
	if old, _ := s.Device(ctx, "d1"); old.SupersededBy != "d2" {
		t.Errorf("d1 superseded by %q, want d2", old.SupersededBy)
	}
	dup := newDevice("p2", "k2")
	dup.GLPIDeviceID = "pc-p1-2026-03-01-10-00-00"
	if _, err := s.Enroll(ctx, dup, secrets(4), t0, Event{At: t0, Event: "e"}); !errors.Is(err, ErrExists) {
		t.Errorf("Enroll(taken GLPI deviceid) = %v, want ErrExists", err)
	}
	keys, _ := s.Keys(ctx)
	if i := slices.IndexFunc(keys, func(k Key) bool { return k.ID == "k2" }); i < 0 || keys[i].Uses != 1 {
		t.Errorf("key list after a refused enrollment = %+v, want k2 used once", keys)
	}
}
