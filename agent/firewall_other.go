//go:build !windows

package agent

// allowListener is Windows' only: elsewhere the host's firewall is the
// admin's.
func (a *Agent) allowListener() {}
