//go:build linux || darwin

package collectors

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

func init() {
	runAs = runAsAccount
	fileOwner = fileOwnerName
}

// fileOwnerName returns the name of the account owning path, "" when it
// cannot be read or named.
func fileOwnerName(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	u, err := user.LookupId(strconv.FormatUint(uint64(st.Uid), 10))
	if err != nil {
		return ""
	}
	return u.Username
}

// runAsAccount makes cmd run as account, with its home and without the
// agent's client settings (PGHOST…), when the agent runs as root; as the
// agent itself otherwise, whose own account the server may know. The
// switch is the kernel's, not su's or sudo's, so that no PAM session is
// opened (and logged) at every inventory.
func runAsAccount(cmd *exec.Cmd, account string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup(account)
	if err != nil {
		return fmt.Errorf("look up account %q: %w", account, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("account %q: uid %q, gid %q", account, u.Uid, u.Gid)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	cmd.Dir = "/"
	if st, err := os.Stat(u.HomeDir); err == nil && st.IsDir() {
		cmd.Dir = u.HomeDir
	}
	cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool {
		return strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "HOME=") ||
			strings.HasPrefix(kv, "USER=") || strings.HasPrefix(kv, "LOGNAME=")
	})
	cmd.Env = append(cmd.Env, "HOME="+u.HomeDir, "USER="+account, "LOGNAME="+account)
	return nil
}
