package collectors

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Battery is one battery of the batteries section.
//
// GLPI files a battery under a model keyed on its name, chemistry, maker,
// and capacity and voltage within 10 (DeviceBattery), and keeps the
// computer's link to it while the serial stays the same
// (Item_DeviceBattery). The collectors therefore send these fields as the
// official agent does (GLPI::Agent::Tools::Batteries): a value it never
// sent files a moved machine's battery under a new model, and a voltage
// that moves from run to run makes a new one at every inventory.
type Battery struct {
	Capacity     int    `json:"capacity,omitempty"`
	RealCapacity int    `json:"real_capacity,omitempty"`
	Date         string `json:"date,omitempty"`
	Chemistry    string `json:"chemistry,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Name         string `json:"name,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Voltage      int    `json:"voltage,omitempty"`
}

// batterySerial returns a battery's serial as the official agent sends it
// (sanitizeBatterySerial): "0" for none or zeros; one of hexadecimal digits
// with a letter or a leading zero ("0A75") in decimal ("2677"), as
// firmware and drivers write one serial both ways; a decimal one as it is;
// any other with its blanks trimmed and folded. ok is false when the
// source has no serial at all, which the official agent also sends as "0".
func batterySerial(s string, ok bool) string {
	if !ok || (s != "" && strings.Trim(s, "0") == "") {
		return "0"
	}
	if s == "" || strings.Trim(s, "0123456789abcdefABCDEF") != "" {
		return strings.Join(strings.Fields(s), " ")
	}
	if s[0] != '0' && strings.Trim(s, "0123456789") == "" {
		return s
	}
	n, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return s // over 64 bits: kept as written
	}
	return strconv.FormatUint(n, 10)
}

// chargeMWh converts a charge in mAh at a voltage in mV to mWh, whole
// numbers as the official agent computes them (getCanonicalCapacity); 0
// without a voltage.
func chargeMWh(mAh, mV int64) int {
	return int(mAh * mV / 1000)
}

// batteryDate formats a manufacture date, "" when the year is unknown.
func batteryDate(year, month, day int) string {
	if year < 1990 || month < 1 || month > 12 || day < 1 || day > 31 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", year, month, day)
}

// smbiosBatteryDate reads a battery's manufacture date as SMBIOS tables
// and dmidecode write it: "07/15/2020" (month first), "2020-07-15", or
// "07/15/20". "" when it is none of these.
func smbiosBatteryDate(s string) string {
	f := strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool { return r == '/' || r == '-' })
	if len(f) != 3 {
		return ""
	}
	a, b, c := atoi(f[0]), atoi(f[1]), atoi(f[2])
	switch {
	case len(f[0]) == 4:
		return batteryDate(a, b, c)
	case len(f[2]) == 4:
		return batteryDate(c, a, b)
	case len(f[2]) == 2:
		year := 2000 + c
		if c > 90 {
			year = 1900 + c
		}
		return batteryDate(year, a, b)
	}
	return ""
}

// smbiosPortableBattery is the SMBIOS structure type of a battery.
const smbiosPortableBattery = 22

// smbiosBatteryChemistries names SMBIOS battery chemistries as dmidecode
// does; "Unknown" (2) is none.
var smbiosBatteryChemistries = [...]string{
	1: "Other", 3: "Lead Acid", 4: "Nickel Cadmium", 5: "Nickel Metal Hydride",
	6: "Lithium Ion", 7: "Zinc Air", 8: "Lithium Polymer",
}

// dmidecodeInvalid matches the values the official agent drops from
// dmidecode's output (isInvalidBiosValue).
var dmidecodeInvalid = lazyRE(`(?i)^(?:N/A|None|Unknown|Not\s*Specified|Not\s*Present|Not\s*Available|Default\s*string|` +
	`System\s*Product\s*Name|System\s*manufacturer|System\s*Serial\s*Number|System\s*Version|` +
	`Chassis\s*Serial\s*Number|Chassis\s*manufacturer?|Chassis\s*Version|No\s*Asset\s*Tag|<BAD\s*INDEX>|` +
	`(?:<OUT\s*OF\s*SPEC>){1,2}|\s*To\s*Be\s*Filled\s*By\s*O\.E\.M\.)$`)

// dmidecodeValue returns an SMBIOS string as the official agent reads it
// from dmidecode: blanks trimmed and folded, "" for the values it drops.
func dmidecodeValue(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if dmidecodeInvalid.MatchString(s) {
		return ""
	}
	return s
}

// smbiosBatteries lists the batteries (type 22) of an SMBIOS table as the
// official agent's dmidecode module does (Generic/Dmidecode/Battery.pm):
// only a battery with a name, a maker, a serial and a chemistry, each
// either the structure's or its Smart Battery Data (SBDS) one; the maker
// named as there; the design capacity and voltage.
func smbiosBatteries(structs []smbiosStruct) []Battery {
	var out []Battery
	for _, s := range structs {
		if s.Type != smbiosPortableBattery || len(s.data) < 0x10 {
			continue
		}
		sbds := len(s.data) >= 0x1A
		str := func(off int) string { return dmidecodeValue(s.rawStr(off)) }
		b := Battery{Name: str(0x08), Manufacturer: str(0x05)}
		date, _ := s.byteAt(0x06)
		serial, _ := s.byteAt(0x07)
		chem, _ := s.byteAt(0x09)
		switch w, _ := s.word(0x12); {
		case date != 0 || !sbds:
			b.Date = smbiosBatteryDate(str(0x06))
		case w != 0:
			b.Date = batteryDate(1980+int(w>>9), int(w>>5&0x0F), int(w&0x1F))
		}
		sn := str(0x07)
		if serial == 0 && sbds {
			w, _ := s.word(0x10)
			sn = fmt.Sprintf("%04X", w)
		}
		if chem != 2 || !sbds {
			b.Chemistry = enumName(smbiosBatteryChemistries[:], chem)
		} else {
			b.Chemistry = str(0x14)
		}
		if !perlTrue(b.Name) || !perlTrue(b.Manufacturer) || !perlTrue(sn) || !perlTrue(b.Chemistry) {
			continue
		}
		b.Manufacturer, b.Serial = canonicalMaker(b.Manufacturer), batterySerial(sn, true)
		b.Voltage = int(wordAt(s, 0x0C))
		mult := 1
		if m, ok := s.byteAt(0x15); ok && len(s.data) >= 0x16 {
			mult = int(m)
		}
		b.Capacity = int(wordAt(s, 0x0A)) * mult
		out = append(out, b)
	}
	return out
}

// wordAt returns the word at off, 0 past the structure's end.
func wordAt(s smbiosStruct, off int) uint16 {
	w, _ := s.word(off)
	return w
}

// mergeBatteries merges what a later source says of batteries into the
// list of an earlier one, as the official agent merges dmidecode's, then
// upower's or powercfg's, then sysfs's (Inventory::Batteries): a battery
// is known by its serial ("0" for none) and maker (mergeKnown).
func mergeBatteries(list, later []Battery) []Battery {
	return mergeKnown(list, later,
		func(b Battery) string { return cmp.Or(b.Serial, "0") },
		func(b Battery) string { return b.Manufacturer },
		func(o *Battery, b Battery) {
			mergeString(&o.Name, b.Name)
			mergeString(&o.Manufacturer, b.Manufacturer)
			mergeString(&o.Serial, b.Serial)
			mergeString(&o.Chemistry, b.Chemistry)
			mergeString(&o.Date, b.Date)
			mergeInt(&o.Capacity, b.Capacity)
			mergeInt(&o.RealCapacity, b.RealCapacity)
			mergeInt(&o.Voltage, b.Voltage)
		})
}

// mergeKnown merges a later source's list of devices into an earlier
// one's as the official agent's Inventory::Batteries and
// Inventory::PowerSupplies do: a device is known by its serial and maker;
// merge gives a known one the later values; one not known is added. One
// device on each side with the same serial is one device, whatever its
// maker.
func mergeKnown[T any](list, later []T, serial, maker func(T) string, merge func(*T, T)) []T {
	id := func(v T) string { return maker(v) + "\x00" + serial(v) }
	keys := make([]string, len(list))
	for i, v := range list {
		keys[i] = id(v)
	}
	if len(list) == 1 && len(later) == 1 && serial(list[0]) == serial(later[0]) {
		keys[0] = id(later[0])
	}
	for _, v := range later {
		if i := slices.Index(keys, id(v)); i >= 0 {
			merge(&list[i], v)
			continue
		}
		list, keys = append(list, v), append(keys, id(v))
	}
	return list
}

// mergeString sets *to to v, unless v is none to Perl ("", "0") or equal
// to *to but for case, as the official agent merges a device's values.
func mergeString(to *string, v string) {
	if perlTrue(v) && !strings.EqualFold(v, *to) {
		*to = v
	}
}

// mergeInt sets *to to v, unless v is 0.
func mergeInt(to *int, v int) {
	if v != 0 {
		*to = v
	}
}
