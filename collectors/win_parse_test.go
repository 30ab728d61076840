package collectors

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

const testReg = `Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Test]
"Plain"="C:\\Program Files\\\"Quoted\""
@="default"
"Count"=dword:0000002a
"Expand"=hex(2):25,00,50,00,41,00,54,00,48,00,25,00,00,00
"Multi"=hex(7):61,00,00,00,62,00,63,00,00,00,00,00
"Big"=hex(b):00,00,00,00,01,00,00,00
"Blob"=hex:01,02,\
  03,04
"Gone"=-

[HKEY_LOCAL_MACHINE\SOFTWARE\Test\Child]

[-HKEY_LOCAL_MACHINE\SOFTWARE\Removed]
"Ignored"="x"
`

func TestParseRegFile(t *testing.T) {
	u := utf16.Encode([]rune(testReg))
	le := []byte{0xFF, 0xFE}
	for _, c := range u {
		le = append(le, byte(c), byte(c>>8))
	}
	for name, data := range map[string][]byte{"utf-8": []byte(testReg), "utf-16le": le} {
		t.Run(name, func(t *testing.T) {
			r, err := parseRegFile(data)
			if err != nil {
				t.Fatal(err)
			}
			k, err := r.OpenKey(hklm, `software\test`, view64)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct{ name, want string }{
				{"Plain", `C:\Program Files\"Quoted"`},
				{"", "default"},
				{"Expand", "%PATH%"},
			} {
				if got, _ := k.String(tc.name); got != tc.want {
					t.Errorf("String(%q) = %q, want %q", tc.name, got, tc.want)
				}
			}
			if got, _ := k.Integer("Count"); got != 42 {
				t.Errorf("Integer(Count) = %d, want 42", got)
			}
			if got, _ := k.Integer("Big"); got != 1<<32 {
				t.Errorf("Integer(Big) = %d, want %d", got, uint64(1)<<32)
			}
			if got, _ := k.Strings("Multi"); !slices.Equal(got, []string{"a", "bc"}) {
				t.Errorf("Strings(Multi) = %q, want [a bc]", got)
			}
			if got, _ := k.Binary("Blob"); !slices.Equal(got, []byte{1, 2, 3, 4}) {
				t.Errorf("Binary(Blob) = %v, want [1 2 3 4]", got)
			}
			if _, ok := k.String("Gone"); ok {
				t.Error(`String("Gone") found a deleted value`)
			}
			if _, ok := k.String("Count"); ok {
				t.Error(`String("Count") read a DWORD as a string`)
			}
			if sub, _ := k.SubKeys(); !slices.Equal(sub, []string{"Child"}) {
				t.Errorf("SubKeys() = %q, want [Child]", sub)
			}
			if _, err := r.OpenKey(hklm, `SOFTWARE\Removed`, view64); err == nil {
				t.Error("OpenKey(Removed) found a deleted key")
			}
		})
	}
	if _, err := parseRegFile([]byte("[HKEY_LOCAL_MACHINE\\X]\n")); err == nil {
		t.Error("parseRegFile without header: no error")
	}
}

func TestRegFileView32(t *testing.T) {
	r, err := parseRegFile([]byte("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\App]\r\n\"V\"=\"32\"\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := openValues(r, hklm, `SOFTWARE\App`, view32).str("V"); got != "32" {
		t.Errorf("32-bit view of SOFTWARE\\App: V = %q, want 32", got)
	}
	if openValues(r, hklm, `SOFTWARE\App`, view64).ok() {
		t.Error("64-bit view of SOFTWARE\\App exists, want missing")
	}
}

func TestParseCIMDateTime(t *testing.T) {
	for _, tc := range []struct{ in, date, datetime string }{
		{"20231102142312.000000+060", "2023-11-02", "2023-11-02 14:23:12"},
		{"20220127093000.000000-300", "2022-01-27", "2022-01-27 09:30:00"},
		{"20231012******.******+***", "2023-10-12", "2023-10-12 00:00:00"},
		{"", "", ""},
		{"garbage", "", ""},
	} {
		if got := cimDate(tc.in); got != tc.date {
			t.Errorf("cimDate(%q) = %q, want %q", tc.in, got, tc.date)
		}
		if got := cimDateTime(tc.in); got != tc.datetime {
			t.Errorf("cimDateTime(%q) = %q, want %q", tc.in, got, tc.datetime)
		}
	}
	ts, _ := parseCIMDateTime("20231102142312.000000+060")
	if _, off := ts.Zone(); off != 3600 {
		t.Errorf("offset of +060 = %d s, want 3600", off)
	}
}

func TestRegDate(t *testing.T) {
	for in, want := range map[string]string{
		"20231104": "2023-11-04", "2023115": "2023-01-15", "11/15/2023": "2023-11-15",
		"3/2/2022": "2022-03-02", "15.09.2023": "2023-09-15", "2023-09-15": "2023-09-15",
		"20231345": "", "": "", "0": "", "19000101": "",
	} {
		if got := regDate(in); got != want {
			t.Errorf("regDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProductState(t *testing.T) {
	for _, tc := range []struct {
		state             uint32
		enabled, uptodate bool
	}{
		{397568, true, true},  // 0x061100: Defender on, current
		{393472, false, true}, // 0x060100: Defender off behind another product
		{266240, true, true},  // 0x041000: third party on
		{397584, true, false}, // 0x061110: out of date
		{262144, false, true}, // 0x040000
		{401664, false, true}, // 0x062100: snoozed, as 0x2? is not 0x1?
	} {
		e, u := productState(tc.state)
		if e != tc.enabled || u != tc.uptodate {
			t.Errorf("productState(%#x) = %v, %v, want %v, %v", tc.state, e, u, tc.enabled, tc.uptodate)
		}
	}
}

func TestWinEnums(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{cpuID(" bfebfbff000906a3 "), "BFEBFBFF000906A3"},
		{cpuID(""), ""},
		{tableName(wmiMemoryFormFactors[:], 12), "SODIMM"},
		{tableName(wmiMemoryFormFactors[:], 99), ""},
		{enumName(memoryTypes[:], 34), "DDR5"},
		{chassisName("10"), "Notebook"},
		// The official agent's Windows names, then dmidecode's.
		{winChassisName(17), "Main System Chassis"},
		{winChassisName(2), "Unknown"},
		{winChassisName(31), "Convertible"},
		{winChassisName(99), ""},
		{tableName(bitlockerMethods[:], 7), "XTS_AES_256"},
		{pciIDFromPnP(`PCI\VEN_8086&DEV_1A1C&SUBSYS_330E17AA&REV_11\3&11583659&0&FE`), "8086:1A1C:330E:17AA"},
		{pciIDFromPnP(`ROOT\NET\0000`), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestAppxSoftware(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		want Software
	}{
		{"Microsoft.WindowsCalculator_11.2307.4.0_x64__8wekyb3d8bbwe", true,
			Software{Name: "Microsoft WindowsCalculator", Version: "11.2307.4.0", Arch: "x86_64", Publisher: "Microsoft Corporation", From: "uwp", SystemCategory: "application"}},
		{"Microsoft.WindowsCalculator_11.2307.4.0_neutral_~_8wekyb3d8bbwe", false, Software{}},
		{"bogus", false, Software{}},
	} {
		got, ok := appxSoftware(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("appxSoftware(%q) = %+v, %v, want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWQLWhere(t *testing.T) {
	obj := map[string]any{"LocalAccount": true, "Name": "Admin", "Index": 3.0, "Caption": nil,
		"Path": `\\PC\root\cimv2:Win32_Group.Domain="pc",Name="Adm'in"`}
	for where, want := range map[string]bool{
		"":                                       true,
		"LocalAccount = TRUE":                    true,
		"localaccount = FALSE":                   false,
		"LocalAccount = TRUE AND Name = 'admin'": true,
		"Name <> 'Admin'":                        false,
		"Index = 3":                              true,
		"Name IS NOT NULL":                       true,
		"Name is null":                           false,
		"Caption IS NULL":                        true,
		"Missing IS NULL AND Index = 3":          true,
		"Missing IS NOT NULL":                    false,
		"Name = 'Admin' AND Index = 3":           true,
		`Name = "Ad AND min" AND Index = 3`:      false,
		`Caption IS NULL AND Name = 'Adm\\in'`:   false,
		`Name = 'Ad\\min'`:                       false,
		`Name = 'A\dmin'`:                        true, // \d is d
		"Name <> 'x' AND Index <> 4":             true,
		`Path = "Win32_Group.Domain='PC',Name='Adm\\'in'"`: true,
		`Path = 'Win32_Group.Domain="PC",Name="Users"'`:    false,
	} {
		c, err := parseWQLWhere(where)
		if err != nil {
			t.Fatalf("parseWQLWhere(%q): %v", where, err)
		}
		if got := c.match(obj); got != want {
			t.Errorf("match(%q) = %v, want %v", where, got, want)
		}
	}
	for _, where := range []string{"Name LIKE 'A%'", "Name = 'open", "Name = 'a' b", "Name < 3"} {
		if _, err := parseWQLWhere(where); err == nil {
			t.Errorf("parseWQLWhere(%q) = nil error, want unsupported", where)
		}
	}
}

func TestWindowsMachineGUID(t *testing.T) {
	for name, want := range map[string]string{
		"laptop": "6f1c2a7e-93b4-4d0a-8c55-1e2f3a4b5c6d",
		"server": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
	} {
		h, err := winFixture("testdata/windows/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if got := windowsMachineGUID(h.reg); got != want {
			t.Errorf("windowsMachineGUID(%s) = %q, want %q", name, got, want)
		}
	}
}

func TestParseWMIObjectPath(t *testing.T) {
	for _, tc := range []struct {
		in    string
		ok    bool
		class string
		keys  map[string]string
	}{
		{`\\PC\root\cimv2:Win32_Group.Domain="PC",Name="Administrators"`, true,
			"Win32_Group", map[string]string{"domain": "PC", "name": "Administrators"}},
		{`\\pc.corp.example.com\root\cimv2:Win32_UserAccount.Domain="CORP",Name="alice"`, true,
			"Win32_UserAccount", map[string]string{"domain": "CORP", "name": "alice"}},
		{`root\cimv2:Win32_SystemAccount.Domain="PC",Name="INTERACTIVE"`, true,
			"Win32_SystemAccount", map[string]string{"domain": "PC", "name": "INTERACTIVE"}},
		{`Win32_Group.Domain='PC',Name='O\'Brien\'s'`, true,
			"Win32_Group", map[string]string{"domain": "PC", "name": "O'Brien's"}},
		{`Win32_Group.Domain="PC",Name="say \"hi\" C:\\x:y"`, true,
			"Win32_Group", map[string]string{"domain": "PC", "name": `say "hi" C:\x:y`}},
		{`\\PC\root\cimv2:Win32_Group.Name="a,b=c",Domain="PC"`, true,
			"Win32_Group", map[string]string{"domain": "PC", "name": "a,b=c"}},
		{`\\PC\root\cimv2:Win32_Process.Handle=4`, true, "Win32_Process", map[string]string{"handle": "4"}},
		{`\\PC\root\cimv2:Win32_WMISetting=@`, true, "Win32_WMISetting", map[string]string{}},
		{`Win32_Group.Domain="PC",Name="unterminated`, false, "", nil},
		{`Win32_Group.Domain="PC",`, false, "", nil},
		{`Win32_Group.Domain="PC"Name="x"`, false, "", nil},
		{`Win32_Group.="PC"`, false, "", nil},
		{`Win32_Group`, false, "", nil},
		{``, false, "", nil},
	} {
		p, ok := parseWMIObjectPath(tc.in)
		if ok != tc.ok || p.Class != tc.class || (ok && !maps.Equal(p.Keys, tc.keys)) {
			t.Errorf("parseWMIObjectPath(%q) = %q %q, %v, want %q %q, %v", tc.in, p.Class, p.Keys, ok, tc.class, tc.keys, tc.ok)
		}
	}
}

// TestGroupComponentWhere checks that the WHERE clause naming a group in
// Win32_GroupUser survives both levels of quoting (the object path inside
// the WQL literal) for names with quotes and backslashes, and matches the
// reference WMI returns.
func TestGroupComponentWhere(t *testing.T) {
	for _, name := range []string{"Administrators", "Reporting Team's Readers", `a"b`, `back\slash`, `both '"\`} {
		where := "GroupComponent = " + quoteEscaped(wmiInstancePath("Win32_Group", "Domain", "PC", "Name", name), '"')
		conds, err := parseWQLWhere(where)
		if err != nil {
			t.Fatalf("parseWQLWhere(%s): %v", where, err)
		}
		escaped := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name)
		same := map[string]any{"GroupComponent": `\\PC\root\cimv2:Win32_Group.Domain="PC",Name="` + escaped + `"`}
		other := map[string]any{"GroupComponent": `\\PC\root\cimv2:Win32_Group.Domain="CORP",Name="` + escaped + `"`}
		if !conds.match(same) {
			t.Errorf("%s does not match %s", where, same["GroupComponent"])
		}
		if conds.match(other) {
			t.Errorf("%s matches %s", where, other["GroupComponent"])
		}
	}
}

func TestGroupMemberName(t *testing.T) {
	for _, tc := range []struct {
		part, want string
		ok         bool
	}{
		{`\\PC\root\cimv2:Win32_UserAccount.Domain="PC",Name="alice"`, "alice", true},
		{`\\PC\root\cimv2:Win32_UserAccount.Domain="pc",Name="bob"`, "bob", true},
		{`\\PC\root\cimv2:Win32_Group.Domain="CORP",Name="Domain Admins"`, "Domain Admins@CORP", true},
		{`\\PC\root\cimv2:Win32_UserAccount.Domain="CORP",Name="r.o'neil"`, "r.o'neil@CORP", true},
		{`\\PC\root\cimv2:Win32_SystemAccount.Domain="PC",Name="INTERACTIVE"`, "INTERACTIVE", true},
		{`\\PC\root\cimv2:Win32_UserAccount.Domain="PC",Name=""`, "", false},
		{`garbage`, "", false},
	} {
		got, ok := groupMemberName(tc.part, "PC")
		if got != tc.want || ok != tc.ok {
			t.Errorf("groupMemberName(%q) = %q, %v, want %q, %v", tc.part, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWinAccountName(t *testing.T) {
	for _, tc := range []struct {
		a    winAccount
		want string
	}{
		{winAccount{"NT AUTHORITY", "SYSTEM", "S-1-5-18"}, "SYSTEM"},
		{winAccount{"NT AUTHORITY", "LOCAL SERVICE", ""}, "LOCAL SERVICE"},
		{winAccount{"AUTORITE NT", "Système", "S-1-5-18"}, "Système"},
		{winAccount{"AUTORITE NT", "SERVICE RÉSEAU", "S-1-5-20"}, "SERVICE RÉSEAU"},
		{winAccount{"pc", "alice", "S-1-5-21-1-2-3-1001"}, "alice"},
		{winAccount{"", "alice", ""}, "alice"},
		{winAccount{"CORP", "alice", "S-1-5-21-4-5-6-1104"}, "alice@CORP"},
		{winAccount{"NT SERVICE", "MSSQLSERVER", "S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003"}, "MSSQLSERVER@NT SERVICE"},
		{winAccount{"Window Manager", "DWM-1", "S-1-5-90-0-1"}, "DWM-1@Window Manager"},
	} {
		if got := winAccountName(tc.a, "PC"); got != tc.want {
			t.Errorf("winAccountName(%+v, PC) = %q, want %q", tc.a, got, tc.want)
		}
	}
}

func TestNTAuthoritySID(t *testing.T) {
	for sid, want := range map[string]bool{
		"S-1-5-18": true, "S-1-5-19": true, "S-1-5-20": true, "S-1-5-4": true,
		"S-1-5-32-544": false, "S-1-5-90-0-1": false, "S-1-5-21-1-2-3-500": false,
		"S-1-5-": false, "S-1-1-0": false, "": false,
	} {
		if got := ntAuthoritySID(sid); got != want {
			t.Errorf("ntAuthoritySID(%q) = %v, want %v", sid, got, want)
		}
	}
}
