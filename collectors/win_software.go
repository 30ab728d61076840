package collectors

import (
	"path"
	"regexp"
	"strings"
)

// Registry keys of installed software.
const (
	regUninstall   = `SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`
	regProfileList = `SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList`
	regAppxApps    = `SOFTWARE\Microsoft\Windows\CurrentVersion\Appx\AppxAllUserStore\Applications`
)

// Software categories of Windows entries, as GLPI's agent names them.
const (
	categoryApplication     = "application"
	categorySystemComponent = "system_component"
	categoryUpdate          = "update"
	categorySecurityUpdate  = "security_update"
	categoryHotfix          = "hotfix"
)

var guidKey = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}$`)

// uninstallEntry reads one Uninstall subkey. It returns false for entries
// Windows does not list in Programs and Features either: without display
// name, or updates of another entry (ParentKeyName).
func uninstallEntry(reg registrySource, hive regHive, base, name string, view regView) (Software, bool) {
	v := openValues(reg, hive, base+`\`+name, view)
	defer v.close()
	display := strings.TrimSpace(v.str("DisplayName"))
	if display == "" || v.str("ParentKeyName") != "" {
		return Software{}, false
	}
	s := Software{
		Name:            display,
		Version:         cutControl(v.str("DisplayVersion")),
		Publisher:       strings.TrimSpace(v.str("Publisher")),
		Comments:        v.str("Comments"),
		HelpLink:        v.str("HelpLink"),
		URLInfoAbout:    v.str("URLInfoAbout"),
		UninstallString: v.str("UninstallString"),
		Folder:          v.str("InstallLocation"),
		ReleaseType:     v.str("ReleaseType"),
		InstallDate:     regDate(v.str("InstallDate")),
		From:            "registry",
		SystemCategory:  categoryApplication,
	}
	if guidKey.MatchString(name) {
		s.GUID = name
	}
	if n, ok := v.num("SystemComponent"); ok && n != 0 {
		s.SystemCategory = categorySystemComponent
	}
	if kb, ok := v.num("EstimatedSize"); ok {
		s.Filesize = int64(kb) * 1024
	}
	return s, true
}

// cutControl drops what follows a control character: some installers write
// garbage after a NUL in DisplayVersion.
func cutControl(s string) string {
	if i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 }); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// uninstallList reads all entries of an Uninstall key.
func uninstallList(reg registrySource, hive regHive, base string, view regView) []Software {
	var out []Software
	for _, name := range regSubKeys(reg, hive, base, view) {
		if s, ok := uninstallEntry(reg, hive, base, name, view); ok {
			out = append(out, s)
		}
	}
	return out
}

// is64BitWindows reports whether the registry has a 32-bit view.
func is64BitWindows(reg registrySource) bool {
	k, err := reg.OpenKey(hklm, `SOFTWARE\WOW6432Node`, view64)
	if err != nil {
		return false
	}
	k.Close()
	return true
}

// userProfiles maps the SIDs of local and domain user profiles (S-1-5-21-…)
// to their user names, the last element of their profile path.
func userProfiles(reg registrySource) map[string]string {
	users := map[string]string{}
	for _, sid := range regSubKeys(reg, hklm, regProfileList, view64) {
		if !strings.HasPrefix(sid, "S-1-5-21-") {
			continue
		}
		p := regString(reg, hklm, regProfileList+`\`+sid, "ProfileImagePath")
		if p != "" {
			users[sid] = path.Base(strings.ReplaceAll(p, `\`, "/"))
		}
	}
	return users
}

// loadedUserHives lists the SIDs of the user hives loaded under
// HKEY_USERS: users logged on or whose profile a service holds.
func loadedUserHives(reg registrySource) []string {
	var out []string
	for _, sid := range regSubKeys(reg, hku, "", view64) {
		if strings.HasPrefix(sid, "S-1-5-21-") && !strings.HasSuffix(sid, "_Classes") {
			out = append(out, sid)
		}
	}
	return out
}

type win32QuickFixEngineering struct {
	HotFixID, Description, InstalledOn string
}

var (
	kbID    = regexp.MustCompile(`(?i)KB\d{4,10}`)
	appxDot = regexp.MustCompile(`([^0-9])\.`)
)

// hotfixSoftware describes an installed update, "" name when it is no KB.
func hotfixSoftware(q win32QuickFixEngineering, arch string) (Software, bool) {
	if !kbID.MatchString(q.HotFixID) {
		return Software{}, false
	}
	s := Software{
		Name:           q.HotFixID,
		Comments:       q.Description,
		InstallDate:    regDate(q.InstalledOn),
		From:           "WMI",
		Arch:           arch,
		SystemCategory: categoryUpdate,
	}
	switch d := q.Description; {
	case strings.HasPrefix(d, "Security Update"):
		s.ReleaseType, s.SystemCategory = "Security Update", categorySecurityUpdate
	case strings.HasPrefix(d, "Hotfix"):
		s.ReleaseType, s.SystemCategory = "Hotfix", categoryHotfix
	case strings.HasPrefix(d, "Update"):
		s.ReleaseType = "Update"
	}
	return s, true
}

// appxArchs maps package architectures to the names of software entries.
var appxArchs = map[string]string{"x64": "x86_64", "x86": "i586", "arm64": "aarch64", "arm": "arm", "neutral": "noarch"}

// appxPublishers names the publishers of common packages by publisher id,
// which the package full name holds in place of the publisher.
var appxPublishers = map[string]string{
	"8wekyb3d8bbwe": "Microsoft Corporation",
	"cw5n1h2txyewy": "Microsoft Windows",
	"kzf8qxf38zg5c": "Skype Software Sarl",
	"tf1gferkr813w": "AutoDesk",
	"v10z8vjag6ke6": "HP Inc.",
	"wc9r7yyh9sbp8": "Dell Inc",
}

// appxSoftware describes a package from its full name,
// "Name_Version_Arch_ResourceId_PublisherId". Resource packages (with a
// resource id) complement a main package and are left out.
func appxSoftware(full string) (Software, bool) {
	f := strings.Split(full, "_")
	if len(f) != 5 || f[0] == "" || f[3] != "" {
		return Software{}, false
	}
	name := f[0]
	// As GLPI's agent, "Microsoft.WindowsCalculator" reads
	// "Microsoft WindowsCalculator".
	if l := strings.ToLower(name); strings.HasPrefix(l, "microsoft.") || strings.HasPrefix(l, "windows.") {
		name = appxDot.ReplaceAllString(name, "$1 ")
	}
	return Software{
		Name:           name,
		Version:        f[1],
		Arch:           appxArchs[strings.ToLower(f[2])],
		Publisher:      appxPublishers[f[4]],
		From:           "uwp",
		SystemCategory: categoryApplication,
	}, true
}

// winSoftware builds the softwares section: Uninstall entries of both
// registry views and of the loaded user hives, installed updates, and
// packaged (AppX/MSIX) applications. Duplicates (same name, architecture
// and version) are listed once.
func winSoftware(h winHost) ([]Software, error) {
	seen := map[[3]string]bool{}
	names := map[string]bool{}
	var out []Software
	add := func(s Software) {
		k := [3]string{s.Name, s.Arch, s.Version}
		if !seen[k] {
			seen[k], names[s.Name] = true, true
			out = append(out, s)
		}
	}
	is64 := is64BitWindows(h.reg)
	nativeArch := "i586"
	if is64 {
		nativeArch = "x86_64"
	}
	for _, s := range uninstallList(h.reg, hklm, regUninstall, view64) {
		s.Arch = nativeArch
		add(s)
	}
	if is64 {
		for _, s := range uninstallList(h.reg, hklm, regUninstall, view32) {
			s.Arch = "i586"
			add(s)
		}
	}
	profiles := userProfiles(h.reg)
	for _, sid := range loadedUserHives(h.reg) {
		for _, s := range uninstallList(h.reg, hku, sid+`\`+regUninstall, view64) {
			s.UserID, s.UserName = sid, profiles[sid]
			add(s)
		}
	}
	fixes, err := queryWMI[win32QuickFixEngineering](h.wmi, "Win32_QuickFixEngineering", "")
	if err != nil {
		return nil, err
	}
	for _, q := range fixes {
		// Updates their installer listed already are not repeated.
		if s, ok := hotfixSoftware(q, nativeArch); ok && !names[s.Name] {
			add(s)
		}
	}
	for _, full := range regSubKeys(h.reg, hklm, regAppxApps, view64) {
		if s, ok := appxSoftware(full); ok {
			add(s)
		}
	}
	if len(out) == 0 {
		return nil, NoData("no installed software found")
	}
	return out, nil
}
