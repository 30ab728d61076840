package config

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// officialKeys are the keys of this agent that the official agent has
// under the same name, with dashes (ca_cert_file is its ca-cert-file), and
// the same meaning: what a machine moving from it keeps when this agent's
// own configuration names no server. Left out: local (there a second
// target, here instead of the server), logfile and debug (its own log),
// and the options of what this agent does not do (tasks, ESX, SNMP,
// deploy…).
var officialKeys = []string{
	"server", "tag", "proxy", "ca_cert_file", "ca_cert_dir", "ssl_cert_file", "ssl_key_file",
	"ssl_fingerprint", "no_ssl_check", "user", "password", "oauth_client_id", "oauth_client_secret",
	"delaytime", "no_category", "httpd_ip", "httpd_port", "httpd_trust", "no_httpd", "timeout",
	"backend_collect_timeout", "scan_homedirs", "assetname_support", "additional_content", "itemtype",
	"required_category", "no_compression", "full_inventory_postpone",
}

// officialKey is the key of this agent of an official option's name (any
// case), if officialKeys has it.
func officialKey(name string) (string, bool) {
	name = strings.ToLower(name)
	key := strings.ReplaceAll(name, "-", "_")
	return key, !strings.Contains(name, "_") && slices.Contains(officialKeys, key)
}

// officialLine is a "key = value" line of agent.cfg, as the official
// agent reads it.
var officialLine = regexp.MustCompile(`^\s*([\w-]+)\s*=\s*(.*)$`)

// officialInclude is an include line without "=".
var officialInclude = regexp.MustCompile(`(?i)^\s*include\s+(.+)$`)

// ParseAgentCfg reads the official agent's configuration file (agent.cfg)
// as it does: "key = value" lines, a value in quotes taken as it is, else
// cut at a " #" comment; include lines naming a file or a directory of
// *.cfg files (in name order), relative to the including file; a later
// value replaces an earlier one. read reads a file, list a directory's
// names. It returns the options with their raw values.
func ParseAgentCfg(file string, read func(string) ([]byte, error), list func(string) ([]string, error)) (map[string]string, error) {
	opts := map[string]string{}
	seen := map[string]bool{}
	var load func(file string, top bool) error
	load = func(file string, top bool) error {
		if seen[file] {
			return nil // an include loop: the official agent skips it too
		}
		seen[file] = true
		b, err := read(file)
		if err != nil {
			if top {
				return err
			}
			return nil // a missing include is skipped
		}
		for line := range strings.Lines(string(b)) {
			line = strings.TrimRight(line, "\r\n")
			var include string
			if m := officialLine.FindStringSubmatch(line); m != nil {
				key, val := m[1], officialValue(m[2])
				if !strings.EqualFold(key, "include") {
					opts[key] = val
					continue
				}
				include = val
			} else if m := officialInclude.FindStringSubmatch(line); m != nil {
				include = officialValue(m[1])
			} else {
				continue
			}
			if include == "" {
				continue
			}
			if !filepath.IsAbs(include) {
				include = filepath.Join(filepath.Dir(file), include)
			}
			include = filepath.Clean(include)
			if names, err := list(include); err == nil {
				slices.Sort(names)
				for _, n := range names {
					if strings.HasSuffix(n, ".cfg") {
						if err := load(filepath.Join(include, n), false); err != nil {
							return err
						}
					}
				}
				continue
			}
			if err := load(include, false); err != nil {
				return err
			}
		}
		return nil
	}
	if err := load(file, true); err != nil {
		return nil, err
	}
	return opts, nil
}

// officialComment is what the official agent cuts from an unquoted value.
var officialComment = regexp.MustCompile(`\s*#.+$`)

// officialValue is a value as the official agent takes it: trailing blanks
// dropped, then the text between a quote and the last one like it, else
// the text before a comment.
func officialValue(v string) string {
	v = strings.TrimRight(v, " \t")
	if len(v) > 1 && (v[0] == '"' || v[0] == '\'') {
		if end := strings.LastIndexByte(v, v[0]); end > 0 {
			return v[1:end]
		}
	}
	return officialComment.ReplaceAllString(v, "")
}

// ErrOfficialServers is OfficialSettings' answer to an official agent that
// sends to several servers: this agent sends to one, and which one to keep
// is the admin's choice.
var ErrOfficialServers = errors.New("the official agent sends to several servers; this agent sends to one: set server in its configuration")

// OfficialSettings maps the official agent's options (names as in
// agent.cfg or its registry key, any case) to this agent's keys, the
// empty ones and those of no shared meaning left out. It is nil when the
// official agent names no server: without one there is nothing to move.
func OfficialSettings(opts map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for name, v := range opts {
		key, ok := officialKey(name)
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		out[key] = strings.TrimSpace(v)
	}
	// The server is a list, and its client credentials are lists too, one
	// per server: each is taken as its first element, a list of commas
	// alone as no value.
	servers := SplitList(out["server"])
	if len(servers) == 0 {
		return nil, nil
	}
	if len(servers) > 1 {
		return nil, fmt.Errorf("%w (%s)", ErrOfficialServers, out["server"])
	}
	for _, k := range []string{"server", "oauth_client_id", "oauth_client_secret"} {
		if list := SplitList(out[k]); len(list) > 0 {
			out[k] = list[0]
		} else {
			delete(out, k)
		}
	}
	return out, nil
}

// Adopt applies settings (keys of this agent) that the configuration left
// as they are by default and did not set itself, and returns the keys it
// applied, sorted. A setting whose value is invalid is skipped and named in
// the error, the others applied.
func (c *Config) Adopt(settings map[string]string) ([]string, error) {
	def := Default()
	var applied []string
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(settings)) {
		f, ok := c.field(key)
		if !ok || c.explicit[key] {
			continue
		}
		d, _ := def.field(key)
		if !reflect.DeepEqual(f.Interface(), d.Interface()) {
			continue
		}
		if err := c.Set(key, settings[key]); err != nil {
			errs = append(errs, err) // Set leaves the default on a bad value
			continue
		}
		applied = append(applied, key)
	}
	return applied, errors.Join(errs...)
}

// Explicit reports whether a file, the registry or the environment set key.
func (c *Config) Explicit(key string) bool { return c.explicit[key] }
