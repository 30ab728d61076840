package collectors

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Install dates are the times of the packages' file lists, named as the
// status file implies (pkg:arch.list for "Multi-Arch: same") or, failing
// that, the other way.
func TestDpkgInstallDates(t *testing.T) {
	root := t.TempDir()
	info := filepath.Join(root, "var/lib/dpkg/info")
	if err := os.MkdirAll(info, 0o755); err != nil {
		t.Fatal(err)
	}
	status := ""
	for _, p := range []struct{ name, multiArch string }{
		{"same", "same"}, {"same-listed-plain", "same"}, {"foreign", "foreign"}, {"plain-listed-arch", ""}, {"unlisted", ""},
	} {
		status += "Package: " + p.name + "\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n"
		if p.multiArch != "" {
			status += "Multi-Arch: " + p.multiArch + "\n"
		}
		status += "\n"
	}
	if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), []byte(status), 0o644); err != nil {
		t.Fatal(err)
	}
	lists := map[string]string{
		"same:amd64.list":              "2021-03-04",
		"same.list":                    "1999-01-01", // not this one's
		"same-listed-plain.list":       "2022-05-06",
		"foreign.list":                 "2023-07-08",
		"foreign:amd64.list":           "1999-01-01", // not this one's
		"plain-listed-arch:amd64.list": "2024-09-10",
	}
	for name, date := range lists {
		p := filepath.Join(info, name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		d, _ := time.ParseInLocation(dateLayout, date, time.UTC)
		if err := os.Chtimes(p, d.Add(12*time.Hour), d.Add(12*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	list, err := dpkgPackages(t.Context(), &Env{Root: root}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"same": "2021-03-04", "same-listed-plain": "2022-05-06", "foreign": "2023-07-08", "plain-listed-arch": "2024-09-10", "unlisted": ""}
	if len(list) != len(want) {
		t.Fatalf("%d packages, want %d", len(list), len(want))
	}
	for _, s := range list {
		if s.InstallDate != want[s.Name] {
			t.Errorf("%s: install date %q, want %q", s.Name, s.InstallDate, want[s.Name])
		}
	}
}
