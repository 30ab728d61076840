package server

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// metrics holds the server's Prometheus metrics, written in the text
// exposition format by hand.
type metrics struct {
	mu          sync.Mutex
	enrollments map[string]uint64 // by result
	refreshes   map[string]uint64 // by result
	relays      map[string]uint64 // by result
	inventories uint64
	checkIns    map[string]uint64 // by outcome: actions or idle
	shedding    map[string]uint64 // requests told to come back (gate), by kind
	// outboxDropped counts the inventories taken out of the outbox
	// unrelayed, by reason: superseded, or past the device's limit.
	outboxDropped map[string]uint64
	relayHist     histogram
	// held counts the check-ins waiting for an action.
	held atomic.Int64
}

var relayBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	count  uint64
}

func newMetrics() *metrics {
	return &metrics{
		enrollments:   map[string]uint64{},
		refreshes:     map[string]uint64{},
		relays:        map[string]uint64{},
		checkIns:      map[string]uint64{},
		shedding:      map[string]uint64{},
		outboxDropped: map[string]uint64{},
		relayHist:     histogram{counts: make([]uint64, len(relayBuckets))},
	}
}

func (m *metrics) enrollment(result string) { m.inc(m.enrollments, result) }
func (m *metrics) refresh(result string)    { m.inc(m.refreshes, result) }
func (m *metrics) shed(kind string)         { m.inc(m.shedding, kind) }

func (m *metrics) inc(counter map[string]uint64, label string) {
	m.mu.Lock()
	counter[label]++
	m.mu.Unlock()
}

func (m *metrics) checkIn(actions int) {
	outcome := "idle"
	if actions > 0 {
		outcome = "actions"
	}
	m.inc(m.checkIns, outcome)
}

func (m *metrics) inventory() {
	m.mu.Lock()
	m.inventories++
	m.mu.Unlock()
}

// trimmed counts the waiting inventories of a device that a new one took
// out of the outbox: superseded by it (a full inventory), or dropped past
// --outbox-per-device.
func (m *metrics) trimmed(superseded, dropped int) {
	m.mu.Lock()
	m.outboxDropped["superseded"] += uint64(superseded)
	m.outboxDropped["limit"] += uint64(dropped)
	m.mu.Unlock()
}

func (m *metrics) relay(result string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.relays[result]++
	s := d.Seconds()
	if i, _ := slices.BinarySearch(relayBuckets, s); i < len(relayBuckets) {
		m.relayHist.counts[i]++
	}
	m.relayHist.sum += s
	m.relayHist.count++
}

// write renders every metric; depth reads the outbox depth and actions
// counts actions by state.
func (m *metrics) write(ctx context.Context, w io.Writer, depth func(context.Context) (int64, error), actions func(context.Context) (map[string]int64, error)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	counter := func(name, help, label string, values map[string]uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		keys := make([]string, 0, len(values))
		for k := range values {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s{%s=%q} %d\n", name, label, k, values[k])
		}
	}
	counter("glpi_enrolld_enrollments_total", "Enrollment requests by result.", "result", m.enrollments)
	counter("glpi_enrolld_refreshes_total", "Credential refresh requests by result.", "result", m.refreshes)
	counter("glpi_enrolld_relays_total", "Inventory relays to GLPI by result.", "result", m.relays)
	counter("glpi_enrolld_checkins_total", "Check-ins answered, with actions or idle.", "outcome", m.checkIns)
	counter("glpi_enrolld_outbox_dropped_total", "Inventories taken out of the outbox unrelayed: superseded by a newer full inventory of the device, or past its limit (--outbox-per-device).", "reason", m.outboxDropped)
	counter("glpi_enrolld_requests_shed_total", "Requests told to come back, the service having no room for them (--max-in-flight).", "kind", m.shedding)
	fmt.Fprintf(w, "# HELP glpi_enrolld_checkins_held Check-ins held waiting for an action.\n# TYPE glpi_enrolld_checkins_held gauge\nglpi_enrolld_checkins_held %d\n", m.held.Load())
	if counts, err := actions(ctx); err == nil {
		fmt.Fprintf(w, "# HELP glpi_enrolld_actions Actions by state.\n# TYPE glpi_enrolld_actions gauge\n")
		states := make([]string, 0, len(counts))
		for st := range counts {
			states = append(states, st)
		}
		slices.Sort(states)
		for _, st := range states {
			fmt.Fprintf(w, "glpi_enrolld_actions{state=%q} %d\n", st, counts[st])
		}
	}
	fmt.Fprintf(w, "# HELP glpi_enrolld_inventories_accepted_total Inventories accepted.\n# TYPE glpi_enrolld_inventories_accepted_total counter\nglpi_enrolld_inventories_accepted_total %d\n", m.inventories)
	if n, err := depth(ctx); err == nil {
		fmt.Fprintf(w, "# HELP glpi_enrolld_outbox_depth Inventories waiting to be relayed.\n# TYPE glpi_enrolld_outbox_depth gauge\nglpi_enrolld_outbox_depth %d\n", n)
	}
	const h = "glpi_enrolld_relay_duration_seconds"
	fmt.Fprintf(w, "# HELP %s Duration of inventory relays to GLPI.\n# TYPE %s histogram\n", h, h)
	var cum uint64
	for i, le := range relayBuckets {
		cum += m.relayHist.counts[i]
		fmt.Fprintf(w, "%s_bucket{le=%q} %d\n", h, strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %g\n%s_count %d\n", h, m.relayHist.count, h, m.relayHist.sum, h, m.relayHist.count)
}
