package server

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies, err := ParseTrustedProxies([]string{"10.0.0.0/8", "2001:db8:1::/48,192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTrustedProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Error("ParseTrustedProxies(10.0.0.0/33) = nil error")
	}
	tests := []struct {
		name, peer, header string
		values             []string
		want               string
	}{
		{"untrusted peer: headers ignored", "198.51.100.1", HeaderXForwardedFor, []string{"203.0.113.9"}, "198.51.100.1"},
		{"trusted peer without header", "10.1.2.3", HeaderXForwardedFor, nil, "10.1.2.3"},
		{"one hop", "10.1.2.3", HeaderXForwardedFor, []string{"203.0.113.9"}, "203.0.113.9"},
		{"forged leftmost ignored", "10.1.2.3", HeaderXForwardedFor, []string{"127.0.0.1, 203.0.113.9"}, "203.0.113.9"},
		{"past trusted hops", "10.1.2.3", HeaderXForwardedFor, []string{"203.0.113.9, 10.9.9.9", "192.0.2.1"}, "203.0.113.9"},
		{"all trusted: leftmost", "10.1.2.3", HeaderXForwardedFor, []string{"10.7.7.7, 10.8.8.8"}, "10.7.7.7"},
		{"port and IPv6", "2001:db8:1::5", HeaderXForwardedFor, []string{"[2001:db8:2::9]:4711"}, "2001:db8:2::9"},
		{"not an address: the hop to its right", "10.1.2.3", HeaderXForwardedFor, []string{"203.0.113.9, unknown, 10.9.9.9"}, "10.9.9.9"},
		{"IPv4-mapped peer", "::ffff:10.1.2.3", HeaderXForwardedFor, []string{"203.0.113.9"}, "203.0.113.9"},
		{"Forwarded", "10.1.2.3", HeaderForwarded, []string{`for=127.0.0.1, for="[2001:db8:2::9]:4711";proto=https;by=10.1.2.3`}, "2001:db8:2::9"},
		{"Forwarded read, X-Forwarded-For written by the client", "10.1.2.3", HeaderForwarded, nil, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{cfg: Config{TrustedProxies: proxies, ForwardedHeader: tt.header}}
			h := http.Header{}
			for _, v := range tt.values {
				h.Add(tt.header, v)
			}
			h.Add(HeaderXForwardedFor, "198.51.100.66") // only read when it is the header
			if tt.header == HeaderXForwardedFor {
				h.Del(HeaderXForwardedFor)
				for _, v := range tt.values {
					h.Add(tt.header, v)
				}
			}
			got := s.clientIP(netip.MustParseAddr(tt.peer).Unmap(), h)
			if got != netip.MustParseAddr(tt.want) {
				t.Errorf("clientIP(%s, %v) = %s, want %s", tt.peer, h, got, tt.want)
			}
		})
	}
}
