package agent

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/collectors"
	"github.com/glpi-agentd/glpi-agentd/enroll"
)

func TestCloneOf(t *testing.T) {
	base := enroll.Fingerprint{InstallID: "i", MachineID: "m1", SMBIOSUUID: "u1", Serial: "s1", MACs: []string{"a"}}
	tests := []struct {
		name  string
		now   func(f enroll.Fingerprint) enroll.Fingerprint
		clone bool
	}{
		{"same host", func(f enroll.Fingerprint) enroll.Fingerprint { return f }, false},
		{"VM cloned: new SMBIOS UUID", func(f enroll.Fingerprint) enroll.Fingerprint { f.SMBIOSUUID = "u2"; return f }, true},
		{"disk copied: new machine-id", func(f enroll.Fingerprint) enroll.Fingerprint { f.MachineID = "m2"; return f }, true},
		{"NIC added", func(f enroll.Fingerprint) enroll.Fingerprint { f.MACs = []string{"a", "b"}; return f }, false},
		{"serial flaps", func(f enroll.Fingerprint) enroll.Fingerprint { f.Serial = ""; return f }, false},
		{"serial changes", func(f enroll.Fingerprint) enroll.Fingerprint { f.Serial = "s2"; return f }, false},
		{"signal unreadable now (not root)", func(f enroll.Fingerprint) enroll.Fingerprint { f.SMBIOSUUID = ""; return f }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, why := cloneOf(base, tt.now(base)); got != tt.clone {
				t.Errorf("cloneOf = %v (%s), want %v", got, why, tt.clone)
			}
		})
	}
}

// hostRoot lays out a minimal host: machine-id, SMBIOS UUID, boot time.
func hostRoot(t *testing.T, machineID, uuid, btime string) string {
	t.Helper()
	root := t.TempDir()
	write := func(p, s string) {
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/machine-id", machineID+"\n")
	write("sys/class/dmi/id/product_uuid", uuid+"\n")
	write("proc/stat", "cpu  1 2 3 4\nbtime "+btime+"\n")
	write("proc/sys/kernel/hostname", "pc01\n")
	return root
}

func agentOn(t *testing.T, root, stateDir string, mod func(*config.Config)) *Agent {
	t.Helper()
	cfg := config.Default()
	cfg.StateDir = stateDir
	if mod != nil {
		mod(cfg)
	}
	a, err := New(cfg, &collectors.Env{Root: root}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestPrepareImageAndFirstBoot(t *testing.T) {
	root := hostRoot(t, "0123456789abcdef0123456789abcdef", "4C4C4544-0042-3510-8052-B4C04F4E4B32", "1700000000")
	st := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "registration.key")
	key := enroll.NewKey().String()
	os.WriteFile(keyFile, []byte(key), 0o600)
	a := agentOn(t, root, st, func(c *config.Config) { c.RegistrationKeyFile = keyFile })

	// An installation with an identity.
	a.Identity()
	installID(a.state)
	os.WriteFile(filepath.Join(st, enrollmentFile), []byte(`{"device_id":"d1"}`), 0o600)
	os.WriteFile(filepath.Join(st, replaceFile), []byte(`{"device_id":"d1"}`), 0o600)
	// The golden machine's own sections must not stand in for a clone's.
	os.WriteFile(filepath.Join(st, sectionsFile), []byte(`{"sections":{"networks":[]}}`), 0o600)
	// Nor what the collectors kept of it: its database servers, its
	// users' software.
	os.WriteFile(filepath.Join(st, "database-servers.json"), []byte(`[]`), 0o600)
	os.MkdirAll(filepath.Join(st, "windows-user-software"), 0o700)
	os.WriteFile(filepath.Join(st, "windows-user-software", "S-1-5-21-1-2-3-1001.json"), []byte(`[]`), 0o600)

	advice, err := a.PrepareImage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(advice) == 0 {
		t.Error("PrepareImage gave no advice")
	}
	for _, f := range []string{enrollmentFile, replaceFile, "identity.json", "install_id", sectionsFile, "database-servers.json", "windows-user-software"} {
		if _, err := os.Stat(filepath.Join(st, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after prepare-image %s still exists", f)
		}
	}
	if b, _ := os.ReadFile(keyFile); string(b) != key {
		t.Error("prepare-image touched the registration key")
	}

	// Same boot (the image build): enrollment waits.
	if err := a.firstBootReached(); !errors.Is(err, ErrWaitFirstBoot) {
		t.Errorf("firstBootReached in the image's boot = %v, want ErrWaitFirstBoot", err)
	}
	// A clone's first boot: enrollment goes ahead, once and for all.
	os.WriteFile(filepath.Join(root, "proc/stat"), []byte("btime 1700086400\n"), 0o644)
	if err := a.firstBootReached(); err != nil {
		t.Errorf("firstBootReached on a new boot = %v, want nil", err)
	}
	if _, err := os.Stat(filepath.Join(st, firstBootFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("first-boot marker kept after the first boot")
	}
}

func TestDelayEnrollWaitsForReboot(t *testing.T) {
	root := hostRoot(t, "m", "4C4C4544-0042-3510-8052-B4C04F4E4B32", "1700000000")
	a := agentOn(t, root, t.TempDir(), func(c *config.Config) { c.DelayEnroll = true })
	for range 2 {
		if err := a.firstBootReached(); !errors.Is(err, ErrWaitFirstBoot) {
			t.Fatalf("delay_enroll during the install boot = %v, want ErrWaitFirstBoot", err)
		}
	}
	os.WriteFile(filepath.Join(root, "proc/stat"), []byte("btime 1700009999\n"), 0o644)
	if err := a.firstBootReached(); err != nil {
		t.Errorf("delay_enroll after a reboot = %v, want nil", err)
	}
}

func TestFingerprintOnHostRoot(t *testing.T) {
	root := hostRoot(t, "0123456789abcdef0123456789abcdef", "4c4c4544-0042-3510-8052-b4c04f4e4b32", "1")
	fp := fingerprint(&collectors.Env{Root: root}, "install-1")
	if fp.InstallID != "install-1" || len(fp.MachineID) != 64 || len(fp.SMBIOSUUID) != 64 {
		t.Fatalf("fingerprint = %+v, want hashed machine id and UUID", fp)
	}
	if fp.MachineID == "0123456789abcdef0123456789abcdef" {
		t.Error("machine id sent in clear")
	}
	upper := fingerprint(&collectors.Env{Root: hostRoot(t, "0123456789abcdef0123456789abcdef", "4C4C4544-0042-3510-8052-B4C04F4E4B32", "1")}, "x")
	if upper.SMBIOSUUID != fp.SMBIOSUUID {
		t.Error("SMBIOS UUID case changes the fingerprint")
	}
	placeholder := fingerprint(&collectors.Env{Root: hostRoot(t, "m", "03000200-0400-0500-0006-000700080009", "1")}, "x")
	if placeholder.SMBIOSUUID != "" {
		t.Error("placeholder SMBIOS UUID used as a signal")
	}
}

// TestInventoryIdentityMatchesFingerprint: the SMBIOS UUID and serial an
// inventory states hash, as the service hashes them (enroll.SignalUUID,
// enroll.HashSignal), to the fingerprint's signals, whatever the UUID's
// case and byte order: the service's identity check never refuses the
// agent's own inventory.
func TestInventoryIdentityMatchesFingerprint(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("host roots are read on Linux only")
	}
	for _, raw := range []string{"4C4C4544-0042-3510-8052-B4C04F4E4B32", "44454c4c-4200-1035-8052-b4c04f4e4b32"} {
		root := hostRoot(t, "0123456789abcdef0123456789abcdef", raw, "1")
		os.WriteFile(filepath.Join(root, "sys/class/dmi/id/product_serial"), []byte(" 5CG1234XYZ \n"), 0o644)
		env := &collectors.Env{Root: root}
		fp := fingerprint(env, "i")
		hw, bios := collect[*collectors.Hardware](t, env, "hardware"), collect[*collectors.BIOS](t, env, "bios")
		if fp.SMBIOSUUID == "" || enroll.HashSignal(enroll.SignalUUID(hw.UUID)) != fp.SMBIOSUUID {
			t.Errorf("product_uuid %s: inventory uuid %q does not hash to the fingerprint's %q", raw, hw.UUID, fp.SMBIOSUUID)
		}
		if fp.Serial == "" || enroll.HashSignal(bios.SSN) != fp.Serial {
			t.Errorf("inventory ssn %q does not hash to the fingerprint's serial %q", bios.SSN, fp.Serial)
		}
	}
}

func collect[T any](t *testing.T, env *collectors.Env, name string) T {
	t.Helper()
	info, ok := collectors.Lookup(name)
	if !ok {
		t.Fatalf("no %s collector", name)
	}
	v, err := info.Collect(t.Context(), env)
	if err != nil {
		t.Fatalf("collect %s: %v", name, err)
	}
	return v.(T)
}
