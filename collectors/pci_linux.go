package collectors

import (
	"context"
	"fmt"
	"os"
	"path"
	"runtime/debug"
	"strings"
	"syscall"
)

func init() {
	Register("controller", "controllers", true, collectControllers)
	Register("video", "videos", true, collectVideos)
	Register("sound", "sounds", true, collectSounds)
}

// readPCIDevices lists the PCI functions of the host from sysfs.
func readPCIDevices(env *Env) []pciDevice {
	var devs []pciDevice
	for _, dir := range env.Glob("/sys/bus/pci/devices/*") {
		class := strings.TrimPrefix(env.ReadString(dir+"/class"), "0x")
		d := pciDevice{
			Address:   path.Base(dir),
			Vendor:    hexID(env.ReadString(dir + "/vendor")),
			Device:    hexID(env.ReadString(dir + "/device")),
			SubVendor: hexID(env.ReadString(dir + "/subsystem_vendor")),
			SubDevice: hexID(env.ReadString(dir + "/subsystem_device")),
			Class:     strings.ToLower(class),
			Revision:  strings.TrimPrefix(env.ReadString(dir+"/revision"), "0x"),
		}
		if target, err := os.Readlink(env.Path(dir, "driver")); err == nil {
			d.Driver = path.Base(target)
		}
		if d.Vendor != "" {
			devs = append(devs, d)
		}
	}
	return devs
}

// pciHost is the host's PCI functions and their names, read once a run
// for the controller, video and sound collectors (each read sysfs and
// pci.ids on its own before, three times the work). Its collectors only
// read it.
type pciHost struct {
	devs []pciDevice
	ids  pciIDs
}

// readPCIHost returns the run's pciHost.
func readPCIHost(env *Env) *pciHost {
	h, _ := shared(env, "pci", func() (*pciHost, error) {
		h := &pciHost{devs: readPCIDevices(env)}
		if len(h.devs) > 0 {
			h.ids = loadPCIIDs(env, h.devs)
		}
		return h, nil
	})
	return h
}

func collectControllers(ctx context.Context, env *Env) (any, error) {
	pci := readPCIHost(env)
	devs, ids := pci.devs, pci.ids
	if len(devs) == 0 {
		return nil, NoData("no PCI devices")
	}
	out := make([]Controller, 0, len(devs))
	for _, d := range devs {
		out = append(out, controllerFrom(d, ids.names(d)))
	}
	return out, nil
}

func collectVideos(ctx context.Context, env *Env) (any, error) {
	pci := readPCIHost(env)
	devs, ids := pciClass(pci.devs, pciClassDisplay), pci.ids
	if len(devs) == 0 {
		return nil, nil
	}
	var out []Video
	modes := drmModes(env)
	for _, d := range devs {
		v := videoFrom(d, ids.names(d))
		v.Resolution = modes[d.Address]
		if vram := atoi(env.ReadString("/sys/bus/pci/devices/" + d.Address + "/mem_info_vram_total")); vram > 0 {
			v.Memory = vram >> 20
		}
		out = append(out, v)
	}
	return out, nil
}

func collectSounds(ctx context.Context, env *Env) (any, error) {
	// Subclasses 01 (audio) and 03 (HD audio); 00 is video capture.
	pci := readPCIHost(env)
	devs, ids := append(pciClass(pci.devs, pciClassMultimedia+"01"), pciClass(pci.devs, pciClassMultimedia+"03")...), pci.ids
	if len(devs) == 0 {
		return nil, nil
	}
	out := make([]Sound, 0, len(devs))
	for _, d := range devs {
		out = append(out, soundFrom(d, ids.names(d)))
	}
	return out, nil
}

// pciIDsPaths are where distributions install pci.ids.
var pciIDsPaths = []string{
	"/usr/share/hwdata/pci.ids", "/usr/share/misc/pci.ids",
	"/usr/share/pci.ids", "/var/lib/pciutils/pci.ids",
}

// loadPCIIDs reads the names of devs from the host's pci.ids; without one,
// devices are named by their class.
func loadPCIIDs(env *Env, devs []pciDevice) pciIDs {
	for _, p := range pciIDsPaths {
		f, err := os.Open(env.Path(p))
		if err != nil {
			continue
		}
		defer f.Close()
		// Mapped rather than read: the megabyte is searched, not copied
		// into the heap, where it would cost a garbage collection.
		fi, err := f.Stat()
		if err != nil || fi.Size() == 0 || fi.Size() > 64<<20 {
			return nil
		}
		db, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
		if err != nil {
			env.Log().Debug("map pci.ids", "path", p, "err", err)
			return nil
		}
		defer syscall.Munmap(db)
		ids, err := parseMappedPCIIDs(db, devs)
		if err != nil {
			env.Log().Debug("read pci.ids", "path", p, "err", err)
		}
		return ids
	}
	return nil
}

// parseMappedPCIIDs is parsePCIIDs on a mapped file. A file cut short
// while mapped faults past its new end: that is an error, as a read of it
// would be, not the end of the process.
func parseMappedPCIIDs(db []byte, devs []pciDevice) (ids pciIDs, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			ids, err = nil, fmt.Errorf("pci.ids changed while read: %v", p)
		}
	}()
	return parsePCIIDs(db, devs), nil
}

// pciClass returns the devices whose class code starts with prefix.
func pciClass(devs []pciDevice, prefix string) []pciDevice {
	var out []pciDevice
	for _, d := range devs {
		if strings.HasPrefix(d.Class, prefix) {
			out = append(out, d)
		}
	}
	return out
}

// drmModes returns the preferred mode of the first connected output of each
// graphics card, by the card's PCI address.
func drmModes(env *Env) map[string]string {
	modes := map[string]string{}
	for _, conn := range env.Glob("/sys/class/drm/card*-*") {
		if env.ReadString(conn+"/status") != "connected" {
			continue
		}
		card, _, _ := strings.Cut(path.Base(conn), "-")
		addr := ueventValue(env, "/sys/class/drm/"+card+"/device/uevent", "PCI_SLOT_NAME")
		if _, seen := modes[addr]; seen || addr == "" {
			continue
		}
		b, _ := env.ReadFile(conn + "/modes")
		if m := parseDRMMode(string(b)); m != "" {
			modes[addr] = m
		}
	}
	return modes
}

// ueventValue returns the value of key in a sysfs uevent file.
func ueventValue(env *Env, file, key string) string {
	var val string
	env.ReadLines(file, func(line string) {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			val = v
		}
	})
	return val
}
