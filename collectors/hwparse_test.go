package collectors

import (
	"encoding/binary"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	tests := map[string]string{
		"  Dell Inc. ": "Dell Inc.", "To Be Filled By O.E.M.": "", "Default string": "",
		"Not Specified": "", "0123456789": "", "0000000": "", "FFFFFFFF": "", "  ": "",
		"System Serial Number": "", "unknown": "", "PF3ABCDE": "PF3ABCDE", "0x1af4": "0x1af4",
	}
	for in, want := range tests {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanUUID(t *testing.T) {
	tests := map[string]string{
		"4c4c4544-0058-5910-8035-b7c04f313233": "4C4C4544-0058-5910-8035-B7C04F313233",
		"03000200-0400-0500-0006-000700080009": "",
		"ffffffff-ffff-ffff-ffff-ffffffffffff": "",
		"not-a-uuid":                           "",
	}
	for in, want := range tests {
		if got := cleanUUID(in); got != want {
			t.Errorf("cleanUUID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBIOSDate(t *testing.T) {
	tests := map[string]string{
		"05/24/2023": "2023-05-24", "1/2/2020": "2020-01-02", "04/01/14": "1914-04-01",
		"2023-05-24": "", "13/01/2020": "", "": "",
	}
	for in, want := range tests {
		if got := biosDate(in); got != want {
			t.Errorf("biosDate(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOfficialSSN: the system serial as the official agent's dmidecode
// module makes it, on a Dell, a white box whose chassis has the only
// serial, and VirtualBox, whose serials are "0".
func TestOfficialSSN(t *testing.T) {
	const vboxUUID = "5F1A2B3C-4D5E-6F70-8192-A3B4C5D6E7F8"
	for _, tc := range []struct {
		system, chassis, board, boardModel, uuid, want string
	}{
		{"7XK2Q33", "7XK2Q33", "/7XK2Q33/CNCMK0097E00A5/", "0F7J4R", "", "7XK2Q33"},
		{"System Serial Number", "MXL1234ABC", "Default string", "PRIME B450M-A", "", "MXL1234ABC"},
		{"To Be Filled By O.E.M.", "Default string", "", "B450M", "", ""},
		{"0", "", "0", "VirtualBox", vboxUUID, "5f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8"},
		{"0", "", "0", "VirtualBox", "", ""},
		{"VBox-1234", "", "0", "VirtualBox", vboxUUID, "VBox-1234"},
	} {
		if got := officialSSN(tc.system, tc.chassis, tc.board, tc.boardModel, tc.uuid); got != tc.want {
			t.Errorf("officialSSN(%q, %q, %q, %q, %q) = %q, want %q", tc.system, tc.chassis, tc.board, tc.boardModel, tc.uuid, got, tc.want)
		}
	}
}

func TestSecureBootState(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{[]byte{6, 0, 0, 0, 1}, "enabled"},
		{[]byte{6, 0, 0, 0, 0}, "disabled"},
		{[]byte{6, 0}, ""},
	}
	for _, tt := range tests {
		if got := secureBootState(tt.in); got != tt.want {
			t.Errorf("secureBootState(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestChassisName(t *testing.T) {
	tests := map[string]string{"10": "Notebook", "23": "Rack Mount Chassis", "137": "Laptop", "2": "", "99": "", "": ""}
	for in, want := range tests {
		if got := chassisName(in); got != want {
			t.Errorf("chassisName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseResolvConf(t *testing.T) {
	got := parseResolvConf("# c\nnameserver 10.0.0.1\ndomain a.example\nsearch b.example c.example\nnameserver 10.0.0.2\n")
	want := resolvConf{nameservers: []string{"10.0.0.1", "10.0.0.2"}, domain: "b.example"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseResolvConf() = %+v, want %+v", got, want)
	}
}

func TestDefaultGateway(t *testing.T) {
	const head = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
	tests := []struct {
		name, route, want string
	}{
		{"one", head + "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n", "192.168.1.1"},
		{"lowest metric", head + "a\t00000000\t0100000A\t0003\t0\t0\t300\t00000000\t0\t0\t0\nb\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n", "192.168.0.1"},
		{"down route", head + "eth0\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n", ""},
		{"no default", head + "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultGateway(tt.route); got != tt.want {
				t.Errorf("defaultGateway() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVMSystem(t *testing.T) {
	tests := []struct {
		name string
		e    vmEvidence
		want string
	}{
		{"physical", vmEvidence{sysVendor: "Dell Inc.", product: "PowerEdge R740"}, "Physical"},
		{"qemu dmi", vmEvidence{sysVendor: "QEMU", cpuHypervisor: true}, "QEMU"},
		{"kvm product", vmEvidence{sysVendor: "Red Hat", product: "KVM"}, "QEMU"},
		{"hyper-v", vmEvidence{sysVendor: "Microsoft Corporation", product: "Virtual Machine"}, "Hyper-V"},
		{"surface is physical", vmEvidence{sysVendor: "Microsoft Corporation", product: "Surface Laptop 4"}, "Physical"},
		{"vmware", vmEvidence{sysVendor: "VMware, Inc.", product: "VMware7,1"}, "VMware"},
		{"virtualbox", vmEvidence{sysVendor: "innotek GmbH", biosVendor: "innotek GmbH", product: "VirtualBox"}, "VirtualBox"},
		{"xen hvm", vmEvidence{sysVendor: "Xen", product: "HVM domU"}, "Xen"},
		{"xen pv", vmEvidence{hypervisorType: "xen"}, "Xen"},
		{"xen dom0", vmEvidence{hypervisorType: "xen", xenDom0: true}, "Physical"},
		{"parallels", vmEvidence{sysVendor: "Parallels Software International Inc."}, "Parallels"},
		{"bhyve", vmEvidence{sysVendor: "FreeBSD", product: "BHYVE"}, "BHYVE"},
		{"firecracker", vmEvidence{acpiOEM: "FIRECK", clocksource: "kvm-clock tsc", cpuHypervisor: true}, "Firecracker"},
		{"kvm clock", vmEvidence{clocksource: "kvm-clock tsc acpi_pm", cpuHypervisor: true}, "QEMU"},
		{"vmware module", vmEvidence{modules: "vmxnet 16384 0 - Live 0x0\n"}, "VMware"},
		{"unknown hypervisor", vmEvidence{cpuHypervisor: true}, "Virtual Machine"},
		{"docker in a vm", vmEvidence{dockerEnv: true, overlayRoot: true, sysVendor: "QEMU"}, "Docker"},
		{"stray dockerenv", vmEvidence{dockerEnv: true, acpiOEM: "FIRECK"}, "Firecracker"},
		{"lxc", vmEvidence{initContainer: "lxc"}, "lxc"},
		{"podman", vmEvidence{containerEnv: true}, "podman"},
		{"docker cgroup v1", vmEvidence{initCgroup: "12:pids:/docker/3f2a9c1b7d4e0a1b\n"}, "Docker"},
		{"kubernetes containerd", vmEvidence{initCgroup: "0::/kubepods.slice/cri-containerd-ab12.scope"}, "containerd"},
		{"wsl", vmEvidence{wsl: true, cpuHypervisor: true}, "WSL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := vmSystem(tt.e); got != tt.want {
				t.Errorf("vmSystem(%+v) = %q, want %q", tt.e, got, tt.want)
			}
		})
	}
}

func TestRootMountIsOverlay(t *testing.T) {
	tests := []struct {
		name, mountinfo string
		want            bool
	}{
		{"ext4", "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n", false},
		{"overlay", "1163 1051 0:137 / / rw - overlay overlay rw,lowerdir=/x\n", true},
		{"btrfs subvolume", "30 1 0:40 /var/lib/docker/btrfs/subvolumes/ab / rw - btrfs /dev/sda2 rw\n", true},
		{"stacked", "1 0 0:1 / / rw - rootfs rootfs rw\n27 1 254:0 / / rw - ext4 /dev/vda rw\n", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rootMountIsOverlay(tt.mountinfo); got != tt.want {
				t.Errorf("rootMountIsOverlay() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInitEnv(t *testing.T) {
	env := []byte("PATH=/bin\x00container=lxc\x00HOME=/\x00")
	if got := initEnv(env, "container"); got != "lxc" {
		t.Errorf("initEnv(container) = %q, want %q", got, "lxc")
	}
	if got := initEnv(env, "missing"); got != "" {
		t.Errorf("initEnv(missing) = %q, want \"\"", got)
	}
}

const arm64CPUInfo = `processor	: 0
BogoMIPS	: 243.75
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x3
CPU part	: 0xd0c
CPU revision	: 1

processor	: 1
BogoMIPS	: 243.75
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x3
CPU part	: 0xd0c
CPU revision	: 1

`

func TestBuildCPUs(t *testing.T) {
	tests := []struct {
		name    string
		cpuinfo string
		topo    map[string]cpuTopology
		want    []CPU
	}{
		{"arm64 neoverse", arm64CPUInfo, nil, []CPU{{Arch: "aarch64", Manufacturer: "ARM", Name: "ARM Neoverse-N1",
			FamilyNumber: "8", Stepping: 1, Core: 2, Thread: 2}}},
		{"sysfs topology wins", "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC 7543 32-Core Processor\nstepping\t: 1\ncpu MHz\t\t: 1500.000\nflags\t\t: fpu lm\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7543 32-Core Processor\n\n",
			map[string]cpuTopology{"0": {"0", "0"}, "1": {"0", "0"}},
			// No frequency in the name: none, not the current "cpu MHz".
			[]CPU{{Arch: "x86_64", Manufacturer: "AMD", Name: "AMD EPYC 7543 32-Core Processor", FamilyNumber: "25",
				Model: "1", Stepping: 1, Core: 1, Thread: 2}}},
		{"no frequency in a recent Intel name", "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: 12th Gen Intel(R) Core(TM) i7-1265U\ncpu MHz\t\t: 2688.123\nflags\t\t: fpu lm\n\n",
			nil, []CPU{{Arch: "x86_64", Manufacturer: "Intel", Name: "12th Gen Intel(R) Core(TM) i7-1265U", FamilyNumber: "6", Core: 1, Thread: 1}}},
		{"32-bit x86", "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Atom(TM) CPU N270   @ 1.60GHz\nflags\t\t: fpu\n\n",
			nil, []CPU{{Arch: "i686", Manufacturer: "Intel", Name: "Intel(R) Atom(TM) CPU N270   @ 1.60GHz",
				FamilyNumber: "6", Speed: 1600, Core: 1, Thread: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := buildCPUs(parseCPUInfo(tt.cpuinfo), tt.topo)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("buildCPUs() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// smbiosStructure builds one SMBIOS structure: its formatted area after the
// four-byte header, then its strings.
func smbiosStructure(typ byte, handle uint16, body []byte, strs ...string) []byte {
	b := []byte{typ, byte(4 + len(body)), 0, 0}
	binary.LittleEndian.PutUint16(b[2:], handle)
	b = append(b, body...)
	if len(strs) == 0 {
		return append(b, 0, 0)
	}
	for _, s := range strs {
		b = append(append(b, s...), 0)
	}
	return append(b, 0)
}

// smbiosStrings is the string set of a structure under construction: set
// puts the number of v (0 for "", which is absent) at offset off of the
// structure, whose formatted area after the header is body.
type smbiosStrings struct {
	body    []byte
	strings []string
}

func (b *smbiosStrings) set(off int, v string) {
	if v != "" {
		b.strings = append(b.strings, v)
		b.body[off-4] = byte(len(b.strings))
	}
}

// memoryDevice32 builds the body of a type 17 structure of SMBIOS 3.2,
// which gives the module maker's JEDEC code.
func memoryDevice32(array, size uint16, formFactor, memType byte, speed, makerID uint16) []byte {
	b := append(memoryDevice(array, size, 0, formFactor, memType, speed), make([]byte, 0x54-0x22)...)
	binary.LittleEndian.PutUint16(b[0x2C-4:], makerID)
	return b
}

// memoryDevice builds the body of a type 17 structure of SMBIOS 2.7.
func memoryDevice(array, size uint16, ext uint32, formFactor, memType byte, speed uint16) []byte {
	b := make([]byte, 0x22-4)
	le := binary.LittleEndian
	le.PutUint16(b[0x04-4:], array)
	le.PutUint16(b[0x0C-4:], size)
	b[0x0E-4], b[0x10-4], b[0x11-4], b[0x12-4] = formFactor, 1, 2, memType
	le.PutUint16(b[0x15-4:], speed)
	b[0x17-4], b[0x18-4], b[0x1A-4] = 3, 4, 5
	le.PutUint32(b[0x1C-4:], ext)
	return b
}

func TestMemoriesFromSMBIOS(t *testing.T) {
	array := smbiosStructure(smbiosMemoryArray, 0x10, []byte{3, 3, 5, 0, 0, 0, 0, 0xFE, 0xFF, 2, 0})
	table := append(array, smbiosStructure(smbiosMemoryDevice, 0x11, memoryDevice(0x10, 16384, 0, 13, 34, 4800),
		"DIMM A", "BANK 0", "802C", "E1F2A3B4", "CT16G48C40S5.M8A1")...)
	table = append(table, smbiosStructure(smbiosMemoryDevice, 0x12, memoryDevice(0x10, 0, 0, 13, 2, 0), "DIMM B", "BANK 1")...)
	table = append(table, smbiosStructure(smbiosMemoryDevice, 0x13, memoryDevice(0x10, 0x8000|512, 0, 9, 7, 0), "DIMM C", "BANK 2")...)
	// SMBIOS 3.2: type and speed unknown, the module maker's JEDEC code
	// (KingMax's) in the table; the part number names no maker.
	table = append(table, smbiosStructure(smbiosMemoryDevice, 0x14, memoryDevice32(0x10, 8192, 9, 2, 0, 0x2503),
		"DIMM D", "BANK 3", "Undefined", "00000000", "KSD48G")...)
	// A part number the official agent decodes, which gives the type and
	// speed the table leaves out.
	table = append(table, smbiosStructure(smbiosMemoryDevice, 0x15, memoryDevice(0x10, 2048, 0, 9, 2, 0),
		"PROC 1 DIMM 2A", "BANK 4", "Hynix", "94D657D7", "18JSF25672AZ-1G4F1")...)
	table = append(table, smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)...)
	structs, err := parseSMBIOS(table)
	if err != nil {
		t.Fatalf("parseSMBIOS() error: %v", err)
	}
	got := memoriesFromSMBIOS(structs)
	want := []Memory{
		// "802C" is a JEDEC code the official agent sends as it is.
		{Capacity: 16384, Caption: "DIMM A", Description: "SODIMM", Manufacturer: "802C", SerialNumber: "E1F2A3B4",
			Model: "CT16G48C40S5.M8A1", MemoryCorrection: "Single-bit ECC", NumSlots: 1, Speed: "4800", Type: "DDR5"},
		// The 512 KB module of slot 3 rounds down to 0 MB and is left out.
		{Capacity: 8192, Caption: "DIMM D", Description: "DIMM", Manufacturer: "KingMax",
			Model: "KSD48G", MemoryCorrection: "Single-bit ECC", NumSlots: 4},
		{Capacity: 2048, Caption: "PROC 1 DIMM 2A", Description: "DIMM", Manufacturer: "Micron", SerialNumber: "94D657D7",
			Model: "18JSF25672AZ-1G4F1", MemoryCorrection: "Single-bit ECC", NumSlots: 5, Type: "DDR3"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("memoriesFromSMBIOS() =\n%+v\nwant\n%+v", got, want)
	}
}

// A Hyper-V virtual machine's modules have no form factor: the official
// agent describes them as Hyper-V's, made by the firmware's vendor.
func TestMemoriesFromSMBIOSHyperV(t *testing.T) {
	bios := smbiosStructure(smbiosBIOS, 0, []byte{1, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"Microsoft Corporation", "Hyper-V UEFI Release v4.1", "11/28/2023")
	table := append(bios, smbiosStructure(smbiosMemoryDevice, 0x11, memoryDevice(0, 4096, 0, 2, 1, 0),
		"M0001", "None", "Microsoft Corporation", "None", "None")...)
	table = append(table, smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)...)
	structs, err := parseSMBIOS(table)
	if err != nil {
		t.Fatalf("parseSMBIOS() error: %v", err)
	}
	want := []Memory{{Capacity: 4096, Caption: "M0001", Description: "Hyper-V Memory", Manufacturer: "Microsoft Corporation",
		NumSlots: 1, Type: "Other"}}
	if got := memoriesFromSMBIOS(structs); !reflect.DeepEqual(got, want) {
		t.Errorf("memoriesFromSMBIOS() =\n%+v\nwant\n%+v", got, want)
	}
}

// The official agent's dmidecode module and part number decoders, on the
// manufacturer and part number strings of real modules (the official
// agent's own dmidecode samples among them).
func TestMemoryMakerAsOfficial(t *testing.T) {
	hynix, kingston := jedecID{1, 0xAD}, jedecID{2, 0x98}
	tests := []struct {
		maker, part string
		mm          jedecID
		typ, speed  string // as the table gives them
		want        Memory
	}{
		{"Samsung", "M386A4G40DM0-CPB", jedecID{}, "DDR4", "2133", Memory{Manufacturer: "Samsung", Model: "M386A4G40DM0-CPB", Type: "DDR4", Speed: "2133"}},
		// Type and speed from the part number, where the table has none.
		{"Samsung", "M471A1K43DB1-CWE", jedecID{}, "", "", Memory{Manufacturer: "Samsung", Model: "M471A1K43DB1-CWE", Type: "DDR4", Speed: "3200"}},
		{"80AD000080AD", "HMA81GS6AFR8N-UH", jedecID{}, "", "", Memory{Manufacturer: "Hynix", Model: "HMA81GS6AFR8N-UH", Type: "DDR4", Speed: "2400"}},
		{"SK Hynix", "HMA81GS6AFR8N-UH", hynix, "DDR4", "2666", Memory{Manufacturer: "Hynix", Model: "HMA81GS6AFR8N-UH", Type: "DDR4", Speed: "2666"}},
		{"Hynix", "HMT125S6BFR8C-H9", jedecID{}, "DDR3", "1067", Memory{Manufacturer: "Hynix", Model: "HMT125S6BFR8C-H9", Type: "DDR3", Speed: "1067"}},
		// A maker's code that is not Hynix's rules the Hynix decoder out.
		{"SK Hynix", "HMA81GS6AFR8N-UH", kingston, "DDR4", "", Memory{Manufacturer: "SK Hynix", Model: "HMA81GS6AFR8N-UH", Type: "DDR4"}},
		// Micron's decoder knows its registered (x72) modules only.
		{"Micron", "18JSF25672AZ-1G4F1", jedecID{}, "", "1333", Memory{Manufacturer: "Micron", Model: "18JSF25672AZ-1G4F1", Type: "DDR3", Speed: "1333"}},
		{"Micron Technology", "MTA18ASF2G72PZ-2G6E1", jedecID{}, "", "2666", Memory{Manufacturer: "Micron", Model: "MTA18ASF2G72PZ-2G6E1", Type: "DDR4", Speed: "2666"}},
		{"802C", "8ATF1G64HZ-3G2J1", jedecID{}, "DDR4", "3200", Memory{Manufacturer: "802C", Model: "8ATF1G64HZ-3G2J1", Type: "DDR4", Speed: "3200"}},
		{"Elpida", "EBJ41UF8BCS0-DJ-F", jedecID{}, "", "", Memory{Manufacturer: "Elpida", Model: "EBJ41UF8BCS0-DJ-F", Type: "DDR3", Speed: "10660"}},
		// A Samsung chip number names the maker alone.
		{"", "K4A8G165WC-BCTD", jedecID{}, "", "", Memory{Manufacturer: "Samsung", Model: "K4A8G165WC-BCTD"}},
		{"", "KSD48G", jedecID{5, 0x16}, "", "", Memory{Manufacturer: "Positivo Informática", Model: "KSD48G"}},
		// Codes and placeholders the official agent drops.
		{"0198", "KF3200C16D4/8GX", jedecID{}, "DDR4", "", Memory{Model: "KF3200C16D4/8GX", Type: "DDR4"}},
		{"Undefined", "F3-12800CL9-2GBXL", jedecID{}, "DDR3", "1600", Memory{Model: "F3-12800CL9-2GBXL", Type: "DDR3", Speed: "1600"}},
		{"Manufacturer00", "ModulePartNumber00", jedecID{}, "", "", Memory{}},
		{"0x2C00", "SerNum 1", jedecID{}, "", "", Memory{}},
		{"NO DIMM", "NO DIMM", jedecID{}, "", "", Memory{}},
		// Kept as they are: a maker's name, a code without four digits.
		{"Kingston", "9905584-017.A00LF", jedecID{}, "", "", Memory{Manufacturer: "Kingston", Model: "9905584-017.A00LF"}},
		{"00AD00B300AD", "", jedecID{}, "", "", Memory{Manufacturer: "00AD00B300AD"}},
		// A hexadecimal part number (Intel Macs, some firmware) is decoded;
		// blanks are collapsed and trailing dashes dropped.
		{"", "0x484D54343147533641465238412D50422020", jedecID{}, "DDR3", "1600", Memory{Manufacturer: "Hynix", Model: "HMT41GS6AFR8A-PB", Type: "DDR3", Speed: "1600"}},
		{"Crucial", "CT8G4SFS824A.C8FE  --", jedecID{}, "", "", Memory{Manufacturer: "Crucial", Model: "CT8G4SFS824A.C8FE"}},
		{"", "M3 93T6553BZ3-CCC", jedecID{}, "DDR", "400", Memory{Model: "M3 93T6553BZ3-CCC", Type: "DDR", Speed: "400"}},
	}
	for _, tt := range tests {
		m := Memory{Type: tt.typ, Speed: tt.speed}
		m.setMakerAsOfficial(tt.maker, tt.part, tt.mm, "")
		if m != tt.want {
			t.Errorf("setMakerAsOfficial(%q, %q, %v) = %+v, want %+v", tt.maker, tt.part, tt.mm, m, tt.want)
		}
	}
	if d, m := hyperVMemory("Microsoft Corporation", "Hyper-V UEFI Release v4.1"); d != "Hyper-V Memory" || m != "Microsoft Corporation" {
		t.Errorf("hyperVMemory(Hyper-V) = %q, %q", d, m)
	}
	if d, m := hyperVMemory("Microsoft Corporation", "1.0.2"); d != "" || m != "" {
		t.Errorf("hyperVMemory(Surface) = %q, %q, want none", d, m)
	}
}

func TestParseSMBIOSErrors(t *testing.T) {
	tests := map[string][]byte{
		"empty":        nil,
		"short length": {17, 2, 0, 0, 0, 0},
		"overrun":      {17, 40, 0, 0, 0, 0},
		"unterminated": {0, 4, 0, 0, 'a', 'b'},
	}
	for name, b := range tests {
		if _, err := parseSMBIOS(b); err == nil {
			t.Errorf("parseSMBIOS(%s) = nil error, want one", name)
		}
	}
}

func TestDiskHelpers(t *testing.T) {
	ifaces := []struct{ name, devpath, bus, want string }{
		{"sda", "../devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda", "", "SATA"},
		{"sdb", "../devices/pci0000:00/0000:00:14.0/usb1/1-5/1-5:1.0/host6/block/sdb", "", "USB"},
		{"sdc", "../devices/pci0000:00/0000:00:01.0/0000:01:00.0/host2/target2:0:0/2:0:0:0/block/sdc", "", "SCSI"},
		{"nvme0n1", "", "", "NVME"},
		{"vda", "", "", "VIRTIO"},
		{"mmcblk0", "", "", "MMC"},
		{"sdd", "", "usb", "USB"},
	}
	for _, tt := range ifaces {
		if got := diskInterface(tt.name, tt.devpath, tt.bus); got != tt.want {
			t.Errorf("diskInterface(%q, %q, %q) = %q, want %q", tt.name, tt.devpath, tt.bus, got, tt.want)
		}
	}
	sizes := []struct {
		name    string
		sectors uint64
		want    int
	}{
		{"sda", 937703088, 480103},
		{"sr0", 2097151, 0},   // empty drive: the sr driver's placeholder capacity
		{"sr0", 1468352, 751}, // a CD
		{"sdb", 2097151, 1073},
		{"vda", 0, 0},
	}
	for _, tt := range sizes {
		if got := diskSizeMB(tt.name, tt.sectors); got != tt.want {
			t.Errorf("diskSizeMB(%q, %d) = %d, want %d", tt.name, tt.sectors, got, tt.want)
		}
	}
	makers := []struct{ vendor, model, want string }{
		{"ATA", "WDC WD10EZEX-08WN4A0", "Western Digital"},
		{"ATA", "ST2000DM008-2FR102", "Seagate"},
		{"", "PM951 NVMe SAMSUNG 256GB", "Samsung"},
		{"HGST", "HUS726T4TALA6L4", "HGST"},
		{"0x1af4", "", ""},
	}
	for _, tt := range makers {
		if got := diskManufacturer(tt.vendor, tt.model); got != tt.want {
			t.Errorf("diskManufacturer(%q, %q) = %q, want %q", tt.vendor, tt.model, got, tt.want)
		}
	}
	if got := scsiSerial([]byte("\x00\x80\x00\x0a  ZA1B2C3D")); got != "ZA1B2C3D" {
		t.Errorf("scsiSerial() = %q, want %q", got, "ZA1B2C3D")
	}
	if got := diskWWN("t10.ATA     Samsung"); got != "" {
		t.Errorf("diskWWN(t10) = %q, want \"\"", got)
	}
}

func TestParsePCIIDs(t *testing.T) {
	const db = "# comment\n8086  Intel Corporation\n\t1234  Thing\n\t\t8086 0001  Sub thing\n10de  NVIDIA Corporation\n\t1234  Other thing\nC 03  Display controller\n\t00  VGA compatible controller\n\t\t00  VGA controller\n"
	devs := []pciDevice{{Vendor: "10de", Device: "1234", Class: "030000"}, {Vendor: "abcd", Device: "0001", Class: "ff0000"}}
	ids := parsePCIIDs([]byte(db), devs)
	tests := []struct {
		dev  pciDevice
		want pciNames
	}{
		{devs[0], pciNames{vendor: "NVIDIA Corporation", product: "Other thing", class: "Display controller", subclass: "VGA compatible controller"}},
		{devs[1], pciNames{class: "Unassigned class"}},
	}
	for _, tt := range tests {
		if got := ids.names(tt.dev); got != tt.want {
			t.Errorf("names(%+v) = %+v, want %+v", tt.dev, got, tt.want)
		}
	}
	if _, ok := ids["d80861234"]; ok {
		t.Errorf("parsePCIIDs kept Intel's 1234, which no device asked for")
	}
}

// TestPCINamesWithoutIDs checks that devices pci.ids does not name get their
// class as name and no manufacturer, never a bare id.
func TestPCINamesWithoutIDs(t *testing.T) {
	intelOnly := pciIDs{"v8086": "Intel Corporation"}
	tests := []struct {
		name       string
		ids        pciIDs
		dev        pciDevice
		controller Controller
		video      Video
		sound      Sound
	}{
		{"host bridge", nil,
			pciDevice{Address: "0000:00:00.0", Vendor: "8086", Device: "29c0", Class: "060000", Revision: "00"},
			Controller{Caption: "Host bridge", Name: "Host bridge", PCIClass: "0600", PCISlot: "00:00.0", ProductID: "29c0",
				Rev: "00", Type: "Host bridge", VendorID: "8086"},
			Video{Name: "Host bridge", Chipset: "Host bridge", PCISlot: "00:00.0"},
			Sound{Name: "Host bridge", Description: "rev 00"}},
		{"display", nil,
			pciDevice{Address: "0000:00:01.0", Vendor: "1b36", Device: "0100", Class: "030000"},
			Controller{Caption: "VGA compatible controller", Name: "VGA compatible controller", PCIClass: "0300",
				PCISlot: "00:01.0", ProductID: "0100", Type: "VGA compatible controller", VendorID: "1b36"},
			Video{Name: "VGA compatible controller", Chipset: "VGA compatible controller", PCISlot: "00:01.0"},
			Sound{Name: "VGA compatible controller"}},
		{"hd audio", nil,
			pciDevice{Address: "0000:00:1b.0", Vendor: "8086", Device: "293e", Class: "040300", Revision: "03"},
			Controller{Caption: "Audio device", Name: "Audio device", PCIClass: "0403", PCISlot: "00:1b.0",
				ProductID: "293e", Rev: "03", Type: "Audio device", VendorID: "8086"},
			Video{Name: "Audio device", Chipset: "Audio device", PCISlot: "00:1b.0"},
			Sound{Name: "Audio device", Description: "rev 03"}},
		{"subclass without name", nil,
			pciDevice{Address: "0000:00:1f.0", Vendor: "8086", Device: "2918", Class: "0b1000"},
			Controller{Caption: "Processor", Name: "Processor", PCIClass: "0b10", PCISlot: "00:1f.0",
				ProductID: "2918", Type: "Processor", VendorID: "8086"},
			Video{Name: "Processor", Chipset: "Processor", PCISlot: "00:1f.0"},
			Sound{Name: "Processor"}},
		{"class without name", nil,
			pciDevice{Address: "0000:05:00.0", Vendor: "abcd", Device: "0001", Class: "140000"},
			Controller{Caption: "PCI device", Name: "PCI device", PCIClass: "1400", PCISlot: "05:00.0",
				ProductID: "0001", VendorID: "abcd"},
			Video{Name: "PCI device", PCISlot: "05:00.0"},
			Sound{Name: "Audio device"}},
		{"known maker, unknown product", intelOnly,
			pciDevice{Address: "0000:00:02.0", Vendor: "8086", Device: "a7a0", Class: "030000", Revision: "04"},
			Controller{Caption: "VGA compatible controller", Manufacturer: "Intel Corporation", Name: "VGA compatible controller",
				PCIClass: "0300", PCISlot: "00:02.0", ProductID: "a7a0", Rev: "04", Type: "VGA compatible controller", VendorID: "8086"},
			Video{Name: "Intel Corporation VGA compatible controller", Chipset: "VGA compatible controller", PCISlot: "00:02.0"},
			Sound{Name: "VGA compatible controller", Manufacturer: "Intel Corporation", Description: "rev 04"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.ids.names(tt.dev)
			if got := controllerFrom(tt.dev, n); got != tt.controller {
				t.Errorf("controllerFrom(%+v) = %+v, want %+v", tt.dev, got, tt.controller)
			}
			if got := videoFrom(tt.dev, n); got != tt.video {
				t.Errorf("videoFrom(%+v) = %+v, want %+v", tt.dev, got, tt.video)
			}
			if got := soundFrom(tt.dev, n); got != tt.sound {
				t.Errorf("soundFrom(%+v) = %+v, want %+v", tt.dev, got, tt.sound)
			}
		})
	}
}

func TestParseUSBIDs(t *testing.T) {
	const db = "046d  Logitech, Inc.\n\tc52b  Unifying Receiver\n\t\t0000  an interface\n1d6b  Linux Foundation\n\t0002  2.0 root hub\nC 09  Hub\n\t00  Unused\n"
	got, err := parseUSBIDs(strings.NewReader(db), map[string]bool{"046d": true})
	want := usbIDs{"046d": "Logitech, Inc.", "046d:c52b": "Unifying Receiver"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseUSBIDs() = %v, %v, want %v", got, err, want)
	}
}

// TestBatteryValues checks the battery rules against the official agent's
// (GLPI::Agent::Tools::Batteries), whose Perl gives the same serials for
// these inputs.
func TestBatteryValues(t *testing.T) {
	serials := []struct {
		in   string
		ok   bool
		want string
	}{
		{"2677", true, "2677"}, {"0A75", true, "2677"}, {"0a75", true, "2677"},
		{"  123", true, "123"}, {"123 ", true, "123"}, {"ABCD", true, "43981"},
		{"00123", true, "291"}, {"0", true, "0"}, {"0000", true, "0"}, {"", true, ""},
		{"SN 12  34", true, "SN 12 34"}, {"9A1B2C3D4E", true, "661880847694"},
		{"DELL-0A75", true, "DELL-0A75"}, {"", false, "0"},
	}
	for _, tt := range serials {
		if got := batterySerial(tt.in, tt.ok); got != tt.want {
			t.Errorf("batterySerial(%q, %v) = %q, want %q", tt.in, tt.ok, got, tt.want)
		}
	}
	makers := map[string]string{
		"SMP": "SMP", "Samsung SDI": "Samsung", "SONY": "Sony", "LG Chem": "Lg", "LGC": "LGC",
		"HP": "Hewlett-Packard", "Hewlett-Packard": "Hewlett-Packard", " Celxpert ": "Celxpert", "": "",
	}
	for in, want := range makers {
		if got := canonicalMaker(in); got != want {
			t.Errorf("canonicalMaker(%q) = %q, want %q", in, got, want)
		}
	}
	// 4,400 mAh at 11,100 mV; and 5,234 mAh (5,234,567 µAh) at 11,400 mV
	// (11,400,500 µV), where converting the µAh would give 59,678.
	for _, tt := range []struct {
		mAh, mV int64
		want    int
	}{{4400, 11100, 48840}, {5234, 11400, 59667}, {4400, 0, 0}} {
		if got := chargeMWh(tt.mAh, tt.mV); got != tt.want {
			t.Errorf("chargeMWh(%d, %d) = %d, want %d", tt.mAh, tt.mV, got, tt.want)
		}
	}
	dates := map[string]string{
		"07/15/2020": "2020-07-15", "2020-07-15": "2020-07-15", "7/6/19": "2019-07-06",
		"12/31/98": "1998-12-31", "15/07/2020": "", "": "", "Unknown": "",
	}
	for in, want := range dates {
		if got := smbiosBatteryDate(in); got != want {
			t.Errorf("smbiosBatteryDate(%q) = %q, want %q", in, got, want)
		}
	}
	codes := map[uint32]string{0x4E4F494C: "LION", 0x0050694C: "LiP", 0x492D694C: "Li-I", 0: "", 0x01020304: ""}
	for in, want := range codes {
		if got := batteryChemistryCode(in); got != want {
			t.Errorf("batteryChemistryCode(%#x) = %q, want %q", in, got, want)
		}
	}
	if got := batteryDate(2019, 7, 6); got != "2019-07-06" {
		t.Errorf("batteryDate(2019, 7, 6) = %q, want 2019-07-06", got)
	}
}

func TestUSBClass(t *testing.T) {
	tests := map[string]string{"09": "9", "ef": "239", "ff": "255", "": "", "zz": ""}
	for in, want := range tests {
		if got := usbClass(in); got != want {
			t.Errorf("usbClass(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseSMBIOS feeds the SMBIOS parser and every decoder of its
// structures (memory, processors, batteries, power supplies) tables of
// any shape: none may panic or read past a structure.
func FuzzParseSMBIOS(f *testing.F) {
	f.Add(smbiosStructure(smbiosMemoryDevice, 1, memoryDevice(1, 1024, 0, 9, 26, 2400), "A", "B", "C", "D", "E"))
	f.Add([]byte{17, 4, 0, 0, 0, 0})
	f.Add(smbiosTestCPUs())
	f.Add(portableBattery(1, "Front", "SMP", "", "", "00HW023", 2, 2354, 11400, "03.01", 0x021D, sbdsDate(2018, 5, 24), "LiP"))
	f.Add(powerSupply(0x27, 495, 0x1183, "PSU1", "PWR SPLY", "DELL", "CN17", "", "0N1ND3A00", "A00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		structs, _ := parseSMBIOS(b)
		memoriesFromSMBIOS(structs)
		smbiosCPUs(structs)
		smbiosBatteries(structs)
		powerSuppliesFromSMBIOS(structs)
	})
}

// BenchmarkPCIIDs looks a handful of devices up in the host's pci.ids, as
// the controllers collector does at every inventory.
func BenchmarkPCIIDs(b *testing.B) {
	db, err := os.ReadFile("/usr/share/misc/pci.ids")
	if err != nil {
		b.Skip("no pci.ids on this host")
	}
	devs := []pciDevice{
		{Vendor: "8086", Device: "a0e8", Class: "0c0330"},
		{Vendor: "10de", Device: "1f82", Class: "030000"},
		{Vendor: "1af4", Device: "1001", Class: "010000"},
	}
	b.SetBytes(int64(len(db)))
	for b.Loop() {
		parsePCIIDs(db, devs)
	}
}

// TestVideoNamesAsOfficial names graphics cards as the official agent does
// from lspci, on which GLPI keys graphics card models (name and chipset):
// pci.ids entries of their real shape, the card maker read from the
// subsystem vendor through parsePCIIDs.
func TestVideoNamesAsOfficial(t *testing.T) {
	const db = "1002  Advanced Micro Devices, Inc. [AMD/ATI]\n" +
		"\t1638  Cezanne [Radeon Vega Series / Radeon Vega Mobile Series]\n" +
		"\t73ff  Navi 23 [Radeon RX 6600/6600 XT/6600M]\n" +
		"\t7340  Navi 14\n" +
		"102b  Matrox Electronics Systems Ltd.\n\t0536  Integrated Matrox G200eW3 Graphics Controller\n" +
		"1462  Micro-Star International Co., Ltd. [MSI]\n" +
		"17aa  Lenovo\n" +
		"10de  NVIDIA Corporation\n\t1f99  TU117M [GeForce GTX 1650 Mobile / Max-Q]\n" +
		"C 03  Display controller\n\t00  VGA compatible controller\n\t02  3D controller\n"
	devs := []pciDevice{
		{Address: "0000:01:00.0", Vendor: "10de", Device: "1f99", SubVendor: "17aa", Class: "030200"},
		{Address: "0000:03:00.0", Vendor: "1002", Device: "73ff", SubVendor: "1462", Class: "030000"},
		{Address: "0000:04:00.0", Vendor: "1002", Device: "1638", SubVendor: "0000", Class: "030000"},
		{Address: "0000:05:00.0", Vendor: "1002", Device: "7340", SubVendor: "1462", Class: "030000"},
		{Address: "0000:06:00.0", Vendor: "102b", Device: "0536", SubVendor: "1028", Class: "030000"},
	}
	want := []Video{
		{Name: "Lenovo GeForce GTX 1650 Mobile / Max-Q", Chipset: "NVIDIA Corporation TU117M", PCISlot: "01:00.0"},
		{Name: "Micro-Star International Co., Ltd. [MSI] Radeon RX 6600/6600 XT/6600M", Chipset: "Advanced Micro Devices, Inc. [AMD/ATI] Navi 23", PCISlot: "03:00.0"},
		{Name: "Radeon Vega Series / Radeon Vega Mobile Series", Chipset: "Advanced Micro Devices, Inc. [AMD/ATI] Cezanne", PCISlot: "04:00.0"},
		// Without a bracketed name: lspci's description, and the class.
		{Name: "Advanced Micro Devices, Inc. [AMD/ATI] Navi 14", Chipset: "VGA compatible controller", PCISlot: "05:00.0"},
		{Name: "Matrox Electronics Systems Ltd. Integrated Matrox G200eW3 Graphics Controller", Chipset: "VGA compatible controller", PCISlot: "06:00.0"},
	}
	ids := parsePCIIDs([]byte(db), devs)
	for i, d := range devs {
		if got := videoFrom(d, ids.names(d)); got != want[i] {
			t.Errorf("videoFrom(%s) = %+v, want %+v", d.Address, got, want[i])
		}
	}
}
