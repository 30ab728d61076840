package agent

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/collectors"
)

func newTestAgent(t *testing.T) *Agent {
	t.Helper()
	cfg := config.Default()
	cfg.StateDir = t.TempDir()
	cfg.Server = "http://127.0.0.1:1/"
	a, err := New(cfg, &collectors.Env{Root: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// fakeRuns records when each run happened and answers from a script.
type fakeRuns struct {
	mu     sync.Mutex
	start  time.Time
	at     []time.Duration
	reqs   []Request
	script []error
}

func (f *fakeRuns) run(ctx context.Context, req Request) (*Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at = append(f.at, time.Since(f.start))
	f.reqs = append(f.reqs, req)
	var err error
	if n := len(f.at) - 1; n < len(f.script) {
		err = f.script[n]
	}
	if err != nil {
		return nil, err
	}
	return &Report{Delay: time.Hour}, nil
}

func (f *fakeRuns) times() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.at...)
}

func TestLoopSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newTestAgent(t)
		down := errors.New("connection refused")
		f := &fakeRuns{start: time.Now(), script: []error{nil, down, down, nil}}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- a.loop(ctx, f.run, rand.New(rand.NewPCG(7, 8))) }()

		time.Sleep(5 * time.Hour)
		synctest.Wait()
		at := f.times()
		if len(at) < 4 {
			t.Fatalf("runs at %v, want at least 4 in 5 hours", at)
		}
		if at[0] >= time.Minute {
			t.Errorf("first run after %v, want within a minute of start", at[0])
		}
		// Success with a 1 h server delay: next run 50 to 60 minutes later.
		if gap := at[1] - at[0]; gap < 50*time.Minute || gap > time.Hour {
			t.Errorf("after success, next run in %v, want 50m..1h", gap)
		}
		// Failures back off from a minute, doubling.
		if gap := at[2] - at[1]; gap < 54*time.Second || gap > time.Minute {
			t.Errorf("after 1 failure, retry in %v, want about 1m", gap)
		}
		if gap := at[3] - at[2]; gap < 108*time.Second || gap > 2*time.Minute {
			t.Errorf("after 2 failures, retry in %v, want about 2m", gap)
		}

		st, _ := a.state.Run()
		if st.Failures != 0 || st.MaxDelay != 3600 || !st.NextRun.After(time.Now()) {
			t.Errorf("run state = %+v, want 0 failures, max delay 3600, a next run", st)
		}

		// A trigger runs at once, whatever the schedule.
		before := len(f.times())
		a.Trigger(Request{Full: true})
		time.Sleep(time.Second) // past the window that gathers simultaneous requests
		synctest.Wait()
		if got := f.times(); len(got) != before+1 || !f.reqs[before].Full {
			t.Errorf("after Trigger: %d runs (want %d), request %+v", len(got), before+1, f.reqs[len(f.reqs)-1])
		}

		cancel()
		if err := <-done; err != nil {
			t.Errorf("loop returned %v, want nil on cancel", err)
		}
	})
}

func TestLoopResumesSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newTestAgent(t)
		st, _ := a.state.Run()
		st.NextRun = time.Now().Add(3 * time.Hour)
		st.MaxDelay = 24 * 3600
		if err := a.state.SaveRun(st); err != nil {
			t.Fatal(err)
		}
		f := &fakeRuns{start: time.Now()}
		ctx, cancel := context.WithCancel(t.Context())
		go a.loop(ctx, f.run, rand.New(rand.NewPCG(1, 1)))
		time.Sleep(2*time.Hour + 59*time.Minute)
		synctest.Wait()
		if n := len(f.times()); n != 0 {
			t.Errorf("restarted daemon ran %d times before the stored next run", n)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if n := len(f.times()); n != 1 {
			t.Errorf("restarted daemon ran %d times at the stored next run, want 1", n)
		}
		cancel()
	})
}

func TestSimultaneousTriggersMakeOneRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newTestAgent(t)
		f := &fakeRuns{start: time.Now()}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		st, _ := a.state.Run()
		st.NextRun, st.MaxDelay = time.Now().Add(time.Hour), 3600
		a.state.SaveRun(st)
		go a.loop(ctx, f.run, rand.New(rand.NewPCG(1, 1)))
		synctest.Wait()
		a.Trigger(Request{Categories: []string{"software"}})
		time.Sleep(100 * time.Millisecond)
		a.Trigger(Request{Categories: []string{"cpu"}})
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(f.times()); n != 1 {
			t.Fatalf("two requests 100 ms apart made %d runs, want 1", n)
		}
		if got := f.reqs[0].Categories; len(got) != 2 {
			t.Errorf("merged run categories = %v, want cpu and software", got)
		}
	})
}

func TestTriggerCoalesces(t *testing.T) {
	a := newTestAgent(t)
	a.Trigger(Request{Categories: []string{"software"}})
	a.Trigger(Request{Categories: []string{"cpu"}})
	a.Trigger(Request{Full: true})
	if n := len(a.trigger); n != 1 {
		t.Fatalf("%d pending requests, want 1", n)
	}
	got := <-a.trigger
	if !got.Full || got.Categories != nil {
		t.Errorf("coalesced request = %+v, want one full run", got)
	}
}
