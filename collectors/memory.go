package collectors

import (
	"encoding/hex"
	"math/bits"
	"strconv"
	"strings"
)

// Memory is one memory module of the memories section.
type Memory struct {
	Capacity         int    `json:"capacity,omitempty"`
	Caption          string `json:"caption,omitempty"`
	Description      string `json:"description,omitempty"`
	Manufacturer     string `json:"manufacturer,omitempty"`
	MemoryCorrection string `json:"memorycorrection,omitempty"`
	NumSlots         int    `json:"numslots,omitempty"`
	SerialNumber     string `json:"serialnumber,omitempty"`
	Model            string `json:"model,omitempty"`
	Speed            string `json:"speed,omitempty"`
	Type             string `json:"type,omitempty"`
	FormFactor       string `json:"formfactor,omitempty"`
}

// memoryFormFactors names SMBIOS memory device form factors.
var memoryFormFactors = [...]string{
	1: "Other", 2: "Unknown", 3: "SIMM", 4: "SIP", 5: "Chip", 6: "DIP", 7: "ZIP",
	8: "Proprietary Card", 9: "DIMM", 10: "TSOP", 11: "Row Of Chips", 12: "RIMM",
	13: "SODIMM", 14: "SRIMM", 15: "FB-DIMM", 16: "Die", 17: "CAMM",
}

// memoryTypes names SMBIOS memory device types.
var memoryTypes = [...]string{
	1: "Other", 2: "Unknown", 3: "DRAM", 4: "EDRAM", 5: "VRAM", 6: "SRAM", 7: "RAM",
	8: "ROM", 9: "Flash", 10: "EEPROM", 11: "FEPROM", 12: "EPROM", 13: "CDRAM",
	14: "3DRAM", 15: "SDRAM", 16: "SGRAM", 17: "RDRAM", 18: "DDR", 19: "DDR2",
	20: "DDR2 FB-DIMM", 24: "DDR3", 25: "FBD2", 26: "DDR4", 27: "LPDDR",
	28: "LPDDR2", 29: "LPDDR3", 30: "LPDDR4", 31: "Logical non-volatile device",
	32: "HBM", 33: "HBM2", 34: "DDR5", 35: "LPDDR5", 36: "HBM3",
}

// memoryCorrections names SMBIOS memory array error correction types.
var memoryCorrections = [...]string{
	1: "Other", 2: "Unknown", 3: "None", 4: "Parity", 5: "Single-bit ECC",
	6: "Multi-bit ECC", 7: "CRC",
}

// jedecID is a JEP106 manufacturer code: the bank (1 plus the number of
// 0x7F continuation codes before the id) and the id byte, parity bit
// included, as JEP106 lists it.
type jedecID struct {
	bank int
	id   byte
}

// jedecVendors names module makers that firmware reports by their JEDEC
// JEP106 code.
var jedecVendors = map[jedecID]string{
	{1, 0x2C}: "Micron", {1, 0xCE}: "Samsung", {1, 0xAD}: "SK Hynix",
	{2, 0x98}: "Kingston", {2, 0x4F}: "Transcend",
	{3, 0x9E}: "Corsair", {3, 0xFE}: "Elpida",
	{4, 0x0B}: "Nanya",
	{5, 0xCD}: "G.Skill", {5, 0x43}: "Ramaxel",
	{6, 0x9B}: "Crucial", {6, 0x51}: "Qimonda",
}

// jedecCodes returns the JEP106 codes a hexadecimal manufacturer string may
// hold, in the order firmware most often writes them:
//   - the bank byte (continuation count, parity bit optional) then the id,
//     possibly followed by more bytes: "80AD", "0198", and the longer codes
//     of SMBIOS tables and WMI, the module maker first: "80AD000080AD",
//     "00AD00B300AD";
//   - continuation codes, the id and zero padding, as in the SPD: "AD00",
//     "CE00000000000000", "7F98000000000000";
//   - the id then the bank byte, in four digits: "9801", "CD04".
//
// An id byte has odd parity and is neither 0x80 nor the continuation code.
func jedecCodes(s string) []jedecID {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) < 2 {
		return nil
	}
	isID := func(c byte) bool { return bits.OnesCount8(c)%2 == 1 && c&0x7F != 0 && c != 0x7F }
	var codes []jedecID
	if isID(b[1]) {
		codes = append(codes, jedecID{int(b[0]&0x7F) + 1, b[1]})
	}
	n := 0
	for n < len(b) && b[n] == 0x7F {
		n++
	}
	if n < len(b) && isID(b[n]) && strings.Trim(string(b[n+1:]), "\x00") == "" {
		codes = append(codes, jedecID{n + 1, b[n]})
	}
	if len(b) == 2 && isID(b[0]) {
		codes = append(codes, jedecID{int(b[1]&0x7F) + 1, b[0]})
	}
	return codes
}

// enumName returns names[n], or "" when n has no name or means "Unknown".
func enumName(names []string, n byte) string {
	if int(n) >= len(names) || names[n] == "Unknown" {
		return ""
	}
	return names[n]
}

// memoryManufacturer names a module maker given as a JEDEC code, and
// returns other strings, unknown codes included, as they are.
func memoryManufacturer(s string) string {
	for _, code := range jedecCodes(s) {
		if name, ok := jedecVendors[code]; ok {
			return name
		}
	}
	return s
}

// memoriesFromSMBIOS lists the populated memory devices (type 17) of an
// SMBIOS table, numbering slots in table order as dmidecode-based agents do,
// empty slots included. Error correction comes from the memory array
// (type 16) a device belongs to.
func memoriesFromSMBIOS(structs []smbiosStruct) []Memory {
	correction := map[uint16]string{}
	for _, s := range structs {
		if s.Type == smbiosMemoryArray {
			if v, ok := s.byteAt(0x06); ok {
				correction[s.Handle] = enumName(memoryCorrections[:], v)
			}
		}
	}
	var mems []Memory
	slot := 0
	for _, s := range structs {
		if s.Type != smbiosMemoryDevice {
			continue
		}
		slot++
		size := memoryDeviceMB(s)
		if size == 0 {
			continue
		}
		m := Memory{
			Capacity:     size,
			Caption:      s.str(0x10),
			NumSlots:     slot,
			SerialNumber: s.str(0x18),
			Manufacturer: memoryManufacturer(s.str(0x17)),
			Model:        s.str(0x1A),
		}
		if array, ok := s.word(0x04); ok {
			m.MemoryCorrection = correction[array]
		}
		if v, ok := s.byteAt(0x0E); ok {
			m.Description = enumName(memoryFormFactors[:], v)
		}
		if v, ok := s.byteAt(0x12); ok {
			m.Type = enumName(memoryTypes[:], v)
		}
		if speed := memoryDeviceSpeed(s); speed > 0 {
			m.Speed = strconv.Itoa(speed)
		}
		mems = append(mems, m)
	}
	return mems
}

// memoryDeviceMB decodes the size of a memory device in MB, 0 for an empty
// slot or an unknown size.
func memoryDeviceMB(s smbiosStruct) int {
	size, ok := s.word(0x0C)
	switch {
	case !ok || size == 0 || size == 0xFFFF:
		return 0
	case size == 0x7FFF:
		ext, ok := s.dword(0x1C)
		if !ok {
			return 0
		}
		return int(ext & 0x7FFFFFFF)
	case size&0x8000 != 0:
		return int(size&0x7FFF) / 1024 // in KB
	}
	return int(size)
}

// memoryDeviceSpeed decodes the rated speed in MT/s, from the extended field
// when the word field overflows; 0 when unknown.
func memoryDeviceSpeed(s smbiosStruct) int {
	speed, ok := s.word(0x15)
	if !ok {
		return 0
	}
	if speed == 0xFFFF {
		ext, _ := s.dword(0x54)
		return int(ext & 0x7FFFFFFF)
	}
	return int(speed)
}
