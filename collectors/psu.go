package collectors

import (
	"cmp"
	"strings"
)

// PowerSupply is one power supply of the powersupplies section.
type PowerSupply struct {
	Name           string `json:"name,omitempty"`
	PowerMax       int    `json:"power_max,omitempty"`
	SerialNumber   string `json:"serialnumber,omitempty"`
	Manufacturer   string `json:"manufacturer,omitempty"`
	PartNum        string `json:"partnum,omitempty"`
	HotReplaceable *bool  `json:"hotreplaceable,omitempty"`
	Plugged        *bool  `json:"plugged,omitempty"`
	Status         string `json:"status,omitempty"`
	Location       string `json:"location,omitempty"`
}

// smbiosPowerSupply is the SMBIOS structure type of a system power supply.
const smbiosPowerSupply = 39

// psuStatuses names a power supply's status (bits 7–9 of its
// characteristics) as dmidecode does.
var psuStatuses = [...]string{1: "Other", 2: "Unknown", 3: "OK", 4: "Non-critical", 5: "Critical"}

// psuBattery is the power supply type (bits 10–13) of a battery.
const psuBattery = 5

// psuUnfilled matches the values the official agent also drops from a
// power supply's: the firmware maker's placeholders.
var psuUnfilled = lazyRE(`(?i)To Be Filled By O.?E.?M|OEM Define`)

// dellPartNumber is a Dell part number with its revision ("0N1ND3A00"),
// which the official agent sends without it ("0N1ND3").
var dellPartNumber = lazyRE(`^([0-9A-Z]{6})[A-B]\d{2}$`)

// psuPartNumber returns a supply's part number as the official agent sends
// it (Tools/PartNumber/Dell.pm): a Dell one without its revision.
func psuPartNumber(part, maker string) string {
	if m := dellPartNumber.FindStringSubmatch(part); m != nil && maker == "Dell" {
		return m[1]
	}
	return part
}

// powerSuppliesFromSMBIOS lists the power supplies (type 39) of an SMBIOS
// table as the official agent's dmidecode module does
// (Generic/Dmidecode/Psu.pm): batteries left out, and supplies that give
// neither a name, a serial nor a part number; the maker named as there; a
// Dell part number without its revision. GLPI files them under models
// named from the part number and maker, and links each to the computer
// by its serial.
func powerSuppliesFromSMBIOS(structs []smbiosStruct) []PowerSupply {
	out := []PowerSupply{}
	for _, s := range structs {
		ch, ok := s.word(0x0E)
		if s.Type != smbiosPowerSupply || !ok || ch>>10&0x0F == psuBattery {
			continue
		}
		str := func(off int) string {
			v := dmidecodeValue(s.rawStr(off))
			if psuUnfilled.MatchString(v) {
				return ""
			}
			return v
		}
		p := PowerSupply{
			Location:     str(0x05),
			Name:         str(0x06),
			Manufacturer: canonicalMaker(str(0x07)),
			SerialNumber: str(0x08),
			PartNum:      str(0x0A),
		}
		if !perlTrue(p.Name) && !perlTrue(p.SerialNumber) && !perlTrue(p.PartNum) {
			continue
		}
		p.PartNum = psuPartNumber(p.PartNum, p.Manufacturer)
		if w, _ := s.word(0x0C); w != 0x8000 {
			p.PowerMax = int(w)
		}
		hot, plugged := ch&1 != 0, ch&4 == 0
		p.HotReplaceable, p.Plugged = &hot, &plugged
		if ch&2 != 0 {
			// dmidecode names a status code it does not know "<OUT OF
			// SPEC>", and the official agent keeps it.
			status := "<OUT OF SPEC>"
			if c := int(ch >> 7 & 7); c < len(psuStatuses) && psuStatuses[c] != "" {
				status = psuStatuses[c]
			}
			p.Status = "Present, " + status
		}
		out = append(out, p)
	}
	return out
}

// ipmiFRUPowerSupply matches the FRU devices of power supplies ("PS1 (ID
// 5)", "Pwr Supply 2"), as the official agent selects them.
var ipmiFRUPowerSupply = lazyRE(`^(PS|Pwr Supply )\d+`)

// ipmiFRULine is a field of a FRU device in "ipmitool fru print".
var ipmiFRULine = lazyRE(`^\s+([^:]+\w)\s+:\s([[:print:]]+)`)

// powerSuppliesFromFRU lists the power supplies of "ipmitool fru print",
// as the official agent reads them (Generic/Ipmi/Fru/Psu.pm): their name,
// part number (a Dell one without its revision), serial and maker.
// Servers whose firmware describes no power supply in SMBIOS (Dell's since
// their 14th generation) describe them there.
func powerSuppliesFromFRU(s string) []PowerSupply {
	var out []PowerSupply
	var fru map[string]string
	flush := func() {
		if fru == nil {
			return
		}
		field := func(names ...string) string {
			for _, n := range names {
				if v, ok := fru[n]; ok {
					return v
				}
			}
			return ""
		}
		p := PowerSupply{
			Name:         field("Board Product", "Product Name"),
			PartNum:      field("Board Part Number", "Product Part Number", "Part Number"),
			SerialNumber: field("Board Serial", "Product Serial", "Serial Number"),
			Manufacturer: canonicalMaker(field("Board Mfg", "Product Manufacturer", "Manufacturer")),
		}
		p.PartNum = psuPartNumber(p.PartNum, p.Manufacturer)
		out = append(out, p)
		fru = nil
	}
	for _, line := range strings.Split(s, "\n") {
		if d, ok := strings.CutPrefix(line, "FRU Device Description : "); ok {
			flush()
			if ipmiFRUPowerSupply.MatchString(d) {
				fru = map[string]string{}
			}
			continue
		}
		if m := ipmiFRULine.FindStringSubmatch(line); m != nil && fru != nil {
			fru[m[1]] = strings.Join(strings.Fields(m[2]), " ")
		}
	}
	flush()
	return out
}

// mergePowerSupplies merges the power supplies of a later source into an
// earlier one's, as the official agent merges IPMI's into dmidecode's
// (Inventory::PowerSupplies): a supply is known by its maker and serial
// ("0" for none) (mergeKnown).
func mergePowerSupplies(list, later []PowerSupply) []PowerSupply {
	return mergeKnown(list, later,
		func(p PowerSupply) string { return cmp.Or(p.SerialNumber, "0") },
		func(p PowerSupply) string { return p.Manufacturer },
		func(o *PowerSupply, p PowerSupply) {
			mergeString(&o.Name, p.Name)
			mergeString(&o.PartNum, p.PartNum)
			mergeString(&o.SerialNumber, p.SerialNumber)
			mergeString(&o.Manufacturer, p.Manufacturer)
			mergeString(&o.Status, p.Status)
			mergeString(&o.Location, p.Location)
			mergeInt(&o.PowerMax, p.PowerMax)
		})
}
