package collectors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// edidInfo is what the inventory takes from an EDID base block.
type edidInfo struct {
	vendor  string // three-letter PNP id
	product uint16
	serial  uint32 // numeric serial, 0 when unset
	week    int    // week of manufacture, 0 when unset
	year    int
	name    string // display product name descriptor
	serialS string // display serial number descriptor
	text    string // alphanumeric data string descriptors, joined by spaces
}

var edidHeader = []byte{0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00}

// parseEDID decodes the 128-byte base block of an EDID (VESA E-EDID 1.4).
func parseEDID(b []byte) (edidInfo, error) {
	var e edidInfo
	if len(b) < 128 || !bytes.Equal(b[:8], edidHeader) {
		return e, errors.New("parse edid: no EDID header")
	}
	var sum byte
	for _, c := range b[:128] {
		sum += c
	}
	if sum != 0 {
		return e, fmt.Errorf("parse edid: bad checksum %#x", sum)
	}
	// Manufacturer: three letters of five bits each, 1 = 'A', big-endian.
	m := binary.BigEndian.Uint16(b[8:10])
	e.vendor = string([]byte{
		byte(m>>10&0x1F) + 'A' - 1, byte(m>>5&0x1F) + 'A' - 1, byte(m&0x1F) + 'A' - 1,
	})
	e.product = binary.LittleEndian.Uint16(b[10:12])
	e.serial = binary.LittleEndian.Uint32(b[12:16])
	if w := int(b[16]); w >= 1 && w <= 54 {
		e.week = w
	}
	e.year = int(b[17]) + 1990
	for off := 54; off < 126; off += 18 {
		d := b[off : off+18]
		if d[0] != 0 || d[1] != 0 {
			continue // a detailed timing, not a display descriptor
		}
		text := edidText(d[5:18])
		switch d[3] {
		case 0xFC:
			e.name = text
		case 0xFF:
			e.serialS = text
		case 0xFE:
			if text != "" {
				e.text = strings.TrimSpace(e.text + " " + text)
			}
		}
	}
	return e, nil
}

// edidText decodes descriptor text: ASCII, ended by a line feed, padded with
// spaces.
func edidText(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return clean(s)
}

// pnpVendors names the makers of common displays by PNP id.
var pnpVendors = map[string]string{
	"ACR": "Acer", "AOC": "AOC", "APP": "Apple", "AUO": "AU Optronics",
	"AUS": "ASUSTek Computer", "BNQ": "BenQ", "BOE": "BOE Technology",
	"CMN": "Chimei Innolux", "CMO": "Chi Mei Optoelectronics", "DEL": "Dell",
	"ENC": "Eizo", "FUS": "Fujitsu Siemens", "GSM": "LG Electronics",
	"HSD": "HannStar Display", "HWP": "HP", "IVM": "Iiyama", "IVO": "InfoVision",
	"LEN": "Lenovo", "LGD": "LG Display", "MEI": "Panasonic", "MSI": "Micro-Star International",
	"NEC": "NEC", "PHL": "Philips", "QDS": "Quanta Display", "RHT": "Red Hat",
	"SAM": "Samsung", "SDC": "Samsung Display", "SHP": "Sharp", "SNY": "Sony",
	"TSB": "Toshiba", "VSC": "ViewSonic",
}

// monitorFromEDID describes a monitor from its EDID. Laptop panels often
// have no product name but give their model, and sometimes their maker,
// in alphanumeric data strings: the monitor is then named after those, as
// GLPI's agent does.
func monitorFromEDID(e edidInfo) Monitor {
	name := cmp.Or(e.name, e.text)
	m := Monitor{
		Manufacturer: e.vendor,
		Caption:      name,
		Name:         name,
		Serial:       e.serialS,
	}
	if name, ok := pnpVendors[e.vendor]; ok {
		m.Manufacturer = name
	}
	if e.serial != 0 {
		num := strconv.FormatUint(uint64(e.serial), 10)
		if m.Serial == "" {
			m.Serial = num
		} else if num != m.Serial {
			m.AltSerial = num
		}
	}
	if e.week > 0 {
		m.Description = fmt.Sprintf("%d/%d", e.week, e.year)
	} else {
		m.Description = strconv.Itoa(e.year)
	}
	return m
}
