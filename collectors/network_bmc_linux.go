package collectors

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// ipmiDevices are the device nodes of the kernel's IPMI driver, through
// which ipmitool reaches the machine's BMC.
var ipmiDevices = []string{"/dev/ipmi0", "/dev/ipmi/0", "/dev/ipmidev/0"}

// bmcTimeout bounds ipmitool, which waits on the BMC.
const bmcTimeout = 10 * time.Second

// bmcNetwork returns the network interface of the machine's BMC (iDRAC,
// iLO, IPMI), as the official agent reports it from "ipmitool lan print"
// (Generic/Ipmi/Lan.pm): described "bmc", a management port, up when it
// has an address. GLPI keeps it as one of the computer's network ports,
// with the BMC's address, which administrators reach it by; an inventory
// without it deletes the port. Only where the BMC has a device and
// ipmitool is installed, as there; an ipmitool that fails gives nothing,
// as there.
func bmcNetwork(ctx context.Context, env *Env) (Network, bool) {
	out, ok := ipmitool(ctx, env, "lan", "print")
	if !ok {
		return Network{}, false
	}
	return parseIPMILan(string(out))
}

// ipmitool runs ipmitool with args where the machine has a BMC device and
// ipmitool is installed, within bmcTimeout, and returns its output; false
// when it does not run or fails (logged at Debug), as the official agent
// then reports nothing of the BMC.
func ipmitool(ctx context.Context, env *Env, args ...string) ([]byte, bool) {
	if env.Exec == nil && !env.Live() {
		return nil, false // a host root: its ipmitool is not ours to run
	}
	if !slices.ContainsFunc(ipmiDevices, func(p string) bool { return exists(env, p) }) {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, bmcTimeout)
	defer cancel()
	out, err := env.Run(ctx, "ipmitool", args...)
	if err != nil {
		if !errors.Is(err, exec.ErrNotFound) {
			env.Log().Debug("ipmitool failed", "args", args, "err", err)
		}
		return nil, false
	}
	return out, true
}

// parseIPMILan reads the output of "ipmitool lan print".
func parseIPMILan(s string) (Network, bool) {
	n := Network{Description: "bmc", Type: "ethernet", Management: true, Status: "down"}
	ip := func(v string) string {
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() || a.IsUnspecified() {
			return ""
		}
		return a.String()
	}
	found := false
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.TrimSpace(key) {
		case "IP Address":
			n.IPAddress, found = ip(value), true
		case "Subnet Mask":
			n.IPMask = ip(value)
		case "Default Gateway IP":
			n.IPGateway = ip(value)
		case "MAC Address":
			if hw, err := net.ParseMAC(value); err == nil && len(hw) == 6 {
				n.MAC, found = hw.String(), true
			}
		}
	}
	if !found {
		return Network{}, false
	}
	if n.IPAddress != "" {
		n.Status = "up"
		if m := net.ParseIP(n.IPMask).To4(); m != nil {
			n.IPSubnet = net.ParseIP(n.IPAddress).Mask(net.IPMask(m)).String()
		}
	}
	return n, true
}
