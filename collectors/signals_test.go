package collectors

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

func TestLinuxSignals(t *testing.T) {
	root := t.TempDir()
	write := func(p, v string) {
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(v+"\n"), 0o644)
	}
	write("etc/machine-id", "0123456789abcdef0123456789abcdef")
	write("sys/class/dmi/id/product_uuid", "4c4c4544-0042-3510-8052-b4c04f4e4b32")
	write("sys/class/dmi/id/product_serial", "To Be Filled By O.E.M.")
	write("sys/class/net/eth0/address", "3c:7c:3f:11:22:33")
	write("sys/class/net/eth0/addr_assign_type", "0")
	os.MkdirAll(filepath.Join(root, "sys/class/net/eth0/device"), 0o755)
	write("sys/class/net/docker0/address", "02:42:ac:11:00:01") // virtual, no device
	write("sys/class/net/wlan0/address", "da:a1:19:00:00:01")   // randomised
	write("sys/class/net/wlan0/addr_assign_type", "3")
	os.MkdirAll(filepath.Join(root, "sys/class/net/wlan0/device"), 0o755)

	s := linuxSignals(&Env{Root: root})
	if s.MachineID != "0123456789abcdef0123456789abcdef" || s.SMBIOSUUID != "44454C4C-4200-1035-8052-B4C04F4E4B32" {
		t.Errorf("linuxSignals = %+v", s)
	}
	if s.Serial != "" {
		t.Errorf("placeholder serial kept: %q", s.Serial)
	}
	if len(s.MACs) != 1 || s.MACs[0] != "3c:7c:3f:11:22:33" {
		t.Errorf("MACs = %v, want only the burnt-in eth0", s.MACs)
	}
}

// TestInventoryUUIDMatchesSignal holds the UUID an inventory states to
// the fingerprint's signal, which the service checks it against: a UUID
// stated without a signal to match, or one whose canonical form differs,
// would have every inventory of the device refused.
func TestInventoryUUIDMatchesSignal(t *testing.T) {
	for _, raw := range []string{
		"4c4c4544-0042-3510-8052-b4c04f4e4b32",
		"564D9A2B-1C3D-4E5F-8A9B-0C1D2E3F4A5B",
		" 2b9a4d56-3d1c-5f4e-8a9b-0c1d2e3f4a5b\n",
		"01234567-8910-1112-1314-151617181920", // a placeholder
		"03000200-0400-0500-0006-000700080009",
		"4C4C454-40042-3510-8052-B4C04F4E4B32", // dashes misplaced
		"not-a-uuid", "",
	} {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "sys/class/dmi/id"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "sys/class/dmi/id/product_uuid"), []byte(raw), 0o644); err != nil {
			t.Fatal(err)
		}
		sig := HostSignals(t.Context(), &Env{Root: root}).SMBIOSUUID
		inv := cleanUUID(raw)
		if (inv == "") != (sig == "") || inv != "" && enroll.SignalUUID(inv) != sig {
			t.Errorf("UUID %q: the inventory states %q, the fingerprint's signal is %q", raw, inv, sig)
		}
	}
}

func TestWindowsSignals(t *testing.T) {
	h, err := winFixture("testdata/windows/laptop")
	if err != nil {
		t.Fatalf("windows fixture: %v", err)
	}
	s := winSignals(h)
	if s.MachineID == "" || s.SMBIOSUUID == "" {
		t.Errorf("winSignals(laptop) = %+v, want MachineGuid and SMBIOS UUID", s)
	}
}
