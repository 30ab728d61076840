package collectors

import "context"

func init() { Register("remote_mgmt", "remote_mgmt", true, collectRemoteMgmt) }

// remoteTools are the remote control tools whose id is kept in a file.
var remoteTools = []struct {
	kind, file, key string
}{
	{"teamviewer", "/etc/teamviewer/global.conf", "ClientID"},
	{"anydesk", "/etc/anydesk/system.conf", "ad.anynet.id"},
	{"rustdesk", "/root/.config/rustdesk/RustDesk.toml", "id"},
}

func collectRemoteMgmt(_ context.Context, env *Env) (any, error) {
	var out []RemoteMgmt
	for _, t := range remoteTools {
		conf := env.ReadString(t.file)
		if conf == "" {
			continue
		}
		if id := confValue(conf, t.key); id != "" {
			out = append(out, RemoteMgmt{Type: t.kind, ID: id})
		}
	}
	if len(out) == 0 {
		return nil, NoData("no remote control tool")
	}
	return out, nil
}
