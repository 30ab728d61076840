package server

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ServiceConfFile holds the settings of the packaged service, as a systemd
// environment file: GLPI_ENROLLD_OPTS, and GLPI_ENROLLD_DATABASE when the
// service runs on PostgreSQL. Admin commands given neither --data-dir nor
// --database read the database from it, so that they work on the
// service's state as installed.
const ServiceConfFile = "/etc/glpi-enrolld/glpi-enrolld.conf"

// ReadServiceConf reads the KEY=value assignments of a systemd environment
// file: blank lines and lines starting with # or ; are skipped, and a value
// may be quoted with "…" (backslash escapes) or '…'.
func ReadServiceConf(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(strings.TrimPrefix(key, "export "))
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("%s:%d: not a KEY=value line", path, n)
		}
		value = strings.TrimSpace(value)
		switch {
		case len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"':
			if value, err = strconv.Unquote(value); err != nil {
				return nil, fmt.Errorf("%s:%d: %s: bad quoting", path, n, key)
			}
		case len(value) >= 2 && value[0] == '\'' && value[len(value)-1] == '\'':
			value = value[1 : len(value)-1]
		}
		vars[key] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return vars, nil
}
