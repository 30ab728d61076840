package collectors

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestQemuMachines: running QEMU machines are listed from their processes,
// except one libvirt manages, which its domain lists already.
func TestQemuMachines(t *testing.T) {
	cmdline := func(args ...string) string { return strings.Join(args, "\x00") + "\x00" }
	root := writeTree(t, map[string]string{
		"proc/100/cmdline":             cmdline("/usr/bin/kvm", "-id", "100", "-name", "web,debug-threads=on", "-smbios", "type=1,uuid=aaaaaaaa-0000-4000-8000-000000000100", "-smp", "2,sockets=1", "-m", "2048"),
		"proc/200/cmdline":             cmdline("/usr/bin/qemu-system-x86_64", "-name", "guest=build01,debug-threads=on", "-uuid", "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", "-m", "2048"),
		"proc/300/cmdline":             cmdline("/bin/bash"),
		"proc/400/cmdline":             "",
		"usr/bin/kvm":                  "#!/bin/sh\n",
		"etc/libvirt/qemu/build01.xml": `<domain type="kvm"><name>build01</name><uuid>0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b</uuid><memory unit="KiB">2097152</memory><vcpu>2</vcpu></domain>`,
	})
	got := collectSection(t, &Env{Root: root}, "virtualmachine").([]VirtualMachine)
	want := []VirtualMachine{
		{Name: "build01", Status: "off", Subsystem: "kvm", VMType: "libvirt", UUID: "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", Memory: 2048, VCPU: 2},
		{Name: "web", Status: "running", Subsystem: "kvm", VMType: "kvm", UUID: "aaaaaaaa-0000-4000-8000-000000000100", Memory: 2048, VCPU: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	// Without QEMU installed, the process list is not read.
	if err := os.Remove(filepath.Join(root, "usr/bin/kvm")); err != nil {
		t.Fatal(err)
	}
	got = collectSection(t, &Env{Root: root}, "virtualmachine").([]VirtualMachine)
	if !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("without QEMU installed: got %+v, want %+v", got, want[:1])
	}
}

// TestLXDMachines: LXD's instances, from the backup.yaml beside each and
// their control groups, named and identified as the official agent does.
func TestLXDMachines(t *testing.T) {
	const lxd = "var/snap/lxd/common/lxd/"
	root := writeTree(t, map[string]string{
		lxd + "containers/web/backup.yaml": `container:
  architecture: x86_64
  config:
    image.os: Ubuntu
    limits.cpu: "2"
    limits.memory: 2GiB
    volatile.eth0.hwaddr: 00:16:3E:12:34:56
  devices: {}
  expanded_config:
    limits.cpu: "8"
  name: web
  status: Running
snapshots: []
pool:
  config:
    limits.cpu: "16"
`,
		lxd + "containers/web/rootfs/etc/machine-id":  "0123456789abcdef0123456789abcdef\n",
		"sys/fs/cgroup/lxc.payload.web/cgroup.procs":  "",
		lxd + "containers/db/backup.yaml":             "instance:\n  config:\n    limits.cpu: 0-3\n    limits.memory: 50%\n  name: db\n",
		lxd + "virtual-machines/win/backup.yaml":      "instance:\n  config:\n    limits.memory: 4GB\n  name: win\n",
		lxd + "containers/broken/rootfs/etc/hostname": "no backup.yaml\n",
	})

	got := collectSection(t, &Env{Root: root}, "virtualmachine").([]VirtualMachine)
	want := []VirtualMachine{
		{Name: "db", Status: "off", VMType: "LXD", VCPU: 4},
		// sha1_hex("0123456789abcdef0123456789abcdef" . "web"), with Perl's Digest::SHA
		{Name: "web", Status: "running", VMType: "LXD", UUID: "9d4abe14fdb2c63e730f4a87ace2bcae73d1711f", VCPU: 2, Memory: 2048, MAC: "00:16:3e:12:34:56"},
		{Name: "win", Status: "off", VMType: "LXD", Memory: 4096},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
