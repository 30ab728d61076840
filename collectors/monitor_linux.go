package collectors

import (
	"context"
	"encoding/base64"
	"path"
	"strings"
)

func init() { Register("monitor", "monitors", true, collectMonitors) }

func collectMonitors(ctx context.Context, env *Env) (any, error) {
	var out []Monitor
	for _, conn := range env.Glob("/sys/class/drm/card*-*") {
		if env.ReadString(conn+"/status") != "connected" {
			continue
		}
		raw, err := env.ReadFile(conn + "/edid")
		if err != nil || len(raw) == 0 {
			continue
		}
		e, err := parseEDID(raw)
		if err != nil {
			env.Log().Debug("skip monitor", "connector", conn, "err", err)
			continue
		}
		m := monitorFromEDID(e)
		m.Base64 = base64.StdEncoding.EncodeToString(raw)
		// Connector directories are named card<N>-<port>, as "card0-eDP-1".
		_, m.Port, _ = strings.Cut(path.Base(conn), "-")
		out = append(out, m)
	}
	return out, nil
}
