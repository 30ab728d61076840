package collectors

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// placeholders are values firmware and drivers put where they have nothing
// to say, compared in lower case.
var placeholders = map[string]bool{
	"unknown": true, "none": true, "n/a": true, "na": true, "null": true,
	"not specified": true, "not available": true, "not applicable": true,
	"not present": true, "default string": true, "invalid": true, "empty": true,
	"to be filled by o.e.m.": true, "to be filled by oem": true, "o.e.m.": true, "oem": true,
	"system serial number": true, "system product name": true,
	"system manufacturer": true, "system version": true, "system name": true,
	"base board serial number": true, "base board product name": true,
	"chassis serial number": true, "chassis manufacture": true, "asset tag": true,
	"asset-1234567890": true, "no asset tag": true, "no asset information": true,
	"0123456789": true, "123456789": true, "1234567890": true, "x.x": true,
	"type1productconfigid": true, "type1sku0": true, "sku": true,
}

// clean returns s trimmed, or "" when s is a placeholder such as "To Be
// Filled By O.E.M.", "Not Specified", "unknown" or a run of zeros, spaces,
// dots or Fs.
func clean(s string) string {
	s = strings.TrimSpace(strings.Trim(s, "\x00"))
	if s == "" || placeholders[strings.ToLower(s)] {
		return ""
	}
	if strings.Trim(s, "0 .") == "" || strings.Trim(s, "Ff") == "" {
		return ""
	}
	return s
}

// cleanUUID returns the upper-case form of a SMBIOS UUID, or "" when it is
// malformed or a placeholder (shared by many machines, blacklisted by
// GLPI): the rule of the fingerprint's signal (enroll.SignalUUID), so that
// every UUID an inventory states is one the service can check against the
// device's fingerprint.
func cleanUUID(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	if enroll.SignalUUID(u) == "" {
		return ""
	}
	return u
}

// atoi parses a decimal integer, returning 0 when s is not one.
func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

// hexID returns a sysfs hexadecimal id ("0x8086") as GLPI writes it: four
// lower-case digits without prefix ("8086").
func hexID(s string) string {
	s = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "0x"))
	n, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%04x", n)
}
