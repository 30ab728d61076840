package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// agentTrustTTL is how long the addresses of the agent trust list's names
// are kept before they are resolved again.
const agentTrustTTL = time.Minute

// Resolver resolves host names; *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ParseAgentTrust checks the entries of --agent-trust (comma- or
// space-separated lists of addresses, CIDR prefixes and host names) and
// returns them one per element, CIDRs masked.
func ParseAgentTrust(list []string) ([]string, error) {
	var out []string
	for _, s := range list {
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
			e, err := agentTrustEntry(f)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	if len(out) > enroll.MaxAgentTrust {
		return nil, fmt.Errorf("agent trust: %d entries, want at most %d", len(out), enroll.MaxAgentTrust)
	}
	return out, nil
}

func agentTrustEntry(f string) (string, error) {
	if strings.Contains(f, "/") {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return "", fmt.Errorf("agent trust %q: want an address, a CIDR or a host name", f)
		}
		return p.Masked().String(), nil
	}
	if a, err := netip.ParseAddr(strings.Trim(f, "[]")); err == nil {
		return a.Unmap().String(), nil
	}
	if !validHostName(f) {
		return "", fmt.Errorf("agent trust %q: want an address, a CIDR or a host name", f)
	}
	return strings.ToLower(f), nil
}

// validHostName accepts DNS names: letters, digits, '-', '_' and '.',
// at most 253 characters, no empty label.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// GLPIHost returns the host of a GLPI URL, the first entry of the agent
// trust list: GLPI's "Request inventory" button calls from there.
func GLPIHost(glpiURL string) (string, error) {
	u, err := url.Parse(glpiURL)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("GLPI URL %q has no host", glpiURL)
	}
	return agentTrustEntry(u.Hostname())
}

// agentTrust is the list the service sends its agents: Config.AgentTrust,
// plus the addresses its names resolve to here (GLPI calls the agents
// from the addresses the service reaches it at, where an agent's own
// resolver may say otherwise: split DNS, a NAT).
type agentTrust struct {
	entries  []string
	resolver Resolver

	mu    sync.Mutex
	list  []string
	at    time.Time
	addrs map[string][]string // last good lookup of each name
}

func newAgentTrust(entries []string, r Resolver) *agentTrust {
	if r == nil {
		r = net.DefaultResolver
	}
	return &agentTrust{entries: entries, resolver: r, addrs: map[string][]string{}}
}

// get returns the list, never nil, resolving its names at most once a
// minute; a failed lookup keeps the name's previous addresses.
func (t *agentTrust) get(ctx context.Context, now time.Time) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.list != nil && now.Sub(t.at) < agentTrustTTL && now.Sub(t.at) >= 0 {
		return t.list
	}
	list := slices.Clone(t.entries)
	for _, e := range t.entries {
		if _, err := netip.ParseAddr(e); err == nil || strings.Contains(e, "/") {
			continue
		}
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		found, err := t.resolver.LookupNetIP(lctx, "ip", e)
		cancel()
		if err == nil {
			// In order: a DNS server rotating its answers must not make the
			// list, and so every agent's copy, change each minute.
			found = slices.Clone(found)
			for i := range found {
				found[i] = found[i].Unmap()
			}
			slices.SortFunc(found, netip.Addr.Compare)
			var addrs []string
			for _, a := range slices.Compact(found) {
				addrs = append(addrs, a.String())
			}
			t.addrs[e] = addrs
		}
		for _, a := range t.addrs[e] {
			if !slices.Contains(list, a) {
				list = append(list, a)
			}
		}
	}
	if len(list) > enroll.MaxAgentTrust {
		list = list[:enroll.MaxAgentTrust]
	}
	if list == nil {
		list = []string{}
	}
	t.list, t.at = list, now
	return list
}

// clientAddr returns the client of r as text, the one a trusted proxy
// names (see behindProxies), as the rate limits see it; "" if unknown.
func clientAddr(r *http.Request) string {
	if a := sourceIP(r); a.IsValid() {
		return a.String()
	}
	return ""
}
