package collectors

import (
	"cmp"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// regCentralProcessor holds one key per logical processor, numbered from 0
// in the order Win32_Processor lists the sockets.
const regCentralProcessor = `HARDWARE\DESCRIPTION\System\CentralProcessor`

// regVideoClass is the display adapters' device class key: one subkey per
// driver instance ("0000", "0001"…).
const regVideoClass = `SYSTEM\CurrentControlSet\Control\Class\{4d36e968-e325-11ce-bfc1-08002be10318}`

// cpuTrademarks are the "(R)" and "(TM)" marks of processor brand strings.
var cpuTrademarks = lazyRE(`(?i)\((R|TM)\)`)

// cpuName renders a processor brand string as the official agent does:
// runs of spaces collapsed (brand strings are padded: "Intel(R) Core(TM)2
// Duo CPU     T9400  @ 2.53GHz"), then the trademark marks dropped.
func cpuName(s string) string {
	return cpuTrademarks.ReplaceAllString(strings.Join(strings.Fields(s), " "), "")
}

// cpuThreads returns the threads per core, rounded up (hybrid processors
// have cores with one and with two threads); 0 when unknown.
func cpuThreads(logical, cores uint32) int {
	if logical == 0 || cores == 0 {
		return 0
	}
	return int((logical + cores - 1) / cores)
}

// cpuSpeedFromName reads the nominal frequency of a brand string ("… @
// 2.80GHz") in MHz; 0 when it has none.
func cpuSpeedFromName(name string) int {
	m := cpuNameSpeed.FindStringSubmatch(name)
	if m == nil {
		return 0
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0
	}
	if strings.EqualFold(m[2], "GHz") {
		f *= 1000
	}
	return int(f + 0.5)
}

var cpuNameSpeed = lazyRE(`(?i)([\d.]+)\s*(GHz|MHz)`)

// winServer2003 tells Windows Server 2003 (and 2003 R2): version 5.2 on
// a server, where XP x64, also 5.2, is a workstation ("WinNT").
func winServer2003(reg registrySource) bool {
	return regString(reg, hklm, regCurrentVersion, "CurrentVersion") == "5.2" &&
		!strings.EqualFold(regString(reg, hklm, `SYSTEM\CurrentControlSet\Control\ProductOptions`, "ProductType"), "WinNT")
}

// cpuNominalSpeed reads the frequency a brand string ends with ("… @
// 2.80GHz", "… 733MHz") in MHz, as the official agent reads dmidecode's
// processor version, which it prefers to WMI's MaxClockSpeed (2801, or
// 2112 for a "@ 1.90GHz" processor whose firmware says so): GLPI files
// processors under models of their name, maker and speed. 0 without one.
func cpuNominalSpeed(name string) int {
	name = strings.TrimSpace(name)
	unit := 0
	switch {
	case strings.HasSuffix(name, "GHz"):
		unit = 1000
	case strings.HasSuffix(name, "MHz"):
		unit = 1
	default:
		return 0
	}
	num := name[:len(name)-3]
	i := len(num)
	for i > 0 && (num[i-1] == '.' || num[i-1] >= '0' && num[i-1] <= '9') {
		i--
	}
	f, err := strconv.ParseFloat(num[i:], 64)
	if err != nil {
		return 0
	}
	return int(f*float64(unit) + 0.5)
}

// cpuRegistry is what Windows' processor key says of one logical
// processor. Unlike Win32_Processor.Name on Windows 2003 and XP, which names
// the family the OS knew at release ("Intel Pentium III Xeon processor"),
// ProcessorNameString is the processor's own brand string.
type cpuRegistry struct {
	name, identifier, vendor string
}

// winCPURegistry reads the processor key of logical processor n.
func winCPURegistry(reg registrySource, n int) cpuRegistry {
	v := openValues(reg, hklm, regCentralProcessor+`\`+strconv.Itoa(n), view64)
	defer v.close()
	return cpuRegistry{
		name:       strings.TrimSpace(v.str("ProcessorNameString")),
		identifier: strings.TrimSpace(v.str("Identifier")),
		vendor:     strings.TrimSpace(v.str("VendorIdentifier")),
	}
}

// winMemoryType names a module's type: SMBIOSMemoryType (Windows 10 and
// later, the SMBIOS code dmidecode decodes), else the older CIM MemoryType,
// else "Unknown", as the official agent reports modules Windows says
// nothing of.
func winMemoryType(smbios uint32, cim uint16) string {
	if smbios <= 0xff {
		if t := enumName(memoryTypes[:], byte(smbios)); t != "" {
			return t
		}
	}
	return cmp.Or(tableName(wmiMemoryTypes[:], uint32(cim)), "Unknown")
}

// pciHardwareID reduces a PCI device id to its vendor and device parts,
// lower case ("pci\ven_10de&dev_1f06"), for matching a device instance
// ("PCI\VEN_10DE&DEV_1F06&SUBSYS_…\4&…") with a driver's MatchingDeviceId
// ("PCI\VEN_10DE&DEV_1F06&REV_A1"); "" when s has not both.
func pciHardwareID(s string) string {
	var ven, dev string
	for p := range strings.SplitSeq(strings.ToLower(s), "&") {
		switch {
		case strings.HasPrefix(p, `pci\ven_`):
			ven = p
		case strings.HasPrefix(p, "dev_"):
			dev, _, _ = strings.Cut(p, `\`)
		}
	}
	if ven == "" || dev == "" {
		return ""
	}
	return ven + "&" + dev
}

// winVideoMemory reads the memory size the display driver of device
// pnpID records, in bytes: HardwareInformation.qwMemorySize (64-bit, since
// Windows 10), else HardwareInformation.MemorySize. Win32_VideoController's
// AdapterRAM is 32-bit and stops at 4 GB. The driver key is the one the
// device's Enum key names (Driver), else the first whose MatchingDeviceId
// is the device's.
func winVideoMemory(reg registrySource, pnpID string) (uint64, bool) {
	if pnpID == "" {
		return 0, false
	}
	if drv := regString(reg, hklm, `SYSTEM\CurrentControlSet\Enum\`+pnpID, "Driver"); drv != "" {
		if _, inst, ok := strings.Cut(drv, `\`); ok {
			if n, ok := videoKeyMemory(reg, regVideoClass+`\`+inst); ok {
				return n, true
			}
		}
	}
	want := pciHardwareID(pnpID)
	if want == "" {
		return 0, false
	}
	subs := regSubKeys(reg, hklm, regVideoClass, view64)
	slices.Sort(subs)
	for _, s := range subs {
		path := regVideoClass + `\` + s
		if pciHardwareID(regString(reg, hklm, path, "MatchingDeviceId")) != want {
			continue
		}
		if n, ok := videoKeyMemory(reg, path); ok {
			return n, true
		}
	}
	return 0, false
}

// videoKeyMemory reads a driver key's memory size values, which drivers
// write as integers or as little-endian binary.
func videoKeyMemory(reg registrySource, path string) (uint64, bool) {
	v := openValues(reg, hklm, path, view64)
	defer v.close()
	for _, name := range []string{"HardwareInformation.qwMemorySize", "HardwareInformation.MemorySize"} {
		if n, ok := v.num(name); ok && n > 0 {
			return n, true
		}
		switch b := v.bin(name); len(b) {
		case 8:
			if n := binary.LittleEndian.Uint64(b); n > 0 {
				return n, true
			}
		case 4:
			if n := binary.LittleEndian.Uint32(b); n > 0 {
				return uint64(n), true
			}
		}
	}
	return 0, false
}

// usbSerialPrefix matches the instance ids of devices that put field names
// in their serial number string ("S/N:28A1…_REV:…").
var usbSerialPrefix = lazyRE(`(?i)^S/N:([0-9A-F]+)`)

// usbSerial returns the serial number a USB device instance id carries, and
// the key that tells device instances apart. Windows names a device
// without a serial number by its port, with '&' ("6&DF2EE03&0&7"): that is
// no serial.
func usbSerial(instance string) (serial, key string) {
	if m := usbSerialPrefix.FindStringSubmatch(instance); m != nil {
		instance = m[1]
	}
	if strings.Contains(instance, "&") {
		return "", instance
	}
	return clean(instance), instance
}

// winUSBDevice reads a PnP device id as a USB device's ("USB\VID_046D&
// PID_C52B\serial"): not the root hubs (USB\ROOT_HUB20), the interfaces of
// composite devices (…&MI_00) nor other buses' devices, which name no
// device of their own. The ids are upper case, as Windows writes them.
func winUSBDevice(pnpID string) (vid, pid, instance string, ok bool) {
	id := parsePnPID(pnpID)
	if id.bus != "USB" || len(id.fields) != 2 {
		return "", "", "", false
	}
	vid, pid = strings.ToUpper(id.fields["VID"]), strings.ToUpper(id.fields["PID"])
	if vid == "" || pid == "" || strings.Trim(vid, "0") == "" {
		return "", "", "", false
	}
	return vid, pid, id.instance, true
}

// winUSBIDsPaths are where the Windows collector looks for usb.ids: beside
// the executable (the MSI installs it there), then where Linux
// distributions put it, for the fixture runs.
func winUSBIDsPaths() []string {
	var paths []string
	if exe, err := os.Executable(); err == nil {
		paths = append(paths, filepath.Join(filepath.Dir(exe), "usb.ids"))
	}
	return append(paths, "/usr/share/hwdata/usb.ids", "/usr/share/misc/usb.ids",
		"/usr/share/usb.ids", "/var/lib/usbutils/usb.ids")
}

// loadWinUSBIDs reads the names of the given vendors (lower-case ids)
// from the first of paths that opens; nil without one, and the devices keep
// Windows' names.
func loadWinUSBIDs(paths []string, vendors map[string]bool) usbIDs {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		ids, err := parseUSBIDs(f, vendors)
		f.Close()
		if err != nil {
			continue
		}
		return ids
	}
	return nil
}

// Registry values that record the last interactive logon, in the order the
// official agent reads them: SAM names ("DOMAIN\user") first.
var lastLogonValues = []struct{ path, name string }{
	{regLogonUI, "LastLoggedOnSAMUser"},
	{regLogonUI, "LastLoggedOnUser"},
	{regWinlogon, "DefaultUserName"},
	{regWinlogon, "LastUsedUsername"},
}

const regWinlogon = `SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon`

// winLastLogon returns the account of the last interactive logon as the
// registry records it, "" when it does not.
func winLastLogon(reg registrySource) string {
	for _, v := range lastLogonValues {
		if s := strings.TrimSpace(regString(reg, hklm, v.path, v.name)); s != "" {
			return s
		}
	}
	return ""
}

// splitSAMName splits "DOMAIN\user"; ok is false for other forms (a UPN,
// a bare name).
func splitSAMName(s string) (domain, user string, ok bool) {
	domain, user, ok = strings.Cut(s, `\`)
	return domain, user, ok && user != ""
}

// winLastUser returns the user logged on the console, else the last one to
// log on interactively as the registry records it, as the official agent
// finds it. A SAM name's domain "." is the computer (Win32_ComputerSystem's
// name, else the local account's domain); a name in another form (a UPN)
// makes no user. ok is false when there is none.
func winLastUser(h winHost, cs win32ComputerSystem) (User, bool) {
	if cs.UserName != "" {
		domain, login, ok := splitSAMName(cs.UserName)
		if !ok {
			domain, login = "", cs.UserName
		}
		if domain == "" || domain == "." {
			domain = cs.Name
		}
		return User{Login: login, Domain: domain}, true
	}
	domain, login, ok := splitSAMName(winLastLogon(h.reg))
	if !ok {
		return User{}, false
	}
	if domain == "." && cs.Name != "" {
		domain = cs.Name
	}
	if domain == "." {
		type account struct{ Domain string }
		where := "Name = " + quoteEscaped(login, '\'') + " AND LocalAccount = TRUE"
		if a, err := queryWMI[account](h.wmi, "Win32_UserAccount", where); err == nil && len(a) > 0 && a[0].Domain != "" {
			domain = a[0].Domain
		}
	}
	return User{Login: login, Domain: domain}, true
}
