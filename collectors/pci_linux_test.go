package collectors

import "testing"

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
