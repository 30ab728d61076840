package collectors

import (
	"encoding/binary"
	"strings"
	"testing"
)

// edidDesc is a display descriptor of a test EDID: a tag (0xFC name, 0xFE
// data string, 0xFF serial, 0xFD range limits) and its text or bytes.
type edidDesc struct {
	tag  byte
	text string
}

// testEDID builds an EDID base block with the given identity and display
// descriptors, with its checksum. The first descriptor slot holds a
// detailed timing unless four descriptors are given. Texts shorter than 13
// characters end with a line feed and are padded with spaces, as the
// standard asks.
func testEDID(vendor string, product uint16, serial uint32, week, year int, descs ...edidDesc) []byte {
	b := make([]byte, 128)
	copy(b, edidHeader)
	m := uint16(vendor[0]-'A'+1)<<10 | uint16(vendor[1]-'A'+1)<<5 | uint16(vendor[2]-'A'+1)
	binary.BigEndian.PutUint16(b[8:], m)
	binary.LittleEndian.PutUint16(b[10:], product)
	binary.LittleEndian.PutUint32(b[12:], serial)
	b[16], b[17], b[18], b[19] = byte(week), byte(year-1990), 1, 3
	slot := 1
	if len(descs) >= 4 {
		slot = 0
	} else {
		b[54], b[55] = 0x01, 0x1d // a detailed timing
	}
	for _, d := range descs {
		if slot > 3 {
			break
		}
		p := b[54+18*slot : 54+18*slot+18]
		p[3] = d.tag
		text := d.text
		if len(text) < 13 {
			text += "\n" + strings.Repeat(" ", 12-len(text))
		}
		copy(p[5:18], text)
		slot++
	}
	var sum byte
	for _, c := range b[:127] {
		sum += c
	}
	b[127] = -sum
	return b
}

// descName, descText and descSerial make display descriptors.
func descName(s string) edidDesc   { return edidDesc{0xFC, s} }
func descText(s string) edidDesc   { return edidDesc{0xFE, s} }
func descSerial(s string) edidDesc { return edidDesc{0xFF, s} }

// monitorOf decodes a test EDID, failing the test on an error.
func monitorOf(t *testing.T, b []byte) Monitor {
	t.Helper()
	e, err := parseEDID(b)
	if err != nil {
		t.Fatalf("parseEDID() error: %v", err)
	}
	return monitorFromEDID(e)
}

func TestMonitorFromEDID(t *testing.T) {
	tests := []struct {
		name string
		edid []byte
		want Monitor
	}{
		{"serial descriptor", testEDID("DEL", 0xa0b1, 0x4c383043, 45, 2020, descName("DELL U2720Q"), descSerial("8R3YP23")),
			Monitor{Caption: "DELL U2720Q", Name: "DELL U2720Q", Manufacturer: "Dell Inc.", Serial: "8R3YP23", Description: "45/2020"}},
		{"numeric serial only, as hex", testEDID("NEC", 0x1, 1129600048, 3, 2019, descName("EA241")),
			Monitor{Caption: "EA241", Name: "EA241", Manufacturer: "NEC Corporation", Serial: "43545430", Description: "3/2019"}},
		{"no serial at all", testEDID("NEC", 0x1, 0, 3, 2019),
			Monitor{Manufacturer: "NEC Corporation", Serial: "00000000", Description: "3/2019"}},
		{"serial descriptor 0 means none", testEDID("NEC", 0x1, 0x01020304, 3, 2019, descSerial("0")),
			Monitor{Manufacturer: "NEC Corporation", Serial: "01020304", Description: "3/2019"}},
		{"serial descriptor keeps leading spaces", testEDID("NEC", 0x1, 7, 3, 2019, descSerial(" AB  12")),
			Monitor{Manufacturer: "NEC Corporation", Serial: " AB  12", Description: "3/2019"}},
		{"unknown week", testEDID("NEC", 0x1, 7, 0, 2001),
			Monitor{Manufacturer: "NEC Corporation", Serial: "00000007", Description: "0/2001"}},
		{"model year", testEDID("NEC", 0x1, 7, 255, 2015),
			Monitor{Manufacturer: "NEC Corporation", Serial: "00000007", Description: "2015"}},
		{"unknown maker", testEDID("ZZX", 0x1, 0, 10, 2012, descName("Panel")),
			Monitor{Caption: "Panel", Name: "Panel", Manufacturer: "ZZX", Serial: "00000000", Description: "10/2012"}},
		{"name over two descriptors", testEDID("NEC", 0x1, 1, 1, 2004, descName("MultiSync Pro"), descName("X17")),
			Monitor{Caption: "MultiSync Pro X17", Name: "MultiSync Pro X17", Manufacturer: "NEC Corporation", Serial: "00000001", Description: "1/2004"}},
		{"empty second name descriptor", testEDID("NEC", 0x1, 1, 1, 2004, descName("X17"), descName("")),
			Monitor{Caption: "X17 ", Name: "X17 ", Manufacturer: "NEC Corporation", Serial: "00000001", Description: "1/2004"}},
		{"panel maker and model in data strings", testEDID("AUO", 0x1, 0, 1, 2019, descText("AUO"), descText("B140HAN04.0")),
			Monitor{Caption: "AUO B140HAN04.0", Name: "AUO B140HAN04.0", Manufacturer: "AU Optronics", Serial: "00000000", Description: "1/2019"}},
		{"name before data string", testEDID("DEL", 0x1, 0, 1, 2020, descText("N140WUM-LP1"), descName("DELL U2720Q")),
			Monitor{Caption: "DELL U2720Q", Name: "DELL U2720Q", Manufacturer: "Dell Inc.", Serial: "00000000", Description: "1/2020"}},
		{"name cut at a control character", testEDID("NEC", 0x1, 1, 1, 2004, descName("AB\x01CD")),
			Monitor{Caption: "AB", Name: "AB", Manufacturer: "NEC Corporation", Serial: "00000001", Description: "1/2004"}},
		{"official spelling of a renamed maker", testEDID("TOS", 0x1, 4, 14, 2006, descName("Internal")),
			Monitor{Caption: "Internal", Name: "Internal", Manufacturer: "Toshiba Corporation", Serial: "00000004", Description: "14/2006"}},
		{"withdrawn id keeps its maker", testEDID("XER", 0x1, 4, 14, 2006),
			Monitor{Manufacturer: "XER", Serial: "00000004", Description: "14/2006"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := monitorOf(t, tt.edid); got != tt.want {
				t.Errorf("monitorFromEDID() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestEDIDMakerRules checks each maker's serial rule on made-up monitors.
func TestEDIDMakerRules(t *testing.T) {
	tests := []struct {
		name         string
		edid         []byte
		serial, alt  string
		manufacturer string
	}{
		// Acer: the descriptor with the numeric serial in hex after its
		// eighth character; listed models show that long form on the label.
		{"acer", testEDID("ACR", 0x1234, 0x0badcafe, 1, 2020, descSerial("ABCDEFGH1234")),
			"ABCDEFGH1234", "ABCDEFGH0badcafe1234", "Acer Technologies"},
		{"acer label model", testEDID("ACR", 0x0771, 0x0badcafe, 1, 2020, descSerial("ABCDEFGH1234")),
			"ABCDEFGH0badcafe1234", "ABCDEFGH1234", "Acer Technologies"},
		{"acer short descriptor", testEDID("ACR", 0x1234, 0x10, 1, 2020, descSerial("ABCD")),
			"ABCD", "ABCD00000010", "Acer Technologies"},
		{"acer without descriptor", testEDID("ACR", 0x0771, 0x10, 1, 2020),
			"", "00000010", "Acer Technologies"},
		// AG Neovo: the registry gives AIC to another maker.
		{"neovo", testEDID("AIC", 0x1, 2024, 1, 2020, descSerial("2024")),
			"2024", "", "AG Neovo"},
		// BenQ: the numeric serial holds the label's letters.
		{"benq", testEDID("BNQ", 0x1, 0x5958, 1, 2020, descSerial("Z9K0001")),
			"XYZ9K0001", "Z9K0001", "BenQ Corporation"},
		{"benq without letters", testEDID("BNQ", 0x1, 0x3132, 1, 2020, descSerial("Z9K0001")),
			"Z9K0001", "", "BenQ Corporation"},
		{"benq without descriptor", testEDID("BNQ", 0x1, 0x5958, 1, 2020),
			"00005958", "", "BenQ Corporation"},
		// Eizo: the numeric serial in decimal when there is no descriptor.
		{"eizo", testEDID("ENC", 0x1, 7654321, 1, 2020),
			"7654321", "", "Eizo Nanao Corporation"},
		{"eizo with descriptor", testEDID("ENC", 0x1, 7654321, 1, 2020, descSerial("31337")),
			"31337", "", "Eizo Nanao Corporation"},
		// Goldstar (LG): thousands in a 34-letter alphabet, then three
		// digits; 123456 is 123 = 3×34+21 → "3M", then "456".
		{"goldstar", testEDID("GSM", 0x1, 123456, 1, 2020),
			"0001e240", "3M456", "Goldstar Company Ltd"},
		{"goldstar label model", testEDID("GSM", 0x4b21, 123456, 1, 2020),
			"3M456", "0001e240", "Goldstar Company Ltd"},
		{"goldstar short number", testEDID("GSM", 0x1, 999, 1, 2020),
			"000003e7", "", "Goldstar Company Ltd"},
		{"goldstar number past the alphabet", testEDID("GSM", 0x1, 1123000, 1, 2020),
			"001122b8", "", "Goldstar Company Ltd"},
		{"goldstar last letter", testEDID("GSM", 0x1, 1122000, 1, 2020),
			"00111ed0", "Z0000", "Goldstar Company Ltd"},
		// Philips: six decimal digits, first when there is no descriptor
		// (HDMI), dropped when the descriptor ends with them.
		{"philips hdmi", testEDID("PHL", 0x1, 4242, 1, 2020),
			"004242", "00001092", "Philips Consumer Electronics Company"},
		{"philips descriptor ends with the number", testEDID("PHL", 0x1, 4242, 1, 2020, descSerial("UK1234004242")),
			"UK1234004242", "", "Philips Consumer Electronics Company"},
		{"philips descriptor", testEDID("PHL", 0x1, 4242, 1, 2020, descSerial("UK1234009999")),
			"UK1234009999", "004242", "Philips Consumer Electronics Company"},
		// Samsung: the numeric serial's bytes as letters, then the
		// descriptor; some models show that form, reversed, or decimal.
		{"samsung", testEDID("SAM", 0x1, 0x51525354, 1, 2020, descSerial("H1ABC00042")),
			"H1ABC00042", "QRSTH1ABC00042", "Samsung Electric Company"},
		{"samsung label model", testEDID("SAM", 0x0572, 0x51525354, 1, 2020, descSerial("H1ABC00042")),
			"QRSTH1ABC00042", "H1ABC00042", "Samsung Electric Company"},
		{"samsung reversed", testEDID("SAM", 0x0e5a, 0x51525354, 1, 2020, descSerial("H1ABC00042")),
			"TSRQH1ABC00042", "H1ABC00042", "Samsung Electric Company"},
		{"samsung decimal", testEDID("SAM", 0x0c18, 0x51525354, 1, 2020),
			"1364349780", "", "Samsung Electric Company"},
		{"samsung without descriptor", testEDID("SAM", 0x1, 0x51525354, 1, 2020),
			"51525354", "", "Samsung Electric Company"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := monitorOf(t, tt.edid)
			if m.Serial != tt.serial || m.AltSerial != tt.alt || m.Manufacturer != tt.manufacturer {
				t.Errorf("monitorFromEDID() serial, altserial, manufacturer = %q, %q, %q, want %q, %q, %q",
					m.Serial, m.AltSerial, m.Manufacturer, tt.serial, tt.alt, tt.manufacturer)
			}
		})
	}
}

func TestParseEDIDErrors(t *testing.T) {
	b := testEDID("DEL", 0x1, 1, 1, 2020, descName("P2419H"))
	b[127]++
	m := monitorOf(t, b)
	if m.Caption != "P2419H" || m.Manufacturer != "Dell Inc." {
		t.Errorf("monitorFromEDID(bad checksum) = %+v, want the monitor described", m)
	}
	if e, _ := parseEDID(b); !e.badChecksum {
		t.Errorf("parseEDID(bad checksum).badChecksum = false, want true")
	}
	if _, err := parseEDID(b[:64]); err == nil {
		t.Errorf("parseEDID(64 bytes) = nil error, want one")
	}
	noHeader := append([]byte{}, b...)
	noHeader[1] = 0
	if _, err := parseEDID(noHeader); err == nil {
		t.Errorf("parseEDID(no header) = nil error, want one")
	}
}

// TestEDIDImplausible: a block with a bad range descriptor is described
// only if it still names the monitor and gives its week and serial.
func TestEDIDImplausible(t *testing.T) {
	badRange := edidDesc{0xFD, "\x38\x4b\x00\x50\x11"} // no horizontal minimum
	if m := monitorOf(t, testEDID("DEL", 0x1, 0, 1, 2020, badRange, descName("P2419H"))); m != (Monitor{}) {
		t.Errorf("monitorFromEDID(bad range, no serial) = %+v, want nothing", m)
	}
	if m := monitorOf(t, testEDID("DEL", 0x1, 9, 1, 2020, badRange, descName("P2419H"))); m.Caption != "P2419H" || m.Serial != "00000009" {
		t.Errorf("monitorFromEDID(bad range, named) = %+v, want it described", m)
	}
	goodRange := edidDesc{0xFD, "\x38\x4b\x1e\x50\x11"}
	if m := monitorOf(t, testEDID("DEL", 0x1, 0, 1, 2020, goodRange)); m.Manufacturer != "Dell Inc." {
		t.Errorf("monitorFromEDID(good range) = %+v, want it described", m)
	}
}

func TestPNPName(t *testing.T) {
	n := len(pnpIDs) / 3
	if len(pnpIDs) != 3*n || len(pnpNameEnds) != n || int(pnpNameEnds[n-1]) != len(pnpNames) {
		t.Fatalf("pnp table: %d id bytes, %d ends, names end at %d of %d", len(pnpIDs), len(pnpNameEnds), pnpNameEnds[n-1], len(pnpNames))
	}
	for i := 1; i < n; i++ {
		if pnpIDs[3*i-3:3*i] >= pnpIDs[3*i:3*i+3] || pnpNameEnds[i-1] >= pnpNameEnds[i] {
			t.Fatalf("pnp table not sorted at %d (%s)", i, pnpIDs[3*i:3*i+3])
		}
	}
	tests := map[string]string{
		pnpIDs[:3]: pnpNames[:pnpNameEnds[0]], // the first entry
		"DEL":      "Dell Inc.",
		"GSM":      "Goldstar Company Ltd", // the official agent's spelling
		"ZZX":      "",
		"":         "",
		"@@@":      "",
	}
	for id, want := range tests {
		if got := pnpName(id); got != want {
			t.Errorf("pnpName(%q) = %q, want %q", id, got, want)
		}
	}
}

func FuzzParseEDID(f *testing.F) {
	f.Add(testEDID("DEL", 0x1, 1, 1, 2020, descName("X")))
	f.Add(testEDID("LGD", 0x1, 0, 12, 2021, descText("LG Display"), descText("N140WUM-LP1")))
	f.Add(testEDID("ACR", 0x0771, 0x0badcafe, 1, 2020, descSerial("ABCDEFGH1234")))
	f.Add(testEDID("SAM", 0x0e5a, 0xfffefdfc, 1, 2020, descSerial("H1ABC00042"), edidDesc{0xFD, "\x00\x00\x00\x00"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := parseEDID(b); err == nil {
			monitorFromEDID(e)
		}
	})
}

// TestMonitorFromDisplay: a display macOS describes gets the serial the
// same monitor's EDID gives, when the EDID has no serial descriptor.
func TestMonitorFromDisplay(t *testing.T) {
	tests := []struct {
		d    spDisplay
		want Monitor
	}{
		{spDisplay{Name: "EV2760", VendorID: "15c3", ProductID: "2911", Serial: "74cbb1", Week: "12", Year: "2021"},
			Monitor{Caption: "EV2760", Name: "EV2760", Manufacturer: "Eizo Nanao Corporation", Serial: "7654321", Description: "12/2021"}},
		{spDisplay{Name: "PHL 276E8V", VendorID: "410c", ProductID: "c22c", Serial: "0x1092", Week: "255", Year: "2019"},
			Monitor{Caption: "PHL 276E8V", Name: "PHL 276E8V", Manufacturer: "Philips Consumer Electronics Company", Serial: "004242", AltSerial: "00001092", Description: "2019"}},
		{spDisplay{Name: "Color LCD", VendorID: "610", ProductID: "a050", Serial: "0", Connection: "spdisplays_internal"},
			Monitor{Caption: "Color LCD", Name: "Color LCD", Manufacturer: "Apple Computer Inc", Serial: "00000000", Port: "Internal"}},
		{spDisplay{Name: "Display", VendorID: "610", Year: "2020"},
			Monitor{Caption: "Display", Name: "Display", Manufacturer: "Apple Computer Inc", Description: "2020"}},
	}
	for _, tt := range tests {
		if got := monitorFromDisplay(tt.d); got != tt.want {
			t.Errorf("monitorFromDisplay(%+v) = %+v, want %+v", tt.d, got, tt.want)
		}
	}
}
