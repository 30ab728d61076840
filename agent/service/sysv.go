package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// SysV is the System V init script that `service install` wrote, before
// this version refused to, on hosts without systemd (kardianos's
// "unix-systemv"): the script, its runlevel links, and the daemon it
// started, whose pid it kept in a file. Remove takes all of it away.
type SysV struct {
	// Script is the init script: /etc/init.d/glpi-agentd.
	Script string
	// RCDirs is the glob of the runlevel directories: /etc/rc?.d.
	RCDirs string
	// PIDFile is where the script kept the daemon's pid.
	PIDFile string
	// Proc is the proc file system, where the daemon is looked for.
	Proc string
	// StopTimeout is how long the daemon has to stop after SIGTERM
	// before SIGKILL (the systemd unit's TimeoutStopSec).
	StopTimeout time.Duration
}

// DefaultSysV is the SysV install kardianos v1.3 wrote for the agent.
func DefaultSysV() SysV {
	return SysV{
		Script:      "/etc/init.d/" + Name,
		RCDirs:      "/etc/rc?.d",
		PIDFile:     "/var/run/" + Name + ".pid",
		Proc:        "/proc",
		StopTimeout: 30 * time.Second,
	}
}

// Installed reports whether the init script is there.
func (sv SysV) Installed() bool {
	_, err := os.Lstat(sv.Script)
	return err == nil
}

// Remove stops the daemon the init script started, then removes the
// script, every runlevel link to it and the pid file, and says what it
// did. A script it did not write is left alone, and nothing is removed
// while the daemon still runs, so that a failed Remove can be run again.
func (sv SysV) Remove() (string, error) {
	b, err := os.ReadFile(sv.Script)
	if errors.Is(err, os.ErrNotExist) {
		links, err := sv.removeLinks() // links left by a script removed by hand
		if err != nil || links == 0 {
			return "not installed", err
		}
		return fmt.Sprintf("not installed; removed %d runlevel links to the missing %s", links, sv.Script), nil
	}
	if err != nil {
		return "", fmt.Errorf("uninstall service: %w", err)
	}
	exe := scriptExecutable(string(b))
	if exe == "" || !strings.Contains(string(b), DisplayName) {
		return "", fmt.Errorf("uninstall service: %s was not written by `glpi-agentd service install`: left alone", sv.Script)
	}
	pid, err := sv.stop(exe)
	if err != nil {
		return "", fmt.Errorf("uninstall service: %w: nothing removed", err)
	}
	links, err := sv.removeLinks()
	if err != nil {
		return "", fmt.Errorf("uninstall service: %w", err)
	}
	for _, f := range []string{sv.Script, sv.PIDFile} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("uninstall service: %w", err)
		}
	}
	msg := "uninstalled the SysV init script of an earlier version: "
	if pid > 0 {
		msg += fmt.Sprintf("stopped the daemon (pid %d), ", pid)
	} else {
		msg += "the daemon was not running, "
	}
	return msg + fmt.Sprintf("removed %s and %d runlevel links; the logs in /var/log (%s.log, %s.err) are kept", sv.Script, links, Name, Name), nil
}

// scriptExecutable is the program the init script starts: the first word
// of its cmd="…" line.
func scriptExecutable(script string) string {
	for line := range strings.Lines(script) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), `cmd="`); ok {
			if f := strings.Fields(strings.TrimSuffix(rest, `"`)); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

// stop ends the daemon named in the pid file when it runs exe, and
// returns its pid; 0 when no such daemon runs (no pid file, a stale one,
// or a pid now used by another program, which is never signalled).
func (sv SysV) stop(exe string) (int, error) {
	b, err := os.ReadFile(sv.PIDFile)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0, nil
	}
	if !sv.runs(pid, exe) {
		return 0, nil
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return 0, err
	}
	for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		if err := p.Signal(sig); err != nil && sv.runs(pid, exe) {
			return 0, fmt.Errorf("stop the daemon (pid %d): %w", pid, err)
		}
		wait := sv.StopTimeout
		if sig == syscall.SIGKILL {
			wait = 5 * time.Second
		}
		for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if !sv.runs(pid, exe) {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("the daemon (pid %d) did not stop", pid)
}

// runs reports whether pid is a live process started as exe (a zombie
// waiting for its parent has stopped).
func (sv SysV) runs(pid int, exe string) bool {
	dir := filepath.Join(sv.Proc, strconv.Itoa(pid))
	cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil {
		return false
	}
	argv0, _, _ := strings.Cut(string(cmdline), "\x00")
	if argv0 != exe {
		return false
	}
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return false
	}
	// "pid (comm) state …": comm may hold spaces and parentheses.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}

// removeLinks removes the links of the runlevel directories that point to
// the script, whatever their names (update-rc.d may have made others), and
// returns how many there were.
func (sv SysV) removeLinks() (int, error) {
	dirs, err := filepath.Glob(sv.RCDirs)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.Type()&os.ModeSymlink == 0 {
				continue
			}
			link := filepath.Join(dir, e.Name())
			target, err := os.Readlink(link)
			if err != nil {
				continue
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(dir, target)
			}
			if filepath.Clean(target) != filepath.Clean(sv.Script) {
				continue
			}
			if err := os.Remove(link); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
