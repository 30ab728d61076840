package packaging_test

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll/server"
)

// enrolldFiles are the glpi-enrolld deb's and rpm's files with their modes;
// the post-installation gives the state directory to the glpi-enrolld user
// and the configuration to its group.
var enrolldFiles = map[string]string{
	"/usr/bin/glpi-enrolld":                        "-rwxr-xr-x",
	"/usr/lib/systemd/system/glpi-enrolld.service": "-rw-r--r--",
	"/etc/glpi-enrolld":                            "drwxr-x---",
	"/etc/glpi-enrolld/glpi-enrolld.conf":          "-rw-r-----",
	"/var/lib/glpi-enrolld":                        "drwx------",
}

const enrolldConf = "/etc/glpi-enrolld/glpi-enrolld.conf"

// checkEnrolldPackages inspects the glpi-enrolld deb and rpm built beside
// the agent's: files, modes, configuration, scripts, the unit, and no
// trace of what the agent's packages embed.
func checkEnrolldPackages(t *testing.T, p packages, e embed) {
	unit, err := os.ReadFile("enrolld/glpi-enrolld.service")
	if err != nil {
		t.Fatal(err)
	}
	checkEnrolldUnit(t, string(unit))
	checkPayload := func(files map[string]file) {
		t.Helper()
		if got := files["/usr/lib/systemd/system/glpi-enrolld.service"].data; !bytes.Equal(got, unit) {
			t.Errorf("packaged unit differs from enrolld/glpi-enrolld.service")
		}
		for path, f := range files {
			if e.key != "" && (bytes.Contains(f.data, []byte(e.key)) || bytes.Contains(f.data, []byte(e.server))) {
				t.Errorf("glpi-enrolld's %s holds the agent's embedded key or URL", path)
			}
		}
	}
	scripts := map[string]string{}
	for _, name := range []string{"postinstall.sh", "preremove.sh", "postremove.sh"} {
		b, err := os.ReadFile("enrolld/" + name)
		if err != nil {
			t.Fatal(err)
		}
		scripts[name] = string(b)
	}

	t.Run("deb", func(t *testing.T) {
		need(t, "dpkg-deb")
		deb := p.enrolldDeb
		checkListing(t, debListing(t, deb), enrolldFiles)
		if got := strings.Fields(run(t, "dpkg-deb", "--info", deb, "conffiles")); !slices.Equal(got, []string{enrolldConf}) {
			t.Errorf("conffiles = %q, want %s", got, enrolldConf)
		}
		if got := strings.TrimSpace(run(t, "dpkg-deb", "-f", deb, "Depends")); got != "passwd" {
			t.Errorf("Depends = %q, want passwd (useradd)", got)
		}
		for script, src := range map[string]string{"postinst": "postinstall.sh", "prerm": "preremove.sh", "postrm": "postremove.sh"} {
			if got := run(t, "dpkg-deb", "--info", deb, script); got != scripts[src] {
				t.Errorf("%s differs from enrolld/%s", script, src)
			}
		}
		checkPayload(readTar(t, strings.NewReader(run(t, "dpkg-deb", "--fsys-tarfile", deb))))
	})
	t.Run("rpm", func(t *testing.T) {
		need(t, "rpm", "rpm2cpio")
		rpm := p.enrolldRPM
		checkListing(t, rpmListing(t, rpm), enrolldFiles)
		if got := strings.Fields(run(t, "rpm", "-qp", "--configfiles", rpm)); !slices.Equal(got, []string{enrolldConf}) {
			t.Errorf("config files = %q, want %s", got, enrolldConf)
		}
		if req := run(t, "rpm", "-qpR", rpm); !slices.Contains(strings.Fields(req), "shadow-utils") {
			t.Errorf("rpm requires %q, want shadow-utils (useradd) among them", req)
		}
		got := run(t, "rpm", "-qp", "--scripts", rpm)
		for label, src := range map[string]string{"postinstall": "postinstall.sh", "preuninstall": "preremove.sh", "postuninstall": "postremove.sh"} {
			if !strings.Contains(got, label+" scriptlet (using /bin/sh):\n"+strings.TrimSpace(scripts[src])) {
				t.Errorf("rpm %s scriptlet is not enrolld/%s", label, src)
			}
		}
		checkPayload(rpmPayload(t, rpm))
	})
}

// checkEnrolldUnit checks what the rest of the package relies on in the
// unit: the user, the state directory, the settings file the admin
// commands read too, and a stop timeout longer than the relay's grace.
func checkEnrolldUnit(t *testing.T, unit string) {
	t.Helper()
	for _, line := range []string{
		"User=glpi-enrolld",
		"EnvironmentFile=" + server.ServiceConfFile,
		"ExecStart=/usr/bin/glpi-enrolld serve --data-dir /var/lib/glpi-enrolld $GLPI_ENROLLD_OPTS",
		"StateDirectory=glpi-enrolld",
		"TimeoutStopSec=90s",
		"AmbientCapabilities=CAP_NET_BIND_SERVICE",
	} {
		if !strings.Contains(unit, "\n"+line+"\n") {
			t.Errorf("glpi-enrolld.service lacks %q", line)
		}
	}
}
