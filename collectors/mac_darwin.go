package collectors

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	for _, c := range macCollectors {
		Register(c.name, c.key, c.enabled, func(ctx context.Context, env *Env) (any, error) {
			return c.collect(ctx, env, liveMacHost(env))
		})
	}
}

// macHostTTL is how long the collectors share one macHost: longer than an
// inventory takes, far shorter than the time between two inventories.
const macHostTTL = 5 * time.Minute

// macHosts holds the macHost of the current inventory of each host root.
// The runner gives each collector its own copy of the Env, so the shared
// state cannot hang off the Env; it is keyed by root and expires.
var macHosts struct {
	sync.Mutex
	m map[string]macHostEntry
}

type macHostEntry struct {
	host    *macHost
	created time.Time
}

// liveMacHost returns the macHost shared by the collectors of the current
// inventory of env's root.
func liveMacHost(env *Env) *macHost {
	macHosts.Lock()
	defer macHosts.Unlock()
	now := time.Now()
	root := env.root()
	if e, ok := macHosts.m[root]; ok && now.Sub(e.created) < macHostTTL {
		return e.host
	}
	if macHosts.m == nil {
		macHosts.m = make(map[string]macHostEntry)
	}
	h := &macHost{}
	if env.Live() {
		h.sysctl = darwinSysctl
		h.consoleUID = consoleOwner
		h.interfaces = netInterfaces
		h.fdesetup = runFdesetup
		h.ps = runPS
		h.environ = os.Environ
	}
	macHosts.m[root] = macHostEntry{host: h, created: now}
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
