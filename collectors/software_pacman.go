package collectors

import (
	"strconv"
	"strings"
	"time"
)

// parsePacmanDesc parses a package's desc file of pacman's local database
// (/var/lib/pacman/local/<name>-<version>/desc): %FIELD% headers each
// followed by value lines. Install dates are given in loc.
func parsePacmanDesc(desc string, loc *time.Location) Software {
	s := Software{From: "pacman"}
	var field string
	for line := range strings.Lines(desc) {
		line = strings.TrimRight(line, "\r\n")
		if len(line) > 2 && line[0] == '%' && line[len(line)-1] == '%' {
			field = line
			continue
		}
		if line == "" {
			field = ""
			continue
		}
		switch field {
		case "%NAME%":
			s.Name = line
		case "%VERSION%":
			s.Version = line
		case "%DESC%":
			s.Comments = line
		case "%ARCH%":
			s.Arch = line
		case "%URL%":
			s.URLInfoAbout = line
		case "%PACKAGER%":
			s.Publisher = stripEmail(line)
		case "%INSTALLDATE%":
			if sec, err := strconv.ParseInt(line, 10, 64); err == nil {
				s.InstallDate = time.Unix(sec, 0).In(loc).Format(dateLayout)
			}
		case "%SIZE%":
			if n, err := strconv.ParseInt(line, 10, 64); err == nil {
				s.Filesize = n
			}
		}
		field = "" // every field we keep has one line
	}
	return s
}

// stripEmail turns "Jane Doe <jane@example.org>" into "Jane Doe".
func stripEmail(s string) string {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
