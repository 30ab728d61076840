package server

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

func zlibBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// TestHostileRequests sends a corpus of malformed and hostile requests to
// every device endpoint: each gets a clear 4xx with a machine-readable
// reason, and nothing changes in the store.
func TestHostileRequests(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(KeyOptions{MaxUses: 5})
	resp := e.enroll(key, enrollReq("victim"))
	token := resp.Credential.AccessToken

	deep := strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000)
	deepSmall := strings.Repeat(`[`, 20000) + strings.Repeat("]", 20000) // under the enroll cap, over JSON's depth limit
	hugeArray := `{"action":"inventory","deviceid":"x","content":{"versionclient":"v","softwares":[` + strings.Repeat(`{"name":"x"},`, 200000) + `{"name":"y"}]}}`
	bomb := zlibBytes(bytes.Repeat([]byte(" "), 64<<20)) // 64 MiB of spaces, a few KB compressed
	tests := []struct {
		name, path, auth, ctype string
		body                    []byte
		status                  int
	}{
		{"enroll: truncated JSON", enroll.PathEnroll, key, "application/json", []byte(`{"hostname":"x","install_`), 400},
		{"enroll: wrong types", enroll.PathEnroll, key, "application/json", []byte(`{"hostname":42,"install_id":["a"]}`), 400},
		{"enroll: deep nesting", enroll.PathEnroll, key, "application/json", []byte(deepSmall), 400},
		{"enroll: control characters in hostname", enroll.PathEnroll, key, "application/json", []byte(`{"hostname":"pc\n01","install_id":"i"}`), 400},
		{"enroll: path in hostname", enroll.PathEnroll, key, "application/json", []byte(`{"hostname":"../../etc","install_id":"i"}`), 400},
		{"enroll: invalid UTF-8 hostname", enroll.PathEnroll, key, "application/json", []byte("{\"hostname\":\"\xff\xfe\",\"install_id\":\"i\"}"), 400},
		{"enroll: oversized", enroll.PathEnroll, key, "application/json", bytes.Repeat([]byte(" "), 1<<20), 413},
		{"enroll: no key", enroll.PathEnroll, "", "application/json", []byte(`{}`), 401},
		{"enroll: key in wrong shape", enroll.PathEnroll, "glpik_" + strings.Repeat("A", 5000), "application/json", []byte(`{}`), 401},
		{"token: truncated", enroll.PathToken, "", "application/json", []byte(`{"device_id":`), 400},
		{"token: wrong types", enroll.PathToken, "", "application/json", []byte(`{"device_id":1,"refresh_secret":true}`), 400},
		{"token: bad next secret", enroll.PathToken, "", "application/json", []byte(`{"device_id":"` + resp.DeviceID + `","refresh_secret":"` + resp.Credential.RefreshSecret + `","next_refresh_secret":"short","fingerprint":` + string(mustJSON(enrollReq("victim").Fingerprint)) + `}`), 400},
		{"inventory: no token", enroll.PathInventory, "", "application/json", []byte(`{}`), 401},
		{"inventory: forged token", enroll.PathInventory, enroll.NewToken(enroll.AccessTokenPrefix), "application/json", []byte(`{}`), 401},
		{"inventory: not JSON", enroll.PathInventory, token, "application/json", []byte(`<REQUEST/>`), 400},
		{"inventory: JSON array", enroll.PathInventory, token, "application/json", []byte(`[1,2,3]`), 400},
		{"inventory: unknown root key", enroll.PathInventory, token, "application/json", []byte(`{"action":"inventory","deviceid":"x","content":{"versionclient":"v"},"evil":1}`), 400},
		{"inventory: no versionclient", enroll.PathInventory, token, "application/json", []byte(`{"action":"inventory","deviceid":"x","content":{}}`), 400},
		{"inventory: corrupt zlib", enroll.PathInventory, token, "application/x-compress-zlib", []byte("x\x9c\x00garbage"), 400},
		{"inventory: truncated zlib", enroll.PathInventory, token, "application/x-compress-zlib", zlibBytes([]byte(`{"action":"inventory","deviceid":"x","content":{"versionclient":"v"}}`))[:20], 400},
		{"inventory: zip bomb", enroll.PathInventory, token, "application/x-compress-zlib", bomb, 413},
		{"inventory: brotli", enroll.PathInventory, token, "application/x-compress-br", []byte("x"), 415},
		{"inventory: deep nesting", enroll.PathInventory, token, "application/json", []byte(deep), 400},
		{"inventory: huge array", enroll.PathInventory, token, "application/json", []byte(hugeArray), 0},
		{"checkin: truncated", enroll.PathCheckIn, token, "application/json", []byte(`{"wait":`), 400},
		{"checkin: wrong types", enroll.PathCheckIn, token, "application/json", []byte(`{"wait":"soon","results":{}}`), 400},
	}
	before := snapshot(t, e)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.url+tt.path, bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.ctype)
			if tt.auth != "" {
				req.Header.Set("Authorization", "Bearer "+tt.auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if tt.status == 0 {
				// Big but well-formed: accepted or refused as too large,
				// never a crash or a 5xx.
				if res.StatusCode >= 500 {
					t.Errorf("status %d: %s", res.StatusCode, body)
				}
				return
			}
			if res.StatusCode != tt.status {
				t.Errorf("status %d, want %d: %s", res.StatusCode, tt.status, body)
			}
			var eb enroll.ErrorBody
			if err := json.Unmarshal(body, &eb); err != nil || eb.Reason == "" || eb.Message == "" {
				t.Errorf("body %q: want a JSON error with a reason and a message", body)
			}
		})
	}
	after := snapshot(t, e)
	if after.devices != before.devices || after.keyUses != before.keyUses {
		t.Errorf("hostile requests changed the store: %+v → %+v", before, after)
	}
	if after.inventories > before.inventories+1 { // at most the huge but valid one
		t.Errorf("hostile requests stored %d inventories", after.inventories-before.inventories)
	}
}

type storeState struct{ devices, keyUses, inventories int }

func snapshot(t *testing.T, e *env) storeState {
	t.Helper()
	devs, err := e.st.Devices(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := e.st.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var s storeState
	s.devices = len(devs)
	for _, k := range keys {
		s.keyUses += int(k.Uses)
	}
	for _, d := range devs {
		h, err := e.st.History(t.Context(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.inventories += len(h)
	}
	return s
}

// TestSlowloris: a client that never finishes its headers is cut off.
func TestSlowloris(t *testing.T) {
	e := newEnv(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := e.srv.httpServer()
	srv.ReadHeaderTimeout = 300 * time.Millisecond
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /api/v1/enroll HTTP/1.1\r\nHost: x\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	io.ReadAll(c)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("slow client held for %v, want cut at the header timeout", d)
	}
}

// TestInventoryIdempotent: an inventory sent again with the same key (its
// answer was lost) is stored and relayed once, and answered the same id.
func TestInventoryIdempotent(t *testing.T) {
	e := newEnv(t, nil)
	resp := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	body := []byte(`{"action":"inventory","deviceid":"pc","itemtype":"Computer","content":{"versionclient":"v","hardware":{"name":"pc"}}}`)
	first, err := e.client.SendInventoryOnce(t.Context(), resp.Credential.AccessToken, body, "k-1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.client.SendInventoryOnce(t.Context(), resp.Credential.AccessToken, body, "k-1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.client.SendInventoryOnce(t.Context(), resp.Credential.AccessToken, body, "k-2")
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || other.ID == first.ID {
		t.Errorf("ids %d, %d (same key), %d (other key): want the first twice, then a new one", first.ID, again.ID, other.ID)
	}
	h, err := e.st.History(t.Context(), resp.DeviceID)
	if err != nil || len(h) != 2 {
		t.Errorf("history has %d entries (%v), want 2", len(h), err)
	}
}

// TestRelayResumesWhenGLPIIsBack: once GLPI answers again, the backlog is
// sent at the relay's pace, not after each item's backoff.
func TestRelayResumesWhenGLPIIsBack(t *testing.T) {
	g := glpitest.New(t, glpitest.WithFailures(3, http.StatusServiceUnavailable))
	relay, err := glpi.New(glpi.Config{URL: g.URL, Retries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		// A backoff far longer than the test: only the resume can drain.
		c.Relay, c.RelayBackoff, c.RelayMaxBackoff, c.RelayPoll = relay, time.Hour, time.Hour, 10*time.Millisecond
		c.RelayConcurrency = 1
		c.Now = nil
	})
	key := e.key(KeyOptions{})
	for i := range 6 {
		resp := e.enroll(key, enrollReq(fmt.Sprintf("pc-%d", i)))
		if _, err := e.client.SendInventory(t.Context(), resp.Credential.AccessToken, inventoryJSON(fmt.Sprintf("pc-%d", i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	g.WaitInventories(t, 6, 10*time.Second)
}

// TestRelayRecoversLeasesAfterCrash: items a killed process had claimed
// are sent at once by the next one (SQLite: no other process holds them).
func TestRelayRecoversLeasesAfterCrash(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Now = nil })
	resp := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	inv := &store.Inventory{DeviceID: resp.DeviceID, ReceivedAt: time.Now(), Size: 2, Body: zlibBytes([]byte(`{"action":"inventory","deviceid":"x","content":{"versionclient":"v"}}`))}
	if _, err := e.st.SaveInventory(t.Context(), inv, true, resp.AgentID, 20, 0); err != nil {
		t.Fatal(err)
	}
	// A process claims the item for five minutes, then is killed.
	if items, err := e.st.ClaimOutbox(t.Context(), 10, time.Now(), 5*time.Minute); err != nil || len(items) != 1 {
		t.Fatalf("claim = %d items, %v", len(items), err)
	}
	if err := e.st.RecoverLeases(t.Context()); err != nil {
		t.Fatal(err)
	}
	if items, err := e.st.ClaimOutbox(t.Context(), 10, time.Now(), 5*time.Minute); err != nil || len(items) != 1 {
		t.Errorf("after recovery, claim = %d items, %v; want the item back", len(items), err)
	}
}
