package collectors

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

// portableBattery builds a type 22 structure of SMBIOS 2.2 from its
// strings (location, maker, date, serial, name, SBDS version, SBDS
// chemistry; an empty one is absent), its chemistry code, design capacity
// (in tens of mWh: the multiplier is 10), voltage, and SBDS serial and
// date.
func portableBattery(handle uint16, loc, maker, date, serial, name string, chem byte, capacity, voltage uint16,
	sbdsVersion string, sbdsSerial, sbdsDate uint16, sbdsChem string) []byte {
	ss := smbiosStrings{body: make([]byte, 0x1A-4)}
	b, str := ss.body, ss.set
	str(0x04, loc)
	str(0x05, maker)
	str(0x06, date)
	str(0x07, serial)
	str(0x08, name)
	b[0x09-4] = chem
	le := binary.LittleEndian
	le.PutUint16(b[0x0A-4:], capacity)
	le.PutUint16(b[0x0C-4:], voltage)
	str(0x0E, sbdsVersion)
	le.PutUint16(b[0x10-4:], sbdsSerial)
	le.PutUint16(b[0x12-4:], sbdsDate)
	str(0x14, sbdsChem)
	b[0x15-4] = 10
	return smbiosStructure(smbiosPortableBattery, handle, b, ss.strings...)
}

// sbdsDate packs a date as Smart Battery Data does.
func sbdsDate(y, m, d int) uint16 { return uint16((y-1980)<<9 | m<<5 | d) }

// TestWinBatteriesAsOfficial checks the Windows batteries on the official
// agent's own samples of two real laptops (its batteries.t:
// windows-10-notebook, a ThinkPad with two batteries known by their SBDS
// serials, and win10-dell-xps), as dmidecode and powercfg read them; the
// merged batteries are its expectation, but for the date, sent as
// "2018-05-24" where it sends "24/05/2018".
func TestWinBatteriesAsOfficial(t *testing.T) {
	const static, full = `root\WMI:BatteryStaticData`, `root\WMI:BatteryFullChargedCapacity`
	lip := "5269836" // "LiP"
	end := smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)
	thinkpad := append(append(
		portableBattery(0x23, "Front", "SMP", "", "", "00HW023", 2, 2354, 11400, "03.01", 0x021D, sbdsDate(2018, 5, 24), "LiP"),
		portableBattery(0x24, "Rear", "SMP", "", "", "01AV406", 2, 2606, 11460, "03.01", 0x0CF7, sbdsDate(2018, 6, 2), "LiP")...),
		end...)
	dell := append(portableBattery(0x1600, "Sys. Battery Bay", "SMP", "09/15/2017", "0A75", "DELL JHXPY53", 2, 5753, 7600, "1.0", 0, 0, "LiP"), end...)
	thinkpadWMI := map[string][]map[string]any{
		"Win32_Battery": {{"Name": "00HW023", "Chemistry": "2"}, {"Name": "01AV406", "Chemistry": "2"}},
		static: {
			{"InstanceName": `ACPI\PNP0C0A\1_0`, "DeviceName": "00HW023", "ManufactureName": "SMP", "SerialNumber": "541", "Chemistry": lip, "DesignedCapacity": "23540"},
			{"InstanceName": `ACPI\PNP0C0A\2_0`, "DeviceName": "01AV406", "ManufactureName": "SMP", "SerialNumber": "3319", "Chemistry": lip, "DesignedCapacity": "26060"},
		},
		full: {
			{"InstanceName": `ACPI\PNP0C0A\2_0`, "FullChargedCapacity": "17860"},
			{"InstanceName": `ACPI\PNP0C0A\1_0`, "FullChargedCapacity": "19450"},
		},
	}
	dellWMI := map[string][]map[string]any{
		"Win32_Battery": {{"Name": "DELL JHXPY53", "Chemistry": "2", "DesignVoltage": "8557"}},
		static:          {{"DeviceName": "DELL JHXPY53", "ManufactureName": "SMP", "SerialNumber": "2677", "Chemistry": lip, "DesignedCapacity": "57532"}},
		full:            {{"FullChargedCapacity": "48807"}},
	}
	notSupported := errors.New("WMI: call failed (status 0x8004100c)")
	tests := []struct {
		name   string
		wmi    wmiStub
		smbios smbiosSource
		want   []Battery
	}{
		{"windows-10-notebook", wmiStub{instances: thinkpadWMI}, smbiosStub{table: thinkpad}, []Battery{
			{Name: "00HW023", Capacity: 23540, RealCapacity: 19450, Voltage: 11400, Chemistry: "LiP", Serial: "541", Date: "2018-05-24", Manufacturer: "SMP"},
			{Name: "01AV406", Capacity: 26060, RealCapacity: 17860, Voltage: 11460, Chemistry: "LiP", Serial: "3319", Date: "2018-06-02", Manufacturer: "SMP"},
		}},
		{"win10-dell-xps", wmiStub{instances: dellWMI}, smbiosStub{table: dell}, []Battery{
			{Name: "DELL JHXPY53", Capacity: 57532, RealCapacity: 48807, Voltage: 7600, Chemistry: "LiP", Serial: "2677", Date: "2017-09-15", Manufacturer: "SMP"},
		}},
		// Without the table, powercfg's alone: no voltage (Win32_Battery's
		// DesignVoltage is not the official agent's), no date.
		{"win10-dell-xps without a table", wmiStub{instances: dellWMI}, nil, []Battery{
			{Name: "DELL JHXPY53", Capacity: 57532, RealCapacity: 48807, Chemistry: "LiP", Serial: "2677", Manufacturer: "SMP"},
		}},
		// A battery the driver's data do not describe, in the table under
		// another name and with a serial of its own: two batteries, as
		// the official agent lists them.
		{"no driver data", wmiStub{instances: map[string][]map[string]any{
			"Win32_Battery": {{"Name": "Internal Battery", "Chemistry": "6", "DesignCapacity": "40000"}},
		}}, smbiosStub{table: append(portableBattery(0x30, "", "Hewlett Packard", "", "", "Primary", 8, 4150, 11550, "", 0x1234, 0, ""), end...)}, []Battery{
			{Name: "Primary", Manufacturer: "Hewlett-Packard", Serial: "1234", Chemistry: "Lithium Polymer", Capacity: 41500, Voltage: 11550},
			{Name: "Internal Battery", Serial: "0", Chemistry: "Lithium Ion", Capacity: 40000},
		}},
		{"desktop", wmiStub{errs: map[string]error{`root\WMI`: notSupported}}, smbiosStub{table: end}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := winBatteries(t.Context(), winEnv(winHost{wmi: tt.wmi, reg: &regFile{}, smbios: tt.smbios}))
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
	for _, class := range []string{"Win32_Battery", static, full} {
		env := winEnv(winHost{wmi: wmiStub{instances: dellWMI, errs: map[string]error{class: notSupported}}, reg: &regFile{}})
		if got, err := winBatteries(t.Context(), env); err == nil {
			t.Errorf("%s failing: got %+v and no error", class, got)
		}
	}
}

// TestSMBIOSBatteries checks dmidecode's rules: a battery without a serial
// (a serial "0" is none to Perl) or a chemistry is left out; an SBDS serial
// of zeros is "0".
func TestSMBIOSBatteries(t *testing.T) {
	table := portableBattery(1, "", "SMP", "", "Not Specified", "A", 6, 100, 7400, "", 0, 0, "")                // serial string invalid: none
	table = append(table, portableBattery(2, "", "SMP", "", "", "B", 2, 100, 7400, "", 0, 0, "")...)            // no chemistry
	table = append(table, portableBattery(3, "", "SONY", "2019-02-28", "", "C", 6, 100, 7400, "", 0, 0, "")...) // serial 0000
	table = append(table, portableBattery(4, "", "SMP", "", "0", "D", 6, 100, 7400, "", 0, 0, "")...)           // serial "0": none
	// Three machines of the official agent's own tests (dmidecode/battery.t:
	// freebsd-8.1, linux-2.6, windows), with its expected values but for
	// the date's format.
	table = append(table, portableBattery(5, "", "LGC-LGC", "01/15/2010", "25062", "EV06047", 6, 440, 10800, "", 0, 0, "")...)
	table = append(table, portableBattery(6, "", "Samsung SDI", "03/11/2006", "7734", "DELL C129563", 2, 4800, 11100, "", 0, 0, "LION")...)
	table = append(table, portableBattery(7, "", "TOSHIBA", "09/19/2002", "2000417915", "L9088A", 6, 0, 10800, "", 0, 0, "")...)
	table = append(table, smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)...)
	structs, err := parseSMBIOS(table)
	if err != nil {
		t.Fatal(err)
	}
	want := []Battery{
		{Name: "C", Manufacturer: "Sony", Serial: "0", Chemistry: "Lithium Ion", Capacity: 1000, Voltage: 7400, Date: "2019-02-28"},
		{Name: "EV06047", Manufacturer: "LGC-LGC", Serial: "25062", Chemistry: "Lithium Ion", Capacity: 4400, Voltage: 10800, Date: "2010-01-15"},
		{Name: "DELL C129563", Manufacturer: "Samsung", Serial: "7734", Chemistry: "LION", Capacity: 48000, Voltage: 11100, Date: "2006-03-11"},
		{Name: "L9088A", Manufacturer: "Toshiba", Serial: "2000417915", Chemistry: "Lithium Ion", Voltage: 10800, Date: "2002-09-19"},
	}
	if got := smbiosBatteries(structs); !reflect.DeepEqual(got, want) {
		t.Errorf("smbiosBatteries() = %+v, want %+v", got, want)
	}
}
