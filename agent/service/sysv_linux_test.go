package service

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kardianos/service"
)

// sysvInstall lays out, under a temporary root, what `service install`
// did on a host without systemd before it refused to: the init script,
// its seven runlevel links and the pid file of a running daemon (a copy of
// sleep, started as the script starts the agent), beside links and files
// of other services.
func sysvInstall(t *testing.T) (SysV, *exec.Cmd) {
	t.Helper()
	root := t.TempDir()
	sv := SysV{
		Script:      filepath.Join(root, "etc/init.d", Name),
		RCDirs:      filepath.Join(root, "etc/rc?.d"),
		PIDFile:     filepath.Join(root, "run", Name+".pid"),
		Proc:        "/proc",
		StopTimeout: 5 * time.Second,
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep to stand for the daemon")
	}
	exe := filepath.Join(root, "usr/local/bin", Name)
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(exe), filepath.Dir(sv.Script), filepath.Dir(sv.PIDFile)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n# Short-Description: " + DisplayName + "\ncmd=\"" + exe + " run\"\n"
	if err := os.WriteFile(sv.Script, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/init.d/other"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		dir := filepath.Join(root, fmt.Sprintf("etc/rc%d.d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		name := "K02" + Name
		if i >= 2 && i <= 5 {
			name = "S50" + Name
		}
		target := sv.Script
		if i == 3 {
			target = "../init.d/" + Name // update-rc.d's relative links
		}
		for link, to := range map[string]string{name: target, "S01other": "../init.d/other"} {
			if err := os.Symlink(to, filepath.Join(dir, link)); err != nil {
				t.Fatal(err)
			}
		}
	}
	daemon := exec.Command(exe, "300")
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { daemon.Process.Kill(); daemon.Wait() })
	if err := os.WriteFile(sv.PIDFile, []byte(fmt.Sprintf("%d\n", daemon.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	return sv, daemon
}

func TestSysVRemove(t *testing.T) {
	sv, daemon := sysvInstall(t)
	if !sv.Installed() {
		t.Fatal("Installed() = false with the script in place")
	}
	exited := make(chan error, 1)
	go func() { exited <- daemon.Wait() }()

	msg, err := sv.Remove()
	if err != nil {
		t.Fatalf("Remove() = %v", err)
	}
	if !strings.Contains(msg, fmt.Sprintf("stopped the daemon (pid %d)", daemon.Process.Pid)) || !strings.Contains(msg, "7 runlevel links") {
		t.Errorf("Remove() = %q, want the daemon stopped and 7 links removed", msg)
	}
	select {
	case err := <-exited:
		if err == nil {
			t.Errorf("the daemon exited on its own, want it stopped by a signal")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon still runs after Remove")
	}
	root := filepath.Dir(filepath.Dir(filepath.Dir(sv.Script)))
	var left []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.Contains(filepath.Base(p), Name) && !strings.Contains(p, "/usr/local/bin/") {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("left behind after Remove: %q", left)
	}
	others, _ := filepath.Glob(filepath.Join(root, "etc/rc?.d/S01other"))
	if len(others) != 7 || !exists(filepath.Join(root, "etc/init.d/other")) {
		t.Errorf("other services' links = %d, script kept = %v; want 7, true", len(others), exists(filepath.Join(root, "etc/init.d/other")))
	}
	if msg, err := sv.Remove(); err != nil || msg != "not installed" {
		t.Errorf("Remove() again = %q, %v; want not installed", msg, err)
	}
}

func TestSysVRemoveLeavesOthers(t *testing.T) {
	sv, _ := sysvInstall(t)
	// A pid now used by another program is never signalled.
	other := exec.Command("sleep", "300")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { other.Process.Kill(); other.Wait() }()
	if err := os.WriteFile(sv.PIDFile, []byte(fmt.Sprintf("%d\n", other.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	msg, err := sv.Remove()
	if err != nil || !strings.Contains(msg, "the daemon was not running") {
		t.Errorf("Remove() with a reused pid = %q, %v; want the daemon not running", msg, err)
	}
	if !exists(fmt.Sprintf("/proc/%d", other.Process.Pid)) {
		t.Errorf("Remove signalled a process the script did not start")
	}

	// A script another package wrote is left alone.
	sv2, _ := sysvInstall(t)
	if err := os.WriteFile(sv2.Script, []byte("#!/bin/sh\ncmd=\"/usr/sbin/something\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := sv2.Remove(); err == nil || !exists(sv2.Script) {
		t.Errorf("Remove() of a script not ours = %v, script kept %v; want an error and the script kept", err, exists(sv2.Script))
	}
}

// TestUnmanagedRefused: on a host without a supported service manager,
// install, start and stop fail, say why, and change nothing.
func TestUnmanagedRefused(t *testing.T) {
	sv := SysV{Script: filepath.Join(t.TempDir(), Name), RCDirs: filepath.Join(t.TempDir(), "rc?.d"), PIDFile: filepath.Join(t.TempDir(), "pid"), Proc: "/proc"}
	for _, action := range []string{"install", "start", "stop"} {
		msg, err := controlUnmanaged("unix-systemv", action, sv)
		if !errors.Is(err, ErrUnmanaged) || msg != "" || !strings.Contains(err.Error(), "nothing was done") || !strings.Contains(err.Error(), "unix-systemv") {
			t.Errorf("%s on unix-systemv = %q, %v; want ErrUnmanaged, nothing was done", action, msg, err)
		}
	}
	if msg, err := controlUnmanaged("unix-systemv", "status", sv); err != nil || !strings.HasPrefix(msg, "not installed") {
		t.Errorf("status on unix-systemv = %q, %v; want not installed", msg, err)
	}
	if sv.Installed() {
		t.Error("an unmanaged action installed a script")
	}
}

// TestControlOnThisHost runs `service install` as the command does, on
// this machine, when it has no supported service manager (no systemd
// running): it must fail and leave no init script.
func TestControlOnThisHost(t *testing.T) {
	s, err := service.New(&Program{}, Config("/usr/bin/"+Name))
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Platform(); slices.Contains(Managed, p) {
		t.Skipf("this host runs %s: install would install", p)
	}
	sv := DefaultSysV()
	if sv.Installed() {
		t.Skipf("%s exists on this host: not touching it", sv.Script)
	}
	msg, err := Control(s, "install")
	if !errors.Is(err, ErrUnmanaged) {
		t.Errorf("Control(install) = %q, %v; want ErrUnmanaged", msg, err)
	}
	if sv.Installed() {
		os.Remove(sv.Script)
		sv.Remove()
		t.Errorf("Control(install) wrote %s", sv.Script)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
