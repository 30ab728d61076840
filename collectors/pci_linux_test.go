package collectors

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The controller, video and sound collectors of a run read the PCI
// functions and pci.ids once between them; the next run reads them anew.
func TestPCIReadOncePerRun(t *testing.T) {
	env := (&Env{Root: "testdata/laptop"}).forRun()
	first := readPCIHost(env)
	if len(first.devs) == 0 || len(first.ids) == 0 {
		t.Fatalf("the laptop fixture has %d PCI functions, %d names", len(first.devs), len(first.ids))
	}
	if readPCIHost(env) != first {
		t.Error("a second collector of the run read the PCI functions again")
	}
	if readPCIHost((&Env{Root: "testdata/laptop"}).forRun()) == first {
		t.Error("the next run saw this run's PCI functions")
	}
}

// A pci.ids cut short while it is mapped (a package upgrade writing it in
// place) makes the search fault past the file's new end: the collectors
// get an error and name devices by class, the agent goes on.
func TestMappedPCIIDsCutShort(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pci.ids")
	db := strings.Repeat("\t0000  filler\n", 4096) + "8086  Intel Corporation\n\t1234  Thing\n"
	if err := os.WriteFile(path, []byte(db), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mapped, err := syscall.Mmap(int(f.Fd()), 0, len(db), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mapped)
	devs := []pciDevice{{Vendor: "8086", Device: "1234", Class: "030000"}}
	if ids, err := parseMappedPCIIDs(mapped, devs); err != nil || ids["d80861234"] != "Thing" {
		t.Fatalf("whole file: %v, %v", ids, err)
	}
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	ids, err := parseMappedPCIIDs(mapped, devs)
	if err == nil || ids != nil {
		t.Fatalf("file cut short while mapped: %v, %v; want an error", ids, err)
	}
	t.Log(err)
}
