//go:build !windows

package collectors

import "errors"

// openWindows has no Windows machine to open: elsewhere the Windows
// collectors run only on fixture machines, which tests give the Env.
func openWindows(*Env) (winHost, error) {
	return winHost{}, errors.ErrUnsupported
}
