package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/windows/svc"
)

// execute runs h.Execute in the background as svc.Run would and returns
// its request and status channels and its result.
func execute(h *scmHandler) (chan<- svc.ChangeRequest, <-chan svc.Status, <-chan uint32) {
	reqs := make(chan svc.ChangeRequest)
	status := make(chan svc.Status, 10)
	code := make(chan uint32, 1)
	go func() {
		_, c := h.Execute([]string{Name}, reqs, status)
		code <- c
	}()
	return reqs, status, code
}

// nextState returns the next state reported to the service manager.
func nextState(t *testing.T, status <-chan svc.Status) svc.State {
	t.Helper()
	select {
	case s := <-status:
		return s.State
	case <-time.After(5 * time.Second):
		t.Fatal("no status reported")
		return 0
	}
}

func TestSCMHandler(t *testing.T) {
	for _, tt := range []struct {
		name     string
		cmd      svc.Cmd
		serve    func(context.Context) error
		wantCode uint32
	}{
		{"stop", svc.Stop, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 0},
		{"shutdown", svc.Shutdown, func(ctx context.Context) error { <-ctx.Done(); return nil }, 0},
		{"stop fails", svc.Stop, func(ctx context.Context) error { <-ctx.Done(); return errors.New("flush failed") }, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			exited := make(chan int, 1)
			h := &scmHandler{p: &Program{Serve: tt.serve, Exit: func(c int) { exited <- c }}}
			reqs, status, code := execute(h)
			for _, want := range []svc.State{svc.StartPending, svc.Running} {
				if got := nextState(t, status); got != want {
					t.Fatalf("state = %d, want %d", got, want)
				}
			}
			running := svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
			reqs <- svc.ChangeRequest{Cmd: svc.Interrogate, CurrentStatus: running}
			if got := <-status; got != running {
				t.Errorf("Interrogate answered %+v, want %+v", got, running)
			}
			reqs <- svc.ChangeRequest{Cmd: tt.cmd}
			if got := nextState(t, status); got != svc.StopPending {
				t.Errorf("state after %d = %d, want StopPending", tt.cmd, got)
			}
			select {
			case c := <-code:
				if c != tt.wantCode {
					t.Errorf("Execute() exit code = %d, want %d", c, tt.wantCode)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Execute did not return after the stop request")
			}
			select {
			case c := <-exited:
				t.Errorf("Exit(%d) called, want no call", c)
			default:
			}
		})
	}
}
