package collectors

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// softwareReg is a 64-bit machine with a few made-up Uninstall entries.
const softwareReg = `Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{11111111-2222-3333-4444-555555555555}]
"DisplayName"="Widget Studio"
"DisplayVersion"="3.1.4"
"Publisher"="Widget Corp "
"InstallDate"="20240315"
"SystemComponent"=dword:00000001
"NoRemove"=dword:00000001

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Gadget_is1]
"DisplayName"="Gadget 2.7"
"DisplayVersion"="2.7.1"
"MajorVersion"=dword:00000002
"MinorVersion"=dword:00000007
"UninstallString"="\"C:\\Program Files\\Gadget\\unins000.exe\""

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\KB123456]
"DisplayName"="Update for Widget OS (KB123456)"
"ParentKeyName"="OperatingSystem"
"ReleaseType"="Update"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\NoDisplayName]
"InstallSource"="C:\\src"
"Version"=dword:00000001

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\OneValue]
"DisplayName"="Only a name"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Empty]

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Database 2005]
"DisplayName"="Microsoft SQL Server 2005"
"DisplayVersion"="9.1.2"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Engine]
"DisplayName"="SQL Server 2016 Database Engine Services"
"DisplayVersion"="13.0.1"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\Instance Names\SQL]
"MAIN"="MSSQL9.MAIN"
"EXPRESS"="MSSQL13.EXPRESS"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\MSSQL9.MAIN\Setup]
"Version"="9.1.2"
"Edition"="Standard Edition"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\MSSQL13.EXPRESS\Setup]
"Version"="13.0.1"
"Edition"="Express Edition"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Internet Explorer]
"Version"="9.11.1"
"svcVersion"="11.0.2"

[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\Gadget_is1]
"DisplayName"="Gadget 2.7"
"DisplayVersion"="2.7.1"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\S-1-5-21-1-2-3-1001]
"ProfileImagePath"="C:\\Users\\alice"

[HKEY_USERS\S-1-5-21-1-2-3-1001\Software\Microsoft\Windows\CurrentVersion\Uninstall\Editor]
"DisplayName"="Editor"
"DisplayVersion"="1.0"

[HKEY_USERS\S-1-5-21-1-2-3-1002\Software\Microsoft\Windows\CurrentVersion\Uninstall\Orphan]
"DisplayName"="Orphan"
"DisplayVersion"="1.0"
`

// fakeWMI answers every query with err, or with no instances.
type fakeWMI struct{ err error }

func (f fakeWMI) Query(_, _ string, _ any) error { return f.err }

func softwareHost(t *testing.T, wmiErr error) winHost {
	t.Helper()
	reg, err := parseRegFile([]byte(softwareReg))
	if err != nil {
		t.Fatal(err)
	}
	return winHost{reg: reg, wmi: fakeWMI{wmiErr}}
}

func softwareByName(list []Software) map[string][]Software {
	m := map[string][]Software{}
	for _, s := range list {
		m[s.Name] = append(m[s.Name], s)
	}
	return m
}

func TestWinSoftware(t *testing.T) {
	list, err := collectWin[[]Software](t, winSoftware, softwareHost(t, nil))
	if err != nil {
		t.Fatalf("winSoftware: %v", err)
	}
	got := softwareByName(list)
	for _, tc := range []struct {
		name string
		want []Software
	}{
		{"Widget Studio", []Software{{Name: "Widget Studio", Version: "3.1.4", Publisher: "Widget Corp", InstallDate: "2024-03-15",
			From: "registry", Arch: "x86_64", GUID: "{11111111-2222-3333-4444-555555555555}", SystemCategory: categorySystemComponent, NoRemove: true}}},
		{"Gadget 2.7", []Software{
			{Name: "Gadget 2.7", Version: "2.7.1", VersionMajor: "2", VersionMinor: "7", UninstallString: `"C:\Program Files\Gadget\unins000.exe"`,
				From: "registry", Arch: "x86_64", GUID: "Gadget_is1", SystemCategory: categoryApplication},
			{Name: "Gadget 2.7", Version: "2.7.1", From: "registry", Arch: "i586", GUID: "Gadget_is1", SystemCategory: categoryApplication}}},
		{"Update for Widget OS (KB123456)", []Software{{Name: "Update for Widget OS (KB123456)", ReleaseType: "Update",
			From: "registry", Arch: "x86_64", GUID: "KB123456", SystemCategory: categoryApplication}}},
		{"NoDisplayName", []Software{{Name: "NoDisplayName", From: "registry", Arch: "x86_64", GUID: "NoDisplayName", SystemCategory: categoryApplication}}},
		{"Only a name", nil},
		{"Empty", nil},
		{"Microsoft SQL Server 2005 Standard Edition", []Software{{Name: "Microsoft SQL Server 2005 Standard Edition", Version: "9.1.2",
			From: "registry", Arch: "x86_64", GUID: "Database 2005", SystemCategory: categoryApplication}}},
		{"SQL Server 2016 Express Edition Database Engine Services", []Software{{Name: "SQL Server 2016 Express Edition Database Engine Services",
			Version: "13.0.1", From: "registry", Arch: "x86_64", GUID: "Engine", SystemCategory: categoryApplication}}},
		{"Internet Explorer (64bit)", []Software{{Name: "Internet Explorer (64bit)", Version: "11.0.2", Publisher: "Microsoft Corporation",
			From: "registry", Arch: "x86_64"}}},
		{"Editor", []Software{{Name: "Editor", Version: "1.0", From: "registry", Arch: "x86_64", GUID: "Editor", SystemCategory: categoryApplication,
			UserID: "1001", UserName: "alice"}}},
		{"Orphan", nil},
	} {
		if g := got[tc.name]; !reflect.DeepEqual(g, tc.want) {
			t.Errorf("winSoftware entries %q = %+v, want %+v", tc.name, g, tc.want)
		}
	}
}

func TestWinSoftwareHotfixQueryFails(t *testing.T) {
	list, err := collectWin[[]Software](t, winSoftware, softwareHost(t, errors.New("0x80041003 access denied")))
	if err != nil {
		t.Fatalf("winSoftware with a failed hotfix query: %v, want the registry list", err)
	}
	if len(softwareByName(list)["Widget Studio"]) != 1 {
		t.Errorf("winSoftware with a failed hotfix query = %+v, want the registry list", list)
	}
}

// brokenRegistry fails to open one key with an error other than "not found".
type brokenRegistry struct {
	registrySource
	path string
}

func (b brokenRegistry) OpenKey(hive regHive, path string, view regView) (regKey, error) {
	if strings.EqualFold(path, b.path) {
		return nil, errors.New("access denied")
	}
	return b.registrySource.OpenKey(hive, path, view)
}

func TestWinSoftwareRegistryFails(t *testing.T) {
	for _, path := range []string{regUninstall} {
		h := softwareHost(t, nil)
		h.reg = brokenRegistry{h.reg, path}
		if list, err := collectWin[[]Software](t, winSoftware, h); err == nil {
			t.Errorf("winSoftware with %s unreadable = %d entries, nil error; want an error", path, len(list))
		}
	}
	// A user hive that cannot be read only loses its own entries.
	h := softwareHost(t, nil)
	h.reg = brokenRegistry{h.reg, `S-1-5-21-1-2-3-1001\` + regUninstall}
	list, err := collectWin[[]Software](t, winSoftware, h)
	if err != nil {
		t.Fatalf("winSoftware with a user hive unreadable: %v", err)
	}
	if got := softwareByName(list); len(got["Editor"]) != 0 || len(got["Widget Studio"]) != 1 {
		t.Errorf("winSoftware with a user hive unreadable = %+v, want the machine's entries only", list)
	}
}

func TestWinSoftwareNoRegistry(t *testing.T) {
	reg, err := parseRegFile([]byte("Windows Registry Editor Version 5.00\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if list, err := collectWin[[]Software](t, winSoftware, winHost{reg: reg, wmi: fakeWMI{}}); !errors.Is(err, ErrNoData) {
		t.Errorf("winSoftware without Uninstall keys = %+v, %v; want ErrNoData", list, err)
	}
}

func TestSidRID(t *testing.T) {
	for in, want := range map[string]string{"S-1-5-21-1-2-3-1001": "1001", "S-1-5-18": "18"} {
		if got := sidRID(in); got != want {
			t.Errorf("sidRID(%q) = %q, want %q", in, got, want)
		}
	}
}
