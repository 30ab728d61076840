package collectors

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
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

// pciNames are a device's names from pci.ids; vendor and product are empty
// when the database has none, and class and subclass then come from
// pciClassNames and pciSubclassNames.
type pciNames struct {
	vendor, product, class, subclass string
	// subvendor is the subsystem vendor's name, read for graphics cards.
	subvendor string
}

// model names the device: its product name, or without one its class, as
// lspci does ("Ethernet controller"). It is never a bare id, which GLPI
// would take for a model or maker's name.
func (n pciNames) model() string { return cmp.Or(n.product, n.subclass, n.class, "PCI device") }

// pciClassNames are the names pci.ids gives the PCI base classes ("02"),
// for hosts without pci.ids.
var pciClassNames = map[string]string{
	"00": "Unclassified device", "01": "Mass storage controller", "02": "Network controller",
	"03": "Display controller", "04": "Multimedia controller", "05": "Memory controller",
	"06": "Bridge", "07": "Communication controller", "08": "Generic system peripheral",
	"09": "Input device controller", "0a": "Docking station", "0b": "Processor",
	"0c": "Serial bus controller", "0d": "Wireless controller", "0e": "Intelligent controller",
	"0f": "Satellite communications controller", "10": "Encryption controller",
	"11": "Signal processing controller", "12": "Processing accelerators",
	"13": "Non-Essential Instrumentation", "40": "Coprocessor", "ff": "Unassigned class",
}

// pciSubclassNames are the names pci.ids gives the PCI subclasses, by class
// and subclass ("0200"), for hosts without pci.ids.
var pciSubclassNames = map[string]string{
	"0000": "Non-VGA unclassified device", "0001": "VGA compatible unclassified device",
	"0005": "Image coprocessor",
	"0100": "SCSI storage controller", "0101": "IDE interface", "0102": "Floppy disk controller",
	"0103": "IPI bus controller", "0104": "RAID bus controller", "0105": "ATA controller",
	"0106": "SATA controller", "0107": "Serial Attached SCSI controller",
	"0108": "Non-Volatile memory controller", "0109": "Universal Flash Storage controller",
	"0180": "Mass storage controller",
	"0200": "Ethernet controller", "0201": "Token ring network controller",
	"0202": "FDDI network controller", "0203": "ATM network controller", "0204": "ISDN controller",
	"0207": "Infiniband controller", "0208": "Fabric controller", "0280": "Network controller",
	"0300": "VGA compatible controller", "0301": "XGA compatible controller", "0302": "3D controller",
	"0380": "Display controller",
	"0400": "Multimedia video controller", "0401": "Multimedia audio controller",
	"0402": "Computer telephony device", "0403": "Audio device", "0480": "Multimedia controller",
	"0500": "RAM memory", "0501": "FLASH memory", "0502": "CXL", "0580": "Memory controller",
	"0600": "Host bridge", "0601": "ISA bridge", "0602": "EISA bridge", "0603": "MicroChannel bridge",
	"0604": "PCI bridge", "0605": "PCMCIA bridge", "0606": "NuBus bridge", "0607": "CardBus bridge",
	"0608": "RACEway bridge", "0609": "Semi-transparent PCI-to-PCI bridge",
	"060a": "InfiniBand to PCI host bridge", "0680": "Bridge",
	"0700": "Serial controller", "0701": "Parallel controller", "0702": "Multiport serial controller",
	"0703": "Modem", "0704": "GPIB controller", "0780": "Communication controller",
	"0800": "PIC", "0801": "DMA controller", "0802": "Timer", "0803": "RTC",
	"0804": "PCI Hot-plug controller", "0805": "SD Host controller", "0806": "IOMMU",
	"0880": "System peripheral",
	"0900": "Keyboard controller", "0901": "Digitizer Pen", "0902": "Mouse controller",
	"0903": "Scanner controller", "0904": "Gameport controller", "0980": "Input device controller",
	"0b40": "Co-processor",
	"0c00": "FireWire (IEEE 1394)", "0c01": "ACCESS Bus", "0c02": "SSA", "0c03": "USB controller",
	"0c04": "Fibre Channel", "0c05": "SMBus", "0c06": "InfiniBand", "0c07": "IPMI Interface",
	"0c08": "SERCOS interface", "0c09": "CANBUS", "0c80": "Serial bus controller",
	"0d00": "IRDA controller", "0d01": "Consumer IR controller", "0d10": "RF controller",
	"0d11": "Bluetooth", "0d12": "Broadband", "0d80": "Wireless controller",
	"1000": "Network and computing encryption device", "1010": "Entertainment encryption device",
	"1080": "Encryption controller",
	"1180": "Signal processing controller",
	"1200": "Processing accelerators",
}

// pciIDs holds the names read from pci.ids, keyed "v<vendor>",
// "d<vendor><device>", "c<class>" and "s<class><subclass>".
type pciIDs map[string]string

// parsePCIIDs looks the names of devs up in db, a pci.ids file, keeping
// only theirs, so that the whole database is never held parsed. The file
// is over a megabyte and read at every inventory, and a host has a few
// vendors: each wanted vendor's line ("8086  Intel Corporation") is
// searched for at a line start, and only its block is read line by line
// for its devices ("\t1234  Name"); classes likewise ("C 03  Display
// controller", "\t00  VGA compatible controller"). Subsystem lines
// ("\t\t") are not read. pci.ids is sorted, vendors then classes, so each
// search starts where the last one ended; a line it misses (an unknown
// vendor, a file out of order) is searched for before that.
func parsePCIIDs(db []byte, devs []pciDevice) pciIDs {
	blocks := map[string]map[string]bool{} // "d8086" or "s03": the ids wanted in its block
	for _, d := range devs {
		wantIn(blocks, "d"+d.Vendor, d.Device)
		if len(d.Class) >= 4 {
			wantIn(blocks, "s"+d.Class[:2], d.Class[2:4])
		}
		// A graphics card is named after its maker, the subsystem's vendor.
		if strings.HasPrefix(d.Class, pciClassDisplay) && d.SubVendor != "" && d.SubVendor != "0000" && blocks["d"+d.SubVendor] == nil {
			blocks["d"+d.SubVendor] = map[string]bool{}
		}
	}
	ids := pciIDs{}
	from := 0
	for _, parent := range slices.Sorted(maps.Keys(blocks)) { // vendors ("d"), then classes ("s")
		line, key := parent[1:]+"  ", "v"+parent[1:]
		if parent[0] == 's' {
			line, key = "C "+parent[1:]+"  ", "c"+parent[1:]
		}
		i := lineStart(db, from, line)
		if i < 0 {
			// Lines before from end before it: the search from the start
			// stops there.
			if i = lineStart(db[:from], 0, line); i < 0 {
				continue
			}
		}
		name, rest := cutLine(db[i+len(line):])
		ids[key] = string(bytes.TrimSpace(name))
		for len(rest) > 0 && len(blocks[parent]) > 0 {
			var l []byte
			l, rest = cutLine(rest)
			if len(l) == 0 || l[0] == '#' {
				continue
			}
			if l[0] != '\t' {
				break // the next vendor or class
			}
			if len(l) > 1 && l[1] == '\t' {
				continue // a subsystem, or a programming interface
			}
			id, name, ok := bytes.Cut(l[1:], []byte("  "))
			if ok && blocks[parent][string(id)] {
				ids[parent+string(id)] = string(bytes.TrimSpace(name))
			}
		}
		from = len(db) - len(rest)
	}
	return ids
}

func wantIn(blocks map[string]map[string]bool, parent, id string) {
	if blocks[parent] == nil {
		blocks[parent] = map[string]bool{}
	}
	blocks[parent][id] = true
}

// lineStart returns the index of the first line of db at or after from (a
// line's start) that starts with prefix, or -1.
func lineStart(db []byte, from int, prefix string) int {
	if bytes.HasPrefix(db[from:], []byte(prefix)) {
		return from
	}
	i := bytes.Index(db[from:], []byte("\n"+prefix))
	if i < 0 {
		return -1
	}
	return from + i + 1
}

// cutLine returns b's first line, without its end of line, and the rest.
func cutLine(b []byte) (line, rest []byte) {
	line, rest, _ = bytes.Cut(b, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r")), rest
}

// names returns the names of d. Ids pci.ids does not know get no name; a
// class it does not know (or all of them, without pci.ids) is named from
// pciClassNames and pciSubclassNames.
func (ids pciIDs) names(d pciDevice) pciNames {
	n := pciNames{vendor: ids["v"+d.Vendor], product: ids["d"+d.Vendor+d.Device], subvendor: ids["v"+d.SubVendor]}
	if len(d.Class) >= 4 {
		n.class = cmp.Or(ids["c"+d.Class[:2]], pciClassNames[d.Class[:2]])
		n.subclass = cmp.Or(ids["s"+d.Class[:4]], pciSubclassNames[d.Class[:4]])
	}
	return n
}

// controllerFrom describes a PCI device as the controllers section does. A
// maker pci.ids does not name is left out: vendorid carries its id.
func controllerFrom(d pciDevice, n pciNames) Controller {
	c := Controller{
		Caption:      n.model(),
		Driver:       d.Driver,
		Manufacturer: n.vendor,
		Name:         n.model(),
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

// videoFrom describes a display controller as the official agent does
// from lspci (Generic/PCI/Videos.pm), since GLPI keys graphics card models
// on name and chipset: pci.ids names most cards "chip [marketing name]";
// the chipset is lspci's description up to the brackets, maker included
// ("NVIDIA Corporation TU117M"), the name the bracketed one after the card
// maker's, the subsystem vendor ("Lenovo GeForce GTX 1650 Mobile"). A card
// named otherwise keeps lspci's description as its name and its class as
// its chipset.
func videoFrom(d pciDevice, n pciNames) Video {
	// lspci's description: "NVIDIA Corporation TU117M [GeForce GTX 1650 Mobile]".
	desc := strings.TrimSpace(n.vendor + " " + n.model())
	v := Video{Name: desc, Chipset: cmp.Or(n.subclass, n.class), PCISlot: lspciSlot(d.Address)}
	if i := strings.LastIndex(desc, " ["); i > 0 && strings.HasSuffix(desc, "]") {
		v.Chipset, v.Name = strings.TrimSpace(desc[:i]), desc[i+2:len(desc)-1]
		if n.subvendor != "" {
			v.Name = n.subvendor + " " + v.Name
		}
	}
	return v
}

// soundFrom describes an audio device the way GLPI's agent does from lspci:
// the subclass as name, maker and product as manufacturer, the revision as
// description. Without the maker's name there is no manufacturer.
func soundFrom(d pciDevice, n pciNames) Sound {
	s := Sound{
		Name:    cmp.Or(n.subclass, n.class, "Audio device"),
		Caption: n.product,
	}
	if n.vendor != "" {
		s.Manufacturer = strings.TrimSpace(n.vendor + " " + n.product)
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
