package collectors

import (
	"cmp"
	"context"
	"os"
	"path"
	"strconv"
)

func init() { Register("storage", "storages", true, collectStorages) }

func collectStorages(ctx context.Context, env *Env) (any, error) {
	var disks []Storage
	for _, dir := range env.Glob("/sys/block/*") {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		name := path.Base(dir)
		if virtualBlock.MatchString(name) {
			continue
		}
		disks = append(disks, readDisk(env, dir, name))
	}
	return disks, nil
}

// readDisk describes the block device in sysfs directory dir.
func readDisk(env *Env, dir, name string) Storage {
	dev := dir + "/device"
	udevData, _ := env.ReadFile("/run/udev/data/b" + env.ReadString(dir+"/dev"))
	udev := parseUdevData(string(udevData))
	devpath, _ := os.Readlink(env.Path(dir))

	d := Storage{
		Name:     name,
		Model:    clean(cmp.Or(env.ReadString(dev+"/model"), udev["ID_MODEL"])),
		Firmware: clean(cmp.Or(env.ReadString(dev+"/firmware_rev"), env.ReadString(dev+"/rev"), udev["ID_REVISION"])),
		Type:     "disk",
	}
	sectors, _ := strconv.ParseUint(env.ReadString(dir+"/size"), 10, 64)
	d.DiskSize = diskSizeMB(name, sectors)
	d.Serial = clean(cmp.Or(env.ReadString(dev+"/serial"), env.ReadString(dir+"/serial"), udev["ID_SERIAL_SHORT"]))
	if d.Serial == "" {
		page, _ := env.ReadFile(dev + "/vpd_pg80")
		d.Serial = scsiSerial(page)
	}
	d.Manufacturer = diskManufacturer(cmp.Or(env.ReadString(dev+"/vendor"), udev["ID_VENDOR"]), d.Model)
	d.Interface = diskInterface(name, devpath, udev["ID_BUS"])
	d.Description = diskDescription(d.Interface)
	d.WWN = cmp.Or(diskWWN(env.ReadString(dev+"/wwid")), diskWWN(env.ReadString(dir+"/wwid")), udev["ID_WWN"])
	// SCSI peripheral type 5 is a CD/DVD drive.
	if env.ReadString(dev+"/type") == "5" || udev["ID_CDROM"] == "1" {
		d.Type = "cdrom"
	}
	return d
}
