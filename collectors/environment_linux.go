package collectors

import (
	"context"
	"os"
)

// The environment may hold secrets: it is collected only when asked for.
func init() { Register("environment", "envs", false, collectEnvironment) }

// collectEnvironment reports the agent's own environment on the machine
// itself, and init's on another root.
func collectEnvironment(_ context.Context, env *Env) (any, error) {
	if env.Live() {
		return parseEnviron(os.Environ()), nil
	}
	b, err := env.ReadFile("/proc/1/environ")
	if err != nil {
		return nil, NoData("no environment of init: %v", err)
	}
	return parseEnviron(splitNUL(b)), nil
}
