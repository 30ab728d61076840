package collectors

import "context"

// The Windows collectors read WMI and the registry of this machine. WMI
// queries cannot be cancelled; the runner abandons one that overruns its
// timeout, and the optional lookups of a collector (group members, process
// owners) stop short of it so that the rest of its section is kept.
func init() {
	for _, c := range winCollectors {
		Register(c.name, c.key, c.enabled, func(ctx context.Context, _ *Env) (any, error) {
			return c.collect(liveHostFor(ctx))
		})
	}
}
