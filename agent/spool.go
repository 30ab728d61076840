package agent

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/state"
	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/glpi"
)

// spoolFile holds the last inventory the server did not take, so that it
// survives a restart and reaches the server when it is back.
const spoolFile = "spool.json"

// spoolMaxAge is how long a spooled inventory is sent as it is; an older
// one is collected again, as it no longer describes the host.
const spoolMaxAge = time.Hour

// spoolMaxBytes bounds the spool on disk.
const spoolMaxBytes = 64 << 20

// spooled is an inventory waiting for the server.
type spooled struct {
	At        time.Time         `json:"at"`
	Target    string            `json:"target"`
	Inventory *glpi.Inventory   `json:"inventory"`
	Digests   map[string]string `json:"digests"`
	Partial   bool              `json:"partial"`
	Key       string            `json:"key,omitempty"`
}

// spool keeps p for the next run. Only the latest inventory is kept.
func (a *Agent) spool(p *prepared, target string) {
	s := spooled{At: time.Now().UTC(), Target: target, Inventory: p.inv, Digests: p.cur, Partial: p.rep.Partial, Key: p.key}
	if err := state.WriteJSON(a.state.File(spoolFile), &s); err != nil {
		a.log.Warn("inventory not kept for later", "err", err)
		return
	}
	if fi, err := os.Stat(a.state.File(spoolFile)); err == nil && fi.Size() > spoolMaxBytes {
		a.unspool()
		a.log.Warn("inventory too large to keep for later", "bytes", fi.Size())
		return
	}
	a.log.Info("inventory kept until the server is reachable", "target", target)
}

// takeSpool returns the spooled inventory for target when it is recent
// enough to send as it is.
func (a *Agent) takeSpool(target string) *spooled {
	var s spooled
	if err := state.ReadJSON(a.state.File(spoolFile), &s); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			a.log.Warn("spooled inventory unreadable, dropped", "err", err)
			a.unspool()
		}
		return nil
	}
	if s.Target != target || s.Inventory == nil || time.Since(s.At) > spoolMaxAge {
		a.unspool()
		return nil
	}
	return &s
}

func (a *Agent) unspool() { os.Remove(a.state.File(spoolFile)) }

// retryable reports a failure that a later attempt may not meet: the
// server unreachable, overloaded or failing, as opposed to a refusal.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	if ge, ok := errors.AsType[*glpi.Error](err); ok {
		return ge.StatusCode == 0 || ge.StatusCode == 429 || ge.StatusCode >= 500
	}
	if re, ok := errors.AsType[*enroll.RejectError](err); ok {
		return re.Status == 429 || re.Status >= 500
	}
	return true // network errors carry no status
}

// spoolOnFailure collects the inventory when the server could not be
// reached before collection, and keeps it for the next run.
func (a *Agent) spoolOnFailure(ctx context.Context, req Request, run *state.Run, target string, err error) {
	if !retryable(err) || len(req.Categories) > 0 {
		return
	}
	if s := a.takeSpool(target); s != nil {
		return // an inventory is already waiting
	}
	if p, perr := a.prepare(ctx, req, run, target, nil); perr == nil {
		a.spool(p, target)
	}
}
