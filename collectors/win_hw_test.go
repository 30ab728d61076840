package collectors

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// regFixture parses a regedit export written for a test.
func regFixture(t *testing.T, text string) registrySource {
	t.Helper()
	r, err := parseRegFile([]byte("Windows Registry Editor Version 5.00\r\n\r\n" + text))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// jsonWMI answers queries from JSON files written for a test, one per
// class.
func jsonWMI(t *testing.T, classes map[string]string) wmiSource {
	t.Helper()
	dir := t.TempDir()
	for class, body := range classes {
		if err := os.WriteFile(filepath.Join(dir, class+".json"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return wmiFixture{dir}
}

func TestCPUName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Intel(R) Core(TM) i5-2300 CPU @ 2.80GHz", "Intel Core i5-2300 CPU @ 2.80GHz"},
		{"Intel(R) Core(TM)2 Duo CPU     T9400  @ 2.53GHz", "Intel Core2 Duo CPU T9400 @ 2.53GHz"},
		{"AMD EPYC 7302 16-Core Processor                ", "AMD EPYC 7302 16-Core Processor"},
		{"Genuine Intel(r) CPU(tm)", "Genuine Intel CPU"},
	} {
		if got := cpuName(tc.in); got != tc.want {
			t.Errorf("cpuName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCPUThreadsAndSpeed(t *testing.T) {
	for _, tc := range []struct {
		logical, cores uint32
		want           int
	}{{8, 4, 2}, {4, 4, 1}, {0, 4, 0}, {4, 0, 0}, {20, 14, 2}} {
		if got := cpuThreads(tc.logical, tc.cores); got != tc.want {
			t.Errorf("cpuThreads(%d, %d) = %d, want %d", tc.logical, tc.cores, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		want int
	}{{"Example CPU @ 2.80GHz", 2800}, {"Old CPU 733MHz", 733}, {"No speed", 0}} {
		if got := cpuSpeedFromName(tc.name); got != tc.want {
			t.Errorf("cpuSpeedFromName(%q) = %d, want %d", tc.name, got, tc.want)
		}
	}
	// The official agent's rule for dmidecode's version: a frequency at
	// the very end, unit glued to the number.
	for _, tc := range []struct {
		name string
		want int
	}{
		{"Intel Core i7-8650U CPU @ 1.90GHz", 1900}, {"Intel Core2 Duo CPU T9400 @ 2.53GHz ", 2530},
		{"Pentium III 733MHz", 733}, {"AMD Ryzen 7 PRO 4750U with Radeon Graphics", 0},
		{"Example CPU @ 2.80 GHz", 0}, {"Example CPU @ 2.80GHz (boost)", 0}, {"GHz", 0},
	} {
		if got := cpuNominalSpeed(tc.name); got != tc.want {
			t.Errorf("cpuNominalSpeed(%q) = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestWinCPUsRegistry(t *testing.T) {
	h := winHost{
		wmi: jsonWMI(t, map[string]string{"Win32_Processor": `[
			{"Name": "Example Processor Family", "Manufacturer": "GenuineIntel", "Description": "x64 Family 6 Model 1 Stepping 2",
			 "ProcessorId": "BFEBFBFF00010612", "NumberOfCores": "2", "NumberOfLogicalProcessors": "4", "MaxClockSpeed": "3001"},
			{"Name": "Example Processor Family", "Manufacturer": "GenuineIntel", "Description": "x64 Family 6 Model 1 Stepping 2",
			 "ProcessorId": "0000000000000000", "NumberOfCores": "2", "NumberOfLogicalProcessors": "4", "MaxClockSpeed": "3001"}]`}),
		reg: regFixture(t, `[HKEY_LOCAL_MACHINE\HARDWARE\DESCRIPTION\System\CentralProcessor\0]
"Identifier"="x86 Family 6 Model 1 Stepping 2"
"ProcessorNameString"="Example(R) Brand(TM) CPU   X100 @ 3.00GHz"
"VendorIdentifier"="GenuineIntel"

[HKEY_LOCAL_MACHINE\HARDWARE\DESCRIPTION\System\CentralProcessor\4]
"Identifier"="x86 Family 6 Model 1 Stepping 3"
"ProcessorNameString"="Example(R) Brand(TM) CPU   X200 @ 3.00GHz"
"VendorIdentifier"="GenuineIntel"
`),
	}
	cpus, err := collectWin[[]CPU](t, winCPUs, h)
	if err != nil {
		t.Fatal(err)
	}
	want := []CPU{
		{Name: "Example Brand CPU X100 @ 3.00GHz", Manufacturer: "Intel", Description: "x86 Family 6 Model 1 Stepping 2",
			Arch: "i686", Core: 2, CoreCount: 2, Thread: 2, Speed: 3000, ID: "BFEBFBFF00010612", FamilyNumber: "6", Model: "1", Stepping: 2},
		{Name: "Example Brand CPU X200 @ 3.00GHz", Manufacturer: "Intel", Description: "x86 Family 6 Model 1 Stepping 3",
			Arch: "i686", Core: 2, CoreCount: 2, Thread: 2, Speed: 3000, ID: "0000000000000000", FamilyNumber: "6", Model: "1", Stepping: 3},
	}
	if !slices.Equal(cpus, want) {
		t.Errorf("winCPUs = %+v, want %+v", cpus, want)
	}
}

func TestWinCPUsQueryFails(t *testing.T) {
	h := winHost{wmi: stubWMI{jsonWMI(t, nil), func(class, _ string) (bool, error) {
		return class == "Win32_Processor", errors.New("0x80041003 access denied")
	}}, reg: regFixture(t, "")}
	if cpus, err := collectWin[[]CPU](t, winCPUs, h); err == nil || !strings.Contains(err.Error(), "Win32_Processor") {
		t.Errorf("winCPUs = %+v, %v; want the Win32_Processor error", cpus, err)
	}
}

func TestWinMemoryType(t *testing.T) {
	for _, tc := range []struct {
		smbios uint32
		cim    uint16
		want   string
	}{
		{26, 0, "DDR4"},
		{0, 9, "RAM"},
		{0, 20, "DDR"},
		{0, 21, "DDR2"},
		{0, 2, "DRAM"},
		{0, 24, "DDR3"},
		{2, 0, "Unknown"}, // SMBIOS's own "Unknown"
		{0, 0, "Unknown"},
		{0, 23, "Unknown"}, // a hole in the CIM enumeration
		{0, 10, "ROM"},
		{0, 11, "Flash"},
	} {
		if got := winMemoryType(tc.smbios, tc.cim); got != tc.want {
			t.Errorf("winMemoryType(%d, %d) = %q, want %q", tc.smbios, tc.cim, got, tc.want)
		}
	}
}

func TestWinMemoriesSkipsFirmware(t *testing.T) {
	h := winHost{wmi: jsonWMI(t, map[string]string{"Win32_PhysicalMemory": `[
		{"Capacity": "4294967296", "DeviceLocator": "DIMM0", "FormFactor": "8", "MemoryType": "0", "SerialNumber": "00000000"},
		{"Capacity": "1048576", "DeviceLocator": "SYSTEM ROM", "MemoryType": "10"},
		{"Capacity": "4294967296", "DeviceLocator": "DIMM1", "FormFactor": "8", "MemoryType": "21", "SerialNumber": "1A2B3C4D"}]`})}
	mems, err := collectWin[[]Memory](t, winMemories, h)
	if err != nil {
		t.Fatal(err)
	}
	want := []Memory{
		{Capacity: 4096, Caption: "DIMM0", Description: "DIMM", FormFactor: "DIMM", NumSlots: 1, Type: "Unknown"},
		{Capacity: 4096, Caption: "DIMM1", Description: "DIMM", FormFactor: "DIMM", NumSlots: 3, Type: "DDR2", SerialNumber: "1A2B3C4D"},
	}
	if !slices.Equal(mems, want) {
		t.Errorf("winMemories = %+v, want %+v", mems, want)
	}
}

func TestWinVideoMemory(t *testing.T) {
	reg := regFixture(t, `[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Class\{4d36e968-e325-11ce-bfc1-08002be10318}\0000]
"MatchingDeviceId"="pci\\ven_1111&dev_2222"
"HardwareInformation.qwMemorySize"=hex(b):00,00,00,00,03,00,00,00
"HardwareInformation.MemorySize"=dword:fff00000

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Class\{4d36e968-e325-11ce-bfc1-08002be10318}\0001]
"MatchingDeviceId"="PCI\\VEN_3333&DEV_4444&REV_01"
"HardwareInformation.MemorySize"=hex:00,00,00,20

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Class\{4d36e968-e325-11ce-bfc1-08002be10318}\0002]
"MatchingDeviceId"="PCI\\VEN_5555&DEV_6666"
"HardwareInformation.qwMemorySize"=hex:00,00,00,00,01,00,00,00

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Class\{4d36e968-e325-11ce-bfc1-08002be10318}\0003]
"MatchingDeviceId"="PCI\\VEN_5555&DEV_6666"
"HardwareInformation.qwMemorySize"=hex(b):00,00,00,00,02,00,00,00

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Enum\PCI\VEN_5555&DEV_6666&SUBSYS_00000000&REV_00\4&BBB&0&0018]
"Driver"="{4d36e968-e325-11ce-bfc1-08002be10318}\\0003"
`)
	for _, tc := range []struct {
		pnp  string
		want uint64
		ok   bool
	}{
		{`PCI\VEN_1111&DEV_2222&SUBSYS_12345678&REV_A1\4&AAA&0&0019`, 3 << 32, true},
		{`PCI\VEN_3333&DEV_4444&SUBSYS_12345678&REV_01\3&AAA&0&10`, 512 << 20, true},
		// The device's own driver key, not the first of its model.
		{`PCI\VEN_5555&DEV_6666&SUBSYS_00000000&REV_00\4&BBB&0&0018`, 2 << 32, true},
		{`PCI\VEN_5555&DEV_6666&SUBSYS_00000000&REV_00\4&CCC&0&0020`, 1 << 32, true},
		{`PCI\VEN_7777&DEV_8888&SUBSYS_00000000&REV_00\4&CCC&0&0020`, 0, false},
		{`ROOT\BasicDisplay\0000`, 0, false},
	} {
		if got, ok := winVideoMemory(reg, tc.pnp); got != tc.want || ok != tc.ok {
			t.Errorf("winVideoMemory(%q) = %d, %v, want %d, %v", tc.pnp, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWinUSBDevice(t *testing.T) {
	for _, tc := range []struct {
		in                  string
		vid, pid, serial, k string
		ok                  bool
	}{
		{`USB\VID_046d&PID_c52b\5&2B1F3A&0&2`, "046D", "C52B", "", "5&2B1F3A&0&2", true},
		{`USB\VID_0781&PID_5581\4C530001234567890123`, "0781", "5581", "4C530001234567890123", "4C530001234567890123", true},
		{`USB\VID_1234&PID_0001\S/N:0A1B2C_REV:X1:01JAN20`, "1234", "0001", "0A1B2C", "0A1B2C", true},
		{`USB\VID_046D&PID_C52B&MI_00\6&1&0&0000`, "", "", "", "", false}, // an interface
		{`USB\ROOT_HUB30\4&1&0`, "", "", "", "", false},
		{`USB\VID_0000&PID_0000\1`, "", "", "", "", false},
		{`HID\VID_046D&PID_C52B\7&1&0&0000`, "", "", "", "", false},
	} {
		vid, pid, inst, ok := winUSBDevice(tc.in)
		if ok != tc.ok || vid != tc.vid || pid != tc.pid {
			t.Errorf("winUSBDevice(%q) = %q, %q, %v, want %q, %q, %v", tc.in, vid, pid, ok, tc.vid, tc.pid, tc.ok)
		}
		if !ok {
			continue
		}
		if serial, key := usbSerial(inst); serial != tc.serial || key != tc.k {
			t.Errorf("usbSerial(%q) = %q, %q, want %q, %q", inst, serial, key, tc.serial, tc.k)
		}
	}
}

func TestWinUSBOncePerDevice(t *testing.T) {
	// CIM_LogicalDevice lists a device once per class it belongs to.
	h := winHost{wmi: jsonWMI(t, map[string]string{"Win32_PnPEntity": `[
		{"Name": "USB Input Device", "Caption": "USB Input Device", "PNPDeviceID": "USB\\VID_FFFE&PID_0001\\6&1&0&6"},
		{"Name": "USB Input Device", "Caption": "USB Input Device", "PNPDeviceID": "USB\\VID_FFFE&PID_0001\\6&1&0&6"},
		{"Name": "USB Input Device", "Caption": "USB Input Device", "PNPDeviceID": "USB\\VID_FFFE&PID_0001\\6&1&0&7"},
		{"Name": "Root Hub", "PNPDeviceID": "USB\\ROOT_HUB20\\4&1&0"}]`})}
	devs, err := collectWin[[]USBDevice](t, winUSB, h)
	if err != nil {
		t.Fatal(err)
	}
	want := USBDevice{Name: "USB Input Device", Caption: "USB Input Device", VendorID: "FFFE", ProductID: "0001"}
	if len(devs) != 2 || devs[0] != want || devs[1] != want {
		t.Errorf("winUSB = %+v, want twice %+v", devs, want)
	}
}

func TestWinUsersLastLogon(t *testing.T) {
	accounts := `[{"Name": "jdoe", "Domain": "WS-42", "LocalAccount": true}]`
	for _, tc := range []struct {
		name, cs, reg string
		want          []User
	}{
		{"console user", `[{"Name": "WS-42", "UserName": "CONTOSO\\jdoe"}]`, "", []User{{Login: "jdoe", Domain: "CONTOSO"}}},
		{"SAM name first", "[]", `"LastLoggedOnUser"="jdoe@contoso.example"
"LastLoggedOnSAMUser"="CONTOSO\\jdoe"`, []User{{Login: "jdoe", Domain: "CONTOSO"}}},
		{"local account, computer named", `[{"Name": "WS-42"}]`, `"LastLoggedOnSAMUser"=".\\jdoe"`, []User{{Login: "jdoe", Domain: "WS-42"}}},
		{"local account, from the accounts", "[]", `"LastLoggedOnSAMUser"=".\\jdoe"`, []User{{Login: "jdoe", Domain: "WS-42"}}},
		{"UPN only", "[]", `"LastLoggedOnUser"="jdoe@contoso.example"`, nil},
		{"nobody", "[]", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := winHost{
				wmi: jsonWMI(t, map[string]string{"Win32_ComputerSystem": tc.cs, "Win32_UserAccount": accounts}),
				reg: regFixture(t, "[HKEY_LOCAL_MACHINE\\"+regLogonUI+"]\n"+tc.reg+"\n"),
			}
			got, err := collectWin[[]User](t, winUsers, h)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("winUsers = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestBIOSVersion(t *testing.T) {
	for _, tc := range []struct {
		in   win32BIOS
		want string
	}{
		{win32BIOS{SMBIOSBIOSVersion: "1.2.3", Version: "DELL   - 1072009"}, "1.2.3"},
		{win32BIOS{BIOSVersion: []string{"QEMU   - 1", "Other"}, Version: "QEMU   - 1"}, "QEMU   - 1"},
		{win32BIOS{Version: "EXAMPLE  - 1 "}, "EXAMPLE  - 1"},
	} {
		if got := biosVersion(tc.in); got != tc.want {
			t.Errorf("biosVersion(%+v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWinComputerName(t *testing.T) {
	cs := win32ComputerSystem{Name: "WS-MIXEDCASE", DNSHostName: "ws-MixedCase"}
	if got := winComputerName(regFixture(t, `[HKEY_LOCAL_MACHINE\`+regTcpip+`]
"Hostname"="Ws-MixedCase"
`), cs); got != "Ws-MixedCase" {
		t.Errorf("winComputerName(Tcpip Hostname) = %q, want %q", got, "Ws-MixedCase")
	}
	if got := winComputerName(regFixture(t, ""), cs); got != "ws-MixedCase" {
		t.Errorf("winComputerName(no Tcpip) = %q, want %q", got, "ws-MixedCase")
	}
}

func TestLoadWinUSBIDs(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "usb.ids")
	body := "# usb.ids\nfffe  Example Vendor\n\t0001  Example Keyboard\n\t\t00  an interface\nfffd  Other Vendor\n\t0001  Other\nC 00  (Defined at Interface level)\n"
	if err := os.WriteFile(db, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ids := loadWinUSBIDs([]string{filepath.Join(dir, "missing"), db}, map[string]bool{"fffe": true})
	if ids["fffe"] != "Example Vendor" || ids["fffe:0001"] != "Example Keyboard" || ids["fffd"] != "" {
		t.Errorf("loadWinUSBIDs = %v, want Example Vendor and its keyboard only", ids)
	}
	if ids := loadWinUSBIDs([]string{filepath.Join(dir, "missing")}, map[string]bool{"fffe": true}); ids != nil {
		t.Errorf("loadWinUSBIDs(no file) = %v, want nil", ids)
	}
}

// TestWinOSAsOfficial gives the operating system's architecture, kernel
// version and service pack as the official agent does (Win32/OS.pm), which
// GLPI files and lists machines by: "64-bit" whatever the language, the
// kernel version WMI gives, and since Windows 10 the build with its update
// revision as the service pack.
func TestWinOSAsOfficial(t *testing.T) {
	const cv = `[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion]` + "\r\n"
	for _, tc := range []struct {
		name, os, cpu, reg string
		arch, kernel, sp   string
	}{
		{"French Windows 11", `[{"Caption":"Microsoft Windows 11 Professionnel","Version":"10.0.22631","BuildNumber":"22631","OSArchitecture":"64 bits"}]`, "",
			cv + `"UBR"=dword:00000bbf` + "\r\n", "64-bit", "10.0.22631", "22631.3007"},
		{"German Windows 10", `[{"Caption":"Microsoft Windows 10 Pro","Version":"10.0.19045","BuildNumber":"19045","OSArchitecture":"64-Bit"}]`, "",
			cv, "64-bit", "10.0.19045", ""},
		{"Russian Windows 10, 32-bit", `[{"Caption":"Майкрософт Windows 10 Pro","Version":"10.0.19045","BuildNumber":"19045","OSArchitecture":"32-разрядная"}]`, "",
			cv + `"UBR"=dword:00000d8c` + "\r\n", "32-bit", "10.0.19045", "19045.3468"},
		{"French Windows 7 (a real capture's values)", `[{"Caption":"Microsoft Windows 7 Professionnel ","Version":"6.1.7601","BuildNumber":"7601","CSDVersion":"Service Pack 1","OSArchitecture":"32 bits"}]`, "",
			cv, "32-bit", "6.1.7601", "Service Pack 1"},
		{"Windows XP: no OSArchitecture, the processors' width", `[{"Caption":"Microsoft Windows XP Professional","Version":"5.1.2600","BuildNumber":"2600","CSDVersion":"Service Pack 3"}]`,
			`[{"AddressWidth":32}]`, cv, "32-bit", "5.1.2600", "Service Pack 3"},
		{"Windows Server 2003 x64", `[{"Caption":"Microsoft(R) Windows(R) Server 2003 Standard x64 Edition","Version":"5.2.3790","BuildNumber":"3790","CSDVersion":"Service Pack 2"}]`,
			`[{"AddressWidth":64},{"AddressWidth":64}]`, cv, "64-bit", "5.2.3790", "Service Pack 2"},
		{"no width at all", `[{"Caption":"Microsoft Windows XP Professional","Version":"5.1.2600"}]`, "", cv, "", "5.1.2600", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			classes := map[string]string{"Win32_OperatingSystem": tc.os}
			if tc.cpu != "" {
				classes["Win32_Processor"] = tc.cpu
			}
			v, err := winOS(t.Context(), winEnv(winHost{wmi: jsonWMI(t, classes), reg: regFixture(t, tc.reg)}))
			if err != nil {
				t.Fatal(err)
			}
			os := v.(*OperatingSystem)
			if os.Arch != tc.arch || os.KernelVersion != tc.kernel || os.ServicePack != tc.sp {
				t.Errorf("arch %q, kernel_version %q, service_pack %q; want %q, %q, %q", os.Arch, os.KernelVersion, os.ServicePack, tc.arch, tc.kernel, tc.sp)
			}
		})
	}
}

// On Windows Server 2003, where the official agent runs no dmidecode, the
// speed is WMI's; XP x64, also version 5.2, is not a server.
func TestWinCPUsSpeedServer2003(t *testing.T) {
	procs := `[{"Name": "Intel(R) Xeon(TM) CPU 3.06GHz", "Manufacturer": "GenuineIntel", "MaxClockSpeed": "3065", "NumberOfCores": "1"}]`
	for _, tc := range []struct {
		productType string
		want        int
	}{{"ServerNT", 3065}, {"LanmanNT", 3065}, {"WinNT", 3060}} {
		h := winHost{
			wmi: jsonWMI(t, map[string]string{"Win32_Processor": procs}),
			reg: regFixture(t, `[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion]
"CurrentVersion"="5.2"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\ProductOptions]
"ProductType"="`+tc.productType+`"
`),
		}
		cpus, err := collectWin[[]CPU](t, winCPUs, h)
		if err != nil {
			t.Fatal(err)
		}
		if len(cpus) != 1 || cpus[0].Speed != tc.want {
			t.Errorf("%s: winCPUs = %+v, want speed %d", tc.productType, cpus, tc.want)
		}
	}
}
