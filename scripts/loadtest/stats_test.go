package loadtest

import (
	"context"
	"errors"
	"maps"
	"math"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// stats records the latency of every successful operation and counts
// failures by kind. It is safe for concurrent use.
type stats struct {
	mu   sync.Mutex
	lat  map[string][]time.Duration
	errs map[string]int
}

func newStats() *stats {
	return &stats{lat: map[string][]time.Duration{}, errs: map[string]int{}}
}

func (s *stats) observe(op string, d time.Duration) {
	s.mu.Lock()
	s.lat[op] = append(s.lat[op], d)
	s.mu.Unlock()
}

func (s *stats) fail(op string, err error) {
	s.mu.Lock()
	s.errs[op+": "+errorKind(err)]++
	s.mu.Unlock()
}

// opSummary sums up one operation.
type opSummary struct {
	Count int     `json:"count"`
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	Maxms float64 `json:"max_ms"`
}

func (s *stats) summaries() map[string]opSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]opSummary, len(s.lat))
	for op, ds := range s.lat {
		sorted := slices.Clone(ds)
		slices.Sort(sorted)
		out[op] = opSummary{Count: len(sorted), P50ms: ms(percentile(sorted, 0.50)),
			P99ms: ms(percentile(sorted, 0.99)), Maxms: ms(percentile(sorted, 1))}
	}
	return out
}

func (s *stats) errors() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.errs)
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*10) / 10
}

// percentile returns the nearest-rank q-quantile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// errorKind names the kind of a failed call: the server's status and
// reason, a timeout or a network error.
func errorKind(err error) string {
	var rej *enroll.RejectError
	var nerr net.Error
	switch {
	case errors.As(err, &rej):
		if rej.Reason != "" {
			return string(rej.Reason)
		}
		return "http " + strconv.Itoa(rej.Status)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return "timeout"
	case errors.As(err, &nerr):
		return "network"
	}
	return "other"
}

func TestPercentile(t *testing.T) {
	ds := func(ms ...int) []time.Duration {
		out := make([]time.Duration, len(ms))
		for i, m := range ms {
			out[i] = time.Duration(m) * time.Millisecond
		}
		return out
	}
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ds(7), 0.99, 7 * time.Millisecond},
		{"median of four", ds(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p99 of hundred", hundred, 0.99, 99 * time.Millisecond},
		{"max", ds(1, 5, 9), 1, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("percentile(%v, %g) = %v, want %v", tt.sorted, tt.q, got, tt.want)
			}
		})
	}
}

func TestErrorKind(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&enroll.RejectError{Status: 503, Reason: enroll.ReasonInternal}, "internal"},
		{&enroll.RejectError{Status: 502}, "http 502"},
		{context.DeadlineExceeded, "timeout"},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, "network"},
		{errors.New("boom"), "other"},
	}
	for _, tt := range tests {
		if got := errorKind(tt.err); got != tt.want {
			t.Errorf("errorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
