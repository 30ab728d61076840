package collectors

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"strings"
)

// Controller is one PCI device of the controllers section.
type Controller struct {
	Caption        string `json:"caption,omitempty"`
	Driver         string `json:"driver,omitempty"`
	Manufacturer   string `json:"manufacturer,omitempty"`
	Name           string `json:"name,omitempty"`
	PCISubsystemID string `json:"pcisubsystemid,omitempty"`
	PCIClass       string `json:"pciclass,omitempty"`
	PCISlot        string `json:"pcislot,omitempty"`
	ProductID      string `json:"productid,omitempty"`
	Rev            string `json:"rev,omitempty"`
	Type           string `json:"type,omitempty"`
	VendorID       string `json:"vendorid,omitempty"`
}

// Video is one display adapter of the videos section.
type Video struct {
	Name       string `json:"name,omitempty"`
	Chipset    string `json:"chipset,omitempty"`
	Memory     int    `json:"memory,omitempty"`
	Resolution string `json:"resolution,omitempty"`
	PCISlot    string `json:"pcislot,omitempty"`
}

// Sound is one audio device of the sounds section.
type Sound struct {
	Caption      string `json:"caption,omitempty"`
	Description  string `json:"description,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Name         string `json:"name,omitempty"`
}

// pciDevice is a PCI function as sysfs describes it, ids in four (class
// six) lower-case hexadecimal digits.
type pciDevice struct {
	Address              string // domain:bus:device.function
	Vendor, Device       string
	SubVendor, SubDevice string
	Class                string // class, subclass, programming interface
	Revision             string // two digits
	Driver               string
}

// PCI base classes the collectors pick devices by.
const (
	pciClassDisplay    = "03"
	pciClassMultimedia = "04"
)

// lspciSlot returns the address as lspci prints it: without the domain when it
// is the first one.
func lspciSlot(addr string) string { return strings.TrimPrefix(addr, "0000:") }

// pciNames are a device's names from pci.ids, ids where it has none.
type pciNames struct {
	vendor, product, class, subclass string
}

// pciIDs holds the names read from pci.ids, keyed "v<vendor>",
// "d<vendor><device>", "c<class>" and "s<class><subclass>".
type pciIDs map[string]string

// parsePCIIDs reads pci.ids, keeping only the names of the given devices, so
// the whole database is never held in memory.
func parsePCIIDs(r io.Reader, devs []pciDevice) (pciIDs, error) {
	want := map[string]bool{}
	for _, d := range devs {
		want["v"+d.Vendor] = true
		want["d"+d.Vendor+d.Device] = true
		if len(d.Class) >= 4 {
			want["c"+d.Class[:2]] = true
			want["s"+d.Class[:4]] = true
		}
	}
	ids := pciIDs{}
	parent := "" // the key prefix of the current vendor ("d8086") or class ("s06")
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.HasPrefix(line, "\t\t") {
			continue
		}
		var key, rest string
		switch {
		case line[0] == '\t':
			if parent == "" {
				continue
			}
			id, name, ok := strings.Cut(line[1:], "  ")
			if !ok {
				continue
			}
			key, rest = parent+id, name
		case strings.HasPrefix(line, "C "):
			id, name, _ := strings.Cut(line[2:], "  ")
			key, rest, parent = "c"+id, name, "s"+id
		default:
			id, name, _ := strings.Cut(line, "  ")
			key, rest, parent = "v"+id, name, "d"+id
		}
		if want[key] {
			ids[key] = strings.TrimSpace(rest)
		}
	}
	return ids, sc.Err()
}

// names returns the names of d, ids where pci.ids has none.
func (ids pciIDs) names(d pciDevice) pciNames {
	n := pciNames{
		vendor:  cmp.Or(ids["v"+d.Vendor], d.Vendor),
		product: cmp.Or(ids["d"+d.Vendor+d.Device], d.Device),
	}
	if len(d.Class) >= 4 {
		n.class, n.subclass = ids["c"+d.Class[:2]], ids["s"+d.Class[:4]]
	}
	return n
}

// controllerFrom describes a PCI device as the controllers section does.
func controllerFrom(d pciDevice, n pciNames) Controller {
	c := Controller{
		Caption:      n.product,
		Driver:       d.Driver,
		Manufacturer: n.vendor,
		Name:         n.product,
		PCISlot:      lspciSlot(d.Address),
		ProductID:    d.Device,
		Rev:          d.Revision,
		Type:         cmp.Or(n.subclass, n.class),
		VendorID:     d.Vendor,
	}
	if len(d.Class) >= 4 {
		c.PCIClass = d.Class[:4]
	}
	if d.SubVendor != "" && d.SubDevice != "" && d.SubVendor != "0000" {
		c.PCISubsystemID = d.SubVendor + ":" + d.SubDevice
	}
	return c
}

// videoFrom describes a display controller.
func videoFrom(d pciDevice, n pciNames) Video {
	return Video{
		Name:    strings.TrimSpace(n.vendor + " " + n.product),
		Chipset: n.product,
		PCISlot: lspciSlot(d.Address),
	}
}

// soundFrom describes an audio device the way GLPI's agent does from lspci:
// the subclass as name, maker and product as manufacturer, the revision as
// description.
func soundFrom(d pciDevice, n pciNames) Sound {
	s := Sound{
		Name:         cmp.Or(n.subclass, n.class, "Audio device"),
		Manufacturer: strings.TrimSpace(n.vendor + " " + n.product),
		Caption:      n.product,
	}
	if d.Revision != "" {
		s.Description = fmt.Sprintf("rev %s", d.Revision)
	}
	return s
}

// parseDRMMode returns the first (preferred) mode of a DRM connector's modes
// file, such as "1920x1080".
func parseDRMMode(modes string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(modes), "\n")
	return strings.TrimSpace(first)
}
