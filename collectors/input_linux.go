package collectors

import "context"

func init() { Register("input", "inputs", true, collectInputs) }

// collectInputs builds the inputs section from the kernel's input devices.
func collectInputs(ctx context.Context, env *Env) (any, error) {
	b, err := env.ReadFile("/proc/bus/input/devices")
	if err != nil {
		return nil, err
	}
	return parseInputDevices(string(b)), nil
}
