package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

func init() { Register("software", "softwares", true, collectSoftware) }

// packageSource lists the packages of one package manager; it returns
// fs.ErrNotExist when the manager is not installed.
type packageSource struct {
	name string
	list func(ctx context.Context, env *Env, loc *time.Location) ([]Software, error)
}

var packageSources = []packageSource{
	{"dpkg", dpkgPackages},
	{"rpm", rpmPackages},
	{"pacman", pacmanPackages},
	{"apk", apkPackages},
	{"snap", snapPackages},
	{"flatpak", flatpakPackages},
}

func collectSoftware(ctx context.Context, env *Env) (any, error) {
	loc := hostLocation(env)
	var all []Software
	var errs []error
	for _, src := range packageSources {
		list, err := src.list(ctx, env, loc)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			errs = append(errs, err)
		}
		env.Log().Debug("packages", "manager", src.name, "count", len(list))
		all = append(all, list...)
	}
	if len(all) == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, err := range errs {
		env.Log().Debug("some packages were not listed", "err", err)
	}
	if all == nil {
		return nil, NoData("no package manager")
	}
	return all, nil
}

// dpkgPackages reads dpkg's status database. A package's install date is
// the time its file list was last written, that is when it was last
// installed or upgraded.
func dpkgPackages(_ context.Context, env *Env, loc *time.Location) ([]Software, error) {
	f, err := os.Open(env.Path("/var/lib/dpkg/status"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	list, lists, err := readDpkgStatus(f)
	if err != nil {
		return nil, err
	}
	publisher := distributor(parseOSRelease(env.ReadString("/etc/os-release"))["ID"])
	// Install dates are the times of the packages' file lists: a stat each,
	// relative to the directory opened once (a thousand packages' worth of
	// path walks was a third of the collector's time).
	info, err := os.Open(env.Path("/var/lib/dpkg/info"))
	if err == nil {
		defer info.Close()
	}
	for i := range list {
		p := &list[i]
		p.Publisher = publisher
		if info == nil {
			continue
		}
		if t, ok := listTime(info, lists[i], p); ok {
			p.InstallDate = t.In(loc).Format(dateLayout)
		}
	}
	return list, nil
}

// listTime returns the modification time of a package's file list in
// dpkg's info directory: name as the status file implies it, else the
// other form (pkg.list or pkg:arch.list), which older dpkg and packages
// whose Multi-Arch changed leave.
func listTime(info *os.File, name string, p *Software) (time.Time, bool) {
	var st unix.Stat_t
	fd := int(info.Fd())
	err := unix.Fstatat(fd, name, &st, 0)
	if err != nil {
		other := p.Name + ".list"
		if other == name {
			other = p.Name + ":" + p.Arch + ".list"
		}
		err = unix.Fstatat(fd, other, &st, 0)
	}
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(st.Mtim.Unix()), true
}

// rpmDatabases are the files of rpm's database in its three formats
// (SQLite, NDB, Berkeley DB) and two locations. Debian's rpm package leaves
// an empty /var/lib/rpm, so the directory alone proves nothing.
var rpmDatabases = []string{
	"/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages.db", "/var/lib/rpm/Packages",
	"/usr/lib/sysimage/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/Packages.db", "/usr/lib/sysimage/rpm/Packages",
}

// rpmPackages asks rpm for its database, whose formats only rpm reads
// reliably.
func rpmPackages(ctx context.Context, env *Env, loc *time.Location) ([]Software, error) {
	if !slices.ContainsFunc(rpmDatabases, func(p string) bool { return exists(env, p) }) {
		return nil, fs.ErrNotExist
	}
	out, err := env.Run(ctx, "rpm", "-qa", "--root", env.Path("/"), "--queryformat", rpmQueryFormat)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fs.ErrNotExist
		}
		return nil, fmt.Errorf("run rpm: %w", err)
	}
	return parseRPMList(string(out), loc), nil
}

func pacmanPackages(_ context.Context, env *Env, loc *time.Location) ([]Software, error) {
	descs := env.Glob("/var/lib/pacman/local/*/desc")
	if len(descs) == 0 {
		return nil, fs.ErrNotExist
	}
	list := make([]Software, 0, len(descs))
	for _, d := range descs {
		if s := parsePacmanDesc(env.ReadString(d), loc); s.Name != "" {
			list = append(list, s)
		}
	}
	return list, nil
}

func apkPackages(_ context.Context, env *Env, _ *time.Location) ([]Software, error) {
	b, err := env.ReadFile("/lib/apk/db/installed")
	if err != nil {
		return nil, err
	}
	return parseAPKInstalled(string(b)), nil
}

// snapPackages reads the metadata of each mounted snap. The snap file gives
// the install date and size.
func snapPackages(_ context.Context, env *Env, loc *time.Location) ([]Software, error) {
	metas := env.Glob("/snap/*/current/meta/snap.yaml")
	if len(metas) == 0 {
		return nil, fs.ErrNotExist
	}
	var list []Software
	for _, m := range metas {
		s := snapFromYAML(parseSnapYAML(env.ReadString(m)))
		if s.Name == "" {
			continue
		}
		current := filepath.Dir(filepath.Dir(m))
		if rev, err := os.Readlink(env.Path(current)); err == nil {
			file := env.Path("/var/lib/snapd/snaps", s.Name+"_"+filepath.Base(rev)+".snap")
			if fi, err := os.Stat(file); err == nil {
				s.Filesize = fi.Size()
				s.InstallDate = fi.ModTime().In(loc).Format(dateLayout)
			}
		}
		list = append(list, s)
	}
	return list, nil
}

// flatpakPackages reads the system-wide flatpak applications.
func flatpakPackages(_ context.Context, env *Env, loc *time.Location) ([]Software, error) {
	actives := env.Glob("/var/lib/flatpak/app/*/current/active")
	if len(actives) == 0 {
		return nil, fs.ErrNotExist
	}
	var list []Software
	for _, active := range actives {
		appDir := filepath.Dir(filepath.Dir(active))
		id := filepath.Base(appDir)
		// current links to "<arch>/<branch>".
		archBranch, err := os.Readlink(env.Path(appDir, "current"))
		if err != nil {
			continue
		}
		ref := "app/" + id + "/" + filepath.ToSlash(archBranch)
		var meta []byte
		for _, dir := range []string{"metainfo", "appdata"} {
			for _, ext := range []string{".metainfo.xml", ".appdata.xml"} {
				if meta == nil {
					meta, _ = env.ReadFile(filepath.Join(active, "files/share", dir, id+ext))
				}
			}
		}
		s := parseFlatpakApp(ref, meta)
		if fi, err := os.Stat(env.Path(active, "deploy")); err == nil {
			s.InstallDate = fi.ModTime().In(loc).Format(dateLayout)
		}
		list = append(list, s)
	}
	return list, nil
}
