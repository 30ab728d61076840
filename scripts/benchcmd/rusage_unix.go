//go:build !windows

package main

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSMB is the child's peak resident set in MB (ru_maxrss is in KiB on
// Linux, bytes on macOS).
func maxRSSMB(ps *os.ProcessState) float64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return float64(ru.Maxrss) / (1 << 20)
	}
	return float64(ru.Maxrss) / 1024
}
