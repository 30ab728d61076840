package collectors

import (
	"testing"
	"time"
)

func TestParseOSRelease(t *testing.T) {
	in := "# comment\nNAME=\"Rocky Linux\"\nVERSION_ID='9.4'\nID=rocky\nPRETTY_NAME=\"Say \\\"hi\\\"\"\nbroken line\n"
	got := parseOSRelease(in)
	want := map[string]string{"NAME": "Rocky Linux", "VERSION_ID": "9.4", "ID": "rocky", "PRETTY_NAME": `Say "hi"`}
	if !mapsEqual(got, want) {
		t.Errorf("parseOSRelease = %v, want %v", got, want)
	}
}

func TestParseBootTime(t *testing.T) {
	got, err := parseBootTime("cpu  1 2 3\nbtime 1718000000\nprocesses 3\n")
	if err != nil || !got.Equal(time.Unix(1718000000, 0)) {
		t.Errorf("parseBootTime = %v, %v, want %v", got, err, time.Unix(1718000000, 0))
	}
	if _, err := parseBootTime("cpu 1 2 3\n"); err == nil {
		t.Errorf("parseBootTime(no btime) = nil error, want an error")
	}
}

func TestFormatOffset(t *testing.T) {
	tests := []struct {
		sec  int
		want string
	}{{0, "+0000"}, {3600, "+0100"}, {-4 * 3600, "-0400"}, {5*3600 + 1800, "+0530"}, {-(9*3600 + 1800), "-0930"}}
	for _, tt := range tests {
		if got := formatOffset(tt.sec); got != tt.want {
			t.Errorf("formatOffset(%d) = %q, want %q", tt.sec, got, tt.want)
		}
	}
}

func TestZoneName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/usr/share/zoneinfo/Europe/Paris", "Europe/Paris"},
		{"../usr/share/zoneinfo/UTC", "UTC"},
		{"/usr/share/zoneinfo/posix/Asia/Tokyo", "Asia/Tokyo"},
		{"/etc/alternatives/localtime", ""},
	}
	for _, tt := range tests {
		if got := zoneName(tt.in); got != tt.want {
			t.Errorf("zoneName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseHostID(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{{[]byte{0x00, 0x01, 0x7f, 0x00}, "007f0100"}, {[]byte{1, 2}, ""}, {nil, ""}}
	for _, tt := range tests {
		if got := parseHostID(tt.in); got != tt.want {
			t.Errorf("parseHostID(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFQDNFromHosts(t *testing.T) {
	hosts := "127.0.0.1 localhost\n127.0.1.1 web01.example.com web01 # local\n10.0.0.2 db01\n"
	tests := []struct{ host, want string }{{"web01", "web01.example.com"}, {"db01", ""}, {"other", ""}}
	for _, tt := range tests {
		if got := fqdnFromHosts(hosts, tt.host); got != tt.want {
			t.Errorf("fqdnFromHosts(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}
