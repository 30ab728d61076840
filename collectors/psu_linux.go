package collectors

import (
	"context"
	"errors"
)

func init() { Register("psu", "powersupplies", true, collectPowerSupplies) }

// collectPowerSupplies lists the power supplies of the SMBIOS table, merged
// with those the BMC describes where ipmitool can ask it, as the official
// agent does.
func collectPowerSupplies(ctx context.Context, env *Env) (any, error) {
	structs, err := readSMBIOS(env)
	if err != nil && !errors.Is(err, ErrNoData) {
		return nil, err
	}
	list := powerSuppliesFromSMBIOS(structs)
	if out, ok := ipmitool(ctx, env, "fru", "print"); ok {
		list = mergePowerSupplies(list, powerSuppliesFromFRU(string(out)))
	}
	if len(list) == 0 && err != nil {
		return nil, err
	}
	return list, nil
}
