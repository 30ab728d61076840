//go:build loadtest

package loadtest

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
)

// The checkin mode's load phases: while every check-in is held, the
// service takes enrollments alone, inventories alone (relayed to a GLPI
// stand-in), then both with a run-now every second. Each phase offers
// its requests at a fixed rate (open loop, each on a new TLS connection,
// as a fleet's devices do) and reads the service's CPU from /proc, so
// the cost of each kind of request is the service's own, not the load
// generator's, which shares the machine.

var (
	flagMixEnroll    = flag.Int("checkin-enroll-rate", 40, "enrollments a second offered in the checkin mode's load phases (0: none)")
	flagMixInventory = flag.Int("checkin-inventory-rate", 15, "inventories a second offered in the checkin mode's load phases (0: none)")
	flagMixPhase     = flag.Duration("checkin-phase", 5*time.Second, "how long each load phase of the checkin mode offers its requests")
)

// loadPhase holds one load phase's figures.
type loadPhase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"` // until the relay drained the phase's inventories
	// Offered and answered requests, and the answered ones' latency.
	Enroll    opRate `json:"enrollments"`
	Inventory opRate `json:"inventories"`
	Relayed   int    `json:"relayed"`
	// Superseded inventories were taken out of the outbox for a newer
	// full one of the same device.
	Superseded int   `json:"superseded"`
	CheckIns   int64 `json:"checkins_answered"`
	// The service's CPU over the phase, in seconds and in cores.
	CPUSeconds float64 `json:"cpu_seconds"`
	Cores      float64 `json:"cores"`
	// PostgreSQL's CPU over the phase, when used.
	DBCPUSeconds float64 `json:"database_cpu_seconds,omitempty"`
	// The phase's CPU less what the held check-ins cost at rest (the
	// run-now phase's cores), divided by its enrollments or inventories.
	CPUPerRequestUs float64 `json:"cpu_per_request_us,omitempty"`
	RunNow          *opRate `json:"run_now,omitempty"`
}

// opRate sums up the requests of one kind in a phase.
type opRate struct {
	Offered  int     `json:"offered"`
	Answered int     `json:"answered"`
	Failed   int     `json:"failed"`
	PerSec   float64 `json:"per_second"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
}

func (p *loadPhase) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %-11s %5.1f s, service %.2f cores (%.1f s CPU, %d check-ins)", p.Name, p.Seconds, p.Cores, p.CPUSeconds, p.CheckIns)
	if p.CPUPerRequestUs > 0 {
		fmt.Fprintf(&b, ", %.0f µs a request", p.CPUPerRequestUs)
	}
	if p.DBCPUSeconds > 0 {
		fmt.Fprintf(&b, "; PostgreSQL %.2f cores (%.1f s CPU)", p.DBCPUSeconds/p.Seconds, p.DBCPUSeconds)
	}
	for _, o := range []struct {
		name string
		r    *opRate
	}{{"enroll", &p.Enroll}, {"inventory", &p.Inventory}, {"run-now", p.RunNow}} {
		if o.r != nil && o.r.Offered > 0 {
			fmt.Fprintf(&b, "\n    %-9s %d offered, %d answered (%.0f/s), %d failed, p50 %.0f ms, p99 %.0f ms",
				o.name, o.r.Offered, o.r.Answered, o.r.PerSec, o.r.Failed, o.r.P50ms, o.r.P99ms)
		}
	}
	if p.Relayed > 0 {
		fmt.Fprintf(&b, "\n    relayed   %d reached GLPI", p.Relayed)
		if p.Superseded > 0 {
			fmt.Fprintf(&b, ", %d superseded by their device's next", p.Superseded)
		}
	}
	return b.String()
}

// loadRig offers enrollments and inventories to a service under TLS.
type loadRig struct {
	t      *testing.T
	rs     *replicas
	glpi   *glpiFront
	key    string
	tc     func() *http.Client // a client whose connections serve one request
	run    string
	next   atomic.Int64 // enrollments made, for unique identities
	tokens []string     // the inventory devices' access tokens
	bodies [][]byte     // and each one's inventory, zlib
}

// newLoadRig enrolls the devices that send inventories in the phases
// (enough for each to send one every ten seconds) and renders and
// compresses each one's inventory once: agents compress on their own
// CPUs.
func newLoadRig(t *testing.T, rs *replicas, pin, key string, glpi *glpiFront) *loadRig {
	tc, err := tlspin.ClientConfig(tlspin.Config{Host: "127.0.0.1", Pins: []string{pin}})
	if err != nil {
		t.Fatal(err)
	}
	rig := &loadRig{t: t, rs: rs, glpi: glpi, key: key,
		run: fmt.Sprintf("%x", time.Now().UnixNano()%1e9),
		tc: func() *http.Client {
			return &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: tc.Clone(), DisableKeepAlives: true}}
		}}
	n := min(*flagMixInventory*10, 5000)
	if n == 0 {
		return rig
	}
	tmpl := newTemplate()
	resps := enrollFleet(t, rs.svcs[0].URL, pin, key, n, func(i int) *enroll.EnrollRequest { return inventoryDevice(rig.run, i) })
	rig.tokens, rig.bodies = make([]string, n), make([][]byte, n)
	zw := zlib.NewWriter(nil)
	for i, er := range resps {
		host, uuid, serial := deviceIdentity(rig.run, i)
		body := tmpl.render(&invVars{DeviceID: er.GLPIDeviceID, Tag: er.Tag, Host: host, UUID: uuid, Serial: serial,
			MAC: fmt.Sprintf("02:00:00:00:%02x:%02x", i>>8&0xff, i&0xff), IP: fmt.Sprintf("10.9.%d.%d", i>>8&0xff, i&0xff),
			Run: i % 7, Marker: marker(rig.run, i, 1)})
		var b bytes.Buffer
		zw.Reset(&b)
		zw.Write(body)
		zw.Close()
		rig.tokens[i], rig.bodies[i] = er.Credential.AccessToken, b.Bytes()
	}
	return rig
}

// deviceIdentity is the host name, SMBIOS UUID and serial of the load
// phases' inventory device i.
func deviceIdentity(run string, i int) (host, uuid, serial string) {
	return fmt.Sprintf("mix-%s-%06d", run, i), fmt.Sprintf("4C4C4544-%04X-%04X-%04X-%012X", i>>16&0xffff, i&0xffff, 0x9000, i), fmt.Sprintf("MX%08d", i)
}

func inventoryDevice(run string, i int) *enroll.EnrollRequest {
	host, uuid, serial := deviceIdentity(run, i)
	install := "install-" + host
	return &enroll.EnrollRequest{Hostname: host, AgentVersion: "loadtest", OS: "linux", Arch: "amd64", InstallID: install,
		Fingerprint: enroll.Fingerprint{InstallID: install, MachineID: fmt.Sprintf("%032x", uint64(i)+5<<40),
			SMBIOSUUID: enroll.HashSignal(enroll.SignalUUID(uuid)), Serial: enroll.HashSignal(serial)}}
}

// enroll enrolls a new device, on a connection of its own.
func (rig *loadRig) enroll(ctx context.Context) error {
	i := rig.next.Add(1)
	id := fmt.Sprintf("%s-new-%07d", rig.run, i)
	body, _ := json.Marshal(&enroll.EnrollRequest{Hostname: "new-" + id, AgentVersion: "loadtest", OS: "windows", Arch: "amd64",
		InstallID: "install-" + id, Fingerprint: enroll.Fingerprint{InstallID: "install-" + id, MachineID: fmt.Sprintf("%032x", uint64(i)+7<<40)}})
	return rig.post(ctx, int(i), enroll.PathEnroll, rig.key, "application/json", body, http.StatusCreated)
}

// inventory sends device i's inventory, on a connection of its own.
func (rig *loadRig) inventory(ctx context.Context, i int) error {
	i %= len(rig.tokens)
	return rig.post(ctx, i, enroll.PathInventory, rig.tokens[i], "application/x-compress-zlib", rig.bodies[i], http.StatusAccepted)
}

// post sends a request to replica i (modulo their number).
func (rig *loadRig) post(ctx context.Context, i int, path, bearer, ctype string, body []byte, want int) error {
	url := rig.rs.svcs[i%len(rig.rs.svcs)].URL
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := rig.tc().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

// offer sends rate requests a second for d, each in its own goroutine,
// and waits for their answers.
func offer(ctx context.Context, rate int, d time.Duration, do func(ctx context.Context, i int) error) opRate {
	var (
		r   opRate
		mu  sync.Mutex
		lat []time.Duration
		wg  sync.WaitGroup
	)
	if rate <= 0 {
		return r
	}
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := 0; time.Duration(i)*interval < d && ctx.Err() == nil; i++ {
		if w := time.Until(start.Add(time.Duration(i) * interval)); w > 0 {
			time.Sleep(w)
		}
		r.Offered++
		wg.Go(func() {
			t0 := time.Now()
			err := do(ctx, i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if r.Failed++; r.Failed <= 3 {
					fmt.Fprintln(os.Stderr, "load phase:", err)
				}
				return
			}
			lat = append(lat, time.Since(t0))
		})
	}
	wg.Wait()
	slices.Sort(lat)
	r.Answered = len(lat)
	r.PerSec = float64(r.Answered) / time.Since(start).Seconds()
	r.P50ms, r.P99ms = ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99))
	return r
}

// phase runs one load phase: enroll and inventory are the rates offered,
// runNows, if set, fires run-nows meanwhile. restCores is the service's
// CPU at rest with every check-in held, to tell the requests' share.
func (rig *loadRig) phase(ctx context.Context, name string, enrollRate, invRate int, runNows func(time.Duration) opRate, restCores float64) *loadPhase {
	t := rig.t
	p := &loadPhase{Name: name}
	relayedBefore, supersededBefore := rig.glpi.count(), rig.rs.superseded(t)
	before := rig.rs.sample(t)
	start := time.Now()
	var cpuProfile []byte
	var wg sync.WaitGroup
	if *flagCheckInProfile != "" {
		wg.Go(func() {
			cpuProfile = httpGet(t, rig.rs.svcs[0].client, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", rig.rs.admins[0], int(min(flagMixPhase.Seconds(), 50))))
		})
	}
	wg.Go(func() {
		p.Enroll = offer(ctx, enrollRate, *flagMixPhase, func(ctx context.Context, _ int) error { return rig.enroll(ctx) })
	})
	wg.Go(func() { p.Inventory = offer(ctx, invRate, *flagMixPhase, rig.inventory) })
	if runNows != nil {
		wg.Go(func() { r := runNows(*flagMixPhase); p.RunNow = &r })
	}
	wg.Wait()
	// The phase's inventories are its work until GLPI has them, or a newer
	// full inventory of their device superseded them in the outbox (each
	// device sends one every ten seconds: a relay behind an intake at
	// full speed sends only the newest).
	accounted := func() int {
		p.Relayed, p.Superseded = rig.glpi.count()-relayedBefore, int(rig.rs.superseded(t)-supersededBefore)
		return p.Relayed + p.Superseded
	}
	for deadline := time.Now().Add(2 * time.Minute); accounted() < p.Inventory.Answered && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	p.Seconds = time.Since(start).Seconds()
	after := rig.rs.sample(t)
	if accounted() < p.Inventory.Answered {
		t.Errorf("%s: of %d accepted inventories, %d reached GLPI and %d were superseded within 2 minutes", name, p.Inventory.Answered, p.Relayed, p.Superseded)
	}
	p.CheckIns = after.checkIns - before.checkIns
	p.CPUSeconds = after.cpuSeconds - before.cpuSeconds
	p.DBCPUSeconds = after.dbCPUSeconds - before.dbCPUSeconds
	p.Cores = p.CPUSeconds / p.Seconds
	if n := p.Enroll.Answered + p.Inventory.Answered; n > 0 && (p.Enroll.Answered == 0 || p.Inventory.Answered == 0) {
		p.CPUPerRequestUs = max(0, p.CPUSeconds-restCores*p.Seconds) / float64(n) * 1e6
	}
	if fails := p.Enroll.Failed + p.Inventory.Failed; fails > 0 {
		t.Errorf("%s: %d requests failed", name, fails)
	}
	if cpuProfile != nil {
		file := filepath.Join(*flagCheckInProfile, "cpu-"+name+".pprof")
		if err := os.WriteFile(file, cpuProfile, 0o644); err != nil {
			t.Error(err)
		}
	}
	return p
}
