package agent

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// allowListener makes, when add_firewall_exception is set, the Windows
// Firewall rule that lets GLPI's "Request inventory" button reach the
// local listener. It is made again at each start: the program's path and
// the port may have changed.
func (a *Agent) allowListener() {
	if !a.cfg.AddFirewallException || a.cfg.NoHTTPD {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		a.log.Warn("firewall rule not made", "err", err)
		return
	}
	netsh := filepath.Join(os.Getenv("SystemRoot"), "System32", "netsh.exe")
	lines := firewallCommandLines(exe, a.cfg.HTTPDPort)
	for i, line := range lines {
		var out bytes.Buffer
		cmd := exec.Command(netsh)
		// netsh's own syntax, quotes included, as its documentation writes it.
		cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: line}
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if i == 0 {
			continue // deleting a rule that is not there fails
		}
		if err != nil {
			a.log.Warn("firewall rule not made: GLPI's \"Request inventory\" may not reach this agent", "rule", firewallRule, "err", err, "output", out.String())
			return
		}
	}
	a.log.Info("firewall rule made: GLPI's \"Request inventory\" reaches the local listener", "rule", firewallRule, "port", a.cfg.HTTPDPort)
}
