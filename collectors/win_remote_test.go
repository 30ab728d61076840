package collectors

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf16"

	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// remoteMachine returns a Windows machine with the registry reg and the
// files under dir/files (files/C/ProgramData/…).
func remoteMachine(dir string, reg registrySource) winHost {
	return winHost{reg: reg, files: fileFixture{dir: filepath.Join(dir, "files")}}
}

// remoteFixture loads the registry of the fixture machine in dir.
func remoteFixture(t *testing.T, dir string) registrySource {
	t.Helper()
	h, err := winFixture(dir)
	if err != nil {
		t.Fatal(err)
	}
	return h.reg
}

// collectRemote runs winRemoteMgmt on h and returns its section.
func collectRemote(t *testing.T, h winHost) ([]RemoteMgmt, error) {
	t.Helper()
	return collectWin[[]RemoteMgmt](t, winRemoteMgmt, h)
}

func TestWinRemoteMgmt(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []RemoteMgmt
	}{
		// Every tool, in its 64-bit place, on a Windows installed on D:.
		{"tools", []RemoteMgmt{
			{Type: "anydesk", ID: "987654321"},
			{Type: "anydesk", ID: "123456789"},
			{Type: "dwservice", ID: "Front desk - PC-042"},
			{Type: "litemanager", ID: "ID_1234567"},
			{Type: "meshcentral", ID: "a1B2c3D4e5F6a1B2c3D4e5F6a1B2c3D4e5F6a1B2c3D4e5F6a1B2c3D4e5F6a1B2"},
			{Type: "rms", ID: "891-759-358-441"},
			{Type: "rustdesk", ID: "1234567890"},
			{Type: "simplehelp", ID: "SG_-1234567890"},
			{Type: "supremo", ID: "000123456"},
			{Type: "tacticalrmm", ID: "QWERTYuiopASDFghjklZXCVbnm0123456789abcd"},
			{Type: "teamviewer", ID: "1000000007"},
		}},
		// 32-bit releases, in the WOW6432Node view; DWService stopped.
		{"wow32", []RemoteMgmt{
			{Type: "anydesk", ID: "555666777"},
			{Type: "dwservice", ID: "yyYYyYYyyYyyyYYYyyYY"},
			{Type: "supremo", ID: "123456789"},
			{Type: "teamviewer", ID: "660666566"},
		}},
		// Old releases keeping their ids in VersionN subkeys.
		{"versioned", []RemoteMgmt{
			{Type: "supremo", ID: "000012345"},
			{Type: "teamviewer", ID: "1000000000"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "windows_remote", tc.name)
			got, err := collectRemote(t, remoteMachine(dir, remoteFixture(t, dir)))
			if err != nil {
				t.Fatalf("winRemoteMgmt: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("winRemoteMgmt =\n%+v\nwant\n%+v", got, tc.want)
			}
			schematest.Validate(t, map[string]any{
				"deviceid": "x-2024-01-01-00-00-00",
				"content":  map[string]any{"versionclient": "test", "remote_mgmt": got},
			})
		})
	}
}

func TestWinRemoteMgmtNone(t *testing.T) {
	for _, tc := range []struct{ name, reg string }{
		{"empty registry", ""},
		// Installed, not yet given an id.
		{"no ids", `[HKEY_LOCAL_MACHINE\SOFTWARE\TeamViewer]
"Version"="15.27.3"

[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\TeamViewer\Version15]
"ClientID"=dword:00000000

[HKEY_LOCAL_MACHINE\SOFTWARE\Open Source\Mesh Agent]
"MeshServer"="wss://mesh.example.com:443/agent.ashx"

[HKEY_LOCAL_MACHINE\SOFTWARE\Usoris\Remote Utilities Host\Host\Parameters]
"InternetId"=hex:00
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectRemote(t, remoteMachine(t.TempDir(), regFixture(t, tc.reg)))
			if !errors.Is(err, ErrNoData) {
				t.Errorf("winRemoteMgmt = %+v, %v; want no data", got, err)
			}
		})
	}
}

func TestWinRemoteMgmtFails(t *testing.T) {
	tools := filepath.Join("testdata", "windows_remote", "tools")
	for _, tc := range []struct {
		name string
		host func(t *testing.T) winHost
	}{
		{"teamviewer key unreadable", func(t *testing.T) winHost {
			return remoteMachine(tools, brokenRegistry{remoteFixture(t, tools), `SOFTWARE\TeamViewer`})
		}},
		{"folders key unreadable", func(t *testing.T) winHost {
			return remoteMachine(tools, brokenRegistry{remoteFixture(t, tools), regProfileList})
		}},
		{"anydesk configuration unreadable", func(t *testing.T) winHost {
			root := t.TempDir()
			// A folder where the file should be cannot be read as one.
			if err := os.MkdirAll(filepath.Join(root, "files", "C", "ProgramData", "AnyDesk", "system.conf"), 0o755); err != nil {
				t.Fatal(err)
			}
			return remoteMachine(root, regFixture(t, ""))
		}},
		{"anydesk folder unreadable", func(t *testing.T) winHost {
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, "files", "C", "ProgramData"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "files", "C", "ProgramData", "AnyDesk"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return remoteMachine(root, regFixture(t, ""))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectRemote(t, tc.host(t))
			if err == nil || errors.Is(err, ErrNoData) {
				t.Errorf("winRemoteMgmt = %+v, %v; want an error", got, err)
			}
		})
	}
}

func TestRegClientID(t *testing.T) {
	reg := regFixture(t, `[HKEY_LOCAL_MACHINE\SOFTWARE\Test]
"Dword"=dword:2760f8c6
"Zero"=dword:00000000
"Hex"="0x2760F8C6"
"Decimal"="660666566"
"Text"="abc"
`)
	k, err := reg.OpenKey(hklm, `SOFTWARE\Test`, view64)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"Dword": "660666566", "Zero": "", "Hex": "660666566", "Decimal": "660666566", "Text": "abc", "Missing": "",
	} {
		if got := regClientID(k, name); got != want {
			t.Errorf("regClientID(%s) = %q, want %q", name, got, want)
		}
	}
}

func TestRMSInternetID(t *testing.T) {
	const doc = `<?xml version="1.0" encoding="UTF-16"?><rms_internet_id_settings version="70000">` +
		`<internet_id>891-759-358-441</internet_id></rms_internet_id_settings>`
	utf16LE := func(s string) []byte {
		b := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			b = binary.LittleEndian.AppendUint16(b, u)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"utf-8", []byte(doc), "891-759-358-441"},
		{"utf-16", utf16LE(doc), "891-759-358-441"},
		{"nul terminated", append([]byte(doc), 0), "891-759-358-441"},
		{"other document", []byte(`<settings><internet_id>1</internet_id></settings>`), ""},
		{"no document", []byte("891-759-358-441"), ""},
		{"empty", nil, ""},
	} {
		if got := rmsInternetID(tc.in); got != tc.want {
			t.Errorf("rmsInternetID(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDWServiceName(t *testing.T) {
	shm := func(header, data string) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(header))), header+data...)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"name", shm(`{"name":{"pos":2,"size":10}}`, "12  PC  042 xyz"), "PC 042"},
		{"string positions", shm(`{"name":{"pos":"0","size":"6"}}`, "PC-042"), "PC-042"},
		{"short data", shm(`{"name":{"pos":0,"size":80}}`, "PC-042  "), "PC-042"},
		{"blank name", shm(`{"name":{"pos":0,"size":4}}`, "    "), ""},
		{"no name", shm(`{"state":{"pos":0,"size":1}}`, "1"), ""},
		{"bad position", shm(`{"name":{"pos":-1,"size":4}}`, "PC-042"), ""},
		{"bad header", shm(`{"name":`, ""), ""},
		{"header past the end", []byte{0, 0, 1, 0, '{'}, ""},
		{"empty", nil, ""},
	} {
		if got := dwServiceName(tc.in); got != tc.want {
			t.Errorf("dwServiceName(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
