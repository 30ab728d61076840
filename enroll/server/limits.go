package server

import (
	"context"
	"sync"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// Per-device limits.
const (
	// DefaultMaxInventorySize caps an inventory as inflated: a real one
	// with 3,000 softwares is under 3 MB.
	DefaultMaxInventorySize = 16 << 20
	// DefaultOutboxPerDevice is how many inventories of one device wait
	// for GLPI at most.
	DefaultOutboxPerDevice = 8
)

// busySet holds the devices with an inventory being read: a device sends
// one at a time, so that a single token cannot make the service inflate
// many large bodies at once.
type busySet struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

// take marks id busy, or reports false when it already is.
func (b *busySet) take(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.ids[id]; ok {
		return false
	}
	b.ids[id] = struct{}{}
	return true
}

func (b *busySet) done(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.ids, id)
}

// requestFull asks deviceID for a full inventory, unless one is already
// asked: partial inventories of the device were dropped, and only a full
// one gives GLPI their changes back.
func (s *Server) requestFull(ctx context.Context, deviceID string, now time.Time) {
	actions, err := s.st.DeviceActions(ctx, deviceID, 10)
	if err != nil {
		s.log.Error("read device actions", "device_id", deviceID, "err", err)
		return
	}
	for _, a := range actions {
		if a.Type == enroll.ActionRunInventory && a.Full && (a.State == enroll.ActionQueued || a.State == enroll.ActionDelivered) {
			return
		}
	}
	a, err := QueueRunNow(ctx, s.st, deviceID, nil, now)
	if err != nil {
		s.log.Error("ask for a full inventory", "device_id", deviceID, "err", err)
		return
	}
	s.audit(ctx, store.Event{At: now, Event: "run_now_queued", DeviceID: deviceID, Reason: "outbox_full",
		Detail: "action " + a.ID + ": a full inventory, partial ones having been dropped"})
}
