// Package loadtest plays a fleet of simulated agents against the real
// glpi-enrolld binary on 127.0.0.1, with a GLPI stand-in behind it, and
// injects faults: a thundering herd, a kill -9 of the service, a restart
// (SIGTERM), a GLPI outage, two replicas on one PostgreSQL database. It measures throughput
// and latency, then checks that every inventory the service acknowledged
// reached GLPI and that every device exists once.
//
// The default size runs with go test ./...; larger runs take flags:
//
//	go test ./scripts/loadtest -run TestLoad -count=1 -v -timeout 2h -args -agents 20000 -stress-agents 0 -mode all
package loadtest

import (
	"context"
	"flag"
	"fmt"
	"maps"
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

	"github.com/glpi-agentd/glpi-agentd/enroll/store/pgtest"
)

var (
	flagAgents      = flag.Int("agents", 2000, "simulated agents in steady mode")
	flagStress      = flag.Int("stress-agents", 250, "simulated agents in herd, kill, restart, glpidown and pg2 modes; 0 for -agents")
	flagMode        = flag.String("mode", "all", "steady, herd, kill, restart, glpidown, pg2, checkin or all (comma-separated list allowed)")
	flagInventories = flag.Int("inventories", 2, "inventories sent by each agent")
	flagWorkers     = flag.Int("concurrency", 256, "agents in flight at once")
	flagHerdWorkers = flag.Int("herd-concurrency", 1024, "agents in flight at once in herd mode")
	flagRamp        = flag.Duration("ramp", 5*time.Second, "agents start spread over this period (all but herd)")
	flagValidate    = flag.Int("validate-every", 20, "GLPI validates one inventory in N against the schema: 1 uses glpitest for all, 0 none")
	flagRelay       = flag.Int("relay-concurrency", 4, "glpi-enrolld --relay-concurrency")
	flagOutage      = flag.Duration("outage", 10*time.Second, "how long GLPI answers 503 in glpidown mode")
	flagDrain       = flag.Duration("drain-timeout", 3*time.Minute, "how long to wait for the outbox to drain after the agents")
	flagStall       = flag.Duration("stall", 15*time.Second, "stop waiting for the outbox once it made no progress for this long (a crash leaves claimed items leased for up to 1 min)")
	flagCheckInWait = flag.Int("checkin-wait", 1, "seconds a check-in long poll may be held")
	flagEnrolld     = flag.String("enrolld", "", "prebuilt glpi-enrolld binary (default: build ./cmd/glpi-enrolld)")
	flagJSONOut     = flag.String("json-out", "", "write the figures of every mode to this JSON file")
)

var modes = []string{"steady", "herd", "kill", "restart", "glpidown", "pg2", "checkin"}

var (
	buildDir  string
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	if file := os.Getenv(holderEnv); file != "" {
		os.Exit(runHolder(file)) // a holder process of the checkin mode
	}
	flag.Parse()
	dir, err := os.MkdirTemp("", "glpi-loadtest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// enrolldBin returns the glpi-enrolld binary under test, building it once.
func enrolldBin(t *testing.T) string {
	t.Helper()
	if *flagEnrolld != "" {
		return *flagEnrolld
	}
	buildOnce.Do(func() {
		builtBin = filepath.Join(buildDir, "glpi-enrolld")
		if runtime.GOOS == "windows" {
			builtBin += ".exe"
		}
		cmd := exec.Command("go", "build", "-o", builtBin, "github.com/glpi-agentd/glpi-agentd/cmd/glpi-enrolld")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build glpi-enrolld: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// report holds the figures of one mode.
type report struct {
	Mode          string               `json:"mode"`
	Agents        int                  `json:"agents"`
	Inventories   int                  `json:"inventories_per_agent"`
	InventorySize int                  `json:"inventory_bytes"`
	Store         string               `json:"store"`
	GLPI          string               `json:"glpi"`
	Machine       string               `json:"machine"`
	Seconds       float64              `json:"agent_phase_seconds"`
	EnrollRate    float64              `json:"enrollments_per_second"`
	InventoryRate float64              `json:"inventories_per_second"`
	Ops           map[string]opSummary `json:"operations"`
	Errors        map[string]int       `json:"errors"`
	CheckIn       bool                 `json:"checkin_served"`
	GaveUp        int                  `json:"agents_gave_up"`

	Acknowledged int `json:"acknowledged"`
	Relayed      int `json:"relayed_distinct"`
	Lost         int `json:"lost"`
	// Superseded counts inventories dropped from the outbox because a
	// newer full one of the same agent reached GLPI.
	Superseded     int     `json:"superseded"`
	Pending        int     `json:"pending_in_outbox"`
	Duplicated     int     `json:"relayed_duplicates"`
	NotAcked       int     `json:"relayed_not_acknowledged"`
	WrongDevice    int     `json:"relayed_with_wrong_deviceid"`
	Repeated       int     `json:"relayed_repeats_in_place"`
	OutOfOrder     int     `json:"relayed_out_of_order"`
	Devices        int     `json:"devices_listed"`
	GLPIAgents     int     `json:"glpi_distinct_deviceids"`
	StaleRelay     int     `json:"devices_with_stale_relay"`
	OutboxPeak     int     `json:"outbox_peak"`
	DrainSeconds   float64 `json:"drain_seconds"`
	Drained        bool    `json:"drained"`
	Refused503     int64   `json:"glpi_refused_503,omitempty"`
	SchemaRejected int64   `json:"glpi_schema_rejected"`
	KillAtAcked    int64   `json:"killed_after_acknowledged,omitempty"`
	StopAtAcked    int64   `json:"stopped_after_acknowledged,omitempty"`
	StopSeconds    float64 `json:"stop_seconds,omitempty"`
}

// runMode sets up glpi-enrolld and GLPI for mode, plays the fleet with
// the mode's fault, waits for the relay and verifies the outcome.
func runMode(t *testing.T, mode string, tmpl *template) *report {
	bin := enrolldBin(t)
	glpi := newGLPI(t, *flagValidate)
	serve := []string{"--glpi-url", glpi.URL, "--relay-concurrency", strconv.Itoa(*flagRelay)}
	agents := *flagAgents
	if mode != "steady" && *flagStress > 0 {
		agents = *flagStress
	}
	r := &report{Mode: mode, Agents: agents, Inventories: *flagInventories, Store: "sqlite",
		GLPI:    fmt.Sprintf("validating 1 in %d", *flagValidate),
		Machine: fmt.Sprintf("%s/%s, %d CPU, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())}
	var servers []*enrolld
	if mode == "pg2" {
		dsn := os.Getenv("GLPI_ENROLLD_TEST_DATABASE")
		if dsn == "" {
			t.Skip("pg2 needs GLPI_ENROLLD_TEST_DATABASE=postgres://… (a PostgreSQL the test may create schemas in)")
		}
		store := []string{"--database", pgtest.Schema(t)}
		// One after the other: the first creates the schema and the secret.
		servers = append(servers, startEnrolld(t, bin, store, serve...), startEnrolld(t, bin, store, serve...))
		r.Store = "postgresql, 2 replicas"
	} else {
		servers = append(servers, startEnrolld(t, bin, []string{"--data-dir", t.TempDir()}, serve...))
	}
	primary := servers[0]

	if *flagValidate == 0 {
		r.GLPI = "not validating"
	}
	cfg := simConfig{Key: primary.newKey("loadtest"), Agents: agents, Inventories: *flagInventories,
		Workers: *flagWorkers, Ramp: *flagRamp, CheckIn: checkInSupported(t, primary.URL), CheckInWait: *flagCheckInWait,
		Run: strconv.FormatInt(time.Now().UnixNano()%1e9, 36), Deadline: 5 * time.Minute}
	for _, s := range servers {
		cfg.URLs = append(cfg.URLs, s.URL)
	}
	if mode == "herd" {
		cfg.Ramp, cfg.Workers = 0, *flagHerdWorkers
	}
	r.CheckIn = cfg.CheckIn
	r.InventorySize = len(tmpl.render(&invVars{}))
	s := newSim(cfg, tmpl)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var peak, lastDepth atomic.Int64
	go sampleOutbox(ctx, primary, &peak, &lastDepth)

	total := int64(cfg.Agents * cfg.Inventories)
	var faults sync.WaitGroup
	var recovered atomic.Int64 // unix nanoseconds GLPI came back
	switch mode {
	case "kill":
		faults.Go(func() {
			for s.acked.Load() < total*2/5 && ctx.Err() == nil {
				time.Sleep(20 * time.Millisecond)
			}
			r.KillAtAcked = s.acked.Load()
			primary.kill()
			time.Sleep(time.Second)
			if err := primary.start(); err != nil {
				t.Errorf("restart after kill: %v", err)
			}
		})
	case "restart":
		// An upgrade or a configuration change: SIGTERM under load. The
		// relays in flight finish first, so nothing is sent twice.
		faults.Go(func() {
			for s.acked.Load() < total*2/5 && ctx.Err() == nil {
				time.Sleep(20 * time.Millisecond)
			}
			r.StopAtAcked = s.acked.Load()
			began := time.Now()
			if err := primary.stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
			r.StopSeconds = time.Since(began).Seconds()
			if err := primary.start(); err != nil {
				t.Errorf("restart after stop: %v", err)
			}
		})
	case "glpidown":
		glpi.down.Store(true)
		faults.Go(func() {
			select {
			case <-ctx.Done():
			case <-time.After(*flagOutage):
			}
			glpi.down.Store(false)
			recovered.Store(time.Now().UnixNano())
		})
	}

	start := time.Now()
	if err := s.run(ctx); err != nil {
		t.Errorf("fleet: %v", err)
	}
	phaseEnd := time.Now()
	r.Seconds = phaseEnd.Sub(start).Seconds()
	faults.Wait()

	acks := s.ackList()
	r.Acknowledged, r.GaveUp = len(acks), s.gaveUp
	r.Ops, r.Errors = s.stats.summaries(), s.stats.errors()
	r.EnrollRate = float64(r.Ops["enroll"].Count) / r.Seconds
	r.InventoryRate = float64(r.Ops["inventory"].Count) / r.Seconds

	drainFrom := phaseEnd
	if ns := recovered.Load(); ns > 0 && time.Unix(0, ns).After(drainFrom) {
		drainFrom = time.Unix(0, ns)
	}
	// Each agent's last inventory reaches GLPI; an earlier one may not,
	// superseded in the outbox by a newer full one.
	ackedAgents := map[int]bool{}
	for _, a := range acks {
		ackedAgents[a.Agent] = true
	}
	r.Drained = waitDrained(ctx, primary, glpi, len(ackedAgents), *flagDrain, *flagStall)
	r.DrainSeconds = time.Since(drainFrom).Seconds()
	r.Refused503 = glpi.refused.Load()
	cancel()
	r.OutboxPeak = int(peak.Load())
	depth, err := primary.metric(t.Context(), "glpi_enrolld_outbox_depth")
	if err != nil {
		t.Errorf("outbox depth: %v", err)
	}
	r.SchemaRejected = glpi.rejected()
	verify(t, r, s, acks, glpi.received(t), primary.devices(), int(depth))
	return r
}

// sampleOutbox records the peak outbox depth until ctx is done.
func sampleOutbox(ctx context.Context, e *enrolld, peak, last *atomic.Int64) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if d, err := e.metric(ctx, "glpi_enrolld_outbox_depth"); err == nil {
			last.Store(int64(d))
			if int64(d) > peak.Load() {
				peak.Store(int64(d))
			}
		}
	}
}

// waitDrained waits until the outbox is empty and GLPI holds at least
// want inventories (one per agent); it gives up after timeout, or once
// neither the outbox nor GLPI moved for stall.
func waitDrained(ctx context.Context, e *enrolld, glpi *glpiFront, want int, timeout, stall time.Duration) bool {
	deadline := time.Now().Add(timeout)
	lastDepth, lastCount, moved := -1.0, -1, time.Now()
	for ; time.Now().Before(deadline) && time.Since(moved) < stall; time.Sleep(100 * time.Millisecond) {
		d, err := e.metric(ctx, "glpi_enrolld_outbox_depth")
		n := glpi.count()
		if err == nil && d == 0 && n >= want {
			return true
		}
		if d != lastDepth || n != lastCount {
			lastDepth, lastCount, moved = d, n, time.Now()
		}
	}
	return false
}

// verify checks the outcome of a run and fills in r: acknowledged
// inventories at GLPI once, devices listed once each, the relay status of
// every device pointing at its last inventory.
func verify(t *testing.T, r *report, s *sim, acks []ack, got []received, devs []deviceRow, depth int) {
	t.Helper()
	deviceOf := map[int]string{}
	for i, er := range s.enrolled {
		if er != nil {
			deviceOf[i] = er.GLPIDeviceID
		}
	}
	seen := map[string]int{}
	glpiDevices := map[string]bool{}
	lastSeq := map[string]int{} // GLPI deviceid -> seq of the inventory GLPI got last
	for _, rec := range got {
		seen[rec.Marker]++
		glpiDevices[rec.DeviceID] = true
		var run string
		var agent, seq int
		if _, err := fmt.Sscanf(strings.ReplaceAll(rec.Marker, ":", " "), "lt %s %d %d", &run, &agent, &seq); err != nil {
			r.WrongDevice++
			continue
		}
		if rec.DeviceID != deviceOf[agent] {
			r.WrongDevice++
		}
		// GLPI keeps the state of the last inventory it imported: it must
		// get a device's inventories in the order the agent sent them. A
		// repeat is harmless only right after itself (A A B, not A B A).
		switch last := lastSeq[rec.DeviceID]; {
		case seq == last:
			r.Repeated++
		case seq < last:
			r.OutOfOrder++
		}
		lastSeq[rec.DeviceID] = max(lastSeq[rec.DeviceID], seq)
	}
	r.GLPIAgents = len(glpiDevices)
	ackedMarkers := map[string]bool{}
	lastID := map[string]int64{} // GLPI deviceid -> id of its last acknowledged inventory
	for _, a := range acks {
		ackedMarkers[a.Marker] = true
		lastID[deviceOf[a.Agent]] = max(lastID[deviceOf[a.Agent]], a.ID)
	}
	for m := range ackedMarkers {
		switch n := seen[m]; {
		case n == 0 && supersededMarker(m, deviceOf, lastSeq):
			r.Superseded++
		case n == 0:
			r.Lost++
		case n > 1:
			r.Duplicated += n - 1
		}
	}
	r.Relayed = len(ackedMarkers) - r.Lost - r.Superseded
	for m, n := range seen {
		if !ackedMarkers[m] {
			r.NotAcked += n
		}
	}
	if !r.Drained && r.Lost <= depth {
		// Still queued, not lost: the relay was too slow for the drain
		// timeout, or, after a kill, items the dead process had claimed stay
		// leased until the lease ends.
		r.Pending, r.Lost = r.Lost, 0
	}
	r.Devices = len(devs)
	distinct := map[string]bool{}
	for _, d := range devs {
		distinct[d.GLPIDeviceID] = true
		if r.Drained && (d.RelayStatus != "ok" || d.RelayInventoryID != nil && *d.RelayInventoryID != lastID[d.GLPIDeviceID]) {
			r.StaleRelay++
		}
	}

	if r.GaveUp > 0 {
		t.Errorf("%d agents gave up before their deadline; errors: %v", r.GaveUp, r.Errors)
	}
	if r.Lost > 0 {
		t.Errorf("%d acknowledged inventories never reached GLPI (outbox depth %d, drained %v)", r.Lost, depth, r.Drained)
	}
	if !r.Drained && (r.Mode != "kill" || r.Pending == 0) {
		t.Errorf("outbox not drained: depth %d, %d acknowledged inventories still queued", depth, r.Pending)
	}
	if r.SchemaRejected > 0 {
		t.Errorf("GLPI found %d relayed inventories invalid against the schema", r.SchemaRejected)
	}
	if r.WrongDevice > 0 {
		t.Errorf("%d inventories reached GLPI under another device's deviceid", r.WrongDevice)
	}
	if r.Devices != r.Agents || len(distinct) != r.Agents {
		t.Errorf("device list: %d rows, %d distinct GLPI deviceids, want %d", r.Devices, len(distinct), r.Agents)
	}
	if r.Drained && r.GLPIAgents != r.Agents {
		t.Errorf("GLPI agents table: %d deviceids, want %d", r.GLPIAgents, r.Agents)
	}
	if r.StaleRelay > 0 {
		t.Errorf("%d devices do not show their last inventory relayed", r.StaleRelay)
	}
	if r.OutOfOrder > 0 {
		t.Errorf("GLPI got %d inventories after a newer one of the same device", r.OutOfOrder)
	}
	repeats := 0
	for _, n := range seen {
		repeats += n - 1
	}
	if r.Repeated != repeats {
		t.Errorf("GLPI got %d repeated inventories, only %d of them right after themselves", repeats, r.Repeated)
	}
	// Without a crash, an inventory is relayed exactly once, across a
	// restart too; after a kill -9 a relay in flight may repeat.
	if r.Mode != "kill" && (r.Duplicated > 0 || r.NotAcked > 0) {
		t.Errorf("GLPI received %d duplicated and %d unacknowledged inventories, want none", r.Duplicated, r.NotAcked)
	}
	if r.Mode == "glpidown" && r.Errors["inventory: "+"internal"] > 0 {
		t.Errorf("agents were refused during the GLPI outage: %v", r.Errors)
	}
}

func (s *sim) ackList() []ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acks)
}

// table renders r for the test log.
func (r *report) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d agents x %d inventories (%d KB), %s, GLPI %s, %s\n",
		r.Mode, r.Agents, r.Inventories, r.InventorySize>>10, r.Store, r.GLPI, r.Machine)
	fmt.Fprintf(&b, "  agent phase %.1f s: %.0f enrollments/s, %.0f inventories/s\n", r.Seconds, r.EnrollRate, r.InventoryRate)
	fmt.Fprintf(&b, "  %-12s %7s %10s %10s %10s\n", "operation", "count", "p50 ms", "p99 ms", "max ms")
	for _, op := range []string{"enroll", "inventory", "refresh", "check-in", "agent total"} {
		if o, ok := r.Ops[op]; ok {
			fmt.Fprintf(&b, "  %-12s %7d %10.1f %10.1f %10.1f\n", op, o.Count, o.P50ms, o.P99ms, o.Maxms)
		}
	}
	if !r.CheckIn {
		b.WriteString("  check-in     not served by this glpi-enrolld (404): skipped\n")
	}
	errs := "none"
	if len(r.Errors) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.Errors[k]))
		}
		errs = strings.Join(parts, ", ")
	}
	fmt.Fprintf(&b, "  errors (retried): %s\n", errs)
	fmt.Fprintf(&b, "  relay: %d acknowledged, %d at GLPI, %d superseded, %d lost, %d pending, %d duplicated (%d in place), %d out of order, %d not acknowledged, %d wrong deviceid\n",
		r.Acknowledged, r.Relayed, r.Superseded, r.Lost, r.Pending, r.Duplicated, r.Repeated, r.OutOfOrder, r.NotAcked, r.WrongDevice)
	fmt.Fprintf(&b, "  outbox peak %d, drained %v in %.1f s", r.OutboxPeak, r.Drained, r.DrainSeconds)
	if r.Refused503 > 0 {
		fmt.Fprintf(&b, ", GLPI refused %d posts with 503", r.Refused503)
	}
	if r.KillAtAcked > 0 {
		fmt.Fprintf(&b, ", killed -9 after %d acknowledged", r.KillAtAcked)
	}
	if r.StopAtAcked > 0 {
		fmt.Fprintf(&b, ", stopped (SIGTERM, %.1f s) after %d acknowledged", r.StopSeconds, r.StopAtAcked)
	}
	fmt.Fprintf(&b, "\n  devices: %d listed, %d deviceids at GLPI, %d with a stale relay status\n", r.Devices, r.GLPIAgents, r.StaleRelay)
	return b.String()
}

// supersededMarker reports whether the inventory of marker m never reached
// GLPI because a newer one of the same agent did: the service drops the
// waiting inventories a newer full one supersedes.
func supersededMarker(m string, deviceOf map[int]string, lastSeq map[string]int) bool {
	var run string
	var agent, seq int
	if _, err := fmt.Sscanf(strings.ReplaceAll(m, ":", " "), "lt %s %d %d", &run, &agent, &seq); err != nil {
		return false
	}
	return lastSeq[deviceOf[agent]] > seq
}
