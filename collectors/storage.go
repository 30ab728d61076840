package collectors

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
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
var virtualBlock = regexp.MustCompile(`^(loop|ram|zram|dm-|md|nbd|drbd|rbd|fd)\d`)

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
	re   *regexp.Regexp
	name string
}{
	{regexp.MustCompile(`(?i)^(WDC|WD[A-Z\d]|Western Digital)`), "Western Digital"},
	{regexp.MustCompile(`(?i)^(ST\d|Seagate)`), "Seagate"},
	{regexp.MustCompile(`(?i)\bSamsung\b|^MZ[-\dA-Z]`), "Samsung"},
	{regexp.MustCompile(`(?i)^(HGST|HUS|HDS|HTS)`), "HGST"},
	{regexp.MustCompile(`(?i)^Hitachi`), "Hitachi"},
	{regexp.MustCompile(`(?i)^(TOSHIBA|KIOXIA)`), "Toshiba"},
	{regexp.MustCompile(`(?i)^(INTEL|SSDPE)`), "Intel"},
	{regexp.MustCompile(`(?i)^KINGSTON`), "Kingston"},
	{regexp.MustCompile(`(?i)^(Crucial|CT\d)`), "Crucial"},
	{regexp.MustCompile(`(?i)^Micron`), "Micron"},
	{regexp.MustCompile(`(?i)^(SanDisk)`), "SanDisk"},
	{regexp.MustCompile(`(?i)^(SK ?hynix|HFS)`), "SK Hynix"},
	{regexp.MustCompile(`(?i)^(LITEON|LITE-ON)`), "Lite-On"},
	{regexp.MustCompile(`(?i)^(ADATA)`), "ADATA"},
	{regexp.MustCompile(`(?i)^(Maxtor)`), "Maxtor"},
	{regexp.MustCompile(`(?i)^(QEMU)`), "QEMU"},
	{regexp.MustCompile(`(?i)^(VBOX)`), "VirtualBox"},
	{regexp.MustCompile(`(?i)^(VMware)`), "VMware"},
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
// disk: NVME for NVMe disks, and what `hdparm -I` reports, which answers
// for ATA disks only (SATA). GLPI keys hard disk models on the interface
// when one is sent, so an interface the official agent never sends
// (virtio, SCSI, USB, MMC) would make a model of its own.
func linuxDiskInterface(iface, typ string) string {
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

// officialMakerWords and officialMakerPrefixes are the makers the official
// agent recognises in a disk's model (GLPI::Agent::Tools'
// getCanonicalManufacturer): a word anywhere, capitalised ("Samsung",
// "Toshiba", "Intel", "Lg"), else a prefix.
var (
	officialMakerWords    = regexp.MustCompile(`(?i)(\blg\b|broadcom|compaq|dell|fujitsu|hitachi|ibm|intel|matshita|maxtor|nvidia|\bnec\b|pioneer|samsung|sony|supermicro|toshiba|transcend)`)
	officialMakerPrefixes = []struct {
		re   *regexp.Regexp
		name string
	}{
		{regexp.MustCompile(`(?i)^APPLE`), "Apple"},
		{regexp.MustCompile(`^(hp|HPE?|(?i)hewlett[ -]packard)`), "Hewlett-Packard"},
		{regexp.MustCompile(`^(HD|IC|HU|HGST)`), "Hitachi"},
		{regexp.MustCompile(`^(ST|(?i)seagate)`), "Seagate"},
		{regexp.MustCompile(`(?i)^OPTIARC`), "Sony"},
		{regexp.MustCompile(`^(WDC?|(?i)western)`), "Western Digital"},
	}
)

// officialDiskMaker returns the maker the official agent names in a Linux
// disk's model, or "". It names the maker of an ATA or NVMe disk, whose
// vendor field says nothing, this way only: a maker it does not recognise
// ("KINGSTON SA400S37240G") is left out rather than guessed, since GLPI
// keys hard disk models on the maker when one is sent, and one the
// official agent never sent would file the disk under a model of its own.
func officialDiskMaker(model string) string {
	if m := officialMakerWords.FindStringSubmatch(model); m != nil {
		w := strings.ToLower(m[1])
		return strings.ToUpper(w[:1]) + w[1:]
	}
	for _, p := range officialMakerPrefixes {
		if p.re.MatchString(model) {
			return p.name
		}
	}
	return ""
}

// sysfsValue cleans a sysfs attribute as the official agent reads it: the
// non-word characters around a value of words and spaces dropped
// ("Generic-" is "Generic"), white space trimmed and folded.
func sysfsValue(s string) string {
	s = strings.TrimSpace(s)
	inner := strings.TrimFunc(s, func(r rune) bool { return !isWordRune(r) && !unicode.IsSpace(r) })
	if inner != "" && strings.IndexFunc(inner, func(r rune) bool { return !isWordRune(r) && !unicode.IsSpace(r) }) < 0 {
		s = inner
	}
	return strings.Join(strings.Fields(s), " ")
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

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
