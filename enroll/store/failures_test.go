package store

import (
	"os"
	"testing"
	"time"
)

// TestFailureCounter checks the token bucket kept in PostgreSQL: each
// failure moves the full time one interval on, from now at the earliest
// and no further than burst intervals past now; the sweep forgets full
// buckets.
func TestFailureCounter(t *testing.T) {
	sqlite, err := OpenSQLite(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sqlite.Close()
	if _, ok := sqlite.(FailureCounter); ok {
		t.Error("the SQLite store is a FailureCounter, want failures counted in memory by its one process")
	}
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		t.Skipf("%s not set", PostgresEnv)
	}
	fc, ok := openTestPostgres(t).(FailureCounter)
	if !ok {
		t.Fatal("the PostgreSQL store is not a FailureCounter")
	}
	const (
		burst = 3
		every = 10 * time.Second
	)
	t0 := time.Now().Truncate(time.Second).UTC()
	steps := []struct {
		at, wantFull time.Duration
	}{
		{0, 10 * time.Second},
		{0, 20 * time.Second},
		{5 * time.Second, 30 * time.Second},
		{5 * time.Second, 35 * time.Second}, // capped at burst intervals
		{100 * time.Second, 110 * time.Second},
	}
	for i, s := range steps {
		got, err := fc.CountFailure(t.Context(), "ip", "192.0.2.1", t0.Add(s.at), burst, every)
		if err != nil || !got.Equal(t0.Add(s.wantFull)) {
			t.Fatalf("step %d: CountFailure(at %v) = %v, %v; want %v", i, s.at, got, err, t0.Add(s.wantFull))
		}
	}
	if _, err := fc.CountFailure(t.Context(), "key", "192.0.2.1", t0, burst, every); err != nil {
		t.Fatal(err)
	}
	if got, err := fc.FailuresFullAt(t.Context(), "ip", "192.0.2.1"); err != nil || !got.Equal(t0.Add(110*time.Second)) {
		t.Errorf("FailuresFullAt(ip) = %v, %v; want %v", got, err, t0.Add(110*time.Second))
	}
	if got, err := fc.FailuresFullAt(t.Context(), "ip", "192.0.2.2"); err != nil || !got.IsZero() {
		t.Errorf("FailuresFullAt(unknown) = %v, %v; want the zero time", got, err)
	}
	recent, err := fc.RecentFailures(t.Context(), "key", t0.Add(5*time.Second))
	if err != nil || len(recent) != 1 || !recent["192.0.2.1"].Equal(t0.Add(every)) {
		t.Errorf("RecentFailures(key, at 5s) = %v, %v; want 192.0.2.1 full at %v", recent, err, t0.Add(every))
	}
	if recent, err := fc.RecentFailures(t.Context(), "key", t0.Add(every)); err != nil || len(recent) != 0 {
		t.Errorf("RecentFailures(key, at 10s) = %v, %v; want none: the bucket is full", recent, err)
	}
	if n, err := fc.SweepFailures(t.Context(), t0.Add(10*time.Second)); err != nil || n != 1 {
		t.Errorf("SweepFailures(at 10s) = %d, %v; want 1 (the key's full bucket)", n, err)
	}
	if got, err := fc.FailuresFullAt(t.Context(), "key", "192.0.2.1"); err != nil || !got.IsZero() {
		t.Errorf("FailuresFullAt(swept) = %v, %v; want the zero time", got, err)
	}
	if n, err := fc.SweepFailures(t.Context(), t0.Add(10*time.Second)); err != nil || n != 0 {
		t.Errorf("SweepFailures(again) = %d, %v; want 0", n, err)
	}
}
