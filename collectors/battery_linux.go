package collectors

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

func init() { Register("battery", "batteries", true, collectBatteries) }

// collectBatteries lists the batteries of the SMBIOS table merged with
// those of /sys/class/power_supply, as the official agent reads them
// (Generic/Batteries/SysClass.pm): a battery present, with a charge
// reading; the voltage the design minimum, never the present voltage,
// which moves from run to run; a capacity given as a charge converted at
// that voltage, in whole mAh first. Batteries of peripherals (scope
// "Device": mice, headsets) are left out: they come and go with the
// peripheral, and are not the computer's.
func collectBatteries(ctx context.Context, env *Env) (any, error) {
	var sysfs []Battery
	for _, dir := range env.Glob("/sys/class/power_supply/*") {
		if env.ReadString(dir+"/type") != "Battery" || env.ReadString(dir+"/scope") == "Device" {
			continue
		}
		if !perlTrue(env.ReadString(dir+"/present")) || !exists(env, dir+"/capacity") {
			continue // an empty bay, or no charge reading
		}
		num := func(name string) int64 {
			n, _ := strconv.ParseInt(env.ReadString(dir+"/"+name), 10, 64)
			return n
		}
		mV := num("voltage_min_design") / 1000
		mWh := func(energy, charge string) int {
			if e := num(energy); e > 0 {
				return int(e / 1000)
			}
			return chargeMWh(num(charge)/1000, mV)
		}
		serial, err := env.ReadFile(dir + "/serial_number")
		line, _, _ := strings.Cut(string(serial), "\n")
		sysfs = append(sysfs, Battery{
			Name:         env.ReadString(dir + "/model_name"),
			Manufacturer: canonicalMaker(env.ReadString(dir + "/manufacturer")),
			Serial:       batterySerial(line, err == nil && len(serial) > 0),
			Chemistry:    env.ReadString(dir + "/technology"),
			Capacity:     mWh("energy_full_design", "charge_full_design"),
			RealCapacity: mWh("energy_full", "charge_full"),
			Voltage:      int(mV),
			Date:         batteryDate(int(num("manufacture_year")), int(num("manufacture_month")), int(num("manufacture_day"))),
		})
	}
	// The official agent merges them into dmidecode's batteries, which
	// give a design voltage and date the driver may not.
	structs, err := readSMBIOS(env)
	if err != nil && !errors.Is(err, ErrNoData) {
		env.Log().Debug("batteries without the SMBIOS table", "err", err)
	}
	return mergeBatteries(smbiosBatteries(structs), sysfs), nil
}
