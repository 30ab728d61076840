package collectors

import "strings"

// RemoteMgmt is one entry of the remote_mgmt section: a remote control
// tool and the id it is reached by.
type RemoteMgmt struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// confValue returns the value of key in a "key = value" configuration
// (TeamViewer's global.conf prefixes keys with a "[type] " tag, RustDesk's
// TOML quotes values), or "".
func confValue(conf, key string) string {
	for line := range strings.Lines(conf) {
		line = strings.TrimSpace(line)
		if line != "" && line[0] == '[' {
			if _, rest, ok := strings.Cut(line, "] "); ok {
				line = rest
			}
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}
