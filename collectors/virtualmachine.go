package collectors

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
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
}

// parseDockerConfig parses a container's config.v2.json.
func parseDockerConfig(b []byte) (VirtualMachine, error) {
	var c struct {
		Name   string
		Config struct{ Image string }
		State  struct{ Running, Paused, Restarting bool }

		NetworkSettings struct {
			Networks map[string]struct{ IPAddress, MacAddress string }
		}
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return VirtualMachine{}, fmt.Errorf("parse docker config: %w", err)
	}
	vm := VirtualMachine{
		Name:   strings.TrimPrefix(c.Name, "/"),
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

// parseLXCConfig parses an LXC container's config file ("key = value").
func parseLXCConfig(name, conf string) VirtualMachine {
	vm := VirtualMachine{Name: name, VMType: "lxc"}
	for line := range strings.Lines(conf) {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case k == "lxc.uts.name" || k == "lxc.utsname":
			vm.Name = v
		case vm.MAC == "" && strings.HasPrefix(k, "lxc.net") && strings.HasSuffix(k, ".hwaddr"):
			vm.MAC = strings.ToLower(v)
		}
	}
	return vm
}
