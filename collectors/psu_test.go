package collectors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"testing"
)

// powerSupply builds a type 39 structure from its location, name, maker,
// serial, asset tag, part number and revision, in that order; an empty
// one is absent (string number 0).
func powerSupply(handle, watts, characteristics uint16, strs ...string) []byte {
	ss := smbiosStrings{body: make([]byte, 0x16-4)}
	ss.body[0] = 1
	for i, v := range strs {
		ss.set(0x05+i, v)
	}
	binary.LittleEndian.PutUint16(ss.body[0x0C-4:], watts)
	binary.LittleEndian.PutUint16(ss.body[0x0E-4:], characteristics)
	return smbiosStructure(smbiosPowerSupply, handle, ss.body, ss.strings...)
}

// TestPowerSuppliesFromSMBIOS checks the official agent's rules
// (Generic/Dmidecode/Psu.pm) on a Dell server's redundant pair, one bay
// empty; an HP supply; a battery and a nameless supply, both left out; and
// three of the official agent's own test machines, with its expected
// values.
func TestPowerSuppliesFromSMBIOS(t *testing.T) {
	const (
		hot, present, unplugged = 1, 2, 4
		ok, unknown             = 3 << 7, 2 << 7
		switching, battery      = 4 << 10, 5 << 10
	)
	table := powerSupply(0x27, 495, hot|present|ok|switching|6<<3,
		"PSU1", "PWR SPLY,495W,RDNT,DELTA", "DELL", "CN1797263I0291", "To Be Filled By O.E.M.", "0N1ND3A00", "A00")
	table = append(table, powerSupply(0x28, 0x8000, hot|unplugged|unknown|switching,
		"PSU2", "PWR SPLY,495W,RDNT,DELTA", "DELL", "", "", "0N1ND3A00", "")...)
	table = append(table, powerSupply(0x29, 800, present|unknown|switching,
		"Power Supply 1", "", "HP", "5DMVV0ALL8K7SG", "", "754377-001", "")...)
	table = append(table, powerSupply(0x2A, 0x8000, present|ok|battery,
		"Internal", "Primary", "SMP", "2677", "", "", "")...)
	table = append(table, powerSupply(0x2B, 300, present|ok|switching,
		"To Be Filled By O.E.M.", "To Be Filled By O.E.M.", "To Be Filled By O.E.M.", "To Be Filled By O.E.M.", "", "", "")...)
	// The official agent's own expectations (its dmidecode/psu.t) of an HP
	// ProLiant DL180, whose status code dmidecode does not know, a Fujitsu
	// desktop's, with no maker nor part number, and a Supermicro server's.
	table = append(table, powerSupply(0x2C, 460, present|switching,
		"Bottom PS Bay", "Power Supply 1", "HP", "5ANLE0BLLZ225W", "", "511777-001", "")...)
	table = append(table, powerSupply(0x2D, 300, present|unknown|switching,
		"", "S26113-E524-V50", "To Be Filled By O.E.M.", "256732", "", "", "")...)
	table = append(table, powerSupply(0x2E, 400, present|ok|switching,
		"PSU1", "PWS-406P-1R", "SUPERMICRO", "P406PCG17LT2411", "", "PWS-406P-1R", "")...)
	table = append(table, smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)...)
	structs, err := parseSMBIOS(table)
	if err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	want := []PowerSupply{
		{Location: "PSU1", Name: "PWR SPLY,495W,RDNT,DELTA", Manufacturer: "Dell", SerialNumber: "CN1797263I0291",
			PartNum: "0N1ND3", PowerMax: 495, HotReplaceable: &yes, Plugged: &yes, Status: "Present, OK"},
		{Location: "PSU2", Name: "PWR SPLY,495W,RDNT,DELTA", Manufacturer: "Dell", PartNum: "0N1ND3",
			HotReplaceable: &yes, Plugged: &no},
		{Location: "Power Supply 1", Manufacturer: "Hewlett-Packard", SerialNumber: "5DMVV0ALL8K7SG",
			PartNum: "754377-001", PowerMax: 800, HotReplaceable: &no, Plugged: &yes, Status: "Present, Unknown"},
		{Location: "Bottom PS Bay", Name: "Power Supply 1", Manufacturer: "Hewlett-Packard", SerialNumber: "5ANLE0BLLZ225W",
			PartNum: "511777-001", PowerMax: 460, HotReplaceable: &no, Plugged: &yes, Status: "Present, <OUT OF SPEC>"},
		{Name: "S26113-E524-V50", SerialNumber: "256732", PowerMax: 300, HotReplaceable: &no, Plugged: &yes, Status: "Present, Unknown"},
		{Location: "PSU1", Name: "PWS-406P-1R", Manufacturer: "Supermicro", SerialNumber: "P406PCG17LT2411",
			PartNum: "PWS-406P-1R", PowerMax: 400, HotReplaceable: &no, Plugged: &yes, Status: "Present, OK"},
	}
	got := powerSuppliesFromSMBIOS(structs)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("powerSuppliesFromSMBIOS() =\n%+v\nwant\n%+v", got, want)
	}
	validateSection(t, "powersupplies", got)
}

// smbiosStub answers a machine's SMBIOS table, or an error.
type smbiosStub struct {
	table []byte
	err   error
}

func (s smbiosStub) SMBIOS() ([]byte, error) { return s.table, s.err }

// TestWinPowerSupplies runs the Windows collector on a table as
// GetSystemFirmwareTable gives it, and on machines without one.
func TestWinPowerSupplies(t *testing.T) {
	table := powerSupply(0x27, 750, 1|2|3<<7|4<<10, "PSU1", "PWR SPLY,750W,RDNT,DELTA", "DELL", "CNDED0083M0BMN", "", "0GRTNKA01", "")
	table = append(table, smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)...)
	yes := true
	want := []PowerSupply{{Location: "PSU1", Name: "PWR SPLY,750W,RDNT,DELTA", Manufacturer: "Dell",
		SerialNumber: "CNDED0083M0BMN", PartNum: "0GRTNK", PowerMax: 750, HotReplaceable: &yes, Plugged: &yes,
		Status: "Present, OK"}}
	got, err := winPowerSupplies(t.Context(), winEnv(winHost{smbios: smbiosStub{table: table}}))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("winPowerSupplies() = %+v, %v, want %+v", got, err, want)
	}
	for _, src := range []smbiosSource{nil, smbiosStub{err: fmt.Errorf("read smbios table: %w", fs.ErrNotExist)}} {
		if got, err := winPowerSupplies(t.Context(), winEnv(winHost{smbios: src})); !errors.Is(err, ErrNoData) {
			t.Errorf("winPowerSupplies(%v) = %+v, %v, want no data", src, got, err)
		}
	}
	for _, src := range []smbiosSource{smbiosStub{err: errors.New("read smbios table: Access is denied.")}, smbiosStub{table: []byte{39, 2}}} {
		if got, err := winPowerSupplies(t.Context(), winEnv(winHost{smbios: src})); err == nil || errors.Is(err, ErrNoData) {
			t.Errorf("winPowerSupplies(%v) = %+v, %v, want an error", src, got, err)
		}
	}
}

// dellFRU is "ipmitool fru print" on a Dell PowerEdge whose SMBIOS table
// describes no power supply, as the official agent's ipmi/fru.t case 1.
const dellFRU = `FRU Device Description : Builtin FRU Device (ID 0)
 Board Mfg Date        : Mon Jan  1 00:00:00 1996
 Board Mfg             : DELL
 Board Product         : PowerEdge R740
 Board Serial          : CNFCP0083J001A
 Board Part Number     : 0WRPXKA00
 Product Manufacturer  : DELL
 Product Name          : PowerEdge R740
 Product Serial        : 7XK2Q33

FRU Device Description : PS1 (ID 1)
 Board Mfg Date        : Tue Mar 20 13:11:00 2018
 Board Mfg             : DELL
 Board Product         : PWR SPLY,750WP,RDNT,DELTA
 Board Serial          : CN1797238QA8B4
 Board Part Number     : 05NF18A03

FRU Device Description : PS2 (ID 2)
 Board Mfg Date        : Tue Mar 20 13:11:00 2018
 Board Mfg             : DELL
 Board Product         : PWR SPLY,750WP,RDNT,DELTA
 Board Serial          : CN1797238QA8EI
 Board Part Number     : 05NF18A03
`

// intelFRU has power supplies described by their product area, as the
// official agent's ipmi/fru.t case 4.
const intelFRU = `FRU Device Description : Builtin FRU Device (ID 0)
 Board Mfg             : Intel Corporation
 Board Product         : S2600WF

FRU Device Description : Pwr Supply 1 FRU (ID 2)
 Product Manufacturer  : SAMSUNG
 Product Name          : PSSF222201A
 Product Part Number   : H66158-007
 Product Serial        : CNS2221A4SG7Q0942

FRU Device Description : Pwr Supply 2 FRU (ID 3)
 Product Manufacturer  : SAMSUNG
 Product Name          : PSSF222201A
 Product Part Number   : H66158-007
 Product Serial        : CNS2221A4SG7Q0944
`

// TestPowerSuppliesFromFRU gets the official agent's expectations of its
// ipmi/fru.t cases 1 and 4, and merges a FRU's supplies into SMBIOS's as
// it does.
func TestPowerSuppliesFromFRU(t *testing.T) {
	dell := []PowerSupply{
		{Name: "PWR SPLY,750WP,RDNT,DELTA", PartNum: "05NF18", SerialNumber: "CN1797238QA8B4", Manufacturer: "Dell"},
		{Name: "PWR SPLY,750WP,RDNT,DELTA", PartNum: "05NF18", SerialNumber: "CN1797238QA8EI", Manufacturer: "Dell"},
	}
	intel := []PowerSupply{
		{Name: "PSSF222201A", PartNum: "H66158-007", SerialNumber: "CNS2221A4SG7Q0942", Manufacturer: "Samsung"},
		{Name: "PSSF222201A", PartNum: "H66158-007", SerialNumber: "CNS2221A4SG7Q0944", Manufacturer: "Samsung"},
	}
	for _, tc := range []struct {
		in   string
		want []PowerSupply
	}{{dellFRU, dell}, {intelFRU, intel}, {"Error: no FRU\n", nil}} {
		if got := powerSuppliesFromFRU(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("powerSuppliesFromFRU() =\n%+v\nwant\n%+v", got, tc.want)
		}
	}

	// SMBIOS's description of PS1 (its status, power and location), then
	// the FRU's: one supply with both, and PS2 from the FRU alone.
	yes := true
	smbios := []PowerSupply{{Location: "PS1 Status", Name: "PWR SPLY,750W,RDNT,DELTA", Manufacturer: "Dell",
		SerialNumber: "CN1797238QA8B4", PartNum: "05NF18", PowerMax: 750, HotReplaceable: &yes, Plugged: &yes, Status: "Present, OK"}}
	want := []PowerSupply{
		{Location: "PS1 Status", Name: "PWR SPLY,750WP,RDNT,DELTA", Manufacturer: "Dell", SerialNumber: "CN1797238QA8B4",
			PartNum: "05NF18", PowerMax: 750, HotReplaceable: &yes, Plugged: &yes, Status: "Present, OK"},
		dell[1],
	}
	if got := mergePowerSupplies(smbios, dell); !reflect.DeepEqual(got, want) {
		t.Errorf("mergePowerSupplies() =\n%+v\nwant\n%+v", got, want)
	}
}
