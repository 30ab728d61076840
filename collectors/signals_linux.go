package collectors

import "context"

func hostSignals(_ context.Context, env *Env) Signals { return linuxSignals(env) }
