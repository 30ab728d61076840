package collectors

import (
	"bufio"
	"strings"
)

// Storage is one disk or optical drive of the storages section.
type Storage struct {
	Description  string `json:"description,omitempty"`
	DiskSize     int    `json:"disksize,omitempty"`
	Firmware     string `json:"firmware,omitempty"`
	Interface    string `json:"interface,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Model        string `json:"model,omitempty"`
	Name         string `json:"name,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Type         string `json:"type,omitempty"`
	WWN          string `json:"wwn,omitempty"`
	// The SCSI address Windows gives every disk: port (controller), target
	// id (unit) and logical unit number.
	SCSICoID string `json:"scsi_coid,omitempty"`
	SCSIUnID string `json:"scsi_unid,omitempty"`
	SCSILun  string `json:"scsi_lun,omitempty"`
}

// virtualBlock matches block devices that are no drive: loop, RAM and
// compressed RAM disks, device-mapper and md arrays, network block devices.
var virtualBlock = lazyRE(`^(loop|ram|zram|dm-|md|nbd|drbd|rbd|fd)\d`)

// srNoMedium is the capacity, in 512-byte sectors, that the Linux sr driver
// sets when it cannot read a disc's: an empty CD/DVD drive shows it.
const srNoMedium = 0x1fffff

// diskSizeMB converts the size of block device name, in 512-byte sectors as
// sysfs gives it, to MB (10^6 bytes). An empty CD/DVD drive has no size.
func diskSizeMB(name string, sectors uint64) int {
	if strings.HasPrefix(name, "sr") && sectors == srNoMedium {
		return 0
	}
	return int(sectors * 512 / 1_000_000)
}

// diskInterface tells the bus of a block device from its sysfs device path
// (the target of /sys/block/<name>), else from its name, else from udev's
// ID_BUS, in upper case as GLPI's agent sends it.
func diskInterface(name, devpath, udevBus string) string {
	switch {
	case strings.Contains(devpath, "/usb"):
		return "USB"
	case strings.Contains(devpath, "/nvme"), strings.HasPrefix(name, "nvme"):
		return "NVME"
	case strings.Contains(devpath, "/virtio"), strings.HasPrefix(name, "vd"):
		return "VIRTIO"
	case strings.Contains(devpath, "/ata"):
		return "SATA"
	case strings.Contains(devpath, "/mmc"), strings.HasPrefix(name, "mmcblk"):
		return "MMC"
	case strings.HasPrefix(name, "xvd"):
		return "XEN"
	case strings.Contains(devpath, "/host"):
		return "SCSI"
	case udevBus == "ata":
		return "SATA"
	}
	return strings.ToUpper(udevBus)
}

// diskDescription is the short description GLPI's agent gives a drive: its
// attachment, "PCI" for NVMe and virtio disks.
func diskDescription(iface string) string {
	if iface == "NVME" || iface == "VIRTIO" {
		return "PCI"
	}
	return iface
}

// diskVendors finds a drive maker in its model string, where ATA and NVMe
// drives keep it (their vendor field is "ATA" or absent).
var diskVendors = []struct {
	re   *lazyRegexp
	name string
}{
	{lazyRE(`(?i)^(WDC|WD[A-Z\d]|Western Digital)`), "Western Digital"},
	{lazyRE(`(?i)^(ST\d|Seagate)`), "Seagate"},
	{lazyRE(`(?i)\bSamsung\b|^MZ[-\dA-Z]`), "Samsung"},
	{lazyRE(`(?i)^(HGST|HUS|HDS|HTS)`), "HGST"},
	{lazyRE(`(?i)^Hitachi`), "Hitachi"},
	{lazyRE(`(?i)^(TOSHIBA|KIOXIA)`), "Toshiba"},
	{lazyRE(`(?i)^(INTEL|SSDPE)`), "Intel"},
	{lazyRE(`(?i)^KINGSTON`), "Kingston"},
	{lazyRE(`(?i)^(Crucial|CT\d)`), "Crucial"},
	{lazyRE(`(?i)^Micron`), "Micron"},
	{lazyRE(`(?i)^(SanDisk)`), "SanDisk"},
	{lazyRE(`(?i)^(SK ?hynix|HFS)`), "SK Hynix"},
	{lazyRE(`(?i)^(LITEON|LITE-ON)`), "Lite-On"},
	{lazyRE(`(?i)^(ADATA)`), "ADATA"},
	{lazyRE(`(?i)^(Maxtor)`), "Maxtor"},
	{lazyRE(`(?i)^(QEMU)`), "QEMU"},
	{lazyRE(`(?i)^(VBOX)`), "VirtualBox"},
	{lazyRE(`(?i)^(VMware)`), "VMware"},
}

// diskManufacturer returns the drive maker: the vendor field unless it is a
// bus name or a hexadecimal id, else a maker recognised in the model.
func diskManufacturer(vendor, model string) string {
	vendor = clean(vendor)
	switch {
	case vendor != "" && !strings.EqualFold(vendor, "ATA") && !strings.HasPrefix(vendor, "0x"):
		return vendor
	}
	for _, v := range diskVendors {
		if v.re.MatchString(model) {
			return v.name
		}
	}
	return ""
}

// diskWWN returns the World Wide Name of a sysfs wwid ("naa.5000c500a1b2c3d4",
// "eui.0025388b91b2c3d4"), "" for identifiers of another kind.
func diskWWN(wwid string) string {
	for _, p := range []string{"naa.", "eui."} {
		if v, ok := strings.CutPrefix(wwid, p); ok {
			return "0x" + strings.ToLower(v)
		}
	}
	return ""
}

// parseUdevData reads the E: properties of a udev database entry.
func parseUdevData(s string) map[string]string {
	props := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if kv, ok := strings.CutPrefix(sc.Text(), "E:"); ok {
			if k, v, ok := strings.Cut(kv, "="); ok {
				props[k] = v
			}
		}
	}
	return props
}

// scsiSerial decodes a SCSI unit serial number VPD page (0x80): a four-byte
// header whose last byte is the length, then the serial in ASCII.
func scsiSerial(page []byte) string {
	if len(page) < 4 || page[1] != 0x80 {
		return ""
	}
	n := min(int(page[3]), len(page)-4)
	return clean(string(page[4 : 4+n]))
}
