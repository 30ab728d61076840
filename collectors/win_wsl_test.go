package collectors

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// wslReg has alice logged on (her Volatile Environment names her) with an
// Ubuntu on WSL 2 and a Debian on WSL 1, bob's hive loaded by a service
// (no Volatile Environment: his profile's folder names him) with an
// Ubuntu, and a third user whose Lxss key holds no distribution.
const wslReg = `Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\S-1-5-21-1-2-3-1001]
"ProfileImagePath"="%SystemDrive%\\Users\\alice"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\S-1-5-21-1-2-3-1002]
"ProfileImagePath"="C:\\Users\\bob"

[HKEY_USERS\S-1-5-21-1-2-3-1001\Volatile Environment]
"USERNAME"="Alice"

[HKEY_USERS\S-1-5-21-1-2-3-1001\Software\Microsoft\Windows\CurrentVersion\Lxss]
"DefaultDistribution"="{11111111-2222-3333-4444-555555555555}"

[HKEY_USERS\S-1-5-21-1-2-3-1001\Software\Microsoft\Windows\CurrentVersion\Lxss\{11111111-2222-3333-4444-555555555555}]
"DistributionName"="Ubuntu"
"BasePath"="C:\\Users\\alice\\AppData\\Local\\Packages\\CanonicalGroupLimited.Ubuntu_79rhkp1fndgsc\\LocalState"
"Version"=dword:00000002

[HKEY_USERS\S-1-5-21-1-2-3-1001\Software\Microsoft\Windows\CurrentVersion\Lxss\{66666666-7777-8888-9999-000000000000}]
"DistributionName"="Debian"
"BasePath"="\\\\?\\C:\\Users\\alice\\AppData\\Local\\Packages\\TheDebianProject.DebianGNULinux_76v4gfsz19hv4\\LocalState"

[HKEY_USERS\S-1-5-21-1-2-3-1001\Software\Microsoft\Windows\CurrentVersion\Lxss\AppxInstallerCache]
"DistributionName"="not a distribution"
"BasePath"="C:\\nowhere"

[HKEY_USERS\S-1-5-21-1-2-3-1002\Software\Microsoft\Windows\CurrentVersion\Lxss\{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}]
"DistributionName"="Ubuntu"
"BasePath"="C:\\Users\\bob\\AppData\\Local\\Packages\\CanonicalGroupLimited.Ubuntu_79rhkp1fndgsc\\LocalState"

[HKEY_USERS\S-1-5-21-1-2-3-1003\Software\Microsoft\Windows\CurrentVersion\Lxss]
"DefaultVersion"=dword:00000002
`

// wslHost writes a fixture machine with wslReg, two sockets of four cores,
// memoryMB of memory, Windows version and, if files, alice's .wslconfig
// and her Debian's WSL 1 file system.
func wslHost(t *testing.T, version string, memoryMB int, withFiles bool) winHost {
	t.Helper()
	files := map[string]string{
		"registry.reg":                   wslReg,
		"wmi/Win32_Processor.json":       `[{"NumberOfCores": "4"}, {"NumberOfCores": "4"}]`,
		"wmi/Win32_ComputerSystem.json":  `[{"TotalPhysicalMemory": "` + strconv.Itoa(memoryMB<<20) + `"}]`,
		"wmi/Win32_OperatingSystem.json": `[{"Version": "` + version + `", "BuildNumber": "` + version[strings.LastIndexByte(version, '.')+1:] + `", "SystemDrive": "C:"}]`,
	}
	if withFiles {
		files["files/C/Users/alice/.wslconfig"] = "[wsl]\nmemory=1GB\n\n[wsl2]\nmemory = 4GB\nprocessors=2\n"
		files["files/C/Users/alice/AppData/Local/Packages/TheDebianProject.DebianGNULinux_76v4gfsz19hv4/LocalState/rootfs/etc/hostname"] = "debian\n"
	}
	dir := writeTree(t, files)
	h, err := winFixture(dir)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestWSLMachines(t *testing.T) {
	// The UUIDs are made from "<SID>/<distribution>" (TestUUIDV3DNS).
	for _, tc := range []struct {
		name    string
		version string
		memory  int
		files   bool
		want    []VirtualMachine
	}{
		{"Windows 11, .wslconfig and a WSL 1 distribution", "10.0.22631", 32768, true, []VirtualMachine{
			{Name: "Ubuntu on Alice account", Subsystem: "WSL", VMType: "WSL2", VCPU: 2, Memory: 4096, UUID: uuidOf("S-1-5-21-1-2-3-1001/Ubuntu")},
			{Name: "Debian on Alice account", Subsystem: "WSL", VMType: "WSL1", VCPU: 2, Memory: 32768, UUID: uuidOf("S-1-5-21-1-2-3-1001/Debian")},
			{Name: "Ubuntu on bob account", Subsystem: "WSL", VMType: "WSL2", VCPU: 8, Memory: 8192, UUID: uuidOf("S-1-5-21-1-2-3-1002/Ubuntu")},
		}},
		{"Windows 10, defaults", "10.0.19045", 16384, false, []VirtualMachine{
			{Name: "Ubuntu on Alice account", Subsystem: "WSL", VMType: "WSL2", VCPU: 8, Memory: 13107, UUID: uuidOf("S-1-5-21-1-2-3-1001/Ubuntu")},
			{Name: "Debian on Alice account", Subsystem: "WSL", VMType: "WSL2", VCPU: 8, Memory: 13107, UUID: uuidOf("S-1-5-21-1-2-3-1001/Debian")},
			{Name: "Ubuntu on bob account", Subsystem: "WSL", VMType: "WSL2", VCPU: 8, Memory: 13107, UUID: uuidOf("S-1-5-21-1-2-3-1002/Ubuntu")},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectWin[[]VirtualMachine](t, winVirtualMachines, wslHost(t, tc.version, tc.memory, tc.files))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// uuidOf is uuidV3DNS in upper case; TestUUIDV3DNS holds it to Perl's.
func uuidOf(name string) string { return strings.ToUpper(uuidV3DNS(name)) }

// TestUUIDV3DNS holds the UUIDs to the ones Perl's Data::UUID makes with
// create_from_name_str(NameSpace_DNS, name), which the official agent
// gives WSL distributions.
func TestUUIDV3DNS(t *testing.T) {
	for name, want := range map[string]string{
		"S-1-5-21-1-2-3-1001/Ubuntu":                          "985F2943-BA04-3FCE-92AE-FB0F96140BCB",
		"www.example.com":                                     "5DF41881-3AED-3515-88A7-2F4A814CF09E",
		"S-1-5-21-3623811015-3361044348-30300820-1013/Debian": "4335E3D2-0B53-390C-9354-604A24281591",
	} {
		if got := uuidOf(name); got != want {
			t.Errorf("uuidV3DNS(%q) = %s, want %s", name, got, want)
		}
	}
}

func TestParseWSLConfig(t *testing.T) {
	for in, want := range map[string]wslConfig{
		"[wsl2]\nmemory=4GB\nprocessors=2\n":       {4096, 2},
		"[wsl2]\r\nmemory = 512MB\r\n":             {512, 0},
		"[wsl2]\nmemory=1.5GB\n":                   {1536, 0},
		"[wsl2]\nmemory=2147483648\n":              {2048, 0},
		"[experimental]\nmemory=4GB\nprocessors=2": {},
		"memory=4GB\n":                             {},
		"[wsl2]\nmemory=lots\nprocessors=many\n":   {},
	} {
		if got := parseWSLConfig(in); got != want {
			t.Errorf("parseWSLConfig(%q) = %+v, want %+v", in, got, want)
		}
	}
}

// TestWSLMachinesFailing: a WSL distribution with the host's WMI failing
// is the collector's error, not a section without it.
func TestWSLMachinesFailing(t *testing.T) {
	h := wslHost(t, "10.0.22631", 8192, false)
	h.wmi = wmiStub{errs: map[string]error{"Win32_Processor": errors.New("status 0x80041033")}}
	if _, err := collectWin[[]VirtualMachine](t, winVirtualMachines, h); err == nil || errors.Is(err, ErrNoData) {
		t.Fatalf("got %v, want the query's error", err)
	}
}

// TestWSLMachinesKept: alice's distributions stay while she is logged off,
// under the name and UUID they had, from what the last run kept; they go
// with her profile.
func TestWSLMachinesKept(t *testing.T) {
	cache := t.TempDir()
	// without drops the registry blocks of wslReg whose key starts with
	// prefix.
	without := func(prefix string) string {
		var keep []string
		for _, block := range strings.Split(wslReg, "\n\n") {
			if !strings.HasPrefix(strings.TrimSpace(block), prefix) {
				keep = append(keep, block)
			}
		}
		return strings.Join(keep, "\n\n")
	}
	run := func(reg string) []VirtualMachine {
		t.Helper()
		h := wslHost(t, "10.0.22631", 32768, true)
		r, err := parseRegFile([]byte(reg))
		if err != nil {
			t.Fatal(err)
		}
		h.reg = r
		env := winEnv(h)
		env.Options.CacheDir = cache
		v, err := winVirtualMachines(t.Context(), env)
		if err != nil {
			t.Fatal(err)
		}
		return v.([]VirtualMachine)
	}
	ubuntu := VirtualMachine{Name: "Ubuntu on Alice account", Subsystem: "WSL", VMType: "WSL2", VCPU: 2, Memory: 4096, UUID: uuidOf("S-1-5-21-1-2-3-1001/Ubuntu")}
	debian := VirtualMachine{Name: "Debian on Alice account", Subsystem: "WSL", VMType: "WSL1", VCPU: 2, Memory: 32768, UUID: uuidOf("S-1-5-21-1-2-3-1001/Debian")}
	bob := VirtualMachine{Name: "Ubuntu on bob account", Subsystem: "WSL", VMType: "WSL2", VCPU: 8, Memory: 8192, UUID: uuidOf("S-1-5-21-1-2-3-1002/Ubuntu")}
	if got, want := run(wslReg), []VirtualMachine{ubuntu, debian, bob}; !reflect.DeepEqual(got, want) {
		t.Errorf("logged on: got %+v\nwant %+v", got, want)
	}
	loggedOff := without(`[HKEY_USERS\S-1-5-21-1-2-3-1001`)
	if got, want := run(loggedOff), []VirtualMachine{bob, ubuntu, debian}; !reflect.DeepEqual(got, want) {
		t.Errorf("alice logged off: got %+v\nwant %+v", got, want)
	}
	gone := strings.Replace(loggedOff, `[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\S-1-5-21-1-2-3-1001]
"ProfileImagePath"="%SystemDrive%\\Users\\alice"`, "", 1)
	if got, want := run(gone), []VirtualMachine{bob}; !reflect.DeepEqual(got, want) {
		t.Errorf("alice's profile removed: got %+v\nwant %+v", got, want)
	}
	if got, want := run(loggedOff), []VirtualMachine{bob}; !reflect.DeepEqual(got, want) {
		t.Errorf("alice's profile back, logged off: got %+v\nwant %+v", got, want)
	}
}
