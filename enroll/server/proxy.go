package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Forwarding headers a trusted proxy may write (Config.ForwardedHeader).
const (
	HeaderXForwardedFor = "X-Forwarded-For"
	HeaderForwarded     = "Forwarded"
)

// ParseTrustedProxies parses the networks of the proxies allowed to name
// the client (CIDRs, or single addresses).
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				a, aerr := netip.ParseAddr(f)
				if aerr != nil {
					return nil, fmt.Errorf("trusted proxy %q: want a CIDR or an address", f)
				}
				p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
			}
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

// trusted reports whether ip is in one of the trusted proxies' networks.
func (s *Server) trusted(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// clientIP returns the client of a request that reached the service from
// peer with header h. A peer that is not a trusted proxy is the client,
// whatever the headers say. From a trusted proxy, the forwarding header is
// read from the right, hop by hop, past the trusted proxies: the first
// address that is not one is the client, since only the hops to its right
// can be believed. Every hop trusted: the leftmost. A hop that is no
// address ("unknown", an obfuscated name): the hop to its right.
func (s *Server) clientIP(peer netip.Addr, h http.Header) netip.Addr {
	if !s.trusted(peer) {
		return peer
	}
	hops := forwardedHops(h, s.cfg.ForwardedHeader)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := parseHop(hops[i])
		if err != nil {
			return client
		}
		client = ip
		if !s.trusted(ip) {
			return client
		}
	}
	return client
}

// forwardedHops returns the hops of the forwarding header, leftmost (the
// farthest from the service) first, every field line of it in order.
func forwardedHops(h http.Header, header string) []string {
	var hops []string
	for _, line := range h.Values(header) {
		for elem := range strings.SplitSeq(line, ",") {
			elem = strings.TrimSpace(elem)
			if header == HeaderForwarded {
				// for=… among the element's pairs; an element without one
				// is a hop with no address.
				var v string
				for pair := range strings.SplitSeq(elem, ";") {
					if k, val, ok := strings.Cut(strings.TrimSpace(pair), "="); ok && strings.EqualFold(k, "for") {
						v = val
					}
				}
				elem = v
			}
			hops = append(hops, elem)
		}
	}
	return hops
}

// parseHop parses one hop: an address, maybe quoted, bracketed or with a
// port ("192.0.2.1", "192.0.2.1:4711", "\"[2001:db8::1]:4711\"").
func parseHop(s string) (netip.Addr, error) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), nil
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}, err
	}
	return ip.Unmap(), nil
}

// behindProxies makes the handlers see, as the request's remote address,
// the client a trusted proxy names (clientIP): the rate limits, the keys'
// allowed networks, the loopback-only paths and the audit all use it.
func (s *Server) behindProxies(next http.Handler) http.Handler {
	if len(s.cfg.TrustedProxies) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := sourceIP(r)
		if client := s.clientIP(peer, r.Header); client != peer {
			r = r.WithContext(r.Context()) // a shallow copy: the caller's request is not changed
			r.RemoteAddr = netip.AddrPortFrom(client, 0).String()
		}
		next.ServeHTTP(w, r)
	})
}
