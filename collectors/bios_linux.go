package collectors

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"github.com/jaypipes/ghw"
)

func init() { Register("bios", "bios", true, collectBIOS) }

// dmiID is the sysfs directory ghw reads DMI from.
const dmiID = "/sys/class/dmi/id/"

// secureBootVar is the EFI global variable holding the secure boot state.
const secureBootVar = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

func collectBIOS(ctx context.Context, env *Env) (any, error) {
	d := runDMI(ctx, env)
	b := &BIOS{
		BManufacturer:   clean(d.biosVendor),
		BVersion:        clean(d.biosVersion),
		BDate:           biosDate(d.biosDate),
		SManufacturer:   clean(d.sysVendor),
		SModel:          clean(d.productName),
		SSN:             officialSSN(d.productSerial, d.chassisSerial, d.boardSerial, clean(d.boardName), d.productUUID),
		SKUNumber:       clean(d.productSKU),
		MManufacturer:   clean(d.boardVendor),
		MModel:          clean(d.boardName),
		MSN:             clean(d.boardSerial),
		AssetTag:        clean(d.chassisAssetTag),
		EnclosureSerial: clean(d.chassisSerial),
	}
	if b.AssetTag == "" {
		b.AssetTag = clean(d.boardAssetTag)
	}
	fixLenovoModel(b, clean(d.productVersion))
	dmiless := *b == BIOS{}
	b.SecureBoot = secureBoot(env)
	if dmiless && b.SecureBoot == "" {
		return nil, NoData("no DMI in %s", env.Path(dmiID))
	}
	return b, nil
}

// dmi is the host's identity as the firmware gives it: the DMI files of
// sysfs or, on a board without DMI (ARM with a device tree), the device
// tree's model, vendor and serial number. Values are raw; "" when absent.
type dmi struct {
	biosVendor, biosVersion, biosDate                                              string
	sysVendor, productName, productVersion, productSerial, productSKU, productUUID string
	boardVendor, boardName, boardSerial, boardAssetTag                             string
	chassisType, chassisSerial, chassisAssetTag                                    string
}

// runDMI is readDMI once per run: the bios and hardware collectors share
// it.
func runDMI(ctx context.Context, env *Env) dmi {
	d, _ := shared(env, "dmi", func() (dmi, error) { return readDMI(ctx, env), nil })
	return d
}

// readDMI reads the host's DMI through ghw, under the Env's root and
// without running tools. ghw's warnings about files a host does not have
// (every one of them on a VM without DMI) go to the Env's logger at Debug.
func readDMI(ctx context.Context, env *Env) dmi {
	opts := []any{ctx, ghw.WithChroot(env.root()), ghw.WithDisableTools(),
		ghw.WithLogger(slog.New(debugHandler{env.Log().Handler()}))}
	var d dmi
	if i, err := ghw.BIOS(opts...); err == nil {
		d.biosVendor, d.biosVersion, d.biosDate = dmiValue(i.Vendor), dmiValue(i.Version), dmiValue(i.Date)
	} else {
		env.Log().Debug("no BIOS information", "err", err)
	}
	if i, err := ghw.Product(opts...); err == nil {
		d.sysVendor, d.productName, d.productVersion = dmiValue(i.Vendor), dmiValue(i.Name), dmiValue(i.Version)
		d.productSerial, d.productSKU, d.productUUID = dmiValue(i.SerialNumber), dmiValue(i.SKU), dmiValue(i.UUID)
	} else {
		env.Log().Debug("no product information", "err", err)
	}
	if i, err := ghw.Baseboard(opts...); err == nil {
		d.boardVendor, d.boardName = dmiValue(i.Vendor), dmiValue(i.Product)
		d.boardSerial, d.boardAssetTag = dmiValue(i.SerialNumber), dmiValue(i.AssetTag)
	} else {
		env.Log().Debug("no baseboard information", "err", err)
	}
	if i, err := ghw.Chassis(opts...); err == nil {
		d.chassisType, d.chassisSerial, d.chassisAssetTag = dmiValue(i.Type), dmiValue(i.SerialNumber), dmiValue(i.AssetTag)
	} else {
		env.Log().Debug("no chassis information", "err", err)
	}
	return d
}

// dmiValue returns a value read by ghw trimmed as Env.ReadString trims
// files, and "" for ghw's "unknown", which stands for a file it could not
// read.
func dmiValue(s string) string {
	if s == "unknown" {
		return ""
	}
	return strings.Trim(s, " \t\r\n\x00")
}

// debugHandler hands a library's records on at Debug level.
type debugHandler struct{ h slog.Handler }

func (d debugHandler) Enabled(ctx context.Context, _ slog.Level) bool {
	return d.h.Enabled(ctx, slog.LevelDebug)
}

func (d debugHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelDebug
	return d.h.Handle(ctx, r)
}

func (d debugHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return debugHandler{d.h.WithAttrs(attrs)}
}

func (d debugHandler) WithGroup(name string) slog.Handler { return debugHandler{d.h.WithGroup(name)} }

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
