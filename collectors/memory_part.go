package collectors

import (
	"cmp"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// GLPI files memory modules under models keyed on their type and
// description, maker and speed, and links each module to the computer by
// its serial. A module is therefore named as the official agent names it
// from dmidecode (Generic/Dmidecode/Memory.pm), on Linux and on Windows
// alike: the manufacturer string unless it is a placeholder or a JEDEC
// code, replaced by the maker its part number names when the official
// agent recognises it (Tools/PartNumber/*.pm).

// jedecID is a JEP106 manufacturer code, as SMBIOS 3.2 gives a module's
// maker (type 17's Module Manufacturer ID) and dmidecode prints it ("Bank
// 1, Hex 0xAD"): the bank, 1 plus the continuation codes before the id,
// and the id byte, parity bit included. The zero value is no code.
type jedecID struct {
	bank int
	id   byte
}

// jedecFromSMBIOS decodes the word of a Module Manufacturer ID: the low
// byte counts the continuation codes (with a parity bit), the high one is
// the id. 0 is unknown.
func jedecFromSMBIOS(w uint16) jedecID {
	if w == 0 {
		return jedecID{}
	}
	return jedecID{int(w&0x7F) + 1, byte(w >> 8)}
}

// memoryModule is what a part number tells of a module.
type memoryModule struct {
	maker, typ string
	speed      int
}

// memoryPartRule is one of the official agent's part number decoders.
type memoryPartRule struct {
	maker string
	// mm is the maker's JEDEC code. When the module gives its maker's
	// code too, a rule with a code applies only if the two agree.
	mm jedecID
	// re matches the part numbers of the maker; a rule without one
	// applies to the modules whose code is the rule's.
	re     *regexp.Regexp
	decode func(m []string) (typ string, speed int)
}

// memoryPartRules are the official agent's memory decoders, in its order
// (by module name, their priorities being equal).
var memoryPartRules = sync.OnceValue(func() []memoryPartRule {
	elpidaSpeeds := map[string]map[string]int{
		"B": {"DJ": 10660, "GN": 12800},
		"C": {"50": 400},
		"D": {"AE": 1066, "DJ": 1333, "MU": 2133, "GN": 1600, "JS": 1866, "1J": 1066, "8E": 800},
	}
	elpidaTypes := map[string]string{"M": "DDR", "E": "DDR2", "J": "DDR3", "B": "DDR2"}
	hynixSpeeds := map[string]int{
		"K2": 266, "K3": 266, "J3": 333, "E3": 400, "E4": 400, "F4": 500,
		"G7": 1066, "H9": 1333, "TE": 2133, "UL": 2400, "FA": 500, "FB": 500,
		"PB": 1600, "RD": 1866, "TF": 2133, "UH": 2400, "VK": 2666, "XN": 3200,
		"NL": 3200, "NM": 3733, "NE": 4266, "VN": 2666, "WM": 2933, "WR": 2933,
		"XS": 3200,
	}
	hynixTypes := map[string]string{"D": "DDR", "P": "DDR2", "T": "DDR3", "A": "DDR4", "H": "LPDDR4"}
	micronTypes := map[string]string{"H": "DDR2", "J": "DDR3", "K": "DDR3", "A": "DDR4"}
	samsungSpeeds := map[string]int{
		"F7": 800, "F8": 1066, "H9": 1333, "K0": 1600, "MA": 1866, "NB": 2133,
		"PB": 2133, "RC": 2400, "TD": 2666, "RB": 2133, "TC": 2400, "WD": 2666,
		"VF": 2933, "WE": 3200, "YF": 2933, "AE": 3200,
	}
	samsungTypes := map[string]string{"B": "DDR3", "A": "DDR4"}
	return []memoryPartRule{
		{maker: "Elpida", re: regexp.MustCompile(`^E([BCD])(.).{8}.?-(..).?.?(?:-..)?$`),
			decode: func(m []string) (string, int) { return elpidaTypes[m[2]], elpidaSpeeds[m[1]][m[3]] }},
		{maker: "Hynix", mm: jedecID{1, 0xAD}, re: regexp.MustCompile(`^HY?[59M]([ADHPT])[123458ABCNQ]........?.?-(..).?$`),
			decode: func(m []string) (string, int) { return hynixTypes[m[1]], hynixSpeeds[m[2]] }},
		{maker: "KingMax", mm: jedecID{4, 0x25}},
		{maker: "Micron", re: regexp.MustCompile(`^(?:MTA?)?\d+([AHJK])[DST][FQS]\d+G?72[AP](?:[DS])?Z-`),
			decode: func(m []string) (string, int) { return micronTypes[m[1]], 0 }},
		{maker: "Positivo Informática", mm: jedecID{5, 0x16}},
		// The official decoder reads type and speed from the first form
		// only: a K4 chip number names its maker and nothing else.
		{maker: "Samsung", re: regexp.MustCompile(`^(?:M[34]..([AB]).......-.(..).?|K4([AB]).......-..(..)(?:...)?)$`),
			decode: func(m []string) (string, int) { return samsungTypes[m[1]], samsungSpeeds[m[2]] }},
	}
})

// matchMemoryPart decodes a part number as the official agent does, given
// the maker's code when the module states it.
func matchMemoryPart(part string, mm jedecID) (memoryModule, bool) {
	for _, r := range memoryPartRules() {
		if mm != (jedecID{}) && r.mm != (jedecID{}) && mm != r.mm {
			continue
		}
		if r.re == nil {
			if mm == (jedecID{}) {
				continue
			}
			return memoryModule{maker: r.maker}, true
		}
		m := r.re.FindStringSubmatch(part)
		if m == nil {
			continue
		}
		typ, speed := r.decode(m)
		return memoryModule{maker: r.maker, typ: typ, speed: speed}, true
	}
	return memoryModule{}, false
}

// memoryMaker returns a module's manufacturer string, or "" where the
// official agent sends none: a word firmware writes for no maker
// ("Undefined", "Manufacturer00", "None"), a slot name, or a JEDEC code
// written in hexadecimal ("0x2C", "0198", "80AD000080AD": any run of four
// digits or a 0x prefix; "802C" passes, as it does there).
func memoryMaker(s string) string {
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "manufacturer"), strings.Contains(l, "undefined"), strings.Contains(l, "none"),
		strings.HasPrefix(l, "0x"), hasDigitRun(l, 4):
		return ""
	}
	for i, r := range l {
		if unicode.IsSpace(r) && strings.HasPrefix(l[i+len(string(r)):], "dimm") {
			return ""
		}
	}
	return s
}

// hasDigitRun tells whether s has n ASCII digits in a row.
func hasDigitRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run == n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// memoryPartNumber returns a module's part number as the official agent
// sends it: decoded when written in hexadecimal ("0x484D54...": Intel
// Macs), control characters dropped, blanks collapsed, trailing dashes
// removed; "" for a slot's or a field's name ("DIMM0", "PartNum0").
func memoryPartNumber(s string) string {
	l := strings.ToLower(s)
	if strings.Contains(l, "dimm") || partLabel(l, "part") || partLabel(l, "ser") {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, hexText(s))
	return strings.TrimSpace(strings.TrimRight(strings.Join(strings.Fields(s), " "), "-"))
}

// hexText decodes a part number written as hexadecimal ASCII
// ("0x4D34373141...", as Intel Macs and some firmware give it); other
// strings are returned as they are.
func hexText(s string) string {
	h, ok := strings.CutPrefix(s, "0x")
	if !ok {
		return s
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return s
	}
	t := strings.TrimSpace(strings.Trim(string(b), "\x00"))
	if t == "" || strings.ContainsFunc(t, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) }) {
		return s
	}
	return t
}

// partLabel tells whether l holds word, blanks, then "num" (the
// official agent's /Part\s*Num/ and /Ser\s*Num/).
func partLabel(l, word string) bool {
	for {
		i := strings.Index(l, word)
		if i < 0 {
			return false
		}
		l = l[i+len(word):]
		if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "num") {
			return true
		}
	}
}

// setMakerAsOfficial sets a module's manufacturer and model from its
// manufacturer and part number strings, and its type and speed from the
// part number where the table left them out, as the official agent does.
// fallback is the maker of a module that names none (Hyper-V's).
func (m *Memory) setMakerAsOfficial(maker, part string, mm jedecID, fallback string) {
	m.Manufacturer = cmp.Or(memoryMaker(maker), fallback)
	m.Model = memoryPartNumber(part)
	if m.Model == "" {
		return
	}
	mod, ok := matchMemoryPart(m.Model, mm)
	if !ok {
		return
	}
	m.Manufacturer = mod.maker
	if m.Type == "" {
		m.Type = mod.typ
	}
	if m.Speed == "" && mod.speed > 0 {
		m.Speed = strconv.Itoa(mod.speed)
	}
}

// hyperVMemory is the description and maker the official agent gives the
// modules of a Hyper-V virtual machine, whose firmware (vendor
// "Microsoft…", version "Hyper-V…") leaves out the form factor.
func hyperVMemory(biosVendor, biosVersion string) (description, maker string) {
	if strings.HasPrefix(strings.ToLower(biosVendor), "microsoft") && strings.HasPrefix(strings.ToLower(biosVersion), "hyper-v") {
		return "Hyper-V Memory", biosVendor
	}
	return "", ""
}
