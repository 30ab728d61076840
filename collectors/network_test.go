package collectors

import (
	"net/netip"
	"slices"
	"testing"
)

func TestIfaceType(t *testing.T) {
	tests := []struct {
		arphrd                 int
		wireless, bond, bridge bool
		want                   string
	}{
		{772, false, false, false, "loopback"},
		{1, false, false, false, "ethernet"},
		{1, true, false, false, "wifi"},
		{1, false, true, false, "aggregate"},
		{1, false, false, true, "bridge"},
		{32, false, false, false, "infiniband"},
		{512, false, false, false, "dialup"},
		{65534, false, false, false, ""},
	}
	for _, tt := range tests {
		if got := ifaceType(tt.arphrd, tt.wireless, tt.bond, tt.bridge); got != tt.want {
			t.Errorf("ifaceType(%d, %v, %v, %v) = %q, want %q", tt.arphrd, tt.wireless, tt.bond, tt.bridge, got, tt.want)
		}
	}
}

func TestIfaceStatus(t *testing.T) {
	tests := []struct {
		oper  string
		flags uint64
		want  string
	}{{"up", 0x1003, "up"}, {"down", 0x1002, "down"}, {"unknown", 0x9, "up"}, {"unknown", 0x8, "down"}, {"lowerlayerdown", 0x1003, "lowerlayerdown"}}
	for _, tt := range tests {
		if got := ifaceStatus(tt.oper, tt.flags); got != tt.want {
			t.Errorf("ifaceStatus(%q, %#x) = %q, want %q", tt.oper, tt.flags, got, tt.want)
		}
	}
}

func TestParseIfInet6(t *testing.T) {
	in := "00000000000000000000000000000001 01 80 10 80       lo\nfe800000000000000000000000000001 02 40 20 80 eth0\nbad\n"
	got := parseIfInet6(in)
	want := []ifaceAddr{{"lo", netip.MustParsePrefix("::1/128")}, {"eth0", netip.MustParsePrefix("fe80::1/64")}}
	if !slices.Equal(got, want) {
		t.Errorf("parseIfInet6 = %v, want %v", got, want)
	}
}

func TestParseFibTrie(t *testing.T) {
	in := `Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 192.0.2.0/24 2 0 2
        |-- 192.0.2.0
           /24 link UNICAST
        |-- 192.0.2.2
           /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
Local:
     |-- 127.0.0.1
        /8 host LOCAL
        /32 host LOCAL
     |-- 192.0.2.2
        /32 host LOCAL
`
	got := parseFibTrie(in)
	want := []netip.Addr{netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("127.0.0.1")}
	if !slices.Equal(got, want) {
		t.Errorf("parseFibTrie = %v, want %v", got, want)
	}
}

func TestAssignIPv4(t *testing.T) {
	routes := parseRoutes("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
		"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
		"eth1\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n" +
		"eth2\t0000000A\t00000000\t0001\t0\t0\t0\t00F0FFFF\t0\t0\t0\n")
	addrs := []netip.Addr{netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("10.0.0.5"),
		netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("203.0.113.9")}
	got := assignIPv4(addrs, routes, "lo")
	want := []ifaceAddr{
		{"eth0", netip.MustParsePrefix("192.0.2.2/24")},
		{"eth2", netip.MustParsePrefix("10.0.0.5/20")}, // the most specific of /8 and /20
		{"lo", netip.MustParsePrefix("127.0.0.1/8")},
	}
	if !slices.Equal(got, want) {
		t.Errorf("assignIPv4 = %v, want %v", got, want)
	}
	if gw := defaultGateways(routes); len(gw) != 1 || gw["eth0"] != "192.0.2.1" {
		t.Errorf("defaultGateways = %v, want eth0 via 192.0.2.1", gw)
	}
}

func TestWithAddresses(t *testing.T) {
	base := Network{Description: "eth0", Type: "ethernet"}
	got := withAddresses(base, []netip.Prefix{netip.MustParsePrefix("192.0.2.2/24"), netip.MustParsePrefix("2001:db8::2/64")}, "192.0.2.1")
	want := []Network{
		{Description: "eth0", Type: "ethernet", IPAddress: "192.0.2.2", IPMask: "255.255.255.0", IPSubnet: "192.0.2.0", IPGateway: "192.0.2.1"},
		{Description: "eth0", Type: "ethernet", IPAddress6: "2001:db8::2", IPMask6: "ffff:ffff:ffff:ffff::", IPSubnet6: "2001:db8::"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("withAddresses = %+v, want %+v", got, want)
	}
	if got := withAddresses(base, nil, ""); !slices.Equal(got, []Network{base}) {
		t.Errorf("withAddresses(no address) = %+v, want the interface alone", got)
	}
}
