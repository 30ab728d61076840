package collectors

import "strings"

// Firewall is one entry of the firewalls section.
type Firewall struct {
	Status      string `json:"status"`
	Profile     string `json:"profile,omitempty"`
	Description string `json:"description,omitempty"`
	IPAddress   string `json:"ipaddress,omitempty"`
	IPAddress6  string `json:"ipaddress6,omitempty"`
}

// Firewall statuses, as the official agent reports them.
const (
	firewallOn  = "on"
	firewallOff = "off"
)

// ufwEnabled reports whether /etc/ufw/ufw.conf enables ufw at boot.
func ufwEnabled(conf string) bool {
	for line := range strings.Lines(conf) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "ENABLED="); ok {
			return strings.EqualFold(strings.Trim(v, `"' `), "yes")
		}
	}
	return false
}
