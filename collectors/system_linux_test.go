package collectors

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// systemCollectors are the categories of the operating system, software,
// network and user collectors.
var systemCollectors = []string{
	"antivirus", "drive", "environment", "firewall", "local_group", "local_user",
	"network", "os", "process", "remote_mgmt", "software", "user", "virtualmachine",
}

// fixtureCases are the fixture host roots under testdata/.
var fixtureCases = []string{"laptop", "server", "vm", "container"}

// fixtureNow is the clock of fixture runs.
var fixtureNow = time.Date(2024, 6, 12, 10, 30, 0, 0, time.UTC)

// fixtureEnv returns the Env of a fixture root. Its rpm prints
// testdata/rpm/<name>.txt when the fixture has one, like rpm -qa with
// rpmQueryFormat.
func fixtureEnv(name string) *Env { return fixtureEnvAt(name, "testdata/"+name) }

// fixtureEnvAt is fixtureEnv for a copy of fixture name at root.
func fixtureEnvAt(name, root string) *Env {
	return &Env{
		Root: root,
		Now:  func() time.Time { return fixtureNow },
		Exec: func(_ context.Context, prog string, args ...string) ([]byte, error) {
			want := []string{"-qa", "--root", root, "--queryformat", rpmQueryFormat}
			if prog != "rpm" || !slices.Equal(args, want) {
				return nil, fmt.Errorf("fake exec: unexpected %s %q", prog, args)
			}
			b, err := os.ReadFile("testdata/rpm/" + name + ".txt")
			if errors.Is(err, fs.ErrNotExist) {
				return nil, exec.ErrNotFound
			}
			return b, err
		},
	}
}

// collectSection runs collector name on env and validates what it returns
// against the schema. It returns nil when the collector has no data.
func collectSection(t *testing.T, env *Env, name string) any {
	t.Helper()
	info, ok := Lookup(name)
	if !ok {
		t.Fatalf("Lookup(%q) found nothing", name)
	}
	v, err := info.Collect(t.Context(), env)
	if errors.Is(err, ErrNoData) {
		return nil
	}
	if err != nil {
		t.Fatalf("%s on %s: %v", name, env.root(), err)
	}
	if count(v) > 0 {
		schematest.Validate(t, map[string]any{
			"deviceid": "x-2024-01-01-00-00-00",
			"content":  map[string]any{"versionclient": "test", info.Key: v},
		})
	}
	return v
}

// TestLiveSystem runs the collectors on this machine: each must succeed or
// have no data, and what it returns must be valid.
func TestLiveSystem(t *testing.T) {
	for _, name := range systemCollectors {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			v := collectSection(t, &Env{}, name)
			t.Logf("%s: %v, %d items", name, time.Since(start), count(v))
		})
	}
}

// TestFixturesValid runs every collector on every fixture root.
func TestFixturesValid(t *testing.T) {
	for _, c := range fixtureCases {
		for _, name := range systemCollectors {
			t.Run(c+"/"+name, func(t *testing.T) { collectSection(t, fixtureEnv(c), name) })
		}
	}
}

var (
	dateRE     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	dateTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)
)

// TestFixtureBootTimes checks that every fixture host booted before the
// fixture clock, which process start times and CPU usage count from.
func TestFixtureBootTimes(t *testing.T) {
	for _, name := range fixtureCases {
		boot, err := parseBootTime(fixtureEnv(name).ReadString("/proc/stat"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !boot.Before(fixtureNow) || boot.Before(fixtureNow.AddDate(0, -3, 0)) {
			t.Errorf("%s booted at %v, want within the three months before the fixture clock %v", name, boot.UTC(), fixtureNow)
		}
	}
}

func TestOSFixtures(t *testing.T) {
	tests := []struct {
		root string
		want OperatingSystem
	}{
		{"laptop", OperatingSystem{
			Name: "Debian GNU/Linux", Version: "12.7", FullName: "Debian GNU/Linux 12 (bookworm)",
			KernelName: "linux", KernelVersion: "6.1.0-25-amd64", Arch: "x86_64", FQDN: "jdoe-x1",
			BootTime: "2024-06-10 08:13:20", Timezone: &Timezone{Name: "Europe/Paris", Offset: "+0200"},
		}},
		{"server", OperatingSystem{
			Name: "Rocky Linux", Version: "9.4", FullName: "Rocky Linux 9.4 (Blue Onyx)",
			KernelName: "linux", KernelVersion: "5.14.0-427.13.1.el9_4.x86_64", Arch: "x86_64",
			FQDN: "db01.corp.example.com", DNSDomain: "corp.example.com",
			BootTime: "2024-05-06 08:53:20", Timezone: &Timezone{Name: "America/New_York", Offset: "-0400"},
		}},
		{"vm", OperatingSystem{
			Name: "Debian GNU/Linux", Version: "12", FullName: "Debian GNU/Linux 12 (bookworm)",
			KernelName: "linux", KernelVersion: "6.1.0-25-cloud-amd64", Arch: "x86_64", FQDN: "web-vm",
			BootTime: "2024-06-08 08:00:00", Timezone: &Timezone{Name: "UTC", Offset: "+0000"},
		}},
		{"container", OperatingSystem{
			Name: "Alpine Linux", Version: "3.20.3", FullName: "Alpine Linux v3.20",
			KernelName: "linux", KernelVersion: "6.1.0-25-amd64", Arch: "x86_64", FQDN: "3f2a9c1b7d4e",
			BootTime: "2024-06-09 10:30:00", Timezone: &Timezone{Name: "UTC", Offset: "+0000"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			got := *collectSection(t, fixtureEnv(tt.root), "os").(*OperatingSystem)
			if got.InstallDate != "" && !dateTimeRE.MatchString(got.InstallDate) {
				t.Errorf("install_date = %q, want YYYY-MM-DD HH:MM:SS", got.InstallDate)
			}
			got.InstallDate = ""
			if got.Timezone != nil && tt.want.Timezone != nil && *got.Timezone == *tt.want.Timezone {
				got.Timezone = tt.want.Timezone
			}
			if got != tt.want {
				t.Errorf("os on %s = %+v, want %+v", tt.root, got, tt.want)
			}
		})
	}
}

func TestSoftwareFixtures(t *testing.T) {
	tests := []struct {
		root      string
		n         int
		from      string
		publisher string
		first     string
	}{
		{"laptop", 32, "deb", "Debian", "adduser"},
		{"vm", 11 + 2, "deb", "Debian", "adduser"},
		{"server", 5, "rpm", "Rocky Enterprise Software Foundation", "bash"},
		{"container", 3, "apk", "Timo Teräs", "musl"},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			got := collectSection(t, fixtureEnv(tt.root), "software").([]Software)
			if len(got) != tt.n {
				t.Fatalf("software on %s: %d packages, want %d", tt.root, len(got), tt.n)
			}
			if got[0].Name != tt.first || got[0].From != tt.from || got[0].Publisher != tt.publisher {
				t.Errorf("software on %s: first = %+v, want %s from %s by %s", tt.root, got[0], tt.first, tt.from, tt.publisher)
			}
			for _, s := range got {
				if s.Name == "nano" || s.Name == "half-done" {
					t.Errorf("software on %s lists %s, which is not installed", tt.root, s.Name)
				}
				if s.From != "snap" && s.From != "apk" && !dateRE.MatchString(s.InstallDate) {
					t.Errorf("software on %s: %s install_date = %q, want YYYY-MM-DD", tt.root, s.Name, s.InstallDate)
				}
			}
		})
	}
	t.Run("snap", func(t *testing.T) {
		got := collectSection(t, fixtureEnv("vm"), "software").([]Software)
		want := []Software{
			{Name: "core22", Version: "20240904", Comments: "Runtime environment based on Ubuntu 22.04", From: "snap", Filesize: 4096},
			{Name: "lxd", Version: "5.21.2-2f4ba6b", Comments: "LXD - container and VM manager", From: "snap", Filesize: 4096},
		}
		snaps := got[len(got)-2:]
		for i := range snaps {
			if !dateRE.MatchString(snaps[i].InstallDate) {
				t.Errorf("snap %s install_date = %q, want YYYY-MM-DD", snaps[i].Name, snaps[i].InstallDate)
			}
			snaps[i].InstallDate = ""
		}
		if !slices.Equal(snaps, want) {
			t.Errorf("snaps = %+v, want %+v", snaps, want)
		}
	})
}

func TestDrivesFixtures(t *testing.T) {
	got := collectSection(t, fixtureEnv("laptop"), "drive").([]Drive)
	want := []Drive{
		{Volumn: "/dev/mapper/vg0-root", Type: "/", Filesystem: "ext4", Serial: "0f4c1a0e-8a5b-4d1c-9d3e-2b7f6a1c0d11", Label: "root"},
		{Volumn: "/dev/nvme0n1p2", Type: "/boot", Filesystem: "ext4", Serial: "5a1e9b2c-3d4f-4e6a-8b7c-9d0e1f2a3b4c"},
		{Volumn: "/dev/nvme0n1p1", Type: "/boot/efi", Filesystem: "vfat", Serial: "A1B2-C3D4", Label: "EFI"},
		{Volumn: "/dev/mapper/vg0-home", Type: "/home", Filesystem: "ext4", Serial: "7c9d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f", Label: "home"},
		{Volumn: "/dev/sda1", Type: "/media/jdoe/USB STICK", Filesystem: "vfat", Serial: "1234-ABCD", Label: "USB STICK"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("drives on laptop = %+v, want %+v", got, want)
	}
	server := collectSection(t, fixtureEnv("server"), "drive").([]Drive)
	if len(server) != 4 || server[3].Volumn != "nas01:/export/backup" || server[0].Serial == "" {
		t.Errorf("drives on server = %+v, want /, /boot, /var/lib/pgsql and the NFS share, / with its UUID", server)
	}
	container := collectSection(t, fixtureEnv("container"), "drive").([]Drive)
	if want := []Drive{{Volumn: "overlay", Type: "/", Filesystem: "overlay"}}; !slices.Equal(container, want) {
		t.Errorf("drives on container = %+v, want %+v, not the files Docker mounts over /etc's", container, want)
	}
}

func TestMountedOnDir(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(root+"/etc", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(root+"/etc/hosts", []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := &Env{Root: root}
	tests := []struct {
		point string
		want  bool
	}{
		{"/", true},
		{"/etc", true},
		{"/etc/hosts", false},
		{"/mnt/gone", true}, // not in the root: kept
	}
	for _, tt := range tests {
		if got := mountedOnDir(env, tt.point); got != tt.want {
			t.Errorf("mountedOnDir(%q) = %v, want %v", tt.point, got, tt.want)
		}
	}
}

func TestNetworksFixtures(t *testing.T) {
	byName := func(list []Network) map[string][]Network {
		m := make(map[string][]Network)
		for _, n := range list {
			m[n.Description] = append(m[n.Description], n)
		}
		return m
	}
	laptop := byName(collectSection(t, fixtureEnv("laptop"), "network").([]Network))
	lo := Network{Description: "lo", Type: "loopback", Status: "up", MAC: "00:00:00:00:00:00", MTU: 65536, VirtualDev: true}
	wifi := Network{Description: "wlp0s20f3", Type: "wifi", Status: "up", MAC: "8c:f8:c5:1a:2b:3c", MTU: 1500,
		Driver: "iwlwifi", PCIID: "8086:A0F0:0244:8086", PCISlot: "0000:00:14.3"}
	tests := []struct {
		name string
		got  []Network
		want []Network
	}{
		{"lo", laptop["lo"], []Network{
			with(lo, func(n *Network) { n.IPAddress, n.IPMask, n.IPSubnet = "127.0.0.1", "255.0.0.0", "127.0.0.0" }),
			with(lo, func(n *Network) {
				n.IPAddress6, n.IPMask6, n.IPSubnet6 = "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1"
			}),
		}},
		{"enp0s31f6", laptop["enp0s31f6"], []Network{{Description: "enp0s31f6", Type: "ethernet", Status: "down",
			MAC: "54:e1:ad:11:22:33", MTU: 1500, Driver: "e1000e", PCIID: "8086:15FB:22BE:17AA", PCISlot: "0000:00:1f.6"}}},
		{"docker0", laptop["docker0"][:1], []Network{{Description: "docker0", Type: "bridge", Status: "down",
			MAC: "02:42:ac:11:00:01", MTU: 1500, VirtualDev: true}}},
		{"wifi v6", laptop["wlp0s20f3"][len(laptop["wlp0s20f3"])-2:], []Network{
			with(wifi, func(n *Network) {
				n.IPAddress6, n.IPMask6, n.IPSubnet6 = "fe80::8ef8:c5ff:fe1a:2b3c", "ffff:ffff:ffff:ffff::", "fe80::"
			}),
			with(wifi, func(n *Network) {
				n.IPAddress6, n.IPMask6, n.IPSubnet6 = "2a01:4f8:c0c0:1234::42", "ffff:ffff:ffff:ffff::", "2a01:4f8:c0c0:1234::"
			}),
		}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("networks on laptop, %s = %+v, want %+v", tt.name, tt.got, tt.want)
		}
	}

	server := byName(collectSection(t, fixtureEnv("server"), "network").([]Network))
	if b := server["bond0"]; len(b) != 1 || b[0].Type != "aggregate" || b[0].Slaves != "eno1,eno2" || !b[0].VirtualDev || b[0].Speed != "20000" {
		t.Errorf("server bond0 = %+v, want a virtual aggregate of eno1,eno2 at 20000", b)
	}
	if b := server["br0"]; len(b) == 0 || b[0].Type != "bridge" || b[0].Slaves != "vnet0" {
		t.Errorf("server br0 = %+v, want a bridge of vnet0", b)
	}
	if b := server["bond0"][0]; b.IPAddress != "10.0.0.21" || b.IPMask != "255.255.0.0" || b.IPSubnet != "10.0.0.0" || b.IPGateway != "10.0.0.1" {
		t.Errorf("server bond0 address = %+v, want 10.0.0.21/255.255.0.0 in 10.0.0.0 via 10.0.0.1", b)
	}
	vm := byName(collectSection(t, fixtureEnv("vm"), "network").([]Network))
	if e := vm["ens3"]; len(e) == 0 || e[0].Driver != "virtio_net" || e[0].PCISlot != "0000:00:03.0" || e[0].VirtualDev {
		t.Errorf("vm ens3 = %+v, want the virtio_net device at 0000:00:03.0", e)
	}
	if e := vm["ens3"]; len(e) != 2 || e[0].IPAddress != "192.168.122.15" || e[0].IPMask != "255.255.255.0" ||
		e[0].IPSubnet != "192.168.122.0" || e[0].IPGateway != "192.168.122.1" || e[1].IPAddress6 != "fe80::5054:ff:fe12:3456" {
		t.Errorf("vm ens3 = %+v, want 192.168.122.15/24 by way of 192.168.122.1, and fe80::5054:ff:fe12:3456", e)
	}
	// IPv4 addresses are placed on interfaces through the routing table.
	if _, err := os.Stat("testdata/laptop/proc/net/route"); err == nil {
		var v4 []string
		for _, n := range laptop["wlp0s20f3"] {
			if n.IPAddress != "" {
				v4 = append(v4, n.IPAddress+"/"+n.IPMask+" via "+n.IPGateway)
			}
		}
		if len(v4) != 1 || v4[0] != "192.168.1.42/255.255.255.0 via 192.168.1.1" {
			t.Errorf("laptop wlp0s20f3 IPv4 = %q, want 192.168.1.42/255.255.255.0 via 192.168.1.1", v4)
		}
	}
}

// with returns a copy of n changed by f.
func with(n Network, f func(*Network)) Network {
	f(&n)
	return n
}

func TestUsersFixtures(t *testing.T) {
	users := collectSection(t, fixtureEnv("laptop"), "local_user").([]LocalUser)
	jdoe := LocalUser{ID: "1000", Login: "jdoe", Name: "Jane Doe", Home: "/home/jdoe", Shell: "/bin/bash"}
	if len(users) != 9 || users[8] != jdoe {
		t.Errorf("local_users on laptop: %d, last %+v, want 9, last %+v", len(users), users[len(users)-1], jdoe)
	}
	groups := collectSection(t, fixtureEnv("laptop"), "local_group").([]LocalGroup)
	want := map[string][]string{"root": {"root"}, "sudo": {"jdoe"}, "jdoe": {"jdoe"}, "adm": nil, "nogroup": {"nobody", "sshd"}}
	for _, g := range groups {
		if w, ok := want[g.Name]; ok && !slices.Equal(g.Members, w) {
			t.Errorf("local group %s members = %q, want %q", g.Name, g.Members, w)
		}
	}
	if len(groups) != 12 {
		t.Errorf("local_groups on laptop: %d, want 12", len(groups))
	}

	root := t.TempDir()
	utmp := slices.Concat(utmpRecord(2, "reboot", "~"), utmpRecord(7, "jdoe", "tty2"),
		utmpRecord(7, "root", "pts/0"), utmpRecord(8, "gone", "pts/1"), utmpRecord(7, "jdoe", "pts/2"))
	if err := os.MkdirAll(root+"/run", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(root+"/run/utmp", utmp, 0o644); err != nil {
		t.Fatal(err)
	}
	got := collectSection(t, &Env{Root: root}, "user").([]User)
	if w := []User{{Login: "jdoe"}, {Login: "root"}}; !slices.Equal(got, w) {
		t.Errorf("users = %+v, want %+v", got, w)
	}
}

func TestFirewallFixtures(t *testing.T) {
	tests := []struct{ root, want string }{
		{"laptop", "on"},  // ufw enabled
		{"server", "on"},  // firewalld enabled
		{"vm", "off"},     // ufw disabled
		{"container", ""}, // none installed
	}
	for _, tt := range tests {
		got := ""
		if v := collectSection(t, fixtureEnv(tt.root), "firewall"); v != nil {
			got = v.([]Firewall)[0].Status
		}
		if got != tt.want {
			t.Errorf("firewall status on %s = %q, want %q", tt.root, got, tt.want)
		}
	}
}

func TestVirtualMachinesFixtures(t *testing.T) {
	laptop := collectSection(t, fixtureEnv("laptop"), "virtualmachine").([]VirtualMachine)
	wantLaptop := []VirtualMachine{
		{Name: "web", Status: "running", VMType: "docker", UUID: "4f3c2b1a0e9d", Image: "nginx:1.27", MAC: "02:42:ac:11:00:02", IPAddress: "172.17.0.2"},
		{Name: "db", Status: "off", VMType: "docker", UUID: "9a8b7c6d5e4f", Image: "postgres:16"},
	}
	if !slices.Equal(laptop, wantLaptop) {
		t.Errorf("virtualmachines on laptop = %+v, want %+v", laptop, wantLaptop)
	}
	server := collectSection(t, fixtureEnv("server"), "virtualmachine").([]VirtualMachine)
	wantServer := []VirtualMachine{
		{Name: "build01", Status: "off", Subsystem: "kvm", VMType: "libvirt", UUID: "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", Memory: 2048, VCPU: 2},
		{Name: "win2022", Status: "running", Subsystem: "kvm", VMType: "libvirt", UUID: "6b9d1c3e-2f4a-4b5c-8d7e-9f0a1b2c3d4e", Memory: 8192, VCPU: 4, MAC: "52:54:00:ab:cd:01"},
	}
	if !slices.Equal(server, wantServer) {
		t.Errorf("virtualmachines on server = %+v, want %+v", server, wantServer)
	}
}

func TestRemoteMgmtFixtures(t *testing.T) {
	tests := []struct {
		root string
		want []RemoteMgmt
	}{
		{"laptop", []RemoteMgmt{{ID: "1234567890", Type: "teamviewer"}}},
		{"vm", []RemoteMgmt{{ID: "987654321", Type: "anydesk"}}},
		{"server", nil},
	}
	for _, tt := range tests {
		got, _ := collectSection(t, fixtureEnv(tt.root), "remote_mgmt").([]RemoteMgmt)
		if !slices.Equal(got, tt.want) {
			t.Errorf("remote_mgmt on %s = %+v, want %+v", tt.root, got, tt.want)
		}
	}
}

func TestAntivirusFixtures(t *testing.T) {
	got := collectSection(t, fixtureEnv("server"), "antivirus").([]Antivirus)
	if len(got) != 1 {
		t.Fatalf("antivirus on server = %+v, want ClamAV", got)
	}
	av := got[0]
	if av.Name != "ClamAV" || !av.Enabled || av.BaseVersion != "27300" || av.BaseCreation != "2024-06-10" || av.Uptodate == nil || !*av.Uptodate {
		t.Errorf("antivirus on server = %+v, want enabled ClamAV with fresh base 27300 of 2024-06-10", av)
	}
}

func TestEnvironmentFixture(t *testing.T) {
	got := collectSection(t, fixtureEnv("container"), "environment").([]EnvVar)
	want := []EnvVar{
		{"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		{"HOSTNAME", "3f2a9c1b7d4e"}, {"HOME", "/root"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("envs on container = %+v, want %+v", got, want)
	}
}

func TestProcessesFixture(t *testing.T) {
	got := collectSection(t, fixtureEnv("container"), "process").([]Process)
	if len(got) != 2 {
		t.Fatalf("processes on container = %+v, want 2", got)
	}
	sh, app := got[0], got[1]
	if sh.PID != 1 || sh.User != "root" || sh.Cmd != "/bin/sh -c /usr/local/bin/app --listen :8080" || sh.TTY != "?" ||
		sh.Started != "2024-06-09 10:30:01" || sh.CPUUsage != "0.0" || sh.VirtualMemory != 1680 {
		t.Errorf("process 1 = %+v", sh)
	}
	if app.PID != 23 || app.User != "app" || app.TTY != "pts/0" || app.Cmd != "/usr/local/bin/app --listen :8080" ||
		app.Started != "2024-06-09 10:30:02" || app.CPUUsage != "0.0" {
		t.Errorf("process 23 = %+v", app)
	}
}

// utmpRecord builds a 64-bit glibc utmp record.
func utmpRecord(typ int16, user, line string) []byte {
	b := make([]byte, utmpSize)
	binary.LittleEndian.PutUint16(b, uint16(typ))
	copy(b[8:40], line)
	copy(b[utmpUserOffset:utmpUserOffset+utmpUserLen], user)
	return b
}
