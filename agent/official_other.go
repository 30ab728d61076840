//go:build !windows

package agent

// officialRegistry is Windows' only.
func officialRegistry() (map[string]string, string) { return nil, "" }
