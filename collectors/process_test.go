package collectors

import (
	"slices"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	in := "23 (app (worker) x) S 1 1 1 34816 23 4194560 800 0 0 0 4000 1000 0 0 20 0 4 0 250 734003200 12800 18446744073709551615 1 1 0 0\n"
	got, err := parseProcStat(in)
	want := procStat{Comm: "app (worker) x", TTY: 34816, UTime: 4000, STime: 1000, StartTime: 250, VSize: 734003200, RSS: 12800}
	if err != nil || got != want {
		t.Errorf("parseProcStat = %+v, %v, want %+v", got, err, want)
	}
	for _, bad := range []string{"", "1 (x) S 1 2 3", "1 x S"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("parseProcStat(%q) = nil error, want an error", bad)
		}
	}
}

func TestTTYName(t *testing.T) {
	tests := []struct {
		nr   uint64
		want string
	}{{0, "?"}, {34816, "pts/0"}, {34817, "pts/1"}, {1025, "tty1"}, {1088, "ttyS0"}, {1 << 8, "?"}}
	for _, tt := range tests {
		if got := ttyName(tt.nr); got != tt.want {
			t.Errorf("ttyName(%d) = %q, want %q", tt.nr, got, tt.want)
		}
	}
}

func TestProcess(t *testing.T) {
	boot := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	c := procClock{boot: boot, now: boot.Add(100 * time.Second), hz: 100, pageSize: 4096, memTotal: 1 << 30, loc: time.UTC}
	st := procStat{Comm: "kthreadd", StartTime: 5000, UTime: 1000, STime: 500, VSize: 2 << 20, RSS: 2621}
	got := c.process(2, st, nil, "root")
	want := Process{Cmd: "[kthreadd]", PID: 2, User: "root", Started: "2024-06-01 00:00:50", CPUUsage: "30.0", Mem: "1.0", VirtualMemory: 2048, TTY: "?"}
	if got != want {
		t.Errorf("process = %+v, want %+v", got, want)
	}
	if got := c.process(3, st, []string{"/bin/sh", "-c", "x"}, "root").Cmd; got != "/bin/sh -c x" {
		t.Errorf("process cmd = %q, want %q", got, "/bin/sh -c x")
	}
}

func TestParseStatusAndMeminfo(t *testing.T) {
	if got := parseStatusUID("Name:\tx\nUid:\t1000\t1000\t1000\t1000\n"); got != "1000" {
		t.Errorf("parseStatusUID = %q, want 1000", got)
	}
	if got := parseMemTotal("MemTotal:       16303716 kB\nMemFree: 1 kB\n"); got != 16303716*1024 {
		t.Errorf("parseMemTotal = %d, want %d", got, 16303716*1024)
	}
}

func TestParseEnviron(t *testing.T) {
	got := parseEnviron(splitNUL([]byte("A=1\x00B=x=y\x00=bad\x00NOEQ\x00C=\x00\x00")))
	want := []EnvVar{{"A", "1"}, {"B", "x=y"}, {"C", ""}}
	if !slices.Equal(got, want) {
		t.Errorf("parseEnviron = %+v, want %+v", got, want)
	}
}
