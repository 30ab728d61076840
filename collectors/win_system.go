package collectors

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
)

// Registry keys read for the machine's identity and OS.
const (
	regCurrentVersion = `SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	regCryptography   = `SOFTWARE\Microsoft\Cryptography`
	regTimeZone       = `SYSTEM\CurrentControlSet\Control\TimeZoneInformation`
	regTcpip          = `SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	regSecureBoot     = `SYSTEM\CurrentControlSet\Control\SecureBoot\State`
	regLogonUI        = `SOFTWARE\Microsoft\Windows\CurrentVersion\Authentication\LogonUI`
)

type win32ComputerSystem struct {
	Name, DNSHostName, Domain, Workgroup, Model, Manufacturer, UserName string
	SystemSKUNumber                                                     string
	PartOfDomain                                                        bool
	TotalPhysicalMemory                                                 uint64
}

type win32ComputerSystemProduct struct {
	UUID, IdentifyingNumber, Name, Vendor, Version string
}

type win32BIOS struct {
	SerialNumber, Manufacturer, SMBIOSBIOSVersion, ReleaseDate, Version string
	BIOSVersion                                                         []string
}

type win32BaseBoard struct {
	Manufacturer, Product, SerialNumber string
}

type win32SystemEnclosure struct {
	ChassisTypes                 []uint16
	SMBIOSAssetTag, SerialNumber string
}

type win32OperatingSystem struct {
	Caption, Version, BuildNumber, OSArchitecture, CSDVersion string
	InstallDate, LastBootUpTime                               string
	SerialNumber, Organization, RegisteredUser, Description   string
	SystemDrive                                               string
	OSLanguage                                                uint32
	SizeStoredInPagingFiles                                   uint64
}

// first returns the first element of s, or the zero value.
func first[T any](s []T) T {
	var zero T
	if len(s) == 0 {
		return zero
	}
	return s[0]
}

// queryFirst returns the first instance of a class, the zero value when
// the class has none. A failed query is an error: the caller fails its
// section when the class is its main source, or skips an optional one
// explicitly (x, _ := queryFirst...).
func queryFirst[T any](w wmiSource, class string) (T, error) {
	s, err := queryWMI[T](w, class, "")
	return first(s), err
}

// windowsMachineGUID returns the MachineGuid Windows generates at setup,
// which identifies the installation; "" when absent.
func windowsMachineGUID(reg registrySource) string {
	return strings.ToLower(strings.Trim(regString(reg, hklm, regCryptography, "MachineGuid"), "{} "))
}

// winBIOS builds the bios section.
func winBIOS(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	bios, err := queryWMI[win32BIOS](h.wmi, "Win32_BIOS", "")
	if err != nil {
		return nil, err
	}
	cs, _ := queryFirst[win32ComputerSystem](h.wmi, "Win32_ComputerSystem")
	csp, _ := queryFirst[win32ComputerSystemProduct](h.wmi, "Win32_ComputerSystemProduct")
	bb, _ := queryFirst[win32BaseBoard](h.wmi, "Win32_BaseBoard")
	enc, _ := queryFirst[win32SystemEnclosure](h.wmi, "Win32_SystemEnclosure")
	fw := first(bios)
	b := &BIOS{
		AssetTag:        clean(enc.SMBIOSAssetTag),
		BDate:           cimDate(fw.ReleaseDate),
		BManufacturer:   clean(fw.Manufacturer),
		BVersion:        biosVersion(fw),
		MManufacturer:   clean(bb.Manufacturer),
		MModel:          clean(bb.Product),
		MSN:             clean(strings.Trim(bb.SerialNumber, "/ ")),
		SKUNumber:       clean(cs.SystemSKUNumber),
		SManufacturer:   clean(cmp.Or(cs.Manufacturer, csp.Vendor)),
		SModel:          clean(cmp.Or(cs.Model, csp.Name)),
		SSN:             officialSSN(cmp.Or(clean(csp.IdentifyingNumber), clean(fw.SerialNumber)), enc.SerialNumber, bb.SerialNumber, clean(bb.Product), csp.UUID),
		BIOSSerial:      clean(fw.SerialNumber),
		EnclosureSerial: clean(enc.SerialNumber),
	}
	fixLenovoModel(b, clean(csp.Version))
	sb := openValues(h.reg, hklm, regSecureBoot, view64)
	defer sb.close()
	if on, ok := sb.num("UEFISecureBootEnabled"); ok {
		b.SecureBoot = "disabled"
		if on == 1 {
			b.SecureBoot = "enabled"
		}
	}
	return b, nil
}

// biosVersion returns the firmware's version as the official agent reads
// it: the SMBIOS one, else the first of the firmware's strings, else
// Version, which BIOSes without SMBIOS fill ("BOCHS  - 1").
func biosVersion(fw win32BIOS) string {
	return cmp.Or(clean(fw.SMBIOSBIOSVersion), clean(first(fw.BIOSVersion)), clean(fw.Version))
}

// winComputerName returns the computer's name, in the case the agent's
// deviceid and the official agent use: its DNS host name (Tcpip's
// Hostname, as GetComputerNameEx gives it), not Win32_ComputerSystem's
// NetBIOS name, which Windows upper-cases.
func winComputerName(reg registrySource, cs win32ComputerSystem) string {
	return cmp.Or(strings.TrimSpace(regString(reg, hklm, regTcpip, "Hostname")), cs.DNSHostName, cs.Name)
}

// winHardware builds the hardware section.
func winHardware(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	css, err := queryWMI[win32ComputerSystem](h.wmi, "Win32_ComputerSystem", "")
	if err != nil {
		return nil, err
	}
	if len(css) == 0 {
		return nil, NoData("no Win32_ComputerSystem")
	}
	cs := css[0]
	csp, _ := queryFirst[win32ComputerSystemProduct](h.wmi, "Win32_ComputerSystemProduct")
	bios, _ := queryFirst[win32BIOS](h.wmi, "Win32_BIOS")
	enc, _ := queryFirst[win32SystemEnclosure](h.wmi, "Win32_SystemEnclosure")
	osys, _ := queryFirst[win32OperatingSystem](h.wmi, "Win32_OperatingSystem")
	cv := openValues(h.reg, hklm, regCurrentVersion, view64)
	defer cv.close()

	hw := &Hardware{
		Name:        winComputerName(h.reg, cs),
		UUID:        cleanUUID(csp.UUID),
		Memory:      int(cs.TotalPhysicalMemory >> 20),
		Swap:        int(osys.SizeStoredInPagingFiles >> 10),
		Workgroup:   cs.Workgroup,
		Description: osys.Description,
		WinProdID:   cmp.Or(cv.str("ProductId"), osys.SerialNumber),
		WinOwner:    clean(osys.RegisteredUser),
		WinCompany:  clean(osys.Organization),
		VMSystem: cmp.Or(dmiVM(vmEvidence{
			sysVendor: cs.Manufacturer, product: cs.Model,
			biosVendor: bios.Manufacturer, biosVersion: bios.SMBIOSBIOSVersion,
		}), "Physical"),
	}
	if cs.PartOfDomain {
		hw.Workgroup = cs.Domain
	}
	if osys.OSLanguage != 0 {
		hw.WinLang = strconv.FormatUint(uint64(osys.OSLanguage), 10)
	}
	if t := first(enc.ChassisTypes); t != 0 {
		hw.ChassisType = winChassisName(t)
	}
	hw.LastLoggedUser = lastLoggedUser(h, cs)

	confs, _ := queryWMI[win32NetworkAdapterConfiguration](h.wmi, "Win32_NetworkAdapterConfiguration", "IPEnabled = TRUE")
	var dns []string
	for _, c := range confs {
		for _, s := range c.DNSServerSearchOrder {
			if !slices.Contains(dns, s) {
				dns = append(dns, s)
			}
		}
		if hw.DefaultGateway == "" {
			hw.DefaultGateway = firstIPv4(c.DefaultIPGateway)
		}
	}
	hw.DNS = strings.Join(dns, "/")
	return hw, nil
}

// lastLoggedUser returns the login of winLastUser, else the last logon
// the registry records in another form (a UPN).
func lastLoggedUser(h winHost, cs win32ComputerSystem) string {
	if u, ok := winLastUser(h, cs); ok {
		return u.Login
	}
	return winLastLogon(h.reg)
}

// winOS builds the operatingsystem section.
func winOS(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	oss, err := queryWMI[win32OperatingSystem](h.wmi, "Win32_OperatingSystem", "")
	if err != nil {
		return nil, err
	}
	if len(oss) == 0 {
		return nil, NoData("no Win32_OperatingSystem")
	}
	o := oss[0]
	cv := openValues(h.reg, hklm, regCurrentVersion, view64)
	defer cv.close()
	tcp := openValues(h.reg, hklm, regTcpip, view64)
	defer tcp.close()

	os := &OperatingSystem{
		Name:          "Windows",
		FullName:      cmp.Or(strings.TrimSpace(o.Caption), cv.str("ProductName")),
		Version:       cmp.Or(cv.str("DisplayVersion"), cv.str("ReleaseId")),
		KernelName:    "MSWin32",
		KernelVersion: o.Version,
		Arch:          winOSArch(h, o.OSArchitecture),
		ServicePack:   o.CSDVersion,
		BootTime:      cimDateTime(o.LastBootUpTime),
		InstallDate:   cimDateTime(o.InstallDate),
		DNSDomain:     tcp.str("Domain"),
		Timezone:      winTimezone(h.reg),
	}
	// Since Windows 10 the update build revision says what service packs
	// said before: the official agent sends the build with it (22631.3007)
	// as the service pack, which GLPI lists machines by.
	if ubr, ok := cv.num("UBR"); ok && ubr != 0 {
		os.ServicePack = strings.TrimPrefix(o.BuildNumber+"."+strconv.FormatUint(ubr, 10), ".")
	}
	if os.InstallDate == "" {
		if sec, ok := cv.num("InstallDate"); ok {
			os.InstallDate = unixDateTime(sec)
		}
	}
	if host := tcp.str("Hostname"); host != "" {
		os.FQDN = host
		if os.DNSDomain != "" {
			os.FQDN += "." + os.DNSDomain
		}
	}
	return os, nil
}

// winOSArch is the operating system's width as the official agent words
// it, "64-bit" or "32-bit", in every language: Windows translates
// OSArchitecture ("64 bits", "64-Bit", "64-разрядная"), which GLPI would
// file as so many architectures. Windows before Vista has no
// OSArchitecture; the processors' address width, which is the system's,
// tells it there.
func winOSArch(h winHost, arch string) string {
	if arch == "" {
		type processor struct{ AddressWidth uint16 }
		procs, _ := queryWMI[processor](h.wmi, "Win32_Processor", "")
		if len(procs) == 0 || procs[0].AddressWidth == 0 {
			return ""
		}
		arch = strconv.Itoa(int(procs[0].AddressWidth))
	}
	if strings.Contains(arch, "64") {
		return "64-bit"
	}
	return "32-bit"
}

// winTimezone reads the time zone: its Windows name and the current offset
// from UTC (ActiveTimeBias is UTC minus local time, in minutes).
func winTimezone(reg registrySource) *Timezone {
	tz := openValues(reg, hklm, regTimeZone, view64)
	defer tz.close()
	name := tz.str("TimeZoneKeyName")
	bias, ok := tz.num("ActiveTimeBias")
	if name == "" || !ok {
		return nil
	}
	return &Timezone{Name: name, Offset: formatOffset(-int(int32(uint32(bias))) * 60)}
}

// winChassisTypes names Win32_SystemEnclosure's first chassis type as the
// official agent does on Windows (Win32/Chassis.pm), after dmidecode's
// name: its own names for types 1 to 24, dmidecode's for the later ones
// it does not know (tablets, convertibles, mini PCs). GLPI makes the
// computer's type of it, and "Main System Chassis" is not "Main Server
// Chassis".
var winChassisTypes = [...]string{
	1: "Other", 2: "Unknown", 3: "Desktop", 4: "Low Profile Desktop", 5: "Pizza Box",
	6: "Mini Tower", 7: "Tower", 8: "Portable", 9: "Laptop", 10: "Notebook", 11: "Hand Held",
	12: "Docking Station", 13: "All in One", 14: "Sub Notebook", 15: "Space-Saving",
	16: "Lunch Box", 17: "Main System Chassis", 18: "Expansion Chassis", 19: "SubChassis",
	20: "Bus Expansion Chassis", 21: "Peripheral Chassis", 22: "Storage Chassis",
	23: "Rack Mount Chassis", 24: "Sealed-Case PC",
}

func winChassisName(t uint16) string {
	if int(t) < len(winChassisTypes) {
		return winChassisTypes[t]
	}
	return chassisName(strconv.Itoa(int(t)))
}
