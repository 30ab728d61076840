package collectors

import (
	"testing"
)

func TestParseDockerConfig(t *testing.T) {
	tests := []struct {
		name, in string
		want     VirtualMachine
	}{
		{"running, two networks", `{"ID":"3f2a8c1d9e4b7a6f5c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b","Name":"/app","Config":{"Image":"app:1"},"State":{"Running":true},
			"NetworkSettings":{"Networks":{"zeta":{"IPAddress":"10.1.0.2","MacAddress":"02:42:0a:01:00:02"},
			"alpha":{"IPAddress":"10.2.0.2","MacAddress":"02:42:0a:02:00:02"}}}}`,
			VirtualMachine{Name: "app", UUID: "3f2a8c1d9e4b", Image: "app:1", VMType: "docker", Status: "running", IPAddress: "10.2.0.2", MAC: "02:42:0a:02:00:02"}},
		{"paused", `{"Name":"/p","State":{"Running":true,"Paused":true}}`, VirtualMachine{Name: "p", VMType: "docker", Status: "paused"}},
		{"stopped", `{"Name":"/s","State":{}}`, VirtualMachine{Name: "s", VMType: "docker", Status: "off"}},
	}
	for _, tt := range tests {
		got, err := parseDockerConfig([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("parseDockerConfig(%s) = %+v, %v, want %+v", tt.name, got, err, tt.want)
		}
	}
	if _, err := parseDockerConfig([]byte("{")); err == nil {
		t.Errorf("parseDockerConfig(bad JSON) = nil error, want an error")
	}
}

func TestToMiB(t *testing.T) {
	tests := []struct {
		v    int64
		unit string
		want int64
	}{{8388608, "KiB", 8192}, {8388608, "", 8192}, {2, "GiB", 2048}, {512, "MiB", 512}, {1 << 30, "bytes", 1024}, {1, "TB?", 0}}
	for _, tt := range tests {
		if got := toMiB(tt.v, tt.unit); got != tt.want {
			t.Errorf("toMiB(%d, %q) = %d, want %d", tt.v, tt.unit, got, tt.want)
		}
	}
}

func TestParseLXCConfig(t *testing.T) {
	for _, tc := range []struct {
		name, dir, conf string
		want            VirtualMachine
		rootfs          string
	}{
		{"named by its directory", "web", "# Template used to create this container\nlxc.include = /usr/share/lxc/config/common.conf\n" +
			"lxc.uts.name = web1\nlxc.net.0.type = veth\nlxc.net.0.hwaddr = 00:16:3E:AA:BB:CC\nlxc.net.1.hwaddr = 00:16:3e:00:00:01\n" +
			"lxc.rootfs.path = dir:/var/lib/lxc/web/rootfs\nlxc.cgroup2.memory.max = 512M\nlxc.cgroup2.cpuset.cpus = 0,3-5\n",
			VirtualMachine{Name: "web", VMType: "lxc", MAC: "00:16:3e:aa:bb:cc", Memory: 512, VCPU: 4}, "/var/lib/lxc/web/rootfs"},
		{"Proxmox: an id, named by lxc.uts.name", "101", "lxc.arch = amd64\nlxc.uts.name = db01\nlxc.rootfs.path = /var/lib/lxc/101/rootfs\n" +
			"lxc.cgroup2.memory.max = 2147483648\nlxc.cgroup2.cpuset.cpus = 2\n",
			VirtualMachine{Name: "db01", VMType: "lxc", Memory: 2048, VCPU: 1}, "/var/lib/lxc/101/rootfs"},
		{"LXC 2.0 keys, an overlay, no limits", "old", "lxc.utsname = x\nlxc.network.hwaddr = 00:16:3e:00:00:02\n" +
			"lxc.rootfs = overlayfs:/var/lib/lxc/base/rootfs:/var/lib/lxc/old/delta0\nlxc.cgroup.memory.limit_in_bytes = max\n#lxc.cgroup.cpuset.cpus = 1\n",
			VirtualMachine{Name: "old", VMType: "lxc", MAC: "00:16:3e:00:00:02"}, "/var/lib/lxc/old/delta0"},
	} {
		got, rootfs := parseLXCConfig(tc.dir, tc.conf)
		if got != tc.want || rootfs != tc.rootfs {
			t.Errorf("%s: parseLXCConfig = %+v, %q; want %+v, %q", tc.name, got, rootfs, tc.want, tc.rootfs)
		}
	}
}

// TestLXCUUID: the UUID is the official agent's, SHA-1 of the machine-id
// and the host name (sha1_hex("0123456789abcdef0123456789abcdef" . "web1")).
func TestLXCUUID(t *testing.T) {
	root := writeTree(t, map[string]string{
		"var/lib/lxc/web/rootfs/etc/machine-id": "0123456789abcdef0123456789abcdef\n",
		"var/lib/lxc/web/rootfs/etc/hostname":   "web1\n",
		"var/lib/lxc/half/rootfs/etc/hostname":  "half\n",
	})
	env := &Env{Root: root}
	if got, want := lxcUUID(env, "/var/lib/lxc/web/rootfs"), "25ce0e3dccbd03ba49ee7fa4515235122cebb405"; got != want {
		t.Errorf("lxcUUID = %q, want %q", got, want)
	}
	for _, rootfs := range []string{"/var/lib/lxc/half/rootfs", "/var/lib/lxc/none/rootfs", ""} {
		if got := lxcUUID(env, rootfs); got != "" {
			t.Errorf("lxcUUID(%q) = %q, want none", rootfs, got)
		}
	}
}

func TestCPUListCount(t *testing.T) {
	for in, want := range map[string]int{"0": 1, "0-3": 4, "0,3-5,7": 5, " 1 , 2 ": 2, "": 0, "a": 0, "3-1": 0} {
		if got := cpuListCount(in); got != want {
			t.Errorf("cpuListCount(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestParseQemuArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv []string
		want VirtualMachine
		ok   bool
	}{
		{"Proxmox VE", []string{"/usr/bin/kvm", "-id", "100", "-name", "debian12,debug-threads=on", "-no-shutdown",
			"-smbios", "type=1,uuid=5a6e1f2c-3b4d-4e5f-8a9b-0c1d2e3f4a5b,serial=PVE-100", "-smp", "4,sockets=1,cores=4,maxcpus=4",
			"-nodefaults", "-m", "4096", "-device", "virtio-net-pci,mac=BC:24:11:00:00:01"},
			VirtualMachine{Name: "debian12", Status: "running", Subsystem: "kvm", VMType: "kvm", UUID: "5a6e1f2c-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
				Memory: 4096, VCPU: 4, Serial: "PVE-100"}, true},
		{"plain QEMU named by its disk", []string{"qemu-system-x86_64", "-hda", "/srv/vm/disk.img", "-m", "size=2G,slots=2,maxmem=8G", "-uuid", "0e1f2a3b-0000-4000-8000-000000000001"},
			VirtualMachine{Name: "/srv/vm/disk.img", Status: "running", Subsystem: "qemu", VMType: "qemu", UUID: "0e1f2a3b-0000-4000-8000-000000000001", Memory: 2048}, true},
		{"accelerated, default memory", []string{"/usr/bin/qemu-system-aarch64", "-enable-kvm", "-name", "arm", "-m", "0"},
			VirtualMachine{Name: "arm", Status: "running", Subsystem: "kvm", VMType: "kvm", Memory: 128}, true},
		{"guest agent", []string{"/usr/sbin/qemu-ga", "--method", "virtio-serial"}, VirtualMachine{}, false},
		{"no name", []string{"qemu-system-x86_64", "-m", "512"}, VirtualMachine{}, false},
		{"another program", []string{"/bin/bash", "-name", "x"}, VirtualMachine{}, false},
		{"option without value", []string{"kvm", "-name"}, VirtualMachine{}, false},
	} {
		got, ok := parseQemuArgs(tc.argv)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: parseQemuArgs = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
