package collectors

import "fmt"

// Battery is one battery of the batteries section.
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

// powerSupplyMWh returns a capacity in mWh from power_supply attributes:
// the energy in µWh when the driver reports energy, else the charge in µAh
// times the design voltage in µV.
func powerSupplyMWh(energyUWh, chargeUAh, voltageUV int64) int {
	if energyUWh > 0 {
		return int(energyUWh / 1000)
	}
	return int(chargeUAh * voltageUV / 1_000_000_000)
}

// batteryDate formats a manufacture date, "" when the year is unknown.
func batteryDate(year, month, day int) string {
	if year < 1990 || month < 1 || month > 12 || day < 1 || day > 31 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", year, month, day)
}
