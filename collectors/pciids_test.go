package collectors

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// parsePCIIDsByLine is the plain reading of pci.ids that parsePCIIDs must
// agree with: every line in turn, a vendor's or class's devices kept when
// asked for.
func parsePCIIDsByLine(db []byte, devs []pciDevice) pciIDs {
	want := map[string]bool{}
	for _, d := range devs {
		want["v"+d.Vendor], want["d"+d.Vendor+d.Device] = true, true
		if len(d.Class) >= 4 {
			want["c"+d.Class[:2]], want["s"+d.Class[:4]] = true, true
		}
	}
	ids := pciIDs{}
	parent := ""
	sc := bufio.NewScanner(bytes.NewReader(db))
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case line == "" || line[0] == '#' || strings.HasPrefix(line, "\t\t"):
		case line[0] == '\t':
			if id, name, ok := strings.Cut(line[1:], "  "); ok && want[parent+id] {
				ids[parent+id] = strings.TrimSpace(name)
			}
		case strings.HasPrefix(line, "C "):
			id, name, _ := strings.Cut(line[2:], "  ")
			parent = "s" + id
			if want["c"+id] {
				ids["c"+id] = strings.TrimSpace(name)
			}
		default:
			id, name, _ := strings.Cut(line, "  ")
			parent = "d" + id
			if want["v"+id] {
				ids["v"+id] = strings.TrimSpace(name)
			}
		}
	}
	return ids
}

// pciIDsSample draws n devices from db's own entries, some of them with a
// vendor, device or class db does not have.
func pciIDsSample(r *rand.Rand, db []byte, n int) []pciDevice {
	var vendors, classes []string
	devices := map[string][]string{}
	vendor := ""
	for line := range strings.SplitSeq(string(db), "\n") {
		switch {
		case line == "" || line[0] == '#' || strings.HasPrefix(line, "\t\t"):
		case line[0] == '\t':
			if id, _, ok := strings.Cut(line[1:], "  "); ok && vendor != "" {
				devices[vendor] = append(devices[vendor], id)
			}
		case strings.HasPrefix(line, "C "):
			id, _, _ := strings.Cut(line[2:], "  ")
			classes, vendor = append(classes, id), ""
		default:
			vendor, _, _ = strings.Cut(line, "  ")
			vendors = append(vendors, vendor)
		}
	}
	pick := func(s []string, absent string) string {
		if len(s) == 0 || r.IntN(8) == 0 {
			return absent
		}
		return s[r.IntN(len(s))]
	}
	devs := make([]pciDevice, n)
	for i := range devs {
		v := pick(vendors, "fff0")
		devs[i] = pciDevice{Vendor: v, Device: pick(devices[v], "fff1"), Class: pick(classes, "fe") + fmt.Sprintf("%02x00", r.IntN(8))}
	}
	return devs
}

// parsePCIIDs finds what the line-by-line reading finds, on the host's
// pci.ids (Debian's pci.ids package, which CI installs) and on files of
// pci.ids's shape drawn at random: comments and blank lines inside blocks,
// CRLF ends, subsystems, a vendor at the file's start, one out of order.
func TestPCIIDsAsReadByLine(t *testing.T) {
	dbs := map[string][]byte{}
	if host, err := os.ReadFile("/usr/share/misc/pci.ids"); err == nil {
		dbs["host"] = host
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("the host's pci.ids, which CI installs: %v", err)
	} else {
		t.Logf("no host pci.ids (%v): synthetic files only", err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 20 {
		var b strings.Builder
		eol := "\n"
		if n%4 == 3 {
			eol = "\r\n"
		}
		if n%2 == 0 {
			b.WriteString("# pci.ids" + eol + eol)
		}
		ids := map[int]bool{}
		for range 40 {
			ids[r.IntN(0x10000)] = true
		}
		vendors := make([]int, 0, len(ids))
		for id := range maps.Keys(ids) {
			vendors = append(vendors, id)
		}
		slices.Sort(vendors)
		if n%5 == 4 {
			vendors[0], vendors[len(vendors)-1] = vendors[len(vendors)-1], vendors[0] // out of order
		}
		for _, v := range vendors {
			fmt.Fprintf(&b, "%04x  Vendor %d%s", v, v, eol)
			for d := range r.IntN(6) {
				fmt.Fprintf(&b, "\t%04x  Device %d of %d %s", d*7, d, v, eol)
				if r.IntN(3) == 0 {
					fmt.Fprintf(&b, "\t\t%04x %04x  Subsystem%s", v, d, eol)
				}
				if r.IntN(10) == 0 {
					b.WriteString("# a note" + eol + eol)
				}
			}
		}
		b.WriteString("# classes" + eol)
		for c := range 0x13 {
			fmt.Fprintf(&b, "C %02x  Class %d%s", c, c, eol)
			for s := range r.IntN(4) {
				fmt.Fprintf(&b, "\t%02x  Subclass %d%s\t\t00  Interface%s", s, s, eol, eol)
			}
		}
		dbs[fmt.Sprint("synthetic ", n)] = []byte(b.String())
	}
	for name, db := range dbs {
		for range 50 {
			devs := pciIDsSample(r, db, 1+r.IntN(8))
			want := parsePCIIDsByLine(db, devs)
			if got := parsePCIIDs(db, devs); !maps.Equal(got, want) {
				t.Fatalf("%s, devices %+v:\nparsePCIIDs = %v\nby line     = %v", name, devs, got, want)
			}
		}
	}
}
