package collectors

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"howett.net/plist"
)

func macOS(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	v := macVersion(env)
	if v.ProductVersion == "" {
		return nil, NoData("no SystemVersion.plist")
	}
	name := cmp.Or(v.ProductName, "macOS")
	o := &OperatingSystem{
		Name:          name,
		Version:       v.ProductVersion,
		FullName:      strings.TrimSuffix(fmt.Sprintf("%s %s (%s)", name, v.ProductVersion, v.ProductBuildVersion), " ()"),
		KernelName:    "darwin",
		KernelVersion: h.sysctlValue("kern.osrelease"),
		Arch:          macMachineArch(h, spHardware{}),
		FQDN:          h.sysctlValue("kern.hostname"),
	}
	if o.KernelVersion == "" || o.Arch == "" {
		if r, err := h.profile(ctx, env); err == nil {
			o.KernelVersion = cmp.Or(o.KernelVersion, strings.TrimPrefix(r.software().KernelVersion, "Darwin "))
			o.Arch = cmp.Or(o.Arch, macArch(r.hardware()))
		}
	}
	if _, domain, ok := strings.Cut(o.FQDN, "."); ok {
		o.DNSDomain = domain
	}
	loc, ok := macZone(env)
	if ok {
		_, off := env.Time().In(loc).Zone()
		o.Timezone = &Timezone{Name: loc.String(), Offset: formatOffset(off)}
	}
	if t, ok := parseSysctlTimeval(h.sysctlValue("kern.boottime")); ok {
		o.BootTime = t.In(loc).Format(dateTimeLayout)
	}
	if t := macInstallTime(env); !t.IsZero() {
		o.InstallDate = t.In(loc).Format(dateTimeLayout)
	}
	return o, nil
}

// macLocation returns the host's time zone, UTC when it has none.
func macLocation(env *Env) *time.Location {
	loc, _ := macZone(env)
	return loc
}

// macZone returns the time zone named by the /etc/localtime link into
// /var/db/timezone/zoneinfo, and whether there is one; UTC when not.
func macZone(env *Env) (*time.Location, bool) {
	link, err := os.Readlink(env.Path("/etc/localtime"))
	if err != nil {
		return time.UTC, false
	}
	name := zoneName(link)
	if name == "" {
		return time.UTC, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		env.Log().Debug("unknown time zone", "zone", name, "err", err)
		return time.UTC, false
	}
	return loc, true
}

// macInstallTime returns when the Mac was set up: when Setup Assistant
// finished, else the oldest installer receipt.
func macInstallTime(env *Env) time.Time {
	if fi, err := os.Stat(env.Path("/var/db/.AppleSetupDone")); err == nil {
		return fi.ModTime()
	}
	var oldest time.Time
	for _, r := range macReceipts(env) {
		if !r.InstallDate.IsZero() && (oldest.IsZero() || r.InstallDate.Before(oldest)) {
			oldest = r.InstallDate
		}
	}
	return oldest
}

// macReceipt is an installer receipt of /var/db/receipts, which pkgutil
// lists.
type macReceipt struct {
	PackageIdentifier  string    `plist:"PackageIdentifier"`
	PackageVersion     string    `plist:"PackageVersion"`
	InstallDate        time.Time `plist:"InstallDate"`
	InstallProcessName string    `plist:"InstallProcessName"`
}

// macReceipts reads the installer receipts, skipping unreadable ones.
func macReceipts(env *Env) []macReceipt {
	var out []macReceipt
	for _, p := range env.Glob("/var/db/receipts/*.plist") {
		var r macReceipt
		if err := readPlist(env, p, &r); err != nil || r.PackageIdentifier == "" {
			env.Log().Debug("skip receipt", "path", p, "err", err)
			continue
		}
		out = append(out, r)
	}
	return out
}

// spVolume is a mounted volume of SPStorageDataType.
type spVolume struct {
	Name       string `json:"_name"`
	BSDName    string `json:"bsd_name"`
	FileSystem string `json:"file_system"`
	Free       uint64 `json:"free_space_in_bytes"`
	Size       uint64 `json:"size_in_bytes"`
	MountPoint string `json:"mount_point"`
	VolumeUUID string `json:"volume_uuid"`
	Physical   struct {
		Protocol string `json:"protocol"`
	} `json:"physical_drive"`
}

// systemImage reports whether a volume is one of the disk images macOS
// mounts for itself: Cryptexes and assets under /System, /Library or
// /private. The user's disk images mount under /Volumes and are drives.
func (v spVolume) systemImage() bool {
	return v.Physical.Protocol == "Disk Image" && !strings.HasPrefix(v.MountPoint, "/Volumes/")
}

func macDrives(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	out := make([]Drive, 0, len(r.Storage))
	for _, v := range r.Storage {
		if v.systemImage() {
			continue
		}
		d := Drive{
			Type:       v.MountPoint,
			Filesystem: strings.ToLower(v.FileSystem),
			Total:      int64(v.Size >> 20),
			Free:       int64(v.Free >> 20),
			Serial:     strings.ToUpper(v.VolumeUUID),
			Label:      v.Name,
		}
		if v.BSDName != "" {
			d.Volumn = "/dev/" + v.BSDName
		}
		out = append(out, d)
	}
	// fdesetup tells the state of the startup disk, reported on the
	// volume mounted at "/" as the official agent does; other disks are
	// encrypted, or not, on their own.
	if i := slices.IndexFunc(out, func(d Drive) bool { return d.Type == "/" }); i >= 0 {
		if status, err := h.fileVaultStatus(ctx, env); err == nil {
			fileVaultState(&out[i], status)
		} else {
			env.Log().Debug("no FileVault status", "err", err)
		}
	}
	return out, nil
}

// fileVaultStatus returns the encrypt_status of the startup disk, running
// fdesetup on first use.
func (h *macHost) fileVaultStatus(ctx context.Context, env *Env) (string, error) {
	if h.fdesetup == nil {
		return "", NoData("no fdesetup off the live system")
	}
	return h.fileVault.get(ctx, fdesetupTimeout, func(ctx context.Context) (string, error) {
		out, err := h.fdesetup(ctx, env)
		if err != nil {
			return "", fmt.Errorf("run fdesetup: %w", err)
		}
		status, ok := parseFdesetupStatus(string(out))
		if !ok {
			return "", fmt.Errorf("parse fdesetup status: unexpected %q", strings.TrimSpace(string(out)))
		}
		return status, nil
	})
}

// parseFdesetupStatus reads what "fdesetup status" prints: "FileVault is
// On." or "FileVault is Off." (with ", but will be enabled after the next
// restart." when deferred), followed while the disk converts by a line
// such as "Encryption in progress: Percent completed = 42.1". It returns
// the encryption status in BitLocker's terms: "Yes", "No", or "Partially"
// while encrypting or decrypting.
func parseFdesetupStatus(s string) (status string, ok bool) {
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "Encryption in progress"), strings.HasPrefix(line, "Decryption in progress"):
			return "Partially", true
		case strings.HasPrefix(line, "FileVault is On"):
			status = "Yes"
		case strings.HasPrefix(line, "FileVault is Off"):
			status = "No"
		}
	}
	return status, status != ""
}

// fileVaultState fills the encryption fields of the startup disk as
// bitlockerState does for a BitLocker volume. FileVault 2 encrypts with
// XTS-AES-128, named as BitLocker names its methods.
func fileVaultState(d *Drive, status string) {
	d.EncryptName = "FileVault"
	d.EncryptStatus = status
	if status != "No" {
		d.EncryptAlgo = "XTS_AES_128"
	}
}

// spNetService is a network service of SPNetworkDataType. IPv6 addresses
// are taken from the interfaces themselves.
type spNetService struct {
	Name      string `json:"_name"`
	Interface string `json:"interface"`
	Hardware  string `json:"hardware"`
	Type      string `json:"type"`
	Order     int    `json:"spnetwork_service_order"`
	Ethernet  struct {
		MAC string `json:"MAC Address"`
	} `json:"Ethernet"`
	IPv4 struct {
		Addresses   []string `json:"Addresses"`
		SubnetMasks []string `json:"SubnetMasks"`
		Router      string   `json:"Router"`
	} `json:"IPv4"`
	DNS struct {
		ServerAddresses []string `json:"ServerAddresses"`
	} `json:"DNS"`
}

// primaryService returns the service macOS routes through: the first in
// service order that has a router.
func primaryService(services []spNetService) (spNetService, bool) {
	var best spNetService
	found := false
	for _, s := range services {
		if s.IPv4.Router != "" && (!found || s.Order < best.Order) {
			best, found = s, true
		}
	}
	return best, found
}

// serviceHardware returns the hardware of a network service. Bluetooth
// PAN is an Ethernet emulation over Bluetooth: its service says "Ethernet"
// and only its name, given after its hardware port, says Bluetooth.
func serviceHardware(s spNetService) string {
	if strings.HasPrefix(s.Name, "Bluetooth") {
		return "Bluetooth"
	}
	return cmp.Or(s.Hardware, s.Type)
}

// macIface is a network interface as the system sees it.
type macIface struct {
	Name  string
	MAC   string
	MTU   int
	Up    bool
	Addrs []netip.Prefix
}

// ifacesFromServices describes the interfaces of the network services
// from system_profiler alone, for hosts whose interfaces cannot be asked.
func ifacesFromServices(services []spNetService) []macIface {
	var out []macIface
	for _, s := range services {
		if s.Interface == "" {
			continue
		}
		m := macIface{Name: s.Interface, MAC: strings.ToLower(s.Ethernet.MAC)}
		for i, a := range s.IPv4.Addresses {
			ip, err := netip.ParseAddr(a)
			if err != nil || i >= len(s.IPv4.SubnetMasks) {
				continue
			}
			mask, err := netip.ParseAddr(s.IPv4.SubnetMasks[i])
			if err != nil {
				continue
			}
			bits, _ := net.IPMask(mask.AsSlice()).Size()
			m.Addrs = append(m.Addrs, netip.PrefixFrom(ip, bits))
		}
		m.Up = len(m.Addrs) > 0
		out = append(out, m)
	}
	return out
}

// macVirtualIfaces are the prefixes of interfaces with no hardware:
// tunnels, bridges, Apple Wireless Direct Link and its low-latency peer,
// the Wi-Fi access point and the interfaces of virtual machines.
var macVirtualIfaces = []string{"lo", "utun", "bridge", "awdl", "llw", "gif", "stf", "anpi", "ap", "vmenet", "feth", "ipsec", "ppp"}

// macIfaceType returns the schema's type of an interface from its service's
// hardware ("AirPort", "Ethernet", "Bridge") and its name.
func macIfaceType(name, hardware string) string {
	switch {
	case strings.HasPrefix(name, "lo"):
		return "loopback"
	case strings.Contains(hardware, "Bluetooth"):
		return "bluetooth"
	case strings.HasPrefix(name, "bridge"), hardware == "Bridge":
		return "bridge"
	case hardware == "AirPort", hardware == "Wi-Fi":
		return "wifi"
	case hardware == "Ethernet":
		return "ethernet"
	case hardware == "PPP", strings.HasPrefix(name, "ppp"):
		return "dialup"
	case hardware == "Bond":
		return "aggregate"
	}
	return ""
}

func macNetworks(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	r, err := h.profile(ctx, env)
	if err != nil {
		return nil, err
	}
	ifaces := ifacesFromServices(r.Network)
	if h.interfaces != nil {
		if ifaces, err = h.interfaces(); err != nil {
			return nil, err
		}
	}
	return networksFrom(ifaces, r.Network), nil
}

// networksFrom lists the interfaces, one entry per address, typed by the
// network services that use them. Interfaces without a service and without
// an address, of which macOS has many (awdl0, llw0, anpi0…), are left out.
func networksFrom(ifaces []macIface, services []spNetService) []Network {
	byName := make(map[string]spNetService, len(services))
	for _, s := range services {
		if _, dup := byName[s.Interface]; !dup && s.Interface != "" {
			byName[s.Interface] = s
		}
	}
	var out []Network
	for _, i := range ifaces {
		s, hasService := byName[i.Name]
		if !hasService && len(i.Addrs) == 0 {
			continue
		}
		n := Network{
			Description: i.Name,
			Type:        macIfaceType(i.Name, serviceHardware(s)),
			MAC:         i.MAC,
			MTU:         i.MTU,
			Status:      "down",
			VirtualDev: slices.ContainsFunc(macVirtualIfaces, func(p string) bool {
				return strings.HasPrefix(i.Name, p) && len(i.Name) > len(p) && i.Name[len(p)] >= '0' && i.Name[len(p)] <= '9'
			}),
		}
		if i.Up {
			n.Status = "up"
		}
		out = append(out, withAddresses(n, i.Addrs, s.IPv4.Router)...)
	}
	return out
}

// spApp is an application of SPApplicationsDataType.
type spApp struct {
	Name         string    `json:"_name"`
	Version      string    `json:"version"`
	ObtainedFrom string    `json:"obtained_from"`
	LastModified time.Time `json:"lastModified"`
	Path         string    `json:"path"`
	ArchKind     string    `json:"arch_kind"`
	SignedBy     []string  `json:"signed_by"`
}

func macSoftware(ctx context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	loc := macLocation(env)
	// Without the applications the list would be the receipts alone, and
	// GLPI would take every application for uninstalled: the section fails
	// instead, and the agent keeps the last one it sent.
	apps, err := h.applications(ctx, env)
	if err != nil {
		return nil, err
	}
	out := make([]Software, 0, len(apps))
	for _, a := range apps {
		out = append(out, softwareFromApp(a, loc))
	}
	for _, r := range macReceipts(env) {
		out = append(out, softwareFromReceipt(r, loc))
	}
	return out, nil
}

// softwareFromApp describes an application bundle.
func softwareFromApp(a spApp, loc *time.Location) Software {
	s := Software{
		Name:      a.Name,
		Version:   a.Version,
		Arch:      macArchKind(a.ArchKind),
		Publisher: signerPublisher(a.SignedBy),
		From:      "system_profiler",
	}
	s.SystemCategory, s.UserName = appCategory(a.Path)
	if !a.LastModified.IsZero() {
		s.InstallDate = a.LastModified.In(loc).Format(dateTimeLayout)
	}
	return s
}

// softwareFromReceipt describes an installer package.
func softwareFromReceipt(r macReceipt, loc *time.Location) Software {
	s := Software{
		Name:     r.PackageIdentifier,
		Version:  r.PackageVersion,
		From:     "pkgutil",
		Comments: r.InstallProcessName,
	}
	if strings.HasPrefix(r.PackageIdentifier, "com.apple.") {
		s.Publisher = appleInc
	}
	if !r.InstallDate.IsZero() {
		s.InstallDate = r.InstallDate.In(loc).Format(dateTimeLayout)
	}
	return s
}

// appCategory returns where an application is installed, its folder
// without the leading slash ("Applications/Utilities"), and the user whose
// home holds it. A home's folders are named from the home
// ("/Users/ann/Applications/x.app" is "Applications" of ann) and a
// volume's from the volume's root: neither a user's nor a disk's name
// makes a category.
func appCategory(p string) (category, user string) {
	dir := strings.TrimPrefix(path.Dir(p), "/")
	for _, top := range []string{"Users/", "Volumes/"} {
		rest, ok := strings.CutPrefix(dir, top)
		if !ok {
			continue
		}
		name, sub, _ := strings.Cut(rest, "/")
		if top == "Users/" {
			user = name
		}
		return sub, user
	}
	if dir == "." {
		dir = ""
	}
	return dir, ""
}

// macArchName names an architecture of system_profiler's arch_kind, which
// lists those an application is built for: "arch_arm_i64", "arch_i32_i64".
func macArchName(p string) string {
	switch p {
	case "arm", "ios":
		return "arm64"
	case "i64":
		return "x86_64"
	case "i32":
		return "i386"
	case "ppc":
		return "ppc"
	}
	return ""
}

// macArchKind maps system_profiler's arch_kind to an architecture name,
// "universal" for an application built for several.
func macArchKind(kind string) string {
	parts := strings.Split(strings.TrimPrefix(kind, "arch_"), "_")
	switch {
	case !strings.HasPrefix(kind, "arch_"):
		return ""
	case len(parts) > 1:
		for _, p := range parts {
			if macArchName(p) == "" {
				return ""
			}
		}
		return "universal"
	}
	return macArchName(parts[0])
}

// signerPublisher names an application's publisher from its signing
// chain: the developer of a "Developer ID Application: Name (TEAMID)"
// certificate, Apple for its own signatures.
func signerPublisher(chain []string) string {
	if len(chain) == 0 {
		return ""
	}
	leaf := chain[0]
	if dev, ok := strings.CutPrefix(leaf, "Developer ID Application: "); ok {
		if i := strings.LastIndex(dev, " ("); i > 0 {
			dev = dev[:i]
		}
		return dev
	}
	// Apple signs its own software "Software Signing"; the App Store's
	// signature names no developer.
	if leaf == "Software Signing" {
		return appleInc
	}
	return ""
}

// dslocalRecord is a user or group record of the local directory. Every
// attribute is a list of strings.
type dslocalRecord struct {
	Name     []string `plist:"name"`
	UID      []string `plist:"uid"`
	GID      []string `plist:"gid"`
	RealName []string `plist:"realname"`
	Home     []string `plist:"home"`
	Shell    []string `plist:"shell"`
	Users    []string `plist:"users"`
}

// attr returns the first value of an attribute.
func attr(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// dslocalRecords reads the records of a local directory node folder
// ("users", "groups"), sorted by id as in the directory's own listing.
func dslocalRecords(env *Env, kind string) []dslocalRecord {
	var out []dslocalRecord
	for _, p := range env.Glob("/var/db/dslocal/nodes/Default/" + kind + "/*.plist") {
		var r dslocalRecord
		if err := readPlist(env, p, &r); err != nil || len(r.Name) == 0 {
			env.Log().Debug("skip directory record", "path", p, "err", err)
			continue
		}
		out = append(out, r)
	}
	id := func(r dslocalRecord) int {
		n, _ := strconv.Atoi(cmp.Or(attr(r.UID), attr(r.GID)))
		return n
	}
	slices.SortStableFunc(out, func(a, b dslocalRecord) int { return cmp.Compare(id(a), id(b)) })
	return out
}

// macUserEntries returns the local users with their primary group.
func macUserEntries(env *Env) []passwdEntry {
	var out []passwdEntry
	for _, r := range dslocalRecords(env, "users") {
		out = append(out, passwdEntry{
			LocalUser: LocalUser{
				ID:    attr(r.UID),
				Login: attr(r.Name),
				Name:  attr(r.RealName),
				Home:  attr(r.Home),
				Shell: attr(r.Shell),
			},
			GID: attr(r.GID),
		})
	}
	return out
}

func macLocalUsers(_ context.Context, env *Env) (any, error) {
	users := macUserEntries(env)
	if len(users) == 0 {
		return nil, NoData("no local directory (not root?)")
	}
	out := make([]LocalUser, len(users))
	for i, u := range users {
		out[i] = u.LocalUser
	}
	return out, nil
}

func macLocalGroups(_ context.Context, env *Env) (any, error) {
	records := dslocalRecords(env, "groups")
	if len(records) == 0 {
		return nil, NoData("no local directory (not root?)")
	}
	users := macUserEntries(env)
	out := make([]LocalGroup, 0, len(records))
	for _, r := range records {
		g := LocalGroup{ID: attr(r.GID), Name: attr(r.Name), Members: slices.Clone(r.Users)}
		for _, u := range users {
			if u.GID == g.ID && !slices.Contains(g.Members, u.Login) {
				g.Members = append(g.Members, u.Login)
			}
		}
		out = append(out, g)
	}
	return out, nil
}

// macUsers reports the user logged in at the screen, who owns
// /dev/console; root owns it at the login window.
func macUsers(_ context.Context, env *Env) (any, error) {
	h, err := env.mac()
	if err != nil {
		return nil, err
	}
	if h.consoleUID == nil {
		return nil, NoData("no console")
	}
	uid, ok := h.consoleUID()
	if !ok || uid == 0 {
		return nil, NoData("nobody at the console")
	}
	id := strconv.Itoa(uid)
	for _, u := range macUserEntries(env) {
		if u.ID == id {
			return []User{{Login: u.Login}}, nil
		}
	}
	return nil, NoData("console user %d not in the local directory", uid)
}

// alfPreferences is the application firewall's configuration.
type alfPreferences struct {
	GlobalState *int `plist:"globalstate"`
}

// macFirewall reports the application firewall: globalstate 0 is off, 1
// on, 2 on and blocking all incoming connections.
func macFirewall(_ context.Context, env *Env) (any, error) {
	var p alfPreferences
	if err := readPlist(env, "/Library/Preferences/com.apple.alf.plist", &p); err != nil || p.GlobalState == nil {
		return nil, NoData("no application firewall preferences")
	}
	status := firewallOff
	if *p.GlobalState > 0 {
		status = firewallOn
	}
	return []Firewall{{Status: status}}, nil
}

// bundleInfo is the part of an application bundle's Info.plist the
// inventory reads.
type bundleInfo struct {
	ShortVersion string `plist:"CFBundleShortVersionString"`
	Version      string `plist:"CFBundleVersion"`
}

// macAntivirusApps are antivirus products recognised by their application
// bundle. Being installed, they count as enabled: macOS keeps no file
// telling whether their system extension runs.
var macAntivirusApps = []struct{ name, company, app string }{
	{"Microsoft Defender", "Microsoft Corporation", "/Applications/Microsoft Defender.app"},
	{"CrowdStrike Falcon", "CrowdStrike", "/Applications/Falcon.app"},
	{"Sophos Endpoint", "Sophos", "/Applications/Sophos/Sophos Endpoint.app"},
	{"ESET Endpoint Security", "ESET", "/Applications/ESET Endpoint Security.app"},
	{"ESET Endpoint Antivirus", "ESET", "/Applications/ESET Endpoint Antivirus.app"},
	{"Malwarebytes", "Malwarebytes", "/Applications/Malwarebytes.app"},
	{"SentinelOne", "SentinelOne", "/Applications/SentinelOne/SentinelOne Extensions.app"},
	{"Bitdefender Endpoint Security Tools", "Bitdefender", "/Applications/Endpoint Security for Mac.app"},
}

// xprotectBundles are where macOS 13 and later keep XProtect, the built-in
// malware scanner; earlier versions kept it under /System.
var xprotectBundles = []string{
	"/Library/Apple/System/Library/CoreServices/XProtect.bundle",
	"/System/Library/CoreServices/XProtect.bundle",
}

func macAntivirus(_ context.Context, env *Env) (any, error) {
	var out []Antivirus
	for _, b := range xprotectBundles {
		var info bundleInfo
		if readPlist(env, b+"/Contents/Info.plist", &info) == nil {
			v := cmp.Or(info.ShortVersion, info.Version)
			out = append(out, Antivirus{Name: "XProtect", Company: appleInc, Version: v, BaseVersion: v, Enabled: true})
			break
		}
	}
	for _, a := range macAntivirusApps {
		var info bundleInfo
		if readPlist(env, a.app+"/Contents/Info.plist", &info) != nil {
			continue
		}
		out = append(out, Antivirus{Name: a.name, Company: a.company, Version: info.ShortVersion, Enabled: true})
	}
	if len(out) == 0 {
		return nil, NoData("no antivirus")
	}
	return out, nil
}

// macRemoteTools read the remote control tools whose id is kept in a
// file, with the types and ids GLPI's agent reports, in the order of the
// section. The tools GLPI's agent asks by running them (MeshCentral,
// RuDesktop, SupRemo, Tactical RMM's version) are left out.
var macRemoteTools = []remoteTool[*Env]{
	func(env *Env) ([]RemoteMgmt, error) {
		return unixAnyDesk(env, "/Library/Application Support/AnyDesk/system.conf")
	},
	macDWService,
	unixRustDesk,
	func(env *Env) ([]RemoteMgmt, error) {
		return simpleHelpFile(env, "/Library/Application Support/JWrapper-Remote Access/JWAppsSharedConfig/sgalive")
	},
	func(env *Env) ([]RemoteMgmt, error) { return tacticalRMMFile(env, "/private/etc/tacticalagent") },
	macTeamViewer,
}

func macRemoteMgmt(_ context.Context, env *Env) (any, error) {
	return collectRemoteTools(env, macRemoteTools)
}

// dwAgentDaemon is the launchd job of the DWService agent, which runs the
// agent with its installation folder as first argument.
const dwAgentDaemon = "/Library/LaunchDaemons/net.dwservice.agsvc.plist"

// macDWService reads the DWService agent of the folder its launchd job
// names, else of its default folder.
func macDWService(env *Env) ([]RemoteMgmt, error) {
	var dirs []string
	b, ok, err := readRemoteFile(env, dwAgentDaemon)
	if err != nil {
		return nil, err
	}
	if ok {
		var job struct {
			ProgramArguments []string `plist:"ProgramArguments"`
		}
		if _, err := plist.Unmarshal(b, &job); err != nil {
			env.Log().Debug("parse dwservice launch daemon", "path", dwAgentDaemon, "err", err)
		} else if len(job.ProgramArguments) > 1 {
			dirs = append(dirs, job.ProgramArguments[1])
		}
	}
	return dwServiceDirs(unixFiles{env}, append(dirs, "/Library/DWAgent"))
}

// teamViewerPreferences holds TeamViewer's id, an integer or a string, and
// its version.
type teamViewerPreferences struct {
	ClientID any    `plist:"ClientID"`
	Version  string `plist:"Version"`
}

// macTeamViewer reads the TeamViewer id in the first of its preferences
// files, in name order, which is the one GLPI's agent asks "defaults" about.
func macTeamViewer(env *Env) ([]RemoteMgmt, error) {
	files := env.Glob("/Library/Preferences/com.teamviewer.teamviewer*.plist")
	if len(files) == 0 {
		return nil, nil
	}
	b, ok, err := readRemoteFile(env, files[0])
	if !ok {
		return nil, err
	}
	var tv teamViewerPreferences
	if _, err := plist.Unmarshal(b, &tv); err != nil {
		env.Log().Debug("parse teamviewer preferences", "path", files[0], "err", err)
		return nil, nil
	}
	var id string
	switch v := tv.ClientID.(type) {
	case uint64:
		if v > 0 {
			id = strconv.FormatUint(v, 10)
		}
	case int64:
		if v > 0 {
			id = strconv.FormatInt(v, 10)
		}
	case string:
		id = strings.TrimSpace(v)
	}
	if id == "" {
		return nil, nil
	}
	return []RemoteMgmt{{Type: "teamviewer", ID: id, Version: tv.Version}}, nil
}
