package collectors

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// mssqlInstancesKey lists the SQL Server instances of the machine: value
// names are instance names ("MSSQLSERVER" for the default one), values
// their ids ("MSSQL15.MSSQLSERVER"), in each registry view.
const mssqlInstancesKey = `SOFTWARE\Microsoft\Microsoft SQL Server\Instance Names\SQL`

// mssqlInstance is one SQL Server instance of the machine.
type mssqlInstance struct {
	name string // "MSSQLSERVER", "SQLEXPRESS"
	port int    // its TCP port, 0 when it listens on none
}

// server returns sqlcmd's name of the local instance: none for the
// default one, ".\NAME" for a named one.
func (i mssqlInstance) server() string {
	if strings.EqualFold(i.name, "MSSQLSERVER") {
		return ""
	}
	return `.\` + i.name
}

// service returns the name of the instance's Windows service.
func (i mssqlInstance) service() string {
	if strings.EqualFold(i.name, "MSSQLSERVER") {
		return "MSSQLSERVER"
	}
	return "MSSQL$" + i.name
}

// mssqlInstances reads the SQL Server instances from the registry, with
// the TCP port each listens on (a fixed one, else the one it took).
func mssqlInstances(reg registrySource) []mssqlInstance {
	var out []mssqlInstance
	for _, view := range []regView{view64, view32} {
		v := openValues(reg, hklm, mssqlInstancesKey, view)
		l, ok := v.k.(regValueLister)
		if !ok {
			v.close()
			continue
		}
		names, _ := l.ValueNames()
		for _, name := range names {
			id := v.str(name)
			if name == "" || id == "" || slices.ContainsFunc(out, func(i mssqlInstance) bool { return strings.EqualFold(i.name, name) }) {
				continue
			}
			tcp := openValues(reg, hklm, `SOFTWARE\Microsoft\Microsoft SQL Server\`+id+`\MSSQLServer\SuperSocketNetLib\Tcp\IPAll`, view)
			port, _ := strconv.Atoi(strings.TrimSpace(strings.Split(tcp.str("TcpPort"), ",")[0]))
			if port == 0 {
				port, _ = strconv.Atoi(strings.TrimSpace(strings.Split(tcp.str("TcpDynamicPorts"), ",")[0]))
			}
			tcp.close()
			out = append(out, mssqlInstance{name: name, port: port})
		}
		v.close()
	}
	return out
}

// winDatabases builds the databases_services section of Windows: the SQL
// Server instances the registry lists, each asked through sqlcmd with the
// agent's Windows account, as the official agent does
// (Generic/Databases/MSSQL.pm).
func winDatabases(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	// A stopped instance is not asked (sqlcmd would wait for it, then fail
	// the section): it is sent as last read, inactive. One whose service
	// cannot be found is asked.
	type service struct{ State string }
	var running []mssqlInstance
	for _, i := range mssqlInstances(h.reg) {
		svc, err := queryWMIContext[service](ctx, h.wmi, "Win32_Service", "Name = '"+i.service()+"'")
		if err == nil && len(svc) == 1 && svc[0].State == "Stopped" {
			env.Log().Debug("SQL Server instance stopped", "instance", i.name)
			continue
		}
		running = append(running, i)
	}
	sqlcmd := sqlcmdProgram(h)
	engine := databaseEngine{name: "mssql", collect: func(ctx context.Context, env *Env, run dbRunner) ([]DatabaseService, error) {
		return mssqlServices(ctx, sqlcmd, running, run)
	}}
	return collectDatabaseServices(ctx, env, databaseRunner(env), []databaseEngine{engine})
}

// sqlcmdProgram returns the sqlcmd SQL Server's setup installed, from the
// paths its client tools record (`Tools\ClientSetup`, the newest release
// first), so that a service started before the PATH named it finds it;
// else "sqlcmd", from the PATH.
func sqlcmdProgram(h winHost) string {
	const base = `SOFTWARE\Microsoft\Microsoft SQL Server`
	var releases []int // "160", "150", "90"; not an instance's "MSSQL16.SQLEXPRESS"
	for _, k := range regSubKeys(h.reg, hklm, base, view64) {
		if n, err := strconv.Atoi(k); err == nil {
			releases = append(releases, n)
		}
	}
	slices.Sort(releases)
	slices.Reverse(releases)
	for _, r := range releases {
		v := openValues(h.reg, hklm, base+`\`+strconv.Itoa(r)+`\Tools\ClientSetup`, view64)
		dirs := []string{v.str("ODBCToolsPath"), v.str("Path")}
		v.close()
		for _, dir := range dirs {
			if dir == "" {
				continue
			}
			p := strings.TrimRight(dir, `\`) + `\SQLCMD.EXE`
			if _, err := h.files.Stat(p); err == nil {
				return p
			}
		}
	}
	return "sqlcmd"
}
