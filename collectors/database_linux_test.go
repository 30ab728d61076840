package collectors

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// liveClient runs a database client of this machine for a test, as
// account when given, and fails the test on an error.
func liveClient(t *testing.T, account, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), databaseTimeout) // in cleanups too
	defer cancel()
	out, err := runClient(ctx, account, name, args...)
	if err != nil {
		t.Fatalf("%s %q: %v", name, args, clientError(name, err))
	}
	return strings.TrimSpace(string(out))
}

// requireDatabase skips the test where this machine has no server the
// collector can reach as it does, running as root, and fails it under CI,
// which installs and starts PostgreSQL and MariaDB (.ci/run).
func requireDatabase(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no %s, which CI runs (.ci/run), reachable by a root agent", what)
	}
	t.Skipf("no %s reachable by a root agent", what)
}

// TestDatabasesLive inventories this machine's real PostgreSQL and
// MariaDB servers, each holding a database the test makes, and checks
// them against what the servers say of themselves.
func TestDatabasesLive(t *testing.T) {
	_, psqlErr := exec.LookPath("psql")
	_, mysqlErr := exec.LookPath("mysql")
	root := os.Geteuid() == 0
	requireDatabase(t, "PostgreSQL server", root && psqlErr == nil && slices.Contains(postgresPorts(&Env{}), 5432))
	requireDatabase(t, "MariaDB or MySQL server", root && mysqlErr == nil)

	const name = "glpi-agentd test, ü"
	psql := func(sql string) string {
		return liveClient(t, "postgres", "psql", "-X", "-w", "-q", "-A", "-t", "-h", "/var/run/postgresql", "-p", "5432", "-d", "postgres", "-c", sql)
	}
	psql(`DROP DATABASE IF EXISTS "` + name + `"`)
	psql(`CREATE DATABASE "` + name + `"`)
	t.Cleanup(func() { psql(`DROP DATABASE IF EXISTS "` + name + `"`) })
	mysql := func(sql string) string {
		return liveClient(t, "", "mysql", "--batch", "--skip-column-names", "-e", sql)
	}
	mysql("DROP DATABASE IF EXISTS `" + name + "`; CREATE DATABASE `" + name + "`; CREATE TABLE `" + name + "`.t (id INT PRIMARY KEY)")
	t.Cleanup(func() { mysql("DROP DATABASE IF EXISTS `" + name + "`") })

	v, err := collectDatabases(t.Context(), &Env{})
	if err != nil {
		t.Fatalf("collectDatabases: %v", err)
	}
	got := v.([]DatabaseService)
	validateSection(t, "databases_services", got)
	find := func(typ string, port int) DatabaseService {
		t.Helper()
		i := slices.IndexFunc(got, func(s DatabaseService) bool { return s.Type == typ && s.Port == port })
		if i < 0 {
			t.Fatalf("no %s server on port %d in %+v", typ, port, got)
		}
		return got[i]
	}
	database := func(s DatabaseService) Database {
		t.Helper()
		i := slices.IndexFunc(s.Databases, func(d Database) bool { return d.Name == name })
		if i < 0 {
			t.Fatalf("%s: no database %q in %+v", s.Name, name, s.Databases)
		}
		return s.Databases[i]
	}

	pg := find("postgresql", 5432)
	version, _, _ := strings.Cut(psql("SHOW server_version"), " ")
	if want := psql("SHOW cluster_name"); pg.Name != want || pg.Version != version || pg.Manufacturer != "PostgreSQL" {
		t.Errorf("PostgreSQL server = %s %s by %s, want %s %s by PostgreSQL", pg.Name, pg.Version, pg.Manufacturer, want, version)
	}
	if want := psql("SHOW data_directory"); pg.Path != want {
		t.Errorf("PostgreSQL data directory %q, want %q", pg.Path, want)
	}
	if pg.LastBootDate != psql("SELECT to_char(pg_postmaster_start_time(), 'YYYY-MM-DD HH24:MI:SS')") {
		t.Errorf("PostgreSQL started %q", pg.LastBootDate)
	}
	d := database(pg)
	size, _ := strconv.ParseInt(psql(`SELECT pg_database_size('`+name+`')`), 10, 64)
	if d.Size == nil || *d.Size != int(size>>20) || !d.IsActive || d.CreationDate == "" || d.UpdateDate == "" {
		t.Errorf("PostgreSQL database = %+v, want %d MB, active, dated", d, size>>20)
	}

	port, _ := strconv.Atoi(mysql("SELECT @@port"))
	my := find("mysql", port)
	if v := mysql("SELECT VERSION()"); !strings.Contains(strings.ToLower(v), "mariadb") && (my.Name != "MySQL" || my.Version != v) ||
		strings.Contains(strings.ToLower(v), "mariadb") && (my.Name != "MariaDB" || my.Manufacturer != "MariaDB" || strings.Contains(my.Version, "MariaDB")) {
		t.Errorf("MySQL server = %s %s by %s, from version %q", my.Name, my.Version, my.Manufacturer, v)
	}
	if want := strings.TrimSuffix(mysql("SELECT @@datadir"), "/"); my.Path != want {
		t.Errorf("MySQL data directory %q, want %q", my.Path, want)
	}
	if my.LastBootDate == "" || my.Size == nil {
		t.Errorf("MySQL server = %+v, want a start and a size", my)
	}
	if d := database(my); d.Size == nil || !d.IsActive || d.CreationDate == "" {
		t.Errorf("MySQL database = %+v, want a size, active, a creation date", d)
	}
	if i := slices.IndexFunc(my.Databases, func(d Database) bool { return d.Name == "mysql" }); i < 0 {
		t.Errorf("MySQL databases %+v lack the server's own", my.Databases)
	}
}

// A service has no HOME; the clients are given the account's, where
// mysql finds ~/.my.cnf.
func TestRunClientHome(t *testing.T) {
	t.Setenv("HOME", "")
	os.Unsetenv("HOME")
	out, err := runClient(t.Context(), "", "sh", "-c", `printf %s "$HOME"`)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := user.Current()
	if string(out) != u.HomeDir {
		t.Errorf("client's HOME = %q, want %q", out, u.HomeDir)
	}
}

func TestFileOwnerName(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".s.PGSQL.5432")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	u, _ := user.Current()
	if got := fileOwnerName(p); got != u.Username {
		t.Errorf("fileOwnerName(a file of ours) = %q, want %q", got, u.Username)
	}
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(nobody.Uid)
		if err := os.Chown(p, uid, -1); err != nil {
			t.Fatal(err)
		}
		if got := fileOwnerName(p); got != "nobody" {
			t.Errorf("fileOwnerName(nobody's) = %q, want nobody", got)
		}
	}
	if got := fileOwnerName(p + ".missing"); got != "" {
		t.Errorf("fileOwnerName(missing) = %q, want none", got)
	}
}
