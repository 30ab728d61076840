package collectors

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// diskImage makes a 64 MB disk image with an empty partition table of
// label ("gpt", "dos") by sfdisk, and returns it with the identifier fdisk
// prints for it, as the official agent reads it (`Disk identifier: 0x…`
// without the 0x).
func diskImage(t *testing.T, label string) ([]byte, string) {
	t.Helper()
	for _, tool := range []string{"sfdisk", "fdisk"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s, which CI installs (fdisk package): %v", tool, err)
			}
			t.Skipf("no %s: %v", tool, err)
		}
	}
	img := filepath.Join(t.TempDir(), label+".img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 64<<20); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sfdisk", "-q", img)
	cmd.Stdin = strings.NewReader("label: " + label + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v: %s", err, out)
	}
	out, err := exec.Command("fdisk", "-l", img).Output()
	if err != nil {
		t.Fatalf("fdisk -l: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Disk identifier:\s*(?:0x)?(\S+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("fdisk -l printed no disk identifier:\n%s", out)
	}
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return b[:4096], string(m[1])
}

// lvmLabel is the start of a disk that is an LVM physical volume of UUID
// id (32 characters), its label in the second sector as pvcreate writes it.
func lvmLabel(id string) []byte {
	b := make([]byte, 4096)
	l := b[512:]
	copy(l, "LABELONE")
	binary.LittleEndian.PutUint64(l[8:], 1)
	binary.LittleEndian.PutUint32(l[20:], 32)
	copy(l[24:], "LVM2 001")
	copy(l[32:], id)
	return b
}

// TestLinuxStorageAsOfficial gives virtual, SCSI and LVM disks the values
// the official agent sends for them, on which GLPI keys hard disk models
// (model, manufacturer, interface) and their links to the computer
// (serial): a machine moved from the official agent keeps its disks.
func TestLinuxStorageAsOfficial(t *testing.T) {
	gpt, gptID := diskImage(t, "gpt")
	dos, dosID := diskImage(t, "dos")
	// A disk on a virtio SCSI controller, whose path names virtio.
	const virtioSCSI = "sys/devices/pci0000:00/0000:00:05.0/virtio1/host2/target2:0:0/2:0:0:0/block/sdb"
	root := writeTree(t, map[string]string{
		"usr/share/misc/pci.ids": "1af4  Red Hat, Inc.\n\t1001  Virtio block device\n",
		// virtio disks without serials: GPT, MBR, LVM, nothing.
		"sys/block/vda/size": "83886080\n", "sys/block/vda/removable": "0\n", "sys/block/vda/device/vendor": "0x1af4\n",
		"sys/block/vdb/size": "83886080\n", "sys/block/vdb/removable": "0\n", "sys/block/vdb/device/vendor": "0x1af4\n",
		"sys/block/vdc/size": "83886080\n", "sys/block/vdc/removable": "0\n", "sys/block/vdc/device/vendor": "0x1af4\n",
		"sys/block/vdd/size": "83886080\n", "sys/block/vdd/removable": "0\n", "sys/block/vdd/device/vendor": "0x1af4\n",
		"dev/vda": string(gpt), "dev/vdb": string(dos), "dev/vdd": string(make([]byte, 4096)),
		"dev/vdc": string(lvmLabel("U7pvmbvmWsFSD1FXpCvtldWmw7WR5j73")),
		// A SAS disk.
		"sys/block/sda/size": "1172123568\n", "sys/block/sda/device/vendor": "SEAGATE \n",
		"sys/block/sda/device/model": "ST600MM0006     \n", "sys/block/sda/device/serial": "S0M1ABCD\n",
		virtioSCSI + "/size": "20971520\n", virtioSCSI + "/device/vendor": "QEMU    \n",
		virtioSCSI + "/device/model": "QEMU HARDDISK   \n", virtioSCSI + "/device/serial": "drive-scsi0\n",
		// ATA disks, with and without udev's data.
		"sys/block/sdd/size": "976773168\n", "sys/block/sdd/dev": "8:48\n", "sys/block/sdd/device/vendor": "ATA     \n",
		"sys/block/sdd/device/model": "Samsung SSD 860 \n",
		"run/udev/data/b8:48":        "E:ID_ATA=1\nE:ID_BUS=ata\nE:ID_MODEL=Samsung_SSD_860_EVO_500GB\nE:ID_MODEL_ENC=Samsung\\x20SSD\\x20860\\x20EVO\\x20500GB\\x20\\x20\\x20\\x20\nE:ID_SERIAL_SHORT=S3Z9NB0K123456A\n",
		"sys/block/sde/size":         "468862128\n", "sys/block/sde/dev": "8:64\n", "sys/block/sde/device/vendor": "ATA     \n",
		"sys/block/sde/device/model": "KINGSTON SA400S3\n",
		"run/udev/data/b8:64":        "E:ID_BUS=ata\nE:ID_MODEL_ENC=KINGSTON\\x20SA400S37240G\\x20\\x20\nE:ID_SERIAL_SHORT=50026B7782A0B1C2\n",
		"sys/block/sdf/size":         "1953525168\n", "sys/block/sdf/dev": "8:80\n", "sys/block/sdf/device/vendor": "ATA     \n",
		"sys/block/sdf/device/model": "HGST HTS721010A9\n",
		"run/udev/data/b8:80":        "E:ID_MODEL_ENC=HGST\\x20HTS721010A9E630\nE:ID_SERIAL_SHORT=JR1000D33VPSBE\n",
		// An SD card reader without a card.
		"sys/block/sdc/size": "0\n", "sys/block/sdc/removable": "1\n", "sys/block/sdc/device/vendor": "Generic-\n",
		"sys/block/sdc/device/model": "SD/MMC          \n", "dev/sdc": string(dos),
	})
	if err := os.Symlink("../"+virtioSCSI[len("sys/"):], filepath.Join(root, "sys/block/sdb")); err != nil {
		t.Fatal(err)
	}
	for disk, bus := range map[string]string{"vda": "virtio", "vdb": "virtio", "vdc": "virtio", "vdd": "virtio", "sda": "scsi", "sdb": "scsi", "sdc": "scsi", "sdd": "scsi", "sde": "scsi", "sdf": "scsi"} {
		if err := os.Symlink("../../../../bus/"+bus, filepath.Join(root, "sys/block", disk, "device/subsystem")); err != nil {
			t.Fatal(err)
		}
	}
	got, err := collectStorages(t.Context(), &Env{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	virtio := func(name, serial string) Storage {
		return Storage{Name: name, Description: "Virtual", Manufacturer: "Red Hat, Inc.", DiskSize: 42949, Serial: serial, Type: "disk"}
	}
	want := []Storage{
		{Name: "sda", Description: "SCSI", Manufacturer: "SEAGATE", Model: "ST600MM0006", DiskSize: 600127, Serial: "S0M1ABCD", Type: "disk"},
		{Name: "sdb", Description: "SCSI", Manufacturer: "QEMU", Model: "QEMU HARDDISK", DiskSize: 10737, Serial: "drive-scsi0", Type: "disk"},
		{Name: "sdc", Description: "SCSI", Manufacturer: "Generic", Model: "SD/MMC", Type: "disk"}, // "Generic-" in sysfs
		// ATA disks: the whole model from udev (sysfs keeps 16
		// characters), the maker as the official agent names it, or none.
		{Name: "sdd", Description: "SATA", Interface: "SATA", Manufacturer: "Samsung", Model: "Samsung SSD 860 EVO 500GB", DiskSize: 500107, Serial: "S3Z9NB0K123456A", Type: "disk"},
		{Name: "sde", Description: "SATA", Interface: "SATA", Model: "KINGSTON SA400S37240G", DiskSize: 240057, Serial: "50026B7782A0B1C2", Type: "disk"},
		{Name: "sdf", Description: "SATA", Interface: "SATA", Manufacturer: "Hitachi", Model: "HGST HTS721010A9E630", DiskSize: 1000204, Serial: "JR1000D33VPSBE", Type: "disk"},
		virtio("vda", gptID),
		virtio("vdb", dosID),
		virtio("vdc", "U7pvmb-vmWs-FSD1-FXpC-vtld-Wmw7-WR5j73"), // as pvdisplay -o pv_uuid prints it
		virtio("vdd", ""),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	validateSection(t, "storages", got)
}

func TestPartitionTableID(t *testing.T) {
	gpt, gptID := diskImage(t, "gpt")
	if got := partitionTableID(gpt, 512); got != gptID {
		t.Errorf("GPT: got %q, want fdisk's %q", got, gptID)
	}
	dos, dosID := diskImage(t, "dos")
	if got := partitionTableID(dos, 512); got != dosID {
		t.Errorf("MBR: got %q, want fdisk's %q", got, dosID)
	}
	// A GPT header whose checksum fails is no partition table to trust;
	// one cut short or a 4 KiB-sector disk read as 512 give nothing.
	bad := append([]byte(nil), gpt...)
	bad[512+60]++
	for name, tc := range map[string]struct {
		head []byte
		ss   int
	}{
		"corrupt GPT header": {bad, 512},
		"GPT, 4 KiB sectors": {gpt, 4096},
		"short":              {gpt[:600], 512},
		"no signature":       {make([]byte, 1024), 512},
		"empty":              {nil, 512},
	} {
		if got := partitionTableID(tc.head, tc.ss); got != "" {
			t.Errorf("%s: got %q, want none", name, got)
		}
	}
}

func TestLVMPVUUID(t *testing.T) {
	if got, want := lvmPVUUID(lvmLabel("U7pvmbvmWsFSD1FXpCvtldWmw7WR5j73")), "U7pvmb-vmWs-FSD1-FXpC-vtld-Wmw7-WR5j73"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for name, head := range map[string][]byte{
		"not a UUID":     lvmLabel("U7pvmb vmWs/FSD1FXpCvtldWmw7WR5j"),
		"offset outside": func() []byte { b := lvmLabel("U7pvmbvmWsFSD1FXpCvtldWmw7WR5j73"); b[512+20] = 0xf0; return b }(),
		"no label":       make([]byte, 2048),
		"short":          lvmLabel("U7pvmbvmWsFSD1FXpCvtldWmw7WR5j73")[:600],
	} {
		if got := lvmPVUUID(head); got != "" {
			t.Errorf("%s: got %q, want none", name, got)
		}
	}
}
