package agent

import (
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
	netsh := func(line string) ([]byte, error) {
		cmd := exec.Command(filepath.Join(os.Getenv("SystemRoot"), "System32", "netsh.exe"))
		// netsh's own syntax, quotes included, as its documentation writes it.
		cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: line}
		return cmd.CombinedOutput()
	}
	del, add := firewallCommandLines(exe, a.cfg.HTTPDPort)
	netsh(del) // fails where there is no rule yet
	if out, err := netsh(add); err != nil {
		a.log.Warn("firewall rule not made: GLPI's \"Request inventory\" may not reach this agent", "rule", firewallRule, "err", err, "output", string(out))
		return
	}
	a.log.Info("firewall rule made: GLPI's \"Request inventory\" reaches the local listener", "rule", firewallRule, "port", a.cfg.HTTPDPort)
}
