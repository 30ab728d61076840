package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseNumberProcessors(t *testing.T) {
	tests := []struct {
		raw  string
		want processorCount
	}{
		{`"proc 12:8:4"`, processorCount{12, []coreLevel{{"Performance", 8}, {"Efficiency", 4}}}},
		{`"proc 8:4:4"`, processorCount{8, []coreLevel{{"Performance", 4}, {"Efficiency", 4}}}},
		// M5 Max: 6 super, no efficiency, 12 performance cores.
		{`"proc 18:6:0:12"`, processorCount{18, []coreLevel{{"Super", 6}, {"Performance", 12}}}},
		{`"proc 10:4:6:0"`, processorCount{10, []coreLevel{{"Super", 4}, {"Efficiency", 6}}}},
		{`10`, processorCount{total: 10}},
		{`"proc 24"`, processorCount{total: 24}},
		{`null`, processorCount{}},
		{`{"x":1}`, processorCount{}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := parseNumberProcessors(json.RawMessage(tt.raw)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseNumberProcessors(%s) = %+v, want %+v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestCoreLevelsText(t *testing.T) {
	tests := []struct {
		levels []coreLevel
		want   string
	}{
		{[]coreLevel{{"Performance", 4}, {"Efficiency", 4}}, "4 performance and 4 efficiency cores"},
		{[]coreLevel{{"Super", 6}, {"Performance", 12}}, "6 super and 12 performance cores"},
		{[]coreLevel{{"Super", 2}, {"Performance", 4}, {"Efficiency", 4}}, "2 super, 4 performance and 4 efficiency cores"},
	}
	for _, tt := range tests {
		if got := coreLevelsText(tt.levels); got != tt.want {
			t.Errorf("coreLevelsText(%v) = %q, want %q", tt.levels, got, tt.want)
		}
	}
}

func TestSPValue(t *testing.T) {
	for in, want := range map[string]string{
		"-": "", "Unknown": "", "empty": "", "spdisplays_display": "", "sppci_vendor_Apple": "",
		"Apple M1": "Apple M1", "C02VT3ABCDEF": "C02VT3ABCDEF", "sp 1": "sp 1",
	} {
		if got := spValue(in); got != want {
			t.Errorf("spValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAppleSiliconModel(t *testing.T) {
	for in, want := range map[string]bool{
		"MacBookAir10,1": true, "MacBookAir9,1": false, "MacBookPro17,1": true, "MacBookPro16,1": false,
		"Macmini9,1": true, "Macmini6,2": false, "iMac21,1": true, "iMacPro1,1": false, "Mac16,5": true,
		"VirtualMac2,1": true, "VMware7,1": false, "MacPro7,1": false, "": false,
	} {
		if got := appleSiliconModel(in); got != want {
			t.Errorf("appleSiliconModel(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestMacMachineArch(t *testing.T) {
	tests := []struct {
		name   string
		sysctl map[string]string
		hw     spHardware
		want   string
	}{
		// A process translated by Rosetta reads x86_64 in hw.machine.
		{"translated", map[string]string{"hw.machine": "x86_64", "hw.optional.arm64": "1"}, spHardware{}, "arm64"},
		{"intel", map[string]string{"hw.machine": "x86_64"}, spHardware{}, "x86_64"},
		{"apple silicon", map[string]string{"hw.machine": "arm64", "hw.optional.arm64": "1"}, spHardware{}, "arm64"},
		{"no sysctl, chip", nil, spHardware{ChipType: "Apple M2"}, "arm64"},
		{"no sysctl, translated", nil, spHardware{CPUType: "Unknown", CurrentSpeed: "2,4 GHz", MachineModel: "MacBookAir10,1"}, "arm64"},
		{"no sysctl, intel", nil, spHardware{CPUType: "Unknown", CurrentSpeed: "3.19 GHz", MachineModel: "Macmini6,2"}, "x86_64"},
		{"nothing", nil, spHardware{}, ""},
	}
	for _, tt := range tests {
		h := &macHost{}
		if tt.sysctl != nil {
			h.sysctl = func(name string) string { return tt.sysctl[name] }
		}
		if got := macMachineArch(h, tt.hw); got != tt.want {
			t.Errorf("%s: macMachineArch = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMacCPUName(t *testing.T) {
	tests := []struct {
		brand string
		hw    spHardware
		want  string
	}{
		{"VirtualApple @ 2.50GHz", spHardware{CPUType: "Unknown"}, ""},
		{"VirtualApple @ 2.50GHz", spHardware{ChipType: "Apple M1"}, "Apple M1"},
		{"", spHardware{CPUType: "8-Core Intel Xeon W"}, "8-Core Intel Xeon W"},
		{"Intel(R) Core(TM) i7-8700B CPU @ 3.20GHz", spHardware{CPUType: "Unknown"}, "Intel(R) Core(TM) i7-8700B CPU @ 3.20GHz"},
	}
	for _, tt := range tests {
		if got := macCPUName(tt.brand, tt.hw); got != tt.want {
			t.Errorf("macCPUName(%q, %+v) = %q, want %q", tt.brand, tt.hw, got, tt.want)
		}
	}
}

func TestAppCategory(t *testing.T) {
	tests := []struct{ path, category, user string }{
		{"/Applications/Safari.app", "Applications", ""},
		{"/System/Applications/Utilities/Terminal.app", "System/Applications/Utilities", ""},
		{"/Users/ann/Applications/Chrome Apps.localized/Vysor.app", "Applications/Chrome Apps.localized", "ann"},
		{"/Users/ann/Tool.app", "", "ann"},
		{"/Volumes/Backup/Applications/Old.app", "Applications", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		if c, u := appCategory(tt.path); c != tt.category || u != tt.user {
			t.Errorf("appCategory(%q) = %q, %q, want %q, %q", tt.path, c, u, tt.category, tt.user)
		}
	}
}

func TestParseSizeBytes(t *testing.T) {
	tests := []struct {
		in     string
		binary bool
		want   uint64
	}{
		{"16 GB", true, 16 << 30},
		{"16 GB", false, 16_000_000_000},
		{"1 TB", false, 1_000_000_000_000},
		{"500.28 GB", false, 500_280_000_000},
		{"500,28 GB", false, 500_280_000_000},
		{"8192 MB", true, 8 << 30},
		{"empty", true, 0},
		{"", false, 0},
		{"12 parsecs", false, 0},
	}
	for _, tt := range tests {
		if got := parseSizeBytes(tt.in, tt.binary); got != tt.want {
			t.Errorf("parseSizeBytes(%q, %v) = %d, want %d", tt.in, tt.binary, got, tt.want)
		}
	}
}

func TestParseSpeedMHz(t *testing.T) {
	for in, want := range map[string]int{"3.6 GHz": 3600, "2667 MHz": 2667, "2,4 GHz": 2400, "Empty": 0, "-1 GHz": 0} {
		if got := parseSpeedMHz(in); got != want {
			t.Errorf("parseSpeedMHz(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestMacArchKind(t *testing.T) {
	for in, want := range map[string]string{
		"arch_arm": "arm64", "arch_i64": "x86_64", "arch_arm_i64": "universal",
		"arch_i32": "i386", "arch_ios": "arm64", "arch_other": "", "arch_i32_i64": "universal",
		"arch_arm_other": "", "": "",
	} {
		if got := macArchKind(in); got != want {
			t.Errorf("macArchKind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMacChassisType(t *testing.T) {
	tests := []struct{ name, model, want string }{
		{"MacBook Pro", "Mac14,9", "Laptop"},
		{"MacBook Air", "Mac14,2", "Laptop"},
		{"", "MacBookPro18,3", "Laptop"},
		{"iMac", "iMac20,1", "All In One"},
		{"Mac mini", "Macmini9,1", "Mini PC"},
		{"", "Macmini8,1", "Mini PC"},
		{"Mac Studio", "Mac13,1", "Desktop"},
		{"Mac Pro", "MacPro7,1", "Tower"},
		{"", "Xserve3,1", "Rack Mount Chassis"},
		{"Apple Virtual Machine 1", "VirtualMac2,1", ""},
	}
	for _, tt := range tests {
		if got := macChassisType(tt.name, tt.model); got != tt.want {
			t.Errorf("macChassisType(%q, %q) = %q, want %q", tt.name, tt.model, got, tt.want)
		}
	}
}

func TestMacVMSystem(t *testing.T) {
	tests := []struct{ model, vmm, want string }{
		{"Mac14,9", "0", "Physical"},
		{"VirtualMac2,1", "1", "Apple Virtualization"},
		{"VMware20,1", "1", "VMware"},
		{"Parallels-ARM", "1", "Parallels"},
		{"iMac11,3", "1", "Virtual Machine"},
		{"", "0", "Physical"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := macVMSystem(tt.model, tt.vmm); got != tt.want {
			t.Errorf("macVMSystem(%q, %q) = %q, want %q", tt.model, tt.vmm, got, tt.want)
		}
	}
}

func TestPNPFromVendorID(t *testing.T) {
	for in, want := range map[string]string{"610": "APP", "10ac": "DEL", "0x1e6d": "GSM", "1006": "D@F", "0": "", "zz": "", "ffff": "___"} {
		if got := pnpFromVendorID(in); got != want {
			t.Errorf("pnpFromVendorID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUSBVendorID(t *testing.T) {
	for in, want := range map[string]string{
		"apple_vendor_id": "05ac", "0x046d  (Logitech Inc.)": "046d", "0x0b0e": "0b0e", "": "",
	} {
		if got := usbVendorID(in); got != want {
			t.Errorf("usbVendorID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSignerPublisher(t *testing.T) {
	tests := []struct {
		chain []string
		want  string
	}{
		{[]string{"Developer ID Application: Google LLC (EQHXZ8M8AV)", "Developer ID Certification Authority"}, "Google LLC"},
		{[]string{"Developer ID Application: Docker Inc (9BNSXJN65R)"}, "Docker Inc"},
		{[]string{"Software Signing", "Apple Code Signing Certification Authority"}, appleInc},
		{[]string{"Apple Mac OS Application Signing"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := signerPublisher(tt.chain); got != tt.want {
			t.Errorf("signerPublisher(%q) = %q, want %q", tt.chain, got, tt.want)
		}
	}
}

func TestHexText(t *testing.T) {
	for in, want := range map[string]string{
		"0x313641544632473634485A2D33473245322020": "16ATF2G64HZ-3G2E2",
		"M471A1K43DB1-CWE":                         "M471A1K43DB1-CWE",
		"0x00FF12":                                 "0x00FF12",
		"0xZZ":                                     "0xZZ",
	} {
		if got := hexText(in); got != want {
			t.Errorf("hexText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseSysctlTimeval(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"{ sec = 1718007200, usec = 52613 } Mon Jun 10 10:13:20 2024", 1718007200, true},
		{formatSysctlTimeval(1730861400, 0), 1730861400, true},
		{"{ sec = 0, usec = 0 }", 0, false},
		{"garbage", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseSysctlTimeval(tt.in)
		if ok != tt.ok || ok && got.Unix() != tt.want {
			t.Errorf("parseSysctlTimeval(%q) = %v, %v, want %d, %v", tt.in, got.Unix(), ok, tt.want, tt.ok)
		}
	}
}

func TestProfilerDataTypes(t *testing.T) {
	for major, want := range map[int]string{14: "SPUSBDataType", 15: "SPUSBDataType", 26: "SPUSBHostDataType"} {
		types := profilerDataTypes(major)
		if types[7] != want {
			t.Errorf("profilerDataTypes(%d)[7] = %q, want %q", major, types[7], want)
		}
	}
}

// TestMacInstallTime checks that Setup Assistant's mark wins over the
// receipts.
func TestMacInstallTime(t *testing.T) {
	root := t.TempDir()
	mark := filepath.Join(root, "var/db/.AppleSetupDone")
	if err := os.MkdirAll(filepath.Dir(mark), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := os.Chtimes(mark, want, want); err != nil {
		t.Fatal(err)
	}
	if got := macInstallTime(&Env{Root: root}); !got.Equal(want) {
		t.Errorf("macInstallTime(with .AppleSetupDone) = %v, want %v", got, want)
	}
	laptop := &Env{Root: "testdata/macos/laptop"}
	if got, want := macInstallTime(laptop), time.Date(2023, 11, 20, 9, 14, 2, 0, time.UTC); !got.Equal(want) {
		t.Errorf("macInstallTime(receipts) = %v, want %v", got, want)
	}
}

// TestNetworksFromInterfaces checks the live path: every interface with an
// address or a service, typed by the service, loopback and tunnels
// virtual.
func TestNetworksFromInterfaces(t *testing.T) {
	var services []spNetService
	if err := json.Unmarshal([]byte(`[{"interface":"en0","hardware":"AirPort","IPv4":{"Router":"192.168.1.1"}}]`), &services); err != nil {
		t.Fatal(err)
	}
	ifaces := []macIface{
		{Name: "lo0", MTU: 16384, Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}},
		{Name: "en0", MAC: "f8:4d:89:6a:2b:1c", MTU: 1500, Up: true, Addrs: []netip.Prefix{
			netip.MustParsePrefix("192.168.1.42/24"), netip.MustParsePrefix("fe80::1c2b:3a4d:5e6f:7081/64"),
		}},
		{Name: "awdl0", MAC: "2a:3b:4c:5d:6e:7f", MTU: 1500, Up: true},
		{Name: "utun0", MTU: 1380, Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("fe80::ce81:b1c:bd2c:69e/64")}},
	}
	got := networksFrom(ifaces, services)
	want := []Network{
		{Description: "lo0", Type: "loopback", Status: "up", MTU: 16384, VirtualDev: true, IPAddress: "127.0.0.1", IPMask: "255.0.0.0", IPSubnet: "127.0.0.0"},
		{Description: "en0", Type: "wifi", Status: "up", MAC: "f8:4d:89:6a:2b:1c", MTU: 1500, IPAddress: "192.168.1.42", IPMask: "255.255.255.0", IPSubnet: "192.168.1.0", IPGateway: "192.168.1.1"},
		{Description: "en0", Type: "wifi", Status: "up", MAC: "f8:4d:89:6a:2b:1c", MTU: 1500, IPAddress6: "fe80::1c2b:3a4d:5e6f:7081", IPMask6: "ffff:ffff:ffff:ffff::", IPSubnet6: "fe80::"},
		{Description: "utun0", Status: "up", MTU: 1380, VirtualDev: true, IPAddress6: "fe80::ce81:b1c:bd2c:69e", IPMask6: "ffff:ffff:ffff:ffff::", IPSubnet6: "fe80::"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("networksFrom() =\n%+v\nwant\n%+v", got, want)
	}
}

// TestMacLazy checks that the value is loaded once for all callers, and
// that a caller whose context ends stops waiting without failing the
// others.
func TestMacLazy(t *testing.T) {
	var l macLazy[int]
	var loads atomic.Int32
	release := make(chan struct{})
	load := func(ctx context.Context) (int, error) {
		loads.Add(1)
		<-release
		return 42, nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.get(ctx, time.Minute, load); err == nil {
		t.Errorf("get(cancelled) = nil error, want context canceled")
	}
	close(release)
	for range 3 {
		if v, err := l.get(t.Context(), time.Minute, load); v != 42 || err != nil {
			t.Errorf("get() = %d, %v, want 42, nil", v, err)
		}
	}
	if n := loads.Load(); n != 1 {
		t.Errorf("load ran %d times, want 1", n)
	}
}

func TestParseFdesetupStatus(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"FileVault is On.\n", "Yes", true},
		{"FileVault is Off.\n", "No", true},
		{"FileVault is On.\nEncryption in progress: Percent completed = 42.1\n", "Partially", true},
		{"Encryption in progress: Percent completed = 0.3\n", "Partially", true},
		{"FileVault is On.\nDecryption in progress: Percent completed = 87.5\n", "Partially", true},
		{"FileVault is Off, but will be enabled after the next restart.\nDeferred enablement appears to be active for user 'jdoe'.\n", "No", true},
		{"FileVault is On.\r\n", "Yes", true},
		{"", "", false},
		{"Error: Unable to get FileVault status.\n", "", false},
	}
	for _, tt := range tests {
		got, ok := parseFdesetupStatus(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseFdesetupStatus(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestFileVaultState(t *testing.T) {
	tests := []struct {
		status string
		want   Drive
	}{
		{"Yes", Drive{EncryptName: "FileVault", EncryptStatus: "Yes", EncryptAlgo: "XTS_AES_128"}},
		{"Partially", Drive{EncryptName: "FileVault", EncryptStatus: "Partially", EncryptAlgo: "XTS_AES_128"}},
		{"No", Drive{EncryptName: "FileVault", EncryptStatus: "No"}},
	}
	for _, tt := range tests {
		var got Drive
		fileVaultState(&got, tt.status)
		if got != tt.want {
			t.Errorf("fileVaultState(%q) = %+v, want %+v", tt.status, got, tt.want)
		}
	}
}

// TestMacDrivesFileVault checks that only the volume mounted at "/" gets
// FileVault's state, and that without a usable fdesetup the drives are
// reported all the same, unencrypted as far as the inventory knows.
func TestMacDrivesFileVault(t *testing.T) {
	output := func(out string, err error) func(context.Context, *Env) ([]byte, error) {
		return func(context.Context, *Env) ([]byte, error) { return []byte(out), err }
	}
	tests := []struct {
		name     string
		fdesetup func(context.Context, *Env) ([]byte, error)
		want     string // encrypt_status of "/", "" for none
	}{
		{"deferred", output("FileVault is Off, but will be enabled after the next restart.\n", nil), "No"},
		{"encrypting", output("FileVault is On.\nEncryption in progress: Percent completed = 3.5\n", nil), "Partially"},
		{"no fdesetup", nil, ""},
		{"failing", output("", errors.New("exec: \"/usr/bin/fdesetup\": file does not exist")), ""},
		{"unexpected output", output("fdesetup: not supported\n", nil), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, h, _ := macFixture(t, "laptop")
			h.fdesetup = tt.fdesetup
			v, err := macDrives(t.Context(), macEnv(env, h))
			if err != nil {
				t.Fatalf("macDrives() error = %v", err)
			}
			drives := v.([]Drive)
			if len(drives) != 3 {
				t.Fatalf("macDrives() = %d drives, want 3", len(drives))
			}
			for _, d := range drives {
				want := ""
				if d.Type == "/" {
					want = tt.want
				}
				if d.EncryptStatus != want {
					t.Errorf("drive %s encrypt_status = %q, want %q", d.Type, d.EncryptStatus, want)
				}
				if (d.EncryptName != "") != (want != "") {
					t.Errorf("drive %s encrypt_name = %q with encrypt_status %q", d.Type, d.EncryptName, want)
				}
			}
		})
	}
}

func TestCutWords(t *testing.T) {
	tests := []struct {
		in        string
		n         int
		wantWords []string
		wantRest  string
	}{
		{"a  b\tc  d e", 3, []string{"a", "b", "c"}, "  d e"},
		{"  a b", 2, []string{"a", "b"}, ""},
		{"a b", 3, []string{"a", "b"}, ""},
		{"", 2, []string{}, ""},
	}
	for _, tt := range tests {
		words, rest := cutWords(tt.in, tt.n)
		if !slices.Equal(words, tt.wantWords) || rest != tt.wantRest {
			t.Errorf("cutWords(%q, %d) = %q, %q, want %q, %q", tt.in, tt.n, words, rest, tt.wantWords, tt.wantRest)
		}
	}
}

func TestParsePSLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Process
		ok   bool
	}{
		{
			name: "daemon",
			line: "root               1   0.0  0.1 410997760 ??       Mon Jun 10 10:13:21 2024     /sbin/launchd\n",
			want: Process{Cmd: "/sbin/launchd", PID: 1, User: "root", Started: "2024-06-10 10:13:21", CPUUsage: "0.0", Mem: "0.1", VirtualMemory: 410997760, TTY: "?"},
			ok:   true,
		},
		{
			name: "padded day and spaces in the command",
			line: "jdoe  3057 198.4 12.0 410871936 ttys000  Wed Jun  5 08:01:02 2024     /Applications/My App.app/Contents/MacOS/My App --title  two  spaces",
			want: Process{Cmd: "/Applications/My App.app/Contents/MacOS/My App --title  two  spaces", PID: 3057, User: "jdoe", Started: "2024-06-05 08:01:02", CPUUsage: "198.4", Mem: "12.0", VirtualMemory: 410871936, TTY: "ttys000"},
			ok:   true,
		},
		{
			name: "zombie",
			line: "mdurand 5302 0.0 0.0 0 ?? Wed Jun 12 06:05:11 2024 <defunct>",
			want: Process{Cmd: "<defunct>", PID: 5302, User: "mdurand", Started: "2024-06-12 06:05:11", CPUUsage: "0.0", Mem: "0.0", TTY: "?"},
			ok:   true,
		},
		{name: "no command", line: "root 1 0.0 0.1 410997760 ?? Mon Jun 10 10:13:21 2024   \n"},
		{name: "empty", line: "\n"},
		{name: "header", line: "USER PID %CPU %MEM VSZ TTY STARTED COMMAND\n"},
		{name: "bad pid", line: "root x 0.0 0.1 410997760 ?? Mon Jun 10 10:13:21 2024 /sbin/launchd"},
		{name: "bad cpu", line: "root 1 0,0 0.1 410997760 ?? Mon Jun 10 10:13:21 2024 /sbin/launchd"},
		{name: "bad vsz", line: "root 1 0.0 0.1 41G ?? Mon Jun 10 10:13:21 2024 /sbin/launchd"},
		{name: "start in another locale", line: "root 1 0.0 0.1 410997760 ?? lun 10 jui 10:13:21 2024 /sbin/launchd"},
		{name: "elapsed time instead of start", line: "root 1 0.0 0.1 410997760 ?? 2-00:17:09 /sbin/launchd -x -y -z -w"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parsePSLine(tt.line)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parsePSLine(%q) = %+v, %v, want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestParsePS checks that processes come sorted by pid whatever the order
// ps prints them in (by terminal, then pid), and that bad lines are
// skipped.
func TestParsePS(t *testing.T) {
	in := "root    88 0.0 0.0 410848016 ??      Mon Jun 10 10:13:23 2024     /usr/libexec/logd\n" +
		"garbage\n" +
		"jdoe    12 0.0 0.0 410733104 ttys000 Wed Jun 12 11:58:10 2024     -zsh\n" +
		"root     1 0.0 0.1 410997760 ??      Mon Jun 10 10:13:21 2024     /sbin/launchd\n"
	var pids []int
	for _, p := range parsePS(in) {
		pids = append(pids, p.PID)
	}
	if want := []int{1, 12, 88}; !slices.Equal(pids, want) {
		t.Errorf("parsePS() pids = %v, want %v", pids, want)
	}
	if got := parsePS(""); len(got) != 0 {
		t.Errorf("parsePS(\"\") = %+v, want none", got)
	}
}

// TestPSArgs checks that each ps keyword has its own -o with an empty
// header: ps would take "user=,pid=" as the user column headed ",pid=".
func TestPSArgs(t *testing.T) {
	var keywords []string
	for i, a := range psArgs {
		if a != "-o" {
			continue
		}
		if i+1 >= len(psArgs) {
			t.Fatalf("psArgs ends with -o")
		}
		k, ok := strings.CutSuffix(psArgs[i+1], "=")
		if !ok || strings.ContainsAny(k, ",= ") {
			t.Errorf("psArgs -o %q, want one keyword with an empty header", psArgs[i+1])
		}
		keywords = append(keywords, k)
	}
	want := []string{"user", "pid", "%cpu", "%mem", "vsz", "tty", "lstart", "command"}
	if !slices.Equal(keywords, want) {
		t.Errorf("psArgs keywords = %q, want %q (the order parsePSLine reads)", keywords, want)
	}
}

// TestMacProcessesNoData: off the live system there is no ps, and no
// process list; a ps that fails fails the collector, which has no empty
// list to give.
func TestMacProcessesNoData(t *testing.T) {
	if v, err := macProcesses(t.Context(), macEnv(&Env{}, &macHost{})); !errors.Is(err, ErrNoData) {
		t.Errorf("macProcesses(no ps) = %v, %v, want ErrNoData", v, err)
	}
	killed := errors.New("signal: killed")
	h := &macHost{ps: func(context.Context, *Env) ([]byte, error) { return nil, killed }}
	if v, err := macProcesses(t.Context(), macEnv(&Env{}, h)); !errors.Is(err, killed) || errors.Is(err, ErrNoData) || v != nil {
		t.Errorf("macProcesses(failing ps) = %v, %v, want a failure wrapping %q", v, err, killed)
	}
}

func TestMacEnvironment(t *testing.T) {
	if v, err := macEnvironment(t.Context(), macEnv(&Env{}, &macHost{})); !errors.Is(err, ErrNoData) {
		t.Errorf("macEnvironment(no environ) = %v, %v, want ErrNoData", v, err)
	}
	h := &macHost{environ: func() []string { return []string{"PATH=/usr/bin:/bin", "OPTS=a=b", "=bad"} }}
	v, err := macEnvironment(t.Context(), macEnv(&Env{}, h))
	want := []EnvVar{{"PATH", "/usr/bin:/bin"}, {"OPTS", "a=b"}}
	if got, _ := v.([]EnvVar); err != nil || !slices.Equal(got, want) {
		t.Errorf("macEnvironment() = %+v, %v, want %+v", v, err, want)
	}
}

// TestIsSPKey holds isSPKey to the pattern it reads by hand.
func TestIsSPKey(t *testing.T) {
	re := regexp.MustCompile(`^sp[a-z0-9]+_[A-Za-z0-9_-]+$`)
	for _, s := range []string{
		"spdisplays_display", "sppci_vendor_Apple", "spdisplays_yes", "spusb3_host-controller", "sp_x", "spx_",
		"spX_y", "sp", "spdisplays", "Spdisplays_yes", "spdisplays_yes!", "spdisplays_é", "xspdisplays_yes",
		"spdisplays__", "sp1_2", "Apple M1", "spdisplays_ yes", "",
	} {
		if got, want := isSPKey(s), re.MatchString(s); got != want {
			t.Errorf("isSPKey(%q) = %v, want %v", s, got, want)
		}
	}
}

// Slots are numbered as the official agent numbers them: the digit of the
// first "DIMM<digit>" in the name.
func TestDIMMNumber(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		ok   bool
	}{
		{"BANK 0/DIMM0", 0, true}, {"BANK 1/ChannelB-DIMM1", 1, true}, {"DIMM_A DIMM3", 3, true},
		{"RAM slot #2/RAM slot #2", 0, false}, {"DIMM", 0, false}, {"dimm2", 0, false},
	} {
		if n, ok := dimmNumber(tc.name); n != tc.n || ok != tc.ok {
			t.Errorf("dimmNumber(%q) = %d, %v, want %d, %v", tc.name, n, ok, tc.n, tc.ok)
		}
	}
	if got := macDIMMStatus("ok"); got != "OK" {
		t.Errorf(`macDIMMStatus("ok") = %q`, got)
	}
	if got := macDIMMStatus("failed"); got != "Failed" {
		t.Errorf(`macDIMMStatus("failed") = %q`, got)
	}
}
