package collectors

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// psArgs make ps print a line per process with the words parsePSLine
// reads: user, pid, %cpu, %mem, vsz (KiB), tty, lstart, five words in the
// C locale Env.Run sets ("Mon Jun  3 10:13:20 2024"), then the command
// with its arguments, last as it holds spaces. Each keyword has its own
// -o: ps takes the rest of an -o argument after "=" as the column's
// header, commas included. -ww keeps long command lines whole.
var psArgs = []string{
	"-axww",
	"-o", "user=", "-o", "pid=", "-o", "%cpu=", "-o", "%mem=", "-o", "vsz=",
	"-o", "tty=", "-o", "lstart=", "-o", "command=",
}

// psLstartLayout is lstart as ps prints it in the C locale, once its words
// are joined by single spaces.
const psLstartLayout = "Mon Jan 2 15:04:05 2006"

// psWords is the number of words before the command: six fields and the
// five of lstart.
const psWords = 11

// macProcesses lists the processes of the live system. They change by the
// second and reveal command lines: the category is off unless asked for,
// as on the other platforms.
func macProcesses(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	if h.ps == nil {
		return nil, NoData("no process list off the live system")
	}
	out, err := h.procs.get(ctx, psTimeout, func(ctx context.Context) ([]byte, error) {
		return h.ps(ctx, env)
	})
	if err != nil {
		return nil, fmt.Errorf("run ps: %w", err)
	}
	return parsePS(string(out)), nil
}

// parsePS parses the output of ps run with psArgs, sorted by pid. Lines
// without the expected words are skipped.
func parsePS(s string) []Process {
	var out []Process
	for line := range strings.Lines(s) {
		if p, ok := parsePSLine(line); ok {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Process) int { return cmp.Compare(a.PID, b.PID) })
	return out
}

// parsePSLine parses a line of ps. Its start time is local time, as the
// Linux collector reports it. A process without a terminal has tty "??",
// reported as "?" as on Linux.
func parsePSLine(line string) (Process, bool) {
	f, rest := cutWords(strings.TrimRight(line, "\r\n"), psWords)
	cmd := strings.TrimSpace(rest)
	if len(f) < psWords || cmd == "" {
		return Process{}, false
	}
	pid, errPID := strconv.Atoi(f[1])
	cpu, errCPU := strconv.ParseFloat(f[2], 64)
	mem, errMem := strconv.ParseFloat(f[3], 64)
	vsz, errVSZ := strconv.ParseInt(f[4], 10, 64)
	start, errStart := time.Parse(psLstartLayout, strings.Join(f[6:psWords], " "))
	if errors.Join(errPID, errCPU, errMem, errVSZ, errStart) != nil || pid < 0 {
		return Process{}, false
	}
	tty := f[5]
	if tty == "??" {
		tty = "?"
	}
	return Process{
		Cmd:           cmd,
		PID:           pid,
		User:          f[0],
		Started:       start.Format(dateTimeLayout),
		CPUUsage:      strconv.FormatFloat(cpu, 'f', 1, 64),
		Mem:           strconv.FormatFloat(mem, 'f', 1, 64),
		VirtualMemory: vsz,
		TTY:           tty,
	}, true
}

// cutWords splits the first n blank-separated words off s and returns
// them with the rest of s, whose spacing is kept. It returns fewer words
// when s has fewer.
func cutWords(s string, n int) (words []string, rest string) {
	words = make([]string, 0, n)
	for len(words) < n {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			i = len(s)
		}
		words, s = append(words, s[:i]), s[i:]
	}
	return words, s
}

// macEnvironment reports the agent's own environment, which may hold
// secrets: the category is collected only when asked for. Another root
// has no agent running in it, hence no environment.
func macEnvironment(_ context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	if h.environ == nil {
		return nil, NoData("no agent environment off the live system")
	}
	return parseEnviron(h.environ()), nil
}
