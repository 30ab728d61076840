package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/store/pgtest"
)

// sqlOf is the sqlStore under a Store of either back end.
func sqlOf(s Store) *sqlStore {
	if p, ok := s.(*postgresStore); ok {
		return p.sqlStore
	}
	return s.(*sqlStore)
}

// TestInstallIDHashedAtRest: the install id, a re-enrollment credential, is
// stored only as its hash and never read back; the clear ids of devices
// enrolled before are hashed when the service starts.
func TestInstallIDHashedAtRest(t *testing.T) {
	openers := map[string]func(t *testing.T) func() Store{
		"sqlite": func(t *testing.T) func() Store {
			dir := t.TempDir()
			return func() Store {
				s, err := OpenSQLite(t.Context(), dir)
				if err != nil {
					t.Fatalf("OpenSQLite: %v", err)
				}
				return s
			}
		},
	}
	if pgtest.URL() != "" {
		openers["postgres"] = func(t *testing.T) func() Store {
			dsn := pgtest.Schema(t)
			return func() Store {
				s, err := OpenPostgres(t.Context(), dsn)
				if err != nil {
					t.Fatalf("OpenPostgres: %v", err)
				}
				return s
			}
		}
	}
	for name, opener := range openers {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			open := opener(t)
			s := open()
			if err := s.CreateKey(ctx, newKey("k1", 0)); err != nil {
				t.Fatal(err)
			}
			for i, id := range []string{"d1", "d2"} {
				if _, err := s.Enroll(ctx, newDevice(id, "k1"), secrets(i), t0, Event{At: t0, Event: "enroll_succeeded"}); err != nil {
					t.Fatal(err)
				}
			}
			stored := func(s Store, id string) (clear, hash string) {
				t.Helper()
				r := sqlOf(s)
				if err := r.r.QueryRowContext(ctx, r.q(`SELECT install_id, install_hash FROM devices WHERE id = ?`), id).Scan(&clear, &hash); err != nil {
					t.Fatal(err)
				}
				return clear, hash
			}
			if clear, hash := stored(s, "d1"); clear != "" || hash != InstallHash("inst-d1") {
				t.Errorf("stored install id = %q, hash %q; want none in clear and the hash", clear, hash)
			}
			d, err := s.Device(ctx, "d1")
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := json.Marshal(d); d.InstallID != "" || d.Fingerprint.InstallID != "" || strings.Contains(string(b), "inst-d1") {
				t.Errorf("device read back = %s, want no install id", b)
			}
			if d, err := deviceByInstall(ctx, s, "k1", "inst-d1"); err != nil || d.ID != "d1" {
				t.Errorf("DeviceByInstall(inst-d1) = %v, %v; want d1", d, err)
			}

			// d2 as a version before the hashing left it: its id in clear.
			r := sqlOf(s)
			if _, err := r.w.ExecContext(ctx, r.q(`UPDATE devices SET install_id = ?, install_hash = '' WHERE id = ?`), "inst-d2", "d2"); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s = open()
			defer s.Close()
			if clear, hash := stored(s, "d2"); clear != "" || hash != InstallHash("inst-d2") {
				t.Errorf("after the upgrade, stored install id = %q, hash %q; want none in clear and the hash", clear, hash)
			}
			if d, err := deviceByInstall(ctx, s, "k1", "inst-d2"); err != nil || d.ID != "d2" {
				t.Errorf("DeviceByInstall(inst-d2) after the upgrade = %v, %v; want d2", d, err)
			}
		})
	}
}

// TestRefreshReplayedByOther: within the grace window, the previous secret
// renews again only with the secret the rotating client proposed.
func TestRefreshReplayedByOther(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s, ctx := open(t), t.Context()
			if err := s.CreateKey(ctx, newKey("k1", 0)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Enroll(ctx, newDevice("d1", "k1"), secrets(0), t0, Event{At: t0, Event: "enroll_succeeded"}); err != nil {
				t.Fatal(err)
			}
			proposed := Secrets{AccessHash: "a1", AccessExpiresAt: t0.Add(time.Hour), RefreshHash: "n1", Proposed: true}
			for i, tt := range []struct {
				sec  Secrets
				want RefreshOutcome
			}{
				{proposed, Rotated},
				{proposed, ReplayedInGrace},
				{Secrets{AccessHash: "a2", RefreshHash: "other", Proposed: true}, ReplayedByOther},
				{Secrets{AccessHash: "a3", RefreshHash: "server-made"}, ReplayedByOther},
			} {
				got, _, err := s.Refresh(ctx, "d1", "refresh-0", tt.sec, t0.Add(time.Second), time.Minute)
				if err != nil || got != tt.want {
					t.Errorf("Refresh #%d = %v, %v; want %v", i, got, err, tt.want)
				}
			}
		})
	}
}
