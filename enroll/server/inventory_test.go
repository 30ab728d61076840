package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

func TestInventoryHead(t *testing.T) {
	msg, err := decodeInventory(inventoryJSON("pc", 900))
	if err != nil {
		t.Fatal(err)
	}
	out := msg.rewrite("pc-2026-12-07-10-00-00", "SITE-A")
	if i, j := bytes.Index(out, []byte(`"deviceid"`)), bytes.Index(out, []byte(`"content"`)); i < 0 || j < i {
		t.Fatalf("rewrite puts deviceid at %d and content at %d, want content last", i, j)
	}
	stored, err := compress(out)
	if err != nil {
		t.Fatal(err)
	}
	// Only the head is read: a stream cut in the content still answers.
	for _, body := range [][]byte{stored, stored[:len(stored)/2]} {
		id, tag, err := inventoryHead(body)
		if err != nil || id != "pc-2026-12-07-10-00-00" || tag != "SITE-A" {
			t.Errorf("inventoryHead(%d bytes) = %q, %q, %v; want the rewritten deviceid and tag", len(body), id, tag, err)
		}
	}
	// A message stored with the content first is read whole.
	old, _ := compress([]byte(`{"action":"inventory","content":{"hardware":{"name":"pc"}},"deviceid":"pc-old","itemtype":"Computer","tag":"T"}`))
	if id, tag, err := inventoryHead(old); err != nil || id != "pc-old" || tag != "T" {
		t.Errorf("inventoryHead(content first) = %q, %q, %v", id, tag, err)
	}
	noTag, _ := compress([]byte(`{"deviceid":"pc-x","content":{}}`))
	if id, tag, err := inventoryHead(noTag); err != nil || id != "pc-x" || tag != "" {
		t.Errorf("inventoryHead(no tag) = %q, %q, %v", id, tag, err)
	}
	for name, body := range map[string][]byte{
		"not zlib":     []byte(`{"deviceid":"pc"}`),
		"no deviceid":  must(compress([]byte(`{"content":{}}`))),
		"an array":     must(compress([]byte(`["deviceid"]`))),
		"bad deviceid": must(compress([]byte(`{"deviceid":42,"content":{}}`))),
	} {
		if _, _, err := inventoryHead(body); err == nil || !strings.Contains(err.Error(), "stored inventory") {
			t.Errorf("%s: inventoryHead error = %v, want one about the stored inventory", name, err)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestInventoryKeptAsSent: an agent's zlib body that names the device's
// GLPI deviceid and its key's tag is stored and relayed as it came; any
// other is rewritten, and GLPI gets the service's deviceid and tag each
// time.
func TestInventoryKeptAsSent(t *testing.T) {
	g := glpitest.New(t)
	relay, err := glpi.New(glpi.Config{URL: g.URL, Retries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Relay = relay })
	dev := e.enroll(e.key(KeyOptions{Tag: "LYON"}), enrollReq("pc-7"))
	body := func(deviceID, tag string) []byte {
		var m map[string]any
		json.Unmarshal(inventoryJSON("pc-7", 20), &m)
		m["deviceid"], m["tag"] = deviceID, tag
		b, _ := json.Marshal(m)
		z, err := compress(b)
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	for i, tt := range []struct {
		name string
		body []byte
		asIs bool
	}{
		{"naming the device and its tag", body(dev.GLPIDeviceID, "LYON"), true},
		{"another tag", body(dev.GLPIDeviceID, "PARIS"), false},
		{"another deviceid", body("pc-7-2020-01-01-00-00-00", "LYON"), false},
		{"bytes after the stream", append(body(dev.GLPIDeviceID, "LYON"), "junk"...), false},
	} {
		if err := post(t, http.DefaultClient, e.url+enroll.PathInventory, dev.Credential.AccessToken, glpi.ContentTypeZlib, tt.body, http.StatusAccepted); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		inv, err := e.st.Inventory(t.Context(), dev.DeviceID)
		if err != nil {
			t.Fatal(err)
		}
		if asIs := bytes.Equal(inv.Body, tt.body); asIs != tt.asIs {
			t.Errorf("%s: stored as sent = %v, want %v", tt.name, asIs, tt.asIs)
		}
		got := g.WaitInventories(t, i+1, 10*time.Second)[i]
		if got.DeviceID != dev.GLPIDeviceID || got.Tag != "LYON" {
			t.Errorf("%s: GLPI got deviceid %q tag %q, want %q LYON", tt.name, got.DeviceID, got.Tag, dev.GLPIDeviceID)
		}
	}
}
