package collectors

import (
	"cmp"
	"context"
	"os"
	"path"
	"strings"
)

func init() { Register("usb", "usbdevices", true, collectUSB) }

// usbIDsPaths are where distributions install usb.ids.
var usbIDsPaths = []string{
	"/usr/share/hwdata/usb.ids", "/usr/share/misc/usb.ids",
	"/usr/share/usb.ids", "/var/lib/usbutils/usb.ids",
}

func collectUSB(ctx context.Context, env *Env) (any, error) {
	var devs []USBDevice
	unnamed := map[string]bool{}
	for _, dir := range env.Glob("/sys/bus/usb/devices/*") {
		base := path.Base(dir)
		// Interfaces are "1-2:1.0"; root hubs are "usb1".
		if strings.Contains(base, ":") || strings.HasPrefix(base, "usb") {
			continue
		}
		d := USBDevice{
			VendorID:     hexID(env.ReadString(dir + "/idVendor")),
			ProductID:    hexID(env.ReadString(dir + "/idProduct")),
			Serial:       clean(env.ReadString(dir + "/serial")),
			Name:         clean(env.ReadString(dir + "/product")),
			Manufacturer: clean(env.ReadString(dir + "/manufacturer")),
			Class:        usbClass(env.ReadString(dir + "/bDeviceClass")),
			SubClass:     usbClass(env.ReadString(dir + "/bDeviceSubClass")),
		}
		if d.VendorID == "" {
			continue
		}
		// Class 0 means "defined by each interface": take the first one's.
		if d.Class == "0" {
			first := dir + "/" + base + ":1.0"
			d.Class = cmp.Or(usbClass(env.ReadString(first+"/bInterfaceClass")), d.Class)
			d.SubClass = cmp.Or(usbClass(env.ReadString(first+"/bInterfaceSubClass")), d.SubClass)
		}
		if d.Name == "" || d.Manufacturer == "" {
			unnamed[d.VendorID] = true
		}
		devs = append(devs, d)
	}
	if len(unnamed) > 0 {
		ids := loadUSBIDs(env, unnamed)
		for i := range devs {
			d := &devs[i]
			d.Manufacturer = cmp.Or(d.Manufacturer, ids[d.VendorID])
			d.Name = cmp.Or(d.Name, ids[d.VendorID+":"+d.ProductID])
		}
	}
	for i := range devs {
		devs[i].Caption = devs[i].Name
	}
	return devs, nil
}

// loadUSBIDs reads the names of the given vendors from the host's usb.ids.
func loadUSBIDs(env *Env, vendors map[string]bool) usbIDs {
	for _, p := range usbIDsPaths {
		f, err := os.Open(env.Path(p))
		if err != nil {
			continue
		}
		defer f.Close()
		ids, err := parseUSBIDs(f, vendors)
		if err != nil {
			env.Log().Debug("read usb.ids", "path", p, "err", err)
		}
		return ids
	}
	return nil
}
