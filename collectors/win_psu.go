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
	structs, err := winSMBIOS(env, h)
	if err != nil {
		return nil, err
	}
	return powerSuppliesFromSMBIOS(structs), nil
}

// winSMBIOS reads and parses the machine's SMBIOS table, once for the
// run's collectors, which only read it. No table is no data.
func winSMBIOS(env *Env, h winHost) ([]smbiosStruct, error) {
	return shared(env, "windows smbios", func() ([]smbiosStruct, error) {
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
		return parseSMBIOS(b)
	})
}
