package collectors

import (
	"context"
	"net"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// hostSignals reads the platform UUID (kern.uuid, the IOPlatformUUID) from
// sysctl; the serial needs system_profiler, too slow to run before every
// send, so it is left out.
func hostSignals(_ context.Context, _ *Env) Signals {
	uuid := enroll.SignalUUID(darwinSysctl("kern.uuid"))
	s := Signals{MachineID: uuid, SMBIOSUUID: uuid}
	ifaces, _ := net.Interfaces()
	for _, i := range ifaces {
		if i.Flags&net.FlagLoopback == 0 && len(i.HardwareAddr) == 6 {
			if mac := permanentMAC(i.HardwareAddr.String()); mac != "" {
				s.MACs = append(s.MACs, mac)
			}
		}
	}
	return s
}
