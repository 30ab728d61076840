package collectors

import (
	"context"
	"encoding/hex"
	"path"
	"strings"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// Signals are the raw identity signals of a host, from which the agent
// builds its hashed fingerprint: what tells one machine from a copy of it.
type Signals struct {
	// MachineID is the OS installation's id: /etc/machine-id, Windows'
	// MachineGuid, macOS's platform UUID.
	MachineID string
	// SMBIOSUUID is the firmware's system UUID in the fingerprint's
	// canonical form (enroll.SignalUUID): the service checks the UUID of
	// each inventory against it in that form.
	SMBIOSUUID string
	// Serial is the system serial number.
	Serial string
	// MACs are the burnt-in MAC addresses of physical interfaces.
	MACs []string
}

// HostSignals reads the identity signals of the host. Unreadable signals
// are left empty.
func HostSignals(ctx context.Context, env *Env) Signals { return hostSignals(ctx, env) }

// permanentMAC keeps a MAC address only when it is globally administered
// (burnt in) and real.
func permanentMAC(mac string) string {
	mac = strings.ToLower(strings.TrimSpace(mac))
	if len(mac) != 17 || mac == "00:00:00:00:00:00" {
		return ""
	}
	if b, err := hex.DecodeString(mac[:2]); err != nil || b[0]&0x02 != 0 {
		return ""
	}
	return mac
}

// linuxSignals reads the signals from a Linux root; it is pure file reading,
// used on Linux and by tests everywhere.
func linuxSignals(env *Env) Signals {
	s := Signals{
		MachineID:  env.ReadString("/etc/machine-id"),
		SMBIOSUUID: enroll.SignalUUID(env.ReadString("/sys/class/dmi/id/product_uuid")),
		Serial:     clean(env.ReadString("/sys/class/dmi/id/product_serial")),
	}
	for _, dir := range env.Glob("/sys/class/net/*") {
		if len(env.Glob(path.Join(dir, "device"))) == 0 {
			continue // no device: a virtual interface
		}
		if t := env.ReadString(path.Join(dir, "addr_assign_type")); t != "" && t != "0" {
			continue // random, stolen or set: not burnt in
		}
		if mac := permanentMAC(env.ReadString(path.Join(dir, "address"))); mac != "" {
			s.MACs = append(s.MACs, mac)
		}
	}
	return s
}
