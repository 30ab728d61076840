//go:build !windows

package state

// restrictDir has nothing to add outside Windows: MkdirAll made the
// directory 0700.
func restrictDir(string) error { return nil }
