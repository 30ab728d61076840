package main

// End-to-end tests of the real glpi-agentd binary: built once, run as a
// process against fixture host roots and a GLPI stand-in on 127.0.0.1.

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin/tlstest"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// agentBin is the binary under test; agentConfig an empty configuration
// that every run is given first (a test's own --config comes after and
// wins), so that no test reads the host's /etc/glpi-agentd, which the
// packaging test installs meanwhile.
var agentBin, agentConfig string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "glpi-agentd-e2e")
	if err != nil {
		panic(err)
	}
	agentBin, agentConfig = filepath.Join(dir, "glpi-agentd"), filepath.Join(dir, "agent.toml")
	if err := os.WriteFile(agentConfig, nil, 0o600); err != nil {
		panic(err)
	}
	build := exec.Command("go", "build", "-o", agentBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// agent runs the binary with a fresh state dir unless args give one, and
// returns stdout, stderr and the exit code.
func agent(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(agentBin, append([]string{"--config", agentConfig}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run glpi-agentd: %v", err)
	}
	return stdout.String(), stderr.String(), code
}

func fixtures(t *testing.T) []string {
	t.Helper()
	cases, _ := filepath.Glob("../../collectors/testdata/*")
	var roots []string
	for _, c := range cases {
		if fi, err := os.Stat(filepath.Join(c, "etc")); err == nil && fi.IsDir() {
			roots = append(roots, c)
		}
	}
	if len(roots) == 0 {
		t.Fatal("no fixture host roots under collectors/testdata")
	}
	return roots
}

func TestInventoryLocalFixtures(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("fixture roots are Linux hosts")
	}
	for _, root := range fixtures(t) {
		t.Run(filepath.Base(root), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "inv")
			os.Mkdir(out, 0o755)
			_, stderr, code := agent(t, nil, "--host-root", root, "--state-dir", t.TempDir(), "inventory", "--local", out)
			if code != 0 {
				t.Fatalf("inventory --local exit %d: %s", code, stderr)
			}
			files, _ := filepath.Glob(filepath.Join(out, "*.json"))
			if len(files) != 1 {
				t.Fatalf("inventory --local DIR wrote %v, want one <deviceid>.json", files)
			}
			b, _ := os.ReadFile(files[0])
			schematest.Validate(t, b)
			var msg struct {
				Action, DeviceID, ItemType string
				Content                    map[string]json.RawMessage
			}
			json.Unmarshal(b, &msg)
			if msg.Action != "inventory" || msg.ItemType != "Computer" || !strings.HasSuffix(files[0], msg.DeviceID+".json") {
				t.Errorf("message action %q itemtype %q deviceid %q in %s", msg.Action, msg.ItemType, msg.DeviceID, files[0])
			}
			for _, k := range []string{"hardware", "operatingsystem", "versionclient", "versionprovider"} {
				if _, ok := msg.Content[k]; !ok {
					t.Errorf("content has no %q", k)
				}
			}
		})
	}
}

func TestInventoryLocalStdout(t *testing.T) {
	stdout, stderr, code := agent(t, nil, "--state-dir", t.TempDir(), "inventory", "--local", "-", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	schematest.Validate(t, []byte(stdout))
	var summary struct {
		Collectors []struct{ Name string }
	}
	// Log lines may come first (the host's own state: an official agent's
	// state file is logged as kept); the summary is what ends stderr.
	doc := stderr
	if i := strings.LastIndex(stderr, "\n{\n"); i >= 0 {
		doc = stderr[i+1:]
	}
	if err := json.Unmarshal([]byte(doc), &summary); err != nil || len(summary.Collectors) == 0 {
		t.Errorf("--json summary on stderr = %q (%v), want collectors", stderr, err)
	}
}

func TestInventoryServer(t *testing.T) {
	glpi := glpitest.New(t)
	state := t.TempDir()
	stdout, stderr, code := agent(t, nil, "--state-dir", state, "inventory", "--server", glpi.URL, "--tag", "site-a")
	if code != 0 {
		t.Fatalf("inventory --server exit %d: %s", code, stderr)
	}
	if len(glpi.Contacts()) != 1 {
		t.Errorf("GLPI got %d CONTACTs, want 1", len(glpi.Contacts()))
	}
	invs := glpi.Inventories()
	if len(invs) != 1 {
		t.Fatalf("GLPI got %d inventories, want 1", len(invs))
	}
	first := invs[0]
	if first.Tag != "site-a" || first.Partial || first.ContentType != "application/x-compress-zlib" || first.AgentID == "" {
		t.Errorf("inventory tag %q partial %v content-type %q agent id %q", first.Tag, first.Partial, first.ContentType, first.AgentID)
	}
	if !strings.Contains(stdout, "Inventory "+first.DeviceID) {
		t.Errorf("stdout does not name the deviceid %s:\n%s", first.DeviceID, stdout)
	}

	// Nothing changed: the second run is partial, with the sections GLPI
	// needs to find the computer, under the same identity.
	_, stderr, code = agent(t, nil, "--state-dir", state, "inventory", "--server", glpi.URL, "--tag", "site-a")
	if code != 0 {
		t.Fatalf("second run exit %d: %s", code, stderr)
	}
	second := glpi.Inventories()[1]
	if !second.Partial || second.DeviceID != first.DeviceID || second.AgentID != first.AgentID {
		t.Errorf("second inventory partial %v deviceid %q agent %q, want partial under %q/%q", second.Partial, second.DeviceID, second.AgentID, first.DeviceID, first.AgentID)
	}
	var msg struct{ Content map[string]json.RawMessage }
	json.Unmarshal(second.JSON, &msg)
	for _, k := range []string{"hardware", "bios", "operatingsystem"} {
		if _, ok := msg.Content[k]; !ok && k != "bios" {
			t.Errorf("partial inventory lacks %q", k)
		}
	}
	if _, ok := msg.Content["softwares"]; ok {
		t.Error("partial inventory of an unchanged host resends softwares")
	}
	if len(glpi.Agents()) != 1 {
		t.Errorf("GLPI agents table has %d rows, want 1", len(glpi.Agents()))
	}

	// A run of some categories is partial, and still lets GLPI find the
	// computer.
	agent(t, nil, "--state-dir", state, "inventory", "--server", glpi.URL, "--category", "software")
	var cat struct{ Content map[string]json.RawMessage }
	json.Unmarshal(glpi.Inventories()[2].JSON, &cat)
	for _, k := range []string{"softwares", "hardware", "operatingsystem"} {
		if _, ok := cat.Content[k]; !ok {
			t.Errorf("inventory --category software lacks %q", k)
		}
	}
	if _, ok := cat.Content["cpus"]; ok || !glpi.Inventories()[2].Partial {
		t.Error("inventory --category software is not a partial inventory of those categories")
	}

	// --full forces a full one.
	agent(t, nil, "--state-dir", state, "inventory", "--server", glpi.URL, "--full")
	if fourth := glpi.Inventories()[3]; fourth.Partial {
		t.Error("inventory --full sent a partial inventory")
	}

	stdout, _, _ = agent(t, nil, "--state-dir", state, "status")
	for _, want := range []string{first.DeviceID, first.AgentID, glpi.URL} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, stdout)
		}
	}
	if !regexp.MustCompile(`(?m)^Last result:\s+ok$`).MatchString(stdout) {
		t.Errorf("status lacks the last result ok:\n%s", stdout)
	}
}

func TestInventoryServerErrors(t *testing.T) {
	tests := []struct {
		name string
		opts []glpitest.Option
		env  []string
		want string
		ok   bool
	}{
		{"inventory disabled 11", []glpitest.Option{glpitest.WithInventoryDisabled(11)}, nil, "disabled", false},
		{"inventory disabled 10", []glpitest.Option{glpitest.WithInventoryDisabled(10)}, nil, "disabled", false},
		{"basic auth missing", []glpitest.Option{glpitest.WithBasicAuth("agent", "s3cret")}, nil, "user", false},
		{"basic auth wrong", []glpitest.Option{glpitest.WithBasicAuth("agent", "s3cret")}, []string{"GLPI_AGENTD_USER=agent", "GLPI_AGENTD_PASSWORD=nope"}, "401", false},
		{"basic auth ok", []glpitest.Option{glpitest.WithBasicAuth("agent", "s3cret")}, []string{"GLPI_AGENTD_USER=agent", "GLPI_AGENTD_PASSWORD=s3cret"}, "", true},
		{"oauth ok", []glpitest.Option{glpitest.WithOAuth("cid", "csecret")}, []string{"GLPI_AGENTD_OAUTH_CLIENT_ID=cid", "GLPI_AGENTD_OAUTH_CLIENT_SECRET=csecret"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			glpi := glpitest.New(t, tt.opts...)
			_, stderr, code := agent(t, tt.env, "--state-dir", t.TempDir(), "inventory", "--server", glpi.URL)
			if tt.ok {
				if code != 0 || len(glpi.Inventories()) != 1 {
					t.Fatalf("exit %d, %d inventories: %s", code, len(glpi.Inventories()), stderr)
				}
				return
			}
			if code == 0 {
				t.Fatalf("exit 0, want a failure mentioning %q", tt.want)
			}
			if !strings.Contains(strings.ToLower(stderr), tt.want) {
				t.Errorf("stderr = %q, want it to mention %q", stderr, tt.want)
			}
			for _, secret := range []string{"s3cret", "nope", "csecret"} {
				if strings.Contains(stderr, secret) {
					t.Errorf("stderr shows the secret %q", secret)
				}
			}
		})
	}
}

func TestWrongURL(t *testing.T) {
	_, stderr, code := agent(t, nil, "--state-dir", t.TempDir(), "inventory", "--server", "http://127.0.0.1:1/")
	if code == 0 || !strings.Contains(stderr, "127.0.0.1:1") {
		t.Errorf("unreachable server: exit %d, stderr %q", code, stderr)
	}
}

func TestConfigErrors(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "agent.toml")
	os.WriteFile(cfg, []byte("server = \"http://x/\"\nno_categroy = [\"software\"]\n"), 0o600)
	_, stderr, code := agent(t, nil, "--config", cfg, "status")
	if code == 0 || !strings.Contains(stderr, "no_categroy") {
		t.Errorf("unknown config key: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = agent(t, []string{"GLPI_AGENTD_NO_CATEGORY=sofware"}, "--state-dir", t.TempDir(), "inventory", "--local", "-")
	if code == 0 || !strings.Contains(stderr, `"sofware"`) {
		t.Errorf("unknown category: exit %d, stderr %q", code, stderr)
	}
}

func TestDaemon(t *testing.T) {
	glpi := glpitest.New(t, glpitest.WithExpiration("1h"))
	cmd := exec.Command(agentBin, "--config", agentConfig, "--state-dir", t.TempDir(), "run")
	port := freePort(t)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GLPI_AGENTD_SERVER=" + glpi.URL, "GLPI_AGENTD_DELAYTIME=1",
		"GLPI_AGENTD_HTTPD_IP=127.0.0.1", "GLPI_AGENTD_HTTPD_PORT=" + port}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	glpi.WaitInventories(t, 1, 30*time.Second)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "inventory done"); {
		if time.Now().After(deadline) {
			t.Fatalf("daemon log lacks the run's line:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// GLPI's buttons: status, then "Request inventory".
	base := "http://127.0.0.1:" + port
	if body := httpGet(t, base+"/status"); body != "status: waiting" {
		t.Errorf("GET /status = %q, want %q", body, "status: waiting")
	}
	httpGet(t, base+"/now")
	glpi.WaitInventories(t, 2, 30*time.Second)
	if n := len(glpi.Contacts()); n != 2 {
		t.Errorf("GLPI got %d CONTACTs, want 2 (start, then /now)", n)
	}
	if port, _ := strconv.Atoi(port); glpi.Agents()[glpi.Inventories()[0].DeviceID].Port != port {
		t.Errorf("CONTACT httpd-port = %d, want %d", glpi.Agents()[glpi.Inventories()[0].DeviceID].Port, port)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("daemon exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("daemon did not stop on SIGTERM")
	}
	if !strings.Contains(stderr.String(), "agent stopping") {
		t.Errorf("daemon log lacks the stop:\n%s", stderr.String())
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	var resp *http.Response
	var err error
	for range 50 { // the listener may still be starting
		if resp, err = http.Get(url); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// syncBuffer is a bytes.Buffer safe for a process writing while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDaemon runs `glpi-agentd run` until the test ends.
func startDaemon(t *testing.T, state string, env ...string) *syncBuffer {
	t.Helper()
	cmd := exec.Command(agentBin, "--config", agentConfig, "--state-dir", state, "run")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "GLPI_AGENTD_NO_HTTPD=1"}, env...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(state, "control.sock")); err == nil {
			return &stderr
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not open its control socket:\n%s", stderr.String())
		}
	}
}

func TestNowWithDaemon(t *testing.T) {
	glpi := glpitest.New(t)
	state := t.TempDir()
	// The first scheduled run is an hour away: every inventory below is asked for.
	startDaemon(t, state, "GLPI_AGENTD_SERVER="+glpi.URL, "GLPI_AGENTD_DELAYTIME=3600")
	os.WriteFile(filepath.Join(state, "run.json"), []byte(`{"next_run":"2099-01-01T00:00:00Z"}`), 0o600)

	stdout, stderr, code := agent(t, nil, "--state-dir", state, "now", "--wait")
	if code != 0 {
		t.Fatalf("now --wait exit %d: %s\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"daemon is starting", "software", "sending full inventory"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("now --wait output lacks %q:\n%s", want, stdout)
		}
	}
	if n := len(glpi.Inventories()); n != 1 {
		t.Fatalf("GLPI got %d inventories after now --wait, want 1", n)
	}

	// Two technicians at once: one run, both told its result.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			_, _, codes[i] = agent(t, nil, "--state-dir", state, "now", "--wait", "--category", "software")
		})
	}
	wg.Wait()
	if codes[0] != 0 || codes[1] != 0 {
		t.Errorf("simultaneous now --wait exit codes %v", codes)
	}
	if n := len(glpi.Inventories()); n != 2 {
		t.Errorf("GLPI got %d inventories after two simultaneous requests, want 2 (one more)", n)
	}
	if last := glpi.Inventories()[len(glpi.Inventories())-1]; !last.Partial {
		t.Error("now --category sent a full inventory, want a partial one")
	}
}

func TestNowWithoutDaemon(t *testing.T) {
	glpi := glpitest.New(t)
	stdout, stderr, code := agent(t, []string{"GLPI_AGENTD_SERVER=" + glpi.URL}, "--state-dir", t.TempDir(), "now")
	if code != 0 {
		t.Fatalf("now without daemon exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "no running daemon") || len(glpi.Inventories()) != 1 {
		t.Errorf("now without daemon: %d inventories, output:\n%s", len(glpi.Inventories()), stdout)
	}
}

// A machine moving from the official agent by installing this one without
// settings keeps sending where the official agent did, with its tag and
// credentials, from its agent.cfg and conf.d; once kept, the settings
// outlive the official agent's uninstall; this agent's own server wins.
func TestOfficialSettingsAdopted(t *testing.T) {
	glpi := glpitest.New(t, glpitest.WithBasicAuth("glpi", "p#ss w"))
	ca := httptest.NewTLSServer(http.NotFoundHandler())
	ca.Close()
	root := t.TempDir()
	etc := filepath.Join(root, "etc", "glpi-agent")
	for name, data := range map[string]string{
		"agent.cfg": "# the package's file\nserver = " + glpi.URL + "\ndelaytime = 3600\ninclude \"conf.d/\"\n",
		// What an admin added: a tag, Basic credentials, a category left
		// out, and a local copy, which here would replace the sending.
		"conf.d/50-site.cfg": "tag = site-b\nuser = glpi\npassword = \"p#ss w\"\nno-category = software\nlocal = /tmp/official-copy\n" +
			// Machines named by their full names in GLPI.
			"assetname-support = 2\n" +
			// A private CA in the official agent's own directory, which
			// its uninstall removes.
			"ca-cert-file = /etc/glpi-agent/ca.pem\n",
		"ca.pem": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Certificate().Raw})),
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(etc, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(etc, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "hostname"), []byte("pc42.example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	_, stderr, code := agent(t, nil, "--host-root", root, "--state-dir", state, "inventory")
	if code != 0 {
		t.Fatalf("inventory with the official agent's settings: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "official agent's settings are adopted") || strings.Contains(stderr, "p#ss") {
		t.Errorf("stderr = %q, want the adoption logged, without the password", stderr)
	}
	invs := glpi.Inventories()
	if len(invs) != 1 {
		t.Fatalf("GLPI got %d inventories, want 1", len(invs))
	}
	var msg struct {
		Content struct {
			Hardware  struct{ Name string }
			Softwares json.RawMessage
		}
	}
	json.Unmarshal(invs[0].JSON, &msg)
	if invs[0].Tag != "site-b" || msg.Content.Softwares != nil || msg.Content.Hardware.Name != "pc42.example.com" {
		t.Errorf("inventory tag %q, softwares %t, hardware name %q; want site-b, no softwares, the full name pc42.example.com",
			invs[0].Tag, msg.Content.Softwares != nil, msg.Content.Hardware.Name)
	}
	kept := filepath.Join(state, "official-settings.json")
	fi, err := os.Stat(kept)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("kept settings %s: %v, want a file of mode 0600", kept, err)
	}
	if b, _ := os.ReadFile(kept); !strings.Contains(string(b), `"from": "/etc/glpi-agent/agent.cfg"`) || strings.Contains(string(b), "official-copy") ||
		!strings.Contains(string(b), filepath.Join(state, "official-ca.pem")) {
		t.Errorf("kept settings = %s, want them from /etc/glpi-agent/agent.cfg, without local, the CA file copied", b)
	}
	if a, b := readFile(t, filepath.Join(etc, "ca.pem")), readFile(t, filepath.Join(state, "official-ca.pem")); a != b {
		t.Errorf("the CA file's copy differs from the official agent's")
	}

	// The official agent uninstalled with its configuration: the kept
	// settings still send, quietly.
	if err := os.RemoveAll(etc); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = agent(t, nil, "--host-root", root, "--state-dir", state, "inventory")
	if code != 0 || len(glpi.Inventories()) != 2 || strings.Contains(stderr, "adopted") {
		t.Errorf("after the official agent's uninstall: exit %d, %d inventories, stderr %q; want a second one, nothing logged about it",
			code, len(glpi.Inventories()), stderr)
	}
	stdout, _, _ := agent(t, nil, "--host-root", root, "--state-dir", state, "status")
	if !strings.Contains(stdout, glpi.URL) || !regexp.MustCompile(`(?m)^Settings:\s+the official agent's, from /etc/glpi-agent/agent.cfg \(kept since `).MatchString(stdout) {
		t.Errorf("status does not name the adopted server %s and where it came from:\n%s", glpi.URL, stdout)
	}
	// This agent's own server wins, with its own settings only.
	own := glpitest.New(t)
	_, stderr, code = agent(t, nil, "--host-root", root, "--state-dir", state, "inventory", "--server", own.URL)
	if code != 0 || len(own.Inventories()) != 1 || own.Inventories()[0].Tag != "" || len(glpi.Inventories()) != 2 {
		t.Errorf("with --server: exit %d (%s), %d inventories there, %d at the official server; want 1 untagged there",
			code, stderr, len(own.Inventories()), len(glpi.Inventories()))
	}

	// An official agent sending to two servers: nothing is adopted, and
	// the agent says why.
	root2 := t.TempDir()
	cfg2 := filepath.Join(root2, "etc", "glpi-agent", "agent.cfg")
	os.MkdirAll(filepath.Dir(cfg2), 0o755)
	os.WriteFile(cfg2, []byte("server = "+glpi.URL+","+own.URL+"\n"), 0o644)
	_, stderr, code = agent(t, nil, "--host-root", root2, "--state-dir", t.TempDir(), "inventory")
	if code == 0 || !strings.Contains(stderr, "several servers") || !strings.Contains(stderr, "nowhere to send") {
		t.Errorf("two official servers: exit %d, stderr %q; want a failure naming both reasons", code, stderr)
	}
}

// TestOfficialTLSFilesAdopted is an official agent that reached GLPI
// through a reverse proxy admitting only the fleet's certificates: its CA
// directory (OpenSSL's hashed names) and its client certificate and key,
// in its own directory, which its uninstall removes. They are copied into
// the state directory, readable by the agent alone, and keep working once
// the official agent is gone.
func TestOfficialTLSFilesAdopted(t *testing.T) {
	fleetCA := tlstest.New(t, "Fleet CA", nil, true)
	client := tlstest.New(t, "pc42", fleetCA, false)
	glpi := glpitest.New(t, glpitest.WithClientCertificates(fleetCA.Cert))
	root := t.TempDir()
	etc := filepath.Join(root, "etc", "glpi-agent")
	for name, data := range map[string]string{
		"agent.cfg": "server = " + glpi.URL + "\ntag = dmz\n" +
			"ca-cert-dir = /etc/glpi-agent/ca\nssl-cert-file = /etc/glpi-agent/pc42.crt\nssl-key-file = /etc/glpi-agent/pc42.key\n",
		"ca/README":    "the GLPI proxy's CA\n",
		"ca/glpi.pem":  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: glpi.Certificate.Raw})),
		"pc42.crt":     string(client.CertPEM()),
		"pc42.key":     string(client.KeyPEM()),
		"ca/other.pem": string(tlstest.New(t, "Other CA", nil, true).CertPEM()),
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(etc, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(etc, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("glpi.pem", filepath.Join(etc, "ca", "3c7ab8e2.0")); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	_, stderr, code := agent(t, nil, "--host-root", root, "--state-dir", state, "inventory")
	if code != 0 {
		t.Fatalf("inventory through the client-certificate proxy: exit %d: %s", code, stderr)
	}
	if n := len(glpi.Inventories()); n != 1 || glpi.Inventories()[0].Tag != "dmz" {
		t.Fatalf("GLPI got %d inventories, want 1 tagged dmz", n)
	}
	kept := readFile(t, filepath.Join(state, "official-settings.json"))
	for _, copy := range []string{"official-ca.pem", "official-client.pem"} {
		fi, err := os.Stat(filepath.Join(state, copy))
		if err != nil || fi.Mode().Perm() != 0o600 || !strings.Contains(kept, filepath.Join(state, copy)) {
			t.Errorf("%s: %v, in the kept settings %t; want a file of mode 0600 that they name", copy, err, strings.Contains(kept, filepath.Join(state, copy)))
		}
	}
	if strings.Contains(kept, "ca_cert_dir") || strings.Contains(kept, "ssl_key_file") {
		t.Errorf("kept settings = %s, want the copies in place of the directory and the key file", kept)
	}
	// The test's certificate lasts an hour: the run says to renew it, and
	// status shows it.
	if !strings.Contains(stderr, "client certificate expires soon") {
		t.Errorf("stderr = %q, want a warning that the client certificate expires soon", stderr)
	}
	if stdout, _, _ := agent(t, nil, "--host-root", root, "--state-dir", state, "status"); !regexp.MustCompile(`(?m)^Client certificate:\s+CN=pc42, until \d{4}-\d\d-\d\d$`).MatchString(stdout) {
		t.Errorf("status does not show the client certificate:\n%s", stdout)
	}
	if err := os.RemoveAll(etc); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code = agent(t, nil, "--host-root", root, "--state-dir", state, "inventory"); code != 0 || len(glpi.Inventories()) != 2 {
		t.Errorf("after the official agent's uninstall: exit %d (%s), %d inventories; want a second one", code, stderr, len(glpi.Inventories()))
	}
	// Without the certificate the proxy refuses, and the agent says what
	// to set.
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: glpi.Certificate.Raw}), 0o600)
	_, stderr, code = agent(t, []string{"GLPI_AGENTD_CA_CERT_FILE=" + caFile}, "--state-dir", t.TempDir(), "inventory", "--server", glpi.URL)
	if code == 0 || !strings.Contains(stderr, "ssl_cert_file") {
		t.Errorf("without a client certificate: exit %d, stderr %q; want a failure naming ssl_cert_file", code, stderr)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
