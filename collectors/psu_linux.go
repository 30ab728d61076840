package collectors

import "context"

func init() { Register("psu", "powersupplies", true, collectPowerSupplies) }

func collectPowerSupplies(ctx context.Context, env *Env) (any, error) {
	structs, err := readSMBIOS(env)
	if err != nil {
		return nil, err
	}
	return powerSuppliesFromSMBIOS(structs), nil
}
