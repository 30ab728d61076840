package collectors

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testdata/ioreg holds I/O Registry listings made by hand in the layout of
// "ioreg -l -w0": an Intel iMac (IODisplayEDID on the AppleBacklightDisplay
// and AppleDisplay entries, an override's original with a bad checksum)
// and an Apple silicon MacBook Pro ("EDID" on the AppleCLCD2 entries, and
// nested in a dictionary). Their EDIDs are made up.

// edidID names an EDID by its identity, for comparisons.
func edidID(t *testing.T, raw []byte) string {
	t.Helper()
	e, err := parseEDID(raw)
	if err != nil {
		t.Fatalf("parseEDID: %v", err)
	}
	return fmt.Sprintf("%s %04x %08x", e.vendor, e.product, e.serial)
}

func TestParseIoregEDIDs(t *testing.T) {
	good := testEDID("DEL", 0xa0b9, 0x4c415a31, 12, 2021, descName("DELL P2419H"), descSerial("7MT0123ABCD"))
	bad := slices.Clone(good)
	bad[127]++
	headless := slices.Clone(good)
	headless[0] = 1
	h := hex.EncodeToString
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"intel fixture", readTestdata(t, "intel.txt"), []string{"APP ae22 00000000", "DEL a0b9 4c415a31"}},
		{"apple silicon fixture", readTestdata(t, "applesilicon.txt"), []string{"APP a04e fd626d62", "GSM 5b09 0004cab9"}},
		{"top level", `  | |   "EDID" = <` + h(good) + ">\n", []string{"DEL a0b9 4c415a31"}},
		{"nested", `"DisplayAttributes" = {"A"=1,"B"={"EDID"=<` + h(good) + `>},"C"="x"}`, []string{"DEL a0b9 4c415a31"}},
		{"in an array", `"EDID" = (<` + h(good) + `>)`, []string{"DEL a0b9 4c415a31"}},
		{"upper case hex, CRLF", `"IODisplayEDID" = <` + strings.ToUpper(h(good)) + ">\r\n", []string{"DEL a0b9 4c415a31"}},
		{"twice", `"EDID" = <` + h(good) + ">\n" + `"IODisplayEDID" = <` + h(good) + ">\n", []string{"DEL a0b9 4c415a31"}},
		{"bad checksum", `"EDID" = <` + h(bad) + ">\n", nil},
		{"no header", `"EDID" = <` + h(headless) + ">\n", nil},
		{"short", `"EDID" = <` + h(good[:127]) + ">\n", nil},
		{"other key", `"EDID UUID" = <` + h(good) + ">\n" + `"IODisplayPrefsKey" = <` + h(good) + ">\n", nil},
		{"odd hex", `"EDID" = <` + h(good) + "0>\n", nil},
		{"unterminated", `"EDID" = <` + h(good) + "\n", nil},
		{"after a broken line", `"X" = {"EDID"=<00ff` + "\n" + `"EDID" = <` + h(good) + ">\n", []string{"DEL a0b9 4c415a31"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, raw := range parseIoregEDIDs([]byte(tt.in)) {
				got = append(got, edidID(t, raw))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("parseIoregEDIDs = %q, want %q", got, tt.want)
			}
		})
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ioreg", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzParseIoregEDIDs feeds the parser arbitrary listings: it must return
// only valid EDIDs, each once, and a well-formed EDID line after whatever
// came before must still be found.
func FuzzParseIoregEDIDs(f *testing.F) {
	for _, name := range []string{"intel.txt", "applesilicon.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", "ioreg", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`"EDID" = {"EDID"=({"EDID"=<00ff>,"x"=<"a>b">}),"y"=Yes}`))
	f.Add([]byte(`"EDID" = <` + strings.Repeat("{", 100)))
	probe := testEDID("GSM", 0x5b09, 314041, 8, 2017, descName("LG Ultra HD"), descSerial("708NTAB4C123"))
	probeLine := []byte("\n  | |   \"EDID\" = <" + hex.EncodeToString(probe) + ">\n")
	f.Fuzz(func(t *testing.T, in []byte) {
		got := parseIoregEDIDs(in)
		seen := map[string]bool{}
		for _, b := range got {
			if !validEDID(b) {
				t.Fatalf("parseIoregEDIDs returned an invalid EDID % x", b)
			}
			if seen[string(b)] {
				t.Fatalf("parseIoregEDIDs returned an EDID twice: % x", b)
			}
			seen[string(b)] = true
		}
		got = parseIoregEDIDs(append(slices.Clone(in), probeLine...))
		if !slices.ContainsFunc(got, func(b []byte) bool { return bytes.Equal(b, probe) }) {
			t.Fatalf("parseIoregEDIDs lost the EDID of a line following %q", in)
		}
	})
}

// macDisplayJSON is a display as system_profiler reports it, its identity
// taken from an EDID.
func macDisplayJSON(name string, edid []byte, internal bool) map[string]any {
	d := map[string]any{
		"_name":                             name,
		"_spdisplays_display-vendor-id":     fmt.Sprintf("%x", binary.BigEndian.Uint16(edid[8:10])),
		"_spdisplays_display-product-id":    fmt.Sprintf("%x", binary.LittleEndian.Uint16(edid[10:12])),
		"_spdisplays_display-serial-number": fmt.Sprintf("%x", binary.LittleEndian.Uint32(edid[12:16])),
		"_spdisplays_display-week":          fmt.Sprint(edid[16]),
		"_spdisplays_display-year":          fmt.Sprint(int(edid[17]) + 1990),
		"_spdisplays_pixels":                "1920 x 1080",
	}
	if internal {
		d["spdisplays_connection_type"] = "spdisplays_internal"
	}
	return d
}

// macIoregHost is a Mac whose system_profiler lists displays and whose
// ioreg prints ioreg, or fails with ioregErr.
func macIoregHost(t *testing.T, displays []map[string]any, ioreg string, ioregErr error) *Env {
	t.Helper()
	report, err := json.Marshal(map[string]any{"SPDisplaysDataType": []any{map[string]any{
		"_name": "Apple M1 Pro", "sppci_model": "Apple M1 Pro", "spdisplays_ndrvs": displays,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return &Env{
		Root: t.TempDir(),
		Exec: func(_ context.Context, prog string, args ...string) ([]byte, error) {
			switch {
			case prog == systemProfiler:
				return report, nil
			case prog == ioregProgram && slices.Equal(args, ioregArgs):
				return []byte(ioreg), ioregErr
			}
			return nil, fmt.Errorf("fake exec: unexpected %s %q", prog, args)
		},
	}
}

// macMonitorsOf runs the macOS monitor collector on env.
func macMonitorsOf(t *testing.T, env *Env) []Monitor {
	t.Helper()
	v, err := macMonitors(t.Context(), macEnv(env, &macHost{}))
	if err != nil {
		t.Fatal(err)
	}
	return v.([]Monitor)
}

// monitorNamed returns the monitor of that name.
func monitorNamed(t *testing.T, ms []Monitor, name string) Monitor {
	t.Helper()
	for _, m := range ms {
		if m.Name == name || m.Caption == name {
			return m
		}
	}
	t.Fatalf("no monitor %q in %+v", name, ms)
	return Monitor{}
}

// ioregLayouts write EDIDs as the I/O Registry of a Mac lists them.
var ioregLayouts = []struct {
	name  string
	write func(edids ...[]byte) string
}{
	{"intel", func(edids ...[]byte) string {
		var b strings.Builder
		b.WriteString("+-o Root  <class IORegistryEntry, id 0x100000100, retain 29>\n")
		for i, e := range edids {
			fmt.Fprintf(&b, "  | | +-o display0  <class IODisplayConnect, id 0x1000004%02x, registered, matched, active, busy 0 (0 ms), retain 7>\n", i)
			fmt.Fprintf(&b, "  | |   +-o AppleDisplay  <class AppleDisplay, id 0x1000005%02x, registered, matched, active, busy 0 (0 ms), retain 9>\n", i)
			b.WriteString("  | |       {\n")
			fmt.Fprintf(&b, "  | |         \"DisplayProductID\" = %d\n", binary.LittleEndian.Uint16(e[10:12]))
			fmt.Fprintf(&b, "  | |         \"IODisplayEDID\" = <%x>\n", e)
			fmt.Fprintf(&b, "  | |         \"IODisplayParameters\" = {\"commit\"={\"reg\"=0},\"bright\"={\"min\"=0,\"value\"=32,\"max\"=255}}\n")
			b.WriteString("  | |       }\n  | |       \n")
		}
		return b.String()
	}},
	{"apple silicon", func(edids ...[]byte) string {
		var b strings.Builder
		b.WriteString("+-o Root  <class IORegistryEntry, id 0x100000100, retain 35>\n")
		for i, e := range edids {
			fmt.Fprintf(&b, "      | +-o dispext%d@39200000  <class AppleARMIODevice, id 0x1000001c%d, registered, matched, active, busy 0 (64 ms), retain 11>\n", i, i)
			b.WriteString("      | | +-o AppleCLCD2  <class AppleCLCD2, id 0x100000a32, registered, matched, active, busy 0 (0 ms), retain 15>\n")
			b.WriteString("      | |     {\n")
			b.WriteString("      | |       \"EDID UUID\" = \"1E6D095B-0000-0000-081B-0104B53C2278\"\n")
			if i%2 == 0 {
				fmt.Fprintf(&b, "      | |       \"EDID\" = <%x>\n", e)
			} else {
				fmt.Fprintf(&b, "      | |       \"DisplayAttributes\" = {\"SupportsSuspend\"=No,\"EDID\"=<%x>,\"MaxBrightness\"=600}\n", e)
			}
			b.WriteString("      | |     }\n      | |     \n")
		}
		return b.String()
	}},
}

// TestMacMonitorSerialFromEDID runs the macOS monitor collector on a Mac
// whose displays are real monitors of the corpus: the serial of each must
// be the official agent's (the Linux and Windows collectors' too), though
// system_profiler lists the displays in another order than ioreg, next to
// a built-in panel whose EDID ioreg lacks. The Dell's label serial is its
// serial descriptor, which system_profiler does not give; the Acer's
// combines the descriptor and the numeric serial.
func TestMacMonitorSerialFromEDID(t *testing.T) {
	dir := corpusDir(t)
	var expected map[string]json.RawMessage
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var official map[string]map[string]any
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(expected["t/tasks/inventory/generic/screen.t:%edid_tests"], &official); err != nil {
		t.Fatal(err)
	}
	edid := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, "edid", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dell, acer := edid("lcd.dell-U2415"), edid("acer-b247y")
	panel := testEDID("APP", 0xa04e, 0xfd626d62, 0, 2021)
	displays := []map[string]any{
		macDisplayJSON("Color LCD", panel, true),
		macDisplayJSON("DELL U2415", dell, false),
		macDisplayJSON("B247Y", acer, false),
	}
	for _, layout := range ioregLayouts {
		t.Run(layout.name, func(t *testing.T) {
			ms := macMonitorsOf(t, macIoregHost(t, displays, layout.write(acer, dell), nil))
			if len(ms) != 3 {
				t.Fatalf("got %d monitors, want 3: %+v", len(ms), ms)
			}
			for _, c := range []struct{ file, name string }{{"lcd.dell-U2415", "DELL U2415"}, {"acer-b247y", "B247Y"}} {
				want := official[c.file]
				m := monitorNamed(t, ms, c.name)
				if m.Serial != want["SERIAL"] {
					t.Errorf("%s: serial = %q, want the official agent's %q", c.name, m.Serial, want["SERIAL"])
				}
				if alt, _ := want["ALTSERIAL"].(string); m.AltSerial != alt {
					t.Errorf("%s: altserial = %q, want the official agent's %q", c.name, m.AltSerial, alt)
				}
				e, err := parseEDID(edid(c.file))
				if err != nil {
					t.Fatal(err)
				}
				if linux := monitorFromEDID(e); m.Serial != linux.Serial || m.Manufacturer != linux.Manufacturer || m.Base64 == "" {
					t.Errorf("%s: %+v, want the Linux collector's serial and maker %+v and the EDID", c.name, m, linux)
				}
			}
			// No EDID in ioreg: system_profiler's values, as before.
			if m, want := monitorNamed(t, ms, "Color LCD"), monitorFromDisplay(spDisplay{
				Name: "Color LCD", VendorID: "610", ProductID: "a04e", Serial: "fd626d62", Week: "0", Year: "2021", Connection: "spdisplays_internal",
			}); m != want {
				t.Errorf("Color LCD = %+v, want %+v", m, want)
			}
		})
	}
}

// TestMacMonitorSerialWithoutEDID: a display keeps system_profiler's values
// when ioreg fails, prints nothing usable, or cannot tell two displays of
// one identity apart.
func TestMacMonitorSerialWithoutEDID(t *testing.T) {
	dell := testEDID("DEL", 0xa0b9, 0x33344555, 20, 2016, descName("DELL U2415"), descSerial("7MT019AI34EU"))
	// Another Dell of the same model and numeric serial, told apart by
	// its serial descriptor only.
	twin := testEDID("DEL", 0xa0b9, 0x33344555, 20, 2016, descName("DELL U2415"), descSerial("7MT019AI99XX"))
	one := []map[string]any{macDisplayJSON("DELL U2415", dell, false)}
	two := append(slices.Clone(one), macDisplayJSON("DELL U2415", twin, false))
	fromProfiler := "33344555" // the numeric serial, in hex
	tests := []struct {
		name     string
		displays []map[string]any
		ioreg    string
		err      error
	}{
		{"ioreg fails", one, "", errors.New("exec: \"/usr/sbin/ioreg\": file does not exist")},
		{"ioreg prints garbage", one, "\x00<>{{\"EDID\" = <00ff>\n", nil},
		{"two EDIDs of one identity", one, ioregLayouts[0].write(dell, twin), nil},
		{"two displays of one identity", two, ioregLayouts[0].write(dell), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := macMonitorsOf(t, macIoregHost(t, tt.displays, tt.ioreg, tt.err))
			if len(ms) != len(tt.displays) {
				t.Fatalf("got %d monitors, want %d", len(ms), len(tt.displays))
			}
			for _, m := range ms {
				if m.Serial != fromProfiler || m.Base64 != "" {
					t.Errorf("monitor = %+v, want serial %q from system_profiler and no EDID", m, fromProfiler)
				}
			}
		})
	}
	// The same display with its EDID in ioreg gets the label serial.
	ms := macMonitorsOf(t, macIoregHost(t, one, ioregLayouts[1].write(dell), nil))
	if len(ms) != 1 || ms[0].Serial != "7MT019AI34EU" {
		t.Errorf("with its EDID: %+v, want serial 7MT019AI34EU", ms)
	}
}

// BenchmarkParseIoregEDIDs reads a listing of the size of a recent Mac's
// whole registry (about 8 MB, some 80 000 lines) holding two EDIDs.
func BenchmarkParseIoregEDIDs(b *testing.B) {
	var in bytes.Buffer
	for in.Len() < 8<<20 {
		in.WriteString("    | | |   \"IOPowerManagement\" = {\"DevicePowerState\"=2,\"CurrentPowerState\"=2,\"CapabilityFlags\"=32768,\"MaxPowerState\"=2}\n")
		in.WriteString("    | | |   \"reg\" = <00000000000000000000000000000000000000000000000000000000000000000000000000000000>\n")
	}
	ioreg, err := os.ReadFile(filepath.Join("testdata", "ioreg", "applesilicon.txt"))
	if err != nil {
		b.Fatal(err)
	}
	in.Write(ioreg)
	b.SetBytes(int64(in.Len()))
	for b.Loop() {
		if n := len(parseIoregEDIDs(in.Bytes())); n != 2 {
			b.Fatalf("found %d EDIDs, want 2", n)
		}
	}
}
