//go:build unix

package loadtest

import (
	"fmt"
	"syscall"
)

// raiseOpenFiles raises the soft limit on open files to the hard one: a
// holder process holds one connection per device it plays.
func raiseOpenFiles() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("read the open files limit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("raise the open files limit: %w", err)
		}
	}
	return nil
}
