//go:build !darwin

package collectors

// openMac makes the macOS host of one run. Elsewhere than on a Mac a macOS
// host is a tree of files, without the live sources (sysctl, the console's
// owner, the network interfaces, fdesetup, ps, the agent's environment).
func openMac(*Env) *macHost { return &macHost{} }
