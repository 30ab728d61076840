package collectors

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

func init() { Register("monitor", "monitors", true, collectMonitors) }

// collectMonitors describes the displays connected to the DRM connectors.
// A connector whose EDID cannot be read fails the section, as leaving the
// monitor out would make GLPI drop it; one whose EDID is empty (some
// virtual and KVM outputs) or is no EDID is skipped.
func collectMonitors(ctx context.Context, env *Env) (any, error) {
	var out []Monitor
	for _, conn := range env.Glob("/sys/class/drm/card*-*") {
		if env.ReadString(conn+"/status") != "connected" {
			continue
		}
		raw, err := env.ReadFile(conn + "/edid")
		if errors.Is(err, fs.ErrNotExist) || err == nil && len(raw) == 0 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s/edid: %w", conn, err)
		}
		e, err := parseEDID(raw)
		if err != nil {
			env.Log().Debug("skip monitor", "connector", conn, "err", err)
			continue
		}
		if e.badChecksum {
			env.Log().Debug("monitor edid has a bad checksum", "connector", conn)
		}
		m := monitorFromEDID(e)
		m.Base64 = base64.StdEncoding.EncodeToString(raw)
		// Connector directories are named card<N>-<port>, as "card0-eDP-1".
		_, m.Port, _ = strings.Cut(path.Base(conn), "-")
		out = append(out, m)
	}
	return out, nil
}
