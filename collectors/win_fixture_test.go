package collectors

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
)

// Fixture sources: a Windows machine described by files, to run the Windows
// collectors anywhere. A case directory holds registry.reg, a regedit
// export, wmi/<Class>.json, the instances of each class as JSON arrays
// of objects with WMI's property names, and process_owners.json, the
// accounts processes run as by PID: {"4": {"Domain": "NT AUTHORITY",
// "Name": "SYSTEM", "SID": "S-1-5-18"}}, a PID absent from it being a
// process that cannot be opened.

// winEnv returns an Env whose Windows machine is h, for one run.
func winEnv(h winHost) *Env {
	return (&Env{open: openFixture("windows", h)}).forRun()
}

// collectWin runs the Windows collector f on the machine h, within h's
// context if it has one, and returns its section as a T.
func collectWin[T any](t testing.TB, f Func, h winHost) (T, error) {
	t.Helper()
	ctx := h.ctx
	if ctx == nil {
		ctx = t.Context()
	}
	v, err := f(ctx, winEnv(h))
	got, ok := v.(T)
	if !ok && v != nil {
		t.Fatalf("collector returned a %T, want a %T", v, got)
	}
	return got, err
}

// openFixture is an Env's open for a fixture machine: it opens v as the
// source named source, and no other.
func openFixture(source string, v any) func(*Env, string) (any, error) {
	return func(_ *Env, name string) (any, error) {
		if name != source {
			return nil, fmt.Errorf("fixture of %s: no %s source", source, name)
		}
		return v, nil
	}
}

// winFixture loads the fixture machine in dir.
func winFixture(dir string) (winHost, error) {
	reg := &regFile{}
	b, err := os.ReadFile(filepath.Join(dir, "registry.reg"))
	switch {
	case err == nil:
		if reg, err = parseRegFile(b); err != nil {
			return winHost{}, fmt.Errorf("load %s: %w", dir, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return winHost{}, err
	}
	h := winHost{wmi: wmiFixture{dir: filepath.Join(dir, "wmi")}, reg: reg, files: fileFixture{dir: filepath.Join(dir, "files")},
		smbios: smbiosFixture(filepath.Join(dir, "smbios.bin"))}
	b, err = os.ReadFile(filepath.Join(dir, "process_owners.json"))
	switch {
	case err == nil:
		var owners ownerFixture
		if err := json.Unmarshal(b, &owners); err != nil {
			return winHost{}, fmt.Errorf("load %s: parse process_owners.json: %w", dir, err)
		}
		h.owners = owners
	case !errors.Is(err, fs.ErrNotExist):
		return winHost{}, err
	}
	return h, nil
}

// fileFixture holds a machine's files under files/, a drive's as its
// letter's directory: `C:\Users\bob\.wslconfig` is files/C/Users/bob/.wslconfig.
type fileFixture struct{ dir string }

// path is the fixture file of a Windows path.
func (f fileFixture) path(p string) string {
	p = strings.ReplaceAll(strings.TrimPrefix(p, `\\?\`), `\`, "/")
	if len(p) >= 2 && p[1] == ':' {
		p = strings.ToUpper(p[:1]) + p[2:]
	}
	return filepath.Join(f.dir, filepath.FromSlash(p))
}

func (f fileFixture) ReadFile(p string) ([]byte, error)       { return os.ReadFile(f.path(p)) }
func (f fileFixture) ReadDir(p string) ([]fs.DirEntry, error) { return os.ReadDir(f.path(p)) }
func (f fileFixture) Stat(p string) (fs.FileInfo, error)      { return os.Stat(f.path(p)) }

// smbiosFixture is a machine's SMBIOS structure table in a file, as Linux
// exposes it in /sys/firmware/dmi/tables/DMI.
type smbiosFixture string

// SMBIOS implements smbiosSource.
func (f smbiosFixture) SMBIOS() ([]byte, error) { return os.ReadFile(string(f)) }

// ownerFixture answers process owners from a map.
type ownerFixture map[uint32]winAccount

// Owner implements processOwners.
func (f ownerFixture) Owner(pid uint32) (winAccount, bool) {
	a, ok := f[pid]
	return a, ok
}

// wmiFixture answers queries from wmi/<Class>.json files; a class without a
// file has no instances.
type wmiFixture struct{ dir string }

// Query implements wmiSource.
func (f wmiFixture) Query(class, where string, dst any) error {
	if _, c, ok := strings.Cut(class, ":"); ok {
		class = c
	}
	conds, err := parseWQLWhere(where)
	if err != nil {
		return err
	}
	var objs []map[string]any
	b, err := os.ReadFile(f.classFile(class))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&objs); err != nil {
			return fmt.Errorf("parse %s.json: %w", class, err)
		}
	}
	out := reflect.ValueOf(dst).Elem()
	out.Set(reflect.MakeSlice(out.Type(), 0, len(objs)))
	for _, o := range objs {
		if !conds.match(o) {
			continue
		}
		ev := reflect.New(out.Type().Elem()).Elem()
		if err := fillWMIStruct(ev, class, o); err != nil {
			return err
		}
		out.Set(reflect.Append(out, ev))
	}
	return nil
}

// classFile is the file of class: WMI's class names are not case
// sensitive, and captures spell them as their tool queried them
// (MSVM_ComputerSystem for Msvm_ComputerSystem).
func (f wmiFixture) classFile(class string) string {
	name := filepath.Join(f.dir, class+".json")
	if _, err := os.Stat(name); err == nil {
		return name
	}
	entries, _ := os.ReadDir(f.dir)
	for _, e := range entries {
		if strings.EqualFold(e.Name(), class+".json") {
			return filepath.Join(f.dir, e.Name())
		}
	}
	return name
}

// fillWMIStruct sets the fields of v from the properties of o, matched by
// name without regard to case, as the live source does: each JSON value
// becomes the value WMI scripting would hand over (wmiJSONValue) and is
// assigned by setWMIValue. A property absent from o is one the class does
// not have, and leaves its field zero.
func fillWMIStruct(v reflect.Value, class string, o map[string]any) error {
	props := make(map[string]any, len(o))
	for k, val := range o {
		props[strings.ToLower(k)] = val
	}
	return loadWMIStruct(v, class, func(name string, t reflect.Type) (any, bool, error) {
		val, ok := props[strings.ToLower(name)]
		if !ok {
			return nil, false, nil
		}
		n, err := wmiJSONValue(t, val)
		return n, true, err
	})
}

// wqlCond is one "Property = literal" (or <>) or "Property IS [NOT] NULL"
// condition of a WHERE clause.
type wqlCond struct {
	prop  string
	not   bool
	value any // string, bool, float64, or nil for IS NULL
}

type wqlConds []wqlCond

// parseWQLWhere parses the conjunctions of equalities and null tests the
// collectors use: `LocalAccount = TRUE AND Name <> 'x'`,
// `PartialProductKey IS NOT NULL`. String literals are quoted with ' or "
// and take backslash escapes.
func parseWQLWhere(where string) (wqlConds, error) {
	var conds wqlConds
	if strings.TrimSpace(where) == "" {
		return nil, nil
	}
	for _, part := range splitWQLAnd(where) {
		if prop, not, ok := wqlNullTest(part); ok {
			conds = append(conds, wqlCond{prop: prop, not: not})
			continue
		}
		i := indexUnquoted(part, "=<")
		op := "="
		if i >= 0 && part[i] == '<' {
			op = "<>"
		}
		if i < 0 || !strings.HasPrefix(part[i:], op) {
			return nil, fmt.Errorf("unsupported WQL condition %q", part)
		}
		c := wqlCond{prop: strings.ToLower(strings.TrimSpace(part[:i])), not: op == "<>"}
		lit := strings.TrimSpace(part[i+len(op):])
		switch {
		case strings.EqualFold(lit, "TRUE"), strings.EqualFold(lit, "FALSE"):
			c.value = strings.EqualFold(lit, "TRUE")
		case lit != "" && (lit[0] == '\'' || lit[0] == '"'):
			v, rest, ok := unquoteEscaped(lit)
			if !ok || rest != "" {
				return nil, fmt.Errorf("unsupported WQL literal %q", lit)
			}
			c.value = v
		default:
			n, err := strconv.ParseFloat(lit, 64)
			if err != nil {
				return nil, fmt.Errorf("unsupported WQL literal %q", lit)
			}
			c.value = n
		}
		conds = append(conds, c)
	}
	return conds, nil
}

// splitWQLAnd splits a WHERE clause at the ANDs outside string literals.
func splitWQLAnd(where string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(where); i++ {
		switch c := where[i]; {
		case c == '\'' || c == '"':
			if _, rest, ok := unquoteEscaped(where[i:]); ok {
				i = len(where) - len(rest) - 1
			}
		case c == ' ' && len(where)-i >= 5 && strings.EqualFold(where[i:i+5], " AND "):
			parts = append(parts, where[start:i])
			start = i + 5
			i += 4
		}
	}
	return append(parts, where[start:])
}

// indexUnquoted returns the index of the first byte of chars outside
// string literals, -1 if none.
func indexUnquoted(s, chars string) int {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case strings.IndexByte(chars, c) >= 0:
			return i
		case c == '\'' || c == '"':
			if _, rest, ok := unquoteEscaped(s[i:]); ok {
				i = len(s) - len(rest) - 1
			}
		}
	}
	return -1
}

// wqlNullTest parses "Property IS NULL" and "Property IS NOT NULL".
func wqlNullTest(part string) (prop string, not, ok bool) {
	f := strings.Fields(part)
	switch {
	case len(f) == 3 && strings.EqualFold(f[1], "IS") && strings.EqualFold(f[2], "NULL"):
		return strings.ToLower(f[0]), false, true
	case len(f) == 4 && strings.EqualFold(f[1], "IS") && strings.EqualFold(f[2], "NOT") && strings.EqualFold(f[3], "NULL"):
		return strings.ToLower(f[0]), true, true
	}
	return "", false, false
}

// match reports whether an instance meets every condition. An absent
// property is NULL. A reference (an object path) equals a literal naming
// the same instance, whatever the server, namespace and quoting.
func (cs wqlConds) match(o map[string]any) bool {
	for _, c := range cs {
		var got any
		for k, v := range o {
			if strings.ToLower(k) == c.prop {
				got = v
			}
		}
		eq := false
		switch want := c.value.(type) {
		case nil:
			eq = got == nil
		case bool:
			b, ok := got.(bool)
			eq = ok && b == want
		case string:
			s, ok := got.(string)
			eq = ok && (strings.EqualFold(s, want) || sameReference(s, want))
		case float64:
			n, err := strconv.ParseFloat(fmt.Sprint(got), 64)
			eq = err == nil && math.Abs(n-want) < 1e-9
		}
		if eq == c.not {
			return false
		}
	}
	return true
}

// sameReference reports whether a and b are object paths of one instance.
func sameReference(a, b string) bool {
	pa, ok := parseWMIObjectPath(a)
	if !ok || len(pa.Keys) == 0 {
		return false
	}
	pb, ok := parseWMIObjectPath(b)
	return ok && pa.sameInstance(pb)
}

// regFile is a registry loaded from a regedit export.
type regFile struct {
	keys map[string]*regFileKey // by upper-case full path
}

// regFileKey is one key of a regFile.
type regFileKey struct {
	subkeys []string
	names   []string                // of the values, in file order
	values  map[string]regFileValue // by lower-case name
}

// regFileValue is a typed registry value.
type regFileValue struct {
	kind int // one of the regType constants
	str  string
	strs []string
	num  uint64
	bin  []byte
}

// Registry value types, as numbered in winnt.h.
const (
	regSZ       = 1
	regExpandSZ = 2
	regBinary   = 3
	regDword    = 4
	regMultiSZ  = 7
	regQword    = 11
)

// parseRegFile parses a "Windows Registry Editor Version 5.00" export, in
// UTF-16LE as regedit writes it (with its byte order mark, or without as
// some tools copy it), or in UTF-8.
func parseRegFile(b []byte) (*regFile, error) {
	text, err := decodeRegText(b)
	if err != nil {
		return nil, err
	}
	// Regedit ends lines with CRLF but writes a string value as it is: a
	// value holding CRLF spans lines, and its line breaks read CR CR LF.
	// Splitting at LF, dropping one CR, and joining the lines of a value
	// with LF gives the value back; files edited by hand may end lines
	// with LF alone.
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	if head := strings.TrimSpace(lines[0]); head != "Windows Registry Editor Version 5.00" && head != "REGEDIT4" {
		return nil, errors.New("parse registry file: no regedit header")
	}
	r := &regFile{keys: map[string]*regFileKey{}}
	var cur *regFileKey
	for i := 1; i < len(lines); i++ {
		first := i
		line := strings.TrimSpace(lines[i])
		switch {
		case line == "" || line[0] == ';':
		case line[0] == '[':
			path := strings.TrimSuffix(line, "]")[1:]
			if strings.HasPrefix(path, "-") {
				cur = nil // a deletion, not a key
				continue
			}
			cur = r.key(path)
		default:
			name, val, err := parseRegValue(line)
			// A string that does not end on its line goes on.
			for errors.Is(err, errRegUnterminated) && i+1 < len(lines) {
				i++
				line = strings.TrimLeftFunc(lines[first], unicode.IsSpace)
				for _, l := range lines[first+1 : i+1] {
					line += "\n" + l
				}
				name, val, err = parseRegValue(strings.TrimRightFunc(line, unicode.IsSpace))
			}
			// Binary data goes on after a backslash.
			for err != nil && strings.HasSuffix(line, `\`) && i+1 < len(lines) {
				i++
				line = line[:len(line)-1] + strings.TrimSpace(lines[i])
				name, val, err = parseRegValue(line)
			}
			if err != nil {
				return nil, fmt.Errorf("parse registry file line %d: %w", first+1, err)
			}
			if cur != nil {
				cur.set(name, val)
			}
		}
	}
	return r, nil
}

// decodeRegText decodes a .reg file's bytes to text.
func decodeRegText(b []byte) (string, error) {
	bom := bytes.HasPrefix(b, []byte{0xFF, 0xFE})
	if bom || (len(b) >= 2 && b[0] != 0 && b[1] == 0) {
		if bom {
			b = b[2:]
		}
		if len(b)%2 != 0 {
			return "", errors.New("parse registry file: odd UTF-16 length")
		}
		// Some tools write the byte order mark twice.
		return strings.TrimLeft(utf16LE(b), "\uFEFF"), nil
	}
	return strings.TrimLeft(string(b), "\uFEFF"), nil
}

// key returns the key at path, creating it and its parents.
func (r *regFile) key(path string) *regFileKey {
	id := strings.ToUpper(path)
	if k, ok := r.keys[id]; ok {
		return k
	}
	k := &regFileKey{values: map[string]regFileValue{}}
	r.keys[id] = k
	if i := strings.LastIndexByte(path, '\\'); i > 0 {
		parent := r.key(path[:i])
		parent.subkeys = append(parent.subkeys, path[i+1:])
	}
	return k
}

// parseRegValue parses `"name"=data` or `@=data`. A nil value is a
// deletion ("name"=-).
func parseRegValue(line string) (string, *regFileValue, error) {
	var name, rest string
	if strings.HasPrefix(line, "@=") {
		rest = line[2:]
	} else {
		n, r, err := regQuoted(line)
		if err != nil {
			return "", nil, err
		}
		if !strings.HasPrefix(r, "=") {
			return "", nil, fmt.Errorf("value %q: no '='", n)
		}
		name, rest = n, r[1:]
	}
	rest = strings.TrimSpace(rest)
	switch {
	case rest == "-":
		return name, nil, nil
	case strings.HasPrefix(rest, `"`):
		s, after, err := regQuoted(rest)
		if err == nil && strings.TrimSpace(after) != "" {
			// Regedit escapes the quotes of a value: this one ends early.
			err = fmt.Errorf("value %q: data after the closing quote: %q", name, after)
		}
		return name, &regFileValue{kind: regSZ, str: s}, err
	case strings.HasPrefix(rest, "dword:"):
		n, err := strconv.ParseUint(rest[6:], 16, 32)
		return name, &regFileValue{kind: regDword, num: n}, err
	}
	kind := regBinary
	data := ""
	switch {
	case strings.HasPrefix(rest, "hex:"):
		data = rest[4:]
	case strings.HasPrefix(rest, "hex("):
		t, d, ok := strings.Cut(rest[4:], "):")
		if !ok {
			return "", nil, fmt.Errorf("value %q: bad hex type", name)
		}
		k, err := strconv.ParseUint(t, 16, 32)
		if err != nil {
			return "", nil, fmt.Errorf("value %q: bad hex type: %w", name, err)
		}
		kind, data = int(k), d
	default:
		return "", nil, fmt.Errorf("value %q: unknown data %q", name, rest)
	}
	raw, err := hex.DecodeString(strings.ReplaceAll(strings.ReplaceAll(data, ",", ""), " ", ""))
	if err != nil {
		return "", nil, fmt.Errorf("value %q: %w", name, err)
	}
	v := &regFileValue{kind: kind, bin: raw}
	switch kind {
	case regSZ, regExpandSZ:
		v.str = strings.TrimRight(utf16LE(raw), "\x00")
	case regMultiSZ:
		for s := range strings.SplitSeq(strings.TrimRight(utf16LE(raw), "\x00"), "\x00") {
			v.strs = append(v.strs, s)
		}
	case regDword, regQword:
		for i := len(raw) - 1; i >= 0; i-- {
			v.num = v.num<<8 | uint64(raw[i])
		}
	}
	return name, v, nil
}

// errRegUnterminated reports a quoted string without its closing quote.
var errRegUnterminated = errors.New("unterminated string")

// regQuoted reads a quoted string with regedit's \\ and \" escapes at the
// start of s and returns it and what follows.
func regQuoted(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", fmt.Errorf("expected a quoted string in %q", s)
	}
	v, rest, ok := unquoteEscaped(s)
	if !ok {
		return "", "", fmt.Errorf("%w: %q", errRegUnterminated, s)
	}
	return v, rest, nil
}

// utf16LE decodes little-endian UTF-16.
func utf16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

// hiveNames are the root keys as regedit writes them.
var hiveNames = map[regHive]string{hklm: "HKEY_LOCAL_MACHINE", hku: "HKEY_USERS"}

// OpenKey implements registrySource. The 32-bit view of HKLM\SOFTWARE is
// its WOW6432Node subkey, as Windows redirects it for 32-bit programs.
func (r *regFile) OpenKey(hive regHive, path string, view regView) (regKey, error) {
	path = strings.Trim(path, `\`)
	if view == view32 && hive == hklm {
		if rest, ok := cutPrefixFold(path, `SOFTWARE`); ok && !hasPrefixFold(rest, `\WOW6432Node`) {
			path = `SOFTWARE\WOW6432Node` + rest
		}
	}
	full := hiveNames[hive]
	if path != "" {
		full += `\` + path
	}
	k, ok := r.keys[strings.ToUpper(full)]
	if !ok {
		return nil, fmt.Errorf("open %s: %w", full, errKeyNotFound)
	}
	return k, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if !hasPrefixFold(s, prefix) || (len(s) > len(prefix) && s[len(prefix)] != '\\') {
		return s, false
	}
	return s[len(prefix):], true
}

// set sets the value name, or deletes it when val is nil.
func (k *regFileKey) set(name string, val *regFileValue) {
	id := strings.ToLower(name)
	_, had := k.values[id]
	switch {
	case val != nil && !had:
		k.names = append(k.names, name)
		fallthrough
	case val != nil:
		k.values[id] = *val
	case had:
		delete(k.values, id)
		k.names = slices.DeleteFunc(k.names, func(n string) bool { return strings.EqualFold(n, name) })
	}
}

// SubKeys implements regKey.
func (k *regFileKey) SubKeys() ([]string, error) { return k.subkeys, nil }

// ValueNames implements regValueLister.
func (k *regFileKey) ValueNames() ([]string, error) { return k.names, nil }

// String implements regKey.
func (k *regFileKey) String(name string) (string, bool) {
	v, ok := k.values[strings.ToLower(name)]
	if !ok || (v.kind != regSZ && v.kind != regExpandSZ) {
		return "", false
	}
	return v.str, true
}

// Strings implements regKey.
func (k *regFileKey) Strings(name string) ([]string, bool) {
	v, ok := k.values[strings.ToLower(name)]
	if !ok || v.kind != regMultiSZ {
		return nil, false
	}
	return v.strs, true
}

// Integer implements regKey.
func (k *regFileKey) Integer(name string) (uint64, bool) {
	v, ok := k.values[strings.ToLower(name)]
	if !ok || (v.kind != regDword && v.kind != regQword) {
		return 0, false
	}
	return v.num, true
}

// Binary implements regKey.
func (k *regFileKey) Binary(name string) ([]byte, bool) {
	v, ok := k.values[strings.ToLower(name)]
	if !ok || v.kind != regBinary {
		return nil, false
	}
	return v.bin, true
}

// Close implements regKey.
func (k *regFileKey) Close() error { return nil }
