package agent

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestNextDelay(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		max, lo time.Duration
	}{
		{time.Hour, time.Hour - time.Hour/6},
		{12 * time.Hour, 11 * time.Hour},
		{24 * time.Hour, 23 * time.Hour},
		{48 * time.Hour, 46 * time.Hour},
		{0, 23 * time.Hour}, // no server delay yet: GLPI's default, a day
	}
	for _, tt := range tests {
		hi := tt.max
		if hi == 0 {
			hi = 24 * time.Hour
		}
		for range 200 {
			if d := nextDelay(tt.max, r); d < tt.lo || d > hi {
				t.Fatalf("nextDelay(%v) = %v, want in [%v, %v]", tt.max, d, tt.lo, hi)
			}
		}
	}
}

func TestBackoff(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	limit := time.Hour
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute},
		{6, 32 * time.Minute}, {7, time.Hour}, {50, time.Hour},
	}
	for _, tt := range tests {
		d := backoff(tt.failures, limit, r)
		if d > tt.want || d < tt.want-tt.want/10 {
			t.Errorf("backoff(%d) = %v, want %v less at most a tenth", tt.failures, d, tt.want)
		}
	}
}

func TestFirstDelay(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 100 {
		if d := firstDelay(time.Hour, r); d < 0 || d >= time.Minute {
			t.Fatalf("firstDelay(1h) = %v, want under a minute", d)
		}
		if d := firstDelay(10*time.Second, r); d >= 10*time.Second {
			t.Fatalf("firstDelay(10s) = %v, want under 10s", d)
		}
	}
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name string
		a, b Request
		want Request
	}{
		{"two plain", Request{}, Request{}, Request{}},
		{"full wins", Request{Full: true}, Request{}, Request{Full: true}},
		{"categories union", Request{Categories: []string{"software"}}, Request{Categories: []string{"cpu", "software"}}, Request{Categories: []string{"cpu", "software"}}},
		{"plain widens categories", Request{Categories: []string{"software"}}, Request{}, Request{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := merge(tt.a, tt.b)
			if got.Full != tt.want.Full || len(got.Categories) != len(tt.want.Categories) {
				t.Fatalf("merge = %+v, want %+v", got, tt.want)
			}
			for i := range got.Categories {
				if got.Categories[i] != tt.want.Categories[i] {
					t.Fatalf("merge = %+v, want %+v", got, tt.want)
				}
			}
		})
	}
}
