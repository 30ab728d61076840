package collectors

import (
	"bytes"
	"strings"
)

// EnvVar is one entry of the envs section: an environment variable.
type EnvVar struct {
	Key string `json:"key"`
	Val string `json:"val"`
}

// parseEnviron parses KEY=value entries, as os.Environ returns them.
func parseEnviron(entries []string) []EnvVar {
	out := make([]EnvVar, 0, len(entries))
	for _, e := range entries {
		k, v, ok := strings.Cut(e, "=")
		if ok && k != "" {
			out = append(out, EnvVar{Key: k, Val: v})
		}
	}
	return out
}

// splitNUL splits a NUL-separated list (/proc/<pid>/environ, cmdline).
func splitNUL(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}
