package collectors

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// USBDevice is one USB device of the usbdevices section.
type USBDevice struct {
	Caption      string `json:"caption,omitempty"`
	Class        string `json:"class,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Name         string `json:"name,omitempty"`
	ProductID    string `json:"productid,omitempty"`
	SubClass     string `json:"subclass,omitempty"`
	VendorID     string `json:"vendorid,omitempty"`
	Serial       string `json:"serial,omitempty"`
}

// usbClass converts a sysfs class byte ("0e") to the decimal GLPI's agent
// sends ("14").
func usbClass(s string) string {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 16, 8)
	if err != nil {
		return ""
	}
	return strconv.FormatUint(n, 10)
}

// usbIDs holds names from usb.ids: vendors by id, products by
// "vendor:product".
type usbIDs map[string]string

// parseUSBIDs reads usb.ids, keeping only the vendors in want and their
// products, so the whole database is never held in memory.
func parseUSBIDs(r io.Reader, want map[string]bool) (usbIDs, error) {
	ids := usbIDs{}
	vendor := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || line[0] == '#':
		case line[0] != '\t':
			// Vendor lines come first; later sections (C, AT, HID…) are
			// keyed by words or two-digit codes, never four hex digits.
			id, name, ok := strings.Cut(line, "  ")
			vendor = ""
			if ok && len(id) == 4 && want[id] {
				vendor = id
				ids[id] = strings.TrimSpace(name)
			}
		case vendor != "" && !strings.HasPrefix(line, "\t\t"):
			if id, name, ok := strings.Cut(line[1:], "  "); ok {
				ids[vendor+":"+id] = strings.TrimSpace(name)
			}
		}
	}
	return ids, sc.Err()
}
