package collectors

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The macOS collectors read system_profiler's reports, sysctl, property
// lists and a few programs' outputs, shared by the collectors of a run
// (Env.mac). Their logic lives in the OS-neutral mac_*.go files, run on
// fixture machines by the tests of every platform (mac_collectors.go).
func init() { registerAll(macCollectors()) }

// openMac makes the macOS host of one run: this machine's live sources
// when env is this machine, none for another root, which has only files.
func openMac(env *Env) *macHost {
	h := &macHost{}
	if env.Live() {
		h.sysctl = darwinSysctl
		h.consoleUID = consoleOwner
		h.interfaces = netInterfaces
		h.fdesetup = runFdesetup
		h.ps = runPS
		h.environ = os.Environ
	}
	return h
}

// darwinSysctl reads a sysctl value and formats it as "sysctl -a" does.
func darwinSysctl(name string) string {
	switch name {
	case "hw.memsize":
		if v, err := unix.SysctlUint64(name); err == nil {
			return strconv.FormatUint(v, 10)
		}
	case "kern.boottime":
		if tv, err := unix.SysctlTimeval(name); err == nil {
			return formatSysctlTimeval(tv.Sec, int64(tv.Usec))
		}
	case "hw.physicalcpu", "hw.logicalcpu", "kern.hv_vmm_present", "hw.optional.arm64", "hw.nperflevels",
		"machdep.cpu.family", "machdep.cpu.model", "machdep.cpu.stepping":
		if v, err := unix.SysctlUint32(name); err == nil {
			return strconv.FormatUint(uint64(v), 10)
		}
	default:
		// hw.perflevel<n>.physicalcpu and .logicalcpu are numbers, .name
		// a string.
		if strings.HasPrefix(name, "hw.perflevel") && strings.HasSuffix(name, "cpu") {
			if v, err := unix.SysctlUint32(name); err == nil {
				return strconv.FormatUint(uint64(v), 10)
			}
			return ""
		}
		if v, err := unix.Sysctl(name); err == nil {
			return v
		}
	}
	return ""
}

// The programs the live collectors run besides system_profiler.
const (
	fdesetupProgram = "/usr/bin/fdesetup"
	psProgram       = "/bin/ps"
)

// runFdesetup asks fdesetup for FileVault's state, which it tells users
// other than root, too.
func runFdesetup(ctx context.Context, env *Env) ([]byte, error) {
	return env.Run(ctx, fdesetupProgram, "status")
}

// runPS lists the processes with ps.
func runPS(ctx context.Context, env *Env) ([]byte, error) {
	return env.Run(ctx, psProgram, psArgs...)
}

// consoleOwner returns the owner of /dev/console.
func consoleOwner() (int, bool) {
	fi, err := os.Stat("/dev/console")
	if err != nil {
		return 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// netInterfaces lists the interfaces of this machine through the net
// package.
func netInterfaces() ([]macIface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list network interfaces: %w", err)
	}
	out := make([]macIface, 0, len(ifs))
	for _, i := range ifs {
		m := macIface{Name: i.Name, MAC: i.HardwareAddr.String(), MTU: i.MTU, Up: i.Flags&net.FlagUp != 0}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				ip, _ := netip.AddrFromSlice(n.IP)
				bits, _ := n.Mask.Size()
				m.Addrs = append(m.Addrs, netip.PrefixFrom(ip.Unmap(), bits))
			}
		}
		out = append(out, m)
	}
	return out, nil
}
