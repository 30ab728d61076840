package collectors

import (
	"encoding/hex"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Network is one entry of the networks section: an interface, repeated
// once per address it holds, as GLPI expects.
type Network struct {
	Description  string `json:"description"`
	Type         string `json:"type,omitempty"`
	Status       string `json:"status,omitempty"`
	MAC          string `json:"mac,omitempty"`
	Speed        string `json:"speed,omitempty"`
	MTU          int    `json:"mtu,omitempty"`
	VirtualDev   bool   `json:"virtualdev"`
	Driver       string `json:"driver,omitempty"`
	PCIID        string `json:"pciid,omitempty"`
	PCISlot      string `json:"pcislot,omitempty"`
	Slaves       string `json:"slaves,omitempty"`
	IPAddress    string `json:"ipaddress,omitempty"`
	IPMask       string `json:"ipmask,omitempty"`
	IPSubnet     string `json:"ipsubnet,omitempty"`
	IPGateway    string `json:"ipgateway,omitempty"`
	IPAddress6   string `json:"ipaddress6,omitempty"`
	IPMask6      string `json:"ipmask6,omitempty"`
	IPSubnet6    string `json:"ipsubnet6,omitempty"`
	IPDHCP       string `json:"ipdhcp,omitempty"`
	PNPDeviceID  string `json:"pnpdeviceid,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	// Management marks a management controller's interface (a BMC's).
	Management bool `json:"management,omitempty"`
}

// Linux ARPHRD_* interface types (include/uapi/linux/if_arp.h).
const (
	arphrdEther      = 1
	arphrdPPP        = 512
	arphrdInfiniband = 32
	arphrdLoopback   = 772
	arphrdFCPP       = 784
	arphrdFCFabric   = 787
)

// ifaceType maps an interface's ARPHRD type and kind to the schema's types.
// wireless, bond and bridge tell whether sysfs has the wireless (or
// phy80211), bonding and bridge entries.
func ifaceType(arphrd int, wireless, bond, bridge bool) string {
	switch {
	case arphrd == arphrdLoopback:
		return "loopback"
	case arphrd == arphrdInfiniband:
		return "infiniband"
	case arphrd == arphrdPPP:
		return "dialup"
	case arphrd >= arphrdFCPP && arphrd <= arphrdFCFabric:
		return "fibrechannel"
	case arphrd != arphrdEther:
		return ""
	case wireless:
		return "wifi"
	case bond:
		return "aggregate"
	case bridge:
		return "bridge"
	}
	return "ethernet"
}

// ifaceStatus maps an operstate to the schema's statuses. Interfaces
// without carrier detection (loopback, tun) report "unknown"; their
// administrative state, from the IFF_UP flag, is more useful.
func ifaceStatus(operstate string, flags uint64) string {
	switch operstate {
	case "up", "down", "dormant", "notpresent", "lowerlayerdown", "testing":
		return operstate
	}
	if flags&uint64(net.FlagUp) != 0 {
		return "up"
	}
	return "down"
}

// ifaceAddr is an address of an interface and the prefix it belongs to.
type ifaceAddr struct {
	Iface  string
	Prefix netip.Prefix
}

// parseIfInet6 parses /proc/net/if_inet6: address in hex, index, prefix
// length in hex, scope, flags, interface name.
func parseIfInet6(s string) []ifaceAddr {
	var out []ifaceAddr
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) < 6 || len(f[0]) != 32 {
			continue
		}
		var b [16]byte
		if _, err := hex.Decode(b[:], []byte(f[0])); err != nil {
			continue
		}
		bits, err := strconv.ParseUint(f[2], 16, 8)
		if err != nil || bits > 128 {
			continue
		}
		out = append(out, ifaceAddr{f[5], netip.PrefixFrom(netip.AddrFrom16(b), int(bits))})
	}
	return out
}

// parseFibTrie returns the local IPv4 addresses of /proc/net/fib_trie: each
// "|-- a.b.c.d" leaf followed by a "/32 host LOCAL" line, once each.
func parseFibTrie(s string) []netip.Addr {
	var out []netip.Addr
	var leaf netip.Addr
	for line := range strings.Lines(s) {
		t := strings.TrimSpace(line)
		if a, ok := strings.CutPrefix(t, "|-- "); ok {
			leaf, _ = netip.ParseAddr(a)
			continue
		}
		if leaf.IsValid() && strings.HasPrefix(t, "/32 host LOCAL") && !slices.Contains(out, leaf) {
			out = append(out, leaf)
		}
		if !strings.HasPrefix(t, "/") {
			leaf = netip.Addr{}
		}
	}
	return out
}

// route is an IPv4 route of /proc/net/route.
type route struct {
	Iface   string
	Dest    netip.Prefix
	Gateway netip.Addr
}

// parseRoutes parses /proc/net/route, whose addresses are hexadecimal in
// the host's (little-endian) byte order.
func parseRoutes(s string) []route {
	var out []route
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) < 8 || f[0] == "Iface" {
			continue
		}
		dst, ok1 := hexIPv4(f[1])
		gw, ok2 := hexIPv4(f[2])
		mask, ok3 := hexIPv4(f[7])
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		bits, _ := net.IPMask(mask.AsSlice()).Size()
		out = append(out, route{f[0], netip.PrefixFrom(dst, bits), gw})
	}
	return out
}

func hexIPv4(s string) (netip.Addr, bool) {
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}), true
}

// assignIPv4 finds the interface and prefix of each local address from the
// link routes (routes without gateway): the most specific one containing
// it. Loopback addresses, routed in the local table only, go to loopback.
func assignIPv4(addrs []netip.Addr, routes []route, loopback string) []ifaceAddr {
	var out []ifaceAddr
	for _, a := range addrs {
		best := route{Dest: netip.Prefix{}}
		found := false
		for _, r := range routes {
			if r.Gateway.IsUnspecified() && r.Dest.Bits() > 0 && r.Dest.Contains(a) && (!found || r.Dest.Bits() > best.Dest.Bits()) {
				best, found = r, true
			}
		}
		switch {
		case found:
			out = append(out, ifaceAddr{best.Iface, netip.PrefixFrom(a, best.Dest.Bits())})
		case a.IsLoopback() && loopback != "":
			out = append(out, ifaceAddr{loopback, netip.PrefixFrom(a, 8)})
		}
	}
	return out
}

// defaultGateways maps interfaces to their IPv4 default gateway.
func defaultGateways(routes []route) map[string]string {
	m := make(map[string]string)
	for _, r := range routes {
		if r.Dest.Bits() == 0 && !r.Gateway.IsUnspecified() {
			if _, ok := m[r.Iface]; !ok {
				m[r.Iface] = r.Gateway.String()
			}
		}
	}
	return m
}

// withAddresses returns the entries of interface base: one per address, in
// the order given, or base alone when it has none.
func withAddresses(base Network, addrs []netip.Prefix, gateway string) []Network {
	if len(addrs) == 0 {
		return []Network{base}
	}
	out := make([]Network, 0, len(addrs))
	for _, p := range addrs {
		n := base
		mask := net.CIDRMask(p.Bits(), p.Addr().BitLen())
		if p.Addr().Is4() {
			n.IPAddress = p.Addr().String()
			n.IPMask = net.IP(mask).String()
			n.IPSubnet = p.Masked().Addr().String()
			n.IPGateway = gateway
		} else {
			n.IPAddress6 = p.Addr().String()
			n.IPMask6 = net.IP(mask).String()
			n.IPSubnet6 = p.Masked().Addr().String()
		}
		out = append(out, n)
	}
	return out
}
