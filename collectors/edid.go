package collectors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// edidInfo is what the inventory takes from an EDID base block.
type edidInfo struct {
	vendor   string // three-letter PNP id, "@@@" when unset
	product  uint16
	serial   uint32 // numeric serial, 0 when unset
	week     int    // week of manufacture: 0 unset, 255 for a model year
	year     int
	version  int
	revision int
	name     string   // display product name descriptors, joined by a space
	texts    []string // alphanumeric data string descriptors
	serials  []string // display serial number descriptors
	// problem says why the block looks implausible (a range descriptor
	// with no sync range, an unset maker); "" when it is sound.
	problem     string
	badChecksum bool
}

var edidHeader = []byte{0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00}

// parseEDID decodes the 128-byte base block of an EDID (VESA E-EDID 1.4).
// A bad checksum is recorded, not fatal: the official agent never checks it,
// and monitors whose firmware gets it wrong still show their identity.
func parseEDID(b []byte) (edidInfo, error) {
	var e edidInfo
	if len(b) < 128 {
		return e, fmt.Errorf("parse edid: %d bytes, want at least 128", len(b))
	}
	if !bytes.Equal(b[:8], edidHeader) {
		return e, errors.New("parse edid: no EDID header")
	}
	var sum byte
	for _, c := range b[:128] {
		sum += c
	}
	e.badChecksum = sum != 0
	// Manufacturer: three letters of five bits each, 1 = 'A', big-endian.
	m := binary.BigEndian.Uint16(b[8:10])
	e.vendor = string([]byte{
		byte(m>>10&0x1F) + 'A' - 1, byte(m>>5&0x1F) + 'A' - 1, byte(m&0x1F) + 'A' - 1,
	})
	e.product = binary.LittleEndian.Uint16(b[10:12])
	e.serial = binary.LittleEndian.Uint32(b[12:16])
	e.week = int(b[16])
	e.year = int(b[17]) + 1990
	e.version, e.revision = int(b[18]), int(b[19])
	var rangeProblem string
	for off := 54; off < 126; off += 18 {
		d := b[off : off+18]
		if d[0] != 0 || d[1] != 0 || d[2] != 0 {
			continue // a detailed timing, or no display descriptor
		}
		switch d[3] {
		case 0xFC:
			// Names longer than 13 characters continue in a second
			// descriptor.
			if perlTrue(e.name) {
				e.name += " "
			}
			e.name += edidText(d[5:18])
		case 0xFE:
			e.texts = append(e.texts, edidText(d[5:18]))
		case 0xFF:
			e.serials = append(e.serials, edidText(d[5:18]))
		case 0xFD:
			// Range limits: vertical min and max, then horizontal.
			vmin, vmax, hmin, hmax := d[5], d[6], d[7], d[8]
			switch {
			case hmin == 0 || hmin > hmax:
				rangeProblem = "bad horizontal sync range"
			case vmin == 0 || vmin > vmax:
				rangeProblem = "bad vertical refresh range"
			default:
				rangeProblem = ""
			}
		}
	}
	switch {
	case e.vendor == "@@@":
		e.problem = "no manufacturer"
	case e.version == 0xFF || e.revision == 0xFF:
		e.problem = "bad EDID version"
	default:
		e.problem = rangeProblem
	}
	return e, nil
}

// edidText decodes descriptor text: ASCII, ended by a line feed, padded
// with spaces. Leading spaces are kept, as the official agent keeps them.
func edidText(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(s, " \t\r\f\v\x00")
}

// perlTrue reports whether the official agent, written in Perl, takes s for
// a value: neither empty nor "0".
func perlTrue(s string) bool { return s != "" && s != "0" }

// serialText is the first display serial number descriptor, if it says
// anything.
func (e edidInfo) serialText() string {
	if len(e.serials) == 0 || !perlTrue(e.serials[0]) {
		return ""
	}
	return e.serials[0]
}

// stdSerial is the serial of a monitor no maker rule applies to: its serial
// number descriptor, else its numeric serial as eight hex digits.
func (e edidInfo) stdSerial() string {
	if s := e.serialText(); s != "" {
		return s
	}
	return fmt.Sprintf("%08x", e.serial)
}

// caption is the display product name, else the alphanumeric data strings
// joined by spaces (laptop panels often give their model there), cut at the
// first character that is not printable ASCII.
func (e edidInfo) caption() string {
	s := e.name
	if !perlTrue(s) {
		s = strings.Join(e.texts, " ")
	}
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r < ' ' || r > '~' }); i >= 0 {
		s = s[:i]
	}
	return s
}

// monitorFromEDID describes a monitor from its EDID the way the official
// GLPI agent does, so that GLPI matches it to the same record: maker names
// from the PNP registry, serials by the makers' rules of edid_rules.go.
//
// A block that looks implausible (see edidInfo.problem) is described only
// if it still gives a name, a week, a year and a numeric serial; otherwise
// the monitor is left undescribed rather than described wrongly.
func monitorFromEDID(e edidInfo) Monitor {
	if e.problem != "" && !(perlTrue(e.name) && e.week != 0 && e.serial != 0) {
		return Monitor{}
	}
	name := e.caption()
	m := Monitor{
		Caption:      name,
		Name:         name,
		Manufacturer: e.vendor,
	}
	if s := pnpName(e.vendor); s != "" {
		m.Manufacturer = s
	}
	rule := edidRules[e.vendor]
	if rule.manufacturer != "" {
		m.Manufacturer = rule.manufacturer
	}
	if rule.serials != nil {
		m.Serial, m.AltSerial = rule.serials(e)
	} else {
		m.Serial = e.stdSerial()
	}
	if !perlTrue(m.AltSerial) {
		m.AltSerial = ""
	}
	if e.week == 255 {
		m.Description = strconv.Itoa(e.year)
	} else {
		m.Description = fmt.Sprintf("%d/%d", e.week, e.year)
	}
	return m
}
