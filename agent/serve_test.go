package agent

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The official agent holds port 62354 until it is uninstalled: the local
// listener waits for the port, says so once, and takes it when it is free,
// without a restart.
func TestListenerWaitsForItsPort(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := held.Addr().(*net.TCPAddr).Port
	a := newTestAgent(t)
	a.cfg.HTTPDIP, a.cfg.HTTPDPort = "127.0.0.1", port
	// Read once the listener has returned.
	var logs bytes.Buffer
	a.log = slog.New(slog.NewTextHandler(&logs, nil))
	a.listenRetry = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.serveListener(ctx)
	}()
	stop := func() { cancel(); <-done }
	defer stop()
	time.Sleep(200 * time.Millisecond) // several tries while the port is held
	held.Close()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/status"
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET /status = %s, want 200", resp.Status)
			}
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("the listener did not take the freed port: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if n := strings.Count(logs.String(), "local listener waiting for its port"); n != 1 || !strings.Contains(logs.String(), "local listener ready") {
		t.Errorf("the wait was logged %d times, want once, then the ready line:\n%s", n, logs.String())
	}
}

func TestFirewallCommandLines(t *testing.T) {
	del, add := firewallCommandLines(`C:\Program Files\glpi-agentd\glpi-agentd.exe`, 62354)
	got := []string{del, add}
	want := []string{
		`netsh advfirewall firewall delete rule name="glpi-agentd"`,
		`netsh advfirewall firewall add rule name="glpi-agentd" dir=in action=allow program="C:\Program Files\glpi-agentd\glpi-agentd.exe" protocol=TCP localport=62354 profile=any enable=yes description="GLPI's Request inventory button: the glpi-agentd local listener"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("firewallCommandLines =\n%q\nwant\n%q", got, want)
	}
}
