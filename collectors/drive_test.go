package collectors

import (
	"slices"
	"testing"
)

func TestParseMounts(t *testing.T) {
	in := "proc /proc proc rw 0 0\n" +
		"/dev/sda1 / ext4 rw 0 0\n" +
		"tmpfs /run tmpfs rw 0 0\n" +
		"/dev/sdb1 /mnt/My\\040Disk xfs rw 0 0\n" +
		"/dev/sdc1 /srv ext4 rw 0 0\n" +
		"/dev/sdd1 /srv btrfs rw 0 0\n" +
		"server:/export /mnt/nfs nfs4 rw 0 0\n" +
		"short line\n"
	got := parseMounts(in)
	want := []Drive{
		{Volumn: "/dev/sda1", Type: "/", Filesystem: "ext4"},
		{Volumn: "/dev/sdb1", Type: "/mnt/My Disk", Filesystem: "xfs"},
		{Volumn: "/dev/sdd1", Type: "/srv", Filesystem: "btrfs"}, // mounted over /dev/sdc1
		{Volumn: "server:/export", Type: "/mnt/nfs", Filesystem: "nfs4"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parseMounts = %+v, want %+v", got, want)
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		f        func(string) string
		in, want string
	}{
		{unescapeMount, `/a\040b\011c`, "/a b\tc"},
		{unescapeMount, `/plain`, "/plain"},
		{unescapeMount, `/bad\09`, `/bad\09`},
		{unescapeUdev, `My\x20Disk\x2fA`, "My Disk/A"},
		{unescapeUdev, `x\x2`, `x\x2`},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
