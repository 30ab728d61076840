package collectors

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Process is one entry of the processes section.
type Process struct {
	Cmd           string `json:"cmd"`
	PID           int    `json:"pid"`
	User          string `json:"user"`
	Started       string `json:"started,omitempty"`
	CPUUsage      string `json:"cpuusage,omitempty"`
	Mem           string `json:"mem,omitempty"`
	VirtualMemory int64  `json:"virtualmemory,omitempty"`
	TTY           string `json:"tty,omitempty"`
}

// procStat holds the fields of /proc/<pid>/stat the collector uses; times
// are in clock ticks, sizes in bytes and pages.
type procStat struct {
	Comm      string
	TTY       uint64
	UTime     uint64
	STime     uint64
	StartTime uint64
	VSize     int64
	RSS       int64
}

// parseProcStat parses /proc/<pid>/stat. The command name is in
// parentheses and may itself hold spaces and parentheses, so the fields
// are counted from the last ')'.
func parseProcStat(s string) (procStat, error) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("parse stat: no command name")
	}
	f := strings.Fields(s[end+1:])
	// f[0] is field 3 (state) of proc(5).
	if len(f) < 22 {
		return procStat{}, fmt.Errorf("parse stat: %d fields", len(f)+2)
	}
	var st procStat
	st.Comm = s[open+1 : end]
	var errs [6]error
	st.TTY, errs[0] = strconv.ParseUint(f[4], 10, 64)
	st.UTime, errs[1] = strconv.ParseUint(f[11], 10, 64)
	st.STime, errs[2] = strconv.ParseUint(f[12], 10, 64)
	st.StartTime, errs[3] = strconv.ParseUint(f[19], 10, 64)
	st.VSize, errs[4] = strconv.ParseInt(f[20], 10, 64)
	st.RSS, errs[5] = strconv.ParseInt(f[21], 10, 64)
	for _, err := range errs {
		if err != nil {
			return procStat{}, fmt.Errorf("parse stat: %w", err)
		}
	}
	return st, nil
}

// ttyName names a controlling terminal number as ps(1) does: "pts/0",
// "tty1", or "?" for none.
func ttyName(nr uint64) string {
	major := (nr >> 8) & 0xfff
	minor := (nr & 0xff) | ((nr >> 12) & 0xfff00)
	switch {
	case nr == 0:
		return "?"
	case major >= 136 && major <= 143:
		return "pts/" + strconv.FormatUint((major-136)<<8|minor, 10)
	case major == 4 && minor < 64:
		return "tty" + strconv.FormatUint(minor, 10)
	case major == 4:
		return "ttyS" + strconv.FormatUint(minor-64, 10)
	}
	return "?"
}

// parseStatusUID returns the real user id of /proc/<pid>/status.
func parseStatusUID(s string) string {
	for line := range strings.Lines(s) {
		if v, ok := strings.CutPrefix(line, "Uid:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

// parseMemTotal returns MemTotal of /proc/meminfo in bytes.
func parseMemTotal(s string) int64 {
	for line := range strings.Lines(s) {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// procClock converts a process's clock ticks to times.
type procClock struct {
	boot     time.Time
	now      time.Time
	hz       uint64
	pageSize int64
	memTotal int64
	loc      *time.Location
}

// process builds the entry of a process from its stat and command line.
func (c procClock) process(pid int, st procStat, cmdline []string, user string) Process {
	p := Process{PID: pid, User: user, TTY: ttyName(st.TTY), VirtualMemory: st.VSize >> 10}
	p.Cmd = strings.Join(cmdline, " ")
	if p.Cmd == "" {
		p.Cmd = "[" + st.Comm + "]" // kernel threads have no command line
	}
	start := c.boot.Add(time.Duration(st.StartTime) * time.Second / time.Duration(c.hz))
	p.Started = start.In(c.loc).Format(dateTimeLayout)
	if elapsed := c.now.Sub(start).Seconds(); elapsed > 0 {
		cpu := float64(st.UTime+st.STime) / float64(c.hz)
		p.CPUUsage = strconv.FormatFloat(100*cpu/elapsed, 'f', 1, 64)
	}
	if c.memTotal > 0 {
		p.Mem = strconv.FormatFloat(100*float64(st.RSS*c.pageSize)/float64(c.memTotal), 'f', 1, 64)
	}
	return p
}
