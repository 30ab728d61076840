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
	p := &serving{log: log, done: make(chan struct{}), from: len(log.String())} // a restart logs into the same buffer
	p.cmd = exec.Command(bins.enrolld, append([]string{"serve", "--log-level", "debug"}, args...)...)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	p.addr = p.waitLog(t, servingLine)[1]
	return p
}

// waitLog waits for this process to log a line re matches, and returns
// the submatches. A process that ends first, or 30 s without the line,
// fails the test with the log.
func (p *serving) waitLog(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(p.log.String()[p.from:]); m != nil {
			return m
		}
		select {
		case <-p.done:
			t.Fatalf("glpi-enrolld serve ended (%v) before logging %q:\n%s", p.err, re, p.log)
		case <-deadline:
			t.Fatalf("glpi-enrolld serve: no %q after 30 s:\n%s", re, p.log)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// adminLine is the service's log line once its --admin-listen listener is
// open.
var adminLine = regexp.MustCompile(`msg="admin listener serving" addr=(\S+)`)

// adminAddr waits for the service to log its --admin-listen listener,
// and returns its address.
func (p *serving) adminAddr(t *testing.T) string {
	t.Helper()
	return p.waitLog(t, adminLine)[1]
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
