package collectors

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

// regExport encodes text as regedit writes an export: UTF-16LE with a byte
// order mark, lines ended by CRLF, and a value's own line breaks (CRLF in
// the registry) written as CR CR LF.
func regExport(text string) []byte {
	text = strings.ReplaceAll(text, "\n", "\r\n")
	b := []byte{0xFF, 0xFE}
	for _, c := range utf16.Encode([]rune(text)) {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

func TestParseRegFileMultiLine(t *testing.T) {
	const text = "Windows Registry Editor Version 5.00\n\n" +
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\App]\n" +
		"\"Comments\"=\"First line.\r\nSecond line ends in a backslash \\\\\r\n  indented \\\"third\\\" line.\"\n" +
		"\"Blank\"=\"above\r\n\r\nbelow\"\n" +
		"\"After\"=\"plain\"\n" +
		"\"Blob\"=hex:01,02,\\\n  03\n"
	for name, data := range map[string][]byte{
		"utf-16le":             regExport(text),
		"utf-16le without bom": regExport(text)[2:],
		"utf-16le two boms":    append([]byte{0xFF, 0xFE}, regExport(text)...),
	} {
		t.Run(name, func(t *testing.T) {
			r, err := parseRegFile(data)
			if err != nil {
				t.Fatalf("parseRegFile: %v", err)
			}
			v := openValues(r, hklm, `SOFTWARE\Vendor\App`, view64)
			for _, tc := range []struct{ name, want string }{
				{"Comments", "First line.\r\nSecond line ends in a backslash \\\r\n  indented \"third\" line."},
				{"Blank", "above\r\n\r\nbelow"},
				{"After", "plain"},
			} {
				if got := v.str(tc.name); got != tc.want {
					t.Errorf("value %s = %q, want %q", tc.name, got, tc.want)
				}
			}
			if got := v.bin("Blob"); !reflect.DeepEqual(got, []byte{1, 2, 3}) {
				t.Errorf("value Blob = %v, want [1 2 3]", got)
			}
			if names, _ := v.k.(regValueLister).ValueNames(); len(names) != 4 {
				t.Errorf("ValueNames() = %q, want 4 names", names)
			}
		})
	}
	unterminated := regExport("Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\X]\n\"V\"=\"never closed\n\"W\"=dword:00000001\n")
	if _, err := parseRegFile(unterminated); err == nil {
		t.Error("parseRegFile of a string that never closes: nil error")
	}
}

// regCorpusDir is the corpus of real captures (corpusDir: ../shared/corpus
// beside the module root, or $GLPI_CORPUS), with its Windows cases.
func regCorpusDir(t *testing.T) string {
	t.Helper()
	dir := corpusDir(t)
	if _, err := os.Stat(filepath.Join(dir, "windows")); err != nil {
		t.Fatalf("corpus without its Windows cases: %v", err)
	}
	return dir
}

// TestParseRegFileCorpus loads every real regedit export of the corpus as
// is and checks that each of its values reads the same in the case's
// registry.reg, the converted fixture the other tests load.
func TestParseRegFileCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(regCorpusDir(t), "windows", "*", "raw", "*.reg"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no regedit export in the corpus")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw := loadRegFile(t, f)
			conv := loadRegFile(t, filepath.Join(filepath.Dir(filepath.Dir(f)), "registry.reg"))
			if len(raw.keys) == 0 {
				t.Errorf("%s: no key loaded", f)
			}
			for path, k := range raw.keys {
				ck, ok := conv.keys[path]
				if !ok {
					t.Errorf("key %s missing from registry.reg", path)
					continue
				}
				for id, v := range k.values {
					if cv, ok := ck.values[id]; !ok || !sameRegValue(v, cv) {
						t.Errorf("value %s\\%s = %+v, registry.reg has %+v", path, id, v, cv)
					}
				}
			}
		})
	}
}

func loadRegFile(t *testing.T, path string) *regFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseRegFile(b)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return r
}

// sameRegValue compares values by what the registry holds: a string
// written in quotes equals the same string written as hex(1).
func sameRegValue(a, b regFileValue) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case regSZ, regExpandSZ:
		return a.str == b.str
	case regMultiSZ:
		return reflect.DeepEqual(a.strs, b.strs)
	case regDword, regQword:
		return a.num == b.num
	}
	return reflect.DeepEqual(a.bin, b.bin)
}
