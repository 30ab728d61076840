package collectors

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// laptopInputDevices is /proc/bus/input/devices of a laptop with a USB
// mouse and keyboard plugged in: ACPI buttons, the built-in keyboard and
// touchpad, the video bus's hot keys, the PC speaker, sound card jacks
// and a virtual device without a physical path.
const laptopInputDevices = `I: Bus=0019 Vendor=0000 Product=0005 Version=0000
N: Name="Lid Switch"
P: Phys=PNP0C0D/button/input0
S: Sysfs=/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A08:00/device:1d/PNP0C09:00/PNP0C0D:00/input/input0
U: Uniq=
H: Handlers=event0
B: PROP=0
B: EV=21
B: SW=1

I: Bus=0019 Vendor=0000 Product=0001 Version=0000
N: Name="Power Button"
P: Phys=LNXPWRBN/button/input0
S: Sysfs=/devices/LNXSYSTM:00/LNXPWRBN:00/input/input2
U: Uniq=
H: Handlers=kbd event2
B: PROP=0
B: EV=3
B: KEY=10000000000000 0

I: Bus=0011 Vendor=0001 Product=0001 Version=ab83
N: Name="AT Translated Set 2 keyboard"
P: Phys=isa0060/serio0/input0
S: Sysfs=/devices/platform/i8042/serio0/input/input3
U: Uniq=
H: Handlers=sysrq kbd leds event3
B: PROP=0
B: EV=120013
B: KEY=402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe
B: MSC=10
B: LED=7

I: Bus=0019 Vendor=0000 Product=0006 Version=0000
N: Name="Video Bus"
P: Phys=LNXVIDEO/video/input0
S: Sysfs=/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A08:00/LNXVIDEO:00/input/input5
U: Uniq=
H: Handlers=kbd event4
B: PROP=0
B: EV=3
B: KEY=3e000b00000000 0 0 0

I: Bus=0010 Vendor=001f Product=0001 Version=0100
N: Name="PC Speaker"
P: Phys=isa0061/input0
S: Sysfs=/devices/platform/pcspkr/input/input6
U: Uniq=
H: Handlers=kbd event5
B: PROP=0
B: EV=40001
B: SND=6

I: Bus=0018 Vendor=06cb Product=7a13 Version=0100
N: Name="SYNA2393:00 06CB:7A13 Touchpad"
P: Phys=i2c-SYNA2393:00
S: Sysfs=/devices/pci0000:00/0000:00:15.1/i2c_designware.1/i2c-1/i2c-SYNA2393:00/0018:06CB:7A13.0002/input/input12
U: Uniq=
H: Handlers=mouse0 event6
B: PROP=5
B: EV=1b

I: Bus=0003 Vendor=046d Product=c077 Version=0111
N: Name="Logitech USB Optical Mouse"
P: Phys=usb-0000:00:14.0-2/input0
S: Sysfs=/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:046D:C077.0003/input/input14
U: Uniq=
H: Handlers=mouse1 event7
B: PROP=0
B: EV=17

I: Bus=0003 Vendor=413c Product=2113 Version=0110
N: Name="Dell KB216 Wired Keyboard"
P: Phys=usb-0000:00:14.0-3/input0
S: Sysfs=/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/0003:413C:2113.0004/input/input15
U: Uniq=
H: Handlers=sysrq kbd leds event8
B: PROP=0
B: EV=120013

I: Bus=0000 Vendor=0000 Product=0000 Version=0000
N: Name="HDA Intel PCH Headphone"
P: Phys=ALSA
S: Sysfs=/devices/pci0000:00/0000:00:1f.3/sound/card0/input17
U: Uniq=
H: Handlers=event9
B: PROP=0
B: EV=21
B: SW=4

I: Bus=0019 Vendor=0000 Product=0000 Version=0000
N: Name="Intel HID events"
P: Phys=
S: Sysfs=/devices/pci0000:00/INT33D5:00/input/input11
U: Uniq=
H: Handlers=rfkill kbd event10
B: PROP=0
B: EV=13

`

func TestParseInputDevices(t *testing.T) {
	want := []Input{
		{Description: "AT Translated Set 2 keyboard", Caption: "AT Translated Set 2 keyboard", Type: "sysrq"},
		{Description: "Video Bus", Caption: "Video Bus", Type: "Keyboard"},
		{Description: "PC Speaker", Caption: "PC Speaker", Type: "Keyboard"},
		{Description: "Logitech USB Optical Mouse", Caption: "Logitech USB Optical Mouse", Type: "Pointing"},
		{Description: "Dell KB216 Wired Keyboard", Caption: "Dell KB216 Wired Keyboard", Type: "sysrq"},
	}
	got := parseInputDevices(laptopInputDevices)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	validateSection(t, "inputs", got)

	for name, tc := range map[string]struct {
		in   string
		want []Input
	}{
		"empty": {"", nil},
		// The kernel ends every device with a blank line; a file cut
		// short still gives its last device.
		"no final blank line": {"I: Bus=0011 Vendor=0001 Product=0001 Version=ab83\nN: Name=\"kbd\"\nP: Phys=isa0060/serio0/input0\nH: Handlers=kbd event3\n",
			[]Input{{Description: "kbd", Caption: "kbd", Type: "Keyboard"}}},
		"no handlers": {"I: Bus=0003 Vendor=1 Product=2 Version=3\nN: Name=\"x\"\nP: Phys=usb-1/input0\nH: Handlers=\n\n",
			[]Input{{Description: "x", Caption: "x"}}},
		"lines before a device's I: line are not its": {"N: Name=\"stray\"\nP: Phys=usb-1/input0\n\nI: Bus=0003 Vendor=1 Product=2 Version=3\nN: Name=\"m\"\nP: Phys=usb-2/input1\nH: Handlers=mouse2 event1\n\n",
			[]Input{{Description: "m", Caption: "m", Type: "Pointing"}}},
		"quotes in a name": {"I: Bus=0003 Vendor=1 Product=2 Version=3\nN: Name=\"A \"Pro\" pad\"\nP: Phys=usb-2/input1\nH: Handlers=mouse2\n\n",
			[]Input{{Description: `A "Pro" pad`, Caption: `A "Pro" pad`, Type: "Pointing"}}},
		"CRLF": {"I: Bus=0003 Vendor=1 Product=2 Version=3\r\nN: Name=\"k\"\r\nP: Phys=usb-2/input1\r\nH: Handlers=sysrq kbd\r\n\r\n",
			[]Input{{Description: "k", Caption: "k", Type: "sysrq"}}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := parseInputDevices(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestWinInputs(t *testing.T) {
	keyboards := []map[string]any{
		{"Name": "Enhanced (101- or 102-key)", "Caption": "Enhanced (101- or 102-key)", "Description": "HID Keyboard Device", "Manufacturer": "(Standard keyboards)", "Layout": "0000040C"},
		{"Name": "Enhanced (101- or 102-key)", "Caption": "Enhanced (101- or 102-key)", "Description": "Standard PS/2 Keyboard", "Layout": "0000040C"},
	}
	pointers := []map[string]any{
		{"Name": "HID-compliant mouse", "Caption": "HID-compliant mouse", "Description": "HID-compliant mouse", "Manufacturer": "Microsoft", "PointingType": "2", "DeviceInterface": "162"},
		{"Name": "Synaptics Pointing Device", "Caption": "Synaptics Pointing Device", "Description": "Synaptics Pointing Device", "Manufacturer": "Synaptics", "PointingType": "7", "DeviceInterface": "4"},
		{"Name": "HID-compliant mouse", "Caption": "HID-compliant mouse", "Description": "HID-compliant mouse", "PointingType": "2", "DeviceInterface": "162"},
		{"Name": "Remote Desktop Mouse Device", "Caption": "Remote Desktop Mouse Device", "DeviceInterface": "99"},
	}
	want := []Input{
		{Name: "Enhanced (101- or 102-key)", Caption: "Enhanced (101- or 102-key)", Description: "HID Keyboard Device", Manufacturer: "(Standard keyboards)", Layout: "0000040C"},
		{Name: "HID-compliant mouse", Caption: "HID-compliant mouse", Description: "HID-compliant mouse", Manufacturer: "Microsoft", PointingType: "2", Interface: "USB"},
		{Name: "Synaptics Pointing Device", Caption: "Synaptics Pointing Device", Description: "Synaptics Pointing Device", Manufacturer: "Synaptics", PointingType: "7", Interface: "PS/2"},
		{Name: "Remote Desktop Mouse Device", Caption: "Remote Desktop Mouse Device"},
	}
	env := winEnv(winHost{wmi: wmiStub{instances: map[string][]map[string]any{
		"Win32_Keyboard": keyboards, "Win32_PointingDevice": pointers,
	}}, reg: &regFile{}})
	got, err := winInputs(t.Context(), env)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	validateSection(t, "inputs", got)

	// GLPI disconnects the peripherals a full inventory leaves out: a
	// class that cannot be read fails the collector, so that the last
	// good section is sent instead.
	for _, class := range []string{"Win32_Keyboard", "Win32_PointingDevice"} {
		for _, cause := range []error{errors.New("WMI: call failed (status 0x80041001)"), fmt.Errorf("get class: %w", errWMINoClass)} {
			env := winEnv(winHost{wmi: wmiStub{
				instances: map[string][]map[string]any{"Win32_Keyboard": keyboards, "Win32_PointingDevice": pointers},
				errs:      map[string]error{class: cause},
			}, reg: &regFile{}})
			if got, err := winInputs(t.Context(), env); err == nil {
				t.Errorf("%s failing with %v: got %+v and no error", class, cause, got)
			}
		}
	}
}
