package collectors

import (
	"strconv"
	"strings"
	"time"
)

// rpmQueryFormat makes rpm print one tab-separated line per package, read
// back by parseRPMList.
const rpmQueryFormat = "%{NAME}\t%{ARCH}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{INSTALLTIME}\t%{SIZE}\t%{VENDOR}\t%{SUMMARY}\t%{GROUP}\t%{URL}\n"

// parseRPMList parses the output of rpm -qa with rpmQueryFormat. Install
// dates are given in loc. rpm prints "(none)" for absent tags.
func parseRPMList(out string, loc *time.Location) []Software {
	var list []Software
	for line := range strings.Lines(out) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		if len(f) < 9 || f[0] == "" {
			continue
		}
		for i, v := range f {
			if v == "(none)" {
				f[i] = ""
			}
		}
		s := Software{
			Name:           f[0],
			Arch:           f[1],
			Version:        f[2],
			Publisher:      f[5],
			Comments:       f[6],
			SystemCategory: f[7],
			URLInfoAbout:   f[8],
			From:           "rpm",
		}
		if sec, err := strconv.ParseInt(f[3], 10, 64); err == nil && sec > 0 {
			s.InstallDate = time.Unix(sec, 0).In(loc).Format(dateLayout)
		}
		if n, err := strconv.ParseInt(f[4], 10, 64); err == nil {
			s.Filesize = n
		}
		list = append(list, s)
	}
	return list
}
