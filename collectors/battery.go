package collectors

import (
	"fmt"
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
