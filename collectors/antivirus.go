package collectors

import (
	"fmt"
	"strings"
	"time"
)

// Antivirus is one entry of the antivirus section.
type Antivirus struct {
	Name         string `json:"name,omitempty"`
	Company      string `json:"company,omitempty"`
	Version      string `json:"version,omitempty"`
	Enabled      bool   `json:"enabled"`
	Uptodate     *bool  `json:"uptodate,omitempty"`
	BaseVersion  string `json:"base_version,omitempty"`
	BaseCreation string `json:"base_creation,omitempty"`
	GUID         string `json:"guid,omitempty"`
	Expiration   string `json:"expiration,omitempty"`
}

// clamDBMaxAge is how old ClamAV's newest signatures may be while the
// antivirus still counts as up to date; freshclam updates them hourly.
const clamDBMaxAge = 7 * 24 * time.Hour

// parseCVDHeader parses the 512-byte header of a ClamAV database
// (daily.cvd, daily.cld): "ClamAV-VDB:<build time>:<version>:<signatures>:…".
func parseCVDHeader(b []byte) (version string, built time.Time, err error) {
	h := string(b[:min(len(b), 512)])
	if !strings.HasPrefix(h, "ClamAV-VDB:") {
		return "", time.Time{}, fmt.Errorf("parse ClamAV database header: bad magic")
	}
	f := strings.Split(strings.TrimRight(h, " \x00"), ":")
	// The build time holds colons: "14 Jan 2024 09:25 -0500".
	if len(f) < 5 {
		return "", time.Time{}, fmt.Errorf("parse ClamAV database header: %d fields", len(f))
	}
	built, err = time.Parse("02 Jan 2006 15:04 -0700", f[1]+":"+f[2])
	if err != nil {
		return "", time.Time{}, fmt.Errorf("parse ClamAV database build time: %w", err)
	}
	return f[3], built, nil
}

// parseINIValue returns key's value in simple "KEY = value" files such as
// Sophos's VERSION.ini.
func parseINIValue(s, key string) string {
	for line := range strings.Lines(s) {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
