package main

import (
	"bytes"
	"compress/zlib"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

func TestSizeFlag(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"16MiB", 16 << 20}, {"16M", 16 << 20}, {"16MB", 16 << 20}, {"512KiB", 512 << 10}, {"1GiB", 1 << 30},
		{"1048576", 1 << 20}, {"100B", 100}, {"0", -1}, {"-1M", -1}, {"lots", -1}, {"1.5M", -1}, {"99999999999G", -1},
	}
	for _, tt := range tests {
		var f sizeFlag
		err := f.Set(tt.in)
		if got := int64(f); tt.want < 0 && err == nil || tt.want >= 0 && (err != nil || got != tt.want) {
			t.Errorf("Set(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, args := range [][]string{{"--outbox-per-device", "0"}, {"--audit-retention", "soon"}, {"--trusted-proxy", "10.0.0.0/33"}, {"--forwarded-header", "Via"}} {
		err := run(t.Context(), append([]string{"serve", "--data-dir", t.TempDir()}, args...), io.Discard)
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("serve %v = %v, want an error naming the flag", args, err)
		}
	}
}

// TestServeMaxInventorySize: the real service refuses an inventory whose
// compressed body is small but inflates beyond --max-inventory-size, and
// takes one under it.
func TestServeMaxInventorySize(t *testing.T) {
	s := startService(t, "--max-inventory-size", "1MiB")
	key, err := os.ReadFile(s.newKey("--tag", "t"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := enroll.NewClient(enroll.ClientConfig{URL: s.url, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	fp := enroll.Fingerprint{InstallID: "limits-1", MachineID: "m1", SMBIOSUUID: "u1"}
	dev, err := c.Enroll(t.Context(), strings.TrimSpace(string(key)),
		&enroll.EnrollRequest{Hostname: "limits", OS: "linux", Arch: "amd64", AgentVersion: "1.0.0", InstallID: fp.InstallID, Fingerprint: fp})
	if err != nil {
		t.Fatal(err)
	}
	body := func(size int) []byte {
		var buf bytes.Buffer
		zw := zlib.NewWriter(&buf)
		zw.Write([]byte(`{"action":"inventory","deviceid":"x","content":{"versionclient":"v","softwares":[`))
		item := []byte(`{"name":"package","version":"1.0"},`)
		zw.Write(bytes.Repeat(item, size/len(item)))
		zw.Write([]byte(`{"name":"last"}]}}`))
		zw.Close()
		return buf.Bytes()
	}
	for _, tt := range []struct {
		size, want int
	}{{2 << 20, http.StatusRequestEntityTooLarge}, {900 << 10, http.StatusAccepted}} {
		b := body(tt.size)
		req, _ := http.NewRequest("POST", s.url+enroll.PathInventory, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/x-compress-zlib")
		req.Header.Set("Authorization", "Bearer "+dev.Credential.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("inventory of %d bytes inflated (%d sent) = %d, want %d", tt.size, len(b), resp.StatusCode, tt.want)
		}
	}
}

// TestServeAuditRetention: the real service deletes, from the start, the
// audit events older than --audit-retention and keeps the others.
func TestServeAuditRetention(t *testing.T) {
	dir := t.TempDir()
	st, err := store.OpenSQLite(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, ev := range []store.Event{{At: now.Add(-40 * 24 * time.Hour), Event: "old"}, {At: now.Add(-24 * time.Hour), Event: "recent"}} {
		if err := st.AddEvent(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	startService(t, "--audit-retention", "30d", "--database", "", "--data-dir", dir)
	st, err = store.OpenSQLite(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var names []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		evs, err := st.Events(t.Context(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		names = names[:0]
		for _, ev := range evs {
			names = append(names, ev.Event)
		}
		if !slices.Contains(names, "old") {
			break
		}
	}
	if slices.Contains(names, "old") || !slices.Contains(names, "recent") {
		t.Errorf("audit after start = %v, want the recent event only", names)
	}
}
