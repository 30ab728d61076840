//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// testNet is a network namespace joined to this one by a veth pair, on
// TEST-NET-2 addresses (198.51.100.0/24) only: a remote site whose device
// the service and GLPI see at its own address.
type testNet struct {
	ns      string
	hostIf  string
	service netip.Addr // this side: the service listens here
	device  netip.Addr // the namespace's side: the device
	glpi    netip.Addr // this side: GLPI's "Request inventory" calls from here
	other   netip.Addr // this side: a host nobody trusts
}

// newTestNet makes the namespace and removes it when the test ends. It
// skips the test where namespaces cannot be made, but never under CI.
func newTestNet(t *testing.T) *testNet {
	t.Helper()
	k := os.Getpid()%31 + 1 // a /29 of our own among parallel runs
	base := 8 * k
	n := &testNet{
		ns:      fmt.Sprintf("glpiagentd-hd%d", os.Getpid()),
		hostIf:  fmt.Sprintf("vhd%dh", os.Getpid()%100000),
		service: netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", base+1)),
		device:  netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", base+2)),
		glpi:    netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", base+3)),
		other:   netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", base+4)),
	}
	peer := fmt.Sprintf("vhd%dn", os.Getpid()%100000)
	ip := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := ip("netns", "add", n.ns); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("network namespace needed (CI runs as root): %v", err)
		}
		t.Skipf("cannot create a network namespace (needs root and iproute2): %v", err)
	}
	t.Cleanup(func() {
		ip("link", "del", n.hostIf) // also removes its peer
		ip("netns", "del", n.ns)
	})
	for _, args := range [][]string{
		{"link", "add", n.hostIf, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", n.ns},
		{"addr", "add", n.service.String() + "/29", "dev", n.hostIf},
		{"addr", "add", n.glpi.String() + "/32", "dev", n.hostIf},
		{"addr", "add", n.other.String() + "/32", "dev", n.hostIf},
		{"link", "set", n.hostIf, "up"},
		{"-n", n.ns, "addr", "add", n.device.String() + "/29", "dev", peer},
		{"-n", n.ns, "link", "set", peer, "up"},
		{"-n", n.ns, "link", "set", "lo", "up"},
	} {
		if err := ip(args...); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// from returns a dial function whose connections leave from addr.
func from(addr netip.Addr) func(ctx context.Context, network, address string) (net.Conn, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: addr.AsSlice()}, Timeout: 5 * time.Second}
	return d.DialContext
}

// serveOn runs glpi-enrolld on the data dir at addr until stop kills it.
func serveOn(t *testing.T, dataDir, addr string, log *syncBuffer, args ...string) (stop func()) {
	t.Helper()
	return startServe(t, log, append([]string{"--data-dir", dataDir, "--listen", addr}, args...)...).stop
}

// TestRequestInventoryFromGLPI: GLPI's "Request inventory" reaches an
// enrolled device at a remote site. The service tells the device to trust
// the host it names (--agent-trust), the relay tells GLPI the device's own
// address and its listener's port, and GLPI's call from its address, which
// only that pushed trust allows, starts a run that reaches GLPI through the
// relay and that device show records as requested by GLPI. Once the
// service no longer names that host, the device refuses it.
func TestRequestInventoryFromGLPI(t *testing.T) {
	n := newTestNet(t)
	glpi := glpitest.New(t)
	data := t.TempDir()
	svcAddr := net.JoinHostPort(n.service.String(), "8443")
	var svcLog syncBuffer
	stop := serveOn(t, data, svcAddr, &svcLog, "--glpi-url", glpi.URL, "--agent-trust", n.glpi.String())

	keyFile := filepath.Join(t.TempDir(), "bundle")
	if out, err := exec.Command(bins.enrolld, "key", "create", "--data-dir", data, "--tag", "helpdesk",
		"--bundle", "https://"+svcAddr, "--output", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("key create --bundle: %v\n%s", err, out)
	}
	root, state := host(t, "desk-far", "abababababababababababababababab", "4C4C4544-0020-0020-0020-000000000020"), t.TempDir()
	const port = 62411 // any port: the namespace is ours
	agentEnv := []string{"PATH=" + os.Getenv("PATH"), "GLPI_AGENTD_DELAYTIME=1", "GLPI_AGENTD_DEBUG=1",
		"GLPI_AGENTD_HTTPD_PORT=" + fmt.Sprint(port), "GLPI_AGENTD_REGISTRATION_KEY_FILE=" + keyFile}
	daemon := exec.Command("ip", "netns", "exec", n.ns, bins.agent, "--config", bins.config, "--host-root", root, "--state-dir", state, "run")
	daemon.Env = agentEnv
	var agentLog syncBuffer
	daemon.Stdout, daemon.Stderr = &agentLog, &agentLog
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { daemon.Process.Signal(syscall.SIGTERM); daemon.Wait() })
	logs := func() string {
		return "agent log:\n" + agentLog.String() + "\nservice log:\n" + svcLog.String()
	}

	// The first inventory, relayed: GLPI knows the device at its own
	// address, and the port its button must call.
	first := glpi.WaitInventories(t, 1, 60*time.Second)[0]
	if xff := first.Header.Get("X-Forwarded-For"); xff != n.device.String() {
		t.Errorf("relay's X-Forwarded-For = %q, want the device's address %s", xff, n.device)
	}
	rec := glpi.Agents()[first.DeviceID]
	if rec.RemoteAddr != n.device.String() || rec.Port != port {
		t.Errorf("GLPI's agent record = %+v, want address %s and port %d", rec, n.device, port)
	}

	// The device trusts GLPI's host because the service said so.
	status := func() string {
		cmd := exec.Command(bins.agent, "--config", bins.config, "--state-dir", state, "status", "--json")
		cmd.Env = agentEnv
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("status: %v\n%s", err, out)
		}
		return string(out)
	}
	var st struct {
		Trust []struct{ Entry, Source string } `json:"listener_trust"`
	}
	if err := json.Unmarshal([]byte(status()), &st); err != nil {
		t.Fatal(err)
	}
	pushed := false
	for _, e := range st.Trust {
		pushed = pushed || e.Entry == n.glpi.String() && strings.Contains(e.Source, "enrollment service")
	}
	if !pushed {
		t.Errorf("status listener_trust = %+v, want %s from the enrollment service", st.Trust, n.glpi)
	}

	url := glpi.AgentURL(first.DeviceID, n.device.String())
	if got, err := glpitest.RequestInventory(t.Context(), url, from(n.other)); got != "Not allowed" {
		t.Errorf("Request inventory from an untrusted host = %q (%v), want Not allowed", got, err)
	}
	if got, err := glpitest.RequestInventory(t.Context(), url, from(n.glpi)); got != "Requested" {
		t.Fatalf("Request inventory from GLPI = %q (%v), want Requested\n%s", got, err, logs())
	}
	glpi.WaitInventories(t, 2, 60*time.Second)
	id := ""
	for _, d := range devicesAt(t, data) {
		id = d.ID
	}
	var show struct {
		Requests []struct {
			State         string `json:"state"`
			RequestedBy   string `json:"requested_by"`
			RequestedFrom string `json:"requested_from"`
		} `json:"requests"`
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, err := exec.Command(bins.enrolld, "device", "show", id, "--data-dir", data, "--json").Output()
		if err != nil {
			t.Fatalf("device show: %v", err)
		}
		if err := json.Unmarshal(out, &show); err != nil {
			t.Fatal(err)
		}
		if len(show.Requests) == 1 && show.Requests[0].State == "relayed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("device show requests = %+v, want one relayed\n%s", show.Requests, logs())
		}
	}
	if r := show.Requests[0]; r.RequestedBy != "GLPI" || r.RequestedFrom != n.glpi.String() {
		t.Errorf("device show request = %+v, want requested by GLPI from %s", r, n.glpi)
	}

	// The service no longer names GLPI's host: at its next check-in the
	// device stops trusting it, without a restart.
	stop()
	serveOn(t, data, svcAddr, &svcLog, "--glpi-url", glpi.URL)
	for deadline := time.Now().Add(60 * time.Second); strings.Contains(status(), `"`+n.glpi.String()+`"`); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the device still trusts %s a minute after the service dropped it:\n%s\n%s", n.glpi, status(), logs())
		}
	}
	if got, err := glpitest.RequestInventory(t.Context(), url, from(n.glpi)); got != "Not allowed" {
		t.Errorf("Request inventory from GLPI once the service dropped it = %q (%v), want Not allowed", got, err)
	}
}

// devicesAt lists the devices of a data dir.
func devicesAt(t *testing.T, data string) []deviceRow {
	t.Helper()
	out, err := exec.Command(bins.enrolld, "device", "list", "--data-dir", data, "--json").Output()
	if err != nil {
		t.Fatalf("device list: %v", err)
	}
	var rows []deviceRow
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}
