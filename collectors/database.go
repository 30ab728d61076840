package collectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/state"
)

// DatabaseService is one entry of the databases_services section: a
// database server running on the host, which GLPI keeps as a database
// instance of the computer, found again by its name.
type DatabaseService struct {
	Type         string     `json:"type"`
	Name         string     `json:"name"`
	Version      string     `json:"version"`
	Manufacturer string     `json:"manufacturer,omitempty"`
	Port         int        `json:"port,omitempty"`
	Path         string     `json:"path,omitempty"` // its data directory
	Size         *int       `json:"size,omitempty"` // MB
	IsActive     bool       `json:"is_active"`
	LastBootDate string     `json:"last_boot_date,omitempty"`
	Databases    []Database `json:"databases,omitempty"`
}

// Database is one database of a DatabaseService. GLPI matches it by name
// within its instance and deletes the ones an instance no longer lists.
type Database struct {
	Name           string `json:"name"`
	Size           *int   `json:"size,omitempty"` // MB
	IsActive       bool   `json:"is_active"`
	CreationDate   string `json:"creation_date,omitempty"`
	UpdateDate     string `json:"update_date,omitempty"`
	LastBackupDate string `json:"last_backup_date,omitempty"`
}

// databaseTimeout bounds one database client: the official agent gives a
// connection 30 s (5 s for SQL Server's login), and a query as long.
const databaseTimeout = 30 * time.Second

// errNoServer reports that a database client found no server to talk to,
// so that the engine has nothing to say on this host.
var errNoServer = errors.New("no server")

// megabytes returns n bytes in whole MB, as the official agent sends a
// size (its MB with decimals, truncated by GLPI's integer field).
func megabytes(n int64) *int {
	mb := int(n >> 20)
	return &mb
}

// dbDate returns the "YYYY-MM-DD HH:MM:SS" a query printed, or "" for a
// NULL or anything else.
func dbDate(s string) string {
	if !dbDateRE.MatchString(s) {
		return ""
	}
	return s
}

var dbDateRE = lazyRE(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)

// clientMissing reports whether err says the client program is not
// installed.
func clientMissing(err error) bool { return errors.Is(err, exec.ErrNotFound) }

// clientError returns err with what the client printed on its standard
// error, which says why it failed.
func clientError(name string, err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(bytes.TrimSpace(ee.Stderr)) > 0 {
		msg := strings.TrimSpace(string(ee.Stderr))
		if i := strings.IndexByte(msg, '\n'); i > 0 {
			msg = msg[:i]
		}
		for _, h := range loginRefused {
			if strings.Contains(msg, h.says) {
				return fmt.Errorf("%s: %w: %s (%s)", name, err, msg, h.advice)
			}
		}
		return fmt.Errorf("%s: %w: %s", name, err, msg)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// loginRefused are what the clients say when a server refuses the agent's
// account, and what an administrator does about it.
var loginRefused = []struct{ says, advice string }{
	{"Peer authentication failed", "let the server's own account in by peer authentication: a \"local all postgres peer\" line in pg_hba.conf"},
	{"password authentication failed", "let the server's own account in by peer authentication: a \"local all postgres peer\" line in pg_hba.conf"},
	{"no password supplied", "let the server's own account in by peer authentication: a \"local all postgres peer\" line in pg_hba.conf"},
	{"ERROR 1045 ", "give the agent's account a login: user and password under [client] in its ~/.my.cnf, mode 0600"},
	{"ERROR 1698 ", "give the agent's account a login: user and password under [client] in its ~/.my.cnf, mode 0600"},
	{"Login failed for user", "give the agent's account (NT AUTHORITY\\SYSTEM for the service) a login on the instance"},
}

// --- PostgreSQL ---

// postgresSocketDirs are where PostgreSQL servers put their Unix sockets:
// Debian's and Red Hat's packages, and a server built from source.
var postgresSocketDirs = []string{"/var/run/postgresql", "/run/postgresql", "/tmp"}

// postgresPorts returns the ports of the PostgreSQL servers running on the
// host, from their sockets (".s.PGSQL.5432"), each once.
func postgresPorts(env *Env) []int {
	var ports []int
	for _, dir := range postgresSocketDirs {
		for _, p := range env.Glob(path.Join(dir, ".s.PGSQL.*")) {
			port, err := strconv.Atoi(strings.TrimPrefix(path.Base(p), ".s.PGSQL."))
			if err == nil && !slices.Contains(ports, port) {
				ports = append(ports, port)
			}
		}
	}
	slices.Sort(ports)
	return ports
}

// postgresQueries are what psql is asked, in one run: the server (with
// its data directory), then each database with its size and, as the
// official agent dates them, the times its directory's PG_VERSION file
// (creation) and the directory itself (last update) were written. Rows
// are tagged by their first field.
var postgresQueries = []string{
	`SELECT 'i', current_setting('server_version'), coalesce(current_setting('cluster_name', true), ''), ` +
		`coalesce(to_char(pg_postmaster_start_time(), 'YYYY-MM-DD HH24:MI:SS'), ''), current_setting('data_directory')`,
	`SELECT 'd', pg_database_size(oid), ` +
		`coalesce(to_char((pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification, 'YYYY-MM-DD HH24:MI:SS'), ''), ` +
		`coalesce(to_char((pg_stat_file('base/' || oid, true)).modification, 'YYYY-MM-DD HH24:MI:SS'), ''), ` +
		`datname FROM pg_database ORDER BY oid`,
}

// psqlArgs returns psql's arguments to run postgresQueries on the server
// whose socket is in dir with port: no psqlrc, no password prompt,
// unaligned tuples separated by the ASCII unit separator (which no
// database name holds), stopping at the first error.
func psqlArgs(dir string, port int) []string {
	args := []string{"-X", "-w", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
		"-h", dir, "-p", strconv.Itoa(port), "-d", "postgres"}
	for _, q := range postgresQueries {
		args = append(args, "-c", q)
	}
	return args
}

// psqlProgram returns the psql to run: Debian's own binary of its newest
// PostgreSQL release (/usr/lib/postgresql/17/bin/psql) where there is one,
// rather than the Perl wrapper Debian puts on the PATH, which takes 30 ms
// to choose it (psql reads older servers); else one where macOS's
// installers put it (clientProgram).
func psqlProgram(env *Env) string {
	best, bestVersion := "", 0
	for _, p := range env.Glob("/usr/lib/postgresql/*/bin/psql") {
		v, err := strconv.Atoi(path.Base(path.Dir(path.Dir(p))))
		if err == nil && v > bestVersion {
			best, bestVersion = env.Path(p), v
		}
	}
	if best != "" {
		return best
	}
	return clientProgram(env, "psql", "/Applications/Postgres.app/Contents/Versions/latest/bin", "/Library/PostgreSQL/*/bin")
}

// clientProgram returns the path of the client program name where macOS's
// installers put it off the PATH a service gets (launchd's is
// /usr/bin:/bin:/usr/sbin:/sbin): Homebrew's on Apple silicon and on
// Intel, then dirs (globs allowed, the last match taken: the newest
// release); else name, to be found on the PATH.
func clientProgram(env *Env, name string, dirs ...string) string {
	for _, dir := range append([]string{"/opt/homebrew/bin", "/usr/local/bin"}, dirs...) {
		if matches := env.Glob(path.Join(dir, name)); len(matches) > 0 {
			return env.Path(matches[len(matches)-1])
		}
	}
	return name
}

// parsePostgres reads the output of postgresQueries.
func parsePostgres(out []byte, port int) (DatabaseService, error) {
	s := DatabaseService{Type: "postgresql", Name: "PostgreSQL", Manufacturer: "PostgreSQL", Port: port, IsActive: true}
	var total int64
	seen := false
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), "\x1f")
		switch {
		case f[0] == "i" && len(f) == 5:
			// "15.10 (Debian 15.10-1.pgdg120+1)", "17beta1": the number.
			s.Version = postgresVersionRE.FindString(f[1])
			if f[2] != "" {
				s.Name = f[2] // Debian's "15/main", as the official agent names it
			}
			s.LastBootDate = dbDate(f[3])
			s.Path = f[4]
			seen = true
		case f[0] == "d" && len(f) >= 5:
			size, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return s, fmt.Errorf("psql: database size %q", f[1])
			}
			total += size
			s.Databases = append(s.Databases, Database{
				Name: strings.Join(f[4:], "\x1f"), Size: megabytes(size), IsActive: true,
				CreationDate: dbDate(f[2]), UpdateDate: dbDate(f[3]),
			})
		}
	}
	if !seen || s.Version == "" {
		return s, errors.New("psql: no server version in its output")
	}
	s.Size = megabytes(total)
	return s, nil
}

var postgresVersionRE = lazyRE(`^[0-9.]+`)

// postgresServices inventories the PostgreSQL servers of the host through
// psql, as the official agent does (Generic/Databases/PostgreSQL.pm):
// run as the server's own account (the owner of its socket, postgres
// where it does not tell), which a local server lets in by peer
// authentication, when the agent runs as root. Where it asks the server on
// the default port only, each server whose socket is found is asked.
func postgresServices(ctx context.Context, env *Env, run dbRunner) ([]DatabaseService, error) {
	ports := postgresPorts(env)
	if len(ports) == 0 {
		return nil, errNoServer
	}
	var out []DatabaseService
	for _, port := range ports {
		dir, account := "", "postgres"
		for _, d := range postgresSocketDirs {
			socket := path.Join(d, ".s.PGSQL."+strconv.Itoa(port))
			if exists(env, socket) {
				dir = d
				// The server's own account made it: the one its peer
				// authentication lets in as the superuser initdb made.
				if owner := fileOwner(env.Path(socket)); owner != "" {
					account = owner
				}
				break
			}
		}
		ctx, cancel := context.WithTimeout(ctx, databaseTimeout)
		b, err := run(ctx, account, psqlProgram(env), psqlArgs(dir, port)...)
		cancel()
		if err != nil {
			if clientMissing(err) {
				return nil, err
			}
			return nil, clientError(fmt.Sprintf("psql on port %d", port), err)
		}
		s, err := parsePostgres(b, port)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return distinctNames(out, 5432), nil
}

// distinctNames names apart the servers of one name (PostgreSQL servers
// without cluster_name are all "PostgreSQL"), which GLPI, finding an
// instance by its name, would take for one: each but the one on the
// default port, which keeps the name the official agent gives it, is
// named with its port ("PostgreSQL on port 5433").
func distinctNames(services []DatabaseService, defaultPort int) []DatabaseService {
	for i := range services {
		dup := slices.ContainsFunc(services, func(o DatabaseService) bool {
			return o.Name == services[i].Name && o.Port != services[i].Port
		})
		if dup && services[i].Port != defaultPort {
			services[i].Name += " on port " + strconv.Itoa(services[i].Port)
		}
	}
	return services
}

// --- MySQL and MariaDB ---

// mysqlQuery is what the mysql client is asked, in one run: the version,
// the port, the data directory, the uptime, then each database with the
// sum of its tables' data and index lengths and, as the official agent
// dates them, its oldest table's creation and latest table's update. The
// server's views (information_schema, performance_schema) are listed
// without: their tables are made for each query, so that their dates
// would be the time of every inventory, and reading them costs the server
// more than all the others.
const mysqlQuery = `SELECT 'version', VERSION(); SELECT 'port', @@port; SELECT 'datadir', @@datadir; SHOW GLOBAL STATUS LIKE 'Uptime'; ` +
	`SELECT 'db', t.size, t.created, t.updated, s.SCHEMA_NAME FROM information_schema.SCHEMATA s LEFT JOIN (` +
	`SELECT TABLE_SCHEMA, SUM(DATA_LENGTH + INDEX_LENGTH) size, DATE_FORMAT(MIN(CREATE_TIME), '%Y-%m-%d %H:%i:%s') created, ` +
	`DATE_FORMAT(MAX(UPDATE_TIME), '%Y-%m-%d %H:%i:%s') updated FROM information_schema.TABLES ` +
	`WHERE TABLE_SCHEMA NOT IN ('information_schema', 'performance_schema') GROUP BY TABLE_SCHEMA` +
	`) t ON t.TABLE_SCHEMA = s.SCHEMA_NAME ORDER BY s.SCHEMA_NAME`

// mysqlArgs are the mysql client's arguments: its own option files (root's
// ~/.my.cnf is where administrators give it a login), tab-separated
// output without column names.
var mysqlArgs = []string{"--batch", "--skip-column-names", "--connect-timeout=30", "-e", mysqlQuery}

// mysqlUnescape undoes the escapes of the client's batch output.
var mysqlUnescape = strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n", `\0`, "\x00")

// parseMySQL reads the output of mysqlQuery; now dates the server's start
// from its uptime.
func parseMySQL(out []byte, now time.Time) (DatabaseService, error) {
	s := DatabaseService{Type: "mysql", Name: "MySQL", Manufacturer: "Oracle", IsActive: true}
	var total int64
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		switch {
		case f[0] == "version" && len(f) == 2:
			s.Version = f[1]
			// "10.11.6-MariaDB-0+deb12u1": the official agent's name,
			// maker and version without the "-MariaDB".
			if i := strings.Index(strings.ToLower(s.Version), "-mariadb"); i >= 0 {
				s.Name, s.Manufacturer = "MariaDB", "MariaDB"
				s.Version = s.Version[:i] + s.Version[i+len("-mariadb"):]
			}
		case f[0] == "port" && len(f) == 2:
			s.Port, _ = strconv.Atoi(f[1])
		case f[0] == "datadir" && len(f) == 2:
			s.Path = strings.TrimSuffix(mysqlUnescape.Replace(f[1]), "/")
		case f[0] == "Uptime" && len(f) == 2:
			if up, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				s.LastBootDate = now.Add(-time.Duration(up) * time.Second).Format(time.DateTime)
			}
		case f[0] == "db" && len(f) >= 5:
			db := Database{Name: mysqlUnescape.Replace(strings.Join(f[4:], "\t")), IsActive: true,
				CreationDate: dbDate(f[2]), UpdateDate: dbDate(f[3])}
			if size, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				total += size
				db.Size = megabytes(size)
			}
			s.Databases = append(s.Databases, db)
		}
	}
	if s.Version == "" {
		return s, errors.New("mysql: no server version in its output")
	}
	s.Size = megabytes(total)
	return s, nil
}

// mysqlNoServer matches the client's errors for a server that is not
// there: 2002, no socket; 2003, nothing on the port.
var mysqlNoServer = lazyRE(`ERROR 200[23] `)

// mysqlSockets are where MySQL and MariaDB servers put their Unix socket:
// Debian's and Ubuntu's packages, Red Hat's, SUSE's, and a server built
// from source. The client is run only where one is, so that a host with
// the client alone runs nothing.
var mysqlSockets = []string{"/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock",
	"/var/lib/mysql/mysql.sock", "/run/mysql/mysql.sock", "/tmp/mysql.sock"}

// mysqlServices inventories the MySQL or MariaDB server of the host through
// the mysql client and its own configuration, as the official agent does
// (Generic/Databases/MySQL.pm). A server that refuses the agent's login
// is an error: the section is then kept from the last run that read it.
func mysqlServices(ctx context.Context, env *Env, run dbRunner) ([]DatabaseService, error) {
	if !slices.ContainsFunc(mysqlSockets, func(p string) bool { return exists(env, p) }) {
		return nil, errNoServer
	}
	ctx, cancel := context.WithTimeout(ctx, databaseTimeout)
	defer cancel()
	b, err := run(ctx, "", clientProgram(env, "mysql", "/usr/local/mysql/bin"), mysqlArgs...)
	if clientMissing(err) {
		// MariaDB 11's client, whose "mysql" name is a package of its own.
		b, err = run(ctx, "", clientProgram(env, "mariadb"), mysqlArgs...)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && mysqlNoServer.MatchString(string(ee.Stderr)) {
			return nil, errNoServer
		}
		if clientMissing(err) {
			return nil, err
		}
		return nil, clientError("mysql", err)
	}
	s, err := parseMySQL(b, env.Time())
	if err != nil {
		return nil, err
	}
	return []DatabaseService{s}, nil
}

// --- SQL Server ---

// mssqlQuery is what sqlcmd is asked, in one batch: the server, its data
// directory, its start (which needs VIEW SERVER STATE), each database
// with its state, the size of its files and its last backup (which
// administrators see) and, as the official agent dates it, its latest
// object's change (in the databases the login may enter). A statement
// the login may not run fails alone. Rows are tagged by their first
// field; a database's name comes last, so that no separator in it can
// shift a field.
const mssqlQuery = `SET NOCOUNT ON; ` +
	`SELECT 'i', CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)), @@SERVICENAME; ` +
	`SELECT 'p', CAST(SERVERPROPERTY('InstanceDefaultDataPath') AS nvarchar(260)); ` +
	`SELECT 'b', CONVERT(varchar(19), sqlserver_start_time, 120) FROM sys.dm_os_sys_info; ` +
	`SELECT 'd', database_id, state, CONVERT(varchar(19), create_date, 120), name FROM sys.databases; ` +
	`SELECT 's', database_id, SUM(CAST(size AS bigint)) FROM sys.master_files GROUP BY database_id; ` +
	`SELECT 'k', d.database_id, CONVERT(varchar(19), MAX(b.backup_finish_date), 120) FROM sys.databases d ` +
	`JOIN msdb.dbo.backupset b ON b.database_name = d.name GROUP BY d.database_id; ` +
	`DECLARE @q nvarchar(max) = N''; ` +
	`SELECT @q = @q + CASE WHEN @q = N'' THEN N'' ELSE N' UNION ALL ' END + ` +
	`N'SELECT ''u'', ' + CAST(database_id AS nvarchar(12)) + N', CONVERT(varchar(19), MAX(modify_date), 120) FROM ' + ` +
	`QUOTENAME(name) + N'.sys.objects' FROM sys.databases WHERE state = 0 AND HAS_DBACCESS(name) = 1; ` +
	`IF @q <> N'' EXEC (@q);`

// sqlcmdArgs returns sqlcmd's arguments for the instance at server (""
// for the default one): Windows authentication as the agent's account,
// a 5 s login, errors on the standard error, no headers, fields separated
// by "|" and trimmed, UTF-8 output, no scripting variables or commands.
func sqlcmdArgs(server string) []string {
	args := []string{"-E", "-l", "5", "-t", "30", "-K", "ReadOnly", "-X1", "-x", "-r1",
		"-h", "-1", "-W", "-s", "|", "-f", "o:65001", "-Q", mssqlQuery}
	if server != "" {
		args = append([]string{"-S", server}, args...)
	}
	return args
}

// parseMSSQL reads the output of mssqlQuery.
func parseMSSQL(out []byte, port int) (DatabaseService, error) {
	s := DatabaseService{Type: "mssql", Manufacturer: "Microsoft", Port: port, IsActive: true}
	type db struct {
		Database
		pages int64
		sized bool
	}
	var dbs []*db
	byID := map[string]*db{}
	for line := range strings.Lines(string(bytes.TrimPrefix(out, []byte("\uFEFF")))) {
		line = strings.TrimRight(line, "\r\n")
		tag, rest, _ := strings.Cut(line, "|")
		switch tag {
		case "i":
			version, name, ok := strings.Cut(rest, "|")
			if ok {
				s.Version, s.Name = version, name
			}
		case "b":
			s.LastBootDate = dbDate(rest)
		case "p":
			if rest != "NULL" {
				s.Path = strings.TrimSuffix(rest, `\`)
			}
		case "d":
			f := strings.SplitN(rest, "|", 4)
			if len(f) != 4 {
				continue
			}
			d := &db{Database: Database{Name: f[3], IsActive: f[1] == "0", CreationDate: dbDate(f[2])}}
			dbs = append(dbs, d)
			byID[f[0]] = d
		case "s":
			id, pages, _ := strings.Cut(rest, "|")
			if d := byID[id]; d != nil {
				d.pages, d.sized = int64(atoi(pages)), true
			}
		case "u":
			id, date, _ := strings.Cut(rest, "|")
			if d := byID[id]; d != nil {
				d.UpdateDate = dbDate(date)
			}
		case "k":
			id, date, _ := strings.Cut(rest, "|")
			if d := byID[id]; d != nil {
				d.LastBackupDate = dbDate(date)
			}
		}
	}
	if s.Version == "" || s.Name == "" {
		return s, errors.New("sqlcmd: no server version in its output")
	}
	var total int64
	sized := false
	for _, d := range dbs {
		if d.sized {
			d.Size = megabytes(d.pages * 8192) // 8 KB pages
			total += d.pages * 8192
			sized = true
		}
		s.Databases = append(s.Databases, d.Database)
	}
	if sized {
		s.Size = megabytes(total)
	}
	return s, nil
}

// dbRunner runs a database client program as account ("" for the agent's
// own) and returns its standard output; an *exec.ExitError carries its
// standard error.
type dbRunner func(ctx context.Context, account, name string, args ...string) ([]byte, error)

// unixDatabaseEngines are the database servers asked on Linux and macOS.
var unixDatabaseEngines = []databaseEngine{
	{name: "postgresql", collect: postgresServices},
	{name: "mysql", collect: mysqlServices},
}

// databaseEngine inventories one kind of database server; errNoServer or a
// missing client means the host has none to tell of.
type databaseEngine struct {
	name    string
	collect func(ctx context.Context, env *Env, run dbRunner) ([]DatabaseService, error)
}

// collectDatabaseServices runs engines, at once (each waits on its
// client and server), and gathers their servers in the engines' order. A
// server that cannot be read fails the whole section, so that GLPI, which
// deletes the instances a section leaves out, keeps it from the last run
// that read it; a host with no server has no data.
func collectDatabaseServices(ctx context.Context, env *Env, run dbRunner, engines []databaseEngine) (any, error) {
	if env.Exec == nil && !env.Live() {
		return nil, NoData("database clients run on this machine only") // a host root, a fixture
	}
	type result struct {
		services []DatabaseService
		err      error
	}
	results := make([]result, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Go(func() {
			s, err := e.collect(ctx, env, run)
			results[i] = result{s, err}
		})
	}
	wg.Wait()
	var out []DatabaseService
	for i, r := range results {
		switch {
		case errors.Is(r.err, errNoServer), clientMissing(r.err):
			env.Log().Debug("no database server", "engine", engines[i].name, "reason", r.err)
			continue
		case r.err != nil:
			return nil, r.err
		}
		out = append(out, r.services...)
	}
	if out = keepServices(env, out); len(out) == 0 {
		return nil, NoData("no database server")
	}
	return out, nil
}

// keptServicesFile, under Options.CacheDir, holds each database server
// the collector read, with the day it last did.
const keptServicesFile = "database-servers.json"

// keptServiceAge is how long a server no longer found is still sent.
const keptServiceAge = 30 * 24 * time.Hour

type keptService struct {
	Service DatabaseService `json:"service"`
	Seen    time.Time       `json:"seen"` // the day, in UTC
}

// keepServices returns the servers found, then those found before that
// are not now (a server stopped at the time of the inventory: a night's
// maintenance, a cluster of two that is down), as they were last read but
// inactive, for keptServiceAge after they were last seen. GLPI deletes an
// instance its section leaves out, with its databases and whatever was
// attached to them, to make it anew when the server is back; inactive is
// what the server is. It keeps nothing without Options.CacheDir.
func keepServices(env *Env, found []DatabaseService) []DatabaseService {
	if env.Options.CacheDir == "" {
		return found
	}
	file := filepath.Join(env.Options.CacheDir, keptServicesFile)
	old, err := os.ReadFile(file)
	var kept []keptService
	if err == nil {
		if err := json.Unmarshal(old, &kept); err != nil {
			env.Log().Debug("kept database servers unreadable", "file", file, "err", err)
			kept = nil
		}
	}
	key := func(s DatabaseService) string { return s.Type + "\x00" + s.Name + "\x00" + strconv.Itoa(s.Port) }
	today := env.Time().UTC().Truncate(24 * time.Hour)
	out := slices.Clone(found)
	next := make([]keptService, 0, len(found)+len(kept))
	for i, s := range found {
		// A start told as an uptime (MySQL's) moves by a second from run
		// to run as the clocks' seconds fall: the one sent before stays.
		if j := slices.IndexFunc(kept, func(k keptService) bool { return key(k.Service) == key(s) }); j >= 0 {
			if before := kept[j].Service.LastBootDate; closeDates(before, s.LastBootDate, 2*time.Second) {
				out[i].LastBootDate = before
			}
		}
		next = append(next, keptService{out[i], today})
	}
	for _, k := range kept {
		if slices.ContainsFunc(found, func(s DatabaseService) bool { return key(s) == key(k.Service) }) ||
			today.Sub(k.Seen) > keptServiceAge {
			continue
		}
		next = append(next, k)
		k.Service.IsActive = false
		out = append(out, k.Service)
	}
	b, err := json.Marshal(next)
	if err == nil && !bytes.Equal(b, old) {
		if len(next) == 0 {
			err = os.Remove(file)
		} else {
			err = state.WriteFileAtomic(file, b, 0o600)
		}
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		env.Log().Debug("keep database servers", "file", file, "err", err)
	}
	return out
}

// closeDates reports whether two "YYYY-MM-DD HH:MM:SS" dates are within d
// of each other.
func closeDates(a, b string, d time.Duration) bool {
	ta, err1 := time.Parse(time.DateTime, a)
	tb, err2 := time.Parse(time.DateTime, b)
	return err1 == nil && err2 == nil && ta.Sub(tb).Abs() <= d
}

// mssqlServices asks each SQL Server instance of the machine through
// the program sqlcmd.
func mssqlServices(ctx context.Context, sqlcmd string, instances []mssqlInstance, run dbRunner) ([]DatabaseService, error) {
	if len(instances) == 0 {
		return nil, errNoServer
	}
	var out []DatabaseService
	for _, i := range instances {
		ctx, cancel := context.WithTimeout(ctx, databaseTimeout)
		b, err := run(ctx, "", sqlcmd, sqlcmdArgs(i.server())...)
		cancel()
		if err != nil {
			if clientMissing(err) {
				return nil, err
			}
			return nil, clientError("sqlcmd for instance "+i.name, err)
		}
		s, err := parseMSSQL(b, i.port)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// databaseRunner returns how env runs database clients: its Exec where
// tests give one (which runs every program as it is), else runClient.
func databaseRunner(env *Env) dbRunner {
	if env.Exec != nil {
		return func(ctx context.Context, _, name string, args ...string) ([]byte, error) {
			return env.Exec(ctx, name, args...)
		}
	}
	return runClient
}

// runClient runs a database client of this machine as account ("" for the
// agent's own), as Env.Run runs a program, with a home.
func runClient(ctx context.Context, account, name string, args ...string) ([]byte, error) {
	cmd := command(ctx, name, args...)
	if os.Getenv("HOME") == "" {
		// A service has no HOME (systemd sets none without User=), and
		// the mysql client then never reads ~/.my.cnf, where an
		// administrator gives the agent's account a login.
		if u, err := user.Current(); err == nil && u.HomeDir != "" {
			cmd.Env = append(cmd.Env, "HOME="+u.HomeDir)
		}
	}
	if account != "" && runAs != nil {
		if err := runAs(cmd, account); err != nil {
			return nil, err
		}
	}
	return cmd.Output()
}

// runAs, where the OS has accounts to switch to, makes cmd run as account
// when the agent may.
var runAs func(cmd *exec.Cmd, account string) error

// fileOwner returns the name of the account that owns a file, "" where
// the OS or the file does not tell.
var fileOwner = func(path string) string { return "" }
