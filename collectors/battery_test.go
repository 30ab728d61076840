package collectors

import (
	"errors"
	"reflect"
	"testing"
)

// TestWinBatteriesAsOfficial checks the Windows batteries as the official
// agent sends them from powercfg's report (the driver's static data) and
// dmidecode (Win32_PortableBattery): two bays, matched by instance and by
// name whatever the order; one battery whose SMBIOS name differs; a
// desktop, whose root\WMI battery classes are "not supported".
func TestWinBatteriesAsOfficial(t *testing.T) {
	const static, full = `root\WMI:BatteryStaticData`, `root\WMI:BatteryFullChargedCapacity`
	twoBays := map[string][]map[string]any{
		"Win32_Battery": {
			{"Name": "45N1029", "Chemistry": "6", "DesignCapacity": "0", "DesignVoltage": "12480"},
			{"Name": "45N1738", "Chemistry": "6", "DesignVoltage": "12102"},
		},
		static: {
			{"InstanceName": `ACPI\PNP0C0A\0_0`, "DeviceName": "45N1029", "ManufactureName": "SANYO", "SerialNumber": "21450", "Chemistry": "1313818956", "DesignedCapacity": "62160"},
			{"InstanceName": `ACPI\PNP0C0A\1_0`, "DeviceName": "45N1738", "ManufactureName": "LGC", "SerialNumber": "0A75", "Chemistry": "5269836", "DesignedCapacity": "23200"},
		},
		full: {
			{"InstanceName": `ACPI\PNP0C0A\1_0`, "FullChargedCapacity": "20010"},
			{"InstanceName": `ACPI\PNP0C0A\0_0`, "FullChargedCapacity": "55320"},
		},
		"Win32_PortableBattery": {
			{"Name": "45N1738", "Manufacturer": "LGC", "DesignVoltage": "11100", "ManufactureDate": "2019-11-04", "Chemistry": "6"},
			{"Name": "45N1029", "Manufacturer": "SANYO", "DesignVoltage": "10800", "ManufactureDate": "03/12/2018", "Chemistry": "6"},
		},
	}
	oneBattery := map[string][]map[string]any{
		"Win32_Battery":         {{"Name": "DELL JHXPY53", "Chemistry": "2", "DesignVoltage": "8557"}},
		static:                  {{"DeviceName": "DELL JHXPY53", "ManufactureName": "SMP", "SerialNumber": "2677", "Chemistry": "5269836", "DesignedCapacity": "57532"}},
		full:                    {{"FullChargedCapacity": "48807"}},
		"Win32_PortableBattery": {{"Name": "Primary", "Manufacturer": "Samsung SDI", "DesignVoltage": "7600", "Chemistry": "8"}},
	}
	noDriverData := map[string][]map[string]any{
		"Win32_Battery":         {{"Name": "Internal Battery", "Chemistry": "6", "DesignCapacity": "40000"}},
		"Win32_PortableBattery": {{"Name": "Internal Battery", "Manufacturer": "Hewlett Packard", "DesignVoltage": "11550", "Chemistry": "8"}},
	}
	notSupported := errors.New("WMI: call failed (status 0x8004100c)")
	tests := []struct {
		name string
		wmi  wmiStub
		want []Battery
	}{
		{"two bays", wmiStub{instances: twoBays}, []Battery{
			{Name: "45N1029", Manufacturer: "SANYO", Serial: "21450", Chemistry: "LION", Capacity: 62160, RealCapacity: 55320, Voltage: 10800, Date: "2018-03-12"},
			{Name: "45N1738", Manufacturer: "LGC", Serial: "2677", Chemistry: "LiP", Capacity: 23200, RealCapacity: 20010, Voltage: 11100, Date: "2019-11-04"},
		}},
		{"one battery", wmiStub{instances: oneBattery}, []Battery{
			{Name: "DELL JHXPY53", Manufacturer: "SMP", Serial: "2677", Chemistry: "LiP", Capacity: 57532, RealCapacity: 48807, Voltage: 7600},
		}},
		{"no driver data", wmiStub{instances: noDriverData}, []Battery{
			{Name: "Internal Battery", Manufacturer: "Hewlett-Packard", Serial: "0", Chemistry: "Lithium Ion", Capacity: 40000, Voltage: 11550},
		}},
		{"desktop", wmiStub{errs: map[string]error{`root\WMI`: notSupported}}, []Battery{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := winBatteries(t.Context(), winEnv(winHost{wmi: tt.wmi, reg: &regFile{}}))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("winBatteries() = %+v, %v\nwant %+v", got, err, tt.want)
			}
			if len(tt.want) > 0 {
				validateSection(t, "batteries", got)
			}
		})
	}

	// A machine with a battery whose classes cannot be read fails the
	// collector: a battery named otherwise would be a new model to GLPI.
	for _, class := range []string{"Win32_Battery", static, full, "Win32_PortableBattery"} {
		env := winEnv(winHost{wmi: wmiStub{instances: oneBattery, errs: map[string]error{class: notSupported}}, reg: &regFile{}})
		if got, err := winBatteries(t.Context(), env); err == nil {
			t.Errorf("%s failing: got %+v and no error", class, got)
		}
	}
}
