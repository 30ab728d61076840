package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// ControlSocket is the name of the local control socket in the state
// directory. The directory is owner-only, so only root (SYSTEM and
// Administrators on Windows) can reach it.
const ControlSocket = "control.sock"

// ControlRequest asks the daemon over the control socket to run now.
type ControlRequest struct {
	Categories []string `json:"categories,omitempty"`
	Full       bool     `json:"full,omitempty"`
	// Wait streams the run's progress and result back.
	Wait bool `json:"wait,omitempty"`
}

// ControlMessage is one line the daemon writes back: progress events,
// then a final message with Done set.
type ControlMessage struct {
	Event  *Event  `json:"event,omitempty"`
	Queued bool    `json:"queued,omitempty"`
	Done   bool    `json:"done,omitempty"`
	Error  string  `json:"error,omitempty"`
	Report *Report `json:"report,omitempty"`
}

// waiter follows one run for a control client.
type waiter struct {
	events chan Event
	done   chan ControlMessage
}

// watch registers a waiter for the next run to start.
func (a *Agent) watch() *waiter {
	w := &waiter{events: make(chan Event, 256), done: make(chan ControlMessage, 1)}
	a.waitMu.Lock()
	a.waiters = append(a.waiters, w)
	a.waitMu.Unlock()
	return w
}

// takeWaiters hands the waiters registered so far to the run starting now,
// with a Progress function that copies each event to all of them.
func (a *Agent) takeWaiters(req Request) (Request, []*waiter) {
	a.waitMu.Lock()
	ws := a.waiters
	a.waiters = nil
	a.waitMu.Unlock()
	if len(ws) == 0 {
		return req, nil
	}
	orig := req.Progress
	req.Progress = func(e Event) {
		if orig != nil {
			orig(e)
		}
		for _, w := range ws {
			select {
			case w.events <- e:
			default: // a slow reader loses progress lines, never the result
			}
		}
	}
	return req, ws
}

func finish(ws []*waiter, rep *Report, err error) {
	m := ControlMessage{Done: true, Report: rep}
	if err != nil {
		m.Error = err.Error()
	}
	for _, w := range ws {
		close(w.events)
		w.done <- m
	}
}

// serveControl accepts control connections until ctx is done.
func (a *Agent) serveControl(ctx context.Context) error {
	path := a.state.File(ControlSocket)
	os.Remove(path) // a stale socket of a previous daemon
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listen on control socket: %w", err)
	}
	os.Chmod(path, 0o600)
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("accept on control socket: %w", err)
		}
		go a.handleControl(ctx, c)
	}
}

func (a *Agent) handleControl(ctx context.Context, c net.Conn) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var req ControlRequest
	if err := json.NewDecoder(io.LimitReader(c, 64<<10)).Decode(&req); err != nil {
		json.NewEncoder(c).Encode(ControlMessage{Done: true, Error: "bad request: " + err.Error()})
		return
	}
	c.SetReadDeadline(time.Time{})
	enc := json.NewEncoder(c)
	w := a.watch()
	a.Trigger(Request{Full: req.Full || len(req.Categories) == 0, Categories: req.Categories, Force: true})
	enc.Encode(ControlMessage{Queued: true})
	if !req.Wait {
		return // the run goes on; this client does not follow it
	}
	for {
		select {
		case e, ok := <-w.events:
			if !ok {
				enc.Encode(<-w.done)
				return
			}
			if enc.Encode(ControlMessage{Event: &e}) != nil {
				return
			}
		case <-ctx.Done():
			enc.Encode(ControlMessage{Done: true, Error: "agent stopping"})
			return
		}
	}
}

// ErrNoDaemon reports that no daemon listens on the control socket.
var ErrNoDaemon = errors.New("no running daemon")

// RequestNow asks a running daemon to run now, and calls onMessage for each
// message it sends back. It returns ErrNoDaemon when none answers.
func RequestNow(ctx context.Context, stateDir string, req ControlRequest, onMessage func(ControlMessage)) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", stateDir+string(os.PathSeparator)+ControlSocket)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoDaemon, err)
	}
	defer c.Close()
	go func() {
		<-ctx.Done()
		c.Close()
	}()
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return fmt.Errorf("send request to daemon: %w", err)
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m ControlMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("read daemon answer: %w", err)
		}
		onMessage(m)
		if m.Done || (m.Queued && !req.Wait) {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read daemon answer: %w", err)
	}
	return errors.New("daemon closed the connection before the run ended")
}
