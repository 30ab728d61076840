package collectors

import (
	"cmp"
	"strconv"
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

// enumName returns names[n], or "" when n has no name or means "Unknown".
func enumName(names []string, n byte) string {
	if int(n) >= len(names) || names[n] == "Unknown" {
		return ""
	}
	return names[n]
}

// memoriesFromSMBIOS lists the populated memory devices (type 17) of an
// SMBIOS table as the official agent's dmidecode module does: slots
// numbered in table order, empty ones included; the maker and model as
// setMakerAsOfficial makes them. Error correction comes from the memory
// array (type 16) a device belongs to.
func memoriesFromSMBIOS(structs []smbiosStruct) []Memory {
	correction := map[uint16]string{}
	var vmDescription, vmMaker string
	for _, s := range structs {
		switch s.Type {
		case smbiosMemoryArray:
			if v, ok := s.byteAt(0x06); ok {
				correction[s.Handle] = enumName(memoryCorrections[:], v)
			}
		case smbiosBIOS:
			vmDescription, vmMaker = hyperVMemory(s.str(0x04), s.str(0x05))
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
		}
		if array, ok := s.word(0x04); ok {
			m.MemoryCorrection = correction[array]
		}
		if v, ok := s.byteAt(0x0E); ok {
			m.Description = enumName(memoryFormFactors[:], v)
		}
		m.Description = cmp.Or(m.Description, vmDescription)
		if v, ok := s.byteAt(0x12); ok {
			m.Type = enumName(memoryTypes[:], v)
		}
		if speed := memoryDeviceSpeed(s); speed > 0 {
			m.Speed = strconv.Itoa(speed)
		}
		// SMBIOS 3.2 gives the module maker's JEDEC code (dmidecode's
		// Module Manufacturer ID).
		var mm jedecID
		if w, ok := s.word(0x2C); ok && len(s.data) >= 0x34 {
			mm = jedecFromSMBIOS(w)
		}
		m.setMakerAsOfficial(s.str(0x17), s.str(0x1A), mm, vmMaker)
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
