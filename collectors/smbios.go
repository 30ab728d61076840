package collectors

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// SMBIOS structure types read by the collectors.
const (
	smbiosBIOS         = 0
	smbiosMemoryArray  = 16
	smbiosMemoryDevice = 17
	smbiosEndOfTable   = 127
)

// smbiosStruct is one structure of an SMBIOS table: its formatted area (the
// header included, so offsets match the specification) and its strings.
type smbiosStruct struct {
	Type    byte
	Handle  uint16
	data    []byte
	strings []string
}

// parseSMBIOS splits a raw SMBIOS structure table, as Linux exposes it in
// /sys/firmware/dmi/tables/DMI, into its structures. It stops at the
// end-of-table structure and rejects a table whose structures overrun it.
func parseSMBIOS(b []byte) ([]smbiosStruct, error) {
	var out []smbiosStruct
	for len(b) >= 4 {
		typ, n := b[0], int(b[1])
		if n < 4 || n > len(b) {
			return out, fmt.Errorf("parse smbios structure type %d: length %d out of bounds", typ, n)
		}
		s := smbiosStruct{Type: typ, Handle: binary.LittleEndian.Uint16(b[2:4]), data: b[:n]}
		// The string set follows, each NUL-terminated, ended by an extra NUL
		// (a structure without strings has just two NULs).
		rest := b[n:]
		end := -1
		for i := 0; i+1 < len(rest); i++ {
			if rest[i] == 0 && rest[i+1] == 0 {
				end = i
				break
			}
		}
		if end < 0 {
			return out, fmt.Errorf("parse smbios structure type %d: unterminated strings", typ)
		}
		start := 0
		for i := 0; i < end; i++ {
			if rest[i] == 0 {
				s.strings = append(s.strings, string(rest[start:i]))
				start = i + 1
			}
		}
		if end > 0 {
			s.strings = append(s.strings, string(rest[start:end]))
		}
		out = append(out, s)
		if typ == smbiosEndOfTable {
			break
		}
		b = rest[end+2:]
	}
	if len(out) == 0 {
		return nil, errors.New("parse smbios: empty table")
	}
	return out, nil
}

// byteAt returns the byte at offset off, and false when the structure is too
// short to have it (an older SMBIOS version).
func (s smbiosStruct) byteAt(off int) (byte, bool) {
	if off >= len(s.data) {
		return 0, false
	}
	return s.data[off], true
}

// word returns the little-endian 16-bit field at off.
func (s smbiosStruct) word(off int) (uint16, bool) {
	if off+2 > len(s.data) {
		return 0, false
	}
	return binary.LittleEndian.Uint16(s.data[off:]), true
}

// dword returns the little-endian 32-bit field at off.
func (s smbiosStruct) dword(off int) (uint32, bool) {
	if off+4 > len(s.data) {
		return 0, false
	}
	return binary.LittleEndian.Uint32(s.data[off:]), true
}

// bytes returns the n bytes at off.
func (s smbiosStruct) bytes(off, n int) ([]byte, bool) {
	if off+n > len(s.data) {
		return nil, false
	}
	return s.data[off : off+n], true
}

// str returns the string referenced by the byte at off, cleaned of
// placeholders; "" when absent.
func (s smbiosStruct) str(off int) string { return clean(s.rawStr(off)) }

// rawStr returns the string referenced by the byte at off as the table
// has it; "" when absent.
func (s smbiosStruct) rawStr(off int) string {
	i, ok := s.byteAt(off)
	if !ok || i == 0 || int(i) > len(s.strings) {
		return ""
	}
	return s.strings[i-1]
}
