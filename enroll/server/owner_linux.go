package server

import (
	"fmt"
	"os"
	"syscall"
)

// RunAsDataDirOwner makes a process running as root go on as the owner of
// dataDir when that is another user (the packaged service's glpi-enrolld),
// so that the files it creates there (the database and its journal, the
// server secret) stay readable by the service. It does nothing for other
// users, for a directory root owns, or for one that does not exist yet.
func RunAsDataDirOwner(dataDir string) error {
	if os.Geteuid() != 0 || dataDir == "" {
		return nil
	}
	fi, err := os.Stat(dataDir)
	if err != nil {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	// Group first: once the user is not root, it cannot change groups.
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("run as the owner of %s: %w", dataDir, err)
	}
	if err := syscall.Setgid(int(st.Gid)); err != nil {
		return fmt.Errorf("run as the owner of %s: %w", dataDir, err)
	}
	if err := syscall.Setuid(int(st.Uid)); err != nil {
		return fmt.Errorf("run as the owner of %s: %w", dataDir, err)
	}
	return nil
}
