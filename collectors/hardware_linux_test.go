package collectors

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestHardwareFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		want    *Hardware
	}{
		{"laptop", &Hardware{
			Name: "jdoe-x1", UUID: "9D1E5A4C-2F3B-11B2-A85C-D7A1B2C3D4E5", Memory: 15708, Swap: 8191,
			DNS: "192.168.1.1/fd00::1", DefaultGateway: "192.168.1.1", Workgroup: "home.arpa",
			VMSystem: "Physical", ChassisType: "Notebook",
		}},
		{"server", &Hardware{
			Name: "db01", UUID: "4C4C4544-0058-5910-8035-B7C04F313233", Memory: 96000,
			DNS: "10.0.0.53/10.0.1.53", DefaultGateway: "192.168.0.1", Workgroup: "corp.example.com",
			VMSystem: "Physical", ChassisType: "Rack Mount Chassis",
		}},
		{"vm", &Hardware{
			Name: "web-vm", Memory: 3930, Swap: 2047, DNS: "127.0.0.53", DefaultGateway: "192.168.122.1",
			Workgroup: "lab.example.net", VMSystem: "QEMU", ChassisType: "Other",
		}},
		{"container", &Hardware{
			Name: "3f2a9c1b7d4e", Memory: 7850, DNS: "172.17.0.1", DefaultGateway: "172.17.0.1",
			VMSystem: "Docker",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, _ := collectFixture(t, "hardware", tt.fixture).(*Hardware)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("hardware(%s) = %+v, want %+v", tt.fixture, got, tt.want)
			}
		})
	}
}

// TestAssetName is the official agent's assetname-support: a fleet that
// named its Linux machines by their full names keeps those names, and so
// its GLPI records.
func TestAssetName(t *testing.T) {
	root := t.TempDir()
	for name, data := range map[string]string{
		"proc/sys/kernel/hostname": "web01\n",
		"etc/hosts":                "127.0.0.1 localhost\n127.0.1.1 web01.example.com web01\n",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755)
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fqdnKernel := t.TempDir()
	os.MkdirAll(filepath.Join(fqdnKernel, "proc/sys/kernel"), 0o755)
	os.WriteFile(filepath.Join(fqdnKernel, "proc/sys/kernel/hostname"), []byte("db02.example.org\n"), 0o644)
	for _, tt := range []struct {
		root string
		mode int
		want string
	}{
		{root, 0, "web01"}, {root, 1, "web01"}, {root, AssetNameAsIs, "web01"}, {root, AssetNameFQDN, "web01.example.com"},
		{fqdnKernel, 1, "db02"}, {fqdnKernel, AssetNameAsIs, "db02.example.org"}, {fqdnKernel, AssetNameFQDN, "db02.example.org"},
	} {
		env := &Env{Root: tt.root, Options: Options{AssetName: tt.mode}}
		if got := hostname(env); got != tt.want {
			t.Errorf("hostname(%s, assetname %d) = %q, want %q", tt.root, tt.mode, got, tt.want)
		}
	}
}
