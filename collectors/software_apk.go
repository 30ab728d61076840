package collectors

import (
	"strconv"
	"strings"
)

// parseAPKInstalled parses apk's database of installed packages
// (/lib/apk/db/installed): one "X:value" line per field, a blank line
// between packages.
func parseAPKInstalled(db string) []Software {
	var out []Software
	cur := Software{From: "apk"}
	flush := func() {
		if cur.Name != "" {
			out = append(out, cur)
		}
		cur = Software{From: "apk"}
	}
	for line := range strings.Lines(db) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			continue
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			cur.Name = v
		case 'V':
			cur.Version = v
		case 'A':
			cur.Arch = v
		case 'T':
			cur.Comments = v
		case 'U':
			cur.URLInfoAbout = v
		case 'm':
			cur.Publisher = stripEmail(v)
		case 'I':
			cur.Filesize, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	flush()
	return out
}
