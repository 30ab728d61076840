package collectors

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseNumberProcessors(t *testing.T) {
	tests := []struct {
		raw  string
		want processorCount
	}{
		{`"proc 12:8:4"`, processorCount{12, 8, 4}},
		{`"proc 8:4:4"`, processorCount{8, 4, 4}},
		{`10`, processorCount{total: 10}},
		{`"proc 24"`, processorCount{total: 24}},
		{`null`, processorCount{}},
		{`{"x":1}`, processorCount{}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := parseNumberProcessors(json.RawMessage(tt.raw)); got != tt.want {
				t.Errorf("parseNumberProcessors(%s) = %+v, want %+v", tt.raw, got, tt.want)
			}
		})
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
	for in, want := range map[string]int{"3.6 GHz": 3600, "2667 MHz": 2667, "2,4 GHz": 0, "Empty": 0} {
		if got := parseSpeedMHz(in); got != want {
			t.Errorf("parseSpeedMHz(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestMacArchKind(t *testing.T) {
	for in, want := range map[string]string{
		"arch_arm": "arm64", "arch_i64": "x86_64", "arch_arm_i64": "universal",
		"arch_i32": "i386", "arch_ios": "arm64", "arch_other": "",
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
		{"", "", "Physical"},
	}
	for _, tt := range tests {
		if got := macVMSystem(tt.model, tt.vmm); got != tt.want {
			t.Errorf("macVMSystem(%q, %q) = %q, want %q", tt.model, tt.vmm, got, tt.want)
		}
	}
}

func TestPNPFromVendorID(t *testing.T) {
	for in, want := range map[string]string{"610": "APP", "10ac": "DEL", "0x1e6d": "GSM", "0": "", "zz": "", "ffff": ""} {
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
