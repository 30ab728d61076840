package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/server"
	"github.com/glpi-agentd/glpi-agentd/enroll/server/console"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

const userUsage = `usage: glpi-enrolld user COMMAND [flags]

Accounts of the web console (/ui/ on the admin listener).

commands:
  user add NAME --role admin|helpdesk|viewer [--password-file FILE|-]
                              create an account; without --password-file a
                              password is generated and printed once
  user passwd NAME [--password-file FILE|-]
                              set a new password; ends the account's sessions
  user list                   list the accounts
  user remove NAME            remove an account and end its sessions
`

// userCmd runs the "user" commands.
func userCmd(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, userUsage)
		return errUsage
	}
	if isHelp(args[0]) {
		fmt.Fprint(out, userUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	var (
		sf       storeFlags
		role     string
		pwFile   string
		needName = true
	)
	fs := newFlagSet("user "+sub, &sf)
	switch sub {
	case "add":
		fs.StringVar(&role, "role", "", "admin (everything), helpdesk (devices and run now) or viewer (read only); required")
		fs.StringVar(&pwFile, "password-file", "", "file holding the password, - for standard input; default a generated one, printed once")
	case "passwd":
		fs.StringVar(&pwFile, "password-file", "", "file holding the password, - for standard input; default a generated one, printed once")
	case "list":
		needName = false
	case "remove":
	default:
		fmt.Fprint(os.Stderr, userUsage)
		return fmt.Errorf("unknown command %q", "user "+sub)
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if needName != (len(pos) == 1) || (!needName && len(pos) != 0) {
		return fmt.Errorf("user %s: unexpected arguments %q", sub, pos)
	}
	name := ""
	if needName {
		name = pos[0]
		if !validUserName(name) {
			return fmt.Errorf("user %s: account name %q: want 1 to 64 letters, digits, '.', '_', '-' or '@'", sub, name)
		}
	}
	var r store.Role
	if sub == "add" {
		if r, err = store.ParseRole(role); err != nil {
			return fmt.Errorf("user add: --role: %w", err)
		}
	}
	password, generated := "", false
	if sub == "add" || sub == "passwd" {
		if password, generated, err = readPassword(pwFile); err != nil {
			return fmt.Errorf("user %s: %w", sub, err)
		}
	}
	hash := ""
	if password != "" {
		if hash, err = console.HashPassword(password); err != nil {
			return fmt.Errorf("user %s: %w", sub, err)
		}
	}
	if err := sf.useService(fs); err != nil {
		return err
	}
	st, _, err := server.OpenStore(ctx, sf.dataDir, sf.database, sf.secretFile)
	if err != nil {
		return err
	}
	defer st.Close()
	cs, ok := st.(store.ConsoleStore)
	if !ok {
		return errors.New("user: this store has no console accounts")
	}
	out = server.TextWriter(out)
	audit := func(event, detail string) error {
		return st.AddEvent(ctx, store.Event{At: time.Now(), Event: event, Actor: "cli:" + osUser(), Detail: "account " + name + detail})
	}
	switch sub {
	case "add":
		if err := cs.CreateUser(ctx, &store.User{Name: name, Role: r, PasswordHash: hash, CreatedAt: time.Now()}); err != nil {
			if errors.Is(err, store.ErrExists) {
				return fmt.Errorf("user add: account %s exists; use user passwd to change its password", name)
			}
			return err
		}
		if err := audit("console_user_added", ", role "+string(r)); err != nil {
			return err
		}
		fmt.Fprintf(out, "Account %s created with role %s.\n", name, r)
	case "passwd":
		if err := cs.SetPassword(ctx, name, hash); err != nil {
			return err
		}
		if err := audit("console_password_set", ""); err != nil {
			return err
		}
		fmt.Fprintf(out, "Password of %s changed; its sessions are ended.\n", name)
	case "remove":
		if err := cs.DeleteUser(ctx, name); err != nil {
			return err
		}
		if err := audit("console_user_removed", ""); err != nil {
			return err
		}
		fmt.Fprintf(out, "Account %s removed.\n", name)
		return nil
	case "list":
		users, err := cs.Users(ctx)
		if err != nil {
			return err
		}
		if len(users) == 0 {
			fmt.Fprintln(out, "No account yet: glpi-enrolld user add NAME --role admin")
			return nil
		}
		for _, u := range users {
			fmt.Fprintf(out, "%-24s %-9s created %s\n", u.Name, u.Role, u.CreatedAt.Local().Format("2006-01-02 15:04"))
		}
		return nil
	}
	if generated {
		fmt.Fprintf(out, "Its password, shown only once:\n\n  %s\n", password)
	}
	return nil
}

func validUserName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)) {
			return false
		}
	}
	return true
}

// readPassword reads the first line of file (standard input for "-"), or
// generates a password when file is empty.
func readPassword(file string) (string, bool, error) {
	if file == "" {
		return rand.Text(), true, nil
	}
	var r io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", false, fmt.Errorf("read password: %w", err)
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if len(line) < console.MinPasswordLen {
		return "", false, fmt.Errorf("password too short: want at least %d characters", console.MinPasswordLen)
	}
	return line, false, nil
}

func osUser() string {
	for _, v := range []string{"SUDO_USER", "USER", "USERNAME"} {
		if u := os.Getenv(v); u != "" {
			return u
		}
	}
	return "unknown"
}
