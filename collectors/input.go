package collectors

import (
	"bufio"
	"strings"
	"unicode"
)

// Input is one keyboard or pointing device of the inputs section.
//
// GLPI makes peripherals of them, connected to the computer, together with
// the usbdevices: a full inventory that carries usbdevices but no inputs
// makes GLPI disconnect the keyboards and mice the official agent reported
// (Inventory/Asset/Peripheral.php), so every platform where it reports
// them reports them here too, with the same fields.
type Input struct {
	Name         string `json:"name,omitempty"`
	Caption      string `json:"caption,omitempty"`
	Description  string `json:"description,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Interface    string `json:"interface,omitempty"`
	Layout       string `json:"layout,omitempty"`
	// PointingType is Win32_PointingDevice's, in decimal: GLPI names the
	// peripheral's type from it (3 mouse, 7 touch pad…).
	PointingType string `json:"pointingtype,omitempty"`
	Type         string `json:"type,omitempty"`
}

// parseInputDevices reads /proc/bus/input/devices as the official agent
// does (Linux/Inputs.pm), so that GLPI finds the same peripherals: a
// device whose physical path names an input and not a button (ACPI's
// power and lid buttons are "LNXPWRBN/button/input0"), described and
// captioned by its name, typed by its first handler: "Keyboard" when that
// is kbd, "Pointing" when a mouse, else the handler itself ("sysrq" for
// most keyboards, whose first handler it is). Devices without a physical
// path (virtual ones, sound cards' jacks on "ALSA") are left out.
func parseInputDevices(s string) []Input {
	var out []Input
	var d struct {
		in, input    bool
		name, handle string
	}
	flush := func() {
		if d.input {
			out = append(out, Input{Description: d.name, Caption: d.name, Type: d.handle})
		}
		d.in, d.input, d.name, d.handle = false, false, "", ""
	}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "I: Bus=") && strings.Contains(line, "Vendor="):
			d.in = true
		case line == "":
			flush()
		case !d.in:
		case hasPrefixFold(line, "P: Phys="):
			phys := strings.ToLower(line[len("P: Phys="):])
			if strings.Contains(phys, "button") {
				d.input = false
			} else if strings.Contains(phys, "input") {
				d.input = true
			}
		case hasPrefixFold(line, `N: Name="`):
			if name := line[len(`N: Name="`):]; strings.Contains(name, `"`) {
				d.name = name[:strings.LastIndex(name, `"`)]
			}
		case hasPrefixFold(line, "H: Handlers="):
			first, _, _ := strings.Cut(line[len("H: Handlers="):], " ")
			first = first[:wordLen(first)]
			switch {
			case first == "":
			case strings.Contains(first, "kbd"):
				d.handle = "Keyboard"
			case strings.Contains(first, "mouse"):
				d.handle = "Pointing"
			default:
				d.handle = first
			}
		}
	}
	flush()
	return out
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// wordLen is the length of s's leading run of word characters, as a
// regular expression's \w+ takes it.
func wordLen(s string) int {
	if i := strings.IndexFunc(s, func(r rune) bool { return !isWordRune(r) }); i >= 0 {
		return i
	}
	return len(s)
}

// isWordRune reports a word character: a letter, a digit or underscore,
// what the official agent's patterns call \w.
func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
