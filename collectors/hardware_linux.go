package collectors

import (
	"cmp"
	"context"
	"io"
	"os"
	"strings"

	"github.com/shirou/gopsutil/v4/mem"
)

func init() { Register("hardware", "hardware", true, collectHardware) }

func collectHardware(ctx context.Context, env *Env) (any, error) {
	d := runDMI(ctx, env)
	h := &Hardware{
		Name:        hostname(env),
		UUID:        cleanUUID(d.productUUID),
		ChassisType: chassisName(d.chassisType),
		VMSystem:    vmSystem(gatherVMEvidence(env, d)),
	}
	// gopsutil reads the host's /proc/meminfo through the Env's root.
	if vm, err := mem.VirtualMemoryWithContext(env.Context(ctx)); err == nil {
		h.Memory = int(vm.Total >> 20)
		h.Swap = int(vm.SwapTotal >> 20)
	} else {
		env.Log().Debug("no memory totals", "err", err)
	}

	b, _ := env.ReadFile("/etc/resolv.conf")
	rc := parseResolvConf(string(b))
	h.DNS = strings.Join(rc.nameservers, "/")
	if _, domain, ok := strings.Cut(env.ReadString("/proc/sys/kernel/hostname"), "."); ok {
		h.Workgroup = domain
	} else {
		h.Workgroup = rc.domain
	}
	route, _ := env.ReadFile("/proc/net/route")
	h.DefaultGateway = defaultGateway(string(route))
	return h, nil
}

// hostname returns the computer's name, the kernel's host name (else
// /etc/hostname's) as Options.AssetName asks: short by default, as it
// is, or fully qualified.
func hostname(env *Env) string {
	name := env.ReadString("/proc/sys/kernel/hostname")
	if name == "" {
		name = env.ReadString("/etc/hostname")
	}
	switch env.Options.AssetName {
	case AssetNameAsIs:
		return name
	case AssetNameFQDN:
		fqdn, _ := hostNames(env)
		return cmp.Or(fqdn, name)
	}
	return shortHostname(name)
}

// gatherVMEvidence reads the files vmSystem decides from, DMI's from d.
// Each is optional: PID 1's environment, for one, is unreadable to non-root
// users.
func gatherVMEvidence(env *Env, d dmi) vmEvidence {
	exists := func(name string) bool {
		_, err := os.Stat(env.Path(name))
		return err == nil
	}
	environ, _ := env.ReadFile("/proc/1/environ")
	mountinfo, err := env.ReadFile("/proc/1/mountinfo")
	if err != nil {
		mountinfo, _ = env.ReadFile("/proc/self/mountinfo")
	}
	modules, _ := env.ReadFile("/proc/modules")
	return vmEvidence{
		initContainer:  initEnv(environ, "container"),
		containerEnv:   exists("/run/.containerenv"),
		dockerEnv:      exists("/.dockerenv") || exists("/.dockerinit"),
		overlayRoot:    rootMountIsOverlay(string(mountinfo)),
		initCgroup:     env.ReadString("/proc/1/cgroup"),
		wsl:            exists("/proc/sys/fs/binfmt_misc/WSLInterop") || strings.Contains(strings.ToLower(env.ReadString("/proc/sys/kernel/osrelease")), "microsoft"),
		sysVendor:      d.sysVendor,
		product:        d.productName,
		biosVendor:     d.biosVendor,
		biosVersion:    d.biosVersion,
		boardName:      d.boardName,
		hypervisorType: env.ReadString("/sys/hypervisor/type"),
		xenDom0:        strings.Contains(env.ReadString("/proc/xen/capabilities"), "control_d"),
		acpiOEM:        acpiOEMID(env),
		clocksource:    env.ReadString("/sys/devices/system/clocksource/clocksource0/available_clocksource"),
		modules:        string(modules),
		cpuHypervisor:  cpuHasFlag(env, "hypervisor"),
	}
}

// acpiOEMID returns the OEM ID of the ACPI DSDT: six bytes at offset 10 of
// the table header.
func acpiOEMID(env *Env) string {
	f, err := os.Open(env.Path("/sys/firmware/acpi/tables/DSDT"))
	if err != nil {
		return ""
	}
	defer f.Close()
	var hdr [16]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return ""
	}
	return strings.TrimSpace(strings.Trim(string(hdr[10:16]), "\x00"))
}

// cpuHasFlag reports whether the first processor of /proc/cpuinfo has flag.
func cpuHasFlag(env *Env, flag string) bool {
	found, done := false, false
	env.ReadLines("/proc/cpuinfo", func(line string) {
		k, v, ok := strings.Cut(line, ":")
		if done || !ok || strings.TrimSpace(k) != "flags" {
			return
		}
		done = true
		for f := range strings.FieldsSeq(v) {
			found = found || f == flag
		}
	})
	return found
}
