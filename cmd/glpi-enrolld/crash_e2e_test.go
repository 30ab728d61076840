package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// editEnrollment rewrites the agent's stored enrollment with edit.
func editEnrollment(t *testing.T, state string, edit func(e map[string]any)) {
	t.Helper()
	p := filepath.Join(state, "enrollment.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	edit(e)
	if b, err = json.Marshal(e); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// expire makes the stored access token due for renewal.
func expire(e map[string]any) {
	e["credential"].(map[string]any)["access_expires_at"] = "2000-01-01T00:00:00Z"
}

// TestRenewalCutOff: the agent killed in the middle of a token renewal,
// before or after the service rotated its secret, carries on as the same
// device, with no clone alarm and no second device.
func TestRenewalCutOff(t *testing.T) {
	s := startService(t)
	key := s.newKey("--tag", "crash")
	root, state := host(t, "pc-crash", "abababababababababababababababab", "4C4C4544-0011-0011-0011-000000000011"), t.TempDir()
	env := []string{"GLPI_AGENTD_REGISTRATION_KEY_FILE=" + key}
	if out, code := agentRun(t, root, state, env, "inventory", "--server", s.url); code != 0 {
		t.Fatalf("first run exit %d:\n%s", code, out)
	}
	before, _ := os.ReadFile(filepath.Join(state, "enrollment.json"))

	// Cut off after the service rotated: renew once for real, then put
	// back the state the agent had on disk when it sent that renewal (the
	// old credential, with the secret it proposed pending).
	editEnrollment(t, state, expire)
	if out, code := agentRun(t, root, state, env, "inventory", "--server", s.url); code != 0 {
		t.Fatalf("renewing run exit %d:\n%s", code, out)
	}
	var rotated map[string]any
	b, _ := os.ReadFile(filepath.Join(state, "enrollment.json"))
	json.Unmarshal(b, &rotated)
	current := rotated["credential"].(map[string]any)["refresh_secret"]
	os.WriteFile(filepath.Join(state, "enrollment.json"), before, 0o600)
	editEnrollment(t, state, func(e map[string]any) {
		expire(e)
		e["pending_refresh"] = []any{current}
	})
	if out, code := agentRun(t, root, state, env, "inventory", "--server", s.url); code != 0 {
		t.Fatalf("run after a renewal cut off after rotation: exit %d:\n%s", code, out)
	}

	// Cut off before the request reached the service: a pending secret the
	// service never saw, the stored one still current.
	editEnrollment(t, state, func(e map[string]any) {
		expire(e)
		e["pending_refresh"] = []any{enroll.NewToken(enroll.RefreshSecretPrefix)}
	})
	if out, code := agentRun(t, root, state, env, "inventory", "--server", s.url); code != 0 {
		t.Fatalf("run after a renewal cut off before the service: exit %d:\n%s", code, out)
	}

	devs := s.devices()
	if len(devs) != 1 || devs[0].State != "active" {
		t.Errorf("devices = %+v, want the one device, active", devs)
	}
	if audit := s.admin("audit"); strings.Contains(audit, "clone_suspected") || strings.Contains(audit, "replayed") {
		t.Errorf("an interrupted renewal raised a clone alarm:\n%s", audit)
	}
	if e := enrollment(t, state); e["pending_refresh"] != nil {
		t.Errorf("pending secrets left after a successful renewal: %v", e["pending_refresh"])
	}
}

// TestEnrollmentAnswerLost: the agent killed after the service enrolled it
// but before it stored the answer enrolls again as the same device, while
// its key is usable (a used-up key gives nothing back: see
// TestUsedUpKeyGivesNothingBack), without spending another use.
func TestEnrollmentAnswerLost(t *testing.T) {
	s := startService(t)
	key := s.newKey("--tag", "crash", "--max-uses", "2")
	root, state := host(t, "pc-lost", "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd", "4C4C4544-0012-0012-0012-000000000012"), t.TempDir()
	env := []string{"GLPI_AGENTD_REGISTRATION_KEY_FILE=" + key}
	if out, code := agentRun(t, root, state, env, "enroll", "--server", s.url); code != 0 {
		t.Fatalf("enroll exit %d:\n%s", code, out)
	}
	first := enrollment(t, state)["device_id"]
	for _, f := range []string{"enrollment.json", "replace.json", "identity.json"} {
		os.Remove(filepath.Join(state, f)) // never written: the answer was lost
	}
	if out, code := agentRun(t, root, state, env, "inventory", "--server", s.url); code != 0 {
		t.Fatalf("run after the lost answer exit %d:\n%s", code, out)
	}
	if again := enrollment(t, state)["device_id"]; again != first {
		t.Errorf("enrolled as %v after a lost answer, want the same device %v", again, first)
	}
	if n := len(s.devices()); n != 1 {
		t.Errorf("%d devices, want 1", n)
	}
	if keys := s.admin("key", "list", "--json"); !strings.Contains(keys, `"uses": 1,`) {
		t.Errorf("key list = %s, want the key used once", keys)
	}
}

// TestPerfectCloneCaughtByReplay: a copy on identical hardware (nothing
// for the agent to notice) shares the credential; when the copy renews
// with a secret the original already rotated, the service sees the replay,
// forks the copy into a new device and leaves the original untouched.
func TestPerfectCloneCaughtByReplay(t *testing.T) {
	// A grace of a millisecond is over before the copy's agent has even
	// started.
	s := startService(t, "--refresh-grace", "1ms")
	key := s.newKey("--tag", "vdi")
	env := []string{"GLPI_AGENTD_REGISTRATION_KEY_FILE=" + key}
	root, orig := host(t, "twin", "efefefefefefefefefefefefefefefef", "4C4C4544-0013-0013-0013-000000000013"), t.TempDir()
	if out, code := agentRun(t, root, orig, env, "inventory", "--server", s.url); code != 0 {
		t.Fatalf("original exit %d:\n%s", code, out)
	}
	first := enrollment(t, orig)["device_id"]
	copyState := t.TempDir()
	os.CopyFS(copyState, os.DirFS(orig))

	// The original renews; the copy still holds the spent secret.
	editEnrollment(t, orig, expire)
	if out, code := agentRun(t, root, orig, env, "inventory", "--server", s.url); code != 0 {
		t.Fatalf("original renewal exit %d:\n%s", code, out)
	}
	editEnrollment(t, copyState, expire)
	out, code := agentRun(t, root, copyState, env, "inventory", "--server", s.url)
	if code != 0 {
		t.Fatalf("copy exit %d:\n%s", code, out)
	}
	if c := enrollment(t, copyState)["device_id"]; c == first {
		t.Fatalf("the copy kept the original's device %v", first)
	}
	if out, code := agentRun(t, root, orig, env, "inventory", "--server", s.url); code != 0 || enrollment(t, orig)["device_id"] != first {
		t.Errorf("the original lost its device after the fork: exit %d:\n%s", code, out)
	}
	if n := len(s.devices()); n != 2 {
		t.Errorf("%d devices, want 2", n)
	}
	if audit := s.admin("audit"); !strings.Contains(audit, "clone_suspected") {
		t.Errorf("no clone event in the audit:\n%s", audit)
	}
}
