package collectors

import (
	"fmt"
	"strconv"
	"strings"
)

// An EDID carries two serials: a 32-bit number and an optional 13-character
// descriptor. Which one is printed on the monitor's label, and in which
// form, depends on the maker, and on some models of a maker. GLPI keys
// monitors on the serial, so these rules follow the official GLPI agent's
// (its Tools/Screen/*.pm classes): a fleet moving over keeps its records.
//
// Without a rule, the serial is the descriptor, else the number as eight hex
// digits (edidInfo.stdSerial), and there is no alternate serial.

// edidRule is what one maker does differently.
type edidRule struct {
	manufacturer string                                      // replaces the registry's name
	serials      func(e edidInfo) (serial, altSerial string) // serial and alternate serial
}

// edidRules holds the makers' rules by PNP id.
var edidRules = map[string]edidRule{
	"ACR": {serials: acerSerials},
	"AIC": {manufacturer: "AG Neovo"},
	"BNQ": {serials: benqSerials},
	"ENC": {serials: eizoSerials},
	"GSM": {serials: goldstarSerials},
	"PHL": {serials: philipsSerials},
	"SAM": {serials: samsungSerials},
}

// productSet is a set of product codes.
type productSet map[uint16]bool

func products(codes ...uint16) productSet {
	s := productSet{}
	for _, c := range codes {
		s[c] = true
	}
	return s
}

// acerLabelSerial are the Acer models whose label shows the long serial
// (acerLongSerial): the descriptor then becomes the alternate serial.
var acerLabelSerial = products(
	0x0018, 0x0019, 0x001a, 0x0020, 0x0024, 0x0026, 0x0031, 0x004b, 0x004c,
	0x0069, 0x0070, 0x00a3, 0x00a8, 0x00c7, 0x00d2, 0x00db, 0x00f7, 0x0133,
	0x0239, 0x02d4, 0x0319, 0x0320, 0x032d, 0x032e, 0x0330, 0x0335, 0x0337,
	0x033a, 0x0363, 0x03de, 0x0424, 0x042e, 0x0468, 0x046f, 0x0480, 0x0503,
	0x0512, 0x0523, 0x056b, 0x057d, 0x057f, 0x0618, 0x0771, 0x0772, 0x0783,
	0x1228, 0x1701, 0x1716, 0x2309, 0x2311, 0x2608, 0x2708, 0x5401, 0x56ad,
	0x7883, 0xad46, 0xad49, 0xad51, 0xad72, 0xad73, 0xad80, 0xadaf,
)

// acerSerials: Acer's full serial is the descriptor with the numeric serial,
// in hex, inserted after its eighth character.
func acerSerials(e edidInfo) (string, string) {
	long := acerLongSerial(e)
	if acerLabelSerial[e.product] {
		return long, e.stdSerial()
	}
	return e.stdSerial(), long
}

func acerLongSerial(e edidInfo) string {
	s := e.serialText()
	if s == "" {
		return ""
	}
	head, tail := s[:min(len(s), 8)], s[min(len(s), 8):]
	return head + fmt.Sprintf("%08x", e.serial) + tail[:min(len(tail), 4)]
}

// benqSerials: BenQ stores the letters that start the label's serial as the
// numeric serial, little-endian ASCII ("ET").
func benqSerials(e edidInfo) (string, string) {
	std := e.stdSerial()
	if len(e.serials) == 0 {
		return std, ""
	}
	var prefix []byte
	for i := range 4 {
		c := byte(e.serial >> (8 * i))
		if c == 0 {
			break
		}
		prefix = append(prefix, c)
	}
	if len(prefix) == 0 || strings.TrimFunc(string(prefix), func(r rune) bool { return r >= 'A' && r <= 'Z' }) != "" {
		return std, ""
	}
	return string(prefix) + std, std
}

// eizoSerials: without a serial descriptor, Eizo's label shows the numeric
// serial in decimal.
func eizoSerials(e edidInfo) (string, string) {
	if e.serialText() == "" {
		return strconv.FormatUint(uint64(e.serial), 10), ""
	}
	return e.stdSerial(), ""
}

// goldstarLabelSerial are the LG models whose label shows the short serial
// (goldstarShortSerial).
var goldstarLabelSerial = products(0x4b21)

// goldstarSerials: LG (Goldstar) writes the numeric serial's thousands in
// two characters of a 34-letter alphabet, then its last three digits.
func goldstarSerials(e edidInfo) (string, string) {
	short := goldstarShortSerial(e.serial)
	if goldstarLabelSerial[e.product] {
		return short, e.stdSerial()
	}
	return e.stdSerial(), short
}

func goldstarShortSerial(n uint32) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	const base = len(alphabet)
	if n < 1000 {
		return "0"
	}
	high, low := int(n/1000), fmt.Sprintf("%03d", n%1000)
	// The first character is high/base: past the alphabet, no serial.
	if high > base*(base-1) {
		return "0"
	}
	return string(alphabet[high/base]) + string(alphabet[high%base]) + low
}

// philipsSerials: the label shows the numeric serial as six decimal digits,
// which the serial descriptor usually ends with; Philips monitors connected
// through HDMI give no descriptor, and the decimal serial then comes first.
func philipsSerials(e edidInfo) (string, string) {
	std := e.stdSerial()
	dec := fmt.Sprintf("%06d", e.serial)
	if strings.HasSuffix(std, dec) {
		dec = ""
	}
	if len(e.serials) == 0 {
		return dec, std
	}
	return std, dec
}

// samsungLabelSerial are the Samsung models whose label shows the numeric
// serial's four bytes as ASCII, most significant first, then the
// descriptor; samsungReversed those with the bytes least significant first;
// samsungDecimal those with the numeric serial in decimal.
var (
	samsungLabelSerial = products(
		0x0572, 0x0694, 0x06b9, 0x0833, 0x0835, 0x0978, 0x09c6, 0x09c7, 0x0b66,
		0x0bc9, 0x0c7b, 0x0ca3, 0x0ca5, 0x0d1a, 0x0e0f, 0x0e1e, 0x7096,
	)
	samsungReversed = products(0x0e5a)
	samsungDecimal  = products(0x0c18)
)

func samsungSerials(e edidInfo) (string, string) {
	switch {
	case samsungLabelSerial[e.product]:
		return samsungLongSerial(e, false), e.stdSerial()
	case samsungReversed[e.product]:
		return samsungLongSerial(e, true), e.stdSerial()
	case samsungDecimal[e.product]:
		return strconv.FormatUint(uint64(e.serial), 10), samsungLongSerial(e, false)
	}
	return e.stdSerial(), samsungLongSerial(e, false)
}

// samsungLongSerial is the numeric serial's bytes as characters, then the
// serial descriptor; "" without a descriptor.
func samsungLongSerial(e edidInfo, reversed bool) string {
	s := e.serialText()
	if s == "" {
		return ""
	}
	var b strings.Builder
	for i := range 4 {
		shift := 24 - 8*i
		if reversed {
			shift = 8 * i
		}
		b.WriteRune(rune(byte(e.serial >> shift)))
	}
	return b.String() + s
}
