package collectors

import (
	"net"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// winSignals reads the identity signals through the Windows sources.
func winSignals(h winHost) Signals {
	s := Signals{MachineID: windowsMachineGUID(h.reg)}
	csp, _ := queryFirst[win32ComputerSystemProduct](h.wmi, "Win32_ComputerSystemProduct")
	s.SMBIOSUUID = enroll.SignalUUID(csp.UUID)
	s.Serial = clean(csp.IdentifyingNumber)
	var nics []struct {
		MACAddress      string
		PhysicalAdapter bool
	}
	if h.wmi.Query("Win32_NetworkAdapter", "PhysicalAdapter = TRUE", &nics) == nil {
		for _, n := range nics {
			if hw, err := net.ParseMAC(n.MACAddress); err == nil && n.PhysicalAdapter {
				if mac := permanentMAC(hw.String()); mac != "" {
					s.MACs = append(s.MACs, mac)
				}
			}
		}
	}
	return s
}
