package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// The Windows collectors read the host through two narrow seams, WMI and the
// registry, so that their logic compiles and is tested on every OS against
// fixture machines (win_fixture_test.go) and runs on Windows against the
// live sources (win_source_windows.go). collectors_windows.go registers
// them, so that other platforms' binaries do not carry them.

// wmiSource runs WQL queries.
type wmiSource interface {
	// Query fills dst, a pointer to a slice of structs whose field names are
	// WMI property names, with the instances of class matching where (WQL
	// without the WHERE keyword; "" for all). class is a class of
	// root\CIMV2 ("Win32_BIOS") or a class path "namespace:class"
	// (`root\SecurityCenter2:AntiVirusProduct`).
	Query(class, where string, dst any) error
}

// registrySource opens registry keys.
type registrySource interface {
	// OpenKey opens path under hive in the given view. It returns an error
	// wrapping errKeyNotFound when the key does not exist.
	OpenKey(hive regHive, path string, view regView) (regKey, error)
}

// regKey is an open registry key. Value getters return false when the value
// is absent or of another type.
type regKey interface {
	// SubKeys lists the names of the key's subkeys.
	SubKeys() ([]string, error)
	// String reads a REG_SZ or REG_EXPAND_SZ value, unexpanded.
	String(name string) (string, bool)
	// Strings reads a REG_MULTI_SZ value.
	Strings(name string) ([]string, bool)
	// Integer reads a REG_DWORD or REG_QWORD value.
	Integer(name string) (uint64, bool)
	// Binary reads a REG_BINARY value.
	Binary(name string) ([]byte, bool)
	// Close releases the key.
	Close() error
}

// regHive is a registry root key.
type regHive int

// Registry roots the collectors read.
const (
	hklm regHive = iota // HKEY_LOCAL_MACHINE
	hku                 // HKEY_USERS
)

// regView selects the 64-bit or the 32-bit (WOW64) view of the registry.
type regView int

// Registry views.
const (
	view64 regView = iota
	view32
)

// errKeyNotFound reports a registry key that does not exist.
var errKeyNotFound = errors.New("registry key not found")

// errWMINoNamespace reports a WMI namespace that does not exist on the
// host: the feature whose provider would install it is not there.
var errWMINoNamespace = errors.New("WMI namespace not found")

// errWMINoClass reports a WMI class that does not exist on the host: an
// older Windows, or a provider not installed.
var errWMINoClass = errors.New("WMI class not found")

// fileSource reads the machine's files by their Windows paths
// (`C:\ProgramData\AnyDesk\system.conf`), as package os does: errors
// wrap fs.ErrNotExist when there is no such file.
type fileSource interface {
	ReadFile(path string) ([]byte, error)
	ReadDir(path string) ([]fs.DirEntry, error)
	Stat(path string) (fs.FileInfo, error)
}

// noFiles is a machine whose files cannot be read: none exists.
type noFiles struct{}

func (noFiles) ReadFile(path string) ([]byte, error) { return nil, noFile("open", path) }
func (noFiles) ReadDir(path string) ([]fs.DirEntry, error) {
	return nil, noFile("open", path)
}
func (noFiles) Stat(path string) (fs.FileInfo, error) { return nil, noFile("stat", path) }

func noFile(op, path string) error { return &fs.PathError{Op: op, Path: path, Err: fs.ErrNotExist} }

// smbiosSource reads the machine's raw SMBIOS structure table, as
// dmidecode reads it. An error wraps fs.ErrNotExist when the machine has
// none.
type smbiosSource interface {
	SMBIOS() ([]byte, error)
}

// processOwners tells which account a process runs as.
type processOwners interface {
	// Owner returns the user of the access token of process pid; false
	// when the process cannot be opened (it exited, it is protected, or
	// access is denied) or its account cannot be named.
	Owner(pid uint32) (winAccount, bool)
}

// winAccount is a Windows account as LookupAccountSid names it.
type winAccount struct {
	Domain, Name string
	SID          string // "" when unknown
}

// winHost is the Windows machine the collectors read.
type winHost struct {
	wmi wmiSource
	reg registrySource
	// owners is nil when process owners are unknown.
	owners processOwners
	files  fileSource
	// smbios is nil when the firmware tables cannot be read.
	smbios smbiosSource
	// ctx carries the collector's deadline, which its optional lookups
	// stay within; nil means no deadline.
	ctx context.Context
}

// windows returns the Windows host of env's run, for the collector running
// with ctx. Its sources are opened by the first collector of the run that
// needs them; sources that cannot be opened fail every collector of the run.
func (e *Env) windows(ctx context.Context) (winHost, error) {
	h, err := shared(e, "windows", func() (winHost, error) {
		if e.open == nil {
			return openWindows(e)
		}
		v, err := e.open(e, "windows")
		h, ok := v.(winHost)
		if err == nil && !ok {
			err = fmt.Errorf("open gave a %T, not a Windows host", v)
		}
		return h, err
	})
	if err != nil {
		return winHost{}, fmt.Errorf("open windows sources: %w", err)
	}
	h.ctx = ctx
	if h.files == nil {
		h.files = noFiles{}
	}
	return h, nil
}

// context returns the context of the collector run.
func (h winHost) context() context.Context {
	if h.ctx == nil {
		return context.Background()
	}
	return h.ctx
}

// optionalBudget bounds the optional lookups of a collector (group members,
// process owners) to three quarters of the time left before its deadline,
// so that the section is still returned, without them, before the runner
// gives up on the collector.
func optionalBudget(ctx context.Context) (context.Context, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, time.Now().Add(time.Until(d)*3/4))
}

// regValues reads the values of one key at once; a missing key yields
// nothing.
type regValues struct{ k regKey }

// openValues opens path for reading values; the result is empty when the
// key is missing. Callers close it.
func openValues(reg registrySource, hive regHive, path string, view regView) regValues {
	k, err := reg.OpenKey(hive, path, view)
	if err != nil {
		return regValues{}
	}
	return regValues{k}
}

func (v regValues) str(name string) string {
	if v.k == nil {
		return ""
	}
	s, _ := v.k.String(name)
	return strings.TrimRight(s, "\x00")
}

func (v regValues) num(name string) (uint64, bool) {
	if v.k == nil {
		return 0, false
	}
	return v.k.Integer(name)
}

func (v regValues) bin(name string) []byte {
	if v.k == nil {
		return nil
	}
	b, _ := v.k.Binary(name)
	return b
}

func (v regValues) ok() bool { return v.k != nil }

func (v regValues) close() {
	if v.k != nil {
		v.k.Close()
	}
}

// regSubKeys lists the subkeys of path, none when it is missing.
func regSubKeys(reg registrySource, hive regHive, path string, view regView) []string {
	k, err := reg.OpenKey(hive, path, view)
	if err != nil {
		return nil
	}
	defer k.Close()
	names, _ := k.SubKeys()
	return names
}

// regString reads one string value, "" when absent.
func regString(reg registrySource, hive regHive, path, name string) string {
	v := openValues(reg, hive, path, view64)
	defer v.close()
	return v.str(name)
}

// queryWMI runs a query into a fresh slice of T.
func queryWMI[T any](w wmiSource, class, where string) ([]T, error) {
	var out []T
	if err := w.Query(class, where, &out); err != nil {
		return nil, fmt.Errorf("query %s: %w", class, err)
	}
	return out, nil
}

// queryWMIContext is queryWMI abandoned when ctx is done. A WMI call cannot
// be cancelled: an abandoned one finishes in the background and its result
// is dropped.
func queryWMIContext[T any](ctx context.Context, w wmiSource, class, where string) ([]T, error) {
	type result struct {
		v   []T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := queryWMI[T](w, class, where)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("query %s: %w", class, context.Cause(ctx))
	}
}

// wmiObjectPath is a parsed WMI instance path.
type wmiObjectPath struct {
	Class string
	Keys  map[string]string // by lower-case key name
}

// parseWMIObjectPath parses an instance path as WMI writes references:
// `\\PC\root\cimv2:Win32_Group.Domain="PC",Name="Administrators"`. The
// server and namespace are optional; key values are quoted with " or ',
// with backslash escapes inside, or bare (numbers). A singleton path
// (`Class=@`) has no keys.
func parseWMIObjectPath(s string) (wmiObjectPath, bool) {
	// The namespace ends at the last colon before the first quoted value.
	head := s
	if i := strings.IndexAny(s, `"'`); i >= 0 {
		head = s[:i]
	}
	if i := strings.LastIndexByte(head, ':'); i >= 0 {
		s = s[i+1:]
	}
	i := strings.IndexAny(s, ".=")
	if i <= 0 {
		return wmiObjectPath{}, false
	}
	p := wmiObjectPath{Class: s[:i], Keys: map[string]string{}}
	if s[i] == '=' {
		return p, s[i+1:] == "@"
	}
	rest := s[i+1:]
	for {
		name, after, ok := strings.Cut(rest, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, `"',`) {
			return wmiObjectPath{}, false
		}
		var val string
		if after != "" && (after[0] == '"' || after[0] == '\'') {
			v, tail, ok := unquoteEscaped(after)
			if !ok {
				return wmiObjectPath{}, false
			}
			val, after = v, tail
		} else {
			j := strings.IndexByte(after, ',')
			if j < 0 {
				j = len(after)
			}
			val, after = after[:j], after[j:]
		}
		p.Keys[strings.ToLower(name)] = val
		if after == "" {
			return p, true
		}
		if after[0] != ',' || len(after) == 1 {
			return wmiObjectPath{}, false
		}
		rest = after[1:]
	}
}

// unquoteEscaped reads the string quoted by the first byte of s, ' or ",
// where a backslash escapes the next byte, and returns it and what follows
// the closing quote.
func unquoteEscaped(s string) (string, string, bool) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == q:
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// sameInstance reports whether two object paths name the same instance,
// as WMI compares references: class and key names regardless of case,
// server and namespace ignored.
func (p wmiObjectPath) sameInstance(o wmiObjectPath) bool {
	if !strings.EqualFold(p.Class, o.Class) || len(p.Keys) != len(o.Keys) {
		return false
	}
	for k, v := range p.Keys {
		ov, ok := o.Keys[k]
		if !ok || !strings.EqualFold(v, ov) {
			return false
		}
	}
	return true
}

// wmiInstancePath formats the relative path of an instance with string
// keys, given as name, value pairs: Win32_Group.Domain='PC',Name='Users'.
func wmiInstancePath(class string, keys ...string) string {
	var b strings.Builder
	b.WriteString(class)
	for i := 0; i+1 < len(keys); i += 2 {
		if i == 0 {
			b.WriteByte('.')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(keys[i] + "=" + quoteEscaped(keys[i+1], '\''))
	}
	return b.String()
}

// quoteEscaped quotes s with q, escaping q and backslashes with a
// backslash, as both WQL string literals and object path keys do.
func quoteEscaped(s string, q byte) string {
	var b strings.Builder
	b.WriteByte(q)
	for i := range len(s) {
		if s[i] == q || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte(q)
	return b.String()
}

// parseCIMDateTime parses a CIM_DATETIME ("20230915083012.500000+120": local
// time and its offset from UTC in minutes). Fields WMI leaves unknown are
// asterisks; a date without time of day still parses.
func parseCIMDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 8 {
		return time.Time{}, false
	}
	layout, value := "20060102", s[:8]
	if len(s) >= 14 && !strings.Contains(s[8:14], "*") {
		layout, value = "20060102150405", s[:14]
	}
	loc := time.UTC
	if len(s) == 25 && (s[21] == '+' || s[21] == '-') {
		if m := atoi(s[22:]); s[22:] != "***" {
			if s[21] == '-' {
				m = -m
			}
			loc = time.FixedZone("", m*60)
		}
	}
	t, err := time.ParseInLocation(layout, value, loc)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// cimDate formats a CIM_DATETIME as the schema's date, "" when unparsable.
func cimDate(s string) string {
	t, ok := parseCIMDateTime(s)
	if !ok {
		return ""
	}
	return t.Format(dateLayout)
}

// cimDateTime formats a CIM_DATETIME as the schema's datetime in its own
// local time, "" when unparsable.
func cimDateTime(s string) string {
	t, ok := parseCIMDateTime(s)
	if !ok {
		return ""
	}
	return t.Format(dateTimeLayout)
}

// regDate converts an Uninstall InstallDate ("20230915") to the schema's
// date. Installers also write "2023915", "9/15/2023" and "15.09.2023";
// ambiguous or malformed dates are dropped.
func regDate(s string) string {
	s = strings.TrimSpace(s)
	try := func(layouts ...string) string {
		for _, l := range layouts {
			if t, err := time.Parse(l, s); err == nil && t.Year() >= 1990 {
				return t.Format(dateLayout)
			}
		}
		return ""
	}
	switch {
	case len(s) == 8 && strings.Trim(s, "0123456789") == "":
		return try("20060102")
	case len(s) == 7 && strings.Trim(s, "0123456789") == "":
		// One-digit month, as some installers write it: YYYYMDD.
		s = s[:4] + "0" + s[4:]
		return try("20060102")
	case strings.Contains(s, "/"):
		return try("1/2/2006")
	case strings.Contains(s, "."):
		return try("2.1.2006")
	case strings.Contains(s, "-"):
		return try(dateLayout)
	}
	return ""
}

// unixDateTime formats seconds since the epoch as the schema's datetime in
// UTC, "" for zero.
func unixDateTime(sec uint64) string {
	if sec == 0 {
		return ""
	}
	return time.Unix(int64(sec), 0).UTC().Format(dateTimeLayout)
}
