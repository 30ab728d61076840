package collectors

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// OperatingSystem is the operatingsystem section.
type OperatingSystem struct {
	Arch          string    `json:"arch,omitempty"`
	BootTime      string    `json:"boot_time,omitempty"`
	DNSDomain     string    `json:"dns_domain,omitempty"`
	FQDN          string    `json:"fqdn,omitempty"`
	FullName      string    `json:"full_name,omitempty"`
	HostID        string    `json:"hostid,omitempty"`
	InstallDate   string    `json:"install_date,omitempty"`
	KernelName    string    `json:"kernel_name,omitempty"`
	KernelVersion string    `json:"kernel_version,omitempty"`
	Name          string    `json:"name,omitempty"`
	ServicePack   string    `json:"service_pack,omitempty"`
	Timezone      *Timezone `json:"timezone,omitempty"`
	Version       string    `json:"version,omitempty"`
}

// Timezone is the host's time zone and its current offset from UTC.
type Timezone struct {
	Name   string `json:"name"`
	Offset string `json:"offset"`
}

// dateTimeLayout is the schema's datetime format.
const dateTimeLayout = "2006-01-02 15:04:05"

// dateLayout is the schema's date format.
const dateLayout = "2006-01-02"

// parseOSRelease parses os-release(5) content: KEY=value lines whose value
// may be quoted.
func parseOSRelease(s string) map[string]string {
	m := make(map[string]string)
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `"'`)
		}
		m[k] = v
	}
	return m
}

// parseBootTime returns the boot time from /proc/stat's btime line.
func parseBootTime(stat string) (time.Time, error) {
	for line := range strings.Lines(stat) {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("parse btime %q: %w", v, err)
			}
			return time.Unix(sec, 0), nil
		}
	}
	return time.Time{}, fmt.Errorf("parse /proc/stat: no btime line")
}

// formatOffset formats a UTC offset in seconds as "+0100".
func formatOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec/60%60)
}

// zoneName returns the zoneinfo name in a path such as
// "/usr/share/zoneinfo/Europe/Paris" or "../usr/share/zoneinfo/UTC".
func zoneName(link string) string {
	_, name, ok := strings.Cut(link, "zoneinfo/")
	if !ok {
		return ""
	}
	// Debian links some zones through posix/ or right/ variants.
	name = strings.TrimPrefix(name, "posix/")
	return strings.TrimPrefix(name, "right/")
}

// parseHostID decodes /etc/hostid, 4 bytes in the host's (little-endian)
// order, into the form hostid(1) prints.
func parseHostID(b []byte) string {
	if len(b) != 4 {
		return ""
	}
	return fmt.Sprintf("%08x", uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24)
}

// fqdnFromHosts returns the first dotted name given in /etc/hosts for host.
func fqdnFromHosts(hosts, host string) string {
	for line := range strings.Lines(hosts) {
		line, _, _ = strings.Cut(line, "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		names := fields[1:]
		for _, n := range names {
			if n == host || strings.HasPrefix(n, host+".") {
				for _, d := range names {
					if strings.HasPrefix(d, host+".") {
						return d
					}
				}
				break
			}
		}
	}
	return ""
}
