package collectors

import (
	"cmp"
	"context"
	"strconv"
)

func init() { Register("battery", "batteries", true, collectBatteries) }

func collectBatteries(ctx context.Context, env *Env) (any, error) {
	var out []Battery
	for _, dir := range env.Glob("/sys/class/power_supply/*") {
		// Batteries of peripherals (mice, headsets) have scope "Device".
		if env.ReadString(dir+"/type") != "Battery" || env.ReadString(dir+"/scope") == "Device" {
			continue
		}
		num := func(name string) int64 {
			n, _ := strconv.ParseInt(env.ReadString(dir+"/"+name), 10, 64)
			return n
		}
		volt := cmp.Or(num("voltage_min_design"), num("voltage_now"))
		out = append(out, Battery{
			Name:         clean(env.ReadString(dir + "/model_name")),
			Manufacturer: clean(env.ReadString(dir + "/manufacturer")),
			Serial:       clean(env.ReadString(dir + "/serial_number")),
			Chemistry:    clean(env.ReadString(dir + "/technology")),
			Capacity:     powerSupplyMWh(num("energy_full_design"), num("charge_full_design"), volt),
			RealCapacity: powerSupplyMWh(num("energy_full"), num("charge_full"), volt),
			Voltage:      int(volt / 1000),
			Date:         batteryDate(int(num("manufacture_year")), int(num("manufacture_month")), int(num("manufacture_day"))),
		})
	}
	return out, nil
}
