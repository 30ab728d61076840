package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// enrolld is one glpi-enrolld process serving on 127.0.0.1.
type enrolld struct {
	t     *testing.T
	bin   string
	addr  string
	URL   string
	ready string // URL of /readyz; empty means URL's
	// client reads ready and metrics; nil means http.DefaultClient.
	client *http.Client
	store  []string // --data-dir DIR or --database URL
	args   []string // the serve flags after the store
	log    string   // file receiving the process's output
	cmd    *exec.Cmd
	done   chan struct{}
}

// flagServiceCPUs pins the services to some CPUs, so that the load
// generator, pinned to the others, does not share their cores.
var flagServiceCPUs = flag.String("service-cpus", "", "run the services on these CPUs only (taskset -c LIST); run the test itself on the others (taskset -c)")

// startEnrolld starts glpi-enrolld serve on a free loopback port and waits
// until it is ready. The process is killed when the test ends.
func startEnrolld(t *testing.T, bin string, store []string, args ...string) *enrolld {
	t.Helper()
	e := newEnrolld(t, bin, store, args...)
	if err := e.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.kill)
	return e
}

// newEnrolld returns an enrolld on a free loopback address, not started.
func newEnrolld(t *testing.T, bin string, store []string, args ...string) *enrolld {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return &enrolld{t: t, bin: bin, addr: addr, URL: "http://" + addr, store: store, args: args,
		log: filepath.Join(t.TempDir(), "enrolld.log")}
}

// start runs the process on e's address and waits for /readyz.
func (e *enrolld) start() error {
	logf, err := os.OpenFile(e.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	args := append(append([]string{"serve", "--listen", e.addr}, e.store...), e.args...)
	cmd := exec.Command(e.bin, args...)
	if *flagServiceCPUs != "" {
		cmd = exec.Command("taskset", append([]string{"-c", *flagServiceCPUs, e.bin}, args...)...)
	}
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start glpi-enrolld: %w", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	e.cmd, e.done = cmd, done
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-done:
			return fmt.Errorf("glpi-enrolld exited at start:\n%s", e.logTail())
		default:
		}
		ready := e.ready
		if ready == "" {
			ready = e.URL + "/readyz"
		}
		if resp, err := e.httpClient().Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("glpi-enrolld not ready after 30 s:\n%s", e.logTail())
}

func (e *enrolld) httpClient() *http.Client {
	if e.client != nil {
		return e.client
	}
	return http.DefaultClient
}

// kill ends the process with SIGKILL (TerminateProcess on Windows): no
// shutdown, no flush, as a crash or an OOM kill would.
func (e *enrolld) kill() {
	if e.cmd == nil {
		return
	}
	e.cmd.Process.Kill()
	<-e.done
	e.cmd = nil
}

// stop asks the process to stop (SIGTERM, as systemd does) and waits for
// it to exit, for 90 s at most (systemd's default), then kills it.
func (e *enrolld) stop() error {
	if e.cmd == nil {
		return nil
	}
	defer func() { e.cmd = nil }()
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-e.done:
		if code := e.cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("glpi-enrolld exited with status %d after SIGTERM:\n%s", code, e.logTail())
		}
		return nil
	case <-time.After(90 * time.Second):
		e.cmd.Process.Kill()
		<-e.done
		return fmt.Errorf("glpi-enrolld still running 90 s after SIGTERM:\n%s", e.logTail())
	}
}

// logTail returns the last lines of the process's output.
func (e *enrolld) logTail() string {
	b, _ := os.ReadFile(e.log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(len(lines)-20, 0):], "\n")
}

// admin runs an admin command on the service's store and returns stdout.
// The command words ("key create") come first, then the store flags.
func (e *enrolld) admin(words []string, flags ...string) []byte {
	e.t.Helper()
	cmd := exec.Command(e.bin, append(append(append([]string{}, words...), e.store...), flags...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("glpi-enrolld %s: %v\n%s", strings.Join(words, " "), err, errb.String())
	}
	return out.Bytes()
}

// newKey creates an unlimited registration key and returns it.
func (e *enrolld) newKey(tag string) string {
	e.t.Helper()
	file := filepath.Join(e.t.TempDir(), "registration.key")
	e.admin([]string{"key", "create"}, "--tag", tag, "--output", file)
	b, err := os.ReadFile(file)
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// deviceRow is a row of "device list --json".
type deviceRow struct {
	ID           string `json:"id"`
	Hostname     string `json:"hostname"`
	GLPIDeviceID string `json:"glpi_deviceid"`
	RelayStatus  string `json:"relay_status"`
	// RelayInventoryID is nil where the server does not report it.
	RelayInventoryID *int64 `json:"relay_inventory_id"`
}

func (e *enrolld) devices() []deviceRow {
	e.t.Helper()
	var rows []deviceRow
	if err := json.Unmarshal(e.admin([]string{"device", "list"}, "--json"), &rows); err != nil {
		e.t.Fatalf("device list --json: %v", err)
	}
	return rows
}

// metric reads one unlabelled sample from /metrics.
func (e *enrolld) metric(ctx context.Context, name string) (float64, error) {
	return e.metricAt(ctx, e.URL+"/metrics", name)
}

// metricAt reads one unlabelled sample from the /metrics at url.
func (e *enrolld) metricAt(ctx context.Context, url, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := e.httpClient().Do(req)
	if err != nil {
		return 0, fmt.Errorf("read metrics: %w", err)
	}
	defer resp.Body.Close()
	return parseMetric(bufio.NewScanner(resp.Body), name)
}

// parseMetric finds the sample "name value" in Prometheus text lines.
func parseMetric(sc *bufio.Scanner, name string) (float64, error) {
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read metrics: %w", err)
	}
	return 0, fmt.Errorf("read metrics: no sample %s", name)
}

// checkInSupported reports whether the server serves the check-in long
// poll: an unauthenticated call is refused, not unknown.
func checkInSupported(t *testing.T, base string) bool {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/checkin", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed
}

func TestParseMetric(t *testing.T) {
	text := "# HELP glpi_enrolld_outbox_depth Inventories waiting.\n# TYPE glpi_enrolld_outbox_depth gauge\n" +
		"glpi_enrolld_outbox_depth 42\nglpi_enrolld_outbox_depth_other 7\n"
	tests := []struct {
		name    string
		want    float64
		wantErr bool
	}{
		{"glpi_enrolld_outbox_depth", 42, false},
		{"glpi_enrolld_outbox_depth_other", 7, false},
		{"glpi_enrolld_missing", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMetric(bufio.NewScanner(strings.NewReader(text)), tt.name)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("parseMetric(%q) = %v, %v, want %v (error %v)", tt.name, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
