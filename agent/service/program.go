package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/kardianos/service"
)

// recoveryReset is how long the Windows service manager remembers a
// failure before restarting from the first recovery action.
const recoveryReset = 24 * time.Hour

// DefaultStopTimeout is how long Stop waits for the agent to finish.
const DefaultStopTimeout = 20 * time.Second

// Program runs Serve under the service manager: Start launches it and Stop
// cancels it and waits for it to return.
type Program struct {
	// Serve is the daemon; it returns when ctx is done.
	Serve func(ctx context.Context) error
	// Log receives the program's own messages.
	Log *slog.Logger
	// StopTimeout bounds Stop; DefaultStopTimeout when zero.
	StopTimeout time.Duration
	// Exit ends the process when Serve returns before Stop, so that the
	// service manager restarts it; os.Exit when nil.
	Exit func(code int)

	cancel context.CancelFunc
	done   chan error
}

// Start launches Serve and returns at once, as service managers require.
func (p *Program) Start(s service.Service) error {
	log := p.logger()
	if err := prepare(); err != nil {
		log.Warn("service settings not applied", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan error, 1)
	go func() {
		err := p.Serve(ctx)
		if ctx.Err() == nil {
			log.Error("agent stopped on its own", "err", err)
			p.exit(1)
		}
		p.done <- err
	}()
	return nil
}

// Stop cancels Serve and waits for it, at most StopTimeout.
func (p *Program) Stop(s service.Service) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	timeout := p.stopTimeout()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-p.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("stop agent: %w", err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("stop agent: still running after %s", timeout)
	}
}

func (p *Program) stopTimeout() time.Duration {
	if p.StopTimeout <= 0 {
		return DefaultStopTimeout
	}
	return p.StopTimeout
}

func (p *Program) logger() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}

func (p *Program) exit(code int) {
	if p.Exit != nil {
		p.Exit(code)
		return
	}
	os.Exit(code)
}
