//go:build linux

package packaging_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/glpi/glpitest"
)

// enrolld is a glpi-enrolld serving on 127.0.0.1 for the install test.
type enrolld struct {
	bin, url, dataDir string
}

// startEnrolld builds and starts glpi-enrolld relaying to glpi, or
// returns nil when it does not build.
func startEnrolld(t *testing.T, glpiURL string) *enrolld {
	t.Helper()
	e := &enrolld{bin: filepath.Join(t.TempDir(), "glpi-enrolld"), dataDir: t.TempDir()}
	build := exec.Command("go", "build", "-o", e.bin, "./cmd/glpi-enrolld")
	build.Dir, build.Env = "..", append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Logf("glpi-enrolld does not build, skipping the enrollment checks: %v\n%s", err, out)
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e.url = "http://" + addr + "/"
	var log bytes.Buffer
	cmd := exec.Command(e.bin, "serve", "--listen", addr, "--data-dir", e.dataDir, "--glpi-url", glpiURL)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
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

func (e *enrolld) admin(t *testing.T, args ...string) string {
	t.Helper()
	return run(t, e.bin, append(args, "--data-dir", e.dataDir)...)
}

func (e *enrolld) devices(t *testing.T) []struct{ ID, Tag string } {
	t.Helper()
	var rows []struct{ ID, Tag string }
	if err := json.Unmarshal([]byte(e.admin(t, "device", "list", "--json")), &rows); err != nil {
		t.Fatalf("device list --json: %v", err)
	}
	return rows
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
		t.Skip("glpi-agentd is already installed here: not touching it")
	}

	glpi := glpitest.New(t)
	srv := startEnrolld(t, glpi.URL)
	e := embed{server: "http://127.0.0.1:9/", tag: "pkg-install", key: "glpik_PKGINSTALL" + randomHex(t)}
	if srv != nil {
		e.server = srv.url
		keyFile := filepath.Join(t.TempDir(), "registration.key")
		srv.admin(t, "key", "create", "--tag", e.tag, "--output", keyFile)
		b, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		e.key = strings.TrimSpace(string(b))
	}
	dir := t.TempDir()
	v1 := buildPackages(t, dir, "1.0.0", e, "deb rpm")
	v2 := buildPackages(t, dir, "1.0.1", e, "deb")
	base := buildPackages(t, t.TempDir(), "1.0.0", embed{}, "deb")
	t.Cleanup(func() { exec.Command("dpkg", "-P", "glpi-agentd").Run() })

	run(t, "dpkg", "-i", v1.deb)
	checkModes(t, "/", linuxFiles(true))
	if b, _ := os.ReadFile("/etc/glpi-agentd/registration.key"); strings.TrimSpace(string(b)) != e.key {
		t.Errorf("installed registration.key does not hold the embedded key")
	}

	if srv != nil {
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
		if len(devs) != 1 || devs[0].Tag != e.tag {
			t.Fatalf("devices = %+v, want one under %s", devs, e.tag)
		}
		id := deviceID(t)

		// Upgrade: same state, same device.
		run(t, "dpkg", "-i", v2.deb)
		if got := run(t, "dpkg-query", "-W", "-f", "${Version}", "glpi-agentd"); got != "1.0.1-1" {
			t.Errorf("installed version %q after upgrade, want 1.0.1-1", got)
		}
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

	// Removal keeps configuration and state; purge removes everything.
	if err := os.WriteFile("/var/lib/glpi-agentd/kept.json", []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "dpkg", "-r", "glpi-agentd")
	for path, want := range map[string]bool{
		"/usr/bin/glpi-agentd": false, "/etc/glpi-agentd/agent.toml": true,
		"/etc/glpi-agentd/registration.key": true, "/var/lib/glpi-agentd/kept.json": true,
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

	// A base package takes its settings from the installer's environment.
	out := runIn(t, "/", []string{
		"GLPI_AGENTD_SERVER=" + e.server, "GLPI_AGENTD_TAG=" + e.tag, "GLPI_AGENTD_REGISTRATION_KEY=" + e.key,
	}, "dpkg", "-i", base.deb)
	if strings.Contains(out, e.key) {
		t.Errorf("dpkg -i printed the registration key")
	}
	checkModes(t, "/", linuxFiles(true))
	toml, _ := os.ReadFile("/etc/glpi-agentd/agent.toml")
	for _, line := range []string{`server = "` + e.server + `"`, `tag = "` + e.tag + `"`, `registration_key_file = "/etc/glpi-agentd/registration.key"`} {
		if !bytes.Contains(toml, []byte("\n"+line+"\n")) {
			t.Errorf("agent.toml lacks %s after an install with the environment:\n%s", line, toml)
		}
	}
	if bytes.Contains(toml, []byte(e.key)) {
		t.Errorf("agent.toml holds the registration key")
	}
	if b, _ := os.ReadFile("/etc/glpi-agentd/registration.key"); strings.TrimSpace(string(b)) != e.key {
		t.Errorf("registration.key does not hold the key from the environment")
	}
	run(t, "dpkg", "-P", "glpi-agentd")

	// The rpm unpacks into a root with the same files.
	if have("rpm") {
		root := t.TempDir()
		run(t, "rpm", "--root", root, "--initdb")
		run(t, "rpm", "-i", "--root", root, "--nodeps", "--noscripts", v1.rpm)
		checkModes(t, root, linuxFiles(true))
	}
}
