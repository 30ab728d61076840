package collectors

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
)

// Hardware is the hardware section: the computer's name, identity, memory
// and network basics, and what it runs on.
type Hardware struct {
	ChassisType        string `json:"chassis_type,omitempty"`
	DefaultGateway     string `json:"defaultgateway,omitempty"`
	DNS                string `json:"dns,omitempty"`
	Memory             int    `json:"memory,omitempty"`
	Name               string `json:"name,omitempty"`
	Swap               int    `json:"swap,omitempty"`
	UUID               string `json:"uuid,omitempty"`
	VMSystem           string `json:"vmsystem,omitempty"`
	Workgroup          string `json:"workgroup,omitempty"`
	Description        string `json:"description,omitempty"`
	LastLoggedUser     string `json:"lastloggeduser,omitempty"`
	DateLastLoggedUser string `json:"datelastloggeduser,omitempty"`
	WinProdID          string `json:"winprodid,omitempty"`
	WinOwner           string `json:"winowner,omitempty"`
	WinCompany         string `json:"wincompany,omitempty"`
	WinLang            string `json:"winlang,omitempty"`
}

// chassisTypes names SMBIOS chassis types (SMBIOS 3.x table 7.4.1) as
// dmidecode prints them, which is what GLPI receives from other agents.
var chassisTypes = [...]string{
	1: "Other", 2: "Unknown", 3: "Desktop", 4: "Low Profile Desktop",
	5: "Pizza Box", 6: "Mini Tower", 7: "Tower", 8: "Portable", 9: "Laptop",
	10: "Notebook", 11: "Hand Held", 12: "Docking Station", 13: "All In One",
	14: "Sub Notebook", 15: "Space-saving", 16: "Lunch Box",
	17: "Main Server Chassis", 18: "Expansion Chassis", 19: "Sub Chassis",
	20: "Bus Expansion Chassis", 21: "Peripheral Chassis", 22: "RAID Chassis",
	23: "Rack Mount Chassis", 24: "Sealed-case PC", 25: "Multi-system",
	26: "CompactPCI", 27: "AdvancedTCA", 28: "Blade", 29: "Blade Enclosing",
	30: "Tablet", 31: "Convertible", 32: "Detachable", 33: "IoT Gateway",
	34: "Embedded PC", 35: "Mini PC", 36: "Stick PC",
}

// chassisName names an SMBIOS chassis type number; "" for Unknown and for
// numbers the specification does not define. Bit 7 flags a chassis lock.
func chassisName(s string) string {
	n := atoi(s) & 0x7f
	if n == 2 || n >= len(chassisTypes) {
		return ""
	}
	return chassisTypes[n]
}

// The values of Options.AssetName besides the short name's (1, or 0).
const (
	AssetNameAsIs = 2
	AssetNameFQDN = 3
)

// shortHostname returns the host name without its domain.
func shortHostname(fqdn string) string {
	name, _, _ := strings.Cut(strings.TrimSpace(fqdn), ".")
	return name
}

// resolvConf holds what the inventory takes from /etc/resolv.conf.
type resolvConf struct {
	nameservers []string
	domain      string // the domain line, else the first search domain
}

// parseResolvConf parses resolv.conf. The last domain or search line wins,
// as in the resolver.
func parseResolvConf(s string) resolvConf {
	var rc resolvConf
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			rc.nameservers = append(rc.nameservers, f[1])
		case "domain", "search":
			rc.domain = strings.TrimSuffix(f[1], ".")
		}
	}
	return rc
}

// defaultGateway returns the IPv4 default gateway from /proc/net/route: the
// first up gateway route to 0.0.0.0/0, with the lowest metric.
func defaultGateway(route string) string {
	const rtfUp, rtfGateway = 0x1, 0x2
	best, bestMetric := "", -1
	sc := bufio.NewScanner(strings.NewReader(route))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// Iface Destination Gateway Flags RefCnt Use Metric Mask …
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		flags, err := hex.DecodeString(f[3])
		if err != nil || len(flags) != 2 || flags[1]&(rtfUp|rtfGateway) != rtfUp|rtfGateway {
			continue
		}
		gw, err := hex.DecodeString(f[2])
		if err != nil || len(gw) != 4 {
			continue
		}
		// The kernel prints the address in host (little-endian) order.
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], binary.LittleEndian.Uint32(gw))
		if m := atoi(f[6]); bestMetric < 0 || m < bestMetric {
			best, bestMetric = netip.AddrFrom4(a).String(), m
		}
	}
	return best
}

// vmEvidence is what the host shows of the layer it runs on, gathered from
// files; vmSystem decides from it.
type vmEvidence struct {
	// Container evidence.
	initContainer string // container= in PID 1's environment
	containerEnv  bool   // /run/.containerenv (podman)
	dockerEnv     bool   // /.dockerenv or /.dockerinit
	overlayRoot   bool   // / is an overlay or a bind of a subdirectory
	initCgroup    string // /proc/1/cgroup
	wsl           bool   // WSL interop registered, or a WSL kernel

	// Virtual machine evidence.
	sysVendor, product, biosVendor, biosVersion, boardName string // DMI
	hypervisorType                                         string // /sys/hypervisor/type
	xenDom0                                                bool   // /proc/xen/capabilities has control_d
	acpiOEM                                                string // OEM ID of the ACPI DSDT
	clocksource                                            string // available clock sources
	modules                                                string // /proc/modules
	cpuHypervisor                                          bool   // the hypervisor CPU flag
}

var cgroupRuntimes = []struct {
	re   *lazyRegexp
	name string
}{
	{lazyRE(`/docker[/-]`), "Docker"},
	{lazyRE(`/lxc[/.]|lxc\.payload`), "lxc"},
	{lazyRE(`cri-containerd-|/containerd/`), "containerd"},
	{lazyRE(`crio-`), "cri-o"},
	{lazyRE(`libpod-`), "podman"},
}

var (
	vmwareModule = lazyRE(`(?m)^vmxnet\s`)
	xenModule    = lazyRE(`(?m)^xen_\w+front\s`)
)

// acpiOEMs maps ACPI table OEM IDs of hypervisors, which stay visible when
// the hypervisor offers no DMI (Firecracker, Cloud Hypervisor).
var acpiOEMs = map[string]string{
	"BOCHS":  "QEMU",
	"FIRECK": "Firecracker",
	"CLOUDH": "Cloud Hypervisor",
	"VBOX":   "VirtualBox",
	"VRTUAL": "Hyper-V",
	"BHYVE":  "BHYVE",
	"XEN":    "Xen",
}

// vmSystem names what the host runs on, in the words of GLPI's own agent
// ("Physical", "QEMU", "VMware", "VirtualBox", "Xen", "Hyper-V", "Virtual
// Machine", "Docker", "lxc", …). A container is reported before the machine
// under it, since the inventory describes the container. Evidence goes from
// the most to the least specific, and "Physical" needs the absence of all.
func vmSystem(e vmEvidence) string {
	switch {
	case e.initContainer == "docker":
		return "Docker"
	case e.initContainer != "":
		return e.initContainer
	case e.containerEnv:
		return "podman"
	case e.dockerEnv && e.overlayRoot:
		return "Docker"
	}
	for _, r := range cgroupRuntimes {
		if r.re.MatchString(e.initCgroup) {
			return r.name
		}
	}
	if e.wsl {
		return "WSL"
	}
	if v := dmiVM(e); v != "" {
		return v
	}
	if e.hypervisorType == "xen" {
		if e.xenDom0 {
			return "Physical"
		}
		return "Xen"
	}
	if v := acpiOEMs[strings.ToUpper(strings.TrimSpace(e.acpiOEM))]; v != "" {
		return v
	}
	switch {
	case vmwareModule.MatchString(e.modules):
		return "VMware"
	case xenModule.MatchString(e.modules):
		return "Xen"
	case strings.Contains(e.clocksource, "kvm-clock"):
		return "QEMU"
	case strings.Contains(e.clocksource, "hyperv_clocksource"):
		return "Hyper-V"
	case e.cpuHypervisor:
		return "Virtual Machine"
	}
	return "Physical"
}

// dmiVM recognises a virtual machine from its DMI strings, in the order of
// GLPI's agent, with Parallels and bhyve added.
func dmiVM(e vmEvidence) string {
	has := func(s, sub string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(sub)) }
	switch {
	case has(e.sysVendor, "QEMU"):
		return "QEMU"
	case has(e.sysVendor, "Microsoft") && has(e.product, "Virtual"):
		return "Hyper-V"
	case has(e.sysVendor, "VMware"):
		return "VMware"
	case strings.HasPrefix(e.sysVendor, "Xen"):
		return "Xen"
	case has(e.sysVendor, "Parallels"):
		return "Parallels"
	case has(e.biosVendor, "QEMU"), has(e.biosVendor, "Bochs"):
		return "QEMU"
	case has(e.biosVendor, "VirtualBox"), has(e.biosVendor, "innotek"):
		return "VirtualBox"
	case strings.HasPrefix(e.biosVendor, "Xen"):
		return "Xen"
	case has(e.product, "VMware"):
		return "VMware"
	case has(e.product, "BHYVE"):
		return "BHYVE"
	case has(e.product, "Virtual Machine"):
		return "Virtual Machine"
	case has(e.product, "KVM"):
		return "QEMU"
	case has(e.biosVersion, "VirtualBox"), has(e.boardName, "VirtualBox"):
		return "VirtualBox"
	}
	return ""
}

// initEnv returns the value of key in a NUL-separated environment block.
func initEnv(environ []byte, key string) string {
	for kv := range strings.SplitSeq(string(environ), "\x00") {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// rootMountIsOverlay reports whether / in a mountinfo file is an overlay
// (Docker, containerd, podman) or a bind of a directory of another file
// system (btrfs and zfs storage drivers, lxc), the marks of a container.
func rootMountIsOverlay(mountinfo string) bool {
	overlay := false
	sc := bufio.NewScanner(strings.NewReader(mountinfo))
	for sc.Scan() {
		// id parent major:minor root mountpoint options… - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 1 || f[4] != "/" {
			continue
		}
		// Mounts stack: the last one on / is the root in use.
		switch g[0] {
		case "overlay", "aufs", "fuse-overlayfs", "shiftfs":
			overlay = true
		default:
			overlay = f[3] != "/"
		}
	}
	return overlay
}
