package enroll

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// signalKey makes every hashed signal specific to this application, as
// machine-id(5) asks: the hashes mean nothing to anyone else.
var signalKey = []byte("glpi-agentd device fingerprint v1")

// HashSignal is the form in which a fingerprint carries a hardware
// signal: an HMAC-SHA-256 under the application's key, hex encoded. An
// empty signal stays empty.
func HashSignal(s string) string {
	if s == "" {
		return ""
	}
	m := hmac.New(sha256.New, signalKey)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// placeholderUUIDs are SMBIOS UUIDs firmware fills in when it has none:
// shared by many machines, they identify nothing.
var placeholderUUIDs = map[string]bool{
	"00000000-0000-0000-0000-000000000000": true,
	"FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF": true,
	"03000200-0400-0500-0006-000700080009": true,
	"00020003-0004-0005-0006-000700080009": true,
	"01234567-8910-1112-1314-151617181920": true,
}

// SignalUUID is the canonical form of an SMBIOS UUID as the fingerprint
// hashes it: upper case, and of the two byte orders firmware and
// hypervisors disagree on for the first three fields, the smaller, so that
// a machine always gives the same signal. A malformed or placeholder UUID
// gives "".
func SignalUUID(u string) string {
	u = strings.ToUpper(strings.TrimSpace(u))
	if len(u) != 36 || strings.Count(u, "-") != 4 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-' || placeholderUUIDs[u] {
		return ""
	}
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
