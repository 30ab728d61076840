package store

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkRelayCycle is an inventory's life in a SQLite store as the
// service lives it: saved with its outbox item, claimed by the relay,
// completed. The body is 30 KB that does not compress, as the agents'
// zlib inventories are; 64 devices take turns.
func BenchmarkRelayCycle(b *testing.B) {
	ctx := b.Context()
	s, err := OpenSQLite(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.CreateKey(ctx, newKey("k1", 0))
	const devices = 64
	for i := range devices {
		id := fmt.Sprintf("d%d", i)
		if _, err := s.Enroll(ctx, newDevice(id, "k1"), Secrets{AccessHash: "a" + id, RefreshHash: "r" + id}, t0, Event{At: t0, Event: "e"}); err != nil {
			b.Fatal(err)
		}
	}
	body := make([]byte, 30<<10)
	rand.Read(body)
	at := t0
	i := 0
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(time.Second)
		inv := &Inventory{DeviceID: fmt.Sprintf("d%d", i%devices), ReceivedAt: at, Size: int64(len(body)), Body: body, Sections: map[string]Section{"cpus": {Hash: "h", Items: 1}}}
		i++
		if _, err := s.SaveInventory(ctx, inv, true, "agent", 5, 8); err != nil {
			b.Fatal(err)
		}
		items, err := s.ClaimOutbox(ctx, 1, at, time.Minute)
		if err != nil || len(items) != 1 {
			b.Fatalf("claimed %d items: %v", len(items), err)
		}
		if err := s.CompleteOutbox(ctx, &items[0], RelayOK, "", at); err != nil {
			b.Fatal(err)
		}
	}
}

// On SQLite, claiming an item, renewing and releasing its lease write
// its lease, not the outbox row again with its body. (A retry also counts
// its attempt in the row: SQLite writes the row again when the count
// takes a byte more, at the second retry and the 128th; an outage's cost,
// not every inventory's.)
func TestLeasesDoNotRewriteBodies(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s, err := OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.CreateKey(ctx, newKey("k1", 0))
	if _, err := s.Enroll(ctx, newDevice("d1", "k1"), Secrets{AccessHash: "a", RefreshHash: "r"}, t0, Event{At: t0, Event: "e"}); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 256<<10)
	rand.Read(body)
	inv := &Inventory{DeviceID: "d1", ReceivedAt: t0, Size: int64(len(body)), Body: body, Sections: map[string]Section{}}
	if _, err := s.SaveInventory(ctx, inv, true, "agent", 5, 8); err != nil {
		t.Fatal(err)
	}
	wal := filepath.Join(dir, SQLiteFile+"-wal")
	written := func(step string, f func() error) {
		t.Helper()
		if _, err := rawStore(s).w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		if err := f(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		fi, err := os.Stat(wal)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > int64(len(body))/4 {
			t.Errorf("%s wrote %d bytes to the WAL: the %d-byte body again", step, fi.Size(), len(body))
		}
	}
	var items []OutboxItem
	written("claim", func() (err error) {
		items, err = s.ClaimOutbox(ctx, 1, t0, time.Minute)
		if err == nil && len(items) != 1 {
			err = fmt.Errorf("claimed %d items", len(items))
		}
		return err
	})
	written("renewal", func() error { return s.ExtendOutbox(ctx, []int64{items[0].ID}, t0.Add(2*time.Minute)) })
	written("release for a retry", func() error { return s.RetryOutbox(ctx, &items[0], t0.Add(time.Minute), "GLPI down", t0) })
	written("recovery", func() error { return s.RecoverLeases(ctx) })
}
