package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

func init() { Register("memory", "memories", true, collectMemories) }

// dmiTable is the raw SMBIOS structure table; reading it needs root.
const dmiTable = "/sys/firmware/dmi/tables/DMI"

func collectMemories(ctx context.Context, env *Env) (any, error) {
	structs, err := readSMBIOS(env)
	if err != nil {
		return nil, err
	}
	return memoriesFromSMBIOS(structs), nil
}

// readSMBIOS reads and parses the host's SMBIOS table, once for the run's
// collectors (memory, batteries, power supplies), which only read it.
func readSMBIOS(env *Env) ([]smbiosStruct, error) {
	return shared(env, "smbios", func() ([]smbiosStruct, error) {
		b, err := env.ReadFile(dmiTable)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, NoData("no SMBIOS table")
		case errors.Is(err, fs.ErrPermission):
			return nil, NoData("SMBIOS table needs root")
		case err != nil:
			return nil, fmt.Errorf("read smbios table: %w", err)
		}
		return parseSMBIOS(b)
	})
}
