package server

import (
	"bytes"
	"strings"
	"testing"
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
