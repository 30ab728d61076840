package main

import (
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// TestPrepareImageRetiresTheDevice: the machine an image is made on does
// not stay "active" on the service: prepare-image tells the service its
// device is gone, and still works when the service cannot be reached.
func TestPrepareImageRetiresTheDevice(t *testing.T) {
	t.Parallel() // waits on processes and the network, mostly
	s := startService(t)
	key := s.newKey("--tag", "images")
	root, state := host(t, "golden", "66666666666666666666666666666666", "4C4C4544-0010-0010-0010-000000000066"), t.TempDir()
	env := []string{"GLPI_AGENTD_SERVER=" + s.url, "GLPI_AGENTD_REGISTRATION_KEY_FILE=" + key}
	if out, code := agentRun(t, root, state, env, "enroll"); code != 0 {
		t.Fatalf("enroll: exit %d\n%s", code, out)
	}
	id := s.devices()[0].ID
	out, code := agentRun(t, root, state, env, "prepare-image")
	if code != 0 || !strings.Contains(out, "retired") {
		t.Fatalf("prepare-image: exit %d\n%s", code, out)
	}
	if show := s.admin("device", "show", id); !strings.Contains(show, "retired") {
		t.Errorf("device after prepare-image is not retired:\n%s", show)
	}
	if audit := s.admin("audit", "--json"); !strings.Contains(audit, "prepare_image") {
		t.Errorf("the audit does not say why the device was retired:\n%s", audit)
	}

	// The service out of reach: the image is still prepared, and the
	// admin is told what to do by hand.
	target, _ := url.Parse(s.url)
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	env2 := []string{"GLPI_AGENTD_SERVER=" + proxy.URL, "GLPI_AGENTD_REGISTRATION_KEY_FILE=" + key}
	root2, state2 := host(t, "golden2", "55555555555555555555555555555555", "4C4C4544-0010-0010-0010-000000000055"), t.TempDir()
	if out, code := agentRun(t, root2, state2, env2, "enroll"); code != 0 {
		t.Fatalf("enroll: exit %d\n%s", code, out)
	}
	proxy.Close()
	out, code = agentRun(t, root2, state2, env2, "prepare-image")
	if code != 0 || !strings.Contains(out, "glpi-enrolld device revoke") {
		t.Errorf("prepare-image with the service down: exit %d\n%s", code, out)
	}
}
