package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// enrollVia posts an enrollment to the service as a proxy forwarding for
// xff would, and returns the answer's status.
func enrollVia(t *testing.T, url, key, host, xff string) int {
	t.Helper()
	fp := enroll.Fingerprint{InstallID: "proxy-" + host, MachineID: "m-" + host, SMBIOSUUID: "u-" + host}
	body, _ := json.Marshal(&enroll.EnrollRequest{Hostname: host, OS: "linux", Arch: "amd64", AgentVersion: "1.0.0", InstallID: fp.InstallID, Fingerprint: fp})
	req, _ := http.NewRequestWithContext(t.Context(), "POST", url+enroll.PathEnroll, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeTrustedProxy: behind a load balancer (here, the test on
// 127.0.0.1, trusted), the client the balancer names is the one the keys'
// allowed networks, the failure limits and the audit see; without
// --trusted-proxy, the header is ignored.
func TestServeTrustedProxy(t *testing.T) {
	s := startService(t, "--trusted-proxy", "127.0.0.1/32")
	readKey := func(file string) string {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	key := readKey(s.newKey("--tag", "t", "--allow-cidr", "198.51.100.0/24"))
	if got := enrollVia(t, s.url, key, "pc-1", "198.51.100.7"); got != http.StatusCreated {
		t.Errorf("enroll for 198.51.100.7, allowed = %d, want 201", got)
	}
	if got := enrollVia(t, s.url, key, "pc-2", "198.51.100.7, 203.0.113.9"); got != http.StatusForbidden {
		t.Errorf("enroll for 203.0.113.9 claiming 198.51.100.7 = %d, want 403", got)
	}
	if got := enrollVia(t, s.url, key, "pc-3", ""); got != http.StatusForbidden {
		t.Errorf("enroll from the proxy itself = %d, want 403", got)
	}

	// Wrong keys from one client behind the balancer limit that client
	// only.
	k, _ := enroll.ParseKey(key)
	wrong := enroll.Key{ID: k.ID, Secret: strings.Repeat("A", enroll.KeySecretLen)}.String()
	var last int
	for range 12 {
		last = enrollVia(t, s.url, wrong, "pc-x", "203.0.113.50")
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("12th wrong key from 203.0.113.50 = %d, want 429", last)
	}
	if got := enrollVia(t, s.url, wrong, "pc-y", "203.0.113.51"); got != http.StatusUnauthorized {
		t.Errorf("wrong key from another client behind the balancer = %d, want 401 (not limited)", got)
	}
	if got := enrollVia(t, s.url, key, "pc-4", "198.51.100.8"); got != http.StatusCreated {
		t.Errorf("right key from another client = %d, want 201", got)
	}
	var evs []struct {
		Event    string `json:"event"`
		SourceIP string `json:"source_ip"`
	}
	if err := json.Unmarshal([]byte(s.admin("audit", "--json")), &evs); err != nil {
		t.Fatal(err)
	}
	sources := map[string]bool{}
	for _, ev := range evs {
		if strings.HasPrefix(ev.Event, "enroll_") {
			sources[ev.SourceIP] = true
		}
	}
	for _, want := range []string{"198.51.100.7", "203.0.113.9", "203.0.113.50", "203.0.113.51"} {
		if !sources[want] {
			t.Errorf("audit sources %v: want %s", sources, want)
		}
	}

	// Not trusted: the header is the client's word only.
	plain := startService(t)
	key = readKey(plain.newKey("--tag", "t", "--allow-cidr", "198.51.100.0/24"))
	if got := enrollVia(t, plain.url, key, "pc-5", "198.51.100.7"); got != http.StatusForbidden {
		t.Errorf("enroll claiming 198.51.100.7 without --trusted-proxy = %d, want 403", got)
	}
}
