package collectors

import (
	"encoding/base64"
	"reflect"
	"testing"
)

func TestCPUFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		want    []CPU
	}{
		{"laptop", []CPU{{Arch: "x86_64", Core: 4, Thread: 8, FamilyNumber: "6", Model: "140", Stepping: 1,
			Manufacturer: "Intel", Name: "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", Speed: 2800}}},
		{"server", []CPU{
			{Arch: "x86_64", Core: 2, Thread: 4, FamilyNumber: "6", Model: "85", Stepping: 7,
				Manufacturer: "Intel", Name: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", Speed: 2100},
			{Arch: "x86_64", Core: 2, Thread: 4, FamilyNumber: "6", Model: "85", Stepping: 7,
				Manufacturer: "Intel", Name: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", Speed: 2100},
		}},
		{"vm", []CPU{
			{Arch: "x86_64", Core: 1, Thread: 1, FamilyNumber: "6", Model: "85", Stepping: 6,
				Manufacturer: "Intel", Name: "Intel Xeon Processor (Cascadelake)"},
			{Arch: "x86_64", Core: 1, Thread: 1, FamilyNumber: "6", Model: "85", Stepping: 6,
				Manufacturer: "Intel", Name: "Intel Xeon Processor (Cascadelake)"},
		}},
		{"container", []CPU{{Arch: "x86_64", Core: 2, Thread: 2, FamilyNumber: "25", Model: "1", Stepping: 1,
			Manufacturer: "AMD", Name: "AMD EPYC 7R13 Processor"}}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, _ := collectFixture(t, "cpu", tt.fixture).([]CPU)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("cpus(%s) = %+v, want %+v", tt.fixture, got, tt.want)
			}
		})
	}
}

func TestMemoryFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		want    []Memory
	}{
		{"laptop", []Memory{
			{Capacity: 8192, Caption: "Controller0-ChannelA-DIMM0", Description: "Row Of Chips", Manufacturer: "Samsung",
				MemoryCorrection: "None", NumSlots: 1, Model: "K4UBE3D4AA-MGCL", Speed: "4267", Type: "LPDDR4"},
			{Capacity: 8192, Caption: "Controller1-ChannelA-DIMM0", Description: "Row Of Chips", Manufacturer: "80CE",
				MemoryCorrection: "None", NumSlots: 2, Model: "K4UBE3D4AA-MGCL", Speed: "4267", Type: "LPDDR4"},
		}},
		{"server", []Memory{
			{Capacity: 32768, Caption: "A1", Description: "DIMM", Manufacturer: "Hynix", SerialNumber: "2A3B4C5D",
				MemoryCorrection: "Multi-bit ECC", NumSlots: 1, Model: "HMA84GR7CJR4N-WM", Speed: "2933", Type: "DDR4"},
			{Capacity: 65536, Caption: "B1", Description: "DIMM", Manufacturer: "Micron Technology", SerialNumber: "1F2E3D4C",
				MemoryCorrection: "Multi-bit ECC", NumSlots: 3, Model: "72ASS8G72LZ-2G9", Speed: "2933", Type: "DDR4"},
		}},
		{"vm", []Memory{{Capacity: 4096, Caption: "DIMM 0", Description: "DIMM", Manufacturer: "QEMU",
			MemoryCorrection: "Multi-bit ECC", NumSlots: 1, Type: "RAM"}}},
		{"container", nil},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, _ := collectFixture(t, "memory", tt.fixture).([]Memory)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("memories(%s) = %+v, want %+v", tt.fixture, got, tt.want)
			}
		})
	}
}

func TestStorageFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		want    []Storage
	}{
		{"laptop", []Storage{{Name: "nvme0n1", Model: "SAMSUNG MZVL2512HCJQ-00BL7", Serial: "S64KNF0R123456",
			Firmware: "4L2QEXA7", Manufacturer: "Samsung", DiskSize: 512110, Interface: "NVME", Description: "PCI",
			Type: "disk", WWN: "0x002538b111b2c3d4"}}},
		{"server", []Storage{
			{Name: "sda", Model: "Samsung SSD 860", Serial: "S3Z9NB0K123456A", Firmware: "4B6Q", Manufacturer: "Samsung",
				DiskSize: 480103, Interface: "SATA", Description: "SATA", Type: "disk", WWN: "0x5002538e40a1b2c3"},
			{Name: "sdb", Model: "Cruzer Blade", Serial: "4C530001230915115412", Firmware: "1.00", Manufacturer: "SanDisk",
				DiskSize: 15376, Description: "SCSI", Type: "disk"},
			{Name: "sr0", Model: "DVD+-RW DU-8A5LH", Firmware: "6D1M", Manufacturer: "PLDS",
				Description: "SCSI", Type: "cdrom"},
		}},
		{"vm", []Storage{
			{Name: "sr0", Model: "QEMU DVD-ROM", Firmware: "2.5+", Manufacturer: "QEMU",
				Description: "SCSI", Type: "cdrom"},
			// No pci.ids in this fixture to name virtio's vendor.
			{Name: "vda", Serial: "disk-web01", DiskSize: 42949, Description: "Virtual", Type: "disk"},
		}},
		{"container", nil},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, _ := collectFixture(t, "storage", tt.fixture).([]Storage)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("storages(%s) =\n%+v, want\n%+v", tt.fixture, got, tt.want)
			}
		})
	}
}

func TestPCIFixtures(t *testing.T) {
	controllers, _ := collectFixture(t, "controller", "laptop").([]Controller)
	wantGPU := Controller{Caption: "TigerLake-LP GT2 [Iris Xe Graphics]", Driver: "i915", Manufacturer: "Intel Corporation",
		Name: "TigerLake-LP GT2 [Iris Xe Graphics]", PCISubsystemID: "17aa:22d8", PCIClass: "0300", PCISlot: "00:02.0",
		ProductID: "9a49", Rev: "01", Type: "VGA compatible controller", VendorID: "8086"}
	if len(controllers) != 6 || !reflect.DeepEqual(controllers[1], wantGPU) {
		t.Errorf("controllers(laptop) = %+v, want 6 with [1] = %+v", controllers, wantGPU)
	}

	// Without pci.ids, devices are named by their class and have no
	// manufacturer; vendorid and productid carry the ids.
	vmControllers, _ := collectFixture(t, "controller", "vm").([]Controller)
	wantVirtio := Controller{Caption: "Ethernet controller", Driver: "virtio-pci", Name: "Ethernet controller",
		PCISubsystemID: "1af4:1100", PCIClass: "0200", PCISlot: "01:00.0", ProductID: "1041", Rev: "01",
		Type: "Ethernet controller", VendorID: "1af4"}
	if len(vmControllers) != 5 || vmControllers[4] != wantVirtio {
		t.Errorf("controllers(vm) = %+v, want 5 with [4] = %+v", vmControllers, wantVirtio)
	}
	for _, c := range vmControllers {
		if c.Manufacturer != "" || c.Name == c.ProductID || c.Type == "" {
			t.Errorf("controllers(vm): %+v, want a class name and type and no manufacturer", c)
		}
	}

	videos := []struct {
		fixture string
		want    []Video
	}{
		// As the official agent names them from lspci: the laptop maker
		// (the subsystem vendor) and the bracketed name; the chip with
		// its maker.
		{"laptop", []Video{{Name: "Lenovo Iris Xe Graphics", Chipset: "Intel Corporation TigerLake-LP GT2",
			Resolution: "2560x1440", PCISlot: "00:02.0"}}},
		{"server", []Video{{Name: "Matrox Electronics Systems Ltd. Integrated Matrox G200eW3 Graphics Controller",
			Chipset: "VGA compatible controller", PCISlot: "03:00.0"}}},
		{"vm", []Video{{Name: "VGA compatible controller", Chipset: "VGA compatible controller", Resolution: "1024x768", PCISlot: "00:01.0"}}},
		{"container", nil},
	}
	for _, tt := range videos {
		got, _ := collectFixture(t, "video", tt.fixture).([]Video)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("videos(%s) = %+v, want %+v", tt.fixture, got, tt.want)
		}
	}

	sounds, _ := collectFixture(t, "sound", "laptop").([]Sound)
	wantSound := []Sound{{Name: "Multimedia audio controller", Caption: "Tiger Lake-LP Smart Sound Technology Audio Controller",
		Manufacturer: "Intel Corporation Tiger Lake-LP Smart Sound Technology Audio Controller", Description: "rev 20"}}
	if !reflect.DeepEqual(sounds, wantSound) {
		t.Errorf("sounds(laptop) = %+v, want %+v", sounds, wantSound)
	}
	vmSounds, _ := collectFixture(t, "sound", "vm").([]Sound)
	if want := []Sound{{Name: "Audio device", Description: "rev 03"}}; !reflect.DeepEqual(vmSounds, want) {
		t.Errorf("sounds(vm) = %+v, want %+v", vmSounds, want)
	}
	if got := collectFixture(t, "sound", "server"); count(got) != 0 {
		t.Errorf("sounds(server) = %+v, want none", got)
	}
}

func TestUSBFixtures(t *testing.T) {
	got, _ := collectFixture(t, "usb", "laptop").([]USBDevice)
	want := []USBDevice{
		{Caption: "USB 10/100/1000 LAN", Name: "USB 10/100/1000 LAN", Manufacturer: "Realtek", VendorID: "0bda",
			ProductID: "8153", Serial: "000001000000", Class: "255", SubClass: "255"},
		{Caption: "AX201 Bluetooth", Name: "AX201 Bluetooth", Manufacturer: "Intel Corp.", VendorID: "8087",
			ProductID: "0026", Class: "224", SubClass: "1"},
		{Caption: "Integrated Camera", Name: "Integrated Camera", Manufacturer: "Chicony Electronics Co.,Ltd.",
			VendorID: "04f2", ProductID: "b6ea", Serial: "0001", Class: "239", SubClass: "2"},
		{Caption: "Prometheus MIS Touch Fingerprint Reader", Name: "Prometheus MIS Touch Fingerprint Reader",
			Manufacturer: "Synaptics, Inc.", VendorID: "06cb", ProductID: "00bd", Serial: "a1b2c3d4e5f6", Class: "255", SubClass: "16"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("usbdevices(laptop) =\n%+v, want\n%+v", got, want)
	}
	if got := collectFixture(t, "usb", "container"); count(got) != 0 {
		t.Errorf("usbdevices(container) = %+v, want none", got)
	}
}

func TestMonitorFixtures(t *testing.T) {
	got, _ := collectFixture(t, "monitor", "laptop").([]Monitor)
	if len(got) != 2 {
		t.Fatalf("monitors(laptop) = %+v, want 2 connected", got)
	}
	raw, err := base64.StdEncoding.DecodeString(got[0].Base64)
	if err != nil || len(raw) != 128 {
		t.Errorf("monitors(laptop)[0].Base64 decodes to %d bytes (%v), want 128", len(raw), err)
	}
	got[0].Base64, got[1].Base64 = "", ""
	want := []Monitor{
		{Caption: "DELL U2720Q", Name: "DELL U2720Q", Manufacturer: "Dell Inc.", Serial: "8R3YP23",
			Description: "45/2020", Port: "DP-1"},
		{Caption: "N140WUM-LP1", Name: "N140WUM-LP1", Manufacturer: "LG Display", Serial: "00000000",
			Description: "12/2021", Port: "eDP-1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("monitors(laptop) = %+v, want %+v", got, want)
	}
}

func TestBatteryFixtures(t *testing.T) {
	got, _ := collectFixture(t, "battery", "laptop").([]Battery)
	want := []Battery{{Name: "5B10W13975", Manufacturer: "SMP", Serial: "123", Chemistry: "Li-poly",
		Capacity: 57000, RealCapacity: 51320, Voltage: 15440}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("batteries(laptop) = %+v, want %+v", got, want)
	}
	if got := collectFixture(t, "battery", "server"); count(got) != 0 {
		t.Errorf("batteries(server) = %+v, want none", got)
	}
}

// TestBatteriesAsOfficial covers what the laptop fixture does not, as the
// official agent reads it (SysClass.pm): a battery that reports charge, not
// energy, converted at its design voltage; one without a design voltage,
// whose present voltage is not sent (it would make a new battery model at
// every inventory); an empty bay; a driver without a serial.
func TestBatteriesAsOfficial(t *testing.T) {
	root := writeTree(t, map[string]string{
		"sys/class/power_supply/BAT0/type":               "Battery\n",
		"sys/class/power_supply/BAT0/present":            "1\n",
		"sys/class/power_supply/BAT0/capacity":           "80\n",
		"sys/class/power_supply/BAT0/model_name":         "AP16M5J\n",
		"sys/class/power_supply/BAT0/manufacturer":       "Samsung SDI\n",
		"sys/class/power_supply/BAT0/serial_number":      "0A75\n",
		"sys/class/power_supply/BAT0/technology":         "Li-ion\n",
		"sys/class/power_supply/BAT0/charge_full_design": "5234567\n",
		"sys/class/power_supply/BAT0/charge_full":        "4100000\n",
		"sys/class/power_supply/BAT0/voltage_min_design": "11400500\n",
		"sys/class/power_supply/BAT0/voltage_now":        "12613000\n",
		"sys/class/power_supply/BAT1/type":               "Battery\n",
		"sys/class/power_supply/BAT1/present":            "0\n",
		"sys/class/power_supply/BAT1/capacity":           "0\n",
		"sys/class/power_supply/CMB0/type":               "Battery\n",
		"sys/class/power_supply/CMB0/present":            "1\n",
		"sys/class/power_supply/CMB0/capacity":           "97\n",
		"sys/class/power_supply/CMB0/model_name":         "Primary\n",
		"sys/class/power_supply/CMB0/technology":         "Unknown\n",
		"sys/class/power_supply/CMB0/charge_full_design": "4000000\n",
		"sys/class/power_supply/CMB0/voltage_now":        "12613000\n",
	})
	got, err := collectBatteries(t.Context(), &Env{Root: root})
	want := []Battery{
		{Name: "AP16M5J", Manufacturer: "Samsung", Serial: "2677", Chemistry: "Li-ion",
			Capacity: 59667, RealCapacity: 46740, Voltage: 11400},
		{Name: "Primary", Serial: "0", Chemistry: "Unknown"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("collectBatteries() = %+v, %v, want %+v", got, err, want)
	}
}

// TestLinuxBatteriesWithSMBIOS checks the Linux merge of dmidecode's and
// sysfs's batteries: one battery, the design voltage and date from the
// table where the driver gives none, the rest from sysfs.
func TestLinuxBatteriesWithSMBIOS(t *testing.T) {
	table := append(portableBattery(0x1600, "Sys. Battery Bay", "SMP", "09/15/2017", "0A75", "DELL JHXPY53", 2, 5753, 7600, "1.0", 0, 0, "LiP"),
		smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)...)
	root := writeTree(t, map[string]string{
		dmiTable[1:]:                                     string(table),
		"sys/class/power_supply/BAT0/type":               "Battery\n",
		"sys/class/power_supply/BAT0/present":            "1\n",
		"sys/class/power_supply/BAT0/capacity":           "80\n",
		"sys/class/power_supply/BAT0/model_name":         "DELL JHXPY53\n",
		"sys/class/power_supply/BAT0/manufacturer":       "SMP\n",
		"sys/class/power_supply/BAT0/serial_number":      "2677\n",
		"sys/class/power_supply/BAT0/technology":         "Li-poly\n",
		"sys/class/power_supply/BAT0/energy_full_design": "57532000\n",
		"sys/class/power_supply/BAT0/energy_full":        "48807000\n",
	})
	v, cerr := collectBatteries(t.Context(), &Env{Root: root})
	want := []Battery{{Name: "DELL JHXPY53", Manufacturer: "SMP", Serial: "2677", Chemistry: "Li-poly",
		Capacity: 57532, RealCapacity: 48807, Voltage: 7600, Date: "2017-09-15"}}
	if cerr != nil || !reflect.DeepEqual(v, want) {
		t.Errorf("batteries = %+v, %v, want %+v", v, cerr, want)
	}
}
