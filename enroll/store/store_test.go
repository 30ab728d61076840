package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store/pgtest"
)

// PostgresEnv names the variable holding a PostgreSQL URL for the tests.
const PostgresEnv = "GLPI_ENROLLD_TEST_DATABASE"

// backends returns an opener per available back end; each call gives an
// empty database.
func backends(t *testing.T) map[string]func(t *testing.T) Store {
	b := map[string]func(t *testing.T) Store{
		"sqlite": func(t *testing.T) Store {
			s, err := OpenSQLite(t.Context(), t.TempDir())
			if err != nil {
				t.Fatalf("OpenSQLite: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	// Always listed: without a test database the PostgreSQL subtests show
	// as skipped with the reason, and fail under CI (pgtest.Schema).
	b["postgres"] = openTestPostgres
	return b
}

// openTestPostgres opens a Store in a fresh schema of the test database,
// dropped when the test ends.
func openTestPostgres(t *testing.T) Store {
	t.Helper()
	s, err := OpenPostgres(t.Context(), pgtest.Schema(t))
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func newKey(id string, maxUses int64) *Key {
	return &Key{ID: id, Hash: "h-" + id, Tag: "SITE-" + id, CreatedAt: t0, MaxUses: maxUses,
		AllowCIDRs: []string{"10.0.0.0/8", "192.0.2.0/24"}, HostnamePattern: "pc-*"}
}

func newDevice(id, keyID string) *Device {
	return &Device{ID: id, KeyID: keyID, Tag: "SITE", Hostname: "pc-" + id, GLPIDeviceID: "pc-" + id + "-2026-03-01-10-00-00",
		AgentID: "agent-" + id, OS: "linux", Arch: "amd64", AgentVersion: "1.0", InstallID: "inst-" + id,
		Fingerprint: enroll.Fingerprint{InstallID: "inst-" + id, MachineID: "m", SMBIOSUUID: "u", Serial: "s", MACs: []string{"a1", "b2"}},
		SourceIP:    "10.1.2.3", CreatedAt: t0, LastSeenAt: t0}
}

func secrets(n int) Secrets {
	return Secrets{AccessHash: fmt.Sprintf("access-%d", n), AccessExpiresAt: t0.Add(time.Hour),
		RefreshHash: fmt.Sprintf("refresh-%d", n), ReplaceHash: fmt.Sprintf("replace-%d", n)}
}

func TestStore(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("Keys", func(t *testing.T) { testKeys(t, open(t)) })
			t.Run("EnrollUses", func(t *testing.T) { testEnrollUses(t, open(t)) })
			t.Run("ConcurrentUses", func(t *testing.T) { testConcurrentUses(t, open(t)) })
			t.Run("Refresh", func(t *testing.T) { testRefresh(t, open(t)) })
			t.Run("Inventory", func(t *testing.T) { testInventory(t, open(t)) })
			t.Run("Outbox", func(t *testing.T) { testOutbox(t, open(t)) })
			t.Run("Audit", func(t *testing.T) { testAudit(t, open(t)) })
			t.Run("Setting", func(t *testing.T) { testSetting(t, open(t)) })
			t.Run("Actions", func(t *testing.T) { testActions(t, open(t)) })
			t.Run("Watch", func(t *testing.T) { testWatch(t, open(t)) })
			t.Run("Clones", func(t *testing.T) { testClones(t, open(t)) })
			t.Run("Ephemeral", func(t *testing.T) { testEphemeral(t, open(t)) })
			t.Run("DailyEvents", func(t *testing.T) { testDailyEvents(t, open(t)) })
		})
	}
}

func testKeys(t *testing.T, s Store) {
	ctx := t.Context()
	k := newKey("k1", 5)
	k.ExpiresAt = t0.Add(24 * time.Hour)
	if err := s.CreateKey(ctx, k); err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	if err := s.CreateKey(ctx, k); !errors.Is(err, ErrExists) {
		t.Errorf("CreateKey(duplicate) = %v, want ErrExists", err)
	}
	got, err := s.Key(ctx, "k1")
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if got.Hash != k.Hash || got.Tag != k.Tag || !got.ExpiresAt.Equal(k.ExpiresAt) || !slices.Equal(got.AllowCIDRs, k.AllowCIDRs) || got.HostnamePattern != "pc-*" {
		t.Errorf("Key(k1) = %+v, want %+v", got, k)
	}
	if _, err := s.Key(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Key(nope) = %v, want ErrNotFound", err)
	}
	if err := s.RevokeKey(ctx, "k1", t0.Add(time.Minute)); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	keys, err := s.Keys(ctx)
	if err != nil || len(keys) != 1 || keys[0].State(t0) != KeyRevoked {
		t.Errorf("Keys() = %+v, %v; want one revoked key", keys, err)
	}
	if err := s.RevokeKey(ctx, "nope", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("RevokeKey(nope) = %v, want ErrNotFound", err)
	}
}

func testEnrollUses(t *testing.T, s Store) {
	ctx := t.Context()
	if err := s.CreateKey(ctx, newKey("k1", 2)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		d := newDevice(fmt.Sprint("d", i), "k1")
		_, err := s.Enroll(ctx, d, secrets(i), t0, Event{At: t0, Event: "enroll_succeeded", KeyID: "k1"})
		if want := i >= 2; errors.Is(err, ErrKeyUnavailable) != want {
			t.Fatalf("Enroll #%d = %v, want unavailable %v", i, err, want)
		}
	}
	k, _ := s.Key(ctx, "k1")
	if k.Uses != 2 || k.State(t0) != KeyExhausted {
		t.Errorf("key uses = %d, state %s; want 2, exhausted", k.Uses, k.State(t0))
	}
	d, err := deviceByInstall(ctx, s, "k1", "inst-d1")
	if err != nil {
		t.Fatalf("DeviceByInstall: %v", err)
	}
	want := newDevice("d1", "k1")
	want.Generation, want.ReplaceHash = 1, "replace-1"
	if d.ID != want.ID || d.GLPIDeviceID != want.GLPIDeviceID || d.Generation != 1 || d.ReplaceHash != want.ReplaceHash ||
		!slices.Equal(d.Fingerprint.MACs, want.Fingerprint.MACs) || d.Fingerprint.InstallID != "" || !d.CreatedAt.Equal(t0) {
		t.Errorf("DeviceByInstall = %+v, want %+v", d, want)
	}
	got, exp, err := s.Authenticate(ctx, "access-1")
	if err != nil || got.ID != "d1" || !exp.Equal(t0.Add(time.Hour)) {
		t.Errorf("Authenticate(access-1) = %v, %v, %v; want d1", got, exp, err)
	}
	if _, _, err := s.Authenticate(ctx, "access-9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Authenticate(unknown) = %v, want ErrNotFound", err)
	}
	gen, err := s.Reissue(ctx, "d1", "", Secrets{AccessHash: "access-r", AccessExpiresAt: t0.Add(time.Hour), RefreshHash: "refresh-r"}, t0, Event{At: t0, Event: "reissued"})
	if err != nil || gen != 2 {
		t.Errorf("Reissue = %d, %v; want 2", gen, err)
	}
	if d, _ := s.Device(ctx, "d1"); d.ReplaceHash != "replace-1" {
		t.Errorf("Reissue without replace hash changed it to %q", d.ReplaceHash)
	}
	// The key a request presented is checked in the transaction: a key
	// used up, revoked or expired gives back no device, whatever the
	// caller read of it before.
	if _, err := s.Reissue(ctx, "d1", "k1", secrets(8), t0, Event{At: t0, Event: "x"}); !errors.Is(err, ErrKeyUnavailable) {
		t.Errorf("Reissue with a used-up key = %v, want ErrKeyUnavailable", err)
	}
	if err := s.CreateKey(ctx, newKey("k2", 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reissue(ctx, "d1", "k2", secrets(8), t0, Event{At: t0, Event: "x"}); err != nil {
		t.Errorf("Reissue with a usable key = %v", err)
	}
	if err := s.RevokeKey(ctx, "k2", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reissue(ctx, "d1", "k2", secrets(9), t0, Event{At: t0, Event: "x"}); !errors.Is(err, ErrKeyUnavailable) {
		t.Errorf("Reissue with a revoked key = %v, want ErrKeyUnavailable", err)
	}
	// A key without a use limit is only read: revoked or expired, it
	// enrolls nothing.
	if _, err := s.Enroll(ctx, newDevice("d8", "k2"), secrets(10), t0, Event{At: t0, Event: "e"}); !errors.Is(err, ErrKeyUnavailable) {
		t.Errorf("Enroll with a revoked key = %v, want ErrKeyUnavailable", err)
	}
	expiring := newKey("k3", 0)
	expiring.ExpiresAt = t0.Add(time.Hour)
	if err := s.CreateKey(ctx, expiring); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enroll(ctx, newDevice("d8", "k3"), secrets(10), t0.Add(time.Hour), Event{At: t0, Event: "e"}); !errors.Is(err, ErrKeyUnavailable) {
		t.Errorf("Enroll with an expired key = %v, want ErrKeyUnavailable", err)
	}
	if _, err := s.Enroll(ctx, newDevice("d8", "k3"), secrets(10), t0, Event{At: t0, Event: "e"}); err != nil {
		t.Errorf("Enroll with a key an hour from its end = %v", err)
	}
	if err := s.RevokeDevice(ctx, "d1", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := deviceByInstall(ctx, s, "k1", "inst-d1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeviceByInstall(revoked) = %v, want ErrNotFound", err)
	}
	if _, err := s.Reissue(ctx, "d1", "", secrets(7), t0, Event{At: t0, Event: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Reissue(revoked) = %v, want ErrNotFound", err)
	}
	devs, err := s.Devices(ctx)
	if err != nil || len(devs) != 3 {
		t.Errorf("Devices() = %d devices, %v; want 3 (two of k1, d8 of k3)", len(devs), err)
	}
}

func testConcurrentUses(t *testing.T, s Store) {
	ctx := t.Context()
	const maxUses, tries = 5, 30
	if err := s.CreateKey(ctx, newKey("k1", maxUses)); err != nil {
		t.Fatal(err)
	}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		ok int
	)
	for i := range tries {
		wg.Go(func() {
			_, err := s.Enroll(ctx, newDevice(fmt.Sprint("d", i), "k1"), secrets(i), t0, Event{At: t0, Event: "e"})
			if err != nil && !errors.Is(err, ErrKeyUnavailable) {
				t.Errorf("Enroll: %v", err)
			}
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	k, _ := s.Key(ctx, "k1")
	if ok != maxUses || k.Uses != maxUses {
		t.Errorf("%d concurrent enrollments on a %d-use key: %d succeeded, uses %d", tries, maxUses, ok, k.Uses)
	}
}

func testRefresh(t *testing.T, s Store) {
	ctx := t.Context()
	s.CreateKey(ctx, newKey("k1", 0))
	if _, err := s.Enroll(ctx, newDevice("d1", "k1"), secrets(1), t0, Event{At: t0, Event: "e"}); err != nil {
		t.Fatal(err)
	}
	grace := 2 * time.Minute
	steps := []struct {
		name      string
		presented string
		at        time.Duration
		want      RefreshOutcome
		wantGen   int64
	}{
		{"current secret rotates", "refresh-1", time.Minute, Rotated, 2},
		{"previous secret within grace", "refresh-1", 2 * time.Minute, ReplayedInGrace, 3},
		{"unknown secret", "bogus", 2 * time.Minute, BadSecret, 3},
		{"current secret rotates again", "refresh-3", 5 * time.Minute, Rotated, 4},
		{"previous secret after grace", "refresh-3", 8 * time.Minute, Replayed, 3},
		{"older spent secret", "refresh-1", 8 * time.Minute, Replayed, 1},
	}
	for i, st := range steps {
		next := secrets(i + 2)
		next.RefreshHash = fmt.Sprintf("refresh-%d", st.wantGen)
		got, gen, err := s.Refresh(ctx, "d1", st.presented, next, t0.Add(st.at), grace)
		if err != nil || got != st.want || gen != st.wantGen {
			t.Errorf("%s: Refresh(%s) = %v, %d, %v; want %v, %d", st.name, st.presented, got, gen, err, st.want, st.wantGen)
		}
	}
	for _, tt := range []struct {
		presented string
		want      bool
	}{{"refresh-4", true}, {"refresh-3", true}, {"refresh-1", true}, {"bogus", false}} {
		if got, err := s.MatchRefresh(ctx, "d1", tt.presented); got != tt.want || err != nil {
			t.Errorf("MatchRefresh(%s) = %v, %v; want %v", tt.presented, got, err, tt.want)
		}
	}
	if _, _, err := s.Refresh(ctx, "nope", "x", secrets(9), t0, grace); !errors.Is(err, ErrNotFound) {
		t.Errorf("Refresh(unknown device) = %v, want ErrNotFound", err)
	}
	s.RevokeDevice(ctx, "d1", t0)
	if got, _, err := s.Refresh(ctx, "d1", "refresh-4", secrets(10), t0.Add(9*time.Minute), grace); got != DeviceRevoked || err != nil {
		t.Errorf("Refresh(revoked) = %v, %v; want DeviceRevoked", got, err)
	}
}

func testInventory(t *testing.T, s Store) {
	ctx := t.Context()
	s.CreateKey(ctx, newKey("k1", 0))
	s.Enroll(ctx, newDevice("d1", "k1"), secrets(1), t0, Event{At: t0, Event: "e"})
	if _, err := s.Inventory(ctx, "d1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Inventory(before any) = %v, want ErrNotFound", err)
	}
	versions := []map[string]Section{
		{"hardware": {"h1", 1}, "softwares": {"s1", 900}},
		{"hardware": {"h1", 1}, "softwares": {"s2", 901}},
		{"hardware": {"h1", 1}, "cpus": {"c1", 2}},
	}
	wantChanged := [][]string{{"hardware", "softwares"}, {"softwares"}, {"cpus", "softwares"}}
	for i := range 25 {
		v := i % len(versions)
		if i >= len(versions) {
			v = len(versions) - 1
		}
		inv := &Inventory{DeviceID: "d1", ReceivedAt: t0.Add(time.Duration(i) * time.Minute), Size: int64(100 + i), Body: []byte{byte(i)}, Sections: versions[v]}
		h, err := s.SaveInventory(ctx, inv, false, "", 20, 0)
		if err != nil {
			t.Fatalf("SaveInventory #%d: %v", i, err)
		}
		want := []string{}
		if i < len(wantChanged) {
			want = wantChanged[i]
		}
		if !slices.Equal(h.Changed, want) {
			t.Errorf("SaveInventory #%d changed = %v, want %v", i, h.Changed, want)
		}
	}
	inv, err := s.Inventory(ctx, "d1")
	if err != nil || inv.Size != 124 || inv.Body[0] != 24 || inv.Sections["cpus"].Items != 2 {
		t.Errorf("Inventory = %+v, %v; want the 25th", inv, err)
	}
	hist, err := s.History(ctx, "d1")
	if err != nil || len(hist) != 20 || hist[0].Size != 124 || hist[19].Size != 105 {
		t.Errorf("History = %d entries, %v; want the last 20, newest first", len(hist), err)
	}
	if n, _ := s.OutboxDepth(ctx); n != 0 {
		t.Errorf("OutboxDepth without relay = %d, want 0", n)
	}
}

func testOutbox(t *testing.T, s Store) {
	ctx := t.Context()
	s.CreateKey(ctx, newKey("k1", 0))
	for _, id := range []string{"d1", "d2"} {
		s.Enroll(ctx, newDevice(id, "k1"), Secrets{AccessHash: "a" + id, RefreshHash: "r" + id}, t0, Event{At: t0, Event: "e"})
	}
	save := func(dev string, b byte) {
		t.Helper()
		// Partial after the first: a full one would supersede the
		// waiting ones (testOutboxPerDevice).
		inv := &Inventory{DeviceID: dev, ReceivedAt: t0, Size: 1, Body: []byte{b}, Sections: map[string]Section{}, Partial: b > 1}
		if _, err := s.SaveInventory(ctx, inv, true, "agent-"+dev, 20, 0); err != nil {
			t.Fatal(err)
		}
	}
	save("d1", 1)
	save("d1", 2)
	save("d2", 3)
	if n, err := s.OutboxDepth(ctx); n != 3 || err != nil {
		t.Errorf("OutboxDepth = %d, %v; want 3", n, err)
	}
	lease := time.Minute
	items, err := s.ClaimOutbox(ctx, 10, t0, lease)
	if err != nil {
		t.Fatal(err)
	}
	bodies := func(items []OutboxItem) []byte {
		var b []byte
		for _, it := range items {
			b = append(b, it.Body...)
		}
		return b
	}
	if got := bodies(items); !slices.Equal(got, []byte{1, 3}) {
		t.Fatalf("first claim bodies = %v, want [1 3] (oldest per device)", got)
	}
	if items[0].AgentID != "agent-d1" {
		t.Errorf("AgentID = %q, want agent-d1", items[0].AgentID)
	}
	if again, _ := s.ClaimOutbox(ctx, 10, t0.Add(time.Second), lease); len(again) != 0 {
		t.Errorf("claim while leased = %v, want nothing", bodies(again))
	}
	if err := s.RetryOutbox(ctx, &items[0], t0.Add(10*time.Second), "GLPI down", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteOutbox(ctx, &items[1], "ok", "", t0); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Device(ctx, "d1"); d.RelayStatus != "retrying" || d.RelayMessage != "GLPI down" {
		t.Errorf("d1 relay = %q %q, want retrying, GLPI down", d.RelayStatus, d.RelayMessage)
	}
	if d, _ := s.Device(ctx, "d2"); d.RelayStatus != "ok" {
		t.Errorf("d2 relay = %q, want ok", d.RelayStatus)
	}
	if early, _ := s.ClaimOutbox(ctx, 10, t0.Add(5*time.Second), lease); len(early) != 0 {
		t.Errorf("claim before retry time = %v, want nothing", bodies(early))
	}
	items, _ = s.ClaimOutbox(ctx, 10, t0.Add(11*time.Second), lease)
	if got := bodies(items); !slices.Equal(got, []byte{1}) || items[0].Attempts != 1 {
		t.Fatalf("claim after retry time = %v (attempts %d), want [1] with 1 attempt", got, items[0].Attempts)
	}
	s.CompleteOutbox(ctx, &items[0], "ok", "", t0)
	items, _ = s.ClaimOutbox(ctx, 10, t0.Add(12*time.Second), lease)
	if got := bodies(items); !slices.Equal(got, []byte{2}) {
		t.Errorf("claim after first relayed = %v, want [2]", got)
	}
	// A worker still posting extends its lease; once it stops (a crash),
	// the item is claimable again when the lease expires.
	if err := s.ExtendOutbox(ctx, []int64{items[0].ID}, t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.ClaimOutbox(ctx, 10, t0.Add(2*time.Minute), lease); len(again) != 0 {
		t.Errorf("claim within the extended lease = %v, want nothing", bodies(again))
	}
	items, _ = s.ClaimOutbox(ctx, 10, t0.Add(3*time.Minute+time.Second), lease)
	if got := bodies(items); !slices.Equal(got, []byte{2}) {
		t.Errorf("claim after lease expiry = %v, want [2]", got)
	}
	// A released item (retry) is not claimed back by a late extension.
	if err := s.RetryOutbox(ctx, &items[0], t0.Add(4*time.Minute), "GLPI down", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.ExtendOutbox(ctx, []int64{items[0].ID}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.ClaimOutbox(ctx, 10, t0.Add(4*time.Minute+time.Second), lease); len(again) != 1 {
		t.Errorf("claim of a released item extended afterwards = %d items, want 1", len(again))
	}
}

func testAudit(t *testing.T, s Store) {
	ctx := t.Context()
	for i, name := range []string{"a", "b", "c"} {
		if err := s.AddEvent(ctx, Event{At: t0.Add(time.Duration(i) * time.Hour), Event: name, KeyID: "k", SourceIP: "192.0.2.1", Reason: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.Events(ctx, t0.Add(time.Hour))
	if err != nil || len(evs) != 2 || evs[0].Event != "b" || evs[1].Event != "c" || evs[0].SourceIP != "192.0.2.1" {
		t.Errorf("Events(since 1h) = %+v, %v; want b, c", evs, err)
	}
}

func testSetting(t *testing.T, s Store) {
	ctx := t.Context()
	v, err := s.Setting(ctx, "secret", "first")
	if err != nil || v != "first" {
		t.Errorf("Setting(new) = %q, %v; want first", v, err)
	}
	if v, _ := s.Setting(ctx, "secret", "second"); v != "first" {
		t.Errorf("Setting(existing) = %q, want first", v)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// TestMigrateIdempotent reopens a database and checks migrations are not
// applied twice.
func TestMigrateIdempotent(t *testing.T) {
	dir := t.TempDir()
	files, err := migrations.ReadDir("migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s, err := OpenSQLite(context.Background(), dir)
		if err != nil {
			t.Fatalf("OpenSQLite: %v", err)
		}
		var n int
		if err := s.(*sqlStore).r.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
			t.Errorf("schema_migrations rows = %d, %v; want %d", n, err, len(files))
		}
		s.Close()
	}
}

// testDailyEvents: a day is counted from the audit once it is over
// (DayClosedAfter past midnight) and read from its counts after; the
// open days are counted at each call; pruning the audit prunes the counts.
func testDailyEvents(t *testing.T, st Store) {
	ctx := t.Context()
	s := st.(ConsoleStore)
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	add := func(at time.Time, event, reason string) {
		t.Helper()
		if err := st.AddEvent(ctx, Event{At: at, Event: event, Reason: reason}); err != nil {
			t.Fatal(err)
		}
	}
	add(day.AddDate(0, 0, -2).Add(10*time.Hour), "enroll_succeeded", "")
	add(day.AddDate(0, 0, -2).Add(11*time.Hour), "enroll_succeeded", "")
	add(day.AddDate(0, 0, -2).Add(11*time.Hour), "other", "")
	for range 3 {
		if err := st.CountEvent(ctx, Event{At: day.AddDate(0, 0, -2).Add(12 * time.Hour), Event: "enroll_rejected", Reason: "key_expired", SourceIP: "192.0.2.1"}, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	add(day.Add(9*time.Hour), "enroll_succeeded", "")
	read := func(now time.Time) string {
		t.Helper()
		got, err := s.DailyEvents(ctx, day.AddDate(0, 0, -3).Add(5*time.Hour), now, "enroll_succeeded", "enroll_rejected")
		if err != nil {
			t.Fatalf("DailyEvents: %v", err)
		}
		var b strings.Builder
		for _, c := range got {
			fmt.Fprintf(&b, "%s %s %s %d; ", c.Day.Format("01-02"), c.Event, c.Reason, c.Count)
		}
		return b.String()
	}
	check := func(now time.Time, want string) {
		t.Helper()
		if got := read(now); got != want {
			t.Errorf("DailyEvents(now %s) = %q, want %q", now.Format("01-02 15:04"), got, want)
		}
	}
	noon := day.Add(12 * time.Hour)
	check(noon, "03-08 enroll_rejected key_expired 3; 03-08 enroll_succeeded  2; 03-10 enroll_succeeded  1; ")
	// 03-08 is counted for good; 03-10 is still open.
	add(day.AddDate(0, 0, -2).Add(13*time.Hour), "enroll_succeeded", "")
	add(day.Add(13*time.Hour), "enroll_succeeded", "")
	check(noon, "03-08 enroll_rejected key_expired 3; 03-08 enroll_succeeded  2; 03-10 enroll_succeeded  2; ")
	// Just past midnight the day before stays open for DayClosedAfter.
	after := day.AddDate(0, 0, 1).Add(DayClosedAfter / 2)
	check(after, "03-08 enroll_rejected key_expired 3; 03-08 enroll_succeeded  2; 03-10 enroll_succeeded  2; ")
	add(day.Add(23*time.Hour+59*time.Minute), "enroll_succeeded", "")
	later := day.AddDate(0, 0, 1).Add(2 * DayClosedAfter)
	check(later, "03-08 enroll_rejected key_expired 3; 03-08 enroll_succeeded  2; 03-10 enroll_succeeded  3; ")
	add(day.Add(23*time.Hour+59*time.Minute), "enroll_succeeded", "")
	check(later, "03-08 enroll_rejected key_expired 3; 03-08 enroll_succeeded  2; 03-10 enroll_succeeded  3; ")

	// Pruning the audit before 03-10 prunes the counts of the days before.
	if _, err := st.PruneEvents(ctx, day); err != nil {
		t.Fatal(err)
	}
	check(later, "03-10 enroll_succeeded  3; ")
}

// deviceByInstall is the newest of DevicesByInstall, or ErrNotFound.
func deviceByInstall(ctx context.Context, s Store, keyID, installID string) (*Device, error) {
	devs, err := s.DevicesByInstall(ctx, keyID, installID)
	if err != nil {
		return nil, err
	}
	if len(devs) == 0 {
		return nil, ErrNotFound
	}
	return devs[0], nil
}
