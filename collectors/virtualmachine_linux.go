package collectors

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
)

func init() { Register("virtualmachine", "virtualmachines", true, collectVirtualMachines) }

func collectVirtualMachines(_ context.Context, env *Env) (any, error) {
	var vms []VirtualMachine
	for _, p := range env.Glob("/var/lib/docker/containers/*/config.v2.json") {
		b, err := env.ReadFile(p)
		if err != nil {
			continue
		}
		vm, err := parseDockerConfig(b)
		if err != nil {
			env.Log().Debug("skip container", "path", p, "err", err)
			continue
		}
		vms = append(vms, vm)
	}
	for _, p := range env.Glob("/etc/libvirt/qemu/*.xml") {
		b, err := env.ReadFile(p)
		if err != nil {
			continue
		}
		vm, err := parseLibvirtDomain(b)
		if err != nil || vm.Name == "" {
			env.Log().Debug("skip domain", "path", p, "err", err)
			continue
		}
		// libvirtd keeps a status file for each running domain.
		vm.Status = "off"
		if exists(env, "/run/libvirt/qemu/"+vm.Name+".xml") {
			vm.Status = "running"
		}
		vms = append(vms, vm)
	}
	for _, p := range env.Glob("/var/lib/lxc/*/config") {
		name := filepath.Base(filepath.Dir(p))
		vm, rootfs := parseLXCConfig(name, env.ReadString(p))
		vm.UUID = lxcUUID(env, rootfs)
		vms = append(vms, vm)
	}
	var lxd []string
	for _, root := range []string{"/var/snap/lxd/common/lxd", "/var/lib/lxd"} {
		lxd = append(lxd, env.Glob(root+"/containers/*")...)
		lxd = append(lxd, env.Glob(root+"/virtual-machines/*")...)
	}
	for _, dir := range lxd {
		b, err := env.ReadFile(dir + "/backup.yaml")
		if err != nil {
			continue
		}
		name := filepath.Base(dir)
		vm := lxdMachine(name, parseLXDBackup(b), firstLine(env.ReadString(dir+"/rootfs/etc/machine-id")))
		// A running instance has its control group, which LXD names
		// lxc.payload.<name> (cgroup v2, or v1's hierarchies).
		vm.Status = "off"
		for _, cg := range []string{"/sys/fs/cgroup/lxc.payload.", "/sys/fs/cgroup/memory/lxc.payload.", "/sys/fs/cgroup/systemd/lxc.payload."} {
			if exists(env, cg+name) {
				vm.Status = "running"
				break
			}
		}
		vms = append(vms, vm)
	}
	vms = append(vms, qemuMachines(env, vms)...)
	if len(vms) == 0 {
		return nil, NoData("no docker, libvirt, lxc, lxd or qemu guests")
	}
	return vms, nil
}

// qemuPrograms are where QEMU's packages install the program that runs
// a machine. They are looked for one by one: listing /usr/bin, thousands
// of entries, would cost a millisecond on every inventory.
var qemuPrograms = []string{
	"/usr/bin/kvm", "/usr/bin/qemu-kvm", "/usr/bin/qemu", "/usr/libexec/qemu-kvm",
	"/usr/bin/qemu-system-x86_64", "/usr/bin/qemu-system-aarch64", "/usr/bin/qemu-system-i386",
	"/usr/bin/qemu-system-arm", "/usr/bin/qemu-system-ppc64", "/usr/bin/qemu-system-s390x",
	"/usr/bin/qemu-system-riscv64",
}

// qemuMachines lists the QEMU virtual machines running without libvirt
// (Proxmox VE's among them), from their processes' command lines. A
// machine libvirt or LXD manages, listed already, is not listed again.
func qemuMachines(env *Env, known []VirtualMachine) []VirtualMachine {
	// The process list is read only where QEMU is installed.
	if !slices.ContainsFunc(qemuPrograms, func(p string) bool { return exists(env, p) }) {
		return nil
	}
	var out []VirtualMachine
	for _, p := range env.Glob("/proc/[0-9]*/cmdline") {
		// A process may exit while it is read: it is then skipped.
		b, err := env.ReadFile(p)
		if err != nil {
			continue
		}
		vm, ok := parseQemuArgs(splitNUL(b))
		if !ok || slices.ContainsFunc(known, func(k VirtualMachine) bool {
			return (k.VMType == "libvirt" || k.VMType == "LXD") && (k.UUID != "" && strings.EqualFold(k.UUID, vm.UUID) || k.Name == vm.Name)
		}) {
			continue
		}
		out = append(out, vm)
	}
	slices.SortFunc(out, func(a, b VirtualMachine) int { return strings.Compare(a.Name, b.Name) })
	return out
}
