package collectors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
)

// RemoteMgmt is one entry of the remote_mgmt section: a remote control
// tool and the id it is reached by.
type RemoteMgmt struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// confValue returns the value of key in a "key = value" configuration,
// unquoted (TeamViewer's global.conf prefixes keys with a "[type] " tag),
// or "".
func confValue(conf, key string) string {
	for line := range strings.Lines(conf) {
		line = strings.TrimSpace(line)
		if line != "" && line[0] == '[' {
			if _, rest, ok := strings.Cut(line, "] "); ok {
				line = rest
			}
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// confMatch returns the first submatch of re on a line of text, read as
// GLPI's agent reads a configuration file: line by line, without the line
// ends.
func confMatch(text []byte, re *lazyRegexp) string {
	for line := range strings.Lines(string(text)) {
		if m := re.FindStringSubmatch(strings.TrimRight(line, "\r\n")); m != nil {
			return m[1]
		}
	}
	return ""
}

// Lines of the configuration files that hold the ids.
var (
	anyDeskIDLine    = lazyRE(`^ad.anynet.id=(\S+)`)
	rustDeskIDLine   = lazyRE(`^id\s*=\s*'(.*)'$`)
	simpleHelpIDLine = lazyRE(`^ID=SG(?:_SG)?_(-?\d+)$`)
)

// dwServiceKey returns the key of a DWService agent's config.json, the id
// of the agent while it is stopped; "" when it has none.
func dwServiceKey(conf []byte) (string, error) {
	var c struct {
		Key any `json:"key"`
	}
	if err := json.Unmarshal(conf, &c); err != nil {
		return "", err
	}
	if c.Key == nil {
		return "", nil
	}
	return strings.TrimSpace(fmt.Sprint(c.Key)), nil
}

// shmNumber matches a position or size of the status file: digits.
var shmNumber = lazyRE(`^\d+$`)

// dwServiceName reads the name field of the DWService agent's status file:
// the length of a JSON header (four bytes, big-endian), the header, which
// gives the position and size of each field in the data after it, and the
// data, strings padded with spaces. It returns "" when the file has no
// name.
func dwServiceName(shm []byte) string {
	if len(shm) < 4 {
		return ""
	}
	n := binary.BigEndian.Uint32(shm)
	if uint64(n) > uint64(len(shm)-4) {
		return ""
	}
	d := json.NewDecoder(bytes.NewReader(shm[4 : 4+n]))
	d.UseNumber()
	var fields map[string]map[string]any
	if d.Decode(&fields) != nil {
		return ""
	}
	pos, size := fmt.Sprint(fields["name"]["pos"]), fmt.Sprint(fields["name"]["size"])
	if !shmNumber.MatchString(pos) || !shmNumber.MatchString(size) {
		return ""
	}
	data := shm[4+n:]
	start, end := min(atoi(pos), len(data)), min(atoi(pos)+atoi(size), len(data))
	if start < 0 || end < start {
		return ""
	}
	return strings.Join(strings.Fields(string(data[start:end])), " ")
}

// remoteTool reads one remote control tool of a host, from what H gives
// (an Env on Linux and macOS, the registry and files on Windows): its
// entries, none when it is not installed, and an error only when a source
// exists but cannot be read.
type remoteTool[H any] func(h H) ([]RemoteMgmt, error)

// collectRemoteTools runs tools in order, the order of the section. An
// entry found twice is listed once, one without an id not at all.
func collectRemoteTools[H any](h H, tools []remoteTool[H]) (any, error) {
	var out []RemoteMgmt
	for _, read := range tools {
		found, err := read(h)
		if err != nil {
			return nil, err
		}
		for _, m := range found {
			if m.ID != "" && !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return remoteSection(out)
}

// remoteSection is the remote_mgmt section of the entries found.
func remoteSection(out []RemoteMgmt) (any, error) {
	if len(out) == 0 {
		return nil, NoData("no remote control tool")
	}
	return out, nil
}

// readRemoteFile reads a file of the host; ok is false when it does not
// exist.
func readRemoteFile(env *Env, name string) (b []byte, ok bool, err error) {
	return readIfExists(unixFiles{env}, name)
}

// readIfExists reads a file of files; ok is false when it does not exist.
func readIfExists(files fileSource, name string) (b []byte, ok bool, err error) {
	b, err = files.ReadFile(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return b, true, nil
}

// isDirIfExists reports whether files has the folder name; false without
// an error when nothing is there.
func isDirIfExists(files fileSource, name string) (bool, error) {
	fi, err := files.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	}
	return fi.IsDir(), nil
}

// unixAnyDesk reads the AnyDesk ids in the system.conf of the custom
// clients an organisation builds, /etc/anydesk_ad_<name>, then in that of
// the service, /etc/anydesk, then in the other files given.
func unixAnyDesk(env *Env, others ...string) ([]RemoteMgmt, error) {
	confs := append(env.Glob("/etc/anydesk_ad_*/system.conf"), "/etc/anydesk/system.conf")
	var out []RemoteMgmt
	for _, c := range append(confs, others...) {
		b, _, err := readRemoteFile(env, c)
		if err != nil {
			return nil, err
		}
		if id := confMatch(b, anyDeskIDLine); id != "" {
			out = append(out, RemoteMgmt{Type: "anydesk", ID: id})
		}
	}
	return out, nil
}

// unixRustDesk reads the id of RustDesk in root's configuration, where
// GLPI's agent looks for it on Linux and macOS alike.
func unixRustDesk(env *Env) ([]RemoteMgmt, error) {
	b, _, err := readRemoteFile(env, "/root/.config/rustdesk/RustDesk.toml")
	if id := confMatch(b, rustDeskIDLine); id != "" {
		return []RemoteMgmt{{Type: "rustdesk", ID: id}}, nil
	}
	return nil, err
}

// simpleHelpFile reads the id of the SimpleHelp remote access service,
// "SG_" and a number, in its sgalive file.
func simpleHelpFile(env *Env, name string) ([]RemoteMgmt, error) {
	b, _, err := readRemoteFile(env, name)
	if id := confMatch(b, simpleHelpIDLine); id != "" {
		return []RemoteMgmt{{Type: "simplehelp", ID: "SG_" + id}}, nil
	}
	return nil, err
}

// tacticalRMMFile reads the agent id of the Tactical RMM agent in its
// JSON configuration. GLPI's agent gets its version by running it, which
// this collector does not.
func tacticalRMMFile(env *Env, name string) ([]RemoteMgmt, error) {
	b, ok, err := readRemoteFile(env, name)
	if !ok {
		return nil, err
	}
	var c struct {
		AgentID any `json:"agentid"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		env.Log().Debug("parse tactical rmm configuration", "path", name, "err", err)
		return nil, nil
	}
	if c.AgentID == nil {
		return nil, nil
	}
	return []RemoteMgmt{{Type: "tacticalrmm", ID: strings.TrimSpace(fmt.Sprint(c.AgentID))}}, nil
}

// remoteFiles are a host's files as the remote control tools read them:
// a file that does not exist is not ok, and no error.
type remoteFiles interface {
	isDir(name string) (bool, error)
	read(name string) (b []byte, ok bool, err error)
	join(dir string, elem ...string) string
	sameDir(a, b string) bool
	logger() *slog.Logger
}

// unixFiles are the files of a Linux or macOS host, under its root.
type unixFiles struct{ env *Env }

func (f unixFiles) ReadFile(name string) ([]byte, error)       { return f.env.ReadFile(name) }
func (f unixFiles) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(f.env.Path(name)) }
func (f unixFiles) Stat(name string) (fs.FileInfo, error)      { return os.Stat(f.env.Path(name)) }
func (f unixFiles) isDir(name string) (bool, error)            { return isDirIfExists(f, name) }
func (f unixFiles) read(name string) ([]byte, bool, error)     { return readIfExists(f, name) }
func (unixFiles) join(dir string, elem ...string) string {
	return path.Join(append([]string{dir}, elem...)...)
}
func (unixFiles) sameDir(a, b string) bool { return a == b }
func (f unixFiles) logger() *slog.Logger   { return f.env.Log() }

// dwServiceDirs reads the DWService agent of the first of dirs that is a
// folder holding its config.json. Its id is the name the agent shows,
// read from its shared memory file, or while the agent is stopped the key
// of its configuration.
func dwServiceDirs(f remoteFiles, dirs []string) ([]RemoteMgmt, error) {
	for i, dir := range dirs {
		if dir == "" || slices.ContainsFunc(dirs[:i], func(d string) bool { return f.sameDir(d, dir) }) {
			continue
		}
		if ok, err := f.isDir(dir); !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		name := f.join(dir, "config.json")
		conf, ok, err := f.read(name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		key, err := dwServiceKey(conf)
		if err != nil {
			f.logger().Debug("parse dwservice configuration", "path", name, "err", err)
			return nil, nil
		}
		if key == "" {
			return nil, nil
		}
		shm, _, err := f.read(f.join(dir, "sharedmem", "status_config.shm"))
		if err != nil {
			return nil, err
		}
		return []RemoteMgmt{{Type: "dwservice", ID: cmp.Or(dwServiceName(shm), key)}}, nil
	}
	return nil, nil
}
