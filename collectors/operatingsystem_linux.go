package collectors

import (
	"context"
	"os"
	"runtime"
	"strings"
	"time"
	"unicode"

	"golang.org/x/sys/unix"
)

func init() { Register("os", "operatingsystem", true, collectOS) }

func collectOS(ctx context.Context, env *Env) (any, error) {
	rel := parseOSRelease(env.ReadString("/etc/os-release"))
	if len(rel) == 0 {
		rel = parseOSRelease(env.ReadString("/usr/lib/os-release"))
	}
	o := &OperatingSystem{
		Name:          rel["NAME"],
		Version:       rel["VERSION_ID"],
		FullName:      rel["PRETTY_NAME"],
		KernelName:    "linux",
		KernelVersion: env.ReadString("/proc/sys/kernel/osrelease"),
		Arch:          hostArch(env),
		HostID:        parseHostID(readOrNil(env, "/etc/hostid")),
	}
	if o.Version == "" {
		o.Version = rel["VERSION"]
	}
	// Debian's point release ("12.11") is only in /etc/debian_version.
	if v := env.ReadString("/etc/debian_version"); rel["ID"] == "debian" && strings.HasPrefix(v, o.Version+".") {
		o.Version = v
	}
	o.FQDN, o.DNSDomain = hostNames(env)

	loc := hostLocation(env)
	if name := loc.String(); name != "" && name != "Local" {
		_, off := env.Time().In(loc).Zone()
		o.Timezone = &Timezone{Name: name, Offset: formatOffset(off)}
	}
	if b, err := parseBootTime(env.ReadString("/proc/stat")); err == nil {
		o.BootTime = b.In(loc).Format(dateTimeLayout)
	} else {
		env.Log().Debug("no boot time", "err", err)
	}
	if t := installTime(env); !t.IsZero() {
		o.InstallDate = t.In(loc).Format(dateTimeLayout)
	}
	return o, nil
}

func readOrNil(env *Env, name string) []byte {
	b, _ := env.ReadFile(name)
	return b
}

// hostArch returns the machine name uname(2) reports.
func hostArch(env *Env) string {
	if a := env.ReadString("/proc/sys/kernel/arch"); a != "" {
		return a
	}
	if !env.Live() {
		return ""
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		return unix.ByteSliceToString(u.Machine[:])
	}
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

// hostNames returns the host's fully qualified name and DNS domain, from the
// kernel's names and /etc/hosts, without querying DNS.
func hostNames(env *Env) (fqdn, domain string) {
	host := env.ReadString("/proc/sys/kernel/hostname")
	if host == "" || !env.Live() {
		if h := env.ReadString("/etc/hostname"); h != "" {
			host = h
		}
	}
	if host == "" {
		return "", ""
	}
	fqdn = host
	if !strings.Contains(host, ".") {
		if f := fqdnFromHosts(env.ReadString("/etc/hosts"), host); f != "" {
			fqdn = f
		}
	}
	if _, d, ok := strings.Cut(fqdn, "."); ok {
		domain = d
	}
	return fqdn, domain
}

// hostLocation returns the host's time zone from /etc/localtime, named after
// /etc/timezone or the link's zoneinfo path; UTC when it has none.
func hostLocation(env *Env) *time.Location {
	name := env.ReadString("/etc/timezone")
	if name == "" {
		if link, err := os.Readlink(env.Path("/etc/localtime")); err == nil {
			name = zoneName(link)
		}
	}
	data, err := env.ReadFile("/etc/localtime")
	if err != nil {
		if name != "" {
			data, err = env.ReadFile("/usr/share/zoneinfo/" + name)
		}
		if err != nil {
			return time.UTC
		}
	}
	if name == "" || strings.ContainsFunc(name, unicode.IsSpace) {
		name = "localtime"
	}
	loc, err := time.LoadLocationFromTZData(name, data)
	if err != nil {
		env.Log().Debug("bad zoneinfo", "zone", name, "err", err)
		return time.UTC
	}
	return loc
}

// installTime returns when the system was installed: the installer's log
// when one was kept, else the birth of files created at installation. A
// date of 1970 (a file system without birth times, files dated 0 in an
// image) is no date: zero, and the field is left out.
func installTime(env *Env) time.Time {
	for _, p := range []string{"/var/log/installer/syslog", "/root/anaconda-ks.cfg", "/var/log/anaconda/anaconda.log"} {
		if fi, err := os.Stat(env.Path(p)); err == nil && fi.ModTime().Unix() > 0 {
			return fi.ModTime()
		}
	}
	for _, p := range []string{"/lost+found", "/etc/machine-id"} {
		var st unix.Statx_t
		err := unix.Statx(unix.AT_FDCWD, env.Path(p), 0, unix.STATX_BTIME|unix.STATX_MTIME, &st)
		if err != nil {
			continue
		}
		// Some file systems claim a birth time and report zero.
		ts := st.Mtime
		if st.Mask&unix.STATX_BTIME != 0 && st.Btime.Sec > 0 {
			ts = st.Btime
		}
		if ts.Sec <= 0 {
			// 1970: an image's file dates, not an installation's.
			continue
		}
		return time.Unix(ts.Sec, int64(ts.Nsec))
	}
	return time.Time{}
}
