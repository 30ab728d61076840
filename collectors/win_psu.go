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
// run's collectors, which only read it. No table is no data. The
// processor, memory and battery collectors do without it, as the official
// agent does without dmidecode; a table that cannot be read is logged
// here, once for them all.
func winSMBIOS(env *Env, h winHost) ([]smbiosStruct, error) {
	return shared(env, "windows smbios", func() ([]smbiosStruct, error) {
		if h.smbios == nil {
			return nil, NoData("no SMBIOS table")
		}
		b, err := h.smbios.SMBIOS()
		if errors.Is(err, fs.ErrNotExist) {
			return nil, NoData("no SMBIOS table")
		}
		var structs []smbiosStruct
		if err == nil {
			structs, err = parseSMBIOS(b)
		}
		if err != nil {
			env.Log().Debug("SMBIOS table unreadable", "err", err)
		}
		return structs, err
	})
}
