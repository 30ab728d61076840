package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll/server"
	"github.com/glpi-agentd/glpi-agentd/enroll/server/console"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// TestUserCommands: accounts of the console are made, listed, given a new
// password and removed from the command line; a password never comes from
// argv, is stored hashed, and a generated one is printed once.
func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), append(args, "--data-dir", dir), &out)
		return out.String(), err
	}
	out, err := cli("user", "add", "alice", "--role", "admin")
	if err != nil {
		t.Fatalf("user add: %v", err)
	}
	m := regexp.MustCompile(`shown only once:\n\n  (\S+)\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("user add printed no generated password:\n%s", out)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("a brand new password\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"user", "add", "alice", "--role", "admin"}, "exists"},
		{[]string{"user", "add", "bob", "--role", "root"}, "want admin, helpdesk or viewer"},
		{[]string{"user", "add", "bad name", "--role", "viewer"}, "account name"},
		{[]string{"user", "passwd", "nobody", "--password-file", pwFile}, "not found"},
	} {
		if _, err := cli(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	short := filepath.Join(t.TempDir(), "short")
	os.WriteFile(short, []byte("short\n"), 0o600)
	if _, err := cli("user", "add", "carol", "--role", "viewer", "--password-file", short); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("a short password: err = %v, want too short", err)
	}
	if _, err := cli("user", "passwd", "alice", "--password-file", pwFile); err != nil {
		t.Fatalf("user passwd: %v", err)
	}
	if _, err := cli("user", "add", "hugo", "--role", "helpdesk", "--password-file", pwFile); err != nil {
		t.Fatalf("user add --password-file: %v", err)
	}
	out, _ = cli("user", "list")
	if !strings.Contains(out, "alice") || !strings.Contains(out, "admin") || !strings.Contains(out, "hugo") || !strings.Contains(out, "helpdesk") {
		t.Errorf("user list:\n%s", out)
	}

	st, _, err := server.OpenStore(t.Context(), dir, "", "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.(store.ConsoleStore).User(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") || !console.CheckPassword(u.PasswordHash, "a brand new password") || console.CheckPassword(u.PasswordHash, m[1]) {
		t.Errorf("alice's stored password is not the argon2id hash of the new one")
	}
	evs, _ := st.(store.ConsoleStore).SearchEvents(t.Context(), store.EventQuery{Event: "console_password_set"})
	if len(evs) != 1 || !strings.HasPrefix(evs[0].Actor, "cli:") {
		t.Errorf("console_password_set events = %+v, want one by the command line", evs)
	}
	st.Close()
	if _, err := cli("user", "remove", "hugo"); err != nil {
		t.Fatalf("user remove: %v", err)
	}
	if out, _ := cli("user", "list"); strings.Contains(out, "hugo") {
		t.Errorf("hugo still listed after remove:\n%s", out)
	}
}
