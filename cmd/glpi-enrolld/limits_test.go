package main

import (
	"bytes"
	"compress/zlib"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll"
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
	if err := run(t.Context(), []string{"serve", "--data-dir", t.TempDir(), "--outbox-per-device", "0"}, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "--outbox-per-device must be positive") {
		t.Errorf("serve --outbox-per-device 0 = %v, want an error", err)
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
