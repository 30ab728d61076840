package packaging_test

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// need skips the test when a tool is not installed.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: skipping (Debian: apt-get install dpkg rpm wixl msitools)", tool)
		}
	}
}

func have(tool string) bool {
	_, err := exec.LookPath(tool)
	return err == nil
}

// run runs a command and returns its standard output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	return runIn(t, "", nil, name, args...)
}

func runIn(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// packages are the files scripts/package.sh built.
type packages struct{ deb, rpm, msi, enrolldDeb, enrolldRPM string }

// embed is what a build embeds; the zero value builds base packages.
type embed struct{ server, tag, key string }

// buildPackages runs scripts/package.sh, as `make package` does, into dir.
func buildPackages(t *testing.T, dir, version string, e embed, formats string) packages {
	t.Helper()
	keyFile := ""
	if e.key != "" {
		keyFile = filepath.Join(t.TempDir(), "key.txt")
		if err := os.WriteFile(keyFile, []byte(e.key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"VERSION=" + version, "SERVER=" + e.server, "TAG=" + e.tag, "REGISTRATION_KEY_FILE=" + keyFile,
		"FORMATS=" + formats, "ARCH=amd64", "SIGN_CERT=", "SIGN_KEY=",
	}
	runIn(t, "..", env, "scripts/package.sh", dir)
	find := func(pattern string) string {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		if len(m) == 1 {
			return m[0]
		}
		return ""
	}
	// Packages that embed settings are named apart from base ones.
	suffix := ""
	if e.key != "" {
		k, err := enroll.ParseKey(e.key)
		if err != nil {
			t.Fatalf("test key: %v", err)
		}
		suffix = "_key-" + k.ID
	}
	return packages{
		deb: find("glpi-agentd_" + version + "-1_amd64" + suffix + ".deb"),
		rpm: find("glpi-agentd-" + version + "-1.x86_64" + suffix + ".rpm"),
		msi: find("glpi-agentd-" + version + "-x64" + suffix + ".msi"),

		enrolldDeb: find("glpi-enrolld_" + version + "-1_amd64.deb"),
		enrolldRPM: find("glpi-enrolld-" + version + "-1.x86_64.rpm"),
	}
}

// debListing lists a deb's files: path → mode and owner/group.
func debListing(t *testing.T, deb string) map[string][2]string {
	t.Helper()
	listing := map[string][2]string{}
	for line := range strings.Lines(run(t, "dpkg-deb", "-c", deb)) {
		f := strings.Fields(line)
		listing[cleanPath(f[len(f)-1])] = [2]string{f[0], f[1]}
	}
	return listing
}

// rpmListing lists an rpm's files: path → mode and owner/group.
func rpmListing(t *testing.T, rpm string) map[string][2]string {
	t.Helper()
	listing := map[string][2]string{}
	for line := range strings.Lines(run(t, "rpm", "-qlpv", rpm)) {
		f := strings.Fields(line)
		listing[f[len(f)-1]] = [2]string{f[0], f[2] + "/" + f[3]}
	}
	return listing
}

// rpmPayload reads the files of an rpm.
func rpmPayload(t *testing.T, rpm string) map[string]file {
	t.Helper()
	// Debian's rpm2cpio exits 1 after writing a whole archive: readNewc
	// catches a truncated one.
	cpio, err := exec.Command("rpm2cpio", rpm).Output()
	if len(cpio) == 0 {
		t.Fatalf("rpm2cpio: %v", err)
	}
	files, err := readNewc(cpio)
	if err != nil {
		t.Fatalf("read rpm payload: %v", err)
	}
	return files
}

// file is one file of a package's payload.
type file struct {
	mode  os.FileMode
	owner string
	data  []byte
}

// readTar reads a tar stream into path → file, with paths made absolute
// ("./etc/x/" becomes "/etc/x").
func readTar(t *testing.T, r io.Reader) map[string]file {
	t.Helper()
	files := map[string]file{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		files[cleanPath(h.Name)] = file{mode: h.FileInfo().Mode(), owner: h.Uname + "/" + h.Gname, data: b}
	}
}

func cleanPath(p string) string {
	p = strings.TrimSuffix(strings.TrimPrefix(p, "."), "/")
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// readNewc reads a cpio archive in the "newc" format rpm2cpio writes.
func readNewc(b []byte) (map[string]file, error) {
	files := map[string]file{}
	align := func(n int) int { return (n + 3) &^ 3 }
	for off := 0; ; {
		if len(b) < off+110 || string(b[off:off+6]) != "070701" {
			return nil, fmt.Errorf("cpio header at %d: bad magic", off)
		}
		field := func(i int) (int, error) {
			v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
			return int(v), err
		}
		mode, err1 := field(1)
		uid, err2 := field(2)
		size, err3 := field(6)
		namesize, err4 := field(11)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, fmt.Errorf("cpio header at %d: %w", off, err)
		}
		nameEnd := off + 110 + namesize
		dataStart := align(nameEnd)
		if nameEnd > len(b) || dataStart+size > len(b) || namesize == 0 {
			return nil, fmt.Errorf("cpio entry at %d: truncated", off)
		}
		name := string(b[off+110 : nameEnd-1])
		if name == "TRAILER!!!" {
			return files, nil
		}
		perm := os.FileMode(mode & 0o777)
		if mode&0o170000 == 0o040000 {
			perm |= os.ModeDir
		}
		files[cleanPath(name)] = file{mode: perm, owner: strconv.Itoa(uid), data: b[dataStart : dataStart+size]}
		off = align(dataStart + size)
	}
}
