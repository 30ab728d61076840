package collectors

import (
	"net/netip"
	"strconv"
	"strings"
)

type win32NetworkAdapter struct {
	Index                                                       uint32
	Name, NetConnectionID, MACAddress, PNPDeviceID, ServiceName string
	Manufacturer                                                string
	Speed                                                       uint64
	PhysicalAdapter                                             bool
	AdapterTypeID, NetConnectionStatus                          uint16
}

type win32NetworkAdapterConfiguration struct {
	Index                                 uint32
	IPEnabled, DHCPEnabled                bool
	IPAddress, IPSubnet, DefaultIPGateway []string
	DNSServerSearchOrder                  []string
	DHCPServer, MACAddress, Description   string
	MTU                                   uint32
}

// firstIPv4 returns the first IPv4 address of a list.
func firstIPv4(addrs []string) string {
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() {
			return a
		}
	}
	return ""
}

// winAddrPrefixes pairs IPAddress with IPSubnet: a dotted mask for IPv4, a
// prefix length for IPv6.
func winAddrPrefixes(addrs, subnets []string) []netip.Prefix {
	var out []netip.Prefix
	for i, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			continue
		}
		bits := ip.BitLen()
		if i < len(subnets) {
			if m, err := netip.ParseAddr(subnets[i]); err == nil && m.Is4() {
				bits = maskBits(m)
			} else if n, err := strconv.Atoi(subnets[i]); err == nil && n <= ip.BitLen() {
				bits = n
			}
		}
		out = append(out, netip.PrefixFrom(ip, bits))
	}
	return out
}

// maskBits counts the leading ones of a dotted netmask.
func maskBits(m netip.Addr) int {
	n := 0
	for _, b := range m.AsSlice() {
		for i := 7; i >= 0 && b&(1<<i) != 0; i-- {
			n++
		}
	}
	return n
}

// pciIDFromPnP formats a PCI instance id as GLPI's agent does:
// "vendor:device:subsystem device:subsystem vendor", upper case.
func pciIDFromPnP(s string) string {
	id := parsePnPID(s)
	ven, dev, ss := id.fields["VEN"], id.fields["DEV"], id.fields["SUBSYS"]
	if id.bus != "PCI" || ven == "" || dev == "" {
		return ""
	}
	out := strings.ToUpper(ven + ":" + dev)
	if len(ss) == 8 {
		out += ":" + strings.ToUpper(ss[:4]+":"+ss[4:])
	}
	return out
}

var wifiWords = []string{"wireless", "wi-fi", "wifi", "wlan", "802.11"}

// winIfaceType tells wifi from ethernet: AdapterTypeID 9 is wireless, and
// many wireless drivers say "Ethernet 802.3" but name themselves wireless.
func winIfaceType(a win32NetworkAdapter) string {
	name := strings.ToLower(a.Name + " " + a.NetConnectionID)
	switch {
	case a.AdapterTypeID == 9:
		return "wifi"
	case strings.Contains(name, "bluetooth"):
		return "bluetooth"
	case strings.Contains(name, "loopback"):
		return "loopback"
	}
	for _, w := range wifiWords {
		if strings.Contains(name, w) {
			return "wifi"
		}
	}
	if a.AdapterTypeID == 0 {
		return "ethernet"
	}
	return ""
}

// winNetworks builds the networks section: each adapter with a MAC or an
// address, once per address.
func winNetworks(h winHost) ([]Network, error) {
	adapters, err := queryWMI[win32NetworkAdapter](h.wmi, "Win32_NetworkAdapter", "")
	if err != nil {
		return nil, err
	}
	confs, err := queryWMI[win32NetworkAdapterConfiguration](h.wmi, "Win32_NetworkAdapterConfiguration", "")
	if err != nil {
		return nil, err
	}
	byIndex := make(map[uint32]win32NetworkAdapterConfiguration, len(confs))
	for _, c := range confs {
		byIndex[c.Index] = c
	}
	var out []Network
	for _, a := range adapters {
		c, ok := byIndex[a.Index]
		mac := strings.ToLower(strings.ReplaceAll(a.MACAddress, "-", ":"))
		if !ok || (mac == "" && len(c.IPAddress) == 0) {
			continue // WAN miniports, kernel debug adapters
		}
		n := Network{
			Description:  a.Name,
			Type:         winIfaceType(a),
			MAC:          mac,
			VirtualDev:   !a.PhysicalAdapter,
			Driver:       a.ServiceName,
			PNPDeviceID:  a.PNPDeviceID,
			PCIID:        pciIDFromPnP(a.PNPDeviceID),
			Manufacturer: makerName(a.Manufacturer),
			MTU:          int(c.MTU),
			Status:       "down",
		}
		if a.NetConnectionStatus == 2 {
			n.Status = "up"
		}
		// Disconnected adapters report an absurd speed (2^63-1).
		if a.Speed > 0 && a.Speed < 1<<62 && n.Status == "up" {
			n.Speed = strconv.FormatUint(a.Speed/1_000_000, 10)
		}
		if c.DHCPEnabled {
			n.IPDHCP = c.DHCPServer
		}
		out = append(out, withAddresses(n, winAddrPrefixes(c.IPAddress, c.IPSubnet), firstIPv4(c.DefaultIPGateway))...)
	}
	return out, nil
}
