package collectors

import (
	"context"
	"strconv"
	"strings"
)

// Printer is one entry of the printers section.
type Printer struct {
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	Driver         string `json:"driver,omitempty"`
	Port           string `json:"port,omitempty"`
	PrintProcessor string `json:"printprocessor,omitempty"`
	Resolution     string `json:"resolution,omitempty"`
	Network        bool   `json:"network,omitempty"`
	Shared         bool   `json:"shared,omitempty"`
	ShareName      string `json:"sharename,omitempty"`
	ServerName     string `json:"servername,omitempty"`
	Status         string `json:"status,omitempty"`
	ErrStatus      string `json:"errstatus,omitempty"`
	Comment        string `json:"comment,omitempty"`
	Serial         string `json:"serial,omitempty"`
}

// printerStatuses names Win32_Printer.PrinterStatus as the official agent
// does.
var printerStatuses = [...]string{"Unknown", "Other", "Unknown", "Idle", "Printing", "Warming Up", "Stopped printing", "Offline"}

// printerErrors names Win32_Printer.ExtendedDetectedErrorState as the
// official agent does.
var printerErrors = [...]string{
	"Unknown", "Other", "No Error", "Low Paper", "No Paper", "Low Toner", "No Toner", "Door Open", "Jammed",
	"Service Requested", "Output Bin Full", "Paper Problem", "Cannot Print Page", "User Intervention Required",
	"Out of Memory", "Server Unknown",
}

// Registry keys of the USB devices Windows has met.
const (
	regEnumUSBPrint = `SYSTEM\CurrentControlSet\Enum\USBPRINT`
	regEnumUSB      = `SYSTEM\CurrentControlSet\Enum\USB`
)

// winPrinters builds the printers section as the official agent's
// Win32/Printers.pm does. GLPI makes a printer of each entry and finds it
// again by name and serial, so a USB printer carries the serial of its
// USB device: without it, every computer's printer of one model would be
// the same printer.
func winPrinters(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	type printer struct {
		Name, Description, DriverName, PortName, PrintProcessor, ShareName, ServerName, Comment string
		Network, Shared                                                                         bool
		HorizontalResolution, VerticalResolution                                                uint32
		PrinterStatus, ExtendedDetectedErrorState                                               uint16
	}
	ps, err := queryWMI[printer](h.wmi, "Win32_Printer", "")
	if err != nil {
		return nil, err
	}
	out := make([]Printer, 0, len(ps))
	var usb *usbPrinters // read at the first USB printer
	for _, p := range ps {
		pr := Printer{
			Name:           p.Name,
			Description:    p.Description,
			Driver:         p.DriverName,
			Port:           p.PortName,
			PrintProcessor: p.PrintProcessor,
			Network:        p.Network,
			Shared:         p.Shared,
			ShareName:      p.ShareName,
			ServerName:     p.ServerName,
			Comment:        p.Comment,
			Status:         tableName(printerStatuses[:], uint32(p.PrinterStatus)),
		}
		if p.ExtendedDetectedErrorState > 0 {
			pr.ErrStatus = tableName(printerErrors[:], uint32(p.ExtendedDetectedErrorState))
		}
		if p.HorizontalResolution > 0 {
			pr.Resolution = strconv.Itoa(int(p.HorizontalResolution))
			if p.VerticalResolution > 0 {
				pr.Resolution += "x" + strconv.Itoa(int(p.VerticalResolution))
			}
		}
		if strings.Contains(p.PortName, "USB") {
			if usb == nil {
				usb = readUSBPrinters(h.reg)
			}
			pr.Serial = usb.serial(p.PortName)
		}
		out = append(out, pr)
	}
	return out, nil
}

// usbPrinters is what the registry says of the USB printers Windows has
// met and of the USB devices they are, read once for all of a host's USB
// printers.
type usbPrinters struct {
	// ports holds each port's ("USB001") first USBPRINT instance: its
	// container and its instance prefix.
	ports map[string]usbPrintInstance
	usb   []usbDevice
}

type usbPrintInstance struct{ container, prefix string }

type usbDevice struct{ name, container, parentPrefix string }

// readUSBPrinters reads the USBPRINT and USB enumeration keys.
func readUSBPrinters(reg registrySource) *usbPrinters {
	u := &usbPrinters{ports: map[string]usbPrintInstance{}}
	for _, dev := range regSubKeys(reg, hklm, regEnumUSBPrint, view64) {
		for _, inst := range regSubKeys(reg, hklm, regEnumUSBPrint+`\`+dev, view64) {
			path := regEnumUSBPrint + `\` + dev + `\` + inst
			port := regString(reg, hklm, path+`\Device Parameters`, "PortName")
			if _, seen := u.ports[port]; port == "" || seen {
				continue
			}
			u.ports[port] = usbPrintInstance{regString(reg, hklm, path, "ContainerID"), strings.TrimSuffix(inst, "&"+port)}
		}
	}
	for _, dev := range regSubKeys(reg, hklm, regEnumUSB, view64) {
		for _, inst := range regSubKeys(reg, hklm, regEnumUSB+`\`+dev, view64) {
			v := openValues(reg, hklm, regEnumUSB+`\`+dev+`\`+inst, view64)
			u.usb = append(u.usb, usbDevice{inst, v.str("ContainerID"), v.str("ParentIdPrefix")})
			v.close()
		}
	}
	return u
}

// serial returns the serial of the USB printer on port, as the official
// agent finds it: the printer's USBPRINT device names its port; the USB
// device of the same container, else the one whose children take the
// printer device's instance prefix, is named by its serial. Windows makes
// up an instance name with "&" for a device without a serial: that is no
// serial.
func (u *usbPrinters) serial(port string) string {
	p, ok := u.ports[port]
	if !ok || p.prefix == "" {
		return ""
	}
	if p.container != "" {
		for _, d := range u.usb {
			if d.container == p.container && !strings.Contains(d.name, "&") {
				return d.name
			}
		}
	}
	for _, d := range u.usb {
		if d.parentPrefix == p.prefix {
			if strings.Contains(d.name, "&") {
				return ""
			}
			return d.name
		}
	}
	return ""
}
