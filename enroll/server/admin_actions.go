package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func ephemeral(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return d.String()
}

// printClones lists the suspected clones of a device with the signals that
// changed, as hashes.
func (a *Admin) printClones(clones []store.Clone) {
	if len(clones) == 0 {
		return
	}
	fmt.Fprintf(a.Out, "\nSuspected clones\n")
	for _, c := range clones {
		fmt.Fprintf(a.Out, "  %s  via %s, policy %s: %s", c.DetectedAt.Local().Format(time.DateTime),
			printable(string(c.Via)), printable(string(c.Policy)), printable(string(c.State)))
		if c.NewDeviceID != "" {
			fmt.Fprintf(a.Out, ", now device %s", printable(c.NewDeviceID))
		}
		fmt.Fprintf(a.Out, "\n    %s\n", printable(describeChanges(c.Signals)))
	}
}

// printRequests lists a device's last actions with their state history,
// times relative to the request.
func (a *Admin) printRequests(actions []store.Action) {
	if len(actions) == 0 {
		return
	}
	fmt.Fprintf(a.Out, "\nRequests (last %d)\n", len(actions))
	for _, act := range actions {
		what := "full inventory"
		if !act.Full {
			what = "inventory of " + strings.Join(act.Categories, ",")
		}
		if act.RequestedBy != "" {
			what += ", requested by " + act.RequestedBy + " from " + act.RequestedFrom
		}
		fmt.Fprintf(a.Out, "  %s  %s  %s: %s\n", act.CreatedAt.Local().Format(time.DateTime), printable(act.ID), printable(what), printable(string(act.State)))
		for _, ev := range act.History[min(1, len(act.History)):] {
			fmt.Fprintf(a.Out, "    %s\n", stepLine(ev, act.CreatedAt))
		}
	}
}

// stepLine renders a state change as "+1.1s running", its message (the
// agent's words) escaped.
func stepLine(ev store.ActionEvent, since time.Time) string {
	return printable(stepText(ev, since))
}

func stepText(ev store.ActionEvent, since time.Time) string {
	return fmt.Sprintf("+%.1fs %s", ev.At.Sub(since).Seconds(), StepText(ev))
}

// StepText describes a state change of a run-now: the state, and the
// inventory it sent, GLPI's answer or the agent's message. The command
// line and the web console both show it.
func StepText(ev store.ActionEvent) string {
	text := ev.State
	switch {
	case ev.State == enroll.ActionSent && ev.InventoryID > 0:
		text += fmt.Sprintf(" (inventory %d)", ev.InventoryID)
	case ev.State == enroll.ActionRelayed:
		text += ": GLPI answered ok"
		if ev.Message != "" {
			text += " (" + ev.Message + ")"
		}
	case ev.Message != "":
		text += ": " + ev.Message
	}
	return text
}

// DeviceApprove approves the pending clones of a device, which may then
// enroll as new devices, and clears its clone_suspected mark.
func (a *Admin) DeviceApprove(ctx context.Context, id string) error {
	n, err := a.Store.ApproveClones(ctx, id, a.now())
	if err != nil {
		return err
	}
	if err := a.Store.AddEvent(ctx, store.Event{At: a.now(), Event: "clones_approved", DeviceID: id, Detail: fmt.Sprintf("%d pending", n)}); err != nil {
		return err
	}
	if a.JSON {
		return a.printJSON(map[string]any{"device_id": id, "approved": n})
	}
	fmt.Fprintf(a.Out, "Device %s: %d pending clone(s) approved; they will enroll as new devices\n", printable(id), n)
	return nil
}

// RunNowOptions describes a "run inventory now" request.
type RunNowOptions struct {
	// DeviceID or Hostname (of exactly one live device) names the device.
	DeviceID, Hostname string
	// Categories limits the inventory; empty means full.
	Categories []string
	// Wait follows the request until it ends or Timeout passes.
	Wait    bool
	Timeout time.Duration
	// Poll is how often the state is read while waiting; zero means 100 ms.
	Poll time.Duration
}

// ErrRunFailed reports a run-now request that failed or did not finish in
// time.
var ErrRunFailed = errors.New("inventory request did not succeed")

// RunNow queues an inventory for a device and prints the request id. With
// Wait it prints each state as it changes, with its time since the
// request, and returns ErrRunFailed unless the inventory reached GLPI (or
// the service, without a GLPI relay) before the timeout.
func (a *Admin) RunNow(ctx context.Context, opts RunNowOptions) error {
	id := opts.DeviceID
	if opts.Hostname != "" {
		devs, err := a.Store.DeviceByHostname(ctx, opts.Hostname)
		if err != nil {
			return err
		}
		switch len(devs) {
		case 0:
			return fmt.Errorf("run now: no live device named %q", opts.Hostname)
		case 1:
			id = devs[0].ID
		default:
			return fmt.Errorf("run now: %d live devices named %q, give an id", len(devs), opts.Hostname)
		}
	}
	act, err := QueueRunNow(ctx, a.Store, id, opts.Categories, a.now())
	if err != nil {
		return err
	}
	if err := a.Store.AddEvent(ctx, store.Event{At: a.now(), Event: "run_now_queued", DeviceID: id, Detail: "action " + act.ID + " (cli)"}); err != nil {
		return err
	}
	if !opts.Wait {
		if a.JSON {
			return a.printJSON(RunNowResponse{ID: act.ID, DeviceID: id, State: act.State})
		}
		fmt.Fprintln(a.Out, act.ID)
		return nil
	}
	if !a.JSON {
		fmt.Fprintf(a.Out, "%s queued for device %s\n", act.ID, printable(id))
	}
	final, err := a.follow(ctx, act, opts)
	if a.JSON && final != nil {
		if jerr := a.printJSON(final); jerr != nil {
			return jerr
		}
	}
	return err
}

// follow polls an action until it ends, printing new states.
func (a *Admin) follow(ctx context.Context, act *store.Action, opts RunNowOptions) (*store.Action, error) {
	timeout, poll := opts.Timeout, opts.Poll
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	printed := 1 // the queued state
	cur := act
	for {
		got, err := a.Store.Action(ctx, act.ID)
		if err != nil && ctx.Err() == nil {
			return cur, err
		}
		if err == nil {
			cur = got
			for _, ev := range cur.History[min(printed, len(cur.History)):] {
				if !a.JSON {
					fmt.Fprintln(a.Out, stepLine(ev, cur.CreatedAt))
				}
			}
			printed = max(printed, len(cur.History))
			if cur.Done() {
				if cur.State == enroll.ActionFailed {
					return cur, fmt.Errorf("%w: %s", ErrRunFailed, printable(cur.Message))
				}
				return cur, nil
			}
		}
		select {
		case <-ctx.Done():
			return cur, fmt.Errorf("%w: still %s after %s", ErrRunFailed, printable(string(cur.State)), timeout)
		case <-tick.C:
		}
	}
}
