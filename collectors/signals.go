package collectors

import (
	"context"
	"encoding/hex"
	"path"
	"strings"
)

// Signals are the raw identity signals of a host, from which the agent
// builds its hashed fingerprint: what tells one machine from a copy of it.
type Signals struct {
	// MachineID is the OS installation's id: /etc/machine-id, Windows'
	// MachineGuid, macOS's platform UUID.
	MachineID string
	// SMBIOSUUID is the firmware's system UUID, uppercased, placeholders dropped.
	SMBIOSUUID string
	// Serial is the system serial number.
	Serial string
	// MACs are the burnt-in MAC addresses of physical interfaces.
	MACs []string
}

// HostSignals reads the identity signals of the host. Unreadable signals
// are left empty.
func HostSignals(ctx context.Context, env *Env) Signals { return hostSignals(ctx, env) }

// signalUUID uppercases an SMBIOS UUID and drops the placeholders firmware
// fills in when it has none.
func signalUUID(u string) string {
	u = strings.ToUpper(strings.TrimSpace(u))
	switch u {
	case "", "00000000-0000-0000-0000-000000000000", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
		"03000200-0400-0500-0006-000700080009", "00020003-0004-0005-0006-000700080009":
		return ""
	}
	if len(u) != 36 {
		return ""
	}
	// Firmware and hypervisors disagree on the byte order of the first
	// three fields (SMBIOS before 2.6, VMware as seen from ESX and from the
	// guest): the smaller of the two orders is the canonical one, so the
	// same machine always gives the same signal.
	return min(u, swapUUID(u))
}

// swapUUID reverses the bytes of the first three fields of a canonical
// UUID string.
func swapUUID(u string) string {
	rev := func(h string) string {
		b := []byte(h)
		for i, j := 0, len(b)-2; i < j; i, j = i+2, j-2 {
			b[i], b[i+1], b[j], b[j+1] = b[j], b[j+1], b[i], b[i+1]
		}
		return string(b)
	}
	return rev(u[0:8]) + "-" + rev(u[9:13]) + "-" + rev(u[14:18]) + u[18:]
}

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
		SMBIOSUUID: signalUUID(env.ReadString("/sys/class/dmi/id/product_uuid")),
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
