//go:build !unix

package loadtest

// raiseOpenFiles does nothing where there is no RLIMIT_NOFILE.
func raiseOpenFiles() error { return nil }
