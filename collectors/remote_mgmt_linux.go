package collectors

import (
	"context"
	"encoding/json"
)

func init() { Register("remote_mgmt", "remote_mgmt", true, collectRemoteMgmt) }

// linuxRemoteTools read the remote control tools whose id is kept in a
// file, with the types and ids GLPI's agent reports, in the order of the
// section. The tools GLPI's agent asks by running them (MeshCentral,
// RuDesktop, SupRemo, Tactical RMM's version) are left out.
var linuxRemoteTools = []remoteTool[*Env]{
	func(env *Env) ([]RemoteMgmt, error) { return unixAnyDesk(env) },
	linuxDWService,
	unixRustDesk,
	func(env *Env) ([]RemoteMgmt, error) {
		return simpleHelpFile(env, "/opt/JWrapper-Remote Access/JWAppsSharedConfig/sgalive")
	},
	func(env *Env) ([]RemoteMgmt, error) { return tacticalRMMFile(env, "/etc/tacticalagent") },
	linuxTeamViewer,
}

func collectRemoteMgmt(_ context.Context, env *Env) (any, error) {
	return collectRemoteTools(env, linuxRemoteTools)
}

// linuxDWService reads the DWService agent of the folder its installer
// writes in /etc/dwagent, else of its default folders.
func linuxDWService(env *Env) ([]RemoteMgmt, error) {
	var dirs []string
	b, ok, err := readRemoteFile(env, "/etc/dwagent")
	if err != nil {
		return nil, err
	}
	if ok {
		var c struct {
			Path string `json:"path"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			env.Log().Debug("parse dwservice installation", "path", "/etc/dwagent", "err", err)
		}
		dirs = append(dirs, c.Path)
	}
	return dwServiceDirs(unixFiles{env}, append(dirs, "/usr/share/dwagent", "/opt/dwagent"))
}

// linuxTeamViewer reads the TeamViewer id in the configuration of its
// daemon. GLPI's agent asks "teamviewer --info" for it instead.
func linuxTeamViewer(env *Env) ([]RemoteMgmt, error) {
	b, _, err := readRemoteFile(env, "/etc/teamviewer/global.conf")
	if id := confValue(string(b), "ClientID"); id != "" {
		return []RemoteMgmt{{Type: "teamviewer", ID: id}}, nil
	}
	return nil, err
}
