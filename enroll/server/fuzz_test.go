package server

import (
	"encoding/json"
	"testing"
)

func FuzzDecodeEnroll(f *testing.F) {
	f.Add([]byte(`{"hostname":"pc","install_id":"i","fingerprint":{"install_id":"i","macs":["a"]}}`))
	f.Add([]byte(`{"hostname":"pc","install_id":"i","replace":{"device_id":"d","replace_secret":"s"}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeEnroll(data)
		if err != nil {
			return
		}
		if req.Hostname == "" || req.InstallID == "" || len(req.Hostname) > 255 {
			t.Fatalf("decodeEnroll accepted an invalid request: %+v", req)
		}
	})
}

func FuzzDecodeInventory(f *testing.F) {
	f.Add(inventoryJSON("pc", 2))
	f.Add([]byte(`{"deviceid":"x","content":{"versionclient":"v","cpus":[1,2]}}`))
	f.Add([]byte(`{"deviceid":"x","itemtype":"Glpi\\CustomAsset\\Server","content":{"versionclient":"v"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := decodeInventory(data)
		if err != nil {
			return
		}
		out := msg.rewrite("pc-2026-01-01-00-00-00", "TAG")
		var root map[string]json.RawMessage
		if err := json.Unmarshal(out, &root); err != nil {
			t.Fatalf("rewrite produced invalid JSON: %v", err)
		}
		var id, tag string
		json.Unmarshal(root["deviceid"], &id)
		json.Unmarshal(root["tag"], &tag)
		if id != "pc-2026-01-01-00-00-00" || tag != "TAG" {
			t.Fatalf("rewrite deviceid %q tag %q", id, tag)
		}
		if _, err := decodeInventory(out); err != nil {
			t.Fatalf("rewritten message no longer valid: %v", err)
		}
	})
}
