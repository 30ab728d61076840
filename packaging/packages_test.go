package packaging_test

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// linuxFiles are the deb's and rpm's files with their modes. A keyed
// package also owns the settings and the key it was built with, never as
// conffiles: agent.toml is the same in every build, the admin's.
func linuxFiles(embedded bool) map[string]string {
	m := map[string]string{
		"/usr/bin/glpi-agentd":                        "-rwxr-xr-x",
		"/usr/lib/systemd/system/glpi-agentd.service": "-rw-r--r--",
		"/etc/glpi-agentd":                            "drwx------",
		"/etc/glpi-agentd/agent.toml":                 "-rw-------",
		"/etc/glpi-agentd/agent.d":                    "drwx------",
		"/var/lib/glpi-agentd":                        "drwx------",
	}
	if embedded {
		m["/etc/glpi-agentd/agent.d/10-package.toml"] = "-rw-------"
		m["/etc/glpi-agentd/package.key"] = "-rw-------"
	}
	return m
}

func conffiles() []string {
	return []string{"/etc/glpi-agentd/agent.toml"}
}

// checkListing compares a package listing (path → mode and owner) with
// the expected files: each present with its mode and owned by root, and
// no other file than parent directories.
func checkListing(t *testing.T, listing map[string][2]string, want map[string]string) {
	t.Helper()
	for path, mode := range want {
		got, ok := listing[path]
		if !ok {
			t.Errorf("package lacks %s", path)
			continue
		}
		if got[0] != mode || got[1] != "root/root" {
			t.Errorf("%s is %s %s, want %s root/root", path, got[0], got[1], mode)
		}
	}
	for path, got := range listing {
		if _, ok := want[path]; !ok && got[0][0] != 'd' {
			t.Errorf("package has unexpected file %s", path)
		}
	}
}

// checkPayload checks where the embedded values are in a payload: the
// key only in package.key, the server URL only in agent.d/10-package.toml,
// and agent.toml the base one.
func checkPayload(t *testing.T, files map[string]file, e embed) {
	t.Helper()
	toml := string(files["/etc/glpi-agentd/agent.toml"].data)
	base, err := os.ReadFile("linux/agent.toml")
	if err != nil {
		t.Fatal(err)
	}
	if toml != string(base) {
		t.Errorf("packaged agent.toml differs from linux/agent.toml:\n%s", toml)
	}
	unit, err := os.ReadFile("linux/glpi-agentd.service")
	if err != nil {
		t.Fatal(err)
	}
	if got := files["/usr/lib/systemd/system/glpi-agentd.service"].data; !bytes.Equal(got, unit) {
		t.Errorf("packaged unit differs from linux/glpi-agentd.service")
	}
	if e.key == "" {
		return
	}
	dropIn := string(files["/etc/glpi-agentd/agent.d/10-package.toml"].data)
	for _, line := range []string{
		`server = "` + e.server + `"`, `registration_key_file = "/etc/glpi-agentd/package.key"`,
	} {
		if !strings.Contains(dropIn, "\n"+line+"\n") {
			t.Errorf("10-package.toml lacks %s:\n%s", line, dropIn)
		}
	}
	if got := strings.TrimSpace(string(files["/etc/glpi-agentd/package.key"].data)); got != e.key {
		t.Errorf("package.key holds %q, want the embedded key", got)
	}
	for path, f := range files {
		if path != "/etc/glpi-agentd/package.key" && bytes.Contains(f.data, []byte(e.key)) {
			t.Errorf("the registration key is in %s", path)
		}
		if path != "/etc/glpi-agentd/agent.d/10-package.toml" && bytes.Contains(f.data, []byte(e.server)) {
			t.Errorf("the server URL is in %s", path)
		}
	}
}

func TestPackages(t *testing.T) {
	need(t, "go")
	formats := "deb rpm"
	if have("wixl") && have("msibuild") {
		formats += " msi"
	}
	id := randomHex(t)
	emb := embed{server: "https://enroll-" + id + ".example.invalid/", key: enroll.NewKey().String()}
	variants := []struct {
		name string
		e    embed
		pkgs packages
	}{
		{"base", embed{}, buildPackages(t, t.TempDir(), "1.0.0", embed{}, formats)},
		{"embedded", emb, buildPackages(t, t.TempDir(), "1.0.0", emb, formats)},
	}
	// Keyed packages are named apart from base ones: both fit in one dist/.
	for i, p := range [][2]string{{variants[0].pkgs.deb, variants[1].pkgs.deb}, {variants[0].pkgs.rpm, variants[1].pkgs.rpm}, {variants[0].pkgs.msi, variants[1].pkgs.msi}} {
		if i < 2 && (p[0] == "" || p[1] == "") || p[0] != "" && filepath.Base(p[0]) == filepath.Base(p[1]) {
			t.Errorf("base and keyed packages are named %q and %q, want two names", p[0], p[1])
		}
	}
	for _, v := range variants {
		embedded := v.e.key != ""
		t.Run(v.name+"/deb", func(t *testing.T) {
			need(t, "dpkg-deb")
			deb := v.pkgs.deb
			checkListing(t, debListing(t, deb), linuxFiles(embedded))
			if got := strings.TrimSpace(run(t, "dpkg-deb", "-f", deb, "Recommends")); got != "pci.ids, usb.ids" {
				t.Errorf("Recommends = %q, want %q", got, "pci.ids, usb.ids")
			}
			if got := strings.Fields(run(t, "dpkg-deb", "--info", deb, "conffiles")); !slices.Equal(got, conffiles()) {
				t.Errorf("conffiles = %q, want %q", got, conffiles())
			}
			for script, src := range map[string]string{"postinst": "postinstall.sh", "prerm": "preremove.sh", "postrm": "postremove.sh"} {
				want, err := os.ReadFile("linux/" + src)
				if err != nil {
					t.Fatal(err)
				}
				if got := run(t, "dpkg-deb", "--info", deb, script); got != string(want) {
					t.Errorf("%s differs from linux/%s", script, src)
				}
			}
			checkPayload(t, readTar(t, strings.NewReader(run(t, "dpkg-deb", "--fsys-tarfile", deb))), v.e)
			if embedded {
				for name, f := range readTar(t, strings.NewReader(run(t, "dpkg-deb", "--ctrl-tarfile", deb))) {
					if bytes.Contains(f.data, []byte(v.e.key)) || bytes.Contains(f.data, []byte(v.e.server)) {
						t.Errorf("control file %s holds the key or the URL", name)
					}
				}
			}
		})
		t.Run(v.name+"/rpm", func(t *testing.T) {
			need(t, "rpm", "rpm2cpio")
			rpm := v.pkgs.rpm
			checkListing(t, rpmListing(t, rpm), linuxFiles(embedded))
			if got := strings.Fields(run(t, "rpm", "-qp", "--configfiles", rpm)); !slices.Equal(got, conffiles()) {
				t.Errorf("config files = %q, want %q", got, conffiles())
			}
			if req := run(t, "rpm", "-qpR", rpm); !slices.Contains(strings.Fields(req), "hwdata") {
				t.Errorf("rpm requires %q, want hwdata among them", req)
			}
			scripts := run(t, "rpm", "-qp", "--scripts", rpm)
			for label, src := range map[string]string{"postinstall": "postinstall.sh", "preuninstall": "preremove.sh", "postuninstall": "postremove.sh"} {
				want, err := os.ReadFile("linux/" + src)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(scripts, label+" scriptlet (using /bin/sh):\n"+strings.TrimSpace(string(want))) {
					t.Errorf("rpm %s scriptlet is not linux/%s:\n%s", label, src, scripts)
				}
			}
			raw, err := os.ReadFile(rpm)
			if err != nil {
				t.Fatal(err)
			}
			if embedded && (bytes.Contains(raw, []byte(v.e.key)) || bytes.Contains(raw, []byte(v.e.server))) {
				t.Errorf("the rpm header holds the key or the URL")
			}
			checkPayload(t, rpmPayload(t, rpm), v.e)
		})
		t.Run(v.name+"/enrolld", func(t *testing.T) {
			checkEnrolldPackages(t, v.pkgs, v.e)
		})
		t.Run(v.name+"/msi", func(t *testing.T) {
			need(t, "wixl", "msibuild", "msiinfo")
			checkMSI(t, v.pkgs.msi, v.e)
		})
	}

	// The same sources and SOURCE_DATE_EPOCH give the same deb and rpm.
	t.Run("reproducible", func(t *testing.T) {
		again := buildPackages(t, t.TempDir(), "1.0.0", emb, "deb rpm")
		for _, pair := range [][2]string{{variants[1].pkgs.deb, again.deb}, {variants[1].pkgs.rpm, again.rpm}} {
			a, errA := os.ReadFile(pair[0])
			b, errB := os.ReadFile(pair[1])
			if errA != nil || errB != nil {
				t.Fatalf("read packages: %v %v", errA, errB)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("two builds of %s differ", pair[0])
			}
		}
	})
}

// msiTable exports one table as rows of columns (without the three
// header lines).
func msiTable(t *testing.T, msi, table string) [][]string {
	t.Helper()
	var rows [][]string
	lines := strings.Split(strings.TrimRight(run(t, "msiinfo", "export", msi, table), "\r\n"), "\n")
	for _, l := range lines[min(3, len(lines)):] {
		rows = append(rows, strings.Split(strings.TrimRight(l, "\r"), "\t"))
	}
	return rows
}

func checkMSI(t *testing.T, msi string, e embed) {
	props := map[string]string{}
	for _, r := range msiTable(t, msi, "Property") {
		props[r[0]] = r[1]
	}
	want := map[string]string{"DEFAULT_SERVER": e.server, "DEFAULT_TAG": e.tag, "DEFAULT_REGISTRATIONKEY": e.key,
		"SERVER": "", "TAG": "", "REGISTRATIONKEY": ""}
	for name, v := range want {
		if props[name] != v {
			t.Errorf("Property %s = %q, want %q", name, props[name], v)
		}
	}
	// Every public property: decided, secure and written.
	public := msiPublicProperties()
	secure := strings.Split(props["SecureCustomProperties"], ";")
	for _, p := range append(public, "WIX_UPGRADE_DETECTED") {
		if !slices.Contains(secure, p) {
			t.Errorf("SecureCustomProperties = %q, want %s in it", props["SecureCustomProperties"], p)
		}
	}
	hidden := strings.Split(props["MsiHiddenProperties"], ";")
	for _, p := range []string{"REGISTRATIONKEY", "DEFAULT_REGISTRATIONKEY", "INSTALLED_REGISTRATIONKEY",
		"PASSWORD", "INSTALLED_PASSWORD", "OAUTH_CLIENT_SECRET", "INSTALLED_OAUTH_CLIENT_SECRET"} {
		if !slices.Contains(hidden, p) {
			t.Errorf("MsiHiddenProperties = %q, want %s in it", props["MsiHiddenProperties"], p)
		}
	}
	checkMSIProps(t, msi, e)

	// The USB collector names devices from the usb.ids beside the agent.
	var files []string
	for _, r := range msiTable(t, msi, "File") {
		name := r[2] // "SHORT~1.EXT|long name", or the name alone
		if i := strings.LastIndex(name, "|"); i >= 0 {
			name = name[i+1:]
		}
		files = append(files, name)
	}
	if !slices.Contains(files, "usb.ids") || !slices.Contains(files, "glpi-agentd.exe") {
		t.Errorf("File names = %q, want glpi-agentd.exe and usb.ids", files)
	}

	si := msiTable(t, msi, "ServiceInstall")
	// Name, type 16 (own process), start 2 (auto), error 1, LocalSystem, arguments.
	if len(si) != 1 || si[0][1] != "glpi-agentd" || si[0][3] != "16" || si[0][4] != "2" || si[0][8] != "LocalSystem" || si[0][10] != "run --service" {
		t.Errorf("ServiceInstall = %q, want glpi-agentd, own process, auto start, LocalSystem, run --service", si)
	}
	// 163: start on install, stop on install and uninstall, delete on uninstall.
	if sc := msiTable(t, msi, "ServiceControl"); len(sc) != 1 || sc[0][1] != "glpi-agentd" || sc[0][2] != "163" {
		t.Errorf("ServiceControl = %q, want glpi-agentd with event 163", sc)
	}
	reg := map[string]string{}
	for _, r := range msiTable(t, msi, "Registry") {
		if r[1] == "2" && r[2] == `SOFTWARE\glpi-agentd\` {
			reg[r[3]] = r[4]
		}
	}
	wantReg := map[string]string{}
	for _, p := range public {
		wantReg[p] = "[" + p + "]"
	}
	if !maps.Equal(reg, wantReg) {
		t.Errorf(`Registry under HKLM\SOFTWARE\glpi-agentd = %v, want %v`, reg, wantReg)
	}
	upgrade := map[string]string{}
	for _, r := range msiTable(t, msi, "Upgrade") {
		if r[0] == "{EDBDD9A4-B3D9-4D36-94CC-FE710FC46DF0}" {
			upgrade[r[len(r)-1]] = r[4]
		}
	}
	// 513: migrate features, and the same version is upgraded too.
	if want := map[string]string{"WIX_UPGRADE_DETECTED": "513", "WIX_DOWNGRADE_DETECTED": "2"}; !maps.Equal(upgrade, want) {
		t.Errorf("Upgrade attributes = %v, want %v", upgrade, want)
	}

	if e.key == "" {
		return
	}
	// The key and the URL are in the Property table only.
	for _, table := range strings.Fields(run(t, "msiinfo", "tables", msi)) {
		for _, r := range msiTable(t, msi, table) {
			row := strings.Join(r, "\t")
			if table == "Property" && (r[0] == "DEFAULT_REGISTRATIONKEY" || r[0] == "DEFAULT_SERVER") {
				continue
			}
			if strings.Contains(row, e.key) || strings.Contains(row, e.server) {
				t.Errorf("table %s holds the key or the URL: %q", table, row)
			}
		}
	}
}

// TestPackageRefusesInputs: `make package` refuses, before building
// anything, a package that could never enroll, and says why.
func TestPackageRefusesInputs(t *testing.T) {
	need(t, "go")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "site.key")
	if err := os.WriteFile(keyFile, []byte(enroll.NewKey().String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notAKey := filepath.Join(dir, "notakey.txt")
	if err := os.WriteFile(notAKey, []byte("notakey\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		env  []string
		want string
	}{
		{"remote plain http", []string{"SERVER=http://enroll.example.com/", "REGISTRATION_KEY_FILE=" + keyFile}, "plain http to a remote host"},
		{"not a key", []string{"SERVER=https://enroll.example.com/", "REGISTRATION_KEY_FILE=" + notAKey}, "holds no registration key"},
		{"key without server", []string{"REGISTRATION_KEY_FILE=" + keyFile}, "without SERVER"},
		{"tag with a key", []string{"SERVER=https://enroll.example.com/", "TAG=site-a", "REGISTRATION_KEY_FILE=" + keyFile}, "TAG with a registration key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command("scripts/package.sh", out)
			cmd.Dir = ".."
			cmd.Env = append(os.Environ(), append([]string{"VERSION=1.0.0", "FORMATS=deb rpm msi", "SERVER=", "TAG=", "REGISTRATION_KEY_FILE="}, tt.env...)...)
			msg, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(msg), tt.want) {
				t.Errorf("package.sh = %v\n%s\nwant a failure saying %q", err, msg, tt.want)
			}
			if entries, _ := os.ReadDir(out); len(entries) > 0 {
				t.Errorf("package.sh refused, yet wrote %d files into %s", len(entries), out)
			}
		})
	}
}
