package collectors

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseDpkgStatus(t *testing.T) {
	const status = `Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12985
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Version: 2.36-9+deb12u7
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
Homepage: https://www.gnu.org/software/libc/libc.html

Package: nano
Status: deinstall ok config-files
Architecture: amd64
Version: 7.2-1

Package: vim
Status: install ok half-installed
Version: 2:9.0.1378-2

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
Installed-Size: 3415
Section: localization
Description: time zone and daylight-saving time data`
	tests := []struct {
		name, in string
		want     []Software
	}{
		{"empty", "", nil},
		{"mixed", status, []Software{
			{Name: "libc6", Version: "2.36-9+deb12u7", Arch: "amd64", Comments: "GNU C Library: Shared libraries",
				Filesize: 12985 * 1024, From: "deb", SystemCategory: "libs", URLInfoAbout: "https://www.gnu.org/software/libc/libc.html"},
			{Name: "tzdata", Version: "2024a-0+deb12u1", Arch: "all", Comments: "time zone and daylight-saving time data",
				Filesize: 3415 * 1024, From: "deb", SystemCategory: "localization"},
		}},
		{"crlf and trailing blank lines", "Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\n\r\n\r\n", []Software{{Name: "a", Version: "1", From: "deb"}}},
		{"over-long continuation", "Package: b\nStatus: install ok installed\nDescription: x\n " + strings.Repeat("y", 100_000) + "\nVersion: 2\n", []Software{{Name: "b", Version: "2", Comments: "x", From: "deb"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := readDpkgStatus(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("readDpkgStatus: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("readDpkgStatus(%s) = %+v, want %+v", tt.name, got, tt.want)
			}
		})
	}
}

// dpkgStatus generates a status file of n installed packages.
func dpkgStatus(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Package: package-%d\nStatus: install ok installed\nPriority: optional\nSection: libs\n"+
			"Installed-Size: %d\nMaintainer: Debian Maintainers <maint@lists.debian.org>\nArchitecture: amd64\n"+
			"Multi-Arch: same\nSource: source-%d\nVersion: 1.%d-2+deb12u1\nDepends: libc6 (>= 2.34), zlib1g (>= 1:1.2.0)\n"+
			"Description: library number %d\n This package provides a library.\n .\n It is generated for a benchmark.\n"+
			"Homepage: https://example.org/%d\n\n", i, 100+i, i, i, i, i)
	}
	return b.String()
}

func BenchmarkDpkg(b *testing.B) {
	status := dpkgStatus(1000)
	b.SetBytes(int64(len(status)))
	for b.Loop() {
		list, _, err := readDpkgStatus(strings.NewReader(status))
		if err != nil || len(list) != 1000 {
			b.Fatalf("readDpkgStatus = %d packages, %v; want 1000", len(list), err)
		}
	}
}

func TestParseRPMList(t *testing.T) {
	out := "bash\tx86_64\t5.1.8-9.el9\t1715000123\t7738634\tRocky Enterprise Software Foundation\tThe GNU Bourne Again shell\tUnspecified\thttps://www.gnu.org/software/bash\n" +
		"gpg-pubkey\t(none)\tb86b3716-61e69f29\t1715000001\t0\t(none)\tpublic key\tPublic Keys\t(none)\n" +
		"short\tline\n"
	got := parseRPMList(out, time.UTC)
	want := []Software{
		{Name: "bash", Arch: "x86_64", Version: "5.1.8-9.el9", InstallDate: "2024-05-06", Filesize: 7738634,
			Publisher: "Rocky Enterprise Software Foundation", Comments: "The GNU Bourne Again shell",
			SystemCategory: "Unspecified", URLInfoAbout: "https://www.gnu.org/software/bash", From: "rpm"},
		{Name: "gpg-pubkey", Version: "b86b3716-61e69f29", InstallDate: "2024-05-06", Comments: "public key",
			SystemCategory: "Public Keys", From: "rpm"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parseRPMList = %+v, want %+v", got, want)
	}
}

func TestParsePacmanDesc(t *testing.T) {
	desc := "%NAME%\nbash\n\n%VERSION%\n5.2.026-2\n\n%BASE%\nbash\n\n%DESC%\nThe GNU Bourne Again shell\n\n" +
		"%URL%\nhttps://www.gnu.org/software/bash/bash.html\n\n%ARCH%\nx86_64\n\n%BUILDDATE%\n1706000000\n\n" +
		"%INSTALLDATE%\n1718000000\n\n%PACKAGER%\nFelix Yan <felixonmars@archlinux.org>\n\n%SIZE%\n9239040\n\n" +
		"%LICENSE%\nGPL-3.0-or-later\n\n%DEPENDS%\nreadline\nlibreadline.so=8-64\nglibc\nncurses\n"
	got := parsePacmanDesc(desc, time.UTC)
	want := Software{Name: "bash", Version: "5.2.026-2", Comments: "The GNU Bourne Again shell",
		URLInfoAbout: "https://www.gnu.org/software/bash/bash.html", Arch: "x86_64", InstallDate: "2024-06-10",
		Publisher: "Felix Yan", Filesize: 9239040, From: "pacman"}
	if got != want {
		t.Errorf("parsePacmanDesc = %+v, want %+v", got, want)
	}
}

func TestParseSnapYAML(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"name: core22\nversion: '20240904'\nsummary: Runtime\n", map[string]string{"name": "core22", "version": "20240904", "summary": "Runtime"}},
		{"name: x\nversion: \"1.0\"\ndescription: |\n  long: text\napps:\n  x:\n    command: bin/x\n", map[string]string{"name": "x", "version": "1.0"}},
		{"summary: 'it''s'\n", map[string]string{"summary": "it's"}},
	}
	for _, tt := range tests {
		if got := parseSnapYAML(tt.in); !mapsEqual(got, tt.want) {
			t.Errorf("parseSnapYAML(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestParseFlatpakApp(t *testing.T) {
	meta := `<?xml version="1.0" encoding="UTF-8"?>
<component type="desktop-application">
  <id>org.gnome.Calculator</id>
  <name>Calculator</name>
  <name xml:lang="fr">Calculatrice</name>
  <summary>Perform arithmetic, scientific or financial calculations</summary>
  <url type="homepage">https://apps.gnome.org/Calculator/</url>
  <developer id="org.gnome"><name>The GNOME Project</name></developer>
  <releases>
    <release version="46.1" date="2024-04-20"/>
    <release version="46.0" date="2024-03-16"/>
  </releases>
</component>`
	tests := []struct {
		name, ref, meta string
		want            Software
	}{
		{"metainfo", "app/org.gnome.Calculator/x86_64/stable", meta, Software{Name: "Calculator", Version: "46.1", Arch: "x86_64",
			Publisher: "The GNOME Project", Comments: "Perform arithmetic, scientific or financial calculations",
			URLInfoAbout: "https://apps.gnome.org/Calculator/", From: "flatpak"}},
		{"no metainfo", "app/org.example.App/aarch64/stable", "", Software{Name: "org.example.App", Arch: "aarch64", From: "flatpak"}},
		{"bad xml", "app/org.example.App/x86_64/beta", "<component>", Software{Name: "org.example.App", Arch: "x86_64", From: "flatpak"}},
	}
	for _, tt := range tests {
		if got := parseFlatpakApp(tt.ref, []byte(tt.meta)); got != tt.want {
			t.Errorf("parseFlatpakApp(%s) = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseAPKInstalled(t *testing.T) {
	db := "C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nS:410793\nI:667648\nT:the musl c library\nU:https://musl.libc.org/\n" +
		"m:Timo Teräs <timo.teras@iki.fi>\nF:lib\nR:libc.so\n\nP:busybox\nV:1.36.1-r29\n"
	got := parseAPKInstalled(db)
	want := []Software{
		{Name: "musl", Version: "1.2.5-r0", Arch: "x86_64", Filesize: 667648, Comments: "the musl c library",
			URLInfoAbout: "https://musl.libc.org/", Publisher: "Timo Teräs", From: "apk"},
		{Name: "busybox", Version: "1.36.1-r29", From: "apk"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parseAPKInstalled = %+v, want %+v", got, want)
	}
}
