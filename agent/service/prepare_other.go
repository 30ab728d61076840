//go:build !windows

package service

// prepare has nothing to do outside Windows: the unit or plist carries
// the restart policy.
func prepare() error { return nil }
