package collectors

import (
	"cmp"
	"context"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// appleInc is how Apple names itself in system_profiler and firmware.
const appleInc = "Apple Inc."

// macChassis maps the machine names of system_profiler ("MacBook Pro") and
// the prefixes of model identifiers ("MacBookPro18,3") to SMBIOS chassis
// names. Apple silicon identifiers ("Mac14,9") name no family.
var macChassis = []struct{ prefix, chassis string }{
	{"MacBook", "Laptop"},
	{"iMac", "All In One"},
	{"Mac mini", "Mini PC"},
	{"Macmini", "Mini PC"},
	{"Mac Studio", "Desktop"},
	{"Mac Pro", "Tower"},
	{"MacPro", "Tower"},
	{"Xserve", "Rack Mount Chassis"},
}

// macChassisType returns the chassis of a Mac from its machine name, else
// its model identifier.
func macChassisType(name, model string) string {
	for _, s := range []string{name, model} {
		for _, c := range macChassis {
			if strings.HasPrefix(s, c.prefix) {
				return c.chassis
			}
		}
	}
	return ""
}

// macVMSystem names the hypervisor of a virtual Mac from its model
// identifier, "Physical" on real hardware. vmmPresent is kern.hv_vmm_present.
// Without either nothing is known: "".
func macVMSystem(model, vmmPresent string) string {
	switch {
	case strings.HasPrefix(model, "VirtualMac"):
		return "Apple Virtualization"
	case strings.HasPrefix(model, "VMware"):
		return "VMware"
	case strings.HasPrefix(model, "Parallels"):
		return "Parallels"
	case strings.HasPrefix(model, "VirtualBox"):
		return "VirtualBox"
	case vmmPresent == "1":
		return "Virtual Machine"
	case model == "" && vmmPresent == "":
		return ""
	}
	return "Physical"
}

func macHardware(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	hw := r.hardware()
	out := Hardware{
		Name:        macComputerName(h, r),
		UUID:        macPlatformUUID(r),
		ChassisType: macChassisType(hw.MachineName, hw.MachineModel),
		VMSystem:    macVMSystem(cmp.Or(hw.MachineModel, h.sysctlValue("hw.model")), h.sysctlValue("kern.hv_vmm_present")),
	}
	if n, err := strconv.ParseUint(h.sysctlValue("hw.memsize"), 10, 64); err == nil {
		out.Memory = int(n >> 20)
	} else {
		out.Memory = int(parseSizeBytes(hw.PhysicalMemory, true) >> 20)
	}
	if s, ok := primaryService(r.Network); ok {
		out.DefaultGateway = s.IPv4.Router
		out.DNS = strings.Join(s.DNS.ServerAddresses, "/")
	}
	if out == (Hardware{}) {
		return nil, NoData("no hardware overview")
	}
	return &out, nil
}

// macComputerName is the name GLPI gets for the Mac: its computer name
// ("Abdul’s MacBook Pro", which system_profiler calls local_host_name), as
// the official agent sends it (MacOS/Hostname.pm). GLPI shows and searches
// computers by it, so a Mac moved from the official agent keeps its name;
// a Mac without one is named by its host name.
func macComputerName(h *macHost, r *spReport) string {
	return cmp.Or(strings.TrimSpace(r.software().LocalHostName), shortHostname(h.sysctlValue("kern.hostname")))
}

func macBIOS(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	hw := r.hardware()
	if hw.MachineModel == "" && hw.SerialNumber == "" {
		return nil, NoData("no hardware overview")
	}
	return &BIOS{
		BManufacturer: appleInc,
		BVersion:      spValue(hw.BootROMVersion),
		SManufacturer: appleInc,
		SModel:        hw.MachineModel,
		SKUNumber:     spValue(hw.ModelNumber),
		SSN:           macSerial(r),
		MManufacturer: appleInc,
		MModel:        hw.MachineModel,
	}, nil
}

func macCPUs(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	hw := r.hardware()
	pc := parseNumberProcessors(hw.NumberProcessors)
	levels := macCoreLevels(h, pc)
	arch := macMachineArch(h, hw)
	c := CPU{
		Name:  macCPUName(h.sysctlValue("machdep.cpu.brand_string"), hw),
		Arch:  arch,
		Core:  cmp.Or(atoi(h.sysctlValue("hw.physicalcpu")), sumCores(levels), pc.total),
		Speed: parseSpeedMHz(hw.CurrentSpeed),
	}
	c.Thread = cmp.Or(atoi(h.sysctlValue("hw.logicalcpu")), c.Core)
	// Intel Macs with Hyper-Threading run two threads a core; system_profiler
	// counts the cores only.
	if atoi(h.sysctlValue("hw.logicalcpu")) == 0 && hw.HyperThreading == "htt_enabled" {
		c.Thread = 2 * c.Core
	}
	if c.Name == "" && c.Core == 0 {
		return nil, NoData("no processor")
	}
	switch {
	case strings.HasPrefix(c.Name, "Apple"), arch == "arm64":
		c.Manufacturer = "Apple"
	case strings.Contains(c.Name, "Intel"):
		c.Manufacturer = "Intel"
		c.FamilyNumber = h.sysctlValue("machdep.cpu.family")
		c.Model = h.sysctlValue("machdep.cpu.model")
		c.Stepping = atoi(h.sysctlValue("machdep.cpu.stepping"))
	}
	if len(levels) > 1 {
		c.Description = coreLevelsText(levels)
	}
	// A Mac Pro may hold two Xeons; their cores and threads are shared.
	n := max(hw.Packages, 1)
	c.Core, c.Thread = c.Core/n, c.Thread/n
	cpus := make([]CPU, n)
	for i := range cpus {
		cpus[i] = c
	}
	return cpus, nil
}

// macCPUName names the processor: the brand string, else the chip or CPU
// type of the hardware overview. A process translated by Rosetta sees a
// brand string "VirtualApple @ 2.50GHz" and a CPU type "Unknown", which
// name nothing.
func macCPUName(brand string, hw spHardware) string {
	if strings.HasPrefix(brand, "VirtualApple") {
		brand = ""
	}
	return cmp.Or(spValue(brand), spValue(hw.ChipType), spValue(hw.CPUType))
}

// macCoreLevels returns the performance levels of the cores, from the
// hw.perflevel<n> sysctls, else from number_processors.
func macCoreLevels(h *macHost, pc processorCount) []coreLevel {
	var out []coreLevel
	for i := range atoi(h.sysctlValue("hw.nperflevels")) {
		p := "hw.perflevel" + strconv.Itoa(i) + "."
		if n := atoi(h.sysctlValue(p + "physicalcpu")); n > 0 {
			out = append(out, coreLevel{cmp.Or(h.sysctlValue(p+"name"), "level "+strconv.Itoa(i)), n})
		}
	}
	if len(out) == 0 {
		return pc.levels
	}
	return out
}

// sumCores returns the number of cores of all levels.
func sumCores(levels []coreLevel) int {
	n := 0
	for _, l := range levels {
		n += l.cores
	}
	return n
}

// coreLevelsText describes the levels: "6 super and 12 performance cores".
func coreLevelsText(levels []coreLevel) string {
	parts := make([]string, len(levels))
	for i, l := range levels {
		parts[i] = strconv.Itoa(l.cores) + " " + strings.ToLower(l.name)
	}
	last := len(parts) - 1
	if last == 0 {
		return parts[0] + " cores"
	}
	return strings.Join(parts[:last], ", ") + " and " + parts[last] + " cores"
}

// macMachineArch returns the machine's architecture. An Apple silicon Mac
// is arm64 whoever asks: a process translated by Rosetta reads x86_64 in
// hw.machine, but hw.optional.arm64 still says 1.
func macMachineArch(h *macHost, hw spHardware) string {
	if h.sysctlValue("hw.optional.arm64") == "1" {
		return "arm64"
	}
	return cmp.Or(h.sysctlValue("hw.machine"), macArch(hw))
}

// macArch tells the architecture from the hardware overview when sysctl
// is absent: Apple silicon has a chip type, or a model identifier of an
// Apple silicon generation (a translated system_profiler prints a CPU
// type "Unknown" and a made-up speed instead of the chip); Intel Macs have
// a CPU type or a processor speed.
func macArch(hw spHardware) string {
	switch {
	case hw.ChipType != "", appleSiliconModel(hw.MachineModel):
		return "arm64"
	case hw.CPUType != "", hw.CurrentSpeed != "":
		return "x86_64"
	}
	return ""
}

// appleSiliconFirst is the first Apple silicon generation of each model
// family that had Intel generations; later families ("Mac14,2",
// "VirtualMac2,1") are all Apple silicon.
var appleSiliconFirst = map[string]int{
	"MacBookAir": 10, "MacBookPro": 17, "Macmini": 9, "iMac": 21,
	"Mac": 1, "VirtualMac": 1,
}

// appleSiliconModel reports whether a model identifier ("MacBookAir10,1")
// is of an Apple silicon generation.
func appleSiliconModel(model string) bool {
	i := strings.IndexFunc(model, unicode.IsDigit)
	if i <= 0 {
		return false
	}
	first, ok := appleSiliconFirst[model[:i]]
	major, _, _ := strings.Cut(model[i:], ",")
	return ok && atoi(major) >= first
}

// spMemory is an SPMemoryDataType entry: on Apple silicon the unified
// memory itself, on Intel Macs the list of slots.
type spMemory struct {
	Size         string     `json:"SPMemoryDataType"`
	Manufacturer string     `json:"dimm_manufacturer"`
	Type         string     `json:"dimm_type"`
	Slots        []spMemory `json:"_items"`
	Name         string     `json:"_name"`
	PartNumber   string     `json:"dimm_part_number"`
	Serial       string     `json:"dimm_serial_number"`
	DIMMSize     string     `json:"dimm_size"`
	Speed        string     `json:"dimm_speed"`
	Status       string     `json:"dimm_status"`
	ECC          string     `json:"global_ecc_state"`
}

func macMemories(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	return memoriesFromProfile(r.Memory), nil
}

// memoriesFromProfile lists the memory modules as the official agent's
// macOS module does, GLPI filing memory under models named from type and
// description: a module's part number as its description, its status as
// its caption ("Status: OK"), no maker; a slot named "…DIMM<n>…" numbered
// n ("BANK 0/DIMM0" and "BANK 1/DIMM0" are both 0), others (a virtual
// machine's "RAM slot #2", which the official agent leaves out) by their
// place. Apple silicon's memory is one "Integrated memory" module.
func memoriesFromProfile(entries []spMemory) []Memory {
	var out []Memory
	for _, e := range entries {
		if e.Size != "" {
			out = append(out, Memory{
				Capacity:    int(parseSizeBytes(e.Size, true) >> 20),
				Description: "Integrated memory",
				Type:        spValue(e.Type),
			})
			continue
		}
		correction := ""
		if e.ECC == "ecc_enabled" {
			correction = "Single-bit ECC"
		}
		for i, s := range e.Slots {
			size := int(parseSizeBytes(s.DIMMSize, true) >> 20)
			if size == 0 {
				continue
			}
			m := Memory{
				Capacity:         size,
				Description:      hexText(spValue(s.PartNumber)),
				SerialNumber:     spValue(s.Serial),
				Type:             spValue(s.Type),
				MemoryCorrection: correction,
				NumSlots:         i,
			}
			if n, ok := dimmNumber(s.Name); ok {
				m.NumSlots = n
			}
			if st := spValue(s.Status); st != "" {
				m.Caption = "Status: " + macDIMMStatus(st)
			}
			if mhz := parseSpeedMHz(s.Speed); mhz > 0 {
				m.Speed = strconv.Itoa(mhz)
			}
			out = append(out, m)
		}
	}
	return out
}

// dimmNumber returns the digit of the first "DIMM<digit>" of a slot's name.
func dimmNumber(name string) (int, bool) {
	for {
		_, after, ok := strings.Cut(name, "DIMM")
		if !ok {
			return 0, false
		}
		if after != "" && after[0] >= '0' && after[0] <= '9' {
			return int(after[0] - '0'), true
		}
		name = after
	}
}

// macDIMMStatus words a module's status as system_profiler's text output
// does, which the official agent reads: "ok" is "OK".
func macDIMMStatus(s string) string {
	if strings.EqualFold(s, "ok") {
		return "OK"
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// spDiskBus is a controller of SPNVMeDataType or SPSerialATADataType with
// its drives.
type spDiskBus struct {
	Name  string   `json:"_name"`
	Items []spDisk `json:"_items"`
}

// spDisk is a drive of an NVMe or SATA controller.
type spDisk struct {
	Name        string `json:"_name"`
	BSDName     string `json:"bsd_name"`
	Model       string `json:"device_model"`
	Revision    string `json:"device_revision"`
	Serial      string `json:"device_serial"`
	SizeInBytes uint64 `json:"size_in_bytes"`
	Size        string `json:"size"`
	MediumType  string `json:"spsata_medium_type"`
}

func macStorages(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	var out []Storage
	for _, bus := range []struct {
		iface string
		ctrls []spDiskBus
	}{{"NVME", r.NVMe}, {"SATA", r.SATA}} {
		for _, ctrl := range bus.ctrls {
			for _, d := range ctrl.Items {
				out = append(out, storageFromDisk(d, bus.iface))
			}
		}
	}
	return out, nil
}

// opticalDrive matches the models of optical drives: "VMware Virtual SATA
// CDRW Drive", "HL-DT-ST DVD-RW GS21N", "MATSHITA DVD-R UJ-8A8", Apple's
// "SuperDrive".
var opticalDrive = lazyRE(`(?i)\b(CD|DVD|BD|CDRW|CD-RW|DVD-?RW|DVD-?R|DVD-?RAM|BD-?RE|Blu-?ray|SuperDrive|Optical)\b`)

// storageFromDisk describes a drive attached to iface ("NVME", "SATA"). An
// optical drive is a "cdrom", as the Linux collector types one: it has no
// BSD name or size while it holds no disc, which makes it no disk.
func storageFromDisk(d spDisk, iface string) Storage {
	model := cmp.Or(spValue(d.Model), spValue(d.Name))
	size := d.SizeInBytes
	if size == 0 {
		size = parseSizeBytes(d.Size, false)
	}
	s := Storage{
		Name:         d.BSDName,
		Model:        model,
		Serial:       spValue(d.Serial),
		Firmware:     strings.TrimRight(spValue(d.Revision), "."),
		DiskSize:     int(size / 1_000_000),
		Interface:    iface,
		Description:  diskDescription(iface),
		Manufacturer: diskManufacturer("", model),
		Type:         "disk",
	}
	if strings.HasPrefix(strings.ToUpper(model), "APPLE") {
		s.Manufacturer = appleInc
	}
	if opticalDrive.MatchString(model) {
		s.Type = "cdrom"
	}
	return s
}

// spGPU is an SPDisplaysDataType entry: a graphics processor and the
// displays attached to it.
type spGPU struct {
	Name     string      `json:"_name"`
	Model    string      `json:"sppci_model"`
	VRAM     string      `json:"spdisplays_vram"`
	VRAMDyn  string      `json:"spdisplays_vram_shared"`
	Vendor   string      `json:"spdisplays_vendor"`
	Cores    string      `json:"sppci_cores"`
	Displays []spDisplay `json:"spdisplays_ndrvs"`
}

// spDisplay is a display attached to a graphics processor.
type spDisplay struct {
	Name       string `json:"_name"`
	ProductID  string `json:"_spdisplays_display-product-id"`
	Serial     string `json:"_spdisplays_display-serial-number"`
	VendorID   string `json:"_spdisplays_display-vendor-id"`
	Week       string `json:"_spdisplays_display-week"`
	Year       string `json:"_spdisplays_display-year"`
	Pixels     string `json:"_spdisplays_pixels"`
	Resolution string `json:"_spdisplays_resolution"`
	Connection string `json:"spdisplays_connection_type"`
	Main       string `json:"spdisplays_main"`
}

func macVideos(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	var out []Video
	for _, g := range r.Displays {
		// A graphics processor system_profiler cannot name (a virtual
		// machine's) is named by a localisation key, which names nothing.
		name := cmp.Or(spValue(g.Model), spValue(g.Name))
		v := Video{
			Name:    name,
			Chipset: name,
			Memory:  int(parseSizeBytes(cmp.Or(g.VRAM, g.VRAMDyn), true) >> 20),
		}
		for _, d := range g.Displays {
			if res := pixelResolution(d.Pixels); res != "" && (v.Resolution == "" || d.Main == "spdisplays_yes") {
				v.Resolution = res
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// pixelResolution turns "3024 x 1964" into "3024x1964".
func pixelResolution(s string) string {
	w, h, ok := strings.Cut(s, " x ")
	if !ok || atoi(w) == 0 || atoi(h) == 0 {
		return ""
	}
	return strings.TrimSpace(w) + "x" + strings.TrimSpace(h)
}

func macMonitors(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	// The EDIDs of the I/O Registry give the serials the other systems
	// give (mac_ioreg.go).
	edids := macDisplayEDIDs(ctx, env, r.Displays)
	var out []Monitor
	for _, g := range r.Displays {
		for _, d := range g.Displays {
			// A display without a name or an EDID, such as a virtual
			// machine's framebuffer, is no monitor GLPI could tell apart.
			if m := edids.monitor(d); m.Name != "" || m.Serial != "" || m.Manufacturer != "" {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// monitorFromDisplay describes a display. system_profiler gives its EDID's
// maker, product code, week, year and numeric serial (in hex), but not the
// EDID's descriptors: maker, serial and date follow the EDID rules
// (edid_rules.go) for a monitor without a serial descriptor, so that such a
// monitor keeps its GLPI record when it moves between a Mac and a PC.
func monitorFromDisplay(d spDisplay) Monitor {
	name := spValue(d.Name)
	m := Monitor{Name: name, Caption: name}
	year := atoi(d.Year)
	serial, serialErr := strconv.ParseUint(strings.TrimPrefix(d.Serial, "0x"), 16, 32)
	if serialErr != nil {
		m.Serial = spValue(d.Serial)
	}
	if pnp := pnpFromVendorID(d.VendorID); pnp != "" {
		e := edidInfo{vendor: pnp, week: atoi(d.Week), year: year, serial: uint32(serial)}
		if n, err := strconv.ParseUint(strings.TrimPrefix(d.ProductID, "0x"), 16, 16); err == nil {
			e.product = uint16(n)
		}
		r := monitorFromEDID(e)
		m.Manufacturer = r.Manufacturer
		if serialErr == nil {
			m.Serial, m.AltSerial = r.Serial, r.AltSerial
		}
		if year > 0 && d.Week != "" {
			m.Description = r.Description
		}
	} else if serialErr == nil {
		m.Serial = edidInfo{serial: uint32(serial)}.stdSerial()
	}
	if year > 0 && m.Description == "" {
		m.Description = strconv.Itoa(year)
	}
	if d.Connection == "spdisplays_internal" {
		m.Port = "Internal"
	}
	return m
}

// pnpFromVendorID decodes the three-letter PNP id packed in an EDID vendor
// id, five bits a letter ("610" is "APP"), as the EDID decoder does: a
// letter out of A-Z stays what it decodes to ("1006" is "D@F"), so that
// the monitor is named alike on every system. An unset id is "".
func pnpFromVendorID(s string) string {
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 16)
	if err != nil || n == 0 {
		return ""
	}
	var b [3]byte
	for i := range b {
		b[i] = byte(n>>(10-5*i)&0x1f) + 'A' - 1
	}
	return string(b[:])
}

// spAudioGroup is the SPAudioDataType entry listing audio devices.
type spAudioGroup struct {
	Items []spAudioDevice `json:"_items"`
}

// spAudioDevice is a Core Audio device.
type spAudioDevice struct {
	Name         string `json:"_name"`
	Manufacturer string `json:"coreaudio_device_manufacturer"`
	Transport    string `json:"coreaudio_device_transport"`
	Inputs       int    `json:"coreaudio_device_input"`
	Outputs      int    `json:"coreaudio_device_output"`
}

func macSounds(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	var out []Sound
	for _, g := range r.Audio {
		for _, d := range g.Items {
			s := Sound{Name: d.Name, Caption: d.Name, Manufacturer: clean(d.Manufacturer)}
			switch {
			case d.Inputs > 0 && d.Outputs > 0:
				s.Description = "input and output"
			case d.Inputs > 0:
				s.Description = "input"
			case d.Outputs > 0:
				s.Description = "output"
			}
			if t, ok := strings.CutPrefix(d.Transport, "coreaudio_device_type_"); ok && s.Description != "" {
				s.Description += ", " + t
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// spUSBNode is a node of the USB tree: a bus, hub or device. macOS 26
// names the keys of SPUSBHostDataType differently from SPUSBDataType's.
type spUSBNode struct {
	Name         string      `json:"_name"`
	VendorID     string      `json:"vendor_id"`
	ProductID    string      `json:"product_id"`
	Serial       string      `json:"serial_num"`
	Manufacturer string      `json:"manufacturer"`
	HostVendorID string      `json:"USBDeviceKeyVendorID"`
	HostProduct  string      `json:"USBDeviceKeyProductID"`
	HostSerial   string      `json:"USBDeviceKeySerialNumber"`
	HostVendor   string      `json:"USBDeviceKeyVendorName"`
	Items        []spUSBNode `json:"_items"`
}

func macUSB(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	var out []USBDevice
	var walk func([]spUSBNode)
	walk = func(nodes []spUSBNode) {
		for _, n := range nodes {
			if d, ok := usbFromNode(n); ok {
				out = append(out, d)
			}
			walk(n.Items)
		}
	}
	walk(r.USB)
	walk(r.USBHost)
	return out, nil
}

// usbFromNode describes a USB device; buses have no vendor id and are no
// device.
func usbFromNode(n spUSBNode) (USBDevice, bool) {
	vendor := usbVendorID(cmp.Or(n.VendorID, n.HostVendorID))
	if vendor == "" {
		return USBDevice{}, false
	}
	d := USBDevice{
		Name:         n.Name,
		Caption:      n.Name,
		VendorID:     vendor,
		ProductID:    hexID(firstField(cmp.Or(n.ProductID, n.HostProduct))),
		Serial:       clean(cmp.Or(n.Serial, n.HostSerial)),
		Manufacturer: clean(cmp.Or(n.Manufacturer, n.HostVendor)),
	}
	if d.Manufacturer == "" && vendor == "05ac" {
		d.Manufacturer = appleInc
	}
	return d, true
}

// usbVendorID reads a vendor id as system_profiler prints it: "0x046d",
// "0x046d  (Logitech Inc.)", or "apple_vendor_id" for Apple's.
func usbVendorID(s string) string {
	if strings.HasPrefix(s, "apple_vendor_id") {
		return "05ac"
	}
	return hexID(firstField(s))
}

// firstField returns the first word of s.
func firstField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// spPower is an SPPowerDataType entry; the battery's carries its model
// and health.
type spPower struct {
	Name  string `json:"_name"`
	Model struct {
		DeviceName   string `json:"sppower_battery_device_name"`
		Manufacturer string `json:"sppower_battery_manufacturer"`
		Serial       string `json:"sppower_battery_serial_number"`
	} `json:"sppower_battery_model_info"`
	Health struct {
		CycleCount  int    `json:"sppower_battery_cycle_count"`
		Condition   string `json:"sppower_battery_health"`
		MaxCapacity string `json:"sppower_battery_health_maximum_capacity"`
	} `json:"sppower_battery_health_info"`
}

func macBatteries(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	var out []Battery
	for _, p := range r.Power {
		if p.Name != "spbattery_information" {
			continue
		}
		// Macs report a battery's health in percent, not in mWh: the
		// schema has no field for it.
		out = append(out, Battery{
			Name:         clean(p.Model.DeviceName),
			Manufacturer: clean(p.Model.Manufacturer),
			Serial:       clean(p.Model.Serial),
		})
	}
	return out, nil
}
