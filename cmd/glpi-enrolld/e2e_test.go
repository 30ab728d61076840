package main

// End-to-end tests of the two real binaries on 127.0.0.1: glpi-enrolld
// serving on SQLite (or PostgreSQL when GLPI_ENROLLD_TEST_DATABASE is set),
// glpi-agentd processes on fixture host roots, and a GLPI stand-in that
// validates every relayed inventory against the official schema.

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store/pgtest"
	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin/tlstest"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// bins are the binaries under test, and config an empty agent
// configuration that every agent run is given, so that no test reads the
// host's /etc/glpi-agentd (which the packaging test installs meanwhile).
var bins struct{ agent, enrolld, config string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "glpi-e2e")
	if err != nil {
		panic(err)
	}
	bins.agent, bins.enrolld = filepath.Join(dir, "glpi-agentd"), filepath.Join(dir, "glpi-enrolld")
	bins.config = filepath.Join(dir, "agent.toml")
	if err := os.WriteFile(bins.config, nil, 0o600); err != nil {
		panic(err)
	}
	for out, pkg := range map[string]string{bins.agent: "../glpi-agentd", bins.enrolld: "."} {
		build := exec.Command("go", "build", "-o", out, pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := build.CombinedOutput(); err != nil {
			os.Stderr.Write(b)
			panic(err)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// service is a running glpi-enrolld.
type service struct {
	t       *testing.T
	url     string
	dataDir string
	db      string
	log     *syncBuffer
}

func startService(t *testing.T, extra ...string) *service {
	t.Helper()
	s := &service{t: t, dataDir: t.TempDir(), log: &syncBuffer{}}
	args := append(append([]string{"--listen", "127.0.0.1:0"}, s.storeArgs()...), extra...)
	s.url = "http://" + startServe(t, s.log, args...).addr
	return s
}

// waitMetric waits until the service's /metrics has line, a metric and its
// value ("glpi_enrolld_checkins_held 1"): the event itself, as the service
// counts it.
func (s *service) waitMetric(line string) {
	s.t.Helper()
	var last string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(s.url + "/metrics"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(b)
			if slices.Contains(strings.Split(last, "\n"), line) {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("/metrics never had %q:\n%s", line, last)
		}
	}
}

// waitKeyState waits until key list shows the key in keyFile in state.
func (s *service) waitKeyState(keyFile, state string) {
	s.t.Helper()
	b, err := os.ReadFile(keyFile)
	if err != nil {
		s.t.Fatal(err)
	}
	key, err := enroll.ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		s.t.Fatal(err)
	}
	var keys []struct{ ID, State string }
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := json.Unmarshal([]byte(s.admin("key", "list", "--json")), &keys); err != nil {
			s.t.Fatal(err)
		}
		for _, k := range keys {
			if k.ID == key.ID && k.State == state {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("key %s never %s: %+v", key.ID, state, keys)
		}
	}
}

func (s *service) storeArgs() []string {
	if pgtest.URL() != "" && s.db == "" {
		s.db = freshSchema(s.t)
	}
	if s.db != "" {
		return []string{"--database", s.db, "--secret-file", filepath.Join(s.dataDir, "secret")}
	}
	return []string{"--data-dir", s.dataDir}
}

// admin runs an admin command on the service's store and returns stdout.
func (s *service) admin(args ...string) string {
	s.t.Helper()
	out, err := s.adminErr(args...)
	if err != nil {
		s.t.Fatalf("glpi-enrolld %v: %v", args, err)
	}
	return out
}

// adminErr runs an admin command and returns stdout, and an error with
// stderr when it fails.
func (s *service) adminErr(args ...string) (string, error) {
	s.t.Helper()
	// Flags go after the command words: "key create", "device show ID".
	n := 1
	if args[0] == "key" || args[0] == "device" {
		n = 2
	}
	full := append(append(append([]string{}, args[:n]...), s.storeArgs()...), args[n:]...)
	cmd := exec.Command(bins.enrolld, full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%w: %s", err, errb.String())
	}
	return out.String(), nil
}

// newKey creates a key and returns the path of the 0600 file holding it.
func (s *service) newKey(args ...string) string {
	s.t.Helper()
	file := filepath.Join(s.t.TempDir(), "registration.key")
	s.admin(append([]string{"key", "create", "--output", file}, args...)...)
	return file
}

type deviceRow struct {
	ID           string `json:"id"`
	Hostname     string `json:"hostname"`
	GLPIDeviceID string `json:"glpi_deviceid"`
	Tag          string `json:"tag"`
	State        string `json:"state"`
}

func (s *service) devices() []deviceRow {
	s.t.Helper()
	var rows []deviceRow
	if err := json.Unmarshal([]byte(s.admin("device", "list", "--json")), &rows); err != nil {
		s.t.Fatalf("device list --json: %v", err)
	}
	return rows
}

// host is a fixture host root for one agent: its own machine-id, SMBIOS
// UUID, hostname and boot time.
func host(t *testing.T, name, machineID, uuid string) string {
	t.Helper()
	root := t.TempDir()
	for p, v := range map[string]string{
		"etc/machine-id":                machineID,
		"sys/class/dmi/id/product_uuid": uuid,
		"sys/class/dmi/id/sys_vendor":   "Dell Inc.",
		"proc/sys/kernel/hostname":      name,
		"proc/stat":                     "cpu  1 2 3 4\nbtime 1700000000\n",
		"proc/meminfo":                  "MemTotal:       16318412 kB\nSwapTotal:             0 kB\n",
		"etc/os-release":                "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n",
	} {
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// agentRun runs glpi-agentd once and returns its combined output and exit code.
func agentRun(t *testing.T, root, state string, env []string, args ...string) (string, int) {
	t.Helper()
	full := append([]string{"--config", bins.config, "--host-root", root, "--state-dir", state}, args...)
	cmd := exec.Command(bins.agent, full...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "GLPI_AGENTD_NO_HTTPD=1"}, env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// startDaemon runs glpi-agentd run on the host root with the state dir,
// its listener off and its first run at once, with env added (its server,
// its key); the daemon is stopped (SIGTERM) when the test ends. It returns
// the daemon's log.
func startDaemon(t *testing.T, root, state string, env ...string) *syncBuffer {
	t.Helper()
	daemon := exec.Command(bins.agent, "--config", bins.config, "--host-root", root, "--state-dir", state, "run")
	daemon.Env = append([]string{"PATH=" + os.Getenv("PATH"), "GLPI_AGENTD_NO_HTTPD=1", "GLPI_AGENTD_DELAYTIME=1"}, env...)
	log := &syncBuffer{}
	daemon.Stdout, daemon.Stderr = log, log
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { daemon.Process.Signal(syscall.SIGTERM); daemon.Wait() })
	return log
}

func enrollment(t *testing.T, state string) map[string]any {
	t.Helper()
	var e map[string]any
	b, err := os.ReadFile(filepath.Join(state, "enrollment.json"))
	if err != nil {
		t.Fatalf("no enrollment: %v", err)
	}
	json.Unmarshal(b, &e)
	return e
}

func TestEnrollInventoryRelay(t *testing.T) {
	glpi := glpitest.New(t)
	s := startService(t, "--glpi-url", glpi.URL)
	key := s.newKey("--tag", "site-a", "--max-uses", "5")
	root, state := host(t, "pc-01", "11111111111111111111111111111111", "4C4C4544-0001-0001-0001-000000000001"), t.TempDir()

	out, code := agentRun(t, root, state, nil, "inventory", "--server", s.url, "--key-file", key)
	if code != 0 {
		t.Fatalf("agent exit %d:\n%s", code, out)
	}
	devs := s.devices()
	if len(devs) != 1 || devs[0].Hostname != "pc-01" || devs[0].Tag != "site-a" {
		t.Fatalf("devices = %+v, want pc-01 under site-a", devs)
	}
	inv := glpi.WaitInventories(t, 1, 30*time.Second)[0]
	if inv.Tag != "site-a" || inv.DeviceID != devs[0].GLPIDeviceID {
		t.Errorf("GLPI got tag %q deviceid %q, want site-a and %q", inv.Tag, inv.DeviceID, devs[0].GLPIDeviceID)
	}
	if e := enrollment(t, state); inv.AgentID != e["agent_id"] {
		t.Errorf("GLPI-Agent-ID %q, want the enrolled agent id %v", inv.AgentID, e["agent_id"])
	}

	// The next run uses the token only: no key needed, no new device.
	out, code = agentRun(t, root, state, nil, "inventory", "--server", s.url)
	if code != 0 {
		t.Fatalf("second run exit %d:\n%s", code, out)
	}
	glpi.WaitInventories(t, 2, 30*time.Second)
	if n := len(s.devices()); n != 1 {
		t.Errorf("%d devices after a second run, want 1", n)
	}
	status, _ := agentRun(t, root, state, nil, "status")
	if !strings.Contains(status, devs[0].ID) {
		t.Errorf("status does not show the device id %s:\n%s", devs[0].ID, status)
	}
	show := s.admin("device", "show", devs[0].ID)
	for _, want := range []string{"pc-01", "site-a"} {
		if !strings.Contains(show, want) {
			t.Errorf("device show lacks %q:\n%s", want, show)
		}
	}
}

func TestRejections(t *testing.T) {
	t.Parallel() // waits on processes and the network, mostly
	s := startService(t)
	root := host(t, "web-01", "22222222222222222222222222222222", "4C4C4544-0002-0002-0002-000000000002")
	revoked := s.newKey("--tag", "t")
	var kid struct{ ID string }
	keys := s.admin("key", "list", "--json")
	var list []map[string]any
	json.Unmarshal([]byte(keys), &list)
	kid.ID = fmt.Sprint(list[0]["id"])
	s.admin("key", "revoke", kid.ID)

	once := s.newKey("--tag", "t", "--max-uses", "1")
	agentRun(t, host(t, "first", "33333333333333333333333333333333", "4C4C4544-0003-0003-0003-000000000003"), t.TempDir(), nil, "enroll", "--server", s.url, "--key-file", once)

	bogus := filepath.Join(t.TempDir(), "bogus.key")
	os.WriteFile(bogus, []byte("glpik_ABCDEFGH_0123456789abcdefghijklAAAAAA\n"), 0o600)

	tests := []struct {
		name, key, want string
	}{
		{"typo caught offline", bogus, "checksum"},
		{"revoked key", revoked, "key_revoked"},
		{"exhausted key", once, "key_exhausted"},
		{"network not allowed", s.newKey("--tag", "t", "--allow-cidr", "10.0.0.0/8"), "network_not_allowed"},
		{"hostname not allowed", s.newKey("--tag", "t", "--hostname-pattern", "db-*"), "hostname_not_allowed"},
		{"expired key", s.newKey("--tag", "t", "--expires", "1s"), "key_expired"},
	}
	s.waitKeyState(tests[len(tests)-1].key, "expired")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := agentRun(t, root, t.TempDir(), nil, "enroll", "--server", s.url, "--key-file", tt.key)
			if code == 0 || !strings.Contains(out, tt.want) {
				t.Errorf("enroll exit %d, output %q, want a failure naming %q", code, out, tt.want)
			}
		})
	}
	if n := len(s.devices()); n != 1 {
		t.Errorf("%d devices after the rejections, want only the first one", n)
	}
}

func TestDeviceRevoked(t *testing.T) {
	s := startService(t)
	key := s.newKey("--tag", "t")
	root, state := host(t, "pc-02", "44444444444444444444444444444444", "4C4C4544-0004-0004-0004-000000000004"), t.TempDir()
	if out, code := agentRun(t, root, state, nil, "inventory", "--server", s.url, "--key-file", key); code != 0 {
		t.Fatalf("first run exit %d:\n%s", code, out)
	}
	s.admin("device", "revoke", s.devices()[0].ID)
	out, code := agentRun(t, root, state, nil, "inventory", "--server", s.url, "--key-file", key)
	if code == 0 || !strings.Contains(out, "revoked") {
		t.Errorf("run after revocation: exit %d, output %q", code, out)
	}
	// The key is still there, but a revoked device never enrolls on its own.
	out, code = agentRun(t, root, state, nil, "inventory", "--server", s.url, "--key-file", key)
	if code == 0 || len(s.devices()) != 1 {
		t.Errorf("revoked agent re-enrolled by itself: exit %d, %d devices:\n%s", code, len(s.devices()), out)
	}
	status, _ := agentRun(t, root, state, nil, "status")
	if !strings.Contains(status, "REVOKED") {
		t.Errorf("status does not say the device is revoked:\n%s", status)
	}
}

func TestClonedStateBecomesItsOwnDevice(t *testing.T) {
	glpi := glpitest.New(t)
	s := startService(t, "--glpi-url", glpi.URL)
	key := s.newKey("--tag", "lab")
	origRoot, origState := host(t, "golden", "55555555555555555555555555555555", "4C4C4544-0005-0005-0005-000000000005"), t.TempDir()
	keyEnv := []string{"GLPI_AGENTD_REGISTRATION_KEY_FILE=" + key}
	if out, code := agentRun(t, origRoot, origState, keyEnv, "inventory", "--server", s.url); code != 0 {
		t.Fatalf("original exit %d:\n%s", code, out)
	}
	orig := enrollment(t, origState)

	// The whole state dir copied to a machine with its own identity.
	cloneRoot := host(t, "golden", "66666666666666666666666666666666", "4C4C4544-0006-0006-0006-000000000006")
	cloneState := t.TempDir()
	os.CopyFS(cloneState, os.DirFS(origState))
	out, code := agentRun(t, cloneRoot, cloneState, keyEnv, "inventory", "--server", s.url)
	if code != 0 {
		t.Fatalf("clone exit %d:\n%s", code, out)
	}
	clone := enrollment(t, cloneState)
	if clone["device_id"] == orig["device_id"] || clone["glpi_deviceid"] == orig["glpi_deviceid"] || clone["agent_id"] == orig["agent_id"] {
		t.Errorf("clone kept the original's identity: %v / %v", clone["device_id"], clone["glpi_deviceid"])
	}
	// Both keep sending, each as itself: no flapping.
	for range 2 {
		for _, h := range []struct{ root, state string }{{origRoot, origState}, {cloneRoot, cloneState}} {
			if out, code := agentRun(t, h.root, h.state, keyEnv, "inventory", "--server", s.url); code != 0 {
				t.Fatalf("run exit %d:\n%s", code, out)
			}
		}
	}
	if e := enrollment(t, origState); e["device_id"] != orig["device_id"] {
		t.Error("the original lost its identity")
	}
	if n := len(s.devices()); n != 2 {
		t.Errorf("%d devices, want 2", n)
	}
	glpi.WaitInventories(t, 6, 30*time.Second)
	if n := len(glpi.Agents()); n != 2 {
		t.Errorf("GLPI has %d agents, want 2", n)
	}

	// A NIC added on the original is no clone.
	os.MkdirAll(filepath.Join(origRoot, "sys/class/net/eth1/device"), 0o755)
	os.WriteFile(filepath.Join(origRoot, "sys/class/net/eth1/address"), []byte("00:1b:21:aa:bb:cc\n"), 0o644)
	agentRun(t, origRoot, origState, keyEnv, "inventory", "--server", s.url)
	if e := enrollment(t, origState); e["device_id"] != orig["device_id"] {
		t.Error("a weak-signal change forked the device")
	}
}

func TestPrepareImageAndReinstall(t *testing.T) {
	s := startService(t)
	key := s.newKey("--tag", "img")
	keyEnv := []string{"GLPI_AGENTD_REGISTRATION_KEY_FILE=" + key}
	root, state := host(t, "img", "77777777777777777777777777777777", "4C4C4544-0007-0007-0007-000000000007"), t.TempDir()

	// Image build: with delay_enroll nothing is sent during the build's boot.
	out, code := agentRun(t, root, state, append(keyEnv, "GLPI_AGENTD_DELAY_ENROLL=1"), "inventory", "--server", s.url)
	if code == 0 || !strings.Contains(out, "first boot") || len(s.devices()) != 0 {
		t.Fatalf("delay_enroll in the build boot: exit %d, %d devices:\n%s", code, len(s.devices()), out)
	}
	if out, code := agentRun(t, root, state, keyEnv, "prepare-image"); code != 0 {
		t.Fatalf("prepare-image exit %d:\n%s", code, out)
	}
	// The image boots on new hardware: a fresh enrollment.
	os.WriteFile(filepath.Join(root, "proc/stat"), []byte("btime 1700090000\n"), 0o644)
	os.WriteFile(filepath.Join(root, "sys/class/dmi/id/product_uuid"), []byte("4C4C4544-0008-0008-0008-000000000008\n"), 0o644)
	if out, code := agentRun(t, root, state, keyEnv, "inventory", "--server", s.url); code != 0 {
		t.Fatalf("first boot run exit %d:\n%s", code, out)
	}
	first := enrollment(t, state)["device_id"]

	// Reinstall keeping the state (the package kept it): the credential is
	// gone, the replace secret takes the same device back.
	os.Remove(filepath.Join(state, "enrollment.json"))
	if out, code := agentRun(t, root, state, keyEnv, "inventory", "--server", s.url); code != 0 {
		t.Fatalf("reinstall run exit %d:\n%s", code, out)
	}
	if again := enrollment(t, state)["device_id"]; again != first {
		t.Errorf("reinstall made device %v, want the same %v", again, first)
	}
	// Purge and reinstall: a new device.
	purged := t.TempDir()
	if out, code := agentRun(t, root, purged, keyEnv, "inventory", "--server", s.url); code != 0 {
		t.Fatalf("purged reinstall exit %d:\n%s", code, out)
	}
	if n := enrollment(t, purged)["device_id"]; n == first {
		t.Error("a purged reinstall took the old device back")
	}
}

func TestNoSecretsInClear(t *testing.T) {
	glpi := glpitest.New(t)
	s := startService(t, "--glpi-url", glpi.URL)
	keyFile := s.newKey("--tag", "sec")
	key, _ := os.ReadFile(keyFile)
	root, state := host(t, "pc-03", "88888888888888888888888888888888", "4C4C4544-0009-0009-0009-000000000009"), t.TempDir()
	var logs bytes.Buffer
	for range 2 {
		out, code := agentRun(t, root, state, []string{"GLPI_AGENTD_DEBUG=2"}, "inventory", "--server", s.url, "--key-file", keyFile)
		if code != 0 {
			t.Fatalf("agent exit %d:\n%s", code, out)
		}
		logs.WriteString(out)
	}
	glpi.WaitInventories(t, 2, 30*time.Second)
	e := enrollment(t, state)
	cred := e["credential"].(map[string]any)
	secrets := map[string]string{
		"registration key": strings.TrimSpace(string(key)),
		"access token":     fmt.Sprint(cred["access_token"]),
		"refresh secret":   fmt.Sprint(cred["refresh_secret"]),
		"replace secret":   fmt.Sprint(e["replace_secret"]),
	}
	logs.WriteString(s.log.String())
	for name, secret := range secrets {
		if len(secret) < 20 {
			t.Fatalf("%s %q looks empty", name, secret)
		}
		if bytes.Contains(logs.Bytes(), []byte(secret)) {
			t.Errorf("%s appears in a log", name)
		}
		filepath.WalkDir(s.dataDir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secret)) {
					t.Errorf("%s appears in clear in the service's %s", name, p)
				}
			}
			return nil
		})
	}
	// The agent keeps its credential, readable by its owner only.
	filepath.WalkDir(state, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSocket != 0 {
			return nil
		}
		if fi, _ := d.Info(); fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want owner-only", p, fi.Mode().Perm())
		}
		return nil
	})
}

// A GLPI behind a reverse proxy that admits only certificates of its CA:
// the service relays with its own.
func TestRelayWithClientCertificate(t *testing.T) {
	ca := tlstest.New(t, "Proxy clients CA", nil, true)
	relay := tlstest.New(t, "glpi-enrolld", ca, false)
	glpi := glpitest.New(t, glpitest.WithClientCertificates(ca.Cert))
	dir := t.TempDir()
	files := map[string][]byte{
		"glpi-ca.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: glpi.Certificate.Raw}),
		"relay.crt":   relay.CertPEM(), "relay.key": relay.KeyPEM(),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := startService(t, "--glpi-url", glpi.URL, "--glpi-ca-file", filepath.Join(dir, "glpi-ca.pem"),
		"--glpi-client-cert", filepath.Join(dir, "relay.crt"), "--glpi-client-key", filepath.Join(dir, "relay.key"))
	key := s.newKey("--tag", "dmz")
	root, state := host(t, "pc-07", "77777777777777777777777777777777", "4C4C4544-0007-0007-0007-000000000007"), t.TempDir()
	if out, code := agentRun(t, root, state, nil, "inventory", "--server", s.url, "--key-file", key); code != 0 {
		t.Fatalf("agent exit %d:\n%s", code, out)
	}
	if inv := glpi.WaitInventories(t, 1, 30*time.Second)[0]; inv.Tag != "dmz" {
		t.Errorf("relayed inventory tag %q, want dmz", inv.Tag)
	}
}

// A machine moving from the official agent (its state file in its vardir,
// written by Perl's Storable) enrolls and reaches GLPI with the deviceid
// GLPI already knows it by: GLPI updates that agent record.
func TestMovingFromTheOfficialAgent(t *testing.T) {
	glpi := glpitest.New(t)
	s := startService(t, "--glpi-url", glpi.URL)
	key := s.newKey("--tag", "site-a")
	root, state := host(t, "pc01", "33333333333333333333333333333333", "4C4C4544-0003-0003-0003-000000000003"), t.TempDir()
	dump, err := os.ReadFile("../../agent/testdata/official/GLPI-Agent.dump") // deviceid pc01-2024-10-18-16-44-47
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "var/lib/glpi-agent/GLPI-Agent.dump")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, dump, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := agentRun(t, root, state, nil, "inventory", "--server", s.url, "--key-file", key); code != 0 {
		t.Fatalf("agent exit %d:\n%s", code, out)
	}
	const official = "pc01-2024-10-18-16-44-47"
	if devs := s.devices(); len(devs) != 1 || devs[0].GLPIDeviceID != official {
		t.Errorf("devices = %+v, want one with GLPI deviceid %s", devs, official)
	}
	if inv := glpi.WaitInventories(t, 1, 30*time.Second)[0]; inv.DeviceID != official {
		t.Errorf("GLPI got deviceid %q, want the official agent's %q", inv.DeviceID, official)
	}
}
