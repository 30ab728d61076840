package collectors

import (
	"cmp"
	"context"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
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

// readDisk describes the block device in sysfs directory dir, with the
// official agent's values for the fields GLPI keys hard disks and their
// links on (model, manufacturer, interface; serial).
func readDisk(env *Env, dir, name string) Storage {
	dev := dir + "/device"
	udevData, _ := env.ReadFile("/run/udev/data/b" + env.ReadString(dir+"/dev"))
	udev := parseUdevData(string(udevData))
	devpath, _ := os.Readlink(env.Path(dir))

	// The official agent reads the vendor from sysfs alone.
	vendor := sysfsValue(env.ReadString(dev + "/vendor"))
	d := Storage{
		Name:     name,
		Model:    clean(cmp.Or(sysfsValue(env.ReadString(dev+"/model")), udev["ID_MODEL"])),
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
	switch id, hex := strings.CutPrefix(strings.ToLower(vendor), "0x"); {
	case vendor == "ATA" || vendor == "":
		// An ATA disk's vendor field says ATA, and sysfs truncates its
		// model to the 16 characters of a SCSI product name; the official
		// agent takes the whole one from hdparm (the drive's identify
		// data), which udev keeps too. An NVMe disk has no vendor field.
		if vendor == "ATA" {
			d.Model = cmp.Or(clean(udevDecode(udev["ID_MODEL_ENC"])), d.Model)
		}
		d.Manufacturer = officialDiskMaker(d.Model)
	case hex:
		// virtio disks give the PCI vendor id of virtio devices.
		d.Manufacturer = pciVendorName(env, hexID(id))
	default:
		d.Manufacturer = clean(vendor)
	}
	// SCSI peripheral type 5 is a CD/DVD drive.
	if env.ReadString(dev+"/type") == "5" || udev["ID_CDROM"] == "1" {
		d.Type = "cdrom"
	}
	iface := diskInterface(name, devpath, udev["ID_BUS"])
	if vendor == "ATA" {
		iface = "SATA" // what hdparm answers for it
	}
	d.Interface = linuxDiskInterface(iface, d.Type)
	d.Description = linuxDiskDescription(name, sysBus(env, dev), vendor, d.Serial)
	d.WWN = cmp.Or(diskWWN(env.ReadString(dev+"/wwid")), diskWWN(env.ReadString(dir+"/wwid")), udev["ID_WWN"])
	if d.Serial == "" && d.Type == "disk" && !(d.DiskSize == 0 && env.ReadString(dir+"/removable") == "1") {
		d.Serial = diskLabelID(env, name, env.ReadString(dir+"/queue/logical_block_size"))
	}
	return d
}

// sysBus returns, in upper case, the bus of the sysfs device dev ("SCSI",
// "VIRTIO"), or of its parent when dev is a class device (an NVMe
// namespace's controller is on no bus; its PCI function is).
func sysBus(env *Env, dev string) string {
	for _, p := range []string{dev + "/subsystem", dev + "/device/subsystem"} {
		link, err := os.Readlink(env.Path(p))
		if err == nil && path.Base(path.Dir(link)) == "bus" {
			return strings.ToUpper(path.Base(link))
		}
	}
	return ""
}

// diskLabelID reads the start of disk name for the identifier the official
// agent sends as its serial when it has none: its partition table's, else
// its LVM physical volume's. Reading a disk needs root; without it, or on
// any error, the disk has no serial.
func diskLabelID(env *Env, name, sectorSize string) string {
	f, err := os.Open(env.Path("/dev", name))
	if err != nil {
		return ""
	}
	defer f.Close()
	ss, err := strconv.Atoi(sectorSize)
	if err != nil || ss < 512 || ss > 4096 {
		ss = 512
	}
	head := make([]byte, max(2*ss, 4*512)) // GPT's header, or LVM's label in one of the first four sectors
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	return cmp.Or(partitionTableID(head, ss), lvmPVUUID(head))
}

// pciVendorName is pci.ids' name of PCI vendor id ("1af4"): from the run's
// PCI devices' names when one is the vendor's, else looked up.
func pciVendorName(env *Env, id string) string {
	if id == "" {
		return ""
	}
	if name := readPCIHost(env).ids["v"+id]; name != "" {
		return name
	}
	return loadPCIIDs(env, []pciDevice{{Vendor: id}})["v"+id]
}
