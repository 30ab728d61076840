package collectors

import (
	"context"
	"os"
)

func init() { Register("bios", "bios", true, collectBIOS) }

const dmiID = "/sys/class/dmi/id/"

// secureBootVar is the EFI global variable holding the secure boot state.
const secureBootVar = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

func collectBIOS(ctx context.Context, env *Env) (any, error) {
	dmi := func(name string) string { return clean(env.ReadString(dmiID + name)) }
	b := &BIOS{
		BManufacturer:   dmi("bios_vendor"),
		BVersion:        dmi("bios_version"),
		BDate:           biosDate(env.ReadString(dmiID + "bios_date")),
		SManufacturer:   dmi("sys_vendor"),
		SModel:          dmi("product_name"),
		SSN:             dmi("product_serial"),
		SKUNumber:       dmi("product_sku"),
		MManufacturer:   dmi("board_vendor"),
		MModel:          dmi("board_name"),
		MSN:             dmi("board_serial"),
		AssetTag:        dmi("chassis_asset_tag"),
		EnclosureSerial: dmi("chassis_serial"),
	}
	if b.AssetTag == "" {
		b.AssetTag = dmi("board_asset_tag")
	}
	fixLenovoModel(b, dmi("product_version"))
	dmiless := *b == BIOS{}
	b.SecureBoot = secureBoot(env)
	if dmiless && b.SecureBoot == "" {
		return nil, NoData("no DMI in %s", env.Path(dmiID))
	}
	return b, nil
}

// secureBoot reads the secure boot state from efivarfs: "unsupported" when
// the firmware is not EFI, "" when the state cannot be read.
func secureBoot(env *Env) string {
	if _, err := os.Stat(env.Path("/sys/firmware")); err != nil {
		return ""
	}
	if _, err := os.Stat(env.Path("/sys/firmware/efi")); os.IsNotExist(err) {
		return "unsupported"
	}
	v, err := env.ReadFile(secureBootVar)
	if err != nil {
		return ""
	}
	return secureBootState(v)
}
