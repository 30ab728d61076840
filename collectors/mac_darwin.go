package collectors

import (
	"context"
	"os"
	"strconv"
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
	case "hw.physicalcpu", "hw.logicalcpu", "kern.hv_vmm_present",
		"machdep.cpu.family", "machdep.cpu.model", "machdep.cpu.stepping":
		if v, err := unix.SysctlUint32(name); err == nil {
			return strconv.FormatUint(uint64(v), 10)
		}
	default:
		if v, err := unix.Sysctl(name); err == nil {
			return v
		}
	}
	return ""
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
