package collectors

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestMacRemoteMgmt(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []RemoteMgmt
	}{
		// Every tool; DWService running, installed where its launchd job
		// says; TeamViewer's first preferences file by name.
		{"tools", []RemoteMgmt{
			{Type: "anydesk", ID: "123456789"},
			{Type: "anydesk", ID: "987654321"},
			{Type: "dwservice", ID: "Front desk - PC-042"},
			{Type: "rustdesk", ID: "1234567890"},
			{Type: "simplehelp", ID: "SG_-1234567890"},
			{Type: "tacticalrmm", ID: "QWERTYuiopASDFghjklZXCVbnm0123456789abcd"},
			{Type: "teamviewer", ID: "1000000007", Version: "15.54.6"},
		}},
		// DWService stopped, in its default folder, its launchd job
		// unparsable; TeamViewer's id a string.
		{"stopped", []RemoteMgmt{
			{Type: "anydesk", ID: "555666777"},
			{Type: "dwservice", ID: "yyYYyYYyyYyyyYYYyyYY"},
			{Type: "teamviewer", ID: "660666566", Version: "14.1.3399"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := macRemoteMgmt(t.Context(), &Env{Root: filepath.Join("testdata", "remote_macos", tc.name)})
			checkRemote(t, "macRemoteMgmt", got, err, tc.want)
		})
	}
}

func TestMacRemoteMgmtNone(t *testing.T) {
	// Installed, without an id.
	root := remoteRoot(t, map[string]string{
		"Library/Application Support/AnyDesk/system.conf":                    "ad.anynet.alias=\n",
		"Library/Preferences/com.teamviewer.teamviewer.preferences.plist":    plistDict("<key>ClientID</key><integer>0</integer>"),
		"Library/Preferences/com.teamviewer.teamviewer.preferences.zz.plist": plistDict("<key>ClientID</key><integer>7</integer>"),
		"Library/DWAgent/config.json":                                        `{"enabled": true}`,
	}, "Library/LaunchDaemons")
	for _, env := range []*Env{{Root: t.TempDir()}, {Root: root}} {
		if got, err := macRemoteMgmt(t.Context(), env); !errors.Is(err, ErrNoData) {
			t.Errorf("macRemoteMgmt(%s) = %+v, %v; want no data", env.Root, got, err)
		}
	}
}

func TestMacRemoteMgmtFails(t *testing.T) {
	dwagent := map[string]string{"Library/DWAgent/config.json": `{"key": "k"}`}
	for _, tc := range []struct {
		broken string
		files  map[string]string
	}{
		{"etc/anydesk_ad_acme/system.conf", nil},
		{"etc/anydesk/system.conf", nil},
		{"Library/Application Support/AnyDesk/system.conf", nil},
		{"Library/LaunchDaemons/net.dwservice.agsvc.plist", nil},
		{"Library/DWAgent/config.json", nil},
		{"Library/DWAgent/sharedmem/status_config.shm", dwagent},
		{"root/.config/rustdesk/RustDesk.toml", nil},
		{"Library/Application Support/JWrapper-Remote Access/JWAppsSharedConfig/sgalive", nil},
		{"private/etc/tacticalagent", nil},
		{"Library/Preferences/com.teamviewer.teamviewer.preferences.plist", nil},
	} {
		t.Run(tc.broken, func(t *testing.T) {
			// The other tools are there, so failing is not having no data.
			files := map[string]string{"private/etc/tacticalagent": `{"agentid": "a1"}`}
			if tc.broken == "private/etc/tacticalagent" {
				files = map[string]string{"etc/anydesk/system.conf": "ad.anynet.id=987654321\n"}
			}
			for name, text := range tc.files {
				files[name] = text
			}
			env := &Env{Root: remoteRoot(t, files, tc.broken)}
			if got, err := macRemoteMgmt(t.Context(), env); err == nil || errors.Is(err, ErrNoData) {
				t.Errorf("macRemoteMgmt = %+v, %v; want an error", got, err)
			}
		})
	}
}

// plistDict returns an XML property list of a dictionary with the entries
// given.
func plistDict(entries string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>` + entries + `</dict></plist>
`
}
