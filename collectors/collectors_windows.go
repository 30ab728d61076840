package collectors

// The Windows collectors read WMI and the registry of this machine, opened
// once per run (Env.windows). WMI queries cannot be cancelled; the runner
// abandons one that overruns its timeout, and the optional lookups of a
// collector (group members, process owners) stop short of it so that the
// rest of its section is kept. The collectors' logic lives in the
// OS-neutral win_*.go files, run on fixture machines by the tests of every
// platform (win_collectors.go).
func init() { registerAll(windowsCollectors()) }
