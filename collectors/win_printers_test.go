package collectors

import (
	"path/filepath"
	"testing"
)

// The serials of real USB printers, read from the registry exports of real
// machines as the official agent's own test reads them.
func TestUSBPrinterSerialCorpus(t *testing.T) {
	dir := regCorpusDir(t)
	tests := []struct {
		machine, port, want string
	}{
		{"xppro1", "USB001", "49R8Ka"},
		{"xppro1", "USB002", ""}, // Windows' made-up instance name: no serial
		{"xppro1", "USB003", ""},
		{"7", "USB001", "MY26K1K34C2L"},
		{"7bis", "USB001", "S163EJM"},
		{"7ter", "USB001", "55PKB5Z11418880717"},
		{"7", "USB009", ""}, // no such port
	}
	for _, tt := range tests {
		reg := loadRegFile(t, filepath.Join(dir, "windows", tt.machine, "registry.reg"))
		if got := readUSBPrinters(reg).serial(tt.port); got != tt.want {
			t.Errorf("%s: serial(%s) = %q, want %q", tt.machine, tt.port, got, tt.want)
		}
	}
}

// A printer's USB device is found by its container first, and an instance
// name with "&" is none of a serial.
func TestUSBPrinterSerial(t *testing.T) {
	reg, err := parseRegFile(regExport(`Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Enum\USBPRINT\HPLaserJet_M404\8&2a1b3c4d&0&USB001]
"ContainerID"="{6f1c2d3e-0000-1111-2222-333344445555}"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Enum\USBPRINT\HPLaserJet_M404\8&2a1b3c4d&0&USB001\Device Parameters]
"PortName"="USB001"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Enum\USBPRINT\Canon_MF\8&77&0&USB002\Device Parameters]
"PortName"="USB002"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Enum\USB\VID_03F0&PID_A82A&MI_00\7&11&0&0000]
"ContainerID"="{6f1c2d3e-0000-1111-2222-333344445555}"
"ParentIdPrefix"="8&2a1b3c4d&0"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Enum\USB\VID_03F0&PID_A82A\PHBBK12345]
"ContainerID"="{6f1c2d3e-0000-1111-2222-333344445555}"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Enum\USB\VID_04A9&PID_27FE\6&99&0&3]
"ParentIdPrefix"="8&77&0"
`))
	if err != nil {
		t.Fatal(err)
	}
	for port, want := range map[string]string{"USB001": "PHBBK12345", "USB002": "", "USB003": ""} {
		if got := readUSBPrinters(reg).serial(port); got != want {
			t.Errorf("serial(%s) = %q, want %q", port, got, want)
		}
	}
}
