package collectors

import "context"

// hostSignals reads MachineGuid from the registry and the SMBIOS UUID and
// serial through WMI.
func hostSignals(_ context.Context, env *Env) Signals {
	h, err := openWindows(env)
	if err != nil {
		return Signals{}
	}
	return winSignals(h)
}
