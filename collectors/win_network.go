package collectors

import (
	"cmp"
	"context"
	"net/netip"
	"strconv"
	"strings"
)

// The networks section of Windows, built as GLPI's agent builds it so that
// its network ports land on the same GLPI records: the adapters Windows
// shows (MSFT_NetAdapter on Windows 8 and later, which leaves out hidden
// ones such as WAN miniports and Wi-Fi Direct virtual adapters; else
// Win32_NetworkAdapter), each joined to its IP configuration and kept when
// it has an address, a MAC address or is a VPN adapter; then the connected
// VPNs only the TCP/IP registry knows.

type win32NetworkAdapter struct {
	Index, InterfaceIndex          uint32
	Name, PNPDeviceID, ServiceName string
	GUID                           string
	Speed                          uint64
	PhysicalAdapter                bool
	NetConnectionStatus            uint16
}

type msftNetAdapter struct {
	InterfaceIndex, InterfaceType, MediaConnectState uint32
	PnPDeviceID, InterfaceDescription, InterfaceGuid string
	Speed                                            uint64
	HardwareInterface, Virtual                       bool
}

type win32NetworkAdapterConfiguration struct {
	Index, InterfaceIndex                 uint32
	IPEnabled, DHCPEnabled                bool
	IPAddress, IPSubnet, DefaultIPGateway []string
	DNSServerSearchOrder                  []string
	DHCPServer, MACAddress, Description   string
	SettingID, DNSDomain                  string
	MTU                                   uint32
}

const (
	classNetAdapter = `root\StandardCimv2:MSFT_NetAdapter`
	classVPN        = `root\Microsoft\Windows\RemoteAccess\Client:PS_VpnConnection`
	regNetClass     = `SYSTEM\CurrentControlSet\Control\Network\{4D36E972-E325-11CE-BFC1-08002BE10318}`
	regTcpipIfaces  = `SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces`
)

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
// prefix length for IPv6. Link-local IPv6 addresses may carry a zone
// ("%12"), which is dropped.
func winAddrPrefixes(addrs, subnets []string) []netip.Prefix {
	var out []netip.Prefix
	for i, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			continue
		}
		ip = ip.WithZone("")
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

// ianaIfTypes maps MSFT_NetAdapter.InterfaceType, an IANA ifType, to the
// schema's types.
var ianaIfTypes = map[uint32]string{
	6: "ethernet", 7: "ethernet", 56: "fibrechannel", 62: "ethernet", 71: "wifi",
	117: "ethernet", 169: "ethernet",
}

// mediaSubTypes maps the MediaSubType Windows records for a connection to
// the schema's types.
var mediaSubTypes = map[uint64]string{1: "ethernet", 2: "wifi", 7: "bluetooth"}

// connectionType reads the media type Windows records for the connection
// of adapter guid, "" when it has none.
func connectionType(reg registrySource, guid string) string {
	if reg == nil || guid == "" {
		return ""
	}
	v := openValues(reg, hklm, regNetClass+`\`+guid+`\Connection`, view64)
	defer v.close()
	n, _ := v.num("MediaSubType")
	return mediaSubTypes[n]
}

// winAdapter is what the collectors need of a network adapter, from
// MSFT_NetAdapter or Win32_NetworkAdapter.
type winAdapter struct {
	key         uint32 // the configuration's index
	pnp, desc   string // PnP instance id, hardware description
	name        string // Win32_NetworkAdapter.Name
	guid        string
	speed       uint64
	up          bool
	upKnown     bool
	virtual     bool
	ifType      string
	driver      string
	hasIfaceIdx bool
}

// msftAdapters converts MSFT_NetAdapter instances.
func msftAdapters(as []msftNetAdapter, drivers map[uint32]string) []winAdapter {
	out := make([]winAdapter, 0, len(as))
	for _, a := range as {
		out = append(out, winAdapter{
			key:     a.InterfaceIndex,
			pnp:     a.PnPDeviceID,
			desc:    a.InterfaceDescription,
			guid:    a.InterfaceGuid,
			speed:   a.Speed,
			up:      a.MediaConnectState == 1,
			upKnown: true,
			// Virtual says what HardwareInterface does not: a Bluetooth
			// PAN or a Hyper-V switch port is not hardware.
			virtual: a.Virtual || strings.HasPrefix(a.PnPDeviceID, "ROOT"),
			ifType:  ianaIfTypes[a.InterfaceType],
			driver:  drivers[a.InterfaceIndex],
		})
	}
	return out
}

// legacyAdapters converts Win32_NetworkAdapter instances. Windows XP has
// neither InterfaceIndex nor PhysicalAdapter: its configurations are joined
// by Index, and its RAS adapters are the virtual ones.
func legacyAdapters(as []win32NetworkAdapter) []winAdapter {
	out := make([]winAdapter, 0, len(as))
	for _, a := range as {
		w := winAdapter{
			key:         cmp.Or(a.InterfaceIndex, a.Index),
			pnp:         a.PNPDeviceID,
			name:        a.Name,
			guid:        a.GUID,
			speed:       a.Speed,
			up:          a.NetConnectionStatus == 2,
			upKnown:     a.NetConnectionStatus != 0,
			driver:      a.ServiceName,
			hasIfaceIdx: a.InterfaceIndex != 0,
		}
		switch {
		case strings.HasPrefix(a.PNPDeviceID, "ROOT"):
			w.virtual = true
		case w.hasIfaceIdx:
			w.virtual = !a.PhysicalAdapter
		default:
			w.virtual = strings.Contains(a.Name, "RAS") && strings.Contains(strings.ToLower(a.Name), "adapter")
		}
		out = append(out, w)
	}
	return out
}

// winIface is one networks entry with what the firewall section joins on.
type winIface struct {
	Network
	guid, dnsDomain string
}

// winInterfaces lists the network interfaces, one entry per address.
func winInterfaces(h winHost) ([]winIface, error) {
	confs, err := queryWMI[win32NetworkAdapterConfiguration](h.wmi, "Win32_NetworkAdapterConfiguration", "")
	if err != nil {
		return nil, err
	}
	byKey := make(map[uint32]win32NetworkAdapterConfiguration, len(confs))
	for _, c := range confs {
		byKey[cmp.Or(c.InterfaceIndex, c.Index)] = c
	}
	// MSFT_NetAdapter is absent before Windows 8.
	msft, _ := queryWMI[msftNetAdapter](h.wmi, classNetAdapter, "")
	var adapters []winAdapter
	if len(msft) > 0 {
		legacy, _ := queryWMI[win32NetworkAdapter](h.wmi, "Win32_NetworkAdapter", "")
		drivers := make(map[uint32]string, len(legacy))
		for _, a := range legacy {
			drivers[a.InterfaceIndex] = a.ServiceName
		}
		adapters = msftAdapters(msft, drivers)
	} else {
		legacy, err := queryWMI[win32NetworkAdapter](h.wmi, "Win32_NetworkAdapter", "")
		if err != nil {
			return nil, err
		}
		adapters = legacyAdapters(legacy)
	}
	var out []winIface
	for _, a := range adapters {
		c, ok := byKey[a.key]
		if !ok || a.pnp == "" {
			continue
		}
		desc := cmp.Or(a.desc, c.Description, a.name)
		addrs := winAddrPrefixes(c.IPAddress, c.IPSubnet)
		// Adapters without address nor MAC address are WAN miniports,
		// tunnels and kernel debuggers, but for disconnected VPNs.
		if len(addrs) == 0 && c.MACAddress == "" && !strings.Contains(strings.ToLower(desc), "vpn") {
			continue
		}
		guid := cmp.Or(a.guid, c.SettingID)
		n := Network{
			Description: desc,
			MAC:         c.MACAddress,
			PNPDeviceID: a.pnp,
			PCIID:       pciIDFromPnP(a.pnp),
			MTU:         int(c.MTU),
			VirtualDev:  a.virtual,
			Driver:      a.driver,
			Type:        cmp.Or(a.ifType, connectionType(h.reg, guid)),
			Status:      "down",
		}
		if a.up || (!a.upKnown && c.IPEnabled) {
			n.Status = "up"
		}
		// Some drivers report 2^63-1 while disconnected.
		if a.speed > 0 && a.speed < 1<<62 {
			n.Speed = strconv.FormatUint(a.speed/1_000_000, 10)
		}
		if c.DHCPEnabled {
			n.IPDHCP = c.DHCPServer
		}
		for _, e := range withAddresses(n, addrs, firstIPv4(c.DefaultIPGateway)) {
			out = append(out, winIface{e, guid, c.DNSDomain})
		}
	}
	return append(out, winVPNs(h, confs)...), nil
}

// winVPNs lists the connected VPNs that have no network adapter: the TCP/IP
// interfaces marked VPNInterface with an address, named after their VPN
// connection when Windows tells it, else "vpn0", "vpn1"…
func winVPNs(h winHost, confs []win32NetworkAdapterConfiguration) []winIface {
	if h.reg == nil {
		return nil
	}
	known := make(map[string]bool, len(confs))
	for _, c := range confs {
		known[strings.ToUpper(c.SettingID)] = true
	}
	var out []winIface
	var names map[string]string
	for _, guid := range regSubKeys(h.reg, hklm, regTcpipIfaces, view64) {
		if known[strings.ToUpper(guid)] || !strings.HasPrefix(guid, "{") {
			continue
		}
		v := openValues(h.reg, hklm, regTcpipIfaces+`\`+guid, view64)
		vpn, _ := v.num("VPNInterface")
		ip, mask := v.str("DhcpIPAddress"), v.str("DhcpSubnetMask")
		v.close()
		addr, err := netip.ParseAddr(ip)
		if vpn == 0 || err != nil || !addr.Is4() || addr.IsUnspecified() {
			continue
		}
		if names == nil {
			type conn struct{ Name, Guid string }
			conns, _ := queryWMI[conn](h.wmi, classVPN, "")
			names = map[string]string{}
			for _, c := range conns {
				names[strings.ToUpper(c.Guid)] = c.Name
			}
		}
		n := Network{
			Description: cmp.Or(names[strings.ToUpper(guid)], "vpn"+strconv.Itoa(len(out))),
			Type:        "ethernet",
			VirtualDev:  true,
			Status:      "up",
		}
		bits := 32
		if m, err := netip.ParseAddr(mask); err == nil && m.Is4() {
			bits = maskBits(m)
		}
		for _, e := range withAddresses(n, []netip.Prefix{netip.PrefixFrom(addr, bits)}, "") {
			out = append(out, winIface{Network: e, guid: guid})
		}
	}
	return out
}

// winNetworks builds the networks section.
func winNetworks(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	ifaces, err := winInterfaces(h)
	if err != nil {
		return nil, err
	}
	out := make([]Network, 0, len(ifaces))
	for _, i := range ifaces {
		out = append(out, i.Network)
	}
	return out, nil
}

const (
	regNetworkList    = `SOFTWARE\Microsoft\Windows NT\CurrentVersion\NetworkList`
	regDNSRegistered  = `SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\DNSRegisteredAdapters`
	networkSignatures = regNetworkList + `\Signatures`
)

// networkCategories maps the Category of a network profile to the firewall
// profile that applies on it.
var networkCategories = map[uint64]string{0: "PublicProfile", 1: "StandardProfile", 2: "DomainProfile"}

// networkProfile is a network Windows has identified (NetworkList\Profiles).
type networkProfile struct {
	guid, name string
	category   uint64
}

// firewallConnections tells which firewall profile applies on each
// connected interface, as GLPI's agent does: the network an adapter is
// registered in a domain with, else the network whose first name is the
// adapter's DNS domain; its category names the profile. The result maps
// profile names to their interfaces, one entry per address.
func firewallConnections(h winHost) map[string][]Firewall {
	ifaces, err := winInterfaces(h)
	if err != nil {
		return nil
	}
	var profiles []networkProfile
	for _, guid := range regSubKeys(h.reg, hklm, regNetworkList+`\Profiles`, view64) {
		v := openValues(h.reg, hklm, regNetworkList+`\Profiles\`+guid, view64)
		cat, ok := v.num("Category")
		if ok {
			profiles = append(profiles, networkProfile{guid, v.str("ProfileName"), cat})
		}
		v.close()
	}
	// firstNetworks maps a network's first name to its profile's GUID.
	firstNetworks := map[string]string{}
	for _, kind := range []string{"Managed", "Unmanaged"} {
		path := networkSignatures + `\` + kind
		for _, sig := range regSubKeys(h.reg, hklm, path, view64) {
			v := openValues(h.reg, hklm, path+`\`+sig, view64)
			if name := v.str("FirstNetwork"); name != "" {
				if _, ok := firstNetworks[name]; !ok {
					firstNetworks[name] = v.str("ProfileGuid")
				}
			}
			v.close()
		}
	}
	out := map[string][]Firewall{}
	for _, i := range ifaces {
		if i.Status != "up" || i.guid == "" {
			continue
		}
		var p *networkProfile
		if domain := regString(h.reg, hklm, regDNSRegistered+`\`+i.guid, "PrimaryDomainName"); domain != "" {
			for k := range profiles {
				if profiles[k].name == domain {
					p = &profiles[k]
					break
				}
			}
		} else if guid, ok := firstNetworks[i.dnsDomain]; ok && i.dnsDomain != "" {
			for k := range profiles {
				if strings.EqualFold(profiles[k].guid, guid) {
					p = &profiles[k]
					break
				}
			}
		}
		if p == nil {
			continue
		}
		name, ok := networkCategories[p.category]
		if !ok {
			continue
		}
		out[name] = append(out[name], Firewall{Description: i.Description, IPAddress: i.IPAddress, IPAddress6: i.IPAddress6})
	}
	return out
}
