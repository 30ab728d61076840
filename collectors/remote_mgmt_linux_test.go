package collectors

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestRemoteMgmtLinux(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []RemoteMgmt
	}{
		// Every tool; DWService running, installed where /etc/dwagent
		// says.
		{"tools", []RemoteMgmt{
			{Type: "anydesk", ID: "123456789"},
			{Type: "anydesk", ID: "987654321"},
			{Type: "dwservice", ID: "Front desk - PC-042"},
			{Type: "rustdesk", ID: "1234567890"},
			{Type: "simplehelp", ID: "SG_-1234567890"},
			{Type: "tacticalrmm", ID: "QWERTYuiopASDFghjklZXCVbnm0123456789abcd"},
			{Type: "teamviewer", ID: "1000000007"},
		}},
		// One AnyDesk id in two files; DWService stopped, in its default
		// folder, /etc/dwagent unparsable; RustDesk's id double-quoted,
		// Tactical RMM's configuration not JSON, TeamViewer without an id:
		// GLPI's agent reads none of them.
		{"stopped", []RemoteMgmt{
			{Type: "anydesk", ID: "555666777"},
			{Type: "dwservice", ID: "yyYYyYYyyYyyyYYYyyYY"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectRemoteMgmt(t.Context(), &Env{Root: filepath.Join("testdata", "remote_linux", tc.name)})
			checkRemote(t, "collectRemoteMgmt", got, err, tc.want)
		})
	}
}

func TestRemoteMgmtLinuxNone(t *testing.T) {
	// Installed, without an id.
	root := remoteRoot(t, map[string]string{
		"etc/anydesk/system.conf":        "ad.anynet.alias=\n",
		"etc/teamviewer/global.conf":     "TeamViewer Global Settings\n",
		"usr/share/dwagent/config.json":  `{"enabled": true}`,
		"etc/tacticalagent":              `{"agentid": null}`,
		"root/.config/rustdesk/Peer.tml": "id = '1'\n",
	}, "opt/dwagent")
	for _, env := range []*Env{{Root: t.TempDir()}, {Root: root}} {
		if got, err := collectRemoteMgmt(t.Context(), env); !errors.Is(err, ErrNoData) {
			t.Errorf("collectRemoteMgmt(%s) = %+v, %v; want no data", env.Root, got, err)
		}
	}
}

func TestRemoteMgmtLinuxFails(t *testing.T) {
	dwagent := map[string]string{"usr/share/dwagent/config.json": `{"key": "k"}`}
	for _, tc := range []struct {
		broken string
		files  map[string]string
	}{
		{"etc/anydesk/system.conf", nil},
		{"etc/anydesk_ad_acme/system.conf", nil},
		{"etc/dwagent", nil},
		{"usr/share/dwagent/config.json", nil},
		{"usr/share/dwagent/sharedmem/status_config.shm", dwagent},
		{"root/.config/rustdesk/RustDesk.toml", nil},
		{"opt/JWrapper-Remote Access/JWAppsSharedConfig/sgalive", nil},
		{"etc/tacticalagent", nil},
		{"etc/teamviewer/global.conf", nil},
	} {
		t.Run(tc.broken, func(t *testing.T) {
			// The other tools are there, so failing is not having no data.
			files := map[string]string{"etc/anydesk/system.conf": "ad.anynet.id=987654321\n"}
			if tc.broken == "etc/anydesk/system.conf" {
				files = map[string]string{"etc/teamviewer/global.conf": "[int32] ClientID = 1000000007\n"}
			}
			for name, text := range tc.files {
				files[name] = text
			}
			env := &Env{Root: remoteRoot(t, files, tc.broken)}
			if got, err := collectRemoteMgmt(t.Context(), env); err == nil || errors.Is(err, ErrNoData) {
				t.Errorf("collectRemoteMgmt = %+v, %v; want an error", got, err)
			}
		})
	}
}
