package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

func init() {
	Register("local_user", "local_users", true, collectLocalUsers)
	Register("local_group", "local_groups", true, collectLocalGroups)
	Register("user", "users", true, collectUsers)
}

func collectLocalUsers(_ context.Context, env *Env) (any, error) {
	b, err := env.ReadFile("/etc/passwd")
	if err != nil {
		return nil, NoData("no /etc/passwd: %v", err)
	}
	entries := parsePasswd(string(b))
	users := make([]LocalUser, len(entries))
	for i, e := range entries {
		users[i] = e.LocalUser
	}
	return users, nil
}

func collectLocalGroups(_ context.Context, env *Env) (any, error) {
	b, err := env.ReadFile("/etc/group")
	if err != nil {
		return nil, NoData("no /etc/group: %v", err)
	}
	return parseGroup(string(b), parsePasswd(env.ReadString("/etc/passwd"))), nil
}

func collectUsers(_ context.Context, env *Env) (any, error) {
	for _, p := range []string{"/run/utmp", "/var/run/utmp"} {
		b, err := env.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		return parseUtmp(b), nil
	}
	return nil, NoData("no utmp")
}
