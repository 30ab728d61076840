package collectors

import (
	"strconv"
	"strings"
)

// parseSnapYAML returns the top-level scalar keys of a snap's meta/snap.yaml
// (name, version, summary…), which is all the collector needs; nested
// values and block scalars are skipped.
func parseSnapYAML(s string) map[string]string {
	m := make(map[string]string)
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '#' || line[0] == '-' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch {
		case v == "", v == "|", v == ">", strings.HasPrefix(v, "|"), strings.HasPrefix(v, ">"):
			continue
		case v[0] == '"':
			if uq, err := strconv.Unquote(v); err == nil {
				v = uq
			}
		case v[0] == '\'' && len(v) > 1 && v[len(v)-1] == '\'':
			v = strings.ReplaceAll(v[1:len(v)-1], "''", "'")
		}
		m[strings.TrimSpace(k)] = v
	}
	return m
}

// snapFromYAML builds the software entry of an installed snap.
func snapFromYAML(y map[string]string) Software {
	return Software{
		Name:     y["name"],
		Version:  y["version"],
		Comments: y["summary"],
		From:     "snap",
	}
}
