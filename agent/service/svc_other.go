//go:build !windows

package service

import (
	"fmt"
	"runtime"
)

// RunSCM runs p under the Windows service control manager, which exists
// on Windows only: elsewhere it fails at once.
func RunSCM(p *Program) error {
	return fmt.Errorf("run service %s: no Windows service control manager on %s", Name, runtime.GOOS)
}
