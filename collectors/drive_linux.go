package collectors

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shirou/gopsutil/v4/disk"
)

func init() { Register("drive", "drives", true, collectDrives) }

func collectDrives(ctx context.Context, env *Env) (any, error) {
	// PID 1's table is the host's even when the agent runs in a container
	// with the host's /proc; /proc/self/mounts is the fallback.
	mounts := env.ReadString("/proc/1/mounts")
	if mounts == "" {
		mounts = env.ReadString("/proc/self/mounts")
	}
	if mounts == "" {
		return nil, NoData("no mount table")
	}
	drives := slices.DeleteFunc(parseMounts(mounts), func(d Drive) bool { return !mountedOnDir(env, d.Type) })
	uuids := diskLinks(env, "/dev/disk/by-uuid")
	labels := diskLinks(env, "/dev/disk/by-label")
	for i := range drives {
		d := &drives[i]
		if dev := deviceName(env, d.Volumn); dev != "" {
			d.Serial = uuids[dev]
			d.Label = unescapeUdev(labels[dev])
		}
		if env.Live() {
			// On Linux GLPI's drive "type" is the mount point: a path.
			if u, err := disk.UsageWithContext(ctx, d.Type); err == nil {
				d.Total, d.Free = int64(u.Total>>20), int64(u.Free>>20)
			}
		}
	}
	return drives, nil
}

// mountedOnDir reports whether a mount point is a directory, as a file
// system's is. Container runtimes bind-mount single files of the host
// (Docker's /etc/hosts, /etc/hostname and /etc/resolv.conf), which are no
// drives. A mount point that cannot be read counts as a directory.
func mountedOnDir(env *Env, point string) bool {
	fi, err := os.Stat(env.Path(point))
	return err != nil || fi.IsDir()
}

// diskLinks maps kernel device names ("sda1", "dm-0") to the names of the
// udev links to them in dir.
func diskLinks(env *Env, dir string) map[string]string {
	m := make(map[string]string)
	entries, err := os.ReadDir(env.Path(dir))
	if err != nil {
		return m
	}
	for _, e := range entries {
		if target, err := os.Readlink(env.Path(dir, e.Name())); err == nil {
			m[filepath.Base(target)] = e.Name()
		}
	}
	return m
}

// deviceName returns the kernel name of a mounted device path, following
// /dev/mapper and /dev/disk links: "/dev/mapper/vg-root" gives "dm-0".
func deviceName(env *Env, dev string) string {
	if !strings.HasPrefix(dev, "/dev/") {
		return ""
	}
	if target, err := os.Readlink(env.Path(dev)); err == nil {
		return filepath.Base(target)
	}
	return filepath.Base(dev)
}
