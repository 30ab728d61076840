package collectors

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
)

// LocalUser is one entry of the local_users section: an /etc/passwd account.
type LocalUser struct {
	ID    string `json:"id"`
	Login string `json:"login,omitempty"`
	Name  string `json:"name,omitempty"`
	Home  string `json:"home,omitempty"`
	Shell string `json:"shell,omitempty"`
}

// LocalGroup is one entry of the local_groups section.
type LocalGroup struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Members []string `json:"members,omitempty"`
}

// User is one entry of the users section: a logged-in user.
type User struct {
	Login  string `json:"login,omitempty"`
	Domain string `json:"domain,omitempty"`
}

// passwdEntry is a parsed /etc/passwd line, with its primary group.
type passwdEntry struct {
	LocalUser
	GID string
}

// parsePasswd parses /etc/passwd. The name is the first field of the GECOS
// ("Jane Doe,Room 12,,"). NIS inclusion lines (+, -) are skipped.
func parsePasswd(s string) []passwdEntry {
	var out []passwdEntry
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < 7 {
			continue
		}
		name, _, _ := strings.Cut(f[4], ",")
		out = append(out, passwdEntry{
			LocalUser: LocalUser{ID: f[2], Login: f[0], Name: name, Home: f[5], Shell: f[6]},
			GID:       f[3],
		})
	}
	return out
}

// parseGroup parses /etc/group and adds to each group the users whose
// primary group it is, as the official agent does.
func parseGroup(s string, users []passwdEntry) []LocalGroup {
	var out []LocalGroup
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < 4 {
			continue
		}
		g := LocalGroup{ID: f[2], Name: f[0]}
		if f[3] != "" {
			g.Members = strings.Split(f[3], ",")
		}
		for _, u := range users {
			if u.GID == g.ID && !slices.Contains(g.Members, u.Login) {
				g.Members = append(g.Members, u.Login)
			}
		}
		out = append(out, g)
	}
	return out
}

// utmp record layout of glibc on 64-bit Linux (x86_64, aarch64, …).
const (
	utmpSize        = 384
	utmpUserProcess = 7
	utmpUserOffset  = 44
	utmpUserLen     = 32
)

// parseUtmp returns the logins of the user processes (sessions) of a utmp
// file, once each, in order.
func parseUtmp(b []byte) []User {
	var out []User
	for ; len(b) >= utmpSize; b = b[utmpSize:] {
		if int16(binary.LittleEndian.Uint16(b)) != utmpUserProcess {
			continue
		}
		login := b[utmpUserOffset : utmpUserOffset+utmpUserLen]
		if i := bytes.IndexByte(login, 0); i >= 0 {
			login = login[:i]
		}
		if len(login) == 0 || slices.ContainsFunc(out, func(u User) bool { return u.Login == string(login) }) {
			continue
		}
		out = append(out, User{Login: string(login)})
	}
	return out
}
