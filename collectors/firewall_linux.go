package collectors

import "context"

func init() { Register("firewall", "firewalls", true, collectFirewall) }

// firewallServices are the services that load a rule set at boot, with a
// file telling whether each is installed.
var firewallServices = []struct{ service, installed string }{
	{"firewalld", "/usr/sbin/firewalld"},
	{"nftables", "/etc/nftables.conf"},
	{"netfilter-persistent", "/usr/sbin/netfilter-persistent"},
	{"iptables", "/etc/sysconfig/iptables"},
}

// collectFirewall reports one status for the host: "on" when a firewall is
// enabled at boot, "off" when one is installed but none is enabled. Whether
// rules are loaded right now would need netlink and is not looked at.
func collectFirewall(_ context.Context, env *Env) (any, error) {
	installed := false
	if conf, err := env.ReadFile("/etc/ufw/ufw.conf"); err == nil {
		if ufwEnabled(string(conf)) {
			return []Firewall{{Status: firewallOn}}, nil
		}
		installed = true
	}
	for _, fw := range firewallServices {
		if !exists(env, fw.installed) {
			continue
		}
		installed = true
		if serviceEnabled(env, fw.service) {
			return []Firewall{{Status: firewallOn}}, nil
		}
	}
	if !installed {
		return nil, NoData("no firewall installed")
	}
	return []Firewall{{Status: firewallOff}}, nil
}

// serviceEnabled reports whether a service starts at boot under systemd
// (a link in a target's wants directory) or OpenRC (a runlevel link).
func serviceEnabled(env *Env, name string) bool {
	if len(env.Glob("/etc/systemd/system/*.target.wants/"+name+".service")) > 0 {
		return true
	}
	return len(env.Glob("/etc/runlevels/*/"+name)) > 0
}
