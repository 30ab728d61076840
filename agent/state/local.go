package state

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// deviceIDStamp is the time a GLPI deviceid ends with.
const deviceIDStamp = "-2006-01-02-15-04-05"

// maxDeviceID bounds a deviceid, so that <deviceid>.json fits in a file
// name everywhere (255 bytes).
const maxDeviceID = 200

// ValidDeviceID reports whether s is a GLPI deviceid as DeviceID and the
// enrollment service build it: a host name of letters (any script),
// digits, '-', '_' and '.' without "..", then -YYYY-MM-DD-HH-MM-SS. Such an
// id is one plain file name: no separator, no "..", no drive, no control
// character. An id from the network or a state file is checked with it
// before it names a file.
func ValidDeviceID(s string) bool {
	if len(s) <= len(deviceIDStamp) || len(s) > maxDeviceID || !utf8.ValidString(s) {
		return false
	}
	host, stamp := s[:len(s)-len(deviceIDStamp)], s[len(s)-len(deviceIDStamp):]
	if _, err := time.Parse(deviceIDStamp, stamp); err != nil || strings.Contains(host, "..") {
		return false
	}
	for _, r := range host {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// WriteFileIn replaces the file name in directory dir with data, as
// WriteFileAtomic does, without following any link: dir itself must not be
// a symbolic link, and name is created and renamed relative to dir (an
// os.Root), so neither a link swapped in for the directory nor a link
// planted at name takes the write elsewhere. name must be one plain file
// name.
func WriteFileIn(dir, name string, data []byte, perm os.FileMode) error {
	dir = filepath.Clean(dir) // "link/" would make Lstat follow the link
	path := filepath.Join(dir, name)
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\:`) {
		return fmt.Errorf("write %q: not a plain file name", path)
	}
	lfi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if lfi.Mode()&os.ModeSymlink != 0 {
		target, _ := os.Readlink(dir)
		return fmt.Errorf("write %q: directory %q is a symbolic link (to %q): give the directory itself", path, dir, target)
	}
	if !lfi.IsDir() {
		return fmt.Errorf("write %q: %q is not a directory", path, dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	defer root.Close()
	// The directory opened must be the one checked: a link swapped in
	// between the two is refused.
	if rfi, err := root.Stat("."); err != nil || !os.SameFile(lfi, rfi) {
		return fmt.Errorf("write %q: directory %q changed while opening it", path, dir)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := "." + name + ".tmp" + hex.EncodeToString(rnd[:])
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	defer root.Remove(tmp) // a no-op after the rename
	if err := f.Chmod(perm); err != nil && !isUnsupported(err) {
		f.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := root.Rename(tmp, name); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	syncDir(dir)
	return nil
}
