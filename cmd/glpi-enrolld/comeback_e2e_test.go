package main

import (
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRestartTellsAgentsWhenToComeBack: the service stopping answers the
// real agent's held check-in with a delay drawn from its come-back
// window; the agent waits it out, not trying the restarting service
// meanwhile, then holds its check-in on the restarted one.
func TestRestartTellsAgentsWhenToComeBack(t *testing.T) {
	t.Parallel() // waits on processes and the network, mostly
	s := &service{t: t, dataDir: t.TempDir(), log: &syncBuffer{}}
	serve := func(addr string) *serving {
		return startServe(t, s.log, append([]string{"--listen", addr}, s.storeArgs()...)...)
	}
	svc := serve("127.0.0.1:0")
	s.url = "http://" + svc.addr
	key := s.newKey("--tag", "restart")
	root := host(t, "desk-11", "11111111111111111111111111111111", "4C4C4544-0011-0011-0011-000000000011")
	log := startDaemon(t, root, t.TempDir(), "GLPI_AGENTD_DEBUG=1", "GLPI_AGENTD_SERVER="+s.url, "GLPI_AGENTD_REGISTRATION_KEY_FILE="+key)
	s.waitMetric("glpi_enrolld_checkins_held 1")

	if err := svc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := svc.wait(); err != nil {
		t.Fatalf("glpi-enrolld after SIGTERM: %v\n%s", err, s.log)
	}
	serve(svc.addr) // the same address, as a restarted service has
	// One held check-in stopped: the window is the shortest, 5 to 9 s.
	next := regexp.MustCompile(`next check-in as the service asked.* in=(\d+)s`)
	var m []string
	for deadline := time.Now().Add(15 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		m = next.FindStringSubmatch(log.String())
	}
	if m == nil {
		t.Fatalf("the agent never logged the delay the stopping service asked:\n%s", log.String())
	}
	if n, _ := strconv.Atoi(m[1]); n < 5 || n > 9 {
		t.Errorf("the agent comes back in %s s, want 5 to 9 (the window for one held check-in)", m[1])
	}
	s.waitMetric("glpi_enrolld_checkins_held 1")
	if strings.Contains(log.String(), "check-in failed") {
		t.Errorf("the agent tried the restarting service before the delay it was told:\n%s", log.String())
	}
}
