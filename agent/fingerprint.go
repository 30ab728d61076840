package agent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/glpi-agentd/glpi-agentd/agent/state"
	"github.com/glpi-agentd/glpi-agentd/collectors"
	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// fingerprintKey makes every hashed signal specific to this application, as
// machine-id(5) asks: the hashes mean nothing to anyone else.
var fingerprintKey = []byte("glpi-agentd device fingerprint v1")

func hashSignal(s string) string {
	if s == "" {
		return ""
	}
	m := hmac.New(sha256.New, fingerprintKey)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// placeholderUUIDs are SMBIOS UUIDs that firmware fills in when it has none.
var placeholderUUIDs = []string{
	"00000000-0000-0000-0000-000000000000",
	"FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
	"03000200-0400-0500-0006-000700080009",
	"00020003-0004-0005-0006-000700080009",
}

// normalizeUUID uppercases an SMBIOS UUID and drops placeholders.
func normalizeUUID(u string) string {
	u = strings.ToUpper(strings.TrimSpace(u))
	if len(u) != 36 || slices.Contains(placeholderUUIDs, u) {
		return ""
	}
	return u
}

// installID returns the random id of this installation, created at first
// use. It is copied with the disk, which is why it is one signal among others.
func installID(st *state.Dir) (string, error) {
	p := st.File("install_id")
	if b, err := os.ReadFile(p); err == nil && state.ValidUUID(strings.TrimSpace(string(b))) {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	id := state.NewUUID()
	return id, state.WriteFileAtomic(p, []byte(id+"\n"), 0o600)
}

// fingerprint gathers the hashed identity signals of the host.
func fingerprint(env *collectors.Env, install string) enroll.Fingerprint {
	fp := enroll.Fingerprint{
		InstallID:  install,
		MachineID:  hashSignal(env.ReadString("/etc/machine-id")),
		SMBIOSUUID: hashSignal(normalizeUUID(env.ReadString("/sys/class/dmi/id/product_uuid"))),
		Serial:     hashSignal(cleanSerial(env.ReadString("/sys/class/dmi/id/product_serial"))),
	}
	for _, mac := range permanentMACs(env) {
		fp.MACs = append(fp.MACs, hashSignal(mac))
	}
	slices.Sort(fp.MACs)
	return fp
}

func cleanSerial(s string) string {
	switch strings.ToLower(s) {
	case "", "0", "none", "n/a", "not specified", "to be filled by o.e.m.", "system serial number", "default string", "0123456789":
		return ""
	}
	return s
}

// permanentMACs lists the burnt-in MAC addresses of physical interfaces:
// virtual interfaces and locally administered addresses are left out, as
// they change with configuration, not with hardware.
func permanentMACs(env *collectors.Env) []string {
	var out []string
	for _, dir := range env.Glob("/sys/class/net/*") {
		if _, err := os.Stat(env.Path(dir, "device")); err != nil {
			continue // no device: virtual
		}
		if t := env.ReadString(path.Join(dir, "addr_assign_type")); t != "" && t != "0" {
			continue // random, stolen or set: not burnt in
		}
		mac := strings.ToLower(env.ReadString(path.Join(dir, "address")))
		if len(mac) != 17 || mac == "00:00:00:00:00:00" {
			continue
		}
		if b, err := hex.DecodeString(mac[:2]); err == nil && b[0]&0x02 != 0 {
			continue // locally administered
		}
		out = append(out, mac)
	}
	return out
}
