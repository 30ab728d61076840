package collectors

import (
	"cmp"
	"crypto/sha1"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
)

// VirtualMachine is one entry of the virtualmachines section: a guest or
// container this host runs.
type VirtualMachine struct {
	Name      string `json:"name"`
	Status    string `json:"status,omitempty"`
	Subsystem string `json:"subsystem,omitempty"`
	VMType    string `json:"vmtype,omitempty"`
	UUID      string `json:"uuid,omitempty"`
	Image     string `json:"image,omitempty"`
	Memory    int64  `json:"memory,omitempty"`
	VCPU      int    `json:"vcpu,omitempty"`
	MAC       string `json:"mac,omitempty"`
	IPAddress string `json:"ipaddress,omitempty"`
	Serial    string `json:"serial,omitempty"`
}

// parseDockerConfig parses a container's config.v2.json.
func parseDockerConfig(b []byte) (VirtualMachine, error) {
	var c struct {
		ID, Name string
		Config   struct{ Image string }
		State    struct{ Running, Paused, Restarting bool }

		NetworkSettings struct {
			Networks map[string]struct{ IPAddress, MacAddress string }
		}
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return VirtualMachine{}, fmt.Errorf("parse docker config: %w", err)
	}
	vm := VirtualMachine{
		Name: strings.TrimPrefix(c.Name, "/"),
		// The short id "docker ps" shows, which the official agent sends.
		UUID:   c.ID[:min(len(c.ID), 12)],
		Image:  c.Config.Image,
		VMType: "docker",
		Status: "off",
	}
	switch {
	case c.State.Paused:
		vm.Status = "paused"
	case c.State.Running:
		vm.Status = "running"
	}
	// The first network by name that gave the container an address.
	for _, name := range slices.Sorted(maps.Keys(c.NetworkSettings.Networks)) {
		if n := c.NetworkSettings.Networks[name]; n.IPAddress != "" {
			vm.IPAddress, vm.MAC = n.IPAddress, n.MacAddress
			break
		}
	}
	return vm, nil
}

// parseLibvirtDomain parses a libvirt domain definition.
func parseLibvirtDomain(b []byte) (VirtualMachine, error) {
	var d struct {
		Type   string `xml:"type,attr"`
		Name   string `xml:"name"`
		UUID   string `xml:"uuid"`
		Memory struct {
			Unit  string `xml:"unit,attr"`
			Value int64  `xml:",chardata"`
		} `xml:"memory"`
		VCPU       string `xml:"vcpu"`
		Interfaces []struct {
			MAC struct {
				Address string `xml:"address,attr"`
			} `xml:"mac"`
		} `xml:"devices>interface"`
	}
	if err := xml.Unmarshal(b, &d); err != nil {
		return VirtualMachine{}, fmt.Errorf("parse libvirt domain: %w", err)
	}
	vm := VirtualMachine{
		Name:      d.Name,
		UUID:      d.UUID,
		Subsystem: d.Type,
		VMType:    "libvirt",
		Memory:    toMiB(d.Memory.Value, d.Memory.Unit),
	}
	vm.VCPU, _ = strconv.Atoi(strings.TrimSpace(d.VCPU))
	if len(d.Interfaces) > 0 {
		vm.MAC = strings.ToLower(d.Interfaces[0].MAC.Address)
	}
	return vm, nil
}

// toMiB converts a libvirt memory amount (KiB unless unit says otherwise).
func toMiB(v int64, unit string) int64 {
	switch strings.ToLower(unit) {
	case "b", "bytes":
		return v >> 20
	case "", "k", "kib":
		return v >> 10
	case "m", "mib":
		return v
	case "g", "gib":
		return v << 10
	case "kb":
		return v * 1000 >> 20
	case "mb":
		return v * 1000 * 1000 >> 20
	case "gb":
		return v * 1000 * 1000 * 1000 >> 20
	}
	return 0
}

// parseLXCConfig parses an LXC container's config file ("key = value"),
// and returns the container and its root file system's directory. The
// container is named as lxc-ls names it, after its directory, unless the
// name is a number: Proxmox names containers by id and their host name by
// lxc.uts.name.
func parseLXCConfig(name, conf string) (vm VirtualMachine, rootfs string) {
	vm = VirtualMachine{Name: name, VMType: "lxc"}
	numeric := strings.Trim(name, "0123456789") == ""
	for line := range strings.Lines(conf) {
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(strings.TrimSpace(k), "#") {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case numeric && (k == "lxc.uts.name" || k == "lxc.utsname"):
			vm.Name = v
		case vm.MAC == "" && strings.HasPrefix(k, "lxc.net") && strings.HasSuffix(k, ".hwaddr"):
			vm.MAC = strings.ToLower(v)
		case k == "lxc.cgroup2.memory.max" || k == "lxc.cgroup.memory.limit_in_bytes":
			vm.Memory = sizeMB(v)
		case k == "lxc.cgroup2.cpuset.cpus" || k == "lxc.cgroup.cpuset.cpus":
			vm.VCPU = cpuListCount(v)
		case k == "lxc.rootfs.path" || k == "lxc.rootfs":
			// "dir:/var/lib/lxc/c1/rootfs", or an overlay's
			// "overlay:<lower>:<upper>", whose upper directory holds the
			// container's own files.
			rootfs = v[strings.LastIndexByte(v, ':')+1:]
		}
	}
	return vm, rootfs
}

// sizeMB converts a size with a unit ("4G", "4GB", "4GiB", "1.5GB"; bytes
// without one) to MB, 0 when it is not one ("max", "50%").
func sizeMB(s string) int64 {
	s = strings.ToUpper(strings.TrimSpace(s))
	num := strings.TrimRight(s, "KMGTIB ")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0
	}
	var shift int
	switch strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s[len(num):]), "B"), "I") {
	case "":
	case "K":
		shift = 10
	case "M":
		shift = 20
	case "G":
		shift = 30
	case "T":
		shift = 40
	default:
		return 0
	}
	return int64(f * float64(uint64(1)<<shift) / (1 << 20))
}

// cpuListCount counts the processors of a cpuset list ("0,3-5,7").
func cpuListCount(v string) int {
	n := 0
	for part := range strings.SplitSeq(v, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0
			}
		}
		n += b - a + 1
	}
	return n
}

// lxcUUID is the UUID of an LXC container: its virtualUUID from the
// machine-id and host name of its root file system.
func lxcUUID(env *Env, rootfs string) string {
	if rootfs == "" {
		return ""
	}
	return virtualUUID(firstLine(env.ReadString(rootfs+"/etc/machine-id")), firstLine(env.ReadString(rootfs+"/etc/hostname")))
}

// virtualUUID is the UUID the official agent gives a container from its
// machine-id and a name: the SHA-1 of both in hexadecimal; "" without
// either.
func virtualUUID(machineID, name string) string {
	if machineID == "" || name == "" {
		return ""
	}
	return fmt.Sprintf("%x", sha1.Sum([]byte(machineID+name)))
}

// firstLine returns the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimRight(line, "\r")
}

// qemuProgram matches the programs that run a QEMU virtual machine.
var qemuProgram = lazyRE(`^(qemu|kvm|qemu-kvm|qemu-system-\S+)$`)

// qemuSMBIOS matches the uuid and serial of a -smbios type=1 option.
var qemuSMBIOS = lazyRE(`(uuid|serial)=([a-zA-Z0-9-]+)`)

// parseQemuArgs reads a running QEMU virtual machine from its command
// line, as the official agent reads it from the process list: named by
// -name, else by its first disk; false when argv runs no machine or one
// without a name.
func parseQemuArgs(argv []string) (VirtualMachine, bool) {
	if len(argv) == 0 || !qemuProgram.MatchString(path.Base(argv[0])) {
		return VirtualMachine{}, false
	}
	vm := VirtualMachine{Status: "running", VMType: "qemu"}
	if strings.Contains(path.Base(argv[0]), "kvm") {
		vm.VMType = "kvm"
	}
	var disk string
	for i, opt := range argv[1:] {
		if opt == "-enable-kvm" {
			vm.VMType = "kvm"
		}
		if i+2 >= len(argv) || !strings.HasPrefix(opt, "-") {
			continue
		}
		v := argv[i+2]
		switch opt {
		case "-name":
			// "vm1,debug-threads=on"
			vm.Name, _, _ = strings.Cut(v, ",")
		case "-m":
			vm.Memory = qemuMemoryMB(v)
		case "-uuid":
			vm.UUID = v
		case "-smp":
			n, _, _ := strings.Cut(v, ",")
			vm.VCPU, _ = strconv.Atoi(n)
		case "-smbios":
			for _, m := range qemuSMBIOS.FindAllStringSubmatch(v, -1) {
				if m[1] == "uuid" {
					vm.UUID = m[2]
				} else {
					vm.Serial = m[2]
				}
			}
		case "-hda", "-hdb", "-hdc", "-hdd", "-fda", "-fdb", "-cdrom":
			if disk == "" {
				disk = v
			}
		}
	}
	vm.Name = cmp.Or(vm.Name, disk)
	if vm.Name == "" {
		return VirtualMachine{}, false
	}
	vm.Subsystem = vm.VMType
	return vm, true
}

// qemuMemoryMB reads the memory of a -m option: "2048" (MB), "2G",
// "size=4096,slots=2,maxmem=8G". QEMU's default, 128 MB, for 0.
func qemuMemoryMB(v string) int64 {
	v, _, _ = strings.Cut(strings.TrimPrefix(v, "size="), ",")
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n == 0 {
			return 128
		}
		return n
	}
	return sizeMB(v)
}

// parseLXDBackup reads an LXD instance's backup.yaml, which LXD keeps
// beside its root file system: the instance's own configuration keys
// (limits.cpu, limits.memory, volatile.eth0.hwaddr), by name.
func parseLXDBackup(b []byte) map[string]string {
	config := map[string]string{}
	inInstance, inConfig := false, false
	for line := range strings.Lines(string(b)) {
		line = strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		switch {
		case indent == 0:
			// LXD 4 names the block container, later releases instance.
			inInstance = trimmed == "container:" || trimmed == "instance:"
			inConfig = false
		case inInstance && indent == 2:
			inConfig = trimmed == "config:"
		case inInstance && inConfig && indent == 4:
			k, v, ok := strings.Cut(trimmed, ":")
			if ok {
				config[k] = strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
	}
	return config
}

// lxdMachine is an LXD instance named name, from its configuration, as
// the official agent reports it: type LXD, and the virtualUUID of its
// machine-id and name.
func lxdMachine(name string, config map[string]string, machineID string) VirtualMachine {
	vm := VirtualMachine{Name: name, VMType: "LXD", MAC: strings.ToLower(config["volatile.eth0.hwaddr"])}
	if cpu := config["limits.cpu"]; cpu != "" {
		if n, err := strconv.Atoi(cpu); err == nil {
			vm.VCPU = n
		} else {
			vm.VCPU = cpuListCount(cpu)
		}
	}
	vm.Memory = sizeMB(config["limits.memory"])
	vm.UUID = virtualUUID(machineID, name)
	return vm
}
