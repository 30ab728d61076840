package collectors

import (
	"context"
	"path/filepath"
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
	if len(vms) == 0 {
		return nil, NoData("no docker, libvirt or lxc guests")
	}
	return vms, nil
}
