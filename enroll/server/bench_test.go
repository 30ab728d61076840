package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// latencies collects per-request durations from parallel workers.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	slices.Sort(l.d)
	if len(l.d) == 0 {
		return
	}
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(l.d[len(l.d)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(l.d[len(l.d)/2].Microseconds())/1000, "p50-ms")
}

// quiet makes a benchmark server silent and on real time.
func quiet(c *Config) { c.Now, c.Logger = nil, slog.New(slog.DiscardHandler) }

// newBenchEnv runs the real server on loopback over SQLite.
func newBenchEnv(b *testing.B) *env { return newEnv(b, quiet) }

// newBenchEnvPostgres runs it over a fresh schema of the PostgreSQL test
// database, or skips.
func newBenchEnvPostgres(b *testing.B) *env {
	st, secret, err := OpenStore(b.Context(), "", postgresSchema(b), "")
	if err != nil {
		b.Fatal(err)
	}
	return newEnvWith(b, b.TempDir(), st, secret, quiet)
}

// agentClient returns a client with its own connection, as each agent has.
func agentClient(b *testing.B, e *env) *enroll.Client {
	c, err := enroll.NewClient(enroll.ClientConfig{URL: e.url, Retries: -1})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkEnroll measures enrollments per second with 64 concurrent
// simulated agents, each enrolling new installations.
func BenchmarkEnroll(b *testing.B) { benchEnroll(b, newBenchEnv(b)) }

// BenchmarkEnrollPostgres is BenchmarkEnroll on PostgreSQL.
func BenchmarkEnrollPostgres(b *testing.B) { benchEnroll(b, newBenchEnvPostgres(b)) }

func benchEnroll(b *testing.B, e *env) {
	key := e.key(KeyOptions{})
	var (
		n   atomic.Int64
		lat latencies
	)
	b.SetParallelism(32) // 64 agents on 2 cores
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		c := agentClient(b, e)
		for pb.Next() {
			req := enrollReq(fmt.Sprintf("pc-%d", n.Add(1)))
			t0 := time.Now()
			if _, err := c.Enroll(b.Context(), key, req); err != nil {
				b.Error(err)
				return
			}
			lat.add(time.Since(t0))
		}
	})
	lat.report(b, time.Since(start))
}

// BenchmarkInventory measures inventory submissions per second, each with
// about 900 softwares, from 64 concurrent enrolled agents.
func BenchmarkInventory(b *testing.B) { benchInventory(b, newBenchEnv(b)) }

// BenchmarkInventoryPostgres is BenchmarkInventory on PostgreSQL.
func BenchmarkInventoryPostgres(b *testing.B) { benchInventory(b, newBenchEnvPostgres(b)) }

// inventoryAgents enrolls n agents and returns their access tokens and the
// compressed inventory (about 900 softwares) each sends, with its own
// hardware identity, which the service checks. Agents compress on their
// own CPU: each is compressed once, so the two cores measure the server,
// not simulated zlib encoders.
func inventoryAgents(b *testing.B, e *env, n int) ([]string, [][]byte) {
	key := e.key(KeyOptions{})
	tokens, bodies := make([]string, n), make([][]byte, n)
	for i := range tokens {
		name := fmt.Sprintf("pc-%d", i)
		tokens[i] = e.enroll(key, enrollReq(name)).Credential.AccessToken
		body, err := compress(inventoryJSON(name, 900))
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = body
	}
	b.SetBytes(int64(len(bodies[0])))
	return tokens, bodies
}

func benchInventory(b *testing.B, e *env) {
	const agents = 32
	tokens, bodies := inventoryAgents(b, e, agents)
	closedLoop(b, agents, func(i int) func() error {
		c := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		return func() error {
			return post(b, c, e.url+enroll.PathInventory, tokens[i], "application/x-compress-zlib", bodies[i], http.StatusAccepted)
		}
	})
}

// closedLoop runs b.N requests from n agents, two per core at once, each
// agent i sending through the function agent(i) returns (its own
// connection), and reports their rate and latencies.
func closedLoop(b *testing.B, n int, agent func(i int) func() error) {
	var (
		next atomic.Int64
		lat  latencies
	)
	b.SetParallelism(n / 2)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		send := agent(int(next.Add(1) % int64(n)))
		for pb.Next() {
			t0 := time.Now()
			if err := send(); err != nil {
				b.Error(err)
				return
			}
			lat.add(time.Since(t0))
		}
	})
	lat.report(b, time.Since(start))
}

// openLoop sends requests at a fixed arrival rate for b.N requests, each in
// its own goroutine, as a fleet does: latency then shows the service time
// at that load, not the queue a closed loop of busy clients builds.
func openLoop(b *testing.B, rate int, do func(i int) error) {
	var (
		lat  latencies
		wg   sync.WaitGroup
		errs atomic.Int64
	)
	interval := time.Second / time.Duration(rate)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			t0 := time.Now()
			if err := do(i); err != nil {
				errs.Add(1)
				return
			}
			lat.add(time.Since(t0))
		})
	}
	wg.Wait()
	if n := errs.Load(); n > 0 {
		b.Errorf("%d of %d requests failed", n, b.N)
	}
	lat.report(b, time.Since(start))
}

// BenchmarkEnrollAt1000 offers 1,000 enrollments a second.
func BenchmarkEnrollAt1000(b *testing.B) { benchEnrollAt(b, newBenchEnv(b), 1000) }

// BenchmarkEnrollPostgresAt1000 is BenchmarkEnrollAt1000 on PostgreSQL.
func BenchmarkEnrollPostgresAt1000(b *testing.B) { benchEnrollAt(b, newBenchEnvPostgres(b), 1000) }

func benchEnrollAt(b *testing.B, e *env, rate int) {
	key := e.key(KeyOptions{})
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i], _ = json.Marshal(enrollReq(fmt.Sprintf("pc-%d", i)))
	}
	openLoop(b, rate, func(i int) error {
		return post(b, c, e.url+enroll.PathEnroll, key, "application/json", bodies[i], http.StatusCreated)
	})
}

// BenchmarkInventoryAt300 offers 300 inventories (about 900 softwares each)
// a second from 64 enrolled agents.
func BenchmarkInventoryAt300(b *testing.B) { benchInventoryAt(b, newBenchEnv(b), 300) }

// BenchmarkInventoryPostgresAt300 is BenchmarkInventoryAt300 on PostgreSQL.
func BenchmarkInventoryPostgresAt300(b *testing.B) {
	benchInventoryAt(b, newBenchEnvPostgres(b), 300)
}

func benchInventoryAt(b *testing.B, e *env, rate int) {
	const agents = 64
	tokens, bodies := inventoryAgents(b, e, agents)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	openLoop(b, rate, func(i int) error {
		return post(b, c, e.url+enroll.PathInventory, tokens[i%agents], "application/x-compress-zlib", bodies[i%agents], http.StatusAccepted)
	})
}

func post(b testing.TB, c *http.Client, url, bearer, ctype string, body []byte, want int) error {
	req, _ := http.NewRequestWithContext(b.Context(), "POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s = %d, want %d", url, resp.StatusCode, want)
	}
	return nil
}

// BenchmarkDecodeInventory decodes an inventory of 900 softwares as the
// intake does: validation, sections split, hashed and counted.
func BenchmarkDecodeInventory(b *testing.B) {
	data := inventoryJSON("pc", 900)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeInventory(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckIn measures check-ins answered at once (wait 0: nothing
// queued), from 32 enrolled agents: the service's work for each check-in
// of a fleet, without the hold.
func BenchmarkCheckIn(b *testing.B) {
	e := newBenchEnv(b)
	const agents = 32
	key := e.key(KeyOptions{})
	tokens := make([]string, agents)
	for i := range tokens {
		tokens[i] = e.enroll(key, enrollReq(fmt.Sprintf("pc-%d", i))).Credential.AccessToken
	}
	closedLoop(b, agents, func(i int) func() error {
		c := agentClient(b, e)
		return func() error {
			_, err := c.CheckIn(b.Context(), tokens[i], &enroll.CheckInRequest{Status: "idle"})
			return err
		}
	})
}
