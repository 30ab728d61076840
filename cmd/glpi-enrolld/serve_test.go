package main

import (
	"net"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// serving is a glpi-enrolld serve process a test started.
type serving struct {
	addr string // the agents' listener, as the service logged it
	log  *syncBuffer
	from int // where this process's log starts in log
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done
}

// servingLine is the service's log line once its listener is open.
var servingLine = regexp.MustCompile(`msg="glpi-enrolld serving" addr=(\S+)`)

// startServe runs glpi-enrolld serve with args, logging into log, and
// returns once the service says it serves, with the address it listens
// on. Give --listen a port 0 and the service takes a free port itself, so
// that no other process can take it in between. The listener is open when
// the line is logged: a connection made then waits in its backlog until
// the service accepts it. A process that ends before serving fails the
// test with its log; the process is killed when the test ends.
func startServe(t *testing.T, log *syncBuffer, args ...string) *serving {
	t.Helper()
	p := &serving{log: log, done: make(chan struct{})}
	from := len(log.String()) // a restart logs into the same buffer
	p.from = from
	p.cmd = exec.Command(bins.enrolld, append([]string{"serve", "--log-level", "debug"}, args...)...)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	deadline := time.After(30 * time.Second)
	for {
		if m := servingLine.FindStringSubmatch(log.String()[from:]); m != nil {
			p.addr = m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("glpi-enrolld serve %v ended before serving (%v):\n%s", args, p.err, log)
		case <-deadline:
			t.Fatalf("glpi-enrolld serve %v not serving after 30 s:\n%s", args, log)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// adminAddr waits for the service to log its --admin-listen listener,
// and returns its address.
func (p *serving) adminAddr(t *testing.T) string {
	t.Helper()
	line := regexp.MustCompile(`msg="admin listener serving" addr=(\S+)`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := line.FindStringSubmatch(p.log.String()[p.from:]); m != nil {
			return m[1]
		}
	}
	t.Fatalf("glpi-enrolld never logged its admin listener:\n%s", p.log)
	return ""
}

// port is the port of the agents' listener.
func (p *serving) port() string {
	_, port, _ := net.SplitHostPort(p.addr)
	return port
}

// stop kills the service and waits for it to end.
func (p *serving) stop() {
	p.cmd.Process.Kill()
	<-p.done
}

// wait waits for the service to end (after a signal) and returns its exit
// status.
func (p *serving) wait() error {
	<-p.done
	return p.err
}
