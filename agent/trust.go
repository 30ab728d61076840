package agent

import (
	"errors"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/state"
	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// TrustFile, in the state directory, keeps the hosts the enrollment
// service says may ask the local listener for an inventory (its GLPI's),
// so that they are trusted from the start, before the first check-in.
const TrustFile = "agent_trust.json"

// PushedTrust is the agent trust list the enrollment service last sent.
type PushedTrust struct {
	// Entries are addresses, CIDR prefixes and host names.
	Entries []string `json:"entries"`
	// Server is the enrollment service that sent them.
	Server string `json:"server"`
	// At is when they last changed.
	At time.Time `json:"at"`
	// Hash is enroll.TrustHash of the list as the service sent it, before
	// any entry was dropped: check-ins give it back to the service.
	Hash string `json:"hash,omitempty"`
}

// ReadPushedTrust reads the agent trust list kept in st's TrustFile; none
// is an empty one.
func ReadPushedTrust(st *state.Dir) (*PushedTrust, error) {
	var p PushedTrust
	err := state.ReadJSON(st.File(TrustFile), &p)
	if errors.Is(err, os.ErrNotExist) {
		return &PushedTrust{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// pushedTrust returns the entries of the agent trust list, read from the
// state directory once, then as the service changes them.
func (a *Agent) pushedTrust() []string { return a.loadTrust().Entries }

// pushedTrustHash returns the Hash of the agent trust list, or of an empty
// one when the service never sent any.
func (a *Agent) pushedTrustHash() string {
	if p := a.loadTrust(); p.Hash != "" {
		return p.Hash
	}
	return enroll.TrustHash(nil)
}

func (a *Agent) loadTrust() *PushedTrust {
	if p := a.trust.Load(); p != nil {
		return p
	}
	p, err := ReadPushedTrust(a.state)
	if err != nil {
		a.log.Warn("agent trust list from the enrollment service not read", "err", err)
		p = &PushedTrust{}
	}
	a.trust.CompareAndSwap(nil, p)
	return a.trust.Load()
}

// setPushedTrust keeps the agent trust list the service sent, when it
// changed: the listener uses it from its next request on. Entries that
// are no address, CIDR or host name are dropped.
func (a *Agent) setPushedTrust(entries []string, server string) {
	var clean []string
	for _, e := range entries {
		if validTrustEntry(e) && !slices.Contains(clean, e) && len(clean) < enroll.MaxAgentTrust {
			clean = append(clean, e)
		}
	}
	hash := enroll.TrustHash(entries)
	if cur := a.loadTrust(); slices.Equal(cur.Entries, clean) && cur.Hash == hash {
		return
	}
	p := &PushedTrust{Entries: clean, Server: server, At: time.Now().UTC(), Hash: hash}
	if err := state.WriteJSON(a.state.File(TrustFile), p); err != nil {
		a.log.Warn("agent trust list from the enrollment service not saved", "err", err)
	}
	a.trust.Store(p)
	a.log.Info("hosts allowed to request inventories, from the enrollment service", "trust", clean)
}

// validTrustEntry accepts an address, a CIDR prefix or a DNS host name.
func validTrustEntry(e string) bool {
	if _, err := netip.ParsePrefix(e); err == nil {
		return true
	}
	if _, err := netip.ParseAddr(e); err == nil {
		return true
	}
	if e == "" || len(e) > 253 || e[0] == '.' || e[0] == '-' {
		return false
	}
	for _, r := range e {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// requestedByGLPI starts an inventory a host of the agent trust list
// (GLPI's "Request inventory") asked for, and tells the service at the
// next check-in, so that it follows the run like its own requests.
func (a *Agent) requestedByGLPI(client netip.Addr, full bool, categories []string) {
	id := state.NewUUID()
	a.reports.request(enroll.RequestedRun{ID: id, Client: client.String(), Full: full, Categories: categories, At: time.Now().UTC()})
	a.Trigger(Request{Full: full, Categories: categories, Force: true, Actions: []string{id}})
}
