package agent

import (
	"strconv"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// officialRegistry returns the official agent's options from the key its
// MSI writes them to (FusionInventory's before it), in the 64-bit view,
// then the 32-bit one of a 32-bit install, and the key read; nil when no
// key has a value.
func officialRegistry() (map[string]string, string) {
	for _, name := range []string{"GLPI-Agent", "FusionInventory-Agent"} {
		for _, view := range []uint32{registry.WOW64_64KEY, registry.WOW64_32KEY} {
			if opts := registryOptions(`SOFTWARE\`+name, view); len(opts) > 0 {
				return opts, `HKLM\SOFTWARE\` + name
			}
		}
	}
	return nil, ""
}

// registryOptions reads every value of a key as the official agent does:
// names in lower case, strings without trailing blanks or enclosing
// quotes, numbers in decimal.
func registryOptions(path string, view uint32) map[string]string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE|view)
	if err != nil {
		return nil
	}
	defer k.Close()
	names, err := k.ReadValueNames(0)
	if err != nil {
		return nil
	}
	opts := map[string]string{}
	for _, n := range names {
		if s, _, err := k.GetStringValue(n); err == nil {
			s = strings.TrimRight(s, " \t\r\n")
			if len(s) > 1 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
				s = s[1 : len(s)-1]
			}
			opts[strings.ToLower(n)] = s
		} else if v, _, err := k.GetIntegerValue(n); err == nil {
			opts[strings.ToLower(n)] = strconv.FormatUint(v, 10)
		}
	}
	return opts
}
