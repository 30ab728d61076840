//go:build loadtest

package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/server"
	"github.com/glpi-agentd/glpi-agentd/enroll/store/pgtest"
	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
)

// The check-in scale mode: one glpi-enrolld under TLS holds the long polls
// of -checkin-held enrolled devices, played by several holder processes
// (this test binary, re-executed) that connect from many 127.x.y.z source
// addresses, each under the per-process file limit. While they are held,
// a run-now is queued every second through the admin API for a random
// device, and the time until its holder receives the action is measured.
// The service's memory per held check-in is read from /proc (VmRSS) and
// from its runtime (heap and stacks, through --pprof) before and after.

var (
	flagCheckInHeld     = flag.Int("checkin-held", 3000, "check-ins held in checkin mode")
	flagCheckInHolders  = flag.Int("checkin-holders", 0, "holder processes in checkin mode; 0 for one per 8,000 held, at least 2")
	flagCheckInRunNow   = flag.Duration("checkin-runnow", 10*time.Second, "how long a run-now is fired every second at a held device in checkin mode")
	flagCheckInMaxKiB   = flag.Float64("checkin-max-kib", 32, "fail when the service's RSS grows by more than this per held check-in (a regression guard, generous)")
	flagCheckInProfile  = flag.String("checkin-profiles", "", "directory to write the service's heap and goroutine profiles to, once every check-in is held")
	flagCheckInJSON     = flag.String("checkin-json-out", "", "write the checkin mode's figures to this JSON file")
	flagCheckInStore    = flag.String("checkin-store", "sqlite", "the checkin mode's store: sqlite, or postgres (GLPI_ENROLLD_TEST_DATABASE)")
	flagCheckInReplicas = flag.Int("checkin-replicas", 1, "services in the checkin mode, on one PostgreSQL database when more than one; holders and load split between them")
	flagCheckInStream   = flag.Bool("checkin-stream", true, "hold streamed check-ins (up to 10 minutes, a keep-alive every 45 s), as agents do; false for plain ones (up to 55 s)")
)

// checkInReport holds the checkin mode's figures.
type checkInReport struct {
	Held             int     `json:"held"`
	Holders          int     `json:"holder_processes"`
	Proto            string  `json:"protocol"`
	Machine          string  `json:"machine"`
	EnrollSeconds    float64 `json:"enroll_seconds"`
	HoldSeconds      float64 `json:"seconds_until_all_held"`
	RSSBeforeKiB     int64   `json:"rss_before_kib"`
	RSSAfterKiB      int64   `json:"rss_after_kib"`
	RSSPerHeldKiB    float64 `json:"rss_per_held_kib"`
	HeapPerHeldKiB   float64 `json:"heap_per_held_kib"`
	StackPerHeldKiB  float64 `json:"stack_per_held_kib"`
	GoroutinesBefore int     `json:"goroutines_before"`
	GoroutinesAfter  int     `json:"goroutines_after"`
	RunNows          int     `json:"run_nows"`
	RunNowDelivered  int     `json:"run_nows_delivered"`
	RunNowP50ms      float64 `json:"run_now_p50_ms"`
	RunNowP99ms      float64 `json:"run_now_p99_ms"`
	RunNowMaxms      float64 `json:"run_now_max_ms"`
	HolderErrors     int64   `json:"holder_errors"`
	// Over the run-now phase: the check-ins the service answered (the
	// held ones come back every 55 s) and the CPU it used.
	CheckIns        int64   `json:"checkins_answered"`
	CPUSeconds      float64 `json:"cpu_seconds"`
	CPUPerCheckInUs float64 `json:"cpu_per_checkin_us"`
	// The service's CPU over the phase, scaled to 100,000 held check-ins:
	// what holding them costs at rest.
	CoresPer100kHeld float64 `json:"cores_per_100k_held"`
	Streamed         bool    `json:"streamed"`
	Store            string  `json:"store"`
	Replicas         int     `json:"replicas"`
	DBCPUSeconds     float64 `json:"database_cpu_seconds,omitempty"`
	PhaseSeconds     float64 `json:"runnow_phase_seconds"`
	// Then the load phases (mix_test.go).
	Phases []*loadPhase `json:"load_phases,omitempty"`
	// The service's peak RSS (VmHWM) by the end of the run, the load
	// phases' included: the garbage collector lets the heap grow to
	// twice what is live between collections.
	PeakRSSKiB     int64   `json:"peak_rss_kib"`
	PeakPerHeldKiB float64 `json:"peak_rss_per_held_kib"`
}

func (r *checkInReport) table() string {
	var b strings.Builder
	kind := "plain"
	if r.Streamed {
		kind = "streamed"
	}
	fmt.Fprintf(&b, "checkin: %d %s check-ins held under TLS (%s) by %d holder processes, %d service(s) on %s; %s\n",
		r.Held, kind, r.Proto, r.Holders, r.Replicas, r.Store, r.Machine)
	fmt.Fprintf(&b, "  enrolled in %.1f s, all held %.1f s after the holders started\n", r.EnrollSeconds, r.HoldSeconds)
	fmt.Fprintf(&b, "  service RSS %d KiB → %d KiB: %.1f KiB per held check-in (heap %.1f KiB, stacks %.1f KiB)\n",
		r.RSSBeforeKiB, r.RSSAfterKiB, r.RSSPerHeldKiB, r.HeapPerHeldKiB, r.StackPerHeldKiB)
	fmt.Fprintf(&b, "  goroutines %d → %d\n", r.GoroutinesBefore, r.GoroutinesAfter)
	fmt.Fprintf(&b, "  run-now: %d fired, %d delivered, p50 %.0f ms, p99 %.0f ms, max %.0f ms; holder errors %d\n",
		r.RunNows, r.RunNowDelivered, r.RunNowP50ms, r.RunNowP99ms, r.RunNowMaxms, r.HolderErrors)
	fmt.Fprintf(&b, "  meanwhile (%.0f s): %d check-ins answered, %.1f s of service CPU (%.0f µs a check-in; %.2f cores per 100,000 held)\n",
		r.PhaseSeconds, r.CheckIns, r.CPUSeconds, r.CPUPerCheckInUs, r.CoresPer100kHeld)
	if r.DBCPUSeconds > 0 {
		fmt.Fprintf(&b, "  PostgreSQL meanwhile: %.1f s of CPU\n", r.DBCPUSeconds)
	}
	for _, p := range r.Phases {
		b.WriteString(p.line() + "\n")
	}
	fmt.Fprintf(&b, "  peak RSS by the end: %d KiB, %.1f KiB per held check-in over the service's at the start\n", r.PeakRSSKiB, r.PeakPerHeldKiB)
	return b.String()
}

func TestLoadCheckIn(t *testing.T) {
	if *flagMode != "all" && !slices.Contains(strings.Split(*flagMode, ","), "checkin") {
		t.Skipf("-mode %s does not include checkin", *flagMode)
	}
	n := *flagCheckInHeld
	holders := *flagCheckInHolders
	if holders <= 0 {
		holders = max(2, (n+7999)/8000)
	}
	bin := enrolldBin(t)
	dir := t.TempDir()
	cert, key, pin, err := server.SelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	adminToken := strings.Repeat("a", 40)
	tokenFile := filepath.Join(dir, "admin-token")
	if err := os.WriteFile(tokenFile, []byte(adminToken), 0o600); err != nil {
		t.Fatal(err)
	}
	glpi := newGLPI(t, 0)
	tc, err := tlspin.ClientConfig(tlspin.Config{Host: "127.0.0.1", Pins: []string{pin}})
	if err != nil {
		t.Fatal(err)
	}
	store := []string{"--data-dir", dir}
	switch {
	case *flagCheckInStore == "postgres":
		dsn := os.Getenv("GLPI_ENROLLD_TEST_DATABASE")
		if dsn == "" {
			t.Fatal("-checkin-store postgres needs GLPI_ENROLLD_TEST_DATABASE=postgres://… (a PostgreSQL the test may create schemas in)")
		}
		store = []string{"--database", pgtest.Schema(t)}
	case *flagCheckInReplicas > 1:
		t.Fatal("-checkin-replicas above 1 needs -checkin-store postgres")
	}
	rs := &replicas{postgres: *flagCheckInStore == "postgres"}
	for range max(1, *flagCheckInReplicas) {
		// One after the other: the first creates the schema and the secret.
		adminAddr := freeAddr(t)
		admin := "https://" + adminAddr
		e := newEnrolld(t, bin, store, "--glpi-url", glpi.URL, "--relay-concurrency", strconv.Itoa(*flagRelay),
			"--tls-cert", cert, "--tls-key", key, "--admin-listen", adminAddr, "--admin-token-file", tokenFile, "--pprof")
		e.URL = "https://" + e.addr
		e.ready = admin + "/readyz"
		e.client = &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: time.Minute}
		if err := e.start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.kill)
		rs.svcs, rs.admins = append(rs.svcs, e), append(rs.admins, admin)
	}
	e, admin := rs.svcs[0], rs.admins[0]
	r := &checkInReport{Held: n, Holders: holders, Machine: machine(), Streamed: *flagCheckInStream, Replicas: len(rs.svcs), Store: *flagCheckInStore}

	// Enroll the fleet, as agents do, through the pinned TLS listener.
	regKey := e.newKey("loadtest-checkin")
	start := time.Now()
	run := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	tokens, ids := make([]string, n), make([]string, n)
	for i, er := range enrollFleet(t, e.URL, pin, regKey, n, func(i int) *enroll.EnrollRequest {
		id := fmt.Sprintf("%s-%06d", run, i)
		return &enroll.EnrollRequest{Hostname: "ci-" + id, AgentVersion: "loadtest", OS: "linux", Arch: "amd64", InstallID: "install-" + id,
			Fingerprint: enroll.Fingerprint{MachineID: fmt.Sprintf("%032x", uint64(i)+3<<40), InstallID: "install-" + id}}
	}) {
		tokens[i], ids[i] = er.Credential.AccessToken, er.DeviceID
	}
	r.EnrollSeconds = time.Since(start).Seconds()

	before := rs.sample(t)
	r.RSSBeforeKiB, r.GoroutinesBefore = before.rssKiB, before.goroutines

	// Start the holders.
	delivered := make(chan delivery, 64)
	var holderErrs atomic.Int64
	var protos sync.Map
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	start = time.Now()
	var procs []*exec.Cmd
	per := (n + holders - 1) / holders
	for h := range holders {
		lo, hi := h*per, min((h+1)*per, n)
		if lo >= hi {
			break
		}
		cfg := holderConfig{URL: rs.svcs[h%len(rs.svcs)].URL, Pin: pin, Tokens: tokens[lo:hi], First: lo, Wait: enroll.MaxCheckInWait - 5, Source: 10 + h}
		if *flagCheckInStream {
			cfg.Wait, cfg.Stream = enroll.MaxStreamedCheckInWait, true
		}
		procs = append(procs, startHolder(t, ctx, cfg, delivered, &holderErrs, &protos))
	}
	r.Holders = len(procs)
	t.Cleanup(func() {
		cancel()
		for _, p := range procs {
			p.Wait()
		}
	})
	if err := rs.waitHeld(ctx, n, 10*time.Minute); err != nil {
		t.Fatalf("%v (holder errors %d):\n%s", err, holderErrs.Load(), e.logTail())
	}
	r.HoldSeconds = time.Since(start).Seconds()
	time.Sleep(2 * time.Second) // let the last handshakes' garbage go
	after := rs.sample(t)
	r.RSSAfterKiB, r.GoroutinesAfter = after.rssKiB, after.goroutines
	r.RSSPerHeldKiB = float64(after.rssKiB-before.rssKiB) / float64(n)
	r.HeapPerHeldKiB = float64(after.heapInuse-before.heapInuse) / 1024 / float64(n)
	r.StackPerHeldKiB = float64(after.stackInuse-before.stackInuse) / 1024 / float64(n)
	protos.Range(func(k, _ any) bool {
		r.Proto = strings.TrimPrefix(r.Proto+","+k.(string), ",")
		return true
	})
	if *flagCheckInProfile != "" {
		saveProfiles(t, e.client, admin, *flagCheckInProfile)
	}

	// A run-now every second at a random held device, through the
	// admin API, timed until its holder receives the action.
	fireRunNows := func(d time.Duration) (fired int, lat []time.Duration, missing int) {
		waiting := map[int]time.Time{}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		end := time.After(d)
		drain := (<-chan time.Time)(nil)
		for {
			select {
			case <-tick.C:
				if drain != nil {
					continue
				}
				i := rand.IntN(n)
				if _, ok := waiting[i]; ok {
					continue
				}
				at := time.Now()
				if err := runNow(ctx, e.client, admin, adminToken, ids[i]); err != nil {
					t.Errorf("run-now %s: %v", ids[i], err)
					continue
				}
				waiting[i] = at
				fired++
			case d := <-delivered:
				if at, ok := waiting[d.device]; ok {
					lat = append(lat, d.at.Sub(at))
					delete(waiting, d.device)
				}
				if drain != nil && len(waiting) == 0 {
					return fired, lat, 0
				}
			case <-end:
				drain = time.After(10 * time.Second)
				if len(waiting) == 0 {
					return fired, lat, 0
				}
			case <-drain:
				return fired, lat, len(waiting)
			}
		}
	}
	phase := time.Now()
	profiled := make(chan struct{})
	if *flagCheckInProfile != "" {
		go func() {
			defer close(profiled)
			// The admin client gives up after a minute.
			b := httpGet(t, e.client, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", admin, int(min(flagCheckInRunNow.Seconds(), 50))))
			if err := os.WriteFile(filepath.Join(*flagCheckInProfile, "cpu-held.pprof"), b, 0o644); err != nil {
				t.Error(err)
			}
		}()
	} else {
		close(profiled)
	}
	fired, lat, missing := fireRunNows(*flagCheckInRunNow)
	<-profiled
	r.RunNows = fired
	end2 := rs.sample(t)
	r.PhaseSeconds = time.Since(phase).Seconds()
	r.CheckIns = end2.checkIns - after.checkIns
	r.CPUSeconds = end2.cpuSeconds - after.cpuSeconds
	r.DBCPUSeconds = end2.dbCPUSeconds - after.dbCPUSeconds
	if r.CheckIns > 0 {
		r.CPUPerCheckInUs = r.CPUSeconds / float64(r.CheckIns) * 1e6
	}
	r.CoresPer100kHeld = r.CPUSeconds / r.PhaseSeconds * 100000 / float64(n)
	slices.Sort(lat)
	r.RunNowDelivered = len(lat)
	r.RunNowP50ms, r.RunNowP99ms, r.RunNowMaxms = ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)), ms(percentile(lat, 1))

	// Enrollments, then inventories, then both with run-nows, while every
	// check-in is held.
	if *flagMixEnroll > 0 || *flagMixInventory > 0 {
		rig := newLoadRig(t, rs, pin, regKey, glpi)
		rest := r.CPUSeconds / r.PhaseSeconds
		if *flagMixEnroll > 0 {
			r.Phases = append(r.Phases, rig.phase(ctx, "enroll", *flagMixEnroll, 0, nil, rest))
		}
		if *flagMixInventory > 0 {
			r.Phases = append(r.Phases, rig.phase(ctx, "inventory", 0, *flagMixInventory, nil, rest))
		}
		r.Phases = append(r.Phases, rig.phase(ctx, "mixed", *flagMixEnroll, *flagMixInventory, func(d time.Duration) opRate {
			fired, lat, missing := fireRunNows(d)
			slices.Sort(lat)
			if missing > 0 {
				t.Errorf("mixed: %d of %d run-nows never reached their held check-in", missing, fired)
			}
			return opRate{Offered: fired, Answered: len(lat), Failed: missing, PerSec: float64(len(lat)) / d.Seconds(),
				P50ms: ms(percentile(lat, 0.5)), P99ms: ms(percentile(lat, 0.99))}
		}, rest))
	}
	r.HolderErrors = holderErrs.Load()
	r.PeakRSSKiB = rs.sample(t).peakKiB
	r.PeakPerHeldKiB = float64(r.PeakRSSKiB-before.rssKiB) / float64(n)
	t.Log("\n" + r.table())
	if *flagCheckInJSON != "" {
		b, _ := json.MarshalIndent(r, "", "  ")
		if err := os.WriteFile(*flagCheckInJSON, append(b, '\n'), 0o644); err != nil {
			t.Errorf("write -checkin-json-out: %v", err)
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d run-nows never reached their held check-in", missing, r.RunNows)
	}
	if r.RSSPerHeldKiB > *flagCheckInMaxKiB {
		t.Errorf("service RSS grew by %.1f KiB per held check-in, want at most %.0f KiB (-checkin-max-kib)", r.RSSPerHeldKiB, *flagCheckInMaxKiB)
	}
}

// freeAddr returns a free loopback address.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// enrollFleet enrolls n devices, device i with request(i), 32 at a time,
// and returns the service's answers.
func enrollFleet(t *testing.T, url, pin, key string, n int, request func(i int) *enroll.EnrollRequest) []*enroll.EnrollResponse {
	t.Helper()
	out := make([]*enroll.EnrollResponse, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 32 {
		c, err := enroll.NewClient(enroll.ClientConfig{URL: url, PinSHA256: pin, Timeout: 30 * time.Second, UserAgent: "glpi-agentd-loadtest"})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := range jobs {
				resp, err := c.Enroll(t.Context(), key, request(i))
				if err != nil {
					failed.CompareAndSwap(nil, fmt.Errorf("enroll %d: %w", i, err))
					continue
				}
				out[i] = resp
			}
		})
	}
	for i := range n {
		if failed.Load() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	return out
}

// serviceSample is the service's memory and goroutines at one time.
type serviceSample struct {
	rssKiB                int64
	peakKiB               int64 // VmHWM
	heapInuse, stackInuse int64
	goroutines            int
	cpuSeconds            float64 // user and system
	dbCPUSeconds          float64 // PostgreSQL's processes, when used
	checkIns              int64   // answered, from /metrics
}

// sampleService reads the service's VmRSS from /proc and, after a
// garbage collection, its heap and stacks in use and its goroutines.
func sampleService(t *testing.T, e *enrolld, admin string) serviceSample {
	t.Helper()
	var s serviceSample
	heap := httpGet(t, e.client, admin+"/debug/pprof/heap?gc=1&debug=1")
	for line := range strings.SplitSeq(string(heap), "\n") {
		if v, ok := strings.CutPrefix(line, "# HeapInuse = "); ok {
			s.heapInuse, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "# Stack = "); ok {
			s.stackInuse, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	g := httpGet(t, e.client, admin+"/debug/pprof/goroutine?debug=1")
	if v, ok := strings.CutPrefix(strings.SplitN(string(g), "\n", 2)[0], "goroutine profile: total "); ok {
		s.goroutines, _ = strconv.Atoi(v)
	}
	metrics := string(httpGet(t, e.client, admin+"/metrics"))
	s.checkIns = metricSum(metrics, "glpi_enrolld_checkins_total{")
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", e.cmd.Process.Pid)); err == nil {
		// Fields after the command's closing parenthesis: utime and
		// stime are the 12th and 13th, in clock ticks (100 a second).
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 12 {
			ut, _ := strconv.ParseFloat(f[11], 64)
			st, _ := strconv.ParseFloat(f[12], 64)
			s.cpuSeconds = (ut + st) / 100
		}
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", e.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("read the service's memory: %v", err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			s.rssKiB, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			s.peakKiB, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	if s.rssKiB == 0 || s.heapInuse == 0 {
		t.Fatalf("service memory unread: VmRSS %d KiB, HeapInuse %d", s.rssKiB, s.heapInuse)
	}
	return s
}

func httpGet(t *testing.T, c *http.Client, url string) []byte {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}

// saveProfiles writes the service's heap profile (for go tool pprof) and
// its goroutines, grouped by stack, into dir.
func saveProfiles(t *testing.T, c *http.Client, admin, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for file, path := range map[string]string{"heap.pprof": "/debug/pprof/heap?gc=1", "goroutine.txt": "/debug/pprof/goroutine?debug=1",
		"heap.txt": "/debug/pprof/heap?debug=1"} {
		if err := os.WriteFile(filepath.Join(dir, file), httpGet(t, c, admin+path), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// replicas are the services of the checkin mode: one on SQLite, or one
// or more on a PostgreSQL database.
type replicas struct {
	svcs     []*enrolld
	admins   []string // each one's admin listener
	postgres bool
}

// metricSum sums the values of the lines of metrics that start with
// prefix.
func metricSum(metrics, prefix string) int64 {
	var sum int64
	for line := range strings.SplitSeq(metrics, "\n") {
		if strings.HasPrefix(line, prefix) {
			f := strings.Fields(line)
			n, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
			sum += n
		}
	}
	return sum
}

// superseded sums the inventories the replicas took out of their outbox,
// a newer full inventory of the same device having come: they never
// reach GLPI, by design.
func (rs *replicas) superseded(t *testing.T) int64 {
	var sum int64
	for i, e := range rs.svcs {
		sum += metricSum(string(httpGet(t, e.client, rs.admins[i]+"/metrics")), `glpi_enrolld_outbox_dropped_total{reason="superseded"}`)
	}
	return sum
}

// sample sums the replicas' samples, with the database's CPU.
func (rs *replicas) sample(t *testing.T) serviceSample {
	var sum serviceSample
	for i, e := range rs.svcs {
		s := sampleService(t, e, rs.admins[i])
		sum.rssKiB += s.rssKiB
		sum.peakKiB += s.peakKiB
		sum.heapInuse += s.heapInuse
		sum.stackInuse += s.stackInuse
		sum.goroutines += s.goroutines
		sum.cpuSeconds += s.cpuSeconds
		sum.checkIns += s.checkIns
	}
	if rs.postgres {
		sum.dbCPUSeconds = processCPU("postgres")
	}
	return sum
}

// processCPU sums the CPU, user and system, of the processes named name.
func processCPU(name string) float64 {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var sum float64
	for _, file := range stats {
		stat, err := os.ReadFile(file)
		open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if err != nil || open < 0 || end < open || string(stat[open+1:end]) != name {
			continue
		}
		f := strings.Fields(string(stat[end+1:]))
		if len(f) > 12 {
			ut, _ := strconv.ParseFloat(f[11], 64)
			st, _ := strconv.ParseFloat(f[12], 64)
			sum += (ut + st) / 100
		}
	}
	return sum
}

// waitHeld waits until the replicas hold n check-ins between them.
func (rs *replicas) waitHeld(ctx context.Context, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var held float64
	for time.Now().Before(deadline) {
		held = 0
		for i, e := range rs.svcs {
			if v, err := e.metricAt(ctx, rs.admins[i]+"/metrics", "glpi_enrolld_checkins_held"); err == nil {
				held += v
			}
		}
		if int(held) >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("%v check-ins held after %v, want %d", held, limit, n)
}

// runNow queues an inventory for device id through the admin API.
func runNow(ctx context.Context, c *http.Client, admin, token, id string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, admin+strings.Replace(server.PathAdminRunNow, "{id}", id, 1), strings.NewReader("{}"))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

// delivery is an action a holder received for a device.
type delivery struct {
	device int
	at     time.Time
}

// startHolder runs a holder process for cfg and relays what it says.
func startHolder(t *testing.T, ctx context.Context, cfg holderConfig, delivered chan<- delivery, errs *atomic.Int64, protos *sync.Map) *exec.Cmd {
	t.Helper()
	b, _ := json.Marshal(cfg)
	file := filepath.Join(t.TempDir(), "holder.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), holderEnv+"="+file)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 3 && f[0] == "action":
				i, _ := strconv.Atoi(f[1])
				ns, _ := strconv.ParseInt(f[2], 10, 64)
				select {
				case delivered <- delivery{device: i, at: time.Unix(0, ns)}:
				case <-ctx.Done():
					return
				}
			case len(f) >= 1 && f[0] == "error":
				errs.Add(1)
			case len(f) == 2 && f[0] == "proto":
				protos.Store(f[1], true)
			}
		}
	}()
	return cmd
}

// machine describes this machine for the report.
func machine() string {
	return fmt.Sprintf("%s/%s, %d CPU, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
}
