package server

import "sync"

// hub wakes the check-ins held for a device when an action is queued for
// it. The waiters of a device share one channel that notify closes; the
// entry is dropped when it fires or its last waiter leaves, so the map
// holds only devices with a check-in in progress.
type hub struct {
	mu      sync.Mutex
	waiters map[string]*waitSet
	// holders has the check-in each device holds: one at a time.
	holders map[string]chan struct{}
}

type waitSet struct {
	ch chan struct{}
	n  int
}

func newHub() *hub {
	return &hub{waiters: map[string]*waitSet{}, holders: map[string]chan struct{}{}}
}

// hold makes a check-in the one deviceID holds, replacing the one it held:
// the returned channel is closed when a later check-in of the device
// replaces this one. release ends the hold. A device (or a stolen token)
// thus holds one long poll per process, however many it opens.
func (h *hub) hold(deviceID string) (replaced <-chan struct{}, release func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.holders[deviceID]; ok {
		close(old)
	}
	ch := make(chan struct{})
	h.holders[deviceID] = ch
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.holders[deviceID] == ch {
			delete(h.holders, deviceID)
		}
	}
}

// wait returns a channel closed at the next notify of deviceID, and a
// function to call when done waiting. Taking the channel before looking for
// actions guarantees that no action queued afterwards is missed.
func (h *hub) wait(deviceID string) (<-chan struct{}, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ws, ok := h.waiters[deviceID]
	if !ok {
		ws = &waitSet{ch: make(chan struct{})}
		h.waiters[deviceID] = ws
	}
	ws.n++
	return ws.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		ws.n--
		if ws.n == 0 && h.waiters[deviceID] == ws {
			delete(h.waiters, deviceID)
		}
	}
}

// notify wakes the waiters of deviceID; an empty id wakes everyone.
func (h *hub) notify(deviceID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if deviceID == "" {
		for id, ws := range h.waiters {
			close(ws.ch)
			delete(h.waiters, id)
		}
		return
	}
	if ws, ok := h.waiters[deviceID]; ok {
		close(ws.ch)
		delete(h.waiters, deviceID)
	}
}
