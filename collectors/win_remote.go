package collectors

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// winRemoteMgmt lists the remote control tools of a Windows host and the
// ids they are reached by, with the types and ids GLPI's agent reports, so
// that GLPI keeps the entries of machines moved from it. The tools GLPI's
// agent asks by running them (RuDesktop's id, Tactical RMM's version) are
// left out; an entry found twice is listed once.
func winRemoteMgmt(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	r, err := openRemoteHost(h, env.Log())
	if err != nil {
		return nil, err
	}
	return collectRemoteTools(r, winRemoteTools)
}

// winRemoteTools read one remote control tool each, in the order of the
// section: its entries, none when it is not installed, and an error only
// when a source fails for another reason than a missing key or file.
var winRemoteTools = []remoteTool[remoteHost]{
	anyDeskRemote,
	dwServiceRemote,
	liteManagerRemote,
	meshCentralRemote,
	rmsRemote,
	rustDeskRemote,
	simpleHelpRemote,
	supRemoRemote,
	tacticalRMMRemote,
	teamViewerRemote,
}

// Registry keys of the folders Windows keeps its programs and data in.
const (
	regWindowsNT      = `SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	regWindowsCurrent = `SOFTWARE\Microsoft\Windows\CurrentVersion`
)

// remoteHost is what the remote control tools are read from: the registry
// and the files of the host, and where its folders are.
type remoteHost struct {
	reg   registrySource
	files fileSource
	log   *slog.Logger

	systemRoot   string   // C:\Windows
	programData  string   // C:\ProgramData
	programFiles []string // C:\Program Files, C:\Program Files (x86)
}

// openRemoteHost finds the folders of the host in its registry, as the
// environment of a program of the host has them; a folder the registry
// does not name is the default one.
func openRemoteHost(h winHost, log *slog.Logger) (remoteHost, error) {
	r := remoteHost{reg: h.reg, files: h.files, log: log}
	nt, err := r.values(regWindowsNT, view64, "SystemRoot")
	if err != nil {
		return r, err
	}
	r.systemRoot = cmp.Or(nt["SystemRoot"], `C:\Windows`)
	drive := "C:"
	if len(r.systemRoot) >= 2 && r.systemRoot[1] == ':' {
		drive = r.systemRoot[:2]
	}
	vars := map[string]string{"systemdrive": drive, "systemroot": r.systemRoot, "windir": r.systemRoot}
	profiles, err := r.values(regProfileList, view64, "ProgramData")
	if err != nil {
		return r, err
	}
	r.programData = cmp.Or(expandWinVars(profiles["ProgramData"], vars), drive+`\ProgramData`)
	// The order of %ProgramFiles%, %ProgramFiles(x86)% and %ProgramW6432%.
	names := []string{"ProgramFilesDir", "ProgramFilesDir (x86)", "ProgramW6432Dir"}
	dirs, err := r.values(regWindowsCurrent, view64, names...)
	if err != nil {
		return r, err
	}
	for _, name := range names {
		if d := expandWinVars(dirs[name], vars); d != "" {
			r.programFiles = append(r.programFiles, d)
		}
	}
	r.programFiles = append(r.programFiles, drive+`\Program Files`, drive+`\Program Files (x86)`)
	return r, nil
}

// winVar matches a variable of a REG_EXPAND_SZ value: %SystemDrive%.
var winVar = lazyRE(`%([^%]+)%`)

// expandWinVars expands the variables of s found in vars, by lower-case
// name; others are kept as they are.
func expandWinVars(s string, vars map[string]string) string {
	return strings.TrimSpace(winVar.ReplaceAllStringFunc(s, func(v string) string {
		if x, ok := vars[strings.ToLower(v[1:len(v)-1])]; ok {
			return x
		}
		return v
	}))
}

// key opens a key of HKEY_LOCAL_MACHINE; ok is false when it does not
// exist.
func (r remoteHost) key(path string, view regView) (k regKey, ok bool, err error) {
	k, err = r.reg.OpenKey(hklm, path, view)
	switch {
	case errors.Is(err, errKeyNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("read registry %s: %w", path, err)
	}
	return k, true, nil
}

// values reads string values of a key, by name; a missing key or value
// reads as "".
func (r remoteHost) values(path string, view regView, names ...string) (map[string]string, error) {
	k, ok, err := r.key(path, view)
	if !ok {
		return nil, err
	}
	defer k.Close()
	out := make(map[string]string, len(names))
	for _, name := range names {
		s, _ := k.String(name)
		out[name] = strings.TrimSpace(strings.TrimRight(s, "\x00"))
	}
	return out, nil
}

// value reads one string value of a key in the 64-bit view, as GLPI's
// agent reads the registry; "" when the key or the value is missing.
func (r remoteHost) value(path, name string) (string, error) {
	v, err := r.values(path, view64, name)
	return v[name], err
}

func (r remoteHost) read(name string) ([]byte, bool, error) { return readIfExists(r.files, name) }
func (r remoteHost) isDir(name string) (bool, error)        { return isDirIfExists(r.files, name) }
func (remoteHost) join(dir string, elem ...string) string   { return winJoin(dir, elem...) }
func (remoteHost) sameDir(a, b string) bool                 { return strings.EqualFold(a, b) }
func (r remoteHost) logger() *slog.Logger                   { return r.log }

// winJoin joins the elements of a Windows path.
func winJoin(dir string, elem ...string) string {
	return strings.Join(append([]string{strings.TrimRight(dir, `\/`)}, elem...), `\`)
}

// anyDeskRemote reads the id of AnyDesk in the system.conf of its service,
// in %ProgramData%\AnyDesk, and in those of the custom clients an
// organisation builds, in %ProgramData%\AnyDesk\ad_<name>.
func anyDeskRemote(r remoteHost) ([]RemoteMgmt, error) {
	dir := winJoin(r.programData, "AnyDesk")
	entries, err := r.files.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var confs []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(strings.ToLower(e.Name()), "ad_") {
			confs = append(confs, winJoin(dir, e.Name(), "system.conf"))
		}
	}
	confs = append(confs, winJoin(dir, "system.conf"))
	var out []RemoteMgmt
	for _, c := range confs {
		b, _, err := r.read(c)
		if err != nil {
			return nil, err
		}
		if id := confMatch(b, anyDeskIDLine); id != "" {
			out = append(out, RemoteMgmt{Type: "anydesk", ID: id})
		}
	}
	return out, nil
}

// rustDeskRemote reads the id of the RustDesk service, which runs as Local
// Service and keeps its configuration in that account's profile.
func rustDeskRemote(r remoteHost) ([]RemoteMgmt, error) {
	name := winJoin(r.systemRoot, `ServiceProfiles\LocalService\AppData\Roaming\RustDesk\config\RustDesk.toml`)
	b, _, err := r.read(name)
	if id := confMatch(b, rustDeskIDLine); id != "" {
		return []RemoteMgmt{{Type: "rustdesk", ID: id}}, nil
	}
	return nil, err
}

// simpleHelpRemote reads the id of the SimpleHelp remote access service,
// "SG_" and a number.
func simpleHelpRemote(r remoteHost) ([]RemoteMgmt, error) {
	name := winJoin(r.programData, `JWrapper-Remote Access\JWAppsSharedConfig\sgalive`)
	b, _, err := r.read(name)
	if id := confMatch(b, simpleHelpIDLine); id != "" {
		return []RemoteMgmt{{Type: "simplehelp", ID: "SG_" + id}}, nil
	}
	return nil, err
}

// regClientID reads an id written as a DWORD, in decimal, or as a string,
// taken as it is unless it is hexadecimal with 0x; "" when it is absent or
// zero.
func regClientID(k regKey, name string) string {
	if n, ok := k.Integer(name); ok {
		if n == 0 {
			return ""
		}
		return strconv.FormatUint(n, 10)
	}
	s, _ := k.String(name)
	s = strings.TrimSpace(strings.TrimRight(s, "\x00"))
	if x, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		if n, err := strconv.ParseUint(x, 16, 64); err == nil {
			s = strconv.FormatUint(n, 10)
		}
	}
	if s == "0" {
		return ""
	}
	return s
}

// versionKey matches the subkeys older releases of TeamViewer and SupRemo
// keep their settings in: Version9.
var versionKey = lazyRE(`^Version(\d+)$`)

// clientID reads the ClientID of HKLM\<path>, in the 64-bit view then in
// the 32-bit one. Without one, it reads the ClientID of the VersionN
// subkeys of older releases, the newest first, in the first view that has
// the key.
func (r remoteHost) clientID(path string) (string, error) {
	views := []regView{view64, view32}
	for _, view := range views {
		k, ok, err := r.key(path, view)
		if err != nil {
			return "", err
		}
		if ok {
			id := regClientID(k, "ClientID")
			k.Close()
			if id != "" {
				return id, nil
			}
		}
	}
	for _, view := range views {
		k, ok, err := r.key(path, view)
		if err != nil {
			return "", err
		}
		if !ok {
			continue
		}
		names, err := k.SubKeys()
		k.Close()
		if err != nil {
			return "", fmt.Errorf("read registry %s: %w", path, err)
		}
		var versions []string
		for _, n := range names {
			if versionKey.MatchString(n) {
				versions = append(versions, n)
			}
		}
		slices.SortFunc(versions, func(a, b string) int {
			return atoi(versionKey.FindStringSubmatch(b)[1]) - atoi(versionKey.FindStringSubmatch(a)[1])
		})
		for _, n := range versions {
			sk, ok, err := r.key(path+`\`+n, view)
			if err != nil {
				return "", err
			}
			if !ok {
				continue
			}
			id := regClientID(sk, "ClientID")
			sk.Close()
			if id != "" {
				return id, nil
			}
		}
		return "", nil
	}
	return "", nil
}

// teamViewerRemote reads the TeamViewer id from the registry.
func teamViewerRemote(r remoteHost) ([]RemoteMgmt, error) {
	id, err := r.clientID(`SOFTWARE\TeamViewer`)
	if id == "" {
		return nil, err
	}
	return []RemoteMgmt{{Type: "teamviewer", ID: id}}, nil
}

// supRemoRemote reads the SupRemo id from the registry, a number written
// with nine digits at least.
func supRemoRemote(r remoteHost) ([]RemoteMgmt, error) {
	id, err := r.clientID(`SOFTWARE\Supremo`)
	n, perr := strconv.ParseUint(id, 10, 64)
	if err != nil || perr != nil {
		return nil, err
	}
	return []RemoteMgmt{{Type: "supremo", ID: fmt.Sprintf("%09d", n)}}, nil
}

// meshCentralRemote reads the node id of the MeshCentral agent.
func meshCentralRemote(r remoteHost) ([]RemoteMgmt, error) {
	id, err := r.value(`SOFTWARE\Open Source\Mesh Agent`, "NodeId")
	if id == "" {
		return nil, err
	}
	return []RemoteMgmt{{Type: "meshcentral", ID: id}}, nil
}

// tacticalRMMRemote reads the agent id of the Tactical RMM agent. GLPI's
// agent gets its version by running it, which this collector does not.
func tacticalRMMRemote(r remoteHost) ([]RemoteMgmt, error) {
	id, err := r.value(`SOFTWARE\TacticalRMM`, "AgentId")
	if id == "" {
		return nil, err
	}
	return []RemoteMgmt{{Type: "tacticalrmm", ID: id}}, nil
}

// liteManagerRemote reads the id of the LiteManager server, kept in
// <root>\<release>\Server\Parameters under SYSTEM or SOFTWARE: the first
// release, in name order, that has one.
func liteManagerRemote(r remoteHost) ([]RemoteMgmt, error) {
	for _, root := range []string{`SYSTEM\LiteManager`, `SOFTWARE\LiteManager`} {
		k, ok, err := r.key(root, view64)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		names, err := k.SubKeys()
		k.Close()
		if err != nil {
			return nil, fmt.Errorf("read registry %s: %w", root, err)
		}
		slices.Sort(names)
		for _, n := range names {
			id, err := r.value(root+`\`+n+`\Server\Parameters`, "ID (read only)")
			if err != nil {
				return nil, err
			}
			if id != "" {
				return []RemoteMgmt{{Type: "litemanager", ID: id}}, nil
			}
		}
	}
	return nil, nil
}

// rmsRemote reads the Internet-ID of the Remote Utilities host, from the
// XML document of its settings the registry holds.
func rmsRemote(r remoteHost) ([]RemoteMgmt, error) {
	const path = `SOFTWARE\Usoris\Remote Utilities Host\Host\Parameters`
	k, ok, err := r.key(path, view64)
	if !ok {
		return nil, err
	}
	defer k.Close()
	doc, ok := k.Binary("InternetId")
	if !ok {
		s, _ := k.String("InternetId")
		doc = []byte(s)
	}
	if id := rmsInternetID(doc); id != "" {
		return []RemoteMgmt{{Type: "rms", ID: id}}, nil
	}
	return nil, nil
}

// rmsInternetID returns the internet_id of an rms_internet_id_settings
// document, in UTF-8 or UTF-16LE; "" when doc is not one.
func rmsInternetID(doc []byte) string {
	text := string(doc)
	if len(doc) >= 2 && len(doc)%2 == 0 && (doc[1] == 0 || bytes.HasPrefix(doc, []byte{0xFF, 0xFE})) {
		u := make([]uint16, len(doc)/2)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(doc[2*i:])
		}
		text = string(utf16.Decode(u))
	}
	text = strings.TrimLeft(strings.TrimRight(text, "\x00"), "\uFEFF")
	var v struct {
		XMLName    xml.Name
		InternetID string `xml:"internet_id"`
	}
	d := xml.NewDecoder(strings.NewReader(text))
	// The text is decoded already, whatever the declaration says.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if d.Decode(&v) != nil || v.XMLName.Local != "rms_internet_id_settings" {
		return ""
	}
	return strings.TrimSpace(v.InternetID)
}

// dwServiceRemote reads the DWService agent of the first installation
// folder that has its config.json: the folder its uninstall entry names,
// else DWAgent in a Program Files folder. Its id is the name the agent
// shows, read from its shared memory file, or while the agent is stopped
// the key of its configuration.
func dwServiceRemote(r remoteHost) ([]RemoteMgmt, error) {
	var dirs []string
	for _, view := range []regView{view64, view32} {
		v, err := r.values(regUninstall+`\DWAgent`, view, "InstallLocation")
		if err != nil {
			return nil, err
		}
		if d := strings.TrimRight(v["InstallLocation"], `\/`); d != "" {
			dirs = append(dirs, d)
		}
	}
	for _, pf := range r.programFiles {
		dirs = append(dirs, winJoin(pf, "DWAgent"))
	}
	return dwServiceDirs(r, dirs)
}
