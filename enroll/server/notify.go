package server

import (
	"slices"
	"sync"
)

// hub wakes the check-ins held for a device when an action is queued for
// it. The waiters of a device share one channel that notify closes, and
// parked check-ins (park.go) register a function that notify runs; the
// entry is dropped when it fires or its last waiter leaves, so the map
// holds only devices with a check-in in progress.
type hub struct {
	mu      sync.Mutex
	waiters map[string]*waitSet
	// holders has the check-in each device holds: one at a time.
	holders map[string]*holder
}

type waitSet struct {
	ch  chan struct{}
	n   int
	fns []*func()
}

// holder is the check-in a device holds: ch is closed, and f run, when a
// later one replaces it.
type holder struct {
	ch chan struct{}
	f  func()
}

func newHub() *hub {
	return &hub{waiters: map[string]*waitSet{}, holders: map[string]*holder{}}
}

// hold makes a check-in the one deviceID holds, replacing the one it held:
// the returned channel is closed when a later check-in of the device
// replaces this one. release ends the hold. A device (or a stolen token)
// thus holds one long poll per process, however many it opens.
func (h *hub) hold(deviceID string) (replaced <-chan struct{}, release func()) {
	ch := make(chan struct{})
	return ch, h.holdWith(deviceID, &holder{ch: ch})
}

// holdFunc is hold for a parked check-in: f runs, in a goroutine of its
// own, when a later check-in of the device replaces this one.
func (h *hub) holdFunc(deviceID string, f func()) (release func()) {
	return h.holdWith(deviceID, &holder{f: f})
}

func (h *hub) holdWith(deviceID string, hd *holder) (release func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.holders[deviceID]; ok {
		old.replace()
	}
	h.holders[deviceID] = hd
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.holders[deviceID] == hd {
			delete(h.holders, deviceID)
		}
	}
}

func (hd *holder) replace() {
	if hd.ch != nil {
		close(hd.ch)
	}
	if hd.f != nil {
		go hd.f()
	}
}

// wait returns a channel closed at the next notify of deviceID, and a
// function to call when done waiting. Taking the channel before looking for
// actions guarantees that no action queued afterwards is missed.
func (h *hub) wait(deviceID string) (<-chan struct{}, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ws := h.set(deviceID)
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

// waitFunc is wait for a parked check-in: f runs, in a goroutine of its
// own, at the next notify of deviceID, unless stop was called before.
func (h *hub) waitFunc(deviceID string, f func()) (stop func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ws := h.set(deviceID)
	ws.n++
	fn := &f
	ws.fns = append(ws.fns, fn)
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		i := slices.Index(ws.fns, fn)
		if i < 0 {
			return
		}
		ws.fns = slices.Delete(ws.fns, i, i+1)
		ws.n--
		if ws.n == 0 && h.waiters[deviceID] == ws {
			delete(h.waiters, deviceID)
		}
	}
}

// set returns the wait set of deviceID, made if needed; h.mu is held.
func (h *hub) set(deviceID string) *waitSet {
	ws, ok := h.waiters[deviceID]
	if !ok {
		ws = &waitSet{ch: make(chan struct{})}
		h.waiters[deviceID] = ws
	}
	return ws
}

// notify wakes the waiters of deviceID; an empty id wakes everyone.
func (h *hub) notify(deviceID string) {
	h.mu.Lock()
	var fns []*func()
	fire := func(id string, ws *waitSet) {
		close(ws.ch)
		delete(h.waiters, id)
		fns = append(fns, ws.fns...)
		ws.fns = nil
	}
	if deviceID == "" {
		for id, ws := range h.waiters {
			fire(id, ws)
		}
	} else if ws, ok := h.waiters[deviceID]; ok {
		fire(deviceID, ws)
	}
	h.mu.Unlock()
	for _, f := range fns {
		go (*f)()
	}
}
