package collectors

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

type win32Processor struct {
	Name, Manufacturer, Description, ProcessorId, SerialNumber string
	NumberOfCores, NumberOfEnabledCore                         uint32
	NumberOfLogicalProcessors, MaxClockSpeed, ExtClock         uint32
	Architecture                                               uint16
}

// processorArchs maps Win32_Processor.Architecture to the schema's names.
var processorArchs = map[uint16]string{0: "i686", 5: "arm", 9: "x86_64", 12: "aarch64"}

var cpuDescription = lazyRE(`Family (\d+) Model (\d+) Stepping (\d+)`)

// cpuID returns a ProcessorId ("BFEBFBFF000906A3", the CPUID feature flags
// then signature) as the official agent sends it: as Windows gives it.
func cpuID(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// winCPUs builds the cpus section, one entry per socket. The brand string,
// identifier and vendor come from the registry key of the socket's first
// logical processor, WMI's values being stale on older Windows.
func winCPUs(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	procs, err := queryWMI[win32Processor](h.wmi, "Win32_Processor", "")
	if err != nil {
		return nil, fmt.Errorf("query Win32_Processor: %w", err)
	}
	// The official agent prefers dmidecode's values, on every Windows but
	// Server 2003; without a table, Windows' values are its own too.
	server2003 := winServer2003(h.reg)
	var dmi []smbiosCPU
	if !server2003 {
		structs, _ := winSMBIOS(env, h)
		dmi = smbiosCPUs(structs)
	}
	out := make([]CPU, 0, len(procs))
	logical := 0
	for i, p := range procs {
		r := winCPURegistry(h.reg, logical)
		logical += int(cmp.Or(p.NumberOfLogicalProcessors, 1))
		cores := cmp.Or(p.NumberOfEnabledCore, p.NumberOfCores)
		vendor := cmp.Or(r.vendor, p.Manufacturer)
		c := CPU{
			Name:          cpuName(cmp.Or(r.name, p.Name)),
			Manufacturer:  cmp.Or(cpuVendors[vendor], clean(vendor)),
			Description:   cmp.Or(r.identifier, strings.TrimSpace(p.Description)),
			Arch:          processorArchs[p.Architecture],
			Core:          int(cores),
			CoreCount:     int(p.NumberOfCores),
			Thread:        cpuThreads(p.NumberOfLogicalProcessors, cores),
			ExternalClock: int(p.ExtClock),
			ID:            cpuID(p.ProcessorId),
			Serial:        strings.Join(strings.Fields(clean(p.SerialNumber)), ""),
		}
		c.Speed = int(p.MaxClockSpeed)
		if !server2003 {
			c.Speed = cmp.Or(cpuNominalSpeed(c.Name), c.Speed)
		}
		c.Speed = cmp.Or(c.Speed, cpuSpeedFromName(c.Name))
		if m := cpuDescription.FindStringSubmatch(c.Description); m != nil {
			c.FamilyNumber, c.Model, c.Stepping = m[1], m[2], atoi(m[3])
		}
		if i < len(dmi) {
			mergeSMBIOSCPU(&c, dmi[i], int(p.MaxClockSpeed))
		}
		out = append(out, c)
	}
	return out, nil
}

// mergeSMBIOSCPU gives c the values the official agent takes from
// dmidecode before Windows' (Win32/CPU.pm), socket by socket in table
// order: GLPI files processors under models of name, maker ("Intel(R)
// Corporation", as the firmware writes it) and speed within 10 MHz. A
// value the table lacks keeps Windows'.
func mergeSMBIOSCPU(c *CPU, d smbiosCPU, maxClock int) {
	c.Name = cmp.Or(d.Name, c.Name)
	c.Manufacturer = cmp.Or(d.Manufacturer, c.Manufacturer)
	c.Core = cmp.Or(d.Core, c.Core)
	c.CoreCount = cmp.Or(d.CoreCount, c.CoreCount)
	c.Thread = cmp.Or(d.Thread, c.Thread)
	c.Serial = cmp.Or(d.Serial, c.Serial)
	c.ID = cmp.Or(d.ID, c.ID)
	c.ExternalClock = cmp.Or(d.ExternalClock, c.ExternalClock)
	c.Speed = cmp.Or(d.Speed, maxClock, cpuSpeedFromName(c.Name))
	if d.FamilyNumber != "0" && d.FamilyNumber != "" {
		c.FamilyNumber = d.FamilyNumber
	}
	if d.Model != "0" && d.Model != "" {
		c.Model = d.Model
	}
	c.Stepping = cmp.Or(d.Stepping, c.Stepping)
}

type win32PhysicalMemory struct {
	Capacity                                                         uint64
	DeviceLocator, BankLabel, Manufacturer, SerialNumber, PartNumber string
	Speed, SMBIOSMemoryType                                          uint32
	FormFactor, MemoryType                                           uint16
}

// wmiMemoryFormFactors names Win32_PhysicalMemory.FormFactor, a CIM
// enumeration that differs from SMBIOS's.
var wmiMemoryFormFactors = [...]string{
	1: "Other", 2: "SIP", 3: "DIP", 4: "ZIP", 5: "SOJ", 6: "Proprietary", 7: "SIMM",
	8: "DIMM", 9: "TSOP", 10: "PGA", 11: "RIMM", 12: "SODIMM", 13: "SRIMM", 14: "SMD",
	15: "SSMP", 16: "QFP", 17: "TQFP", 18: "SOIC", 19: "LCC", 20: "PLCC", 21: "BGA",
	22: "FPBGA", 23: "LGA",
}

// wmiMemoryTypes names Win32_PhysicalMemory.MemoryType, the CIM
// enumeration Windows gave before SMBIOSMemoryType (Windows 10): 0 is
// Unknown, 2 DRAM, 9 RAM, 20 DDR, 21 DDR2.
var wmiMemoryTypes = [...]string{
	1: "Other", 2: "DRAM", 3: "Synchronous DRAM", 4: "Cache DRAM", 5: "EDO",
	6: "EDRAM", 7: "VRAM", 8: "SRAM", 9: "RAM", 10: "ROM", 11: "Flash",
	12: "EEPROM", 13: "FEPROM", 14: "EPROM", 15: "CDRAM", 16: "3DRAM",
	17: "SDRAM", 18: "SGRAM", 19: "RDRAM", 20: "DDR", 21: "DDR2",
	22: "DDR2 FB-DIMM", 24: "DDR3", 25: "FBD2", 26: "DDR4",
}

// tableName returns names[n], "" when out of range.
func tableName(names []string, n uint32) string {
	if int(n) >= len(names) {
		return ""
	}
	return names[n]
}

// winMemories builds the memories section as the official agent does from
// dmidecode: from the SMBIOS table as on Linux (memoriesFromSMBIOS), else
// from Win32_PhysicalMemory, which gives the same strings: the slot's
// locator as caption, the form factor as description, slots numbered from
// 1, the rated speed (dmidecode's Speed, not the configured one), the maker
// and model as setMakerAsOfficial makes them. Win32_PhysicalMemory gives no
// module maker's JEDEC code, which the official agent reads only to tell
// KingMax and Positivo modules, and lists no empty slot, which dmidecode
// numbers. Firmware storage listed as memory (the BIOS ROM or flash) is
// left out.
func winMemories(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	// With dmidecode, the official agent reads memory from the SMBIOS
	// table (its Win32 module runs only without): so do we, as on Linux.
	// A table without memory devices (some hypervisors') says nothing of
	// the memory, which Windows then tells.
	structs, _ := winSMBIOS(env, h)
	if slices.ContainsFunc(structs, func(s smbiosStruct) bool { return s.Type == smbiosMemoryDevice }) {
		return memoriesFromSMBIOS(structs), nil
	}
	mods, err := queryWMI[win32PhysicalMemory](h.wmi, "Win32_PhysicalMemory", "")
	if err != nil {
		return nil, fmt.Errorf("query Win32_PhysicalMemory: %w", err)
	}
	type array struct{ MemoryErrorCorrection uint16 }
	arr, _ := queryFirst[array](h.wmi, "Win32_PhysicalMemoryArray")
	type bios struct{ Manufacturer, SMBIOSBIOSVersion string }
	fw, err := queryFirst[bios](h.wmi, "Win32_BIOS")
	if err != nil {
		return nil, fmt.Errorf("query Win32_BIOS: %w", err)
	}
	vmDescription, vmMaker := hyperVMemory(clean(fw.Manufacturer), clean(fw.SMBIOSBIOSVersion))
	out := make([]Memory, 0, len(mods))
	for i, m := range mods {
		typ := winMemoryType(m.SMBIOSMemoryType, m.MemoryType)
		if typ == "ROM" || typ == "Flash" {
			continue
		}
		form := tableName(wmiMemoryFormFactors[:], uint32(m.FormFactor))
		mem := Memory{
			Capacity:         int(m.Capacity >> 20),
			Caption:          clean(m.DeviceLocator),
			Description:      cmp.Or(form, vmDescription),
			FormFactor:       form,
			SerialNumber:     clean(m.SerialNumber),
			NumSlots:         i + 1,
			MemoryCorrection: enumName(memoryCorrections[:], byte(arr.MemoryErrorCorrection)),
			Type:             typ,
		}
		if m.Speed > 0 {
			mem.Speed = strconv.Itoa(int(m.Speed))
		}
		mem.setMakerAsOfficial(clean(m.Manufacturer), clean(m.PartNumber), jedecID{}, vmMaker)
		out = append(out, mem)
	}
	return out, nil
}

type win32VideoController struct {
	Name, VideoProcessor, PNPDeviceID                                  string
	AdapterRAM, CurrentHorizontalResolution, CurrentVerticalResolution uint32
}

// winVideos builds the videos section, one entry per adapter name as the
// official agent sends it. The memory is the driver's record when there is
// one: AdapterRAM is a 32-bit count that stops at 4 GB.
func winVideos(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	vcs, err := queryWMI[win32VideoController](h.wmi, "Win32_VideoController", "")
	if err != nil {
		return nil, fmt.Errorf("query Win32_VideoController: %w", err)
	}
	out := make([]Video, 0, len(vcs))
	seen := map[string]bool{}
	for _, v := range vcs {
		if v.Name == "" || seen[v.Name] {
			continue
		}
		seen[v.Name] = true
		mem := uint64(v.AdapterRAM)
		if n, ok := winVideoMemory(h.reg, v.PNPDeviceID); ok {
			mem = n
		}
		vid := Video{Name: v.Name, Chipset: clean(v.VideoProcessor), Memory: int(mem >> 20)}
		if v.CurrentHorizontalResolution > 0 && v.CurrentVerticalResolution > 0 {
			vid.Resolution = fmt.Sprintf("%dx%d", v.CurrentHorizontalResolution, v.CurrentVerticalResolution)
		}
		out = append(out, vid)
	}
	return out, nil
}

// winSounds builds the sounds section.
func winSounds(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	type device struct{ Name, Manufacturer, Caption, Description string }
	devs, err := queryWMI[device](h.wmi, "Win32_SoundDevice", "")
	if err != nil {
		return nil, err
	}
	out := make([]Sound, 0, len(devs))
	for _, d := range devs {
		out = append(out, Sound{Name: d.Name, Manufacturer: d.Manufacturer, Caption: d.Caption, Description: d.Description})
	}
	return out, nil
}

type win32PnPEntity struct {
	Name, Caption, Manufacturer, PNPDeviceID, PNPClass, Service string
}

// pnpID is what a PnP device instance id tells: "USB\VID_046D&PID_C52B\5&2B…"
// or "PCI\VEN_8086&DEV_A0E8&SUBSYS_0A9F1028&REV_20\3&…".
type pnpID struct {
	bus      string
	fields   map[string]string // VID, PID, VEN, DEV, SUBSYS, REV, MI
	instance string
}

// parsePnPID splits a device instance id.
func parsePnPID(s string) pnpID {
	parts := strings.SplitN(s, `\`, 3)
	id := pnpID{bus: strings.ToUpper(parts[0]), fields: map[string]string{}}
	if len(parts) > 1 {
		for f := range strings.SplitSeq(parts[1], "&") {
			if k, v, ok := strings.Cut(f, "_"); ok {
				id.fields[strings.ToUpper(k)] = v
			}
		}
	}
	if len(parts) > 2 {
		id.instance = parts[2]
	}
	return id
}

// makerName drops Windows' generic "(Standard …)" makers.
func makerName(s string) string {
	if strings.HasPrefix(s, "(") {
		return ""
	}
	return clean(s)
}

// pnpEntities lists the present PnP devices.
func pnpEntities(h winHost) ([]win32PnPEntity, error) {
	return queryWMI[win32PnPEntity](h.wmi, "Win32_PnPEntity", "")
}

// winUSB builds the usbdevices section from the USB devices (winUSBDevice
// tells which), once each, named from usb.ids when it knows them.
func winUSB(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	ents, err := pnpEntities(h)
	if err != nil {
		return nil, fmt.Errorf("query Win32_PnPEntity: %w", err)
	}
	var out []USBDevice
	seen := map[string]bool{}
	vendors := map[string]bool{}
	for _, e := range ents {
		vid, pid, instance, ok := winUSBDevice(e.PNPDeviceID)
		if !ok {
			continue
		}
		serial, key := usbSerial(instance)
		if key = vid + "-" + pid + "-" + key; seen[key] {
			continue
		}
		seen[key] = true
		vendors[strings.ToLower(vid)] = true
		out = append(out, USBDevice{
			Name:         clean(e.Name),
			Caption:      clean(e.Caption),
			Manufacturer: makerName(e.Manufacturer),
			VendorID:     vid,
			ProductID:    pid,
			Serial:       serial,
		})
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := loadWinUSBIDs(winUSBIDsPaths(), vendors)
	for i := range out {
		u := &out[i]
		vid := strings.ToLower(u.VendorID)
		if v, ok := ids[vid]; ok && v != "" {
			u.Manufacturer = v
		}
		if p := ids[vid+":"+strings.ToLower(u.ProductID)]; p != "" {
			u.Name, u.Caption = p, p
		}
	}
	return out, nil
}

// winControllers builds the controllers section from the PCI devices as
// the official agent's Win32/Controllers.pm does, since GLPI keys
// controller models on name, maker and interface type: one entry per
// vendor and device id (the first), typed by its caption, which is what
// that module sends as the type. GLPI names the model and its maker from
// the ids when its PCI database knows them.
func winControllers(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	ents, err := pnpEntities(h)
	if err != nil {
		return nil, err
	}
	var out []Controller
	seen := map[[2]string]bool{}
	for _, e := range ents {
		id := parsePnPID(e.PNPDeviceID)
		vendor, product := strings.ToLower(id.fields["VEN"]), strings.ToLower(id.fields["DEV"])
		key := [2]string{vendor, product}
		if id.bus != "PCI" || vendor == "" || product == "" || seen[key] {
			continue
		}
		seen[key] = true
		c := Controller{
			Name:         e.Name,
			Caption:      e.Caption,
			Manufacturer: makerName(e.Manufacturer),
			Driver:       e.Service,
			Type:         e.Caption,
			VendorID:     vendor,
			ProductID:    product,
			Rev:          strings.ToLower(id.fields["REV"]),
		}
		// SUBSYS is the subsystem device id, then its vendor id.
		if ss := strings.ToLower(id.fields["SUBSYS"]); len(ss) == 8 && ss != "00000000" {
			c.PCISubsystemID = ss[4:] + ":" + ss[:4]
		}
		out = append(out, c)
	}
	return out, nil
}

// winMonitors builds the monitors section from the EDID Windows keeps for
// each present display.
func winMonitors(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	mons, err := queryWMI[win32PnPEntity](h.wmi, "Win32_PnPEntity", "PNPClass = 'Monitor'")
	if err != nil {
		return nil, err
	}
	var out []Monitor
	for _, m := range mons {
		v := openValues(h.reg, hklm, `SYSTEM\CurrentControlSet\Enum\`+m.PNPDeviceID+`\Device Parameters`, view64)
		raw := v.bin("EDID")
		v.close()
		e, err := parseEDID(raw)
		if err != nil {
			continue
		}
		mon := monitorFromEDID(e)
		mon.Base64 = base64.StdEncoding.EncodeToString(raw)
		mon.Caption = cmp.Or(mon.Caption, m.Name)
		out = append(out, mon)
	}
	return out, nil
}

// batteryChemistryCode reads the chemistry a battery's driver reports, four
// ASCII characters packed in BatteryStaticData.Chemistry ("LION", "LiP"),
// as powercfg's battery report prints it. "" when it holds no text.
func batteryChemistryCode(v uint32) string {
	var b []byte
	for ; v != 0; v >>= 8 {
		c := byte(v)
		if c == 0 {
			break
		}
		if c < ' ' || c > '~' {
			return ""
		}
		b = append(b, c)
	}
	return strings.TrimSpace(string(b))
}

// winBatteries builds the batteries section as the official agent does
// (Win32/Batteries.pm): dmidecode's batteries, read from the SMBIOS table,
// merged with those of powercfg's battery report. The report's are the
// battery driver's data in root\WMI: the name, maker, serial, four-letter
// chemistry and capacities; the table gives the design voltage and the
// manufacture date. Win32_Battery tells whether there is a battery driver
// to ask (on a desktop, root\WMI has no battery class), and its values
// stand for a battery the driver's data do not describe.
func winBatteries(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	type battery struct {
		Name                               string
		DesignCapacity, FullChargeCapacity uint32
		Chemistry                          uint16
	}
	type static struct {
		InstanceName, DeviceName, ManufactureName, SerialNumber string
		Chemistry, DesignedCapacity                             uint32
	}
	type full struct {
		InstanceName        string
		FullChargedCapacity uint32
	}
	bats, err := queryWMI[battery](h.wmi, "Win32_Battery", "")
	if err != nil {
		return nil, err
	}
	var reported []Battery
	if len(bats) > 0 {
		// A machine with a battery has its driver's data: without them the
		// names and chemistry would not be the official agent's.
		statics, err := queryWMI[static](h.wmi, `root\WMI:BatteryStaticData`, "")
		if err != nil {
			return nil, err
		}
		fulls, err := queryWMI[full](h.wmi, `root\WMI:BatteryFullChargedCapacity`, "")
		if err != nil {
			return nil, err
		}
		realCapacity := make(map[string]uint32, len(fulls))
		for _, f := range fulls {
			realCapacity[f.InstanceName] = f.FullChargedCapacity
		}
		for i, b := range bats {
			bat := Battery{
				Name:         strings.TrimSpace(b.Name),
				Chemistry:    enumName(smbiosBatteryChemistries[:], byte(b.Chemistry)),
				Capacity:     int(b.DesignCapacity),
				RealCapacity: int(b.FullChargeCapacity),
				Serial:       "0",
			}
			if i < len(statics) {
				s := statics[i]
				bat.Name = cmp.Or(strings.TrimSpace(s.DeviceName), bat.Name)
				bat.Manufacturer = strings.TrimSpace(s.ManufactureName)
				bat.Serial = batterySerial(s.SerialNumber, true)
				bat.Chemistry = cmp.Or(batteryChemistryCode(s.Chemistry), bat.Chemistry)
				bat.Capacity = cmp.Or(int(s.DesignedCapacity), bat.Capacity)
				if c, ok := realCapacity[s.InstanceName]; ok {
					bat.RealCapacity = cmp.Or(int(c), bat.RealCapacity)
				}
			}
			reported = append(reported, bat)
		}
	}
	structs, _ := winSMBIOS(env, h)
	return mergeBatteries(smbiosBatteries(structs), reported), nil
}

// mouseInterfaces names Win32_PointingDevice.DeviceInterface as the
// official agent does.
var mouseInterfaces = map[uint16]string{
	1: "Other", 2: "Unknown", 3: "Serial", 4: "PS/2", 5: "Infrared", 6: "HP-HIL",
	7: "Bus Mouse", 8: "ADB (Apple Desktop Bus)", 160: "Bus Mouse DB-9",
	161: "Bus Mouse Micro-DIN", 162: "USB",
}

// winInputs builds the inputs section: the keyboards, then the pointing
// devices, the first of each name only, as the official agent lists them
// (Win32/Inputs.pm). Every Windows has both classes: a query that fails,
// the class missing included, is the collector's error, since GLPI
// disconnects the peripherals an inventory leaves out.
func winInputs(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	type keyboard struct{ Name, Caption, Manufacturer, Description, Layout string }
	type pointer struct {
		Name, Caption, Manufacturer, Description string
		PointingType, DeviceInterface            uint16
	}
	keyboards, err := queryWMI[keyboard](h.wmi, "Win32_Keyboard", "")
	if err != nil {
		return nil, err
	}
	pointers, err := queryWMI[pointer](h.wmi, "Win32_PointingDevice", "")
	if err != nil {
		return nil, err
	}
	var out []Input
	seen := map[string]bool{}
	add := func(in Input) {
		if !seen[in.Name] {
			seen[in.Name] = true
			out = append(out, in)
		}
	}
	for _, k := range keyboards {
		add(Input{Name: k.Name, Caption: k.Caption, Manufacturer: k.Manufacturer, Description: k.Description, Layout: k.Layout})
	}
	for _, p := range pointers {
		in := Input{Name: p.Name, Caption: p.Caption, Manufacturer: p.Manufacturer, Description: p.Description,
			Interface: mouseInterfaces[p.DeviceInterface]}
		if p.PointingType != 0 {
			in.PointingType = strconv.Itoa(int(p.PointingType))
		}
		add(in)
	}
	return out, nil
}
