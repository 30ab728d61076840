package server

import (
	"bytes"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/enroll/store/pgtest"
)

// limiters returns a failure limiter of each kind available: in memory,
// and in the database when the PostgreSQL test database is set.
func limiters(t *testing.T, lim limits) map[string]failureLimiter {
	ls := map[string]failureLimiter{"memory": newFailureLimiter(nil, scopeIP, lim, nil)}
	if os.Getenv(pgtest.EnvVar) != "" {
		st, err := store.OpenPostgres(t.Context(), postgresSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		ls["postgres"] = newFailureLimiter(st, scopeIP, lim, slog.New(slog.DiscardHandler))
	}
	return ls
}

// TestFailureLimiters plays the same attempts on each limiter: burst
// failures pass, then one per every, and blocked subjects wait as long.
func TestFailureLimiters(t *testing.T) {
	const every = 10 * time.Second
	steps := []struct {
		at       time.Duration
		wantWait time.Duration
		fail     bool
	}{
		{at: 0, wantWait: 0, fail: true},
		{at: 0, wantWait: 0, fail: true},
		{at: time.Second, wantWait: 0, fail: true},
		{at: time.Second, wantWait: 9 * time.Second},
		{at: 10 * time.Second, wantWait: 0, fail: true},
		{at: 10 * time.Second, wantWait: 10 * time.Second},
		{at: 25 * time.Second, wantWait: 0, fail: true},
		{at: 25 * time.Second, wantWait: 5 * time.Second},
		// A full bucket again, then failures past the burst: the wait is
		// capped at one token's.
		{at: 100 * time.Second, wantWait: 0, fail: true},
		{at: 100 * time.Second, wantWait: 0, fail: true},
		{at: 100 * time.Second, wantWait: 0, fail: true},
		{at: 100 * time.Second, wantWait: every, fail: true},
		{at: 100 * time.Second, wantWait: every},
		{at: 130 * time.Second, wantWait: 0},
	}
	t0 := time.Now().Truncate(time.Second)
	for name, l := range limiters(t, limits{burst: 3, every: every}) {
		t.Run(name, func(t *testing.T) {
			if got := l.blocked(t.Context(), "192.0.2.9", t0); got != 0 {
				t.Errorf("blocked(unknown subject) = %v, want 0", got)
			}
			for i, s := range steps {
				now := t0.Add(s.at)
				if got := l.blocked(t.Context(), "192.0.2.1", now); got != s.wantWait {
					t.Fatalf("step %d: blocked(at %v) = %v, want %v", i, s.at, got, s.wantWait)
				}
				if s.fail {
					l.fail(t.Context(), "192.0.2.1", now)
				}
			}
		})
	}
}

// TestRateLimitAcrossReplicas makes failing attempts on one replica, then
// spread over two sharing the database: the limit is hit at the same
// total, and lifts at the same time.
func TestRateLimitAcrossReplicas(t *testing.T) {
	const (
		burst = 4
		every = 30 * time.Second
	)
	post := func(h http.Handler, path, ip, bearer string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.RemoteAddr = ip + ":40000"
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	sameKeyID := enroll.NewKey()
	cases := []struct {
		name string
		// attempt makes the i-th failing attempt.
		attempt func(h http.Handler, i int) *httptest.ResponseRecorder
	}{
		{"enroll from one address", func(h http.Handler, i int) *httptest.ResponseRecorder {
			return post(h, enroll.PathEnroll, "192.0.2.1", enroll.NewKey().String(), mustJSON(enrollReq("a")))
		}},
		{"enroll with one key id", func(h http.Handler, i int) *httptest.ResponseRecorder {
			return post(h, enroll.PathEnroll, "192.0.2.1", sameKeyID.String(), mustJSON(enrollReq("a")))
		}},
		{"refresh from one address", func(h http.Handler, i int) *httptest.ResponseRecorder {
			return post(h, enroll.PathToken, "192.0.2.1", "", []byte(`{"device_id":"nope","refresh_secret":"wrong"}`))
		}},
	}
	// Each spread picks the replica of the i-th attempt; the failures
	// beyond the burst go to a replica that learnt of them by a sync or by
	// its own.
	spreads := []struct {
		name    string
		replica func(i int) int
	}{
		{"one replica", func(int) int { return 0 }},
		{"alternating replicas", func(i int) int { return i % 2 }},
		{"burst on one, then the other", func(i int) int { return min(i/burst, 1) }},
	}
	for _, c := range cases {
		for _, sp := range spreads {
			t.Run(c.name+"/"+sp.name, func(t *testing.T) {
				dsn := postgresSchema(t)
				clk := &clock{t: time.Now().Truncate(time.Second)}
				var rs []replica
				for range 2 {
					rs = append(rs, startReplica(t, dsn, func(c *Config) { c.Now, c.FailureBurst, c.FailureEvery = clk.Now, burst, every }))
				}
				i := 0
				try := func(want int) {
					t.Helper()
					r := sp.replica(i)
					rec := c.attempt(rs[r].srv.Handler(), i)
					if rec.Code != want {
						t.Fatalf("attempt %d on replica %d = %d, want %d", i, r, rec.Code, want)
					}
					if want == http.StatusTooManyRequests {
						if got, want := rec.Header().Get("Retry-After"), strconv.Itoa(int(every.Seconds())); got != want {
							t.Errorf("attempt %d: Retry-After = %s, want %s", i, got, want)
						}
					}
					i++
				}
				for range burst {
					try(http.StatusUnauthorized)
				}
				for _, r := range rs {
					if err := r.srv.syncFailures(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
				try(http.StatusTooManyRequests)
				try(http.StatusTooManyRequests)
				clk.Advance(every)
				try(http.StatusUnauthorized)
				try(http.StatusTooManyRequests)
			})
		}
	}
}

// TestEnrollCountsNoFailure checks that successful enrollments leave no
// failure count behind on PostgreSQL: the success path only reads.
func TestEnrollCountsNoFailure(t *testing.T) {
	dsn := postgresSchema(t)
	r := startReplica(t, dsn)
	k, _, err := CreateKey(t.Context(), r.srv.st, r.srv.cfg.Secret, KeyOptions{Tag: "t"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := enroll.NewClient(enroll.ClientConfig{URL: r.url, Retries: -1})
	for i := range 3 {
		if _, err := c.Enroll(t.Context(), k.String(), enrollReq(fmt.Sprintf("pc-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM rate_limits`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rate_limits rows after 3 enrollments = %d, %v; want 0", n, err)
	}
	if _, err := c.Enroll(t.Context(), enroll.NewKey().String(), enrollReq("x")); err == nil {
		t.Fatal("enrollment with an unknown key succeeded")
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM rate_limits`).Scan(&n); err != nil || n != 2 {
		t.Errorf("rate_limits rows after a wrong key = %d, %v; want 2 (its address and its key id)", n, err)
	}
}
