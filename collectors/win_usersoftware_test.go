package collectors

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestWinUserSoftwareKept runs the software collector on one machine over
// several runs: alice's applications are read while her hive is loaded,
// and kept while it is not, until she removes one or her profile goes.
func TestWinUserSoftwareKept(t *testing.T) {
	const profile = `[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\S-1-5-21-1-2-3-1001]
"ProfileImagePath"="C:\\Users\\alice"

`
	const machine = `[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Widget]
"DisplayName"="Widget"
"DisplayVersion"="1.0"

`
	const zoom = `[HKEY_USERS\S-1-5-21-1-2-3-1001\Software\Microsoft\Windows\CurrentVersion\Uninstall\ZoomUMX]
"DisplayName"="Zoom Workplace"
"DisplayVersion"="6.2.0"

`
	const loadedEmpty = `[HKEY_USERS\S-1-5-21-1-2-3-1001\Software\Microsoft\Windows\CurrentVersion\Uninstall]

`
	cache := t.TempDir()
	alice := Software{Name: "Zoom Workplace", Version: "6.2.0", From: "registry", Arch: "i586", GUID: "ZoomUMX",
		SystemCategory: categoryApplication, UserID: "1001", UserName: "alice"}
	widget := Software{Name: "Widget", Version: "1.0", From: "registry", Arch: "i586", GUID: "Widget", SystemCategory: categoryApplication}
	run := func(reg, dir string) []Software {
		t.Helper()
		env := winEnv(winHost{reg: regFixture(t, reg), wmi: fakeWMI{}})
		env.Options.CacheDir = dir
		v, err := winSoftware(t.Context(), env)
		if err != nil {
			t.Fatal(err)
		}
		return v.([]Software)
	}
	steps := []struct {
		name, reg, dir string
		want           []Software
	}{
		{"logged on", machine + profile + zoom, cache, []Software{widget, alice}},
		{"logged off", machine + profile, cache, []Software{widget, alice}},
		{"logged off, no cache", machine + profile, "", []Software{widget}},
		{"logged on, Zoom removed", machine + profile + loadedEmpty, cache, []Software{widget}},
		{"logged off again", machine + profile, cache, []Software{widget}},
		{"logged on, Zoom back", machine + profile + zoom, cache, []Software{widget, alice}},
		{"profile removed", machine, cache, []Software{widget}},
		{"profile back, logged off", machine + profile, cache, []Software{widget}},
	}
	for _, s := range steps {
		if got := run(s.reg, s.dir); !reflect.DeepEqual(got, s.want) {
			t.Errorf("%s: software = %+v\nwant %+v", s.name, got, s.want)
		}
	}
	entries, err := os.ReadDir(filepath.Join(cache, "windows-user-software"))
	if err != nil || len(entries) != 0 {
		t.Errorf("cache after the profile went: %v, %v; want it empty", entries, err)
	}
}
