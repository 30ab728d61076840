package console

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/server"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/enroll/store/pgtest"
)

// benchDevices is the fleet size of the console benchmarks.
const benchDevices = 20_000

// benchConsole opens a store holding benchDevices devices enrolled over
// 30 days (with their audit rows and some rejections) and returns a
// console with a signed-in admin's cookie.
func benchConsole(b *testing.B, postgres bool) (*Console, *http.Cookie) {
	b.Helper()
	ctx := b.Context()
	var (
		st  store.Store
		err error
	)
	if postgres {
		if pgtest.URL() == "" {
			b.Skipf("%s not set", pgtest.EnvVar)
		}
		st, err = store.OpenPostgres(ctx, pgtest.Schema(b))
	} else {
		st, err = store.OpenSQLite(ctx, b.TempDir())
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	secret := []byte("0123456789abcdef0123456789abcdef")
	var keys []string
	for i := range 20 {
		_, k, err := server.CreateKey(ctx, st, secret, server.KeyOptions{Tag: fmt.Sprintf("SITE-%02d", i)}, now.Add(-31*24*time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k.ID)
	}
	for i := range benchDevices {
		at := now.Add(-time.Duration(i) * (30 * 24 * time.Hour / benchDevices)) // spread over 30 days
		host := fmt.Sprintf("pc-%05d", i)
		d := &store.Device{ID: fmt.Sprintf("dev%05d", i), KeyID: keys[i%len(keys)], Tag: fmt.Sprintf("SITE-%02d", i%len(keys)),
			Hostname: host, GLPIDeviceID: host + "-g", AgentID: host + "-a", OS: "linux", Arch: "amd64", InstallID: host + "-i",
			SourceIP: "10.0.0.1", LastSeenAt: at}
		if _, err := st.Enroll(ctx, d, store.Secrets{AccessHash: "a" + host, AccessExpiresAt: now, RefreshHash: "r" + host}, at,
			store.Event{At: at, Event: "enroll_succeeded", KeyID: d.KeyID, DeviceID: d.ID}); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			st.AddEvent(ctx, store.Event{At: at, Event: "enroll_rejected", Reason: "key_expired", SourceIP: "10.0.0.2"})
		}
	}
	cs := st.(Store)
	c, err := New(Config{Store: cs, Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	hash, _ := HashPassword(testPassword)
	if err := cs.CreateUser(ctx, &store.User{Name: "bench", Role: store.RoleAdmin, PasswordHash: hash, CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	tok := newToken()
	if err := cs.CreateSession(ctx, &store.Session{Hash: hashToken(tok), User: store.User{Name: "bench"}, CreatedAt: now, LastSeenAt: now}); err != nil {
		b.Fatal(err)
	}
	return c, &http.Cookie{Name: cookieName, Value: tok}
}

// BenchmarkConsolePages measures the server time of the console's pages
// with 20,000 devices, per page: ms/page and the 95th percentile.
func BenchmarkConsolePages(b *testing.B)         { benchPages(b, false) }
func BenchmarkConsolePagesPostgres(b *testing.B) { benchPages(b, true) }

func benchPages(b *testing.B, postgres bool) {
	c, ck := benchConsole(b, postgres)
	for _, p := range []struct{ name, path string }{
		{"overview", "/ui/"},
		{"devices", "/ui/devices"},
		{"devices-page-200", "/ui/devices?page=200"},
		{"search-hostname", "/ui/devices?q=pc-1234"},
		{"search-tag-silent", "/ui/devices?tag=SITE-07&state=silent"},
		{"device", "/ui/devices/dev12345"},
		{"keys", "/ui/keys"},
		{"audit", "/ui/audit"},
	} {
		b.Run(p.name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				req := httptest.NewRequest("GET", p.path, nil)
				req.AddCookie(ck)
				rec := httptest.NewRecorder()
				t0 := time.Now()
				c.ServeHTTP(rec, req)
				times = append(times, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", p.path, rec.Code)
				}
			}
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			var sum time.Duration
			for _, t := range times {
				sum += t
			}
			b.ReportMetric(float64(sum.Microseconds())/float64(len(times))/1000, "ms/page")
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
			if os.Getenv("CONSOLE_BENCH_STRICT") != "" && times[len(times)*95/100] > 50*time.Millisecond {
				b.Errorf("GET %s: p95 %v, want under 50 ms", p.path, times[len(times)*95/100])
			}
		})
	}
}
