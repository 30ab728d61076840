package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// The macOS corpus tests run every macOS collector on real Macs: the
// system_profiler -json output (and a few sysctl lines) of about fifteen
// machines, Intel and Apple silicon, laptops, desktops and virtual
// machines, macOS 10.15 to 26, laid out as fixture machines in
// ../shared/corpus/macos/cases (or $GLPI_CORPUS/macos/cases). Most cover a
// few data types only; each inventory must validate, and the values real
// output got wrong once are asserted one by one. Real output lacks a
// battery record, an NVMe disk and Wi-Fi: the hand-made fixtures of
// testdata/macos (TestMacGolden) cover those.

// macCorpusCases returns the corpus machines' directories.
func macCorpusCases(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(corpusDir(t), "macos", "cases")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("macOS corpus missing under CI: %v (set GLPI_CORPUS)", err)
		}
		t.Skipf("macOS corpus not available, skipping: %v (set GLPI_CORPUS)", err)
	}
	return dir
}

// macCorpusHost returns the Env and macHost of a corpus machine. Its
// system_profiler prints system_profiler.json whatever the data types
// asked, and applications.json for the applications; sysctl answers from
// sysctl.txt, and a machine without one has no sysctl at all. A machine
// without applications.json has no applications. Nothing else
// of the live system is there.
func macCorpusHost(t *testing.T, dir string) (*Env, *macHost) {
	t.Helper()
	env := &Env{
		Root: dir,
		Now:  func() time.Time { return macFixtureNow },
		Exec: func(_ context.Context, prog string, args ...string) ([]byte, error) {
			if prog != systemProfiler || len(args) < 4 {
				return nil, fmt.Errorf("fake exec: unexpected %s %q", prog, args)
			}
			if slices.Equal(args[3:], []string{"SPApplicationsDataType"}) {
				b, err := os.ReadFile(filepath.Join(dir, "applications.json"))
				if errors.Is(err, os.ErrNotExist) {
					// What system_profiler prints when it finds none.
					return []byte(`{"SPApplicationsDataType": []}`), nil
				}
				return b, err
			}
			return os.ReadFile(filepath.Join(dir, "system_profiler.json"))
		},
	}
	h := &macHost{}
	if b, err := os.ReadFile(filepath.Join(dir, "sysctl.txt")); err == nil {
		values := parseSysctlText(string(b))
		h.sysctl = func(name string) string { return values[name] }
	}
	return env, h
}

// macCorpusInventory runs every macOS collector on a corpus machine and
// returns the content of its inventory, as JSON values.
func macCorpusInventory(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := json.Marshal(macContent(t, macEnv(macCorpusHost(t, dir))))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// macCorpusWant is a value a corpus machine's inventory must hold at a
// path of section, entry index and field ("cpus.0.arch"); a nil want means
// the path must be absent.
type macCorpusWant struct {
	machine, path string
	want          any
	why           string
}

// macCorpusWants are the values real output got wrong once (issue 18).
var macCorpusWants = []macCorpusWant{
	// An Apple silicon Mac asked from a Rosetta process: a CPU type
	// "Unknown", no chip type, a speed with a decimal comma.
	{"m1_air_rosetta_hw", "cpus.0.name", nil, `cpu_type "Unknown" is no name`},
	{"m1_air_rosetta_hw", "cpus.0.arch", "arm64", "Apple silicon is arm64 whoever asks"},
	{"m1_air_rosetta_hw", "cpus.0.manufacturer", "Apple", "Apple silicon"},
	{"m1_air_rosetta_hw", "cpus.0.speed", 2400.0, `"2,4 GHz" has a decimal comma`},
	{"m1_air_rosetta_hw", "cpus.0.core", 8.0, "number_processors"},
	{"m1_air_hw", "cpus.0.arch", "arm64", "chip type"},
	{"m1_air_hw", "cpus.0.description", "4 performance and 4 efficiency cores", "proc 8:4:4"},
	{"m4max_mbp_hw", "cpus.0.description", "12 performance and 4 efficiency cores", "proc 16:12:4"},
	{"anka_intel_15", "cpus.0.name", "Intel(R) Core(TM) i7-8700B CPU @ 3.20GHz", `brand string over cpu_type "Unknown"`},
	{"anka_intel_15", "cpus.0.core", 4.0, "hw.perflevel0.physicalcpu"},
	{"anka_intel_15", "cpus.0.description", nil, "one performance level"},
	// Monitors: the serial and maker the EDID rules give on Linux and
	// Windows for a monitor without a serial descriptor.
	{"m1pro_mbp_displays", "monitors.0.serial", "fd626d62", "numeric serial, eight hex digits"},
	{"m1pro_mbp_displays", "monitors.0.manufacturer", "Apple Computer Inc", "PNP APP"},
	{"m1pro_mbp_displays", "monitors.1.serial", "324c4853", "numeric serial, eight hex digits"},
	{"m1pro_mbp_displays", "monitors.1.manufacturer", "Dell Inc.", "PNP DEL"},
	{"m1pro_mbp_displays", "monitors.1.description", "28/2015", "EDID week/year"},
	{"m1pro_mbp_displays", "monitors.2.serial", "3346384c", "numeric serial, eight hex digits"},
	{"anka_intel_15", "monitors.0.serial", "00000001", `"1" is the EDID's number 1, eight hex digits`},
	{"anka_intel_15", "monitors.0.manufacturer", "D@F", "vendor id 1006 decoded as the EDID decoder does"},
	{"anka_intel_15", "monitors.0.description", "26/2020", "EDID week/year"},
	// Localisation keys name nothing.
	{"vmware_intel_10.15", "videos.0.name", nil, "spdisplays_display"},
	{"vmware_intel_10.15", "videos.0.memory", 128.0, "VRAM"},
	{"vmware_intel_10.15", "videos.0.resolution", "1920x984", "pixels"},
	{"vmware_intel_10.15", "monitors", nil, "a framebuffer named spdisplays_display, without EDID"},
	// An empty optical drive is no disk.
	{"vmware_intel_10.15", "storages.0.type", "disk", "SATA hard drive"},
	{"vmware_intel_10.15", "storages.0.disksize", 1020054.0, "size_in_bytes"},
	{"vmware_intel_10.15", "storages.1.model", "VMware Virtual SATA CDRW Drive", "optical drive"},
	{"vmware_intel_10.15", "storages.1.type", "cdrom", "optical drive"},
	// System disk images are no drives.
	{"anka_intel_15", "drives.1.type", "/", "the Cryptex in between is left out"},
	{"anka_intel_15", "drives.2", nil, "two volumes of the real disk"},
	{"applevm_m1_26", "drives.0.type", "/System/Volumes/Data", "data volume"},
	{"applevm_m1_26", "drives.1.type", "/", "two Cryptexes left out"},
	{"applevm_m1_26", "drives.2", nil, "two volumes of the real disk"},
	{"as_storage_1tb", "drives.1.type", "/Volumes/USB_TM_1TB", "an external disk stays"},
	{"as_storage_1tb", "drives.2.type", "/", "three real volumes"},
	// Core levels: number_processors of four fields, hw.perflevel sysctls.
	{"m5max_mbp_hw", "cpus.0.description", "6 super and 12 performance cores", "hw.perflevel0/1, proc 18:6:0:12"},
	{"m5max_mbp_hw", "cpus.0.core", 18.0, "6 + 12"},
	{"m5max_mbp_hw", "cpus.0.thread", 18.0, "no SMT"},
	// Bluetooth PAN is no Ethernet port.
	{"vmware_intel_10.15", "networks.0.type", "ethernet", "en0"},
	{"vmware_intel_10.15", "networks.1.description", "en1", "Bluetooth PAN"},
	{"vmware_intel_10.15", "networks.1.type", "bluetooth", "Bluetooth PAN"},
	// Placeholders of memory modules.
	{"intel_mbp_ddr3_mem", "memories.0.serialnumber", nil, `serial "-"`},
	// Memory as the official agent names it, GLPI filing modules under
	// models named from type and description: the part number, decoded.
	{"intel_mbp_ddr3_mem", "memories.0.description", "HMT41GS6AFR8A-PB", "hex part number"},
	{"intel_mbp_ddr3_mem", "memories.0.caption", "Status: OK", "dimm_status ok"},
	{"intel_mbp_ddr3_mem", "memories.0.manufacturer", nil, "no maker"},
	{"intel_mbp_ddr3_mem", "memories.0.numslots", nil, "BANK 0/DIMM0: slot 0"},
	{"as_memory_24gb", "memories.0.capacity", 24576.0, "24 GB unified"},
	{"as_memory_24gb", "memories.0.description", "Integrated memory", "unified"},
	{"as_memory_24gb", "memories.0.manufacturer", nil, "no maker"},
	// No hardware data, no hardware section.
	{"as_memory_24gb", "hardware", nil, "memory only"},
	{"m1pro_mbp_displays", "hardware", nil, "displays only"},
	{"as_storage_1tb", "hardware", nil, "storage only"},
	{"as_power_83pct", "hardware", nil, "power only"},
	{"m4max_vm_hw", "hardware.vmsystem", "Apple Virtualization", "VirtualMac2,1"},
	{"m4max_mbp_hw", "hardware.vmsystem", "Physical", "Mac16,5"},
	// Fallbacks without sysctl.
	{"imacpro_intel_hw", "cpus.0.core", 8.0, "number_processors"},
	{"imacpro_intel_hw", "cpus.0.thread", 16.0, "htt_enabled"},
	{"imacpro_intel_hw", "cpus.0.arch", "x86_64", "cpu_type"},
	{"vmware_intel_10.15", "hardware.name", "Abdul’s Mac", "the computer name, as the official agent sends it"},
	{"vmware_intel_10.15", "cpus.0.core", 4.0, "a VMware guest without CPU type"},
	{"vmware_intel_10.15", "cpus.0.speed", 2590.0, "2.59 GHz"},
	{"vmware_intel_10.15", "cpus.0.arch", "x86_64", "an Intel processor speed"},
	{"vmware_intel_10.15", "operatingsystem.arch", "x86_64", "an Intel processor speed"},
	// Software.
	{"vmware_intel_10.15", "softwares.name=Vysor.system_category", "Applications/Chrome Apps.localized", "no home path"},
	{"vmware_intel_10.15", "softwares.name=Vysor.username", "abdulrehman", "the home's owner"},
	{"vmware_intel_10.15", "softwares.name=Git Gui.arch", "universal", "arch_i32_i64"},
	// Identity: serials and models as system_profiler gives them.
	{"m4max_mbp_hw", "bios.ssn", "C6XW4X7JX1", "serial_number"},
	{"m4max_mbp_hw", "bios.smodel", "Mac16,5", "machine_model"},
	{"m4max_mbp_hw", "bios.smanufacturer", "Apple Inc.", "Apple"},
	{"m4max_mbp_hw", "hardware.uuid", "6D9530A4-90A2-5A28-B133-3D6011CC7772", "platform_UUID"},
	{"vmware_intel_10.15", "bios.ssn", "VMrlII8lumiY", "serial_number"},
	{"vmware_intel_10.15", "hardware.uuid", "564DE5E6-B6E6-A1C5-EA64-68017E42B6A5", "platform_UUID"},
}

// TestMacCorpus runs every macOS collector on each real Mac of the corpus:
// nothing fails, the inventory validates, and the values of
// macCorpusWants are right.
func TestMacCorpus(t *testing.T) {
	root := macCorpusCases(t)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	inventories := map[string]map[string]any{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			content := macCorpusInventory(t, filepath.Join(root, e.Name()))
			inventories[e.Name()] = content
			schematest.Validate(t, map[string]any{"action": "inventory", "deviceid": "mac-2024-06-12-10-30-00", "content": content})
		})
	}
	for _, w := range macCorpusWants {
		content, ok := inventories[w.machine]
		if !ok {
			t.Errorf("corpus machine %s missing", w.machine)
			continue
		}
		got, found := jsonPath(content, w.path)
		switch {
		case w.want == nil && found:
			t.Errorf("%s: %s = %v, want none (%s)", w.machine, w.path, got, w.why)
		case w.want != nil && !reflect.DeepEqual(got, w.want):
			t.Errorf("%s: %s = %v, want %v (%s)", w.machine, w.path, got, w.want, w.why)
		}
	}
}

// jsonPath follows a dotted path into decoded JSON: a key, a list index,
// or key=value for the first entry of a list with that value.
func jsonPath(v any, p string) (any, bool) {
	for _, step := range strings.Split(p, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[step]; !ok {
				return nil, false
			}
		case []any:
			if k, val, ok := strings.Cut(step, "="); ok {
				i := slices.IndexFunc(x, func(e any) bool {
					m, _ := e.(map[string]any)
					return m[k] == val
				})
				if i < 0 {
					return nil, false
				}
				v = x[i]
				continue
			}
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}
