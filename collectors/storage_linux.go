package collectors

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
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
		// The maker is one the official agent recognises in the model, or
		// none ("KINGSTON SA400S37240G"): GLPI keys hard disk models on the
		// maker when one is sent, and one the official agent never sent
		// would file the disk under a model of its own.
		d.Manufacturer = officialMaker(d.Model)
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
	d.Interface = linuxDiskInterface(diskInterface(name, devpath, udev["ID_BUS"]), vendor, d.Type)
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

// linuxDiskDescription is the description the official agent gives a
// Linux block device (Linux/Storages.pm): from the bus its sysfs device
// belongs to, in upper case ("SCSI", "VIRTIO", "PCI", "MMC"), then "SATA"
// or "SCSI" for sd disks as their vendor or serial names ATA, "SCSI" for
// SCSI generic devices, "Virtual" for virtio disks, "IDE" without a bus.
// A cdrom drive is named by it in GLPI, and a hard disk model is keyed on
// it: the same words land on the same records.
func linuxDiskDescription(name, bus, vendor, serial string) string {
	switch {
	case strings.Contains(strings.ToLower(bus), "usb"):
		return "USB"
	case strings.HasPrefix(name, "sd"):
		if strings.Contains(vendor, "ATA") || strings.Contains(serial, "ATA") || strings.Contains(bus, "ATA") {
			return "SATA"
		}
		return "SCSI"
	case strings.HasPrefix(name, "sg"):
		return "SCSI"
	case strings.HasPrefix(name, "vd"), strings.Contains(bus, "VIRTIO"):
		return "Virtual"
	case bus != "":
		return bus
	}
	return "IDE"
}

// linuxDiskInterface is the interface the official agent sends for a Linux
// disk, given the bus diskInterface tells and the disk's vendor field:
// NVME for NVMe disks, and what `hdparm -I` reports, which answers for ATA
// disks only (SATA, wherever they are attached). GLPI keys hard disk
// models on the interface when one is sent, so an interface the official
// agent never sends (virtio, SCSI, USB, MMC) would make a model of its own.
func linuxDiskInterface(iface, vendor, typ string) string {
	if vendor == "ATA" {
		iface = "SATA"
	}
	switch {
	case iface == "NVME":
		return iface
	case iface == "SATA" && typ == "disk":
		return iface
	}
	return ""
}

// partitionTableID returns the identifier fdisk prints for the partition
// table at the start of a disk ("Disk identifier"), which the official
// agent sends as the serial number of a disk without one (virtual disks,
// most often): a GPT disk's GUID in upper case, an MBR disk's signature as
// eight hexadecimal digits. head holds the disk's first bytes, at least
// two logical sectors of sectorSize bytes for GPT.
func partitionTableID(head []byte, sectorSize int) string {
	if len(head) < 512 || head[510] != 0x55 || head[511] != 0xAA {
		return ""
	}
	for i := range 4 {
		if head[446+16*i+4] != 0xEE {
			continue
		}
		// A protective MBR: the GPT header follows in the next sector.
		if sectorSize < 512 || len(head) < 2*sectorSize {
			return ""
		}
		h := head[sectorSize : 2*sectorSize]
		size := int(binary.LittleEndian.Uint32(h[12:]))
		if string(h[:8]) != "EFI PART" || size < 92 || size > len(h) {
			return ""
		}
		hdr := slices.Clone(h[:size])
		clear(hdr[16:20])
		if crc32.ChecksumIEEE(hdr) != binary.LittleEndian.Uint32(h[16:]) {
			return ""
		}
		g := h[56:72]
		return fmt.Sprintf("%08X-%04X-%04X-%X-%X", binary.LittleEndian.Uint32(g), binary.LittleEndian.Uint16(g[4:]),
			binary.LittleEndian.Uint16(g[6:]), g[8:10], g[10:16])
	}
	return fmt.Sprintf("%08x", binary.LittleEndian.Uint32(head[440:]))
}

// lvmPVUUID returns the UUID of the LVM physical volume whose label is in
// head, a disk's first 2,048 bytes, formatted as `pvdisplay` prints it:
// the official agent's serial for a disk that is a physical volume
// without a partition table.
func lvmPVUUID(head []byte) string {
	for s := 0; s+512 <= len(head) && s < 4*512; s += 512 {
		label := head[s : s+512]
		if string(label[:8]) != "LABELONE" || string(label[24:32]) != "LVM2 001" {
			continue
		}
		off := int(binary.LittleEndian.Uint32(label[20:]))
		if off < 32 || off+32 > len(label) {
			return ""
		}
		id := label[off : off+32]
		for _, c := range id {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '!' || c == '#') {
				return ""
			}
		}
		var b strings.Builder
		for i, n := range []int{6, 4, 4, 4, 4, 4, 6} {
			if i > 0 {
				b.WriteByte('-')
			}
			b.Write(id[:n])
			id = id[n:]
		}
		return b.String()
	}
	return ""
}

// sysfsValue cleans a sysfs attribute as the official agent reads it: the
// non-word characters around a value of words and spaces dropped
// ("Generic-" is "Generic"), white space trimmed and folded.
func sysfsValue(s string) string {
	s = strings.TrimSpace(s)
	other := func(r rune) bool { return !isWordRune(r) && !unicode.IsSpace(r) }
	inner := strings.TrimFunc(s, other)
	if inner != "" && strings.IndexFunc(inner, other) < 0 {
		s = inner
	}
	return strings.Join(strings.Fields(s), " ")
}

// udevDecode decodes a udev "_ENC" property, whose unsafe bytes are
// escaped as \xNN ("Samsung\x20SSD\x20860\x20EVO"), trimmed.
func udevDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if n, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return strings.TrimSpace(b.String())
}
