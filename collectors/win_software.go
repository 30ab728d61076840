package collectors

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Registry keys of installed software.
const (
	regUninstall   = `SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`
	regUninstall32 = `SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall`
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

// regValueLister is a registry key that lists the names of its values
// ("" is the default value). Both registry sources implement it.
type regValueLister interface {
	ValueNames() ([]string, error)
}

// uninstallListed reports whether an Uninstall subkey is listed. As GLPI's
// agent does, every subkey with more than one value is: updates of another
// entry (ParentKeyName), system components and entries without display
// name included, so that GLPI sees the same list from both agents. A key
// that cannot list its values is listed when it has a display name.
func uninstallListed(k regKey) bool {
	if l, ok := k.(regValueLister); ok {
		if names, err := l.ValueNames(); err == nil {
			return len(names) > 1
		}
	}
	s, _ := k.String("DisplayName")
	return strings.TrimSpace(s) != ""
}

// uninstallEntry reads one Uninstall subkey, named name. Its name is the
// display name, else the subkey name; its guid is always the subkey name
// (a product code for Windows Installer packages, "KB951978" for an update,
// "Git_is1" for an Inno Setup installer).
func uninstallEntry(reg registrySource, hive regHive, base, name string, view regView) (Software, bool) {
	k, err := reg.OpenKey(hive, base+`\`+name, view)
	if err != nil {
		return Software{}, false
	}
	v := regValues{k}
	defer v.close()
	if !uninstallListed(k) {
		return Software{}, false
	}
	s := Software{
		Name:            cmp.Or(strings.TrimSpace(v.str("DisplayName")), name),
		Version:         cutControl(v.str("DisplayVersion")),
		Publisher:       strings.TrimSpace(v.str("Publisher")),
		Comments:        v.str("Comments"),
		HelpLink:        v.str("HelpLink"),
		URLInfoAbout:    v.str("URLInfoAbout"),
		UninstallString: v.str("UninstallString"),
		Folder:          v.str("InstallLocation"),
		ReleaseType:     v.str("ReleaseType"),
		InstallDate:     regDate(v.str("InstallDate")),
		VersionMajor:    regNumber(v, "MajorVersion"),
		VersionMinor:    regNumber(v, "MinorVersion"),
		From:            "registry",
		GUID:            name,
		SystemCategory:  categoryApplication,
	}
	if n, ok := v.num("SystemComponent"); ok && n != 0 {
		s.SystemCategory = categorySystemComponent
	}
	if n, ok := v.num("NoRemove"); ok && n != 0 {
		s.NoRemove = true
	}
	if kb, ok := v.num("EstimatedSize"); ok {
		s.Filesize = int64(kb) * 1024
	}
	return s, true
}

// regNumber reads a number written as a DWORD or as a string, in decimal.
func regNumber(v regValues, name string) string {
	if n, ok := v.num(name); ok {
		return strconv.FormatUint(n, 10)
	}
	return strings.TrimSpace(v.str(name))
}

// cutControl drops what follows a control character: some installers write
// garbage after a NUL in DisplayVersion.
func cutControl(s string) string {
	if i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 }); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// uninstallList reads all entries of an Uninstall key; a missing key has
// none.
func uninstallList(reg registrySource, hive regHive, base string, view regView) ([]Software, error) {
	k, err := reg.OpenKey(hive, base, view)
	if errors.Is(err, errKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read registry %s: %w", base, err)
	}
	names, err := k.SubKeys()
	k.Close()
	if err != nil {
		return nil, fmt.Errorf("read registry %s: %w", base, err)
	}
	var out []Software
	for _, name := range names {
		if s, ok := uninstallEntry(reg, hive, base, name, view); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// regSQLServer is the key of the SQL Server instances.
const regSQLServer = `SOFTWARE\Microsoft\Microsoft SQL Server`

// sqlServerName completes the name of a SQL Server entry with the edition
// of the instance of the same version, as GLPI's agent does: "Microsoft SQL
// Server 2005" becomes "Microsoft SQL Server 2005 Standard Edition", "SQL
// Server 2012 Database Engine Services" becomes "SQL Server 2012 Express
// Edition Database Engine Services".
func sqlServerName(reg registrySource, name, version string) string {
	const engine = " Database Engine Services"
	switch {
	case version == "":
		return name
	case strings.HasPrefix(name, "SQL Server") && strings.Contains(name, engine):
		i := strings.LastIndex(name, engine)
		if ed := sqlServerEdition(reg, version); ed != "" {
			return name[:i] + " " + ed + name[i:]
		}
	case sqlServer200x.MatchString(name):
		if ed := sqlServerEdition(reg, version); ed != "" {
			return name + " " + ed
		}
	}
	return name
}

var sqlServer200x = lazyRE(`^Microsoft SQL Server 200[0-9]$`)

// sqlServerEdition is the edition of the SQL Server instance of the given
// version, "" when none is.
func sqlServerEdition(reg registrySource, version string) string {
	k, err := reg.OpenKey(hklm, regSQLServer+`\Instance Names\SQL`, view64)
	if err != nil {
		return ""
	}
	defer k.Close()
	l, ok := k.(regValueLister)
	if !ok {
		return ""
	}
	names, _ := l.ValueNames()
	for _, n := range names {
		id, _ := k.String(n)
		if id == "" {
			continue
		}
		v := openValues(reg, hklm, regSQLServer+`\`+id+`\Setup`, view64)
		ver, ed := v.str("Version"), v.str("Edition")
		v.close()
		if ver == version && ed != "" {
			return ed
		}
	}
	return ""
}

// internetExplorer describes Internet Explorer, which has no Uninstall
// entry, from the version of its key; false when it is not installed.
func internetExplorer(reg registrySource, view regView, name, arch string) (Software, bool) {
	v := openValues(reg, hklm, `SOFTWARE\Microsoft\Internet Explorer`, view)
	defer v.close()
	version := cmp.Or(v.str("svcVersion"), v.str("Version"))
	if version == "" {
		return Software{}, false
	}
	return Software{
		Name:      name,
		Version:   version,
		Publisher: "Microsoft Corporation",
		From:      "registry",
		Arch:      arch,
	}, true
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
	kbID    = lazyRE(`(?i)KB\d{4,10}`)
	appxDot = lazyRE(`([^0-9])\.`)
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

// uninstallView is one view of the registry for software: its
// architecture, the name of Internet Explorer in it, and the Uninstall key
// of user hives in it, which Windows does not redirect.
type uninstallView struct {
	view     regView
	arch, ie string
	userKey  string
}

// winSoftware builds the softwares section in the order of GLPI's agent:
// the Uninstall entries and Internet Explorer of the native registry view,
// then those of the loaded user hives, the same for the 32-bit view of a
// 64-bit Windows, then installed updates and packaged (AppX/MSIX)
// applications. Duplicates (same name, architecture and version) are
// listed once. The machine's Uninstall keys are the section: failing to
// read them fails it; the user hives and the updates WMI lists are
// optional.
func winSoftware(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
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
	profiles := userProfiles(h.reg)
	hives := loadedUserHives(h.reg)
	views := []uninstallView{{view64, nativeArch, "Internet Explorer", regUninstall}}
	if is64 {
		views = []uninstallView{
			{view64, nativeArch, "Internet Explorer (64bit)", regUninstall},
			{view32, "i586", "Internet Explorer", regUninstall32},
		}
	}
	users := openUserSoftware(env, profiles, hives, len(views))
	for vi, v := range views {
		list, err := uninstallList(h.reg, hklm, regUninstall, v.view)
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			s.Arch = v.arch
			s.Name = sqlServerName(h.reg, s.Name, s.Version)
			add(s)
		}
		if s, ok := internetExplorer(h.reg, v.view, v.ie, v.arch); ok {
			add(s)
		}
		for _, sid := range hives {
			user := profiles[sid]
			if user == "" {
				continue // as GLPI's agent, users without profile are left out
			}
			list, err := uninstallList(h.reg, hku, sid+`\`+v.userKey, view64)
			if err != nil {
				users.fail(sid)
				continue
			}
			for i := range list {
				list[i].Arch, list[i].UserID, list[i].UserName = v.arch, sidRID(sid), user
				add(list[i])
			}
			users.read(sid, vi, list)
		}
		for _, s := range users.cached(vi) {
			add(s)
		}
	}
	users.save()
	// A failed query only loses the updates that have no Uninstall entry.
	fixes, _ := queryWMI[win32QuickFixEngineering](h.wmi, "Win32_QuickFixEngineering", "")
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

// sidRID is the relative identifier of a SID, its last part, which GLPI's
// agent sends as the user id of a user's software.
func sidRID(sid string) string {
	return sid[strings.LastIndexByte(sid, '-')+1:]
}
