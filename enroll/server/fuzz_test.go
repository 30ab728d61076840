package server

import (
	"bytes"
	"encoding/json"
	"strings"
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
	f.Add([]byte(`{"deviceid":"d","content":{"softwares":[{"name":"a"},{"name":"b,]"}],"bios":{"ssn":"x"},"versionclient":"v"},"content":{"a":[]}}`))
	f.Add([]byte(`{"content":{"a":[1]},"content":null}`))
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

func FuzzDecodeRefresh(f *testing.F) {
	f.Add([]byte(`{"device_id":"d","refresh_secret":"s","generation":3}`))
	f.Add([]byte(`{"device_id":"d","refresh_secret":"s","generation":1,"fingerprint":{"install_id":"i","machine_id":"m","macs":["aa:bb"]},"next_refresh_secret":"n"}`))
	f.Add([]byte(`{"device_id":"","refresh_secret":"s"}`))
	f.Add([]byte(`{"device_id":"d","refresh_secret":"s","generation":"1"}`))
	f.Add([]byte(`{"DEVICE_ID":"d","Refresh_Secret":"\u0000\ud800"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeRefresh(data)
		if err != nil {
			return
		}
		if req.DeviceID == "" || req.RefreshSecret == "" {
			t.Fatalf("decodeRefresh accepted a request without device id or secret: %+v", req)
		}
		requireStableJSON(t, req, decodeRefresh)
	})
}

func FuzzDecodeCheckIn(f *testing.F) {
	f.Add([]byte(`{"wait":300,"status":"idle"}`))
	f.Add([]byte(`{"wait":0,"status":"running","results":[{"id":"a","state":"sent","message":"m","inventory_id":7}]}`))
	f.Add([]byte(`{"wait":-1,"results":[]}`))
	f.Add([]byte(`{"wait":1e3}`))
	f.Add([]byte(`{"results":[` + strings.Repeat(`{},`, maxResults) + `{}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeCheckIn(data)
		if err != nil {
			return
		}
		if len(req.Results) > maxResults {
			t.Fatalf("decodeCheckIn accepted %d results, want at most %d", len(req.Results), maxResults)
		}
		requireStableJSON(t, req, decodeCheckIn)
	})
}

// requireStableJSON checks that a decoded request, encoded again, decodes
// to a request that encodes the same: what the handler acts on is what the
// client can have meant.
func requireStableJSON[T any](t *testing.T, req *T, decode func([]byte) (*T, error)) {
	t.Helper()
	first, err := json.Marshal(req)
	if err != nil {
		t.Fatalf("encode %+v: %v", req, err)
	}
	again, err := decode(first)
	if err != nil {
		t.Fatalf("decode(%s) = %v, want the request back", first, err)
	}
	second, err := json.Marshal(again)
	if err != nil {
		t.Fatalf("encode %+v: %v", again, err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("re-encoded request = %s, want %s", second, first)
	}
}

// FuzzJSONWalk checks the light walk of validated JSON against
// encoding/json: the same members for an object, the same count for an
// array.
func FuzzJSONWalk(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[1,{"c":"]}"}],"d\u00e9":"x\"y","a":2}`))
	f.Add([]byte(` [ 1 , "a,b" , [2,3] , {"x":[]} , null , true , -1.5e3 ] `))
	f.Add([]byte(`{"\ud800":1,"k\\":{}}`))
	f.Add([]byte("{\"\xff\":1}"))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"deviceid":"d","content":{"softwares":[{"name":"a"},{"name":"b,]"}],"bios":{"ssn":"x"},"versionclient":"v"},"content":{"a":[]}}`))
	f.Add([]byte(`{"content":{"a":[1]},"content":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		var want map[string]json.RawMessage
		if json.Unmarshal(data, &want) == nil && want != nil {
			got, err := splitObject(data)
			if err != nil || len(got) != len(want) {
				t.Fatalf("splitObject(%q) = %q, %v; want %q", data, got, err, want)
			}
			for k, v := range want {
				if !bytes.Equal(got[k], v) {
					t.Fatalf("splitObject(%q)[%q] = %q, want %q", data, k, got[k], v)
				}
			}
		}
		if want != nil {
			root, content, items, err := splitInventory(data)
			if err != nil || len(root) != len(want) {
				t.Fatalf("splitInventory(%q) root = %q, %v; want %q", data, root, err, want)
			}
			var wantContent map[string]json.RawMessage
			if json.Unmarshal(want["content"], &wantContent) != nil || wantContent == nil {
				if content != nil {
					t.Fatalf("splitInventory(%q) content = %q, want none: %q is no object", data, content, want["content"])
				}
			} else if len(content) != len(wantContent) {
				t.Fatalf("splitInventory(%q) content = %q, want %q", data, content, wantContent)
			}
			for k, v := range wantContent {
				if !bytes.Equal(content[k], v) || items[k] != countItems(v) {
					t.Fatalf("splitInventory(%q) content[%q] = %q (%d items), want %q (%d)", data, k, content[k], items[k], v, countItems(v))
				}
			}
		}
		var items []json.RawMessage
		want1 := 1
		if json.Unmarshal(data, &items) == nil && items != nil {
			want1 = len(items)
		}
		if got := countItems(data); got != want1 {
			t.Fatalf("countItems(%q) = %d, want %d", data, got, want1)
		}
	})
}

func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, ` {"a":[1,2,{"b":null}],"c":"\u00e9\n"} `, `[1,]`, `{"a":1,}`, `{"a" 1}`,
		`-0.5e+10`, `01`, `1.`, `-`, `.5`, `1e`, `"\x"`, `"\u12G4"`, "\"\x01\"", "\"\xff\"", `tru`, `nulll`,
		`{"a":1}}`, `[[]]]`, `"`, ``, ` `, `{"a":[}`, `[1 2]`, `{,}`, `[-]`, `1 2`,
		strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth),
		strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1),
		strings.Repeat(`{"a":`, maxJSONDepth-1) + `{}` + strings.Repeat("}", maxJSONDepth-1),
		strings.Repeat(`{"a":`, maxJSONDepth) + `{}` + strings.Repeat("}", maxJSONDepth),
	} {
		f.Add([]byte(s))
	}
	f.Add(inventoryJSON("pc", 3))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := validJSON(data), json.Valid(data); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", data, got, want)
		}
	})
}
