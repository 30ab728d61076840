//go:build linux

package packaging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/server"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// enrolld is the packaged glpi-enrolld, serving on 127.0.0.1 for the
// install test.
type enrolld struct {
	url string
}

// startPackagedEnrolld installs the glpi-enrolld deb, checks what its
// post-installation did, points its settings at 127.0.0.1 and glpiURL as
// an admin would, and starts it as its systemd unit does: the unit's
// ExecStart, the settings file's environment, the glpi-enrolld user.
func startPackagedEnrolld(t *testing.T, deb, glpiURL string) *enrolld {
	t.Helper()
	t.Cleanup(func() { exec.Command("dpkg", "-P", "glpi-enrolld").Run() })
	run(t, "dpkg", "-i", deb)
	u, err := user.Lookup("glpi-enrolld")
	if err != nil {
		t.Fatalf("the package created no glpi-enrolld user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for path, want := range map[string]struct {
		mode     os.FileMode
		uid, gid int
	}{
		"/var/lib/glpi-enrolld":               {os.ModeDir | 0o700, uid, gid},
		"/etc/glpi-enrolld":                   {os.ModeDir | 0o750, 0, gid},
		"/etc/glpi-enrolld/glpi-enrolld.conf": {0o640, 0, gid},
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode() != want.mode || int(st.Uid) != want.uid || int(st.Gid) != want.gid {
			t.Errorf("%s is %v %d:%d, want %v %d:%d", path, fi.Mode(), st.Uid, st.Gid, want.mode, want.uid, want.gid)
		}
	}

	// An admin command as root before the first start creates the
	// database and the server secret: they must be the service's.
	run(t, "/usr/bin/glpi-enrolld", "key", "list")
	checkOwnedBy(t, "/var/lib/glpi-enrolld", uid)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := fmt.Sprintf("GLPI_ENROLLD_OPTS=\"--listen %s --glpi-url %s\"\n", addr, glpiURL)
	if err := os.WriteFile(server.ServiceConfFile, []byte(conf), 0o640); err != nil {
		t.Fatal(err)
	}
	env, err := server.ReadServiceConf(server.ServiceConfFile)
	if err != nil {
		t.Fatal(err)
	}
	unit, err := os.ReadFile("/usr/lib/systemd/system/glpi-enrolld.service")
	if err != nil {
		t.Fatal(err)
	}
	var argv []string
	for line := range strings.Lines(string(unit)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart="); ok {
			for _, f := range strings.Fields(rest) {
				if name, ok := strings.CutPrefix(f, "$"); ok {
					argv = append(argv, strings.Fields(env[name])...) // systemd splits $VAR
				} else {
					argv = append(argv, f)
				}
			}
		}
	}
	if len(argv) == 0 {
		t.Fatal("glpi-enrolld.service has no ExecStart")
	}
	var log bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	e := &enrolld{url: "http://" + addr + "/"}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(e.url + "readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("glpi-enrolld not ready:\n%s", log.String())
		}
	}
}

// admin runs an admin command as root with no store flag, as an admin
// would after installing the package.
func (e *enrolld) admin(t *testing.T, args ...string) string {
	t.Helper()
	return run(t, "/usr/bin/glpi-enrolld", args...)
}

func (e *enrolld) devices(t *testing.T) []struct{ ID, Tag string } {
	t.Helper()
	var rows []struct{ ID, Tag string }
	if err := json.Unmarshal([]byte(e.admin(t, "device", "list", "--json")), &rows); err != nil {
		t.Fatalf("device list --json: %v", err)
	}
	return rows
}

// checkOwnedBy checks that every file in dir belongs to uid: files made
// by the admin commands run as root included.
func checkOwnedBy(t *testing.T, dir string, uid int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Errorf("%s is empty", dir)
	}
	for _, en := range entries {
		fi, err := en.Info()
		if err != nil {
			continue // a journal removed meanwhile
		}
		if got := int(fi.Sys().(*syscall.Stat_t).Uid); got != uid {
			t.Errorf("%s/%s belongs to uid %d, want %d", dir, en.Name(), got, uid)
		}
	}
}

// checkModes checks files on disk: mode and root ownership.
func checkModes(t *testing.T, root string, want map[string]string) {
	t.Helper()
	for path, mode := range want {
		fi, err := os.Stat(filepath.Join(root, path))
		if err != nil {
			t.Errorf("installed file: %v", err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode().String() != mode || st.Uid != 0 || st.Gid != 0 {
			t.Errorf("%s is %s %d:%d, want %s 0:0", path, fi.Mode(), st.Uid, st.Gid, mode)
		}
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func deviceID(t *testing.T) string {
	t.Helper()
	var e struct {
		DeviceID string `json:"device_id"`
	}
	b, err := os.ReadFile("/var/lib/glpi-agentd/enrollment.json")
	if err != nil {
		t.Fatalf("no enrollment: %v", err)
	}
	if err := json.Unmarshal(b, &e); err != nil || e.DeviceID == "" {
		t.Fatalf("enrollment.json: %v %s", err, b)
	}
	return e.DeviceID
}

// unattended runs a package manager as an unattended upgrade does: in a
// session of its own (no terminal), nothing on standard input, and
// DEBIAN_FRONTEND=noninteractive. A conffile prompt then fails the command
// instead of waiting; the timeout catches any other wait.
func unattended(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), append([]string{"DEBIAN_FRONTEND=noninteractive"}, env...)...)
	cmd.Stdin = nil // /dev/null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s, unattended: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// checkConfigured checks that the package manager left glpi-agentd at
// version installed and configured.
func checkConfigured(t *testing.T, manager, version string) {
	t.Helper()
	var got, want string
	if manager == "dpkg" {
		got = run(t, "dpkg-query", "-W", "-f", "${Status} ${Version}", "glpi-agentd")
		want = "install ok installed " + version
	} else {
		got = run(t, "rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", "glpi-agentd")
		want = version
	}
	if got != want {
		t.Errorf("%s says %q, want %q", manager, got, want)
	}
}

// checkInstallDropIn checks what a base install with the environment
// wrote: 20-install.toml naming the server, the tag and registration.key,
// and registration.key, the key alone.
func checkInstallDropIn(t *testing.T, e embed, tag string) {
	t.Helper()
	toml, _ := os.ReadFile("/etc/glpi-agentd/agent.d/20-install.toml")
	for _, line := range []string{`server = "` + e.server + `"`, `tag = "` + tag + `"`, `registration_key_file = "/etc/glpi-agentd/registration.key"`} {
		if !bytes.Contains(toml, []byte("\n"+line+"\n")) {
			t.Errorf("20-install.toml lacks %s after an install with the environment:\n%s", line, toml)
		}
	}
	if bytes.Contains(toml, []byte(e.key)) {
		t.Errorf("20-install.toml holds the registration key")
	}
	if b, _ := os.ReadFile("/etc/glpi-agentd/registration.key"); strings.TrimSpace(string(b)) != e.key {
		t.Errorf("registration.key does not hold the key from the environment")
	}
}

// checkInstallSettings checks what a base install with the environment
// did: the installer's drop-in and key, and agent.toml as packaged.
func checkInstallSettings(t *testing.T, e embed, tag string) {
	t.Helper()
	checkInstallDropIn(t, e, tag)
	base, err := os.ReadFile("linux/agent.toml")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile("/etc/glpi-agentd/agent.toml"); !bytes.Equal(got, base) {
		t.Errorf("the installation changed agent.toml:\n%s", got)
	}
}

// adminEdit edits agent.toml as an admin would, and returns it.
func adminEdit(t *testing.T) []byte {
	t.Helper()
	f, err := os.OpenFile("/etc/glpi-agentd/agent.toml", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("full_inventory_postpone = 3\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile("/etc/glpi-agentd/agent.toml")
	return b
}

// checkUpgradeKept checks the settings after an upgrade to a keyed
// package: agent.toml as the admin left it, the installer's drop-in and
// key kept, the package's drop-in beside them.
func checkUpgradeKept(t *testing.T, e embed, tag string, adminTOML []byte) {
	t.Helper()
	if got, _ := os.ReadFile("/etc/glpi-agentd/agent.toml"); !bytes.Equal(got, adminTOML) {
		t.Errorf("agent.toml after the upgrade:\n%s\nwant the admin's:\n%s", got, adminTOML)
	}
	checkInstallDropIn(t, e, tag)
	pkg, _ := os.ReadFile("/etc/glpi-agentd/agent.d/10-package.toml")
	if !bytes.Contains(pkg, []byte("\nserver = \""+e.server+"\"\n")) {
		t.Errorf("10-package.toml after the upgrade:\n%s\nwant the package's server", pkg)
	}
	for _, dir := range []string{"/etc/glpi-agentd", "/etc/glpi-agentd/agent.d"} {
		entries, _ := os.ReadDir(dir)
		for _, en := range entries {
			if n := en.Name(); strings.Contains(n, ".dpkg-") || strings.Contains(n, ".rpm") || strings.HasPrefix(n, ".") {
				t.Errorf("%s/%s left by the upgrade", dir, n)
			}
		}
	}
}

// notTouching skips a test that would change what the machine already has;
// under CI, where the test must run, it fails instead.
func notTouching(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why + " (CI=true: this test must run; remove the package first)")
	}
	t.Skip(why)
}

// TestInstall installs the packages for real: root only, and only when
// TEST_PACKAGE_INSTALL=1, because it changes the machine.
func TestInstall(t *testing.T) {
	if os.Getenv("TEST_PACKAGE_INSTALL") != "1" {
		t.Skip("set TEST_PACKAGE_INSTALL=1 (as root) to install the deb and rpm on this machine")
	}
	if os.Geteuid() != 0 {
		t.Skip("installing packages needs root")
	}
	need(t, "go", "dpkg", "dpkg-deb")
	if exec.Command("dpkg", "-s", "glpi-agentd").Run() == nil {
		notTouching(t, "glpi-agentd is already installed here: not touching it")
	}

	if exec.Command("dpkg", "-s", "glpi-enrolld").Run() == nil {
		notTouching(t, "glpi-enrolld is already installed here: not touching it")
	}
	if have("rpm") && exec.Command("rpm", "-q", "glpi-agentd").Run() == nil {
		notTouching(t, "glpi-agentd is already installed here by rpm: not touching it")
	}
	// Purging deletes these: only a state this test makes, unless CI=true
	// says the machine's may go.
	if os.Getenv("CI") != "true" {
		for _, d := range []string{"/etc/glpi-agentd", "/var/lib/glpi-agentd", "/etc/glpi-enrolld", "/var/lib/glpi-enrolld"} {
			if exists(d) {
				t.Skipf("%s exists and the test would purge it: move it away, or set CI=true on a machine whose state may be lost", d)
			}
		}
	}

	glpi := glpitest.New(t)
	base := buildPackages(t, t.TempDir(), "1.0.0", embed{}, "deb rpm")
	srv := startPackagedEnrolld(t, base.enrolldDeb, glpi.URL)
	const tag = "pkg-install"
	e := embed{server: srv.url}
	// As root, with no flag: the command works on the service's database
	// as its owner, and the key file is root's.
	keyFile := filepath.Join(t.TempDir(), "registration.key")
	srv.admin(t, "key", "create", "--tag", tag, "--output", keyFile)
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	e.key = strings.TrimSpace(string(b))
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode() != 0o600 || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("key file: %v, %v; want root's, mode 0600", fi.Mode(), err)
	}
	if u, err := user.Lookup("glpi-enrolld"); err == nil {
		uid, _ := strconv.Atoi(u.Uid)
		checkOwnedBy(t, "/var/lib/glpi-enrolld", uid)
	}
	dir := t.TempDir()
	v1 := buildPackages(t, dir, "1.0.0", e, "deb rpm")
	v2 := buildPackages(t, dir, "1.0.1", e, "deb rpm")
	t.Cleanup(func() { exec.Command("dpkg", "-P", "glpi-agentd").Run() })

	// A base package takes its settings from the installer's environment,
	// in a drop-in of its own; then the admin edits agent.toml, and the
	// machine is upgraded to the site's keyed package, then to its next
	// version, unattended: no terminal, nothing on standard input. No
	// upgrade may stop at a conffile prompt, and every setting is kept.
	installEnv := []string{
		"GLPI_AGENTD_SERVER=" + e.server, "GLPI_AGENTD_TAG=" + tag, "GLPI_AGENTD_REGISTRATION_KEY=" + e.key,
	}
	if out := unattended(t, installEnv, "dpkg", "-i", base.deb); strings.Contains(out, e.key) {
		t.Errorf("dpkg -i printed the registration key")
	}
	checkModes(t, "/", linuxFiles(false))
	checkInstallSettings(t, e, tag)
	adminTOML := adminEdit(t)
	checkConfigured(t, "dpkg", "1.0.0-1")

	unattended(t, nil, "dpkg", "-i", v1.deb)
	checkConfigured(t, "dpkg", "1.0.0-1")
	checkModes(t, "/", linuxFiles(true))
	checkUpgradeKept(t, e, tag, adminTOML)
	if b, _ := os.ReadFile("/etc/glpi-agentd/package.key"); strings.TrimSpace(string(b)) != e.key {
		t.Errorf("installed package.key does not hold the embedded key")
	}

	{
		// The agent as the service runs it, with the installed configuration;
		// the first run at once and no local listener for the test.
		agent := exec.Command("/usr/bin/glpi-agentd", "run")
		agent.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GLPI_AGENTD_DELAYTIME=1", "GLPI_AGENTD_NO_HTTPD=1"}
		var log bytes.Buffer
		agent.Stdout, agent.Stderr = &log, &log
		if err := agent.Start(); err != nil {
			t.Fatal(err)
		}
		glpi.WaitInventories(t, 1, 90*time.Second)
		agent.Process.Signal(syscall.SIGTERM)
		if err := agent.Wait(); err != nil {
			t.Errorf("agent run: %v\n%s", err, log.String())
		}
		devs := srv.devices(t)
		if len(devs) != 1 || devs[0].Tag != tag {
			t.Fatalf("devices = %+v, want one under %s", devs, tag)
		}
		id := deviceID(t)

		// Upgrade: same state, same device, same settings.
		unattended(t, nil, "dpkg", "-i", v2.deb)
		checkConfigured(t, "dpkg", "1.0.1-1")
		checkUpgradeKept(t, e, tag, adminTOML)
		if got := deviceID(t); got != id {
			t.Errorf("device %s after upgrade, want %s", got, id)
		}
		// A clean environment, as the service would have.
		inv := exec.Command("/usr/bin/glpi-agentd", "inventory")
		inv.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GLPI_AGENTD_NO_HTTPD=1"}
		if out, err := inv.CombinedOutput(); err != nil {
			t.Fatalf("glpi-agentd inventory after the upgrade: %v\n%s", err, out)
		}
		glpi.WaitInventories(t, 2, 60*time.Second)
		if n := len(srv.devices(t)); n != 1 {
			t.Errorf("%d devices after the upgrade, want 1", n)
		}
	}

	// Removal keeps configuration and state, not what the package owns;
	// purge removes everything.
	if err := os.WriteFile("/var/lib/glpi-agentd/kept.json", []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "dpkg", "-r", "glpi-agentd")
	for path, want := range map[string]bool{
		"/usr/bin/glpi-agentd": false, "/etc/glpi-agentd/agent.toml": true,
		"/etc/glpi-agentd/registration.key": true, "/etc/glpi-agentd/agent.d/20-install.toml": true,
		"/etc/glpi-agentd/package.key": false, "/etc/glpi-agentd/agent.d/10-package.toml": false,
		"/var/lib/glpi-agentd/kept.json": true,
	} {
		if got := exists(path); got != want {
			t.Errorf("after dpkg -r, %s exists = %v, want %v", path, got, want)
		}
	}
	run(t, "dpkg", "-P", "glpi-agentd")
	for _, path := range []string{"/usr/bin/glpi-agentd", "/etc/glpi-agentd", "/var/lib/glpi-agentd", "/usr/lib/systemd/system/glpi-agentd.service"} {
		if exists(path) {
			t.Errorf("after dpkg -P, %s still exists", path)
		}
	}

	// The same path with rpm -U: the same files, no .rpmnew or .rpmsave,
	// every setting kept, and the agent enrolls with them.
	if have("rpm") {
		rpm := func(env []string, args ...string) {
			t.Helper()
			args = append([]string{"--nodeps"}, args...)
			if h, _ := exec.Command("rpm", "--help").Output(); bytes.Contains(h, []byte("--force-debian")) {
				args = append([]string{"--force-debian"}, args...) // Debian's rpm asks for it on a dpkg system
			}
			unattended(t, env, "rpm", args...)
		}
		t.Cleanup(func() {
			exec.Command("rpm", "-e", "--nodeps", "glpi-agentd").Run()
			os.RemoveAll("/etc/glpi-agentd")
			os.RemoveAll("/var/lib/glpi-agentd")
		})
		rpm(installEnv, "-i", base.rpm)
		checkConfigured(t, "rpm", "1.0.0-1")
		checkModes(t, "/", linuxFiles(false))
		checkInstallSettings(t, e, tag)
		adminTOML := adminEdit(t)
		// rpm -U takes the same version only with --replacepkgs, as an
		// admin moving a base install to the keyed build of its version must.
		rpm(nil, "-U", "--replacepkgs", v1.rpm)
		checkConfigured(t, "rpm", "1.0.0-1")
		rpm(nil, "-U", v2.rpm)
		checkConfigured(t, "rpm", "1.0.1-1")
		checkModes(t, "/", linuxFiles(true))
		checkUpgradeKept(t, e, tag, adminTOML)
		inv := exec.Command("/usr/bin/glpi-agentd", "inventory")
		inv.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GLPI_AGENTD_NO_HTTPD=1"}
		if out, err := inv.CombinedOutput(); err != nil {
			t.Fatalf("glpi-agentd inventory after rpm -U: %v\n%s", err, out)
		}
		glpi.WaitInventories(t, 3, 60*time.Second)
		if n := len(srv.devices(t)); n != 2 {
			t.Errorf("%d devices after the rpm install, want 2 (the deb's and the rpm's)", n)
		}
		run(t, "rpm", "-e", "--nodeps", "glpi-agentd")
		// rpm saves an edited config file as .rpmsave when it removes it.
		for path, want := range map[string]bool{
			"/usr/bin/glpi-agentd": false, "/etc/glpi-agentd/agent.toml.rpmsave": true,
			"/etc/glpi-agentd/registration.key": true, "/etc/glpi-agentd/agent.d/20-install.toml": true,
			"/etc/glpi-agentd/package.key": false, "/etc/glpi-agentd/agent.d/10-package.toml": false,
		} {
			if got := exists(path); got != want {
				t.Errorf("after rpm -e, %s exists = %v, want %v", path, got, want)
			}
		}
	}

	// Purging glpi-enrolld removes its state and settings, not its user.
	run(t, "dpkg", "-P", "glpi-enrolld")
	for _, path := range []string{"/usr/bin/glpi-enrolld", "/etc/glpi-enrolld", "/var/lib/glpi-enrolld", "/usr/lib/systemd/system/glpi-enrolld.service"} {
		if exists(path) {
			t.Errorf("after dpkg -P glpi-enrolld, %s still exists", path)
		}
	}
	if _, err := user.Lookup("glpi-enrolld"); err != nil {
		t.Errorf("the glpi-enrolld user went with the package: %v", err)
	}
}
