package collectors

import "context"

// The Windows collectors read WMI and the registry of this machine. WMI
// queries cannot be cancelled; the runner abandons one that overruns its
// timeout.
func init() {
	for _, c := range winCollectors {
		Register(c.name, c.key, c.enabled, func(context.Context, *Env) (any, error) {
			return c.collect(liveHost)
		})
	}
}
