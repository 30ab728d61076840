package collectors

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

func init() { Register("network", "networks", true, collectNetworks) }

var pciAddress = regexp.MustCompile(`^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$`)

func collectNetworks(ctx context.Context, env *Env) (any, error) {
	entries, err := os.ReadDir(env.Path("/sys/class/net"))
	if err != nil {
		return nil, NoData("no /sys/class/net: %v", err)
	}
	var ifaces []Network
	loopback := ""
	for _, e := range entries {
		n, ok := readInterface(env, e.Name())
		if !ok {
			continue
		}
		if n.Type == "loopback" && loopback == "" {
			loopback = n.Description
		}
		ifaces = append(ifaces, n)
	}
	addrs, gateways := interfaceAddresses(env, loopback)
	var out []Network
	for _, n := range ifaces {
		out = append(out, withAddresses(n, addrs[n.Description], gateways[n.Description])...)
	}
	if bmc, ok := bmcNetwork(ctx, env); ok {
		out = append(out, bmc)
	}
	return out, nil
}

// readInterface reads an interface's sysfs directory.
func readInterface(env *Env, name string) (Network, bool) {
	dir := filepath.Join("/sys/class/net", name)
	if !exists(env, filepath.Join(dir, "type")) {
		return Network{}, false // bonding_masters and other plain files
	}
	arphrd, _ := strconv.Atoi(env.ReadString(dir + "/type"))
	flags, _ := strconv.ParseUint(strings.TrimPrefix(env.ReadString(dir+"/flags"), "0x"), 16, 64)
	n := Network{
		Description: name,
		Type: ifaceType(arphrd,
			exists(env, dir+"/wireless") || exists(env, dir+"/phy80211"),
			exists(env, dir+"/bonding"), exists(env, dir+"/bridge")),
		Status: ifaceStatus(env.ReadString(dir+"/operstate"), flags),
		MAC:    strings.ToLower(env.ReadString(dir + "/address")),
	}
	n.MTU, _ = strconv.Atoi(env.ReadString(dir + "/mtu"))
	if s, err := strconv.Atoi(env.ReadString(dir + "/speed")); err == nil && s > 0 {
		n.Speed = strconv.Itoa(s)
	}
	if target, err := os.Readlink(env.Path(dir)); err == nil {
		n.VirtualDev = strings.Contains(target, "/devices/virtual/")
	}
	if drv, err := os.Readlink(env.Path(dir, "device/driver")); err == nil {
		n.Driver = filepath.Base(drv)
	}
	if slot := pciSlot(env, dir+"/device"); slot != "" {
		n.PCISlot = slot
		pci := filepath.Join("/sys/bus/pci/devices", slot)
		ids := make([]string, 0, 4)
		for _, f := range []string{"vendor", "device", "subsystem_device", "subsystem_vendor"} {
			if v := strings.TrimPrefix(env.ReadString(pci+"/"+f), "0x"); v != "" {
				ids = append(ids, strings.ToUpper(v))
			}
		}
		if len(ids) == 4 {
			n.PCIID = strings.Join(ids, ":")
		}
	}
	if s := env.ReadString(dir + "/bonding/slaves"); s != "" {
		n.Slaves = strings.Join(strings.Fields(s), ",")
	} else if ports, err := os.ReadDir(env.Path(dir, "brif")); err == nil && len(ports) > 0 {
		names := make([]string, len(ports))
		for i, p := range ports {
			names[i] = p.Name()
		}
		n.Slaves = strings.Join(names, ",")
	}
	return n, true
}

// pciSlot returns the PCI address of an interface's device link: the device
// itself, or its parent for virtio and other bus-on-PCI devices.
func pciSlot(env *Env, device string) string {
	target, err := filepath.EvalSymlinks(env.Path(device))
	if err != nil {
		return ""
	}
	for _, p := range []string{target, filepath.Dir(target)} {
		if b := filepath.Base(p); pciAddress.MatchString(b) {
			return b
		}
	}
	return ""
}

// interfaceAddresses returns the addresses of each interface, and each
// interface's default IPv4 gateway. On the machine itself they come from
// netlink; on another root, from the host's /proc files.
func interfaceAddresses(env *Env, loopback string) (map[string][]netip.Prefix, map[string]string) {
	addrs := make(map[string][]netip.Prefix)
	routes := parseRoutes(env.ReadString("/proc/net/route"))
	if env.Live() {
		ifaces, err := net.Interfaces()
		if err != nil {
			env.Log().Debug("list interfaces", "err", err)
		}
		for _, ifc := range ifaces {
			as, err := ifc.Addrs()
			if err != nil {
				continue
			}
			for _, a := range as {
				ipn, ok := a.(*net.IPNet)
				if !ok {
					continue
				}
				ip, ok := netip.AddrFromSlice(ipn.IP)
				if !ok {
					continue
				}
				bits, _ := ipn.Mask.Size()
				addrs[ifc.Name] = append(addrs[ifc.Name], netip.PrefixFrom(ip.Unmap(), bits))
			}
		}
		return addrs, defaultGateways(routes)
	}
	v4 := assignIPv4(parseFibTrie(env.ReadString("/proc/net/fib_trie")), routes, loopback)
	for _, a := range append(v4, parseIfInet6(env.ReadString("/proc/net/if_inet6"))...) {
		addrs[a.Iface] = append(addrs[a.Iface], a.Prefix)
	}
	return addrs, defaultGateways(routes)
}
