//go:build !linux

package server

// RunAsDataDirOwner does nothing outside Linux, where the packages that
// create a service user exist.
func RunAsDataDirOwner(dataDir string) error { return nil }
