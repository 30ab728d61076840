package collectors

import (
	"cmp"
	"context"
	"os"
	"slices"
	"strconv"
)

// Processes change by the second and reveal command lines: the category is
// collected only when asked for.
func init() { Register("process", "processes", false, collectProcesses) }

// clockTicks is USER_HZ, fixed at 100 on every Linux architecture.
const clockTicks = 100

func collectProcesses(ctx context.Context, env *Env) (any, error) {
	entries, err := os.ReadDir(env.Path("/proc"))
	if err != nil {
		return nil, NoData("no /proc: %v", err)
	}
	boot, err := parseBootTime(env.ReadString("/proc/stat"))
	if err != nil {
		return nil, err
	}
	users := make(map[string]string)
	for _, u := range parsePasswd(env.ReadString("/etc/passwd")) {
		users[u.ID] = u.Login
	}
	clock := procClock{
		boot:     boot,
		now:      env.Time(),
		hz:       clockTicks,
		pageSize: int64(os.Getpagesize()),
		memTotal: parseMemTotal(env.ReadString("/proc/meminfo")),
		loc:      hostLocation(env),
	}
	var out []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir := "/proc/" + e.Name()
		// A process may exit while it is read: it is then skipped.
		st, err := parseProcStat(env.ReadString(dir + "/stat"))
		if err != nil {
			continue
		}
		uid := parseStatusUID(env.ReadString(dir + "/status"))
		user, ok := users[uid]
		if !ok {
			user = uid
		}
		if user == "" {
			continue
		}
		cmdline, _ := env.ReadFile(dir + "/cmdline")
		out = append(out, clock.process(pid, st, splitNUL(cmdline), user))
	}
	// /proc lists pids as names: "10" comes before "2".
	slices.SortFunc(out, func(a, b Process) int { return cmp.Compare(a.PID, b.PID) })
	return out, nil
}
