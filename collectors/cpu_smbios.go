package collectors

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// smbiosProcessor is the SMBIOS structure type of a processor.
const smbiosProcessor = 4

// smbiosCPU is what the official agent reads of a processor from
// dmidecode (getCpusFromDmidecode): the fields it prefers to Windows'.
type smbiosCPU struct {
	Name, Manufacturer, Serial, ID string
	FamilyNumber, Model            string
	Stepping                       int
	Core, CoreCount, Thread, Speed int
	ExternalClock                  int
}

// smbiosCPUs lists the processors of an SMBIOS table as the official
// agent reads them with dmidecode (GLPI::Agent::Tools::Generic's
// getCpusFromDmidecode): the populated and enabled sockets, but VMware's
// placeholders of zeros; the version as name, trademarks dropped; the
// speed its version ends with, else the current speed; the threads per
// enabled core, rounded up; the ID as Windows gives ProcessorId.
func smbiosCPUs(structs []smbiosStruct) []smbiosCPU {
	var out []smbiosCPU
	for _, s := range structs {
		status, ok := s.byteAt(0x18)
		if s.Type != smbiosProcessor || !ok || status&0x40 == 0 {
			continue
		}
		if st := status & 7; st == 2 || st == 3 {
			continue // disabled by the user or by the firmware
		}
		maker, version := dmidecodeValue(s.rawStr(0x07)), dmidecodeValue(s.rawStr(0x10))
		if maker == "000000000000" && version == strings.Repeat("0", 32) {
			continue
		}
		if strings.EqualFold(version, "Not Installed") {
			version = ""
		}
		c := smbiosCPU{
			Name:         cpuName(version),
			Manufacturer: maker,
			Serial:       strings.Join(strings.Fields(dmidecodeValue(s.rawStr(0x20))), ""),
		}
		count, enabled, threads := smbiosCount(s, 0x23, 0x2A), smbiosCount(s, 0x24, 0x2C), smbiosCount(s, 0x25, 0x2E)
		c.Core = cmp.Or(enabled, count)
		if threads > 0 && c.Core > 0 {
			c.Thread = (threads + c.Core - 1) / c.Core
		}
		if enabled > 0 && count > 0 && enabled != count {
			c.CoreCount = count
		}
		if id, ok := s.bytes(0x08, 8); ok {
			c.ID, c.FamilyNumber, c.Model, c.Stepping = smbiosCPUID(id)
		}
		c.Speed = cpuNominalSpeed(version)
		if cur, _ := s.word(0x16); c.Speed == 0 && cur >= 100 && cur <= 9999 {
			c.Speed = int(cur)
		}
		if ext, _ := s.word(0x12); ext > 0 {
			c.ExternalClock = int(ext)
		}
		out = append(out, c)
	}
	return out
}

// smbiosCount reads a processor's core or thread count: the byte at off,
// or past 255 (0xFF) the word SMBIOS 3.0 adds at off2.
func smbiosCount(s smbiosStruct, off, off2 int) int {
	b, ok := s.byteAt(off)
	if !ok {
		return 0
	}
	if b == 0xFF {
		if w, ok := s.word(off2); ok && w != 0xFFFF {
			return int(w)
		}
	}
	return int(b)
}

// smbiosCPUID reads a processor's ID (CPUID's signature, then its feature
// flags) as the official agent does from dmidecode's "ID: EA 06 08 00 FF
// FB EB BF": the bytes in reverse order ("BFEBFBFF000806EA", Windows'
// ProcessorId); the stepping, model and family from the signature's
// digits as it picks them (the family without the extended family, which
// it reads as leading digits). An ID of zeros (a virtual machine's) gives
// zeros, which leave Windows' family, model and stepping.
func smbiosCPUID(id []byte) (hexID, family, model string, stepping int) {
	var b strings.Builder
	for i := len(id) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "%02X", id[i])
	}
	// The digits of "EA 06 08 00": [0]E [1]A, [3]0 [4]6, [6]0 [7]8, [9]0 [10]0.
	d := fmt.Sprintf("%02X %02X %02X %02X", id[0], id[1], id[2], id[3])
	hex := func(s string) int64 { n, _ := strconv.ParseInt(s, 16, 64); return n }
	stepping = int(hex(d[1:2]))
	family = strconv.FormatInt(hex(d[9:11]+d[4:5]), 10)
	model = strconv.FormatInt(hex(d[7:8]+d[0:1]), 10)
	return b.String(), family, model, stepping
}
