package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

func TestDeviceLimits(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("OutboxPerDevice", func(t *testing.T) { testOutboxPerDevice(t, open(t)) })
			t.Run("AuditCountPrune", func(t *testing.T) { testAuditCountPrune(t, open(t)) })
			t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, open(t)) })
		})
	}
}

// testOutboxPerDevice: a full inventory supersedes the device's waiting
// ones, never one being posted nor another device's; beyond the limit
// the oldest waiting ones are dropped, partial ones said so.
func testOutboxPerDevice(t *testing.T, s Store) {
	ctx := t.Context()
	s.CreateKey(ctx, newKey("k1", 0))
	for _, id := range []string{"d1", "d2"} {
		s.Enroll(ctx, newDevice(id, "k1"), Secrets{AccessHash: "a" + id, RefreshHash: "r" + id}, t0, Event{At: t0, Event: "e"})
	}
	at := t0
	save := func(dev string, partial bool) *HistoryEntry {
		t.Helper()
		at = at.Add(time.Second)
		inv := &Inventory{DeviceID: dev, ReceivedAt: at, Size: 1, Body: []byte{1}, Sections: map[string]Section{}, Partial: partial}
		h, err := s.SaveInventory(ctx, inv, true, "agent-"+dev, 20, 3)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	status := func(id int64) string {
		t.Helper()
		var st string
		db := rawStore(s)
		if err := db.r.QueryRowContext(ctx, db.q(`SELECT relay_status FROM inventory_history WHERE id = ?`), id).Scan(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	depth := func() int64 {
		n, _ := s.OutboxDepth(ctx)
		return n
	}

	other := save("d2", false)
	f1 := save("d1", false)
	p2 := save("d1", true)
	p3 := save("d1", true)
	if depth() != 4 {
		t.Fatalf("outbox depth = %d, want 4", depth())
	}
	p4 := save("d1", true) // four waiting: the oldest (full) goes
	if p4.Dropped != 1 || p4.DroppedPartial != 0 || status(f1.ID) != RelayDropped {
		t.Errorf("4th inventory: dropped %d (%d partial), f1 %s; want f1 dropped", p4.Dropped, p4.DroppedPartial, status(f1.ID))
	}
	p5 := save("d1", true) // p2 goes, covered by no full inventory
	if p5.Dropped != 1 || p5.DroppedPartial != 1 || status(p2.ID) != RelayDropped {
		t.Errorf("5th inventory: dropped %d (%d partial); want p2, partial", p5.Dropped, p5.DroppedPartial)
	}
	evs, _ := s.Events(ctx, time.Time{})
	var dropped []Event
	for _, ev := range evs {
		if ev.Event == "outbox_dropped" {
			dropped = append(dropped, ev)
		}
	}
	if len(dropped) != 2 || dropped[0].DeviceID != "d1" || strings.Contains(dropped[0].Detail, "partial") || !strings.Contains(dropped[1].Detail, "1 of them partial") {
		t.Errorf("outbox_dropped events = %+v, want two, the second naming a partial inventory", dropped)
	}

	// An action waiting for p4's relay follows the inventory that
	// supersedes it.
	s.QueueAction(ctx, &Action{ID: "a1", DeviceID: "d1", Type: enroll.ActionRunInventory, CreatedAt: at})
	s.DeliverActions(ctx, "d1", at, time.Minute)
	s.ReportActions(ctx, "d1", []enroll.ActionResult{{ID: "a1", State: enroll.ActionSent, InventoryID: p4.ID}}, at)

	// p3 is being posted when a full inventory arrives: it stays; p4
	// and p5 are superseded.
	items, err := s.ClaimOutbox(ctx, 10, at, time.Hour)
	if err != nil || len(items) != 2 || items[1].InventoryID != p3.ID {
		t.Fatalf("ClaimOutbox = %+v, %v; want the oldest of each device, p3 for d1", items, err)
	}
	f6 := save("d1", false)
	if f6.Superseded != 2 || status(p4.ID) != RelaySuperseded || status(p5.ID) != RelaySuperseded || status(p3.ID) != RelayQueued {
		t.Errorf("full inventory: superseded %d, p3 %s p4 %s p5 %s; want p4, p5 superseded, p3 queued",
			f6.Superseded, status(p3.ID), status(p4.ID), status(p5.ID))
	}
	if depth() != 3 || status(other.ID) != RelayQueued {
		t.Errorf("outbox depth = %d (d2's %s), want p3, f6 and d2's", depth(), status(other.ID))
	}
	evs, _ = s.Events(ctx, time.Time{})
	found := false
	for _, ev := range evs {
		if ev.Event == "outbox_superseded" && ev.DeviceID == "d1" && strings.Contains(ev.Detail, "full inventory") {
			found = true
		}
	}
	if !found {
		t.Errorf("no outbox_superseded event in %+v", evs)
	}
	s.CompleteOutbox(ctx, &items[1], RelayOK, "", at)
	if a, _ := s.Action(ctx, "a1"); a.State != enroll.ActionSent || a.InventoryID != f6.ID {
		t.Errorf("action of p4 = %s for inventory %d, want sent, waiting for f6 (%d)", a.State, a.InventoryID, f6.ID)
	}
	next, err := s.ClaimOutbox(ctx, 10, at, time.Hour)
	if err != nil || len(next) != 1 || next[0].InventoryID != f6.ID {
		t.Fatalf("ClaimOutbox = %+v, %v; want f6", next, err)
	}
	s.CompleteOutbox(ctx, &next[0], RelayOK, "", at)
	if a, _ := s.Action(ctx, "a1"); a.State != enroll.ActionRelayed {
		t.Errorf("action of p4 = %s after f6 was relayed, want relayed", a.State)
	}
}

// rawStore returns the SQL store behind s.
func rawStore(s Store) *sqlStore {
	if p, ok := s.(*postgresStore); ok {
		return p.sqlStore
	}
	return s.(*sqlStore)
}

// testAuditCountPrune: CountEvent keeps one row per source, event, reason
// and window; PruneEvents deletes what is older than its cut, in batches.
func testAuditCountPrune(t *testing.T, s Store) {
	ctx := t.Context()
	ev := func(at time.Time, src, reason string) Event {
		return Event{At: at, Event: "enroll_rejected", SourceIP: src, Reason: reason, KeyID: "k"}
	}
	for i := range 50 {
		at := t0.Add(time.Duration(i) * time.Second)
		for _, e := range []Event{ev(at, "192.0.2.1", "key_invalid"), ev(at, "192.0.2.1", "rate_limited"), ev(at, "2001:db8::/64", "rate_limited")} {
			if err := s.CountEvent(ctx, e, 10*time.Minute); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.CountEvent(ctx, ev(t0.Add(10*time.Minute), "192.0.2.1", "key_invalid"), 10*time.Minute) // next window
	s.AddEvent(ctx, Event{At: t0, Event: "enroll_rejected", SourceIP: "192.0.2.1", Reason: "key_invalid"})
	evs, err := s.Events(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %s %s %d", e.At.Format("15:04:05"), e.SourceIP, e.Reason, e.Occurrences))
	}
	want := []string{"10:00:00 192.0.2.1 key_invalid 50", "10:00:00 192.0.2.1 rate_limited 50", "10:00:00 2001:db8::/64 rate_limited 50",
		"10:10:00 192.0.2.1 key_invalid 1", "10:00:00 192.0.2.1 key_invalid 1"}
	if !slices.Equal(got, want) {
		t.Errorf("audit = %q, want %q", got, want)
	}

	db := rawStore(s)
	err = db.tx(ctx, func(tx txn) error {
		for i := range pruneBatch + 10 {
			if err := db.addEvent(ctx, tx, Event{At: t0.Add(-time.Hour - time.Duration(i)*time.Millisecond), Event: "old"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneEvents(ctx, t0)
	if err != nil || n != pruneBatch+10 {
		t.Errorf("PruneEvents = %d, %v; want %d", n, err, pruneBatch+10)
	}
	if evs, _ := s.Events(ctx, time.Time{}); len(evs) != len(want) {
		t.Errorf("%d events left, want %d", len(evs), len(want))
	}
}

// testIdempotency: an inventory saved again with its idempotency key is
// the first one, with its id and time; no key, or the key of another
// device, makes a new inventory; the changed sections are the previous
// inventory's to this one.
func testIdempotency(t *testing.T, s Store) {
	ctx := t.Context()
	s.CreateKey(ctx, newKey("k1", 0))
	for _, id := range []string{"d1", "d2"} {
		s.Enroll(ctx, newDevice(id, "k1"), Secrets{AccessHash: "a" + id, RefreshHash: "r" + id}, t0, Event{At: t0, Event: "e"})
	}
	save := func(dev, key string, at time.Time, cpu string) *HistoryEntry {
		t.Helper()
		inv := &Inventory{DeviceID: dev, ReceivedAt: at, Size: 1, Body: []byte{1}, IdempotencyKey: key,
			Sections: map[string]Section{"cpus": {Hash: cpu}, "bios": {Hash: "b"}}}
		h, err := s.SaveInventory(ctx, inv, true, "agent-"+dev, 20, 8)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	first := save("d1", "k-1", t0, "c1")
	if first.Duplicate || !slices.Equal(first.Changed, []string{"bios", "cpus"}) {
		t.Errorf("first inventory: duplicate %v, changed %v; want new, every section", first.Duplicate, first.Changed)
	}
	again := save("d1", "k-1", t0.Add(time.Minute), "c2")
	if !again.Duplicate || again.ID != first.ID || !again.ReceivedAt.Equal(t0) {
		t.Errorf("sent again = %+v, want inventory %d of %v", again, first.ID, t0)
	}
	other := save("d2", "k-1", t0.Add(time.Minute), "c1")
	if other.Duplicate || other.ID == first.ID {
		t.Errorf("another device's inventory with the same key = %+v, want a new one", other)
	}
	for i := range 2 {
		h := save("d1", "", t0.Add(time.Duration(2+i)*time.Minute), "c2")
		if h.Duplicate {
			t.Errorf("inventory %d without a key taken for a repeat", i)
		}
		if want := []string{"cpus"}; i == 0 && !slices.Equal(h.Changed, want) {
			t.Errorf("changed = %v, want %v", h.Changed, want)
		}
	}
}
