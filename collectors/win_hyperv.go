package collectors

import (
	"cmp"
	"context"
	"errors"
	"strings"
)

// Hyper-V's WMI provider: root\virtualization\v2 from Windows 8 and Server
// 2012, root\virtualization before (removed in Server 2012 R2). A host
// without the Hyper-V role has neither.
var hyperVNamespaces = []string{`root\virtualization\v2`, `root\virtualization`}

// msvmComputerSystem is the host or one of its virtual machines.
type msvmComputerSystem struct {
	ElementName  string // the machine's name in Hyper-V Manager
	Name         string // the virtual machine's GUID; the host's name for the host
	InstallDate  string // when the virtual machine was created; empty for the host
	EnabledState uint16
}

// msvmSetting is a setting of a virtual machine (memory, processors,
// system), named by InstanceID "Microsoft:<GUID>\...", the GUID being
// the machine's for its current settings, a snapshot's for the snapshot's.
type msvmSetting struct {
	InstanceID      string
	VirtualQuantity uint64 // MB of startup memory, or virtual processors
	BIOSGUID        string // the guest's SMBIOS UUID, in braces
}

// hyperVStates names Msvm_ComputerSystem.EnabledState values: CIM's (v2)
// and Hyper-V's own (v1). Others, such as saved (6, 32769) and stopped,
// are off.
var hyperVStates = map[uint16]string{
	2:     "running",
	4:     "shutdown", // shutting down, in v2
	9:     "paused",   // Quiesce: paused, in v2
	10:    "blocked",  // starting, in v2
	32768: "paused",
	32770: "blocked", // starting
	32771: "blocked", // snapshotting
	32773: "blocked", // saving
	32774: "shutdown",
	32776: "blocked", // pausing
	32777: "blocked", // resuming
}

// winVirtualMachines lists the virtual machines of Hyper-V and the WSL
// distributions of the users logged on. A host without either has no
// data; a source that fails is the collector's error, so that GLPI keeps
// the machines it knew rather than deleting them.
func winVirtualMachines(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	vms, err := hyperVMachines(h.wmi)
	if err != nil {
		return nil, err
	}
	wsl, err := wslMachines(env, h)
	if err != nil {
		return nil, err
	}
	vms = append(vms, wsl...)
	if len(vms) == 0 {
		return nil, NoData("no Hyper-V virtual machines or WSL distributions")
	}
	return vms, nil
}

// hyperVMachines reads the virtual machines from the first Hyper-V
// namespace the host has, with their memory, processors and BIOS UUID.
func hyperVMachines(w wmiSource) ([]VirtualMachine, error) {
	for _, ns := range hyperVNamespaces {
		systems, err := queryWMI[msvmComputerSystem](w, ns+":Msvm_ComputerSystem", "")
		if errors.Is(err, errWMINoNamespace) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var vms []VirtualMachine
		var ids []string
		for _, s := range systems {
			// The host is the instance without a creation date.
			if s.InstallDate == "" {
				continue
			}
			vms = append(vms, VirtualMachine{
				Name:      s.ElementName,
				Status:    cmp.Or(hyperVStates[s.EnabledState], "off"),
				Subsystem: "MS HyperV",
				VMType:    "HyperV",
			})
			ids = append(ids, strings.ToUpper(s.Name))
		}
		if len(vms) == 0 {
			return nil, nil
		}
		memory, err := hyperVSettings(w, ns+":Msvm_MemorySettingData")
		if err != nil {
			return nil, err
		}
		cpus, err := hyperVSettings(w, ns+":Msvm_ProcessorSettingData")
		if err != nil {
			return nil, err
		}
		system, err := hyperVSettings(w, ns+":Msvm_VirtualSystemSettingData")
		if err != nil {
			return nil, err
		}
		for i, id := range ids {
			vms[i].Memory = int64(memory[id].VirtualQuantity)
			vms[i].VCPU = int(cpus[id].VirtualQuantity)
			vms[i].UUID = strings.Trim(system[id].BIOSGUID, "{}")
		}
		return vms, nil
	}
	return nil, nil
}

// hyperVSettings reads the instances of a settings class by the upper-case
// GUID their InstanceID names.
func hyperVSettings(w wmiSource, class string) (map[string]msvmSetting, error) {
	settings, err := queryWMI[msvmSetting](w, class, "")
	if err != nil {
		return nil, err
	}
	out := make(map[string]msvmSetting, len(settings))
	for _, s := range settings {
		const prefix = "Microsoft:"
		if len(s.InstanceID) < len(prefix) || !strings.EqualFold(s.InstanceID[:len(prefix)], prefix) {
			continue
		}
		guid, _, _ := strings.Cut(s.InstanceID[len(prefix):], `\`)
		out[strings.ToUpper(guid)] = s
	}
	return out, nil
}
