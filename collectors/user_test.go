package collectors

import (
	"slices"
	"testing"
)

func TestParsePasswd(t *testing.T) {
	in := "# comment\nroot:x:0:0:root:/root:/bin/bash\njdoe:x:1000:1000:Jane Doe,Room 1,,:/home/jdoe:/bin/zsh\n+nisuser::::::\nshort:x:1\n"
	got := parsePasswd(in)
	want := []passwdEntry{
		{LocalUser{ID: "0", Login: "root", Name: "root", Home: "/root", Shell: "/bin/bash"}, "0"},
		{LocalUser{ID: "1000", Login: "jdoe", Name: "Jane Doe", Home: "/home/jdoe", Shell: "/bin/zsh"}, "1000"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parsePasswd = %+v, want %+v", got, want)
	}
}

func TestParseGroup(t *testing.T) {
	users := parsePasswd("root:x:0:0::/root:/bin/sh\njdoe:x:1000:100::/home/jdoe:/bin/sh\n")
	in := "root:x:0:\nusers:x:100:alice\nwheel:x:10:jdoe,root\nempty:x:20:\n"
	got := parseGroup(in, users)
	want := []LocalGroup{
		{ID: "0", Name: "root", Members: []string{"root"}},
		{ID: "100", Name: "users", Members: []string{"alice", "jdoe"}},
		{ID: "10", Name: "wheel", Members: []string{"jdoe", "root"}},
		{ID: "20", Name: "empty"},
	}
	if len(got) != len(want) {
		t.Fatalf("parseGroup = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Name != want[i].Name || !slices.Equal(got[i].Members, want[i].Members) {
			t.Errorf("parseGroup[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseUtmp(t *testing.T) {
	rec := func(typ byte, user string) []byte {
		b := make([]byte, utmpSize)
		b[0] = typ
		copy(b[utmpUserOffset:], user)
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want []User
	}{
		{"empty", nil, nil},
		{"sessions", slices.Concat(rec(2, "reboot"), rec(7, "alice"), rec(7, "bob"), rec(7, "alice"), rec(8, "carol")),
			[]User{{Login: "alice"}, {Login: "bob"}}},
		{"full-length login", rec(7, "abcdefghijabcdefghijabcdefghij12"), []User{{Login: "abcdefghijabcdefghijabcdefghij12"}}},
		{"truncated record", rec(7, "dave")[:200], nil},
	}
	for _, tt := range tests {
		if got := parseUtmp(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("parseUtmp(%s) = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
