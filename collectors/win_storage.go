package collectors

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The drives and storages sections of Windows, built as GLPI's agent builds
// them so that both land on the same GLPI records: drives from the lettered
// volumes (Win32_LogicalDisk) and then the volumes without a letter
// (Win32_Volume: system reserved and recovery partitions, mounted folders);
// storages from the Storage Management API's physical disks on Windows 8
// and later, else from Win32_DiskDrive, then the optical and tape drives.

// driveTypes names Win32_LogicalDisk.DriveType and Win32_Volume.DriveType.
var driveTypes = [...]string{
	0: "Unknown", 1: "No Root Directory", 2: "Removable Disk", 3: "Local Disk",
	4: "Network Drive", 5: "Compact Disc", 6: "RAM Disk",
}

// driveTypeNetwork is the DriveType of a mapped network share.
const driveTypeNetwork = 4

type win32LogicalDisk struct {
	DeviceID, Caption, VolumeName, FileSystem, VolumeSerialNumber string
	Description, ProviderName                                     string
	Size, FreeSpace                                               uint64
	DriveType                                                     uint32
}

type win32Volume struct {
	DeviceID, Name, Caption, DriveLetter, Label, FileSystem, Description string
	Capacity, FreeSpace                                                  uint64
	SerialNumber, DriveType                                              uint32
}

type win32EncryptableVolume struct {
	DeviceID, DriveLetter                                string
	ProtectionStatus, ConversionStatus, EncryptionMethod uint32
}

// bitlockerMethods names Win32_EncryptableVolume.EncryptionMethod.
var bitlockerMethods = [...]string{
	1: "AES_128_WITH_DIFFUSER", 2: "AES_256_WITH_DIFFUSER", 3: "AES_128", 4: "AES_256",
	5: "HARDWARE_ENCRYPTION", 6: "XTS_AES_128", 7: "XTS_AES_256",
}

// bitlockerState fills a drive's encryption fields from its BitLocker
// volume: "Yes" when fully encrypted, "Partially" while converting.
func bitlockerState(d *Drive, v win32EncryptableVolume) {
	d.EncryptName = "BitLocker"
	switch v.ConversionStatus {
	case 0:
		d.EncryptStatus = "No"
		return
	case 1:
		d.EncryptStatus = "Yes"
	default:
		d.EncryptStatus = "Partially"
	}
	d.EncryptAlgo = tableName(bitlockerMethods[:], v.EncryptionMethod)
	d.EncryptType = "software"
	if v.EncryptionMethod == 5 {
		d.EncryptType = "hardware"
	}
}

// networkFilesystem names the file system of a mapped network drive from
// the share it maps (ProviderName), as GLPI's agent does: WebDAV shares go
// through DavWWWRoot, VMware's shared folders through \\vmware-host, and
// everything else but NFS is SMB. Windows itself reports the local drive's
// file system for most shares.
func networkFilesystem(provider, fs string) string {
	switch {
	case provider == "":
		return fs
	case strings.Contains(strings.ToLower(provider), `\davwwwroot\`):
		return "WebDav"
	case strings.HasPrefix(strings.ToLower(provider), `\\vmware-host\`):
		return "HGFS"
	case fs == "NFS":
		return fs
	}
	return "CIFS"
}

// logicalDiskDrive builds the drive entry of a lettered volume.
func logicalDiskDrive(l win32LogicalDisk, systemDrive string) Drive {
	fs := l.FileSystem
	if l.DriveType == driveTypeNetwork {
		fs = networkFilesystem(l.ProviderName, fs)
	}
	letter := cmp.Or(l.DeviceID, l.Caption)
	return Drive{
		Letter:      letter,
		Label:       l.VolumeName,
		Volumn:      l.VolumeName,
		Filesystem:  fs,
		Serial:      l.VolumeSerialNumber,
		Description: l.Description,
		Type:        tableName(driveTypes[:], l.DriveType),
		Total:       int64(l.Size >> 20),
		Free:        int64(l.FreeSpace >> 20),
		SystemDrive: letter != "" && strings.EqualFold(letter, systemDrive),
	}
}

// volumeDrive builds the drive entry of a volume without a letter. Its
// "letter" is its mount folder, or its label when it is mounted nowhere
// (Name is then the volume GUID path); its serial is the hexadecimal
// volume serial, as Win32_LogicalDisk writes it.
func volumeDrive(v win32Volume, systemDrive string) Drive {
	letter := cmp.Or(v.Name, v.Caption)
	if strings.HasPrefix(v.Name, `\\?\Volume`) {
		letter = v.Label
	}
	d := Drive{
		Letter:      letter,
		Label:       v.Label,
		Volumn:      v.Label,
		Filesystem:  v.FileSystem,
		Description: v.Description,
		Type:        tableName(driveTypes[:], v.DriveType),
		Total:       int64(v.Capacity >> 20),
		Free:        int64(v.FreeSpace >> 20),
		SystemDrive: v.DriveLetter != "" && strings.EqualFold(v.DriveLetter, systemDrive),
	}
	if v.SerialNumber != 0 {
		d.Serial = fmt.Sprintf("%08X", v.SerialNumber)
	}
	return d
}

// winDrives builds the drives section: the lettered volumes, then the
// volumes Win32_LogicalDisk does not list, each with its BitLocker state.
func winDrives(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	disks, err := queryWMI[win32LogicalDisk](h.wmi, "Win32_LogicalDisk", "")
	if err != nil {
		return nil, err
	}
	osys, _ := queryFirst[win32OperatingSystem](h.wmi, "Win32_OperatingSystem")
	out := make([]Drive, 0, len(disks))
	// seen indexes the entries by what an encryptable volume names them
	// with: the volume's device id or its letter.
	seen := map[string]int{}
	for _, l := range disks {
		d := logicalDiskDrive(l, osys.SystemDrive)
		seen[strings.ToUpper(d.Letter)] = len(out)
		out = append(out, d)
	}
	// Win32_Volume is absent before Windows Server 2003; without it the
	// lettered volumes are still the section. A query that fails is the
	// collector's error: GLPI would delete the volumes it leaves out.
	vols, err := queryWMI[win32Volume](h.wmi, "Win32_Volume", "")
	if err != nil && !errors.Is(err, errWMINoClass) {
		return nil, err
	}
	for _, v := range vols {
		if _, ok := seen[strings.ToUpper(v.DriveLetter)]; ok && v.DriveLetter != "" {
			continue
		}
		key := cmp.Or(v.DeviceID, v.DriveLetter, v.Caption)
		seen[strings.ToUpper(key)] = len(out)
		out = append(out, volumeDrive(v, osys.SystemDrive))
	}
	// BitLocker is absent from Home editions and servers without the
	// feature; its namespace then does not exist.
	encs, _ := queryWMI[win32EncryptableVolume](h.wmi, `root\CIMV2\Security\MicrosoftVolumeEncryption:Win32_EncryptableVolume`, "")
	for _, e := range encs {
		i, ok := seen[strings.ToUpper(e.DeviceID)]
		if !ok || e.DeviceID == "" {
			i, ok = seen[strings.ToUpper(e.DriveLetter)]
		}
		if ok && (e.DeviceID != "" || e.DriveLetter != "") {
			bitlockerState(&out[i], e)
		}
	}
	return out, nil
}

type win32DiskDrive struct {
	Model, Caption, SerialNumber, InterfaceType, MediaType, FirmwareRevision string
	Manufacturer, Name, PNPDeviceID, Description                             string
	Size                                                                     uint64
	SCSIPort, SCSITargetId, SCSILogicalUnit                                  uint16
}

type msftPhysicalDisk struct {
	DeviceId, FriendlyName, Model, Description, PhysicalLocation string
	SerialNumber, AdapterSerialNumber, FirmwareVersion           string
	Manufacturer                                                 string
	Size                                                         uint64
	BusType, MediaType                                           uint16
}

// storageBusTypes names MSFT_PhysicalDisk.BusType.
var storageBusTypes = map[uint16]string{
	0: "UNKNOWN", 1: "SCSI", 2: "ATAPI", 3: "ATA", 4: "IEEE 1394", 5: "SSA",
	6: "Fibre Channel", 7: "USB", 8: "RAID", 9: "iSCSI", 10: "SAS", 11: "SATA",
	12: "SD", 13: "MMC", 15: "File-Backed Virtual", 16: "Storage Spaces", 17: "NVMe",
}

// busNVMe is the MSFT_PhysicalDisk.BusType of NVMe disks.
const busNVMe = 17

// storageMediaTypes names MSFT_PhysicalDisk.MediaType.
var storageMediaTypes = map[uint16]string{0: "UNKNOWN", 3: "HDD", 4: "SSD", 5: "SCM"}

const classPhysicalDisk = `root\Microsoft\Windows\Storage:MSFT_PhysicalDisk`

// vboxSerial matches the serial VirtualBox's ATA disks report: the ATA
// identify words in hexadecimal.
var vboxSerial = lazyRE(`^[0-9a-f]+$`)

// decodeATASerial decodes a serial that Windows passes as the hexadecimal
// ATA identify words (VirtualBox disks): each word holds two characters,
// the second first, padded with spaces. Other serials are returned as is.
func decodeATASerial(s string) string {
	if !vboxSerial.MatchString(s) || len(s)%4 != 0 {
		return s
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return s
	}
	for i := 0; i+1 < len(b); i += 2 {
		b[i], b[i+1] = b[i+1], b[i]
	}
	return strings.TrimRight(string(b), " ")
}

// diskSerial is the serial of a disk: Windows' value trimmed, decoded for
// VirtualBox's ATA disks, nothing when it is blank.
func diskSerial(serial, model string) string {
	s := strings.TrimSpace(serial)
	if strings.Contains(model, "VBOX HARDDISK ATA") {
		s = decodeATASerial(s)
	}
	return clean(s)
}

// nvmeAdapterSerial extracts the controller serial number of an NVMe disk
// from MSFT_PhysicalDisk.AdapterSerialNumber ("FJ68N0123456789   _0000":
// the padded serial, then the namespace). For NVMe disks, SerialNumber is
// the namespace's EUI-64 ("ACE4_2E61_9000_7804.") and the controller serial
// is the one the maker prints on the label.
func nvmeAdapterSerial(s string) string {
	if i := strings.LastIndexByte(s, '_'); i >= 0 {
		if _, err := strconv.ParseUint(s[i+1:], 10, 64); err == nil {
			s = s[:i]
		}
	}
	return clean(s)
}

// physicalDiskStorage builds a storages entry from an MSFT_PhysicalDisk.
func physicalDiskStorage(d msftPhysicalDisk) Storage {
	s := Storage{
		Name:         "PhysicalDisk" + cmp.Or(d.DeviceId, "0"),
		Model:        strings.TrimSpace(cmp.Or(d.Model, d.FriendlyName)),
		Description:  cmp.Or(d.Description, d.PhysicalLocation),
		Manufacturer: strings.TrimSpace(d.Manufacturer),
		Firmware:     strings.TrimSpace(d.FirmwareVersion),
		Type:         cmp.Or(storageMediaTypes[d.MediaType], strconv.Itoa(int(d.MediaType))),
		Interface:    strings.ToUpper(cmp.Or(storageBusTypes[d.BusType], storageBusTypes[0])),
		DiskSize:     int(d.Size / 1_000_000),
	}
	s.Serial = diskSerial(d.SerialNumber, s.Model)
	if d.BusType == busNVMe {
		s.Serial = cmp.Or(nvmeAdapterSerial(d.AdapterSerialNumber), s.Serial)
	}
	if strings.Contains(s.Model, "VBOX") {
		s.Description = cmp.Or(s.Description, "Virtual device")
		if s.Type == storageMediaTypes[0] {
			s.Type = "Virtual"
		}
	}
	return s
}

// diskDriveStorage builds a storages entry from a Win32_DiskDrive, a
// Win32_CDROMDrive or a Win32_TapeDrive; scsi tells whether the class has
// the SCSI address properties.
func diskDriveStorage(d win32DiskDrive, scsi bool) Storage {
	s := Storage{
		Name:         d.Name,
		Model:        strings.TrimSpace(cmp.Or(d.Model, d.Caption)),
		Description:  d.Description,
		Manufacturer: strings.TrimSpace(d.Manufacturer),
		Firmware:     strings.TrimSpace(d.FirmwareRevision),
		Interface:    strings.ToUpper(d.InterfaceType),
		Type:         d.MediaType,
		DiskSize:     int(d.Size / 1_000_000),
	}
	s.Serial = diskSerial(d.SerialNumber, s.Model)
	if scsi {
		s.SCSICoID = strconv.Itoa(int(d.SCSIPort))
		s.SCSIUnID = strconv.Itoa(int(d.SCSITargetId))
		s.SCSILun = strconv.Itoa(int(d.SCSILogicalUnit))
	}
	return s
}

// winStorages builds the storages section: the physical disks of the
// Storage Management API (Windows 8 and later), which also lists the disks
// of storage pools, else the disk drives; then the optical and tape drives.
func winStorages(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	var out []Storage
	pds, err := queryWMI[msftPhysicalDisk](h.wmi, classPhysicalDisk, "")
	if err == nil {
		for _, d := range pds {
			out = append(out, physicalDiskStorage(d))
		}
	}
	if len(out) == 0 {
		disks, err := queryWMI[win32DiskDrive](h.wmi, "Win32_DiskDrive", "")
		if err != nil {
			return nil, err
		}
		for _, d := range disks {
			out = append(out, diskDriveStorage(d, true))
		}
	}
	// Optical and tape drives: a class Windows lacks has none, a query
	// that fails is the collector's error, as GLPI would delete them.
	for _, class := range []string{"Win32_CDROMDrive", "Win32_TapeDrive"} {
		drives, err := queryWMI[win32DiskDrive](h.wmi, class, "")
		if err != nil && !errors.Is(err, errWMINoClass) {
			return nil, err
		}
		for _, d := range drives {
			out = append(out, diskDriveStorage(d, class == "Win32_CDROMDrive"))
		}
	}
	return out, nil
}
