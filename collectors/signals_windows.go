package collectors

import "context"

// hostSignals reads MachineGuid from the registry and the SMBIOS UUID and
// serial through WMI.
func hostSignals(_ context.Context, _ *Env) Signals {
	return winSignals(liveHost)
}
