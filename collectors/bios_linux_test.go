package collectors

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
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

// TestBIOSDeviceTree: a board without DMI (a Raspberry Pi) is described by
// its device tree: model, vendor (the first "compatible" entry's prefix) and
// serial number, and its boot loader's version.
func TestBIOSDeviceTree(t *testing.T) {
	const dt = "sys/firmware/devicetree/base/"
	root := writeTree(t, map[string]string{
		dt + "model":                 "Raspberry Pi 4 Model B Rev 1.4\x00",
		dt + "compatible":            "raspberrypi,4-model-b\x00brcm,bcm2711\x00",
		dt + "serial-number":         "10000000a1b2c3d4\x00",
		dt + "chassis-type":          "embedded\x00",
		dt + "chosen/u-boot,version": "U-Boot 2023.01\x00",
	})
	env := &Env{Root: root}
	got, err := collectBIOS(t.Context(), env)
	if err != nil {
		t.Fatalf("bios on a device tree: %v", err)
	}
	want := &BIOS{
		BManufacturer: "U-Boot", BVersion: "U-Boot 2023.01",
		SManufacturer: "raspberrypi", SModel: "Raspberry Pi 4 Model B Rev 1.4", SSN: "10000000a1b2c3d4",
		MManufacturer: "raspberrypi", MModel: "Raspberry Pi 4 Model B Rev 1.4", MSN: "10000000a1b2c3d4",
		EnclosureSerial: "10000000a1b2c3d4", SecureBoot: "unsupported",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bios(device tree) = %+v, want %+v", got, want)
	}
	hw, err := collectHardware(t.Context(), env)
	if err != nil {
		t.Fatalf("hardware on a device tree: %v", err)
	}
	if ct := hw.(*Hardware).ChassisType; ct != "Embedded PC" {
		t.Errorf("hardware(device tree).ChassisType = %q, want %q", ct, "Embedded PC")
	}
}

// TestBIOSNoDMILogs: on a host without DMI, what ghw says of the files it
// cannot read reaches the Env's logger at Debug, and nothing above.
func TestBIOSNoDMILogs(t *testing.T) {
	root := writeTree(t, map[string]string{"proc/version": "Linux"})
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var buf bytes.Buffer
		env := &Env{Root: root, Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))}
		if _, err := collectBIOS(t.Context(), env); err == nil {
			t.Errorf("bios without DMI: no error, want no data")
		}
		switch out := buf.String(); {
		case level == slog.LevelInfo && out != "":
			t.Errorf("bios without DMI logged at %v and above:\n%s", level, out)
		case level == slog.LevelDebug && !strings.Contains(out, "level=DEBUG") || strings.Contains(out, "level=WARN"):
			t.Errorf("bios without DMI logged at Debug:\n%s\nwant ghw's reads at DEBUG only", out)
		}
	}
}
