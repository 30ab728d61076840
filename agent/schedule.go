package agent

import (
	"math/rand/v2"
	"time"
)

// Backoff after network errors starts at a minute and doubles, as the
// official agent does.
const firstBackoff = 60 * time.Second

// defaultMaxDelay is the delay between runs until a server says otherwise:
// GLPI's default inventory frequency, 24 hours.
const defaultMaxDelay = 24 * time.Hour

// nextDelay is the wait before the next run after a success, given the
// server's delay: between about 90 % and 100 % of it, so that a fleet
// started together does not stay in step. It follows the official agent:
// up to maxDelay/6 off for delays under 6 hours, up to maxDelay/24 for
// delays over 24 hours, up to an hour in between.
func nextDelay(maxDelay time.Duration, r *rand.Rand) time.Duration {
	if maxDelay <= 0 {
		maxDelay = defaultMaxDelay
	}
	var spread time.Duration
	switch {
	case maxDelay < 6*time.Hour:
		spread = maxDelay / 6
	case maxDelay > 24*time.Hour:
		spread = maxDelay / 24
	default:
		spread = time.Hour
	}
	return maxDelay - jitter(spread, r)
}

// backoff is the wait after failures consecutive failed runs: 60 s doubling,
// capped at limit, less up to a tenth so that agents cut off by the same
// outage come back spread out.
func backoff(failures int, limit time.Duration, r *rand.Rand) time.Duration {
	d := firstBackoff
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d - jitter(d/10, r)
}

// firstDelay is the wait before the first run of a daemon that has never
// run: soon, but spread over up to a minute (or delaytime when shorter), so
// that a fleet booting at once does not arrive at once.
func firstDelay(delaytime time.Duration, r *rand.Rand) time.Duration {
	return jitter(min(delaytime, time.Minute), r)
}

func jitter(max time.Duration, r *rand.Rand) time.Duration {
	if max <= 0 {
		return 0
	}
	if r == nil {
		return rand.N(max)
	}
	return time.Duration(r.Int64N(int64(max)))
}
