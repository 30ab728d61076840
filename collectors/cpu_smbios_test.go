package collectors

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// processor builds a type 4 structure of SMBIOS 3.0 from its maker,
// version and serial (empty: absent), its ID bytes, clocks, status and
// counts; a count past 254 goes in the 3.0 word.
func processor(handle uint16, maker, version, serial string, id [8]byte, ext, maxSpeed, cur uint16, status byte, cores, enabled, threads int) []byte {
	ss := smbiosStrings{body: make([]byte, 0x30-4)}
	b, str := ss.body, ss.set
	str(0x04, "CPU 1")
	b[0x05-4], b[0x06-4] = 3, 0xC6
	str(0x07, maker)
	copy(b[0x08-4:], id[:])
	str(0x10, version)
	le := binary.LittleEndian
	le.PutUint16(b[0x12-4:], ext)
	le.PutUint16(b[0x14-4:], maxSpeed)
	le.PutUint16(b[0x16-4:], cur)
	b[0x18-4] = status
	str(0x20, serial)
	for i, n := range []int{cores, enabled, threads} {
		if n > 254 {
			b[0x23-4+i] = 0xFF
			le.PutUint16(b[0x2A-4+2*i:], uint16(n))
		} else {
			b[0x23-4+i] = byte(n)
		}
	}
	return smbiosStructure(smbiosProcessor, handle, b, ss.strings...)
}

// Real processors' values, as dmidecode prints them: a Dell laptop's, a
// Hyper-V and an Azure virtual machine's (the official agent's own
// samples, windows-hyperV-2019 and windows-2019-amd-epyc), a server's
// past 255 threads; sockets the official agent skips.
func smbiosTestCPUs() []byte {
	const populated, enabled = 0x40, 1
	intel := [8]byte{0xEA, 0x06, 0x08, 0x00, 0xFF, 0xFB, 0xEB, 0xBF}
	table := processor(0x40, "Intel(R) Corporation", "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz  ", "To Be Filled By O.E.M.",
		intel, 100, 4200, 1900, populated|enabled, 4, 4, 8)
	table = append(table, processor(0x41, "", "", "", [8]byte{}, 0, 0, 0, 0, 0, 0, 0)...)                                           // unpopulated
	table = append(table, processor(0x42, "Intel(R) Corporation", "Intel(R) Xeon(R)", "", intel, 0, 0, 0, populated|3, 4, 4, 8)...) // disabled by the firmware
	table = append(table, processor(0x43, "000000000000", strings.Repeat("0", 32), "", [8]byte{}, 0, 0, 0, populated|enabled, 1, 1, 1)...)
	table = append(table, processor(0x44, "None", "None", "None", [8]byte{}, 0, 4000, 0, populated|enabled, 1, 1, 1)...)
	table = append(table, processor(0x45, "Unknown", "Not Installed", "None", [8]byte{}, 0, 0, 0, populated|enabled, 4, 4, 1)...)
	amd := [8]byte{0x10, 0x0F, 0xA1, 0x00, 0xFF, 0xFB, 0x8B, 0x17}
	table = append(table, processor(0x46, "Advanced Micro Devices, Inc.", "AMD EPYC 9754 128-Core Processor", "5F2AC4E8C1A20F23",
		amd, 100, 3100, 2250, populated|enabled, 128, 128, 256)...)
	table = append(table, processor(0x47, "Intel", "Intel(R) Core(TM) i5-2300 CPU @ 2.80GHz", "", intel, 100, 2800, 2800, populated|enabled, 4, 1, 1)...)
	return append(table, smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)...)
}

func TestSMBIOSCPUs(t *testing.T) {
	structs, err := parseSMBIOS(smbiosTestCPUs())
	if err != nil {
		t.Fatal(err)
	}
	want := []smbiosCPU{
		{Name: "Intel Core i7-8650U CPU @ 1.90GHz", Manufacturer: "Intel(R) Corporation", ID: "BFEBFBFF000806EA",
			FamilyNumber: "6", Model: "142", Stepping: 10, Core: 4, Thread: 2, Speed: 1900, ExternalClock: 100},
		{ID: "0000000000000000", FamilyNumber: "0", Model: "0", Core: 1, Thread: 1},
		// The official agent's expectation for windows-2019-amd-epyc: the
		// registry's name, one thread (one thread for four cores, rounded up).
		{ID: "0000000000000000", FamilyNumber: "0", Model: "0", Core: 4, Thread: 1},
		// Family 0x1A (the extended family 0x0B, which the official agent
		// reads as leading digits): "15", not 26.
		{Name: "AMD EPYC 9754 128-Core Processor", Manufacturer: "Advanced Micro Devices, Inc.", Serial: "5F2AC4E8C1A20F23",
			ID: "178BFBFF00A10F10", FamilyNumber: "15", Model: "17", Stepping: 0, Core: 128, Thread: 2, Speed: 2250, ExternalClock: 100},
		{Name: "Intel Core i5-2300 CPU @ 2.80GHz", Manufacturer: "Intel", ID: "BFEBFBFF000806EA", FamilyNumber: "6", Model: "142",
			Stepping: 10, Core: 1, CoreCount: 4, Thread: 1, Speed: 2800, ExternalClock: 100},
	}
	if got := smbiosCPUs(structs); !reflect.DeepEqual(got, want) {
		t.Errorf("smbiosCPUs() =\n%+v\nwant\n%+v", got, want)
	}
}

// TestWinCPUsWithSMBIOS checks the Windows processors as the official agent
// sends them: dmidecode's values first, socket by socket (the maker as the
// firmware writes it, the speed of its version), Windows' where the table
// has none, and Windows' alone on Server 2003 or without a table.
func TestWinCPUsWithSMBIOS(t *testing.T) {
	const procs = `[{"Name": "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", "Manufacturer": "GenuineIntel",
		"Description": "Intel64 Family 6 Model 142 Stepping 10", "ProcessorId": "BFEBFBFF000806EA",
		"NumberOfCores": "4", "NumberOfLogicalProcessors": "8", "MaxClockSpeed": "2112", "Architecture": "9"}]`
	const cpuKey = `[HKEY_LOCAL_MACHINE\HARDWARE\DESCRIPTION\System\CentralProcessor\0]
"ProcessorNameString"="Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz"
"Identifier"="Intel64 Family 6 Model 142 Stepping 10"
"VendorIdentifier"="GenuineIntel"

`
	const server2003 = `[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion]
"CurrentVersion"="5.2"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\ProductOptions]
"ProductType"="ServerNT"

`
	table := append(processor(0x40, "Intel(R) Corporation", "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", "",
		[8]byte{0xEA, 0x06, 0x08, 0x00, 0xFF, 0xFB, 0xEB, 0xBF}, 100, 4200, 1900, 0x41, 4, 4, 8),
		smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)...)
	windows := CPU{Arch: "x86_64", Name: "Intel Core i7-8650U CPU @ 1.90GHz", Manufacturer: "Intel",
		Description: "Intel64 Family 6 Model 142 Stepping 10", FamilyNumber: "6", Model: "142", Stepping: 10,
		Core: 4, CoreCount: 4, Thread: 2, ID: "BFEBFBFF000806EA", Speed: 1900}
	dmi := windows
	dmi.Manufacturer, dmi.ExternalClock = "Intel(R) Corporation", 100
	server := windows
	server.Speed = 2112
	tests := []struct {
		name   string
		reg    string
		smbios smbiosSource
		want   CPU
	}{
		{"table", cpuKey, smbiosStub{table: table}, dmi},
		{"no table", cpuKey, nil, windows},
		{"unreadable table", cpuKey, smbiosStub{err: errors.New("read smbios table: Access is denied.")}, windows},
		{"Server 2003", cpuKey + server2003, smbiosStub{table: table}, server},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := winHost{wmi: jsonWMI(t, map[string]string{"Win32_Processor": procs}), reg: regFixture(t, tt.reg), smbios: tt.smbios}
			got, err := winCPUs(t.Context(), winEnv(h))
			if err != nil {
				t.Fatal(err)
			}
			if want := []CPU{tt.want}; !reflect.DeepEqual(got, want) {
				t.Errorf("winCPUs() =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// TestWinMemoriesWithSMBIOS checks that the Windows memory comes from the
// SMBIOS table when it describes memory devices, as dmidecode's does for
// the official agent, and from Win32_PhysicalMemory otherwise.
func TestWinMemoriesWithSMBIOS(t *testing.T) {
	const modules = `[{"DeviceLocator": "DIMM B", "BankLabel": "BANK 1", "Manufacturer": "Kingston", "PartNumber": "KSD48G",
		"SerialNumber": "00000000", "Capacity": "8589934592", "Speed": "2666", "SMBIOSMemoryType": "26", "FormFactor": "8"}]`
	const bios = `[{"Manufacturer": "Dell Inc.", "SMBIOSBIOSVersion": "1.4.17"}]`
	// Slot A is empty, slot B holds a KingMax module (its JEDEC code, which
	// Windows does not give, in the table): dmidecode numbers it 2.
	array := smbiosStructure(smbiosMemoryArray, 0x10, []byte{3, 3, 3, 0, 0, 0, 0, 0xFE, 0xFF, 2, 0})
	table := append(array, smbiosStructure(smbiosMemoryDevice, 0x11, memoryDevice(0x10, 0, 0, 9, 2, 0), "DIMM A", "BANK 0")...)
	table = append(table, smbiosStructure(smbiosMemoryDevice, 0x12, memoryDevice32(0x10, 8192, 9, 26, 2666, 0x2503),
		"DIMM B", "BANK 1", "Undefined", "00000000", "KSD48G")...)
	table = append(table, smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)...)
	noMemory := append(smbiosStructure(smbiosBIOS, 0, []byte{1, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "Wine", "1.0", "01/01/2024"),
		smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)...)
	fromTable := Memory{Capacity: 8192, Caption: "DIMM B", Description: "DIMM", Manufacturer: "KingMax", Model: "KSD48G",
		MemoryCorrection: "None", NumSlots: 2, Speed: "2666", Type: "DDR4"}
	fromWMI := Memory{Capacity: 8192, Caption: "DIMM B", Description: "DIMM", FormFactor: "DIMM", Manufacturer: "Kingston",
		Model: "KSD48G", NumSlots: 1, Speed: "2666", Type: "DDR4"}
	for _, tt := range []struct {
		name   string
		smbios smbiosSource
		want   Memory
	}{
		{"table", smbiosStub{table: table}, fromTable},
		{"table without memory", smbiosStub{table: noMemory}, fromWMI},
		{"no table", nil, fromWMI},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := winHost{wmi: jsonWMI(t, map[string]string{"Win32_PhysicalMemory": modules, "Win32_BIOS": bios}),
				reg: regFixture(t, ""), smbios: tt.smbios}
			got, err := winMemories(t.Context(), winEnv(h))
			if want := []Memory{tt.want}; err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("winMemories() = %+v, %v\nwant %+v", got, err, want)
			}
		})
	}
}
