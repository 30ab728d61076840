package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func mb(n int) *int { return &n }

func TestParsePostgres(t *testing.T) {
	// psql's output on Debian 12, the cluster named by pg_createcluster.
	out := "i\x1f15.18 (Debian 15.18-0+deb12u1)\x1f15/main\x1f2026-12-07 22:56:18\x1f/var/lib/postgresql/15/main\n" +
		"d\x1f7634279\x1f2026-05-20 16:27:30\x1f2026-12-07 22:56:19\x1ftemplate1\n" +
		"d\x1f7471619\x1f2026-05-20 16:27:30\x1f2026-05-20 16:27:30\x1ftemplate0\n" +
		"d\x1f1073741824\x1f2026-05-21 09:00:00\x1f\x1fsales, 2026\n"
	got, err := parsePostgres([]byte(out), 5433)
	if err != nil {
		t.Fatal(err)
	}
	want := DatabaseService{
		Type: "postgresql", Name: "15/main", Version: "15.18", Manufacturer: "PostgreSQL", Port: 5433,
		Path: "/var/lib/postgresql/15/main", Size: mb(1038), IsActive: true, LastBootDate: "2026-12-07 22:56:18",
		Databases: []Database{
			{Name: "template1", Size: mb(7), IsActive: true, CreationDate: "2026-05-20 16:27:30", UpdateDate: "2026-12-07 22:56:19"},
			{Name: "template0", Size: mb(7), IsActive: true, CreationDate: "2026-05-20 16:27:30", UpdateDate: "2026-05-20 16:27:30"},
			{Name: "sales, 2026", Size: mb(1024), IsActive: true, CreationDate: "2026-05-21 09:00:00"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsePostgres =\n%+v\nwant\n%+v", got, want)
	}
	validateSection(t, "databases_services", []DatabaseService{got})

	// A server without cluster_name is "PostgreSQL", as the official agent
	// names it.
	got, err = parsePostgres([]byte("i\x1f17beta1\x1f\x1f\x1f/srv/pg\n"), 5432)
	if err != nil || got.Name != "PostgreSQL" || got.Version != "17" || got.LastBootDate != "" {
		t.Errorf("parsePostgres(no cluster name) = %+v, %v", got, err)
	}
	if _, err := parsePostgres([]byte("psql: warning\n"), 5432); err == nil {
		t.Error("parsePostgres(no server row) succeeded")
	}
	if _, err := parsePostgres([]byte("i\x1f16.1\x1f\x1f\x1f/srv/pg\nd\x1fbig\x1f\x1f\x1fx\n"), 5432); err == nil {
		t.Error("parsePostgres(bad size) succeeded")
	}
}

func TestParseMySQL(t *testing.T) {
	now := time.Date(2026, 12, 7, 23, 0, 0, 0, time.Local)
	for _, tc := range []struct {
		name, out string
		want      DatabaseService
	}{
		{"mariadb",
			"version\t10.11.14-MariaDB-0+deb12u2\nport\t3306\ndatadir\t/var/lib/mysql/\nUptime\t3600\n" +
				"db\t212992\t2026-12-07 22:56:16\t2026-12-07 22:56:16\tinformation_schema\n" +
				"db\t3489792\t2026-12-07 22:55:49\tNULL\tmysql\n" +
				"db\tNULL\tNULL\tNULL\tempty\\tone\n",
			DatabaseService{Type: "mysql", Name: "MariaDB", Version: "10.11.14-0+deb12u2", Manufacturer: "MariaDB",
				Port: 3306, Path: "/var/lib/mysql", Size: mb(3), IsActive: true, LastBootDate: "2026-12-07 22:00:00",
				Databases: []Database{
					{Name: "information_schema", Size: mb(0), IsActive: true, CreationDate: "2026-12-07 22:56:16", UpdateDate: "2026-12-07 22:56:16"},
					{Name: "mysql", Size: mb(3), IsActive: true, CreationDate: "2026-12-07 22:55:49"},
					{Name: "empty\tone", IsActive: true},
				}}},
		{"mysql",
			"version\t8.0.40-0ubuntu0.24.04.1\nport\t3307\nUptime\t60\ndb\t16384\t2026-01-02 03:04:05\tNULL\tapp\n",
			DatabaseService{Type: "mysql", Name: "MySQL", Version: "8.0.40-0ubuntu0.24.04.1", Manufacturer: "Oracle",
				Port: 3307, Size: mb(0), IsActive: true, LastBootDate: "2026-12-07 22:59:00",
				Databases: []Database{{Name: "app", Size: mb(0), IsActive: true, CreationDate: "2026-01-02 03:04:05"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMySQL([]byte(tc.out), now)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseMySQL =\n%+v\nwant\n%+v", got, tc.want)
			}
			validateSection(t, "databases_services", []DatabaseService{got})
		})
	}
	if _, err := parseMySQL(nil, now); err == nil {
		t.Error("parseMySQL(nothing) succeeded")
	}
}

// mssql2019 is sqlcmd's output for the official agent's SQL Server 2019
// sample (resources/generic/databases/sql-server-2019-*): its databases,
// dates and sizes (sp_spaceused's 7.38 MB of master is 945 pages).
const mssql2019 = "\uFEFFi|15.0.2080.9|MSSQLSERVER\r\n" +
	"p|C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\DATA\\\r\n" +
	"b|2021-07-12 20:35:59\r\n" +
	"d|1|0|2003-04-08 09:13:36|master\r\n" +
	"d|2|0|2021-07-12 20:35:59|tempdb\r\n" +
	"d|3|0|2003-04-08 09:13:36|model\r\n" +
	"d|4|0|2019-09-24 14:21:42|msdb\r\n" +
	"d|5|0|2021-07-12 18:37:22|AdventureWorks2019\r\n" +
	"d|6|6|2022-01-01 00:00:00|Archive|2019\r\n" +
	"s|1|945\r\ns|2|5120\r\ns|3|2048\r\ns|4|5632\r\ns|5|43008\r\n" +
	"u|1|2021-07-12 18:01:50\r\nu|2|2021-07-13 16:37:37\r\nu|3|2021-07-12 18:01:50\r\n" +
	"u|4|2021-07-12 20:35:51\r\nu|5|2020-06-15 10:36:59\r\n" +
	"k|5|2021-07-13 02:00:04\r\n"

// mssql2019Want is what the official agent sends for it (mssql.t), with
// the port, a backup and the offline database the sample lacks.
var mssql2019Want = DatabaseService{
	Type: "mssql", Name: "MSSQLSERVER", Version: "15.0.2080.9", Manufacturer: "Microsoft", Port: 1433,
	Path: `C:\Program Files\Microsoft SQL Server\MSSQL15.MSSQLSERVER\MSSQL\DATA`, Size: mb(443), IsActive: true, LastBootDate: "2021-07-12 20:35:59",
	Databases: []Database{
		{Name: "master", Size: mb(7), IsActive: true, CreationDate: "2003-04-08 09:13:36", UpdateDate: "2021-07-12 18:01:50"},
		{Name: "tempdb", Size: mb(40), IsActive: true, CreationDate: "2021-07-12 20:35:59", UpdateDate: "2021-07-13 16:37:37"},
		{Name: "model", Size: mb(16), IsActive: true, CreationDate: "2003-04-08 09:13:36", UpdateDate: "2021-07-12 18:01:50"},
		{Name: "msdb", Size: mb(44), IsActive: true, CreationDate: "2019-09-24 14:21:42", UpdateDate: "2021-07-12 20:35:51"},
		{Name: "AdventureWorks2019", Size: mb(336), IsActive: true, CreationDate: "2021-07-12 18:37:22", UpdateDate: "2020-06-15 10:36:59",
			LastBackupDate: "2021-07-13 02:00:04"},
		{Name: "Archive|2019", CreationDate: "2022-01-01 00:00:00"},
	},
}

func TestParseMSSQL(t *testing.T) {
	got, err := parseMSSQL([]byte(mssql2019), 1433)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, mssql2019Want) {
		t.Errorf("parseMSSQL =\n%+v\nwant\n%+v", got, mssql2019Want)
	}
	validateSection(t, "databases_services", []DatabaseService{got})

	// A login that may not see the files, the start or the objects: the
	// databases without sizes or update dates, the instance without size.
	got, err = parseMSSQL([]byte("i|16.0.1000.6|SQLEXPRESS\np|NULL\nd|1|0|2003-04-08 09:13:36|master\n"), 0)
	want := DatabaseService{Type: "mssql", Name: "SQLEXPRESS", Version: "16.0.1000.6", Manufacturer: "Microsoft", IsActive: true,
		Databases: []Database{{Name: "master", IsActive: true, CreationDate: "2003-04-08 09:13:36"}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseMSSQL(restricted) = %+v, %v\nwant %+v", got, err, want)
	}
	if _, err := parseMSSQL([]byte("Msg 18456, Level 14, State 1\n"), 0); err == nil {
		t.Error("parseMSSQL(no server row) succeeded")
	}
}

// fakeClients answers database clients by program name; a program
// without an answer is not installed.
type fakeClients map[string]func(args []string) ([]byte, error)

func (f fakeClients) exec(calls *[]string) func(ctx context.Context, name string, args ...string) ([]byte, error) {
	return func(ctx context.Context, name string, args ...string) ([]byte, error) {
		*calls = append(*calls, name+" "+strings.Join(args, " "))
		if a := f[name]; a != nil {
			return a(args)
		}
		return nil, fmt.Errorf("exec: %q: %w", name, exec.ErrNotFound)
	}
}

func TestWinDatabases(t *testing.T) {
	reg, err := parseRegFile([]byte(`Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\Instance Names\SQL]
"MSSQLSERVER"="MSSQL15.MSSQLSERVER"
"SQLEXPRESS"="MSSQL16.SQLEXPRESS"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\MSSQL15.MSSQLSERVER\MSSQLServer\SuperSocketNetLib\Tcp\IPAll]
"TcpPort"="1433"
"TcpDynamicPorts"=""

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\MSSQL16.SQLEXPRESS\MSSQLServer\SuperSocketNetLib\Tcp\IPAll]
"TcpPort"=""
"TcpDynamicPorts"="49733"
`))
	if err != nil {
		t.Fatal(err)
	}
	h := winHost{reg: reg, wmi: wmiFixture{dir: t.TempDir()}}
	// Both services running, or the named one stopped.
	services := func(express string) winHost {
		dir := t.TempDir()
		err := os.WriteFile(filepath.Join(dir, "Win32_Service.json"),
			[]byte(`[{"Name": "MSSQLSERVER", "State": "Running"}, {"Name": "MSSQL$SQLEXPRESS", "State": "`+express+`"}]`), 0o644)
		if err != nil {
			t.Fatal(err)
		}
		return winHost{reg: reg, wmi: wmiFixture{dir: dir}}
	}
	express := "i|16.0.1000.6|SQLEXPRESS\nd|1|0|2003-04-08 09:13:36|master\n"
	for _, tc := range []struct {
		name    string
		host    winHost
		clients fakeClients
		want    []DatabaseService
		wantErr string
	}{
		{"both", services("Running"), fakeClients{"sqlcmd": func(args []string) ([]byte, error) {
			if args[0] == "-S" {
				if args[1] != `.\SQLEXPRESS` {
					return nil, fmt.Errorf("server %q", args[1])
				}
				return []byte(express), nil
			}
			return []byte(mssql2019), nil
		}}, []DatabaseService{mssql2019Want, {Type: "mssql", Name: "SQLEXPRESS", Version: "16.0.1000.6",
			Manufacturer: "Microsoft", Port: 49733, IsActive: true,
			Databases: []Database{{Name: "master", IsActive: true, CreationDate: "2003-04-08 09:13:36"}}}}, ""},
		// The services unknown to WMI: both asked.
		{"no services", h, fakeClients{"sqlcmd": func(args []string) ([]byte, error) {
			if args[0] == "-S" {
				return []byte(express), nil
			}
			return []byte(mssql2019), nil
		}}, []DatabaseService{mssql2019Want, {Type: "mssql", Name: "SQLEXPRESS", Version: "16.0.1000.6",
			Manufacturer: "Microsoft", Port: 49733, IsActive: true,
			Databases: []Database{{Name: "master", IsActive: true, CreationDate: "2003-04-08 09:13:36"}}}}, ""},
		// A stopped instance is not asked.
		{"express stopped", services("Stopped"), fakeClients{"sqlcmd": func(args []string) ([]byte, error) {
			if args[0] == "-S" {
				return nil, errors.New("a stopped instance asked")
			}
			return []byte(mssql2019), nil
		}}, []DatabaseService{mssql2019Want}, ""},
		{"no sqlcmd", h, fakeClients{}, nil, "no data"},
		// An instance that cannot be read fails the section, which GLPI
		// then keeps as it was.
		{"one fails", h, fakeClients{"sqlcmd": func(args []string) ([]byte, error) {
			if args[0] == "-S" {
				return nil, &exec.ExitError{Stderr: []byte("Sqlcmd: Error: Login timeout expired.\n")}
			}
			return []byte(mssql2019), nil
		}}, nil, "Sqlcmd: Error: Login timeout expired."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			env := winEnv(tc.host)
			env.Exec = tc.clients.exec(&calls)
			v, err := winDatabases(t.Context(), env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || errors.Is(err, ErrNoData) != (tc.wantErr == "no data") {
					t.Fatalf("winDatabases error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := v.([]DatabaseService); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("winDatabases =\n%+v\nwant\n%+v", got, tc.want)
			}
			for _, c := range calls {
				if !strings.Contains(c, " -E ") || !strings.Contains(c, " -Q SET NOCOUNT ON;") {
					t.Errorf("sqlcmd run as %q, want Windows authentication and the query", c)
				}
			}
		})
	}

	// A machine without SQL Server runs nothing.
	var calls []string
	env := winEnv(winHost{reg: &regFile{}, wmi: wmiFixture{dir: t.TempDir()}})
	env.Exec = fakeClients{}.exec(&calls)
	if _, err := winDatabases(t.Context(), env); !errors.Is(err, ErrNoData) || len(calls) != 0 {
		t.Errorf("winDatabases(no instance) = %v after %q, want no data and nothing run", err, calls)
	}
}

func TestCollectDatabaseServices(t *testing.T) {
	pg := DatabaseService{Type: "postgresql", Name: "15/main", Version: "15.18"}
	answers := func(s ...DatabaseService) func(context.Context, *Env, dbRunner) ([]DatabaseService, error) {
		return func(context.Context, *Env, dbRunner) ([]DatabaseService, error) { return s, nil }
	}
	fails := func(err error) func(context.Context, *Env, dbRunner) ([]DatabaseService, error) {
		return func(context.Context, *Env, dbRunner) ([]DatabaseService, error) { return nil, err }
	}
	missing := fmt.Errorf("exec: %w", exec.ErrNotFound)
	env := &Env{Exec: fakeClients{}.exec(new([]string))}
	for _, tc := range []struct {
		name    string
		engines []databaseEngine
		want    []DatabaseService
		wantErr error
	}{
		{"none", []databaseEngine{{"a", fails(errNoServer)}, {"b", fails(missing)}}, nil, ErrNoData},
		{"one", []databaseEngine{{"a", answers(pg)}, {"b", fails(errNoServer)}}, []DatabaseService{pg}, nil},
		{"one fails", []databaseEngine{{"a", answers(pg)}, {"b", fails(errors.New("mysql: access denied"))}}, nil, errors.New("")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := collectDatabaseServices(t.Context(), env, databaseRunner(env), tc.engines)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatal(err)
			case tc.wantErr != nil && err == nil:
				t.Fatalf("collectDatabaseServices = %v, want an error", v)
			case errors.Is(tc.wantErr, ErrNoData) && !errors.Is(err, ErrNoData):
				t.Fatalf("collectDatabaseServices error = %v, want no data", err)
			case errors.Is(err, ErrNoData) && !errors.Is(tc.wantErr, ErrNoData):
				t.Fatalf("collectDatabaseServices error = %v: a failure reported as no data", err)
			}
			if tc.want != nil && !slices.EqualFunc(v.([]DatabaseService), tc.want, func(a, b DatabaseService) bool { return reflect.DeepEqual(a, b) }) {
				t.Errorf("collectDatabaseServices = %+v, want %+v", v, tc.want)
			}
		})
	}
	// A fixture tree's clients are not this machine's: nothing runs.
	if _, err := collectDatabaseServices(t.Context(), &Env{Root: t.TempDir()}, runClient, []databaseEngine{{"a", answers(pg)}}); !errors.Is(err, ErrNoData) {
		t.Errorf("collectDatabaseServices(host root) = %v, want no data", err)
	}
}

// recordRunner is a dbRunner answering by program from answers, recording
// each run as "account: program args".
func recordRunner(calls *[]string, answers map[string]func(args []string) ([]byte, error)) dbRunner {
	return func(ctx context.Context, account, name string, args ...string) ([]byte, error) {
		*calls = append(*calls, account+": "+name+" "+strings.Join(args, " "))
		if a := answers[name]; a != nil {
			return a(args)
		}
		return nil, fmt.Errorf("exec: %q: %w", name, exec.ErrNotFound)
	}
}

func TestPostgresServices(t *testing.T) {
	// Debian's two clusters, and a lock file that is no socket.
	root := writeTree(t, map[string]string{
		"var/run/postgresql/.s.PGSQL.5432":      "",
		"var/run/postgresql/.s.PGSQL.5432.lock": "",
		"tmp/.s.PGSQL.5433":                     "",
		// Debian's releases: the newest psql is run, not the wrapper.
		"usr/lib/postgresql/9.6/bin/psql": "",
		"usr/lib/postgresql/15/bin/psql":  "",
		"usr/lib/postgresql/17/bin/psql":  "",
	})
	// The second server runs as an account of its own, which owns its
	// socket; the first's owner cannot be told.
	defer func(f func(string) string) { fileOwner = f }(fileOwner)
	fileOwner = func(p string) string {
		if strings.HasSuffix(p, ".s.PGSQL.5433") {
			return "pgsql"
		}
		return ""
	}
	var calls []string
	psql := filepath.Join(root, "usr/lib/postgresql/17/bin/psql")
	run := recordRunner(&calls, map[string]func([]string) ([]byte, error){psql: func(args []string) ([]byte, error) {
		i := slices.Index(args, "-p")
		return []byte("i\x1f15.18\x1f15/" + args[i+1] + "\x1f\x1f/srv\nd\x1f8388608\x1f\x1f\x1fpostgres\n"), nil
	}})
	got, err := postgresServices(t.Context(), &Env{Root: root}, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "15/5432" || got[0].Port != 5432 || got[1].Name != "15/5433" || got[1].Port != 5433 {
		t.Errorf("postgresServices = %+v, want the servers of ports 5432 and 5433", got)
	}
	for i, want := range []string{"postgres: " + psql + " -X -w -q -A -t -F \x1f -v ON_ERROR_STOP=1 -h /var/run/postgresql -p 5432 -d postgres -c SELECT 'i'",
		"pgsql: " + psql + " -X -w -q -A -t -F \x1f -v ON_ERROR_STOP=1 -h /tmp -p 5433 -d postgres -c SELECT 'i'"} {
		if i >= len(calls) || !strings.HasPrefix(calls[i], want) {
			t.Errorf("run %d = %q, want %q…", i, calls, want)
		}
	}

	// Red Hat's servers have no cluster_name: all "PostgreSQL", which GLPI
	// would take for one; the one on the default port keeps the name.
	noName := recordRunner(&calls, map[string]func([]string) ([]byte, error){psql: func(args []string) ([]byte, error) {
		return []byte("i\x1f16.4\x1f\x1f\x1f/srv\n"), nil
	}})
	got, err = postgresServices(t.Context(), &Env{Root: root}, noName)
	if err != nil || len(got) != 2 || got[0].Name != "PostgreSQL" || got[1].Name != "PostgreSQL on port 5433" {
		t.Errorf("postgresServices(no cluster names) = %+v, %v; want PostgreSQL and PostgreSQL on port 5433", got, err)
	}

	// No socket: psql is not run.
	calls = nil
	if _, err := postgresServices(t.Context(), &Env{Root: t.TempDir()}, run); !errors.Is(err, errNoServer) || len(calls) != 0 {
		t.Errorf("postgresServices(no socket) = %v after %q, want no server and nothing run", err, calls)
	}
	// A server psql cannot read fails, with what psql said.
	fail := recordRunner(&calls, map[string]func([]string) ([]byte, error){psql: func([]string) ([]byte, error) {
		return nil, &exec.ExitError{Stderr: []byte(`psql: error: connection to server on socket "/tmp/.s.PGSQL.5433" failed: FATAL:  role "agent" does not exist` + "\n")}
	}})
	if _, err := postgresServices(t.Context(), &Env{Root: root}, fail); err == nil || errors.Is(err, errNoServer) || !strings.Contains(err.Error(), `role "agent" does not exist`) {
		t.Errorf("postgresServices(refused) = %v, want psql's error", err)
	}
}

func TestMySQLServices(t *testing.T) {
	root := writeTree(t, map[string]string{"run/mysqld/mysqld.sock": ""})
	env := &Env{Root: root, Now: func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.Local) }}
	for _, tc := range []struct {
		name    string
		env     *Env
		answer  func([]string) ([]byte, error)
		wantErr string // "" for a server, "no server", or part of the error
	}{
		{"server", env, func([]string) ([]byte, error) {
			return []byte("version\t8.0.40\nport\t3306\nUptime\t10\ndb\t16384\tNULL\tNULL\tapp\n"), nil
		}, ""},
		{"no socket", &Env{Root: t.TempDir()}, nil, "no server"},
		{"socket left behind", env, func([]string) ([]byte, error) {
			return nil, &exec.ExitError{Stderr: []byte("ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (111)\n")}
		}, "no server"},
		{"login refused", env, func([]string) ([]byte, error) {
			return nil, &exec.ExitError{Stderr: []byte("ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: NO)\n")}
		}, "Access denied for user 'root'@'localhost' (using password: NO) (give the agent's account a login: user and password under [client] in its ~/.my.cnf, mode 0600)"},
		{"no client", env, nil, "executable file not found"},
		{"MariaDB 11's client alone", env, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			clients := map[string]func([]string) ([]byte, error){"mysql": tc.answer}
			if tc.answer == nil && tc.wantErr == "" {
				clients = map[string]func([]string) ([]byte, error){"mariadb": func([]string) ([]byte, error) {
					return []byte("version\t8.0.40\nport\t3306\nUptime\t10\ndb\t16384\tNULL\tNULL\tapp\n"), nil
				}}
			}
			got, err := mysqlServices(t.Context(), tc.env, recordRunner(&calls, clients))
			switch {
			case tc.wantErr == "":
				if err != nil || len(got) != 1 || got[0].Version != "8.0.40" || got[0].LastBootDate != "2026-12-07 11:59:50" {
					t.Errorf("mysqlServices = %+v, %v", got, err)
				}
				if last := calls[len(calls)-1]; !strings.HasPrefix(last, ": mysql --batch --skip-column-names") &&
					!strings.HasPrefix(last, ": mariadb --batch --skip-column-names") {
					t.Errorf("mysql run as %q, want the agent's account and its batch mode", calls)
				}
			case tc.wantErr == "no server":
				if !errors.Is(err, errNoServer) {
					t.Errorf("mysqlServices error = %v, want no server", err)
				}
			case err == nil || errors.Is(err, errNoServer) || !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("mysqlServices error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// A server found before and not now (stopped for the night) is sent as
// it was last read, inactive, for a month; then it is forgotten.
func TestKeptDatabaseServices(t *testing.T) {
	pg := DatabaseService{Type: "postgresql", Name: "15/main", Version: "15.18", Port: 5432, IsActive: true,
		Databases: []Database{{Name: "sales", Size: mb(120), IsActive: true}}}
	pg2 := DatabaseService{Type: "postgresql", Name: "16/reports", Version: "16.4", Port: 5433, IsActive: true}
	my := DatabaseService{Type: "mysql", Name: "MariaDB", Version: "10.11.14", Port: 3306, IsActive: true}
	my11 := my
	my11.Version = "11.4.2"
	inactive := func(s DatabaseService) DatabaseService { s.IsActive = false; return s }

	day := time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)
	env := &Env{Options: Options{CacheDir: t.TempDir()}, Now: func() time.Time { return day }}
	file := filepath.Join(env.Options.CacheDir, keptServicesFile)
	for _, step := range []struct {
		name  string
		days  int
		found []DatabaseService
		want  []DatabaseService
	}{
		{"all up", 0, []DatabaseService{pg, pg2, my}, []DatabaseService{pg, pg2, my}},
		{"a cluster and MariaDB stopped", 1, []DatabaseService{pg}, []DatabaseService{pg, inactive(pg2), inactive(my)}},
		{"all stopped", 2, nil, []DatabaseService{inactive(pg), inactive(pg2), inactive(my)}},
		{"MariaDB back, upgraded", 3, []DatabaseService{pg, my11}, []DatabaseService{pg, my11, inactive(pg2)}},
		{"the cluster still gone after a month", 32, []DatabaseService{pg}, []DatabaseService{pg, inactive(my11)}},
		{"MariaDB gone a month too", 34, []DatabaseService{pg}, []DatabaseService{pg}},
		{"nothing left", 70, nil, nil},
	} {
		env.Now = func() time.Time { return day.AddDate(0, 0, step.days) }
		got := keepServices(env, step.found)
		if !reflect.DeepEqual(got, step.want) {
			t.Errorf("%s: keepServices =\n%+v\nwant\n%+v", step.name, got, step.want)
		}
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("kept servers after all were forgotten: %v, want no file", err)
	}

	// MariaDB's start, told as its uptime, moves by a second between runs:
	// the one sent before stays; a restart is a new one.
	boot := func(date string) []DatabaseService { m := my; m.LastBootDate = date; return []DatabaseService{m} }
	for _, step := range []struct{ found, want string }{
		{"2026-12-07 22:56:08", "2026-12-07 22:56:08"},
		{"2026-12-07 22:56:09", "2026-12-07 22:56:08"},
		{"2026-12-07 22:56:07", "2026-12-07 22:56:08"},
		{"2026-12-08 03:10:00", "2026-12-08 03:10:00"},
	} {
		if got := keepServices(env, boot(step.found)); len(got) != 1 || got[0].LastBootDate != step.want {
			t.Errorf("keepServices(started %s) = %+v, want started %s", step.found, got, step.want)
		}
	}
	os.Remove(file)

	// Through the collector: a stopped server is no data only when none
	// was ever read.
	none := []databaseEngine{{"pg", func(context.Context, *Env, dbRunner) ([]DatabaseService, error) { return nil, errNoServer }}}
	up := []databaseEngine{{"pg", func(context.Context, *Env, dbRunner) ([]DatabaseService, error) { return []DatabaseService{pg}, nil }}}
	env.Exec = fakeClients{}.exec(new([]string))
	if _, err := collectDatabaseServices(t.Context(), env, databaseRunner(env), none); !errors.Is(err, ErrNoData) {
		t.Errorf("collectDatabaseServices(never read) = %v, want no data", err)
	}
	if _, err := collectDatabaseServices(t.Context(), env, databaseRunner(env), up); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kept servers file: %v, %v; want one the owner alone reads", fi, err)
	}
	v, err := collectDatabaseServices(t.Context(), env, databaseRunner(env), none)
	if got, _ := v.([]DatabaseService); err != nil || len(got) != 1 || got[0].IsActive || got[0].Name != pg.Name {
		t.Errorf("collectDatabaseServices(stopped) = %+v, %v; want the server, inactive", v, err)
	}
}

// On a Mac, the clients are where Homebrew, Postgres.app or the vendors'
// installers put them, off the PATH launchd gives a service.
func TestClientProgram(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		psql  string
		mysql string
	}{
		{"nothing installed", nil, "psql", "mysql"},
		{"Homebrew on Apple silicon", []string{"opt/homebrew/bin/psql", "opt/homebrew/bin/mysql"}, "opt/homebrew/bin/psql", "opt/homebrew/bin/mysql"},
		{"Homebrew on Intel", []string{"usr/local/bin/psql"}, "usr/local/bin/psql", "mysql"},
		{"Postgres.app, MySQL's installer", []string{"Applications/Postgres.app/Contents/Versions/latest/bin/psql", "usr/local/mysql/bin/mysql"},
			"Applications/Postgres.app/Contents/Versions/latest/bin/psql", "usr/local/mysql/bin/mysql"},
		{"EDB's installer, two releases", []string{"Library/PostgreSQL/15/bin/psql", "Library/PostgreSQL/16/bin/psql"}, "Library/PostgreSQL/16/bin/psql", "mysql"},
		{"Debian, before anything else", []string{"usr/lib/postgresql/15/bin/psql", "usr/local/bin/psql"}, "usr/lib/postgresql/15/bin/psql", "mysql"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"etc/hostname": ""}
			for _, f := range tc.files {
				files[f] = ""
			}
			root := writeTree(t, files)
			env := &Env{Root: root}
			want := func(p string) string {
				if !strings.Contains(p, "/") {
					return p
				}
				return filepath.Join(root, p)
			}
			if got := psqlProgram(env); got != want(tc.psql) {
				t.Errorf("psqlProgram = %q, want %q", got, want(tc.psql))
			}
			if got := clientProgram(env, "mysql", "/usr/local/mysql/bin"); got != want(tc.mysql) {
				t.Errorf("mysql = %q, want %q", got, want(tc.mysql))
			}
		})
	}
}

// A server that refuses the agent's account says so, with what an
// administrator does about it.
func TestClientErrorAdvice(t *testing.T) {
	for _, tc := range []struct{ stderr, want string }{
		{`psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  Peer authentication failed for user "postgres"`,
			`"local all postgres peer" line in pg_hba.conf`},
		{"ERROR 1698 (28000): Access denied for user 'root'@'localhost'", "[client] in its ~/.my.cnf"},
		{"Sqlcmd: Error: Microsoft ODBC Driver 17 for SQL Server : Login failed for user 'NT AUTHORITY\\SYSTEM'..",
			`(NT AUTHORITY\SYSTEM for the service) a login on the instance`},
		{"psql: error: connection to server on socket \"/tmp/.s.PGSQL.5433\" failed: FATAL:  the database system is starting up", "starting up"},
	} {
		err := clientError("client", &exec.ExitError{Stderr: []byte(tc.stderr + "\n")})
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("clientError(%q) = %q, want it to say %q", tc.stderr, err, tc.want)
		}
	}
	if err := clientError("client", &exec.ExitError{Stderr: []byte("FATAL: the database system is starting up\n")}); strings.Contains(err.Error(), "pg_hba") {
		t.Errorf("clientError(not a refusal) = %q, with a refusal's advice", err)
	}
}

// The sqlcmd SQL Server's setup installed is run from where its client
// tools say, the newest release's first; else the PATH's.
func TestSqlcmdProgram(t *testing.T) {
	reg, err := parseRegFile([]byte(`Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\90\Tools\ClientSetup]
"Path"="C:\\Program Files\\Microsoft SQL Server\\90\\Tools\\Binn\\"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\160\Tools\ClientSetup]
"ODBCToolsPath"="C:\\Program Files\\Microsoft SQL Server\\Client SDK\\ODBC\\170\\Tools\\Binn\\"
"Path"="C:\\Program Files\\Microsoft SQL Server\\160\\Tools\\Binn\\"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\MSSQL16.SQLEXPRESS\Setup]
"SqlProgramDir"="C:\\Program Files\\Microsoft SQL Server\\"
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{"ODBC tools", []string{"C/Program Files/Microsoft SQL Server/Client SDK/ODBC/170/Tools/Binn/SQLCMD.EXE",
			"C/Program Files/Microsoft SQL Server/90/Tools/Binn/SQLCMD.EXE"},
			`C:\Program Files\Microsoft SQL Server\Client SDK\ODBC\170\Tools\Binn\SQLCMD.EXE`},
		{"an old release's alone", []string{"C/Program Files/Microsoft SQL Server/90/Tools/Binn/SQLCMD.EXE"},
			`C:\Program Files\Microsoft SQL Server\90\Tools\Binn\SQLCMD.EXE`},
		{"none where recorded", nil, "sqlcmd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for _, f := range tc.files {
				files["files/"+f] = ""
			}
			dir := writeTree(t, files)
			h := winHost{reg: reg, files: fileFixture{dir: filepath.Join(dir, "files")}}
			if got := sqlcmdProgram(h); got != tc.want {
				t.Errorf("sqlcmdProgram = %q, want %q", got, tc.want)
			}
		})
	}
}
