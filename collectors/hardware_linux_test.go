package collectors

import (
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
