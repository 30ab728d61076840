package collectors

import (
	"reflect"
	"testing"
)

func TestBIOSFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		want    *BIOS
	}{
		{"laptop", &BIOS{
			BManufacturer: "LENOVO", BVersion: "N32ET86W (1.62 )", BDate: "2023-05-24",
			SManufacturer: "LENOVO", SModel: "ThinkPad X1 Carbon Gen 9", SSN: "PF3ABCDE",
			SKUNumber: "20XWS0AK00", MManufacturer: "LENOVO", MModel: "20XWS0AK00", MSN: "L1HF16X0ABC",
			EnclosureSerial: "PF3ABCDE", SecureBoot: "enabled",
		}},
		{"server", &BIOS{
			BManufacturer: "Dell Inc.", BVersion: "2.17.1", BDate: "2022-11-23",
			SManufacturer: "Dell Inc.", SModel: "PowerEdge R740", SSN: "7XYZ123",
			SKUNumber: "SKU=NotProvided;ModelName=PowerEdge R740", MManufacturer: "Dell Inc.",
			MModel: "0WRPXK", MSN: ".7XYZ123.CNFCP0012300AB.", AssetTag: "INV-004211",
			EnclosureSerial: "7XYZ123", SecureBoot: "disabled",
		}},
		{"vm", &BIOS{
			BManufacturer: "SeaBIOS", BVersion: "rel-1.16.3-0-ga6ed6b701f0a-prebuilt.qemu.org",
			BDate: "2014-04-01", SManufacturer: "QEMU", SModel: "Standard PC (Q35 + ICH9, 2009)",
			MManufacturer: "Canonical Ltd.", SecureBoot: "unsupported",
		}},
		{"container", nil},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, _ := collectFixture(t, "bios", tt.fixture).(*BIOS)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("bios(%s) = %+v, want %+v", tt.fixture, got, tt.want)
			}
		})
	}
}
