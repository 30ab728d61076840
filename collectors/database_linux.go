package collectors

import "context"

func init() { Register("database", "databases_services", true, collectDatabases) }

// collectDatabases asks the host's PostgreSQL and MySQL or MariaDB servers.
func collectDatabases(ctx context.Context, env *Env) (any, error) {
	return collectDatabaseServices(ctx, env, databaseRunner(env), unixDatabaseEngines)
}
