package agent

import "fmt"

// firewallRule names the Windows Firewall rule add_firewall_exception
// makes.
const firewallRule = "glpi-agentd"

// firewallCommandLines are netsh's command lines, in netsh's documented
// syntax, that delete, then add again, the rule letting GLPI reach the
// local listener: inbound TCP to program on port, on every profile.
func firewallCommandLines(program string, port int) (del, add string) {
	return fmt.Sprintf(`netsh advfirewall firewall delete rule name="%s"`, firewallRule),
		fmt.Sprintf(`netsh advfirewall firewall add rule name="%s" dir=in action=allow program="%s" protocol=TCP localport=%d profile=any enable=yes description="GLPI's Request inventory button: the glpi-agentd local listener"`,
			firewallRule, program, port)
}
