package collectors

import (
	"context"
	"errors"
	"io/fs"
)

// winPowerSupplies builds the powersupplies section from the SMBIOS table,
// which the official agent reads with dmidecode on Windows too.
func winPowerSupplies(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	if h.smbios == nil {
		return nil, NoData("no SMBIOS table")
	}
	b, err := h.smbios.SMBIOS()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, NoData("no SMBIOS table")
	}
	if err != nil {
		return nil, err
	}
	structs, err := parseSMBIOS(b)
	if err != nil {
		return nil, err
	}
	return powerSuppliesFromSMBIOS(structs), nil
}
