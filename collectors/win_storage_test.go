package collectors

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// wmiDir writes WMI fixtures, class name to JSON instances, into a fresh
// directory and returns a source reading them.
func wmiDir(t *testing.T, classes map[string]string) wmiFixture {
	t.Helper()
	dir := t.TempDir()
	for class, body := range classes {
		if err := os.WriteFile(filepath.Join(dir, class+".json"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return wmiFixture{dir: dir}
}

// failingWMI fails every query with err.
type failingWMI struct{ err error }

func (f failingWMI) Query(_, _ string, _ any) error { return f.err }

func TestNetworkFilesystem(t *testing.T) {
	for _, tc := range []struct{ provider, fs, want string }{
		{`\\files\public`, "NTFS", "CIFS"},
		{`\\files\public`, "", "CIFS"},
		{`\\nas\export`, "NFS", "NFS"},
		{`\\dav.example.org@SSL\DavWWWRoot\team`, "NTFS", "WebDav"},
		{`\\vmware-host\Shared Folders`, "HGFS", "HGFS"},
		{"", "NTFS", "NTFS"},
	} {
		if got := networkFilesystem(tc.provider, tc.fs); got != tc.want {
			t.Errorf("networkFilesystem(%q, %q) = %q, want %q", tc.provider, tc.fs, got, tc.want)
		}
	}
}

func TestWinDrives(t *testing.T) {
	w := wmiDir(t, map[string]string{
		"Win32_OperatingSystem": `[{"SystemDrive": "C:"}]`,
		"Win32_LogicalDisk": `[
			{"DeviceID": "C:", "DriveType": 3, "FileSystem": "NTFS", "VolumeName": "OS", "Description": "Local Fixed Disk",
			 "Size": "107374182400", "FreeSpace": "53687091200", "VolumeSerialNumber": "1A2B3C4D"},
			{"DeviceID": "E:", "DriveType": 5, "Description": "CD-ROM Disc"},
			{"DeviceID": "S:", "DriveType": 4, "FileSystem": "NTFS", "VolumeName": "team", "ProviderName": "\\\\srv\\team"}
		]`,
		"Win32_Volume": `[
			{"DeviceID": "\\\\?\\Volume{1}\\", "Name": "C:\\", "DriveLetter": "C:", "DriveType": 3, "Label": "OS"},
			{"DeviceID": "\\\\?\\Volume{2}\\", "Name": "\\\\?\\Volume{2}\\", "DriveType": 3, "FileSystem": "FAT32",
			 "Label": "SYSTEM", "Capacity": "104857600", "FreeSpace": "52428800", "SerialNumber": 4294967295},
			{"DeviceID": "\\\\?\\Volume{3}\\", "Name": "C:\\Data\\", "DriveType": 3, "FileSystem": "NTFS",
			 "Label": "Data", "SerialNumber": 305419896}
		]`,
		"Win32_EncryptableVolume": `[
			{"DeviceID": "\\\\?\\Volume{1}\\", "DriveLetter": "C:", "ConversionStatus": 1, "EncryptionMethod": 6},
			{"DeviceID": "\\\\?\\Volume{3}\\", "ConversionStatus": 0}
		]`,
	})
	got, err := collectWin[[]Drive](t, winDrives, winHost{wmi: w})
	if err != nil {
		t.Fatal(err)
	}
	want := []Drive{
		{Letter: "C:", Label: "OS", Volumn: "OS", Filesystem: "NTFS", Serial: "1A2B3C4D", Description: "Local Fixed Disk",
			Type: "Local Disk", Total: 102400, Free: 51200, SystemDrive: true,
			EncryptName: "BitLocker", EncryptStatus: "Yes", EncryptAlgo: "XTS_AES_128", EncryptType: "software"},
		{Letter: "E:", Description: "CD-ROM Disc", Type: "Compact Disc"},
		{Letter: "S:", Label: "team", Volumn: "team", Filesystem: "CIFS", Type: "Network Drive"},
		{Letter: "SYSTEM", Label: "SYSTEM", Volumn: "SYSTEM", Filesystem: "FAT32", Serial: "FFFFFFFF",
			Type: "Local Disk", Total: 100, Free: 50},
		{Letter: `C:\Data\`, Label: "Data", Volumn: "Data", Filesystem: "NTFS", Serial: "12345678", Type: "Local Disk",
			EncryptName: "BitLocker", EncryptStatus: "No"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("winDrives =\n%+v\nwant\n%+v", got, want)
	}
}

func TestWinDrivesFails(t *testing.T) {
	wmiErr := errors.New("access denied")
	if _, err := collectWin[[]Drive](t, winDrives, winHost{wmi: failingWMI{wmiErr}}); !errors.Is(err, wmiErr) {
		t.Errorf("winDrives with a failing WMI = %v, want %v", err, wmiErr)
	}
}

func TestDecodeATASerial(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// "AB12CD34" as ATA words, space padded.
		{"4241323144433433", "AB12CD34"},
		{"424132314443343320202020", "AB12CD34"},
		{"42413231444334", "42413231444334"}, // not whole words
		{"VB1234-5678", "VB1234-5678"},
	} {
		if got := decodeATASerial(tc.in); got != tc.want {
			t.Errorf("decodeATASerial(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNVMeAdapterSerial(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"S4EWNX0R123456       _00000001", "S4EWNX0R123456"},
		{"ABC123_0000", "ABC123"},
		{"ABC_DEF", "ABC_DEF"},
		{"ABC_X01", "ABC_X01"},
		{"", ""},
		{"   _0000", ""},
	} {
		if got := nvmeAdapterSerial(tc.in); got != tc.want {
			t.Errorf("nvmeAdapterSerial(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWinStorages(t *testing.T) {
	disk := `[{"Name": "\\\\.\\PHYSICALDRIVE0", "Model": "ACME SSD 256GB", "Caption": "ACME SSD 256GB",
		"Manufacturer": "(Standard disk drives)", "Description": "Disk drive", "InterfaceType": "IDE",
		"MediaType": "Fixed hard disk media", "FirmwareRevision": " 1.0 ", "SerialNumber": "  SN123  ",
		"Size": "256052966400", "SCSIPort": 1, "SCSITargetId": 0, "SCSILogicalUnit": 0}]`
	cdrom := `[{"Name": "ACME DVD-RW", "Caption": "ACME DVD-RW", "Description": "CD-ROM Drive",
		"Manufacturer": "(Standard CD-ROM drives)", "MediaType": "DVD Writer", "SCSIPort": 2, "SCSITargetId": 1, "SCSILogicalUnit": 0}]`
	physical := `[
		{"DeviceId": "0", "FriendlyName": "ACME NVMe 512GB", "Model": "ACME NVMe 512GB", "BusType": 17, "MediaType": 4,
		 "PhysicalLocation": "PCI Slot 1 : Bus 2 : Device 0 : Function 0 : Adapter 0", "FirmwareVersion": "2.0",
		 "SerialNumber": "0011_2233_4455_6677.", "AdapterSerialNumber": "NV0001     _0000", "Size": "512110190592"},
		{"DeviceId": "1", "FriendlyName": "ACME HDD", "Model": "ACME HDD", "BusType": 11, "MediaType": 3,
		 "SerialNumber": "HD0001", "Size": "1000204886016"}
	]`
	wantDisk := Storage{Name: `\\.\PHYSICALDRIVE0`, Model: "ACME SSD 256GB", Manufacturer: "(Standard disk drives)",
		Description: "Disk drive", Interface: "IDE", Type: "Fixed hard disk media", Firmware: "1.0", Serial: "SN123",
		DiskSize: 256052, SCSICoID: "1", SCSIUnID: "0", SCSILun: "0"}
	wantCD := Storage{Name: "ACME DVD-RW", Model: "ACME DVD-RW", Manufacturer: "(Standard CD-ROM drives)",
		Description: "CD-ROM Drive", Type: "DVD Writer", SCSICoID: "2", SCSIUnID: "1", SCSILun: "0"}
	for _, tc := range []struct {
		name    string
		classes map[string]string
		want    []Storage
	}{
		{"disk drives", map[string]string{"Win32_DiskDrive": disk, "Win32_CDROMDrive": cdrom}, []Storage{wantDisk, wantCD}},
		{"physical disks first", map[string]string{"Win32_DiskDrive": disk, "MSFT_PhysicalDisk": physical}, []Storage{
			{Name: "PhysicalDisk0", Model: "ACME NVMe 512GB", Description: "PCI Slot 1 : Bus 2 : Device 0 : Function 0 : Adapter 0",
				Interface: "NVME", Type: "SSD", Firmware: "2.0", Serial: "NV0001", DiskSize: 512110},
			{Name: "PhysicalDisk1", Model: "ACME HDD", Interface: "SATA", Type: "HDD", Serial: "HD0001", DiskSize: 1000204},
		}},
		{"no physical disk", map[string]string{"Win32_DiskDrive": disk, "MSFT_PhysicalDisk": `[]`}, []Storage{wantDisk}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectWin[[]Storage](t, winStorages, winHost{wmi: wmiDir(t, tc.classes)})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("winStorages =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestPhysicalDiskVirtualBox(t *testing.T) {
	got := physicalDiskStorage(msftPhysicalDisk{DeviceId: "2", Model: "VBOX HARDDISK", BusType: 3})
	if got.Description != "Virtual device" || got.Type != "Virtual" || got.Interface != "ATA" {
		t.Errorf("physicalDiskStorage(VBOX) = %+v, want a virtual ATA device", got)
	}
}

// TestWinStorageSources: a class Windows lacks (Win32_Volume before
// Server 2003, Win32_TapeDrive) leaves its entries out; a query that fails
// is the collector's error, as GLPI would delete the entries left out.
func TestWinStorageSources(t *testing.T) {
	noClass := fmt.Errorf("get class: %w", errWMINoClass)
	failed := errors.New("status 0x80041033")
	base := map[string][]map[string]any{
		"Win32_LogicalDisk": {{"DeviceID": "C:", "DriveType": "3", "FileSystem": "NTFS", "Size": "100000000000"}},
		"Win32_DiskDrive":   {{"Name": `\\.\PHYSICALDRIVE0`, "Model": "Disk", "Size": "100000000000"}},
	}
	for _, tc := range []struct {
		name    string
		f       Func
		errs    map[string]error
		wantErr bool
	}{
		{"drives, Win32_Volume absent", winDrives, map[string]error{"Win32_Volume": noClass}, false},
		{"drives, Win32_Volume failing", winDrives, map[string]error{"Win32_Volume": failed}, true},
		{"storages, no tape class", winStorages, map[string]error{"Win32_TapeDrive": noClass}, false},
		{"storages, optical drives failing", winStorages, map[string]error{"Win32_CDROMDrive": failed}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.f(t.Context(), winEnv(winHost{wmi: wmiStub{instances: base, errs: tc.errs}, reg: &regFile{}}))
			switch {
			case tc.wantErr && (err == nil || errors.Is(err, ErrNoData)):
				t.Fatalf("got %v, %v; want the query's error", v, err)
			case !tc.wantErr && (err != nil || count(v) != 1):
				t.Fatalf("got %v, %v; want the one disk", v, err)
			}
		})
	}
}
