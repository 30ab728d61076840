package server

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// inflatingInventory returns a valid JSON inventory of about size bytes,
// zlib-compressed to a few hundredths of a percent of it: softwares of one
// repeated entry, written straight into the compressor.
func inflatingInventory(size int) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	head := `{"action":"inventory","deviceid":"x","content":{"versionclient":"v","softwares":[`
	item := []byte(`{"name":"package","version":"1.0","publisher":"Example"},`)
	zw.Write([]byte(head))
	chunk := bytes.Repeat(item, 1<<14)
	n := len(head)
	for n+len(chunk) < size {
		zw.Write(chunk)
		n += len(chunk)
	}
	for n+len(item) < size {
		zw.Write(item)
		n += len(item)
	}
	zw.Write([]byte(`{"name":"last"}]}}`))
	zw.Close()
	return buf.Bytes()
}

// peakRSS returns the peak resident set size of this process (VmHWM), or 0
// where /proc is not available.
func peakRSS() int64 { return procStatus("VmHWM") }

// TestMeasureInflatedBodies reports the peak RSS of the service while it
// takes GLPI_ENROLLD_MEASURE_N concurrent inventories that inflate to 31 MB
// each, from as many devices (or from one with GLPI_ENROLLD_MEASURE_ONE):
// a measurement, run by hand, not an assertion.
func TestMeasureInflatedBodies(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GLPI_ENROLLD_MEASURE_N"))
	if n <= 0 {
		t.Skip("set GLPI_ENROLLD_MEASURE_N to measure")
	}
	one := os.Getenv("GLPI_ENROLLD_MEASURE_ONE") != ""
	e := newEnv(t, quiet)
	key := e.key(KeyOptions{})
	tokens := make([]string, n)
	for i := range n {
		if one && i > 0 {
			tokens[i] = tokens[0]
			continue
		}
		tokens[i] = e.enroll(key, enrollReq(fmt.Sprint("pc-", i))).Credential.AccessToken
	}
	body := inflatingInventory(31 << 20)
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM
	base := peakRSS()
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", e.url+enroll.PathInventory, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-compress-zlib")
			req.Header.Set("Authorization", "Bearer "+tokens[i])
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			r.Body.Close()
			statuses[i] = r.StatusCode
		})
	}
	wg.Wait()
	t.Logf("%d concurrent %d-byte bodies inflating to 31 MiB (one device: %v): statuses %v; peak RSS %d MiB before, %d MiB during",
		n, len(body), one, statuses, base>>20, peakRSS()>>20)
}

// partialInventory is inventoryJSON marked partial.
func partialInventory(host string, n int) []byte {
	var msg map[string]any
	json.Unmarshal(inventoryJSON(host, n), &msg)
	msg["partial"] = true
	return mustJSON(msg)
}

// postInventory posts body as a device would and returns the answer's
// status and reason.
func postInventory(t *testing.T, url, token, ctype string, body io.Reader) (int, enroll.ErrorBody, http.Header) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", url+enroll.PathInventory, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var eb enroll.ErrorBody
	json.NewDecoder(r.Body).Decode(&eb)
	return r.StatusCode, eb, r.Header
}

// TestInventoryInflatedSize: a small compressed body inflating to valid
// JSON beyond the cap is refused with 413 once the cap is read, by default
// (16 MiB) and with a configured cap.
func TestInventoryInflatedSize(t *testing.T) {
	big := inflatingInventory(31 << 20)
	t.Logf("31 MiB of JSON in %d bytes of zlib", len(big))
	tests := []struct {
		name   string
		max    int64
		body   []byte
		status int
	}{
		{"default cap, 31 MiB inflated", 0, big, http.StatusRequestEntityTooLarge},
		{"default cap, 15 MiB inflated", 0, inflatingInventory(15 << 20), http.StatusAccepted},
		{"1 MiB cap, 2 MiB inflated", 1 << 20, inflatingInventory(2 << 20), http.StatusRequestEntityTooLarge},
		{"1 MiB cap, 2 MiB plain", 1 << 20, bytes.Repeat([]byte(" "), 2<<20), http.StatusRequestEntityTooLarge},
		{"1 MiB cap, 900 KiB inflated", 1 << 20, inflatingInventory(900 << 10), http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.MaxInventorySize = tt.max })
			dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
			ctype := "application/x-compress-zlib"
			if tt.body[0] == ' ' {
				ctype = "application/json"
			}
			status, eb, _ := postInventory(t, e.url, dev.Credential.AccessToken, ctype, bytes.NewReader(tt.body))
			if status != tt.status {
				t.Fatalf("POST inventory = %d %+v, want %d", status, eb, tt.status)
			}
			_, err := e.st.Inventory(t.Context(), dev.DeviceID)
			if stored := err == nil; stored != (tt.status == http.StatusAccepted) {
				t.Errorf("inventory stored = %v after %d", stored, status)
			}
			if status == http.StatusRequestEntityTooLarge && eb.Reason != enroll.ReasonTooLarge {
				t.Errorf("reason = %q, want %q", eb.Reason, enroll.ReasonTooLarge)
			}
		})
	}
}

// TestInventoryOneAtATimePerDevice: while an inventory of a device is
// being received, another one of the same device is refused with 429 and
// a Retry-After; other devices are not held up.
func TestInventoryOneAtATimePerDevice(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(KeyOptions{})
	dev := e.enroll(key, enrollReq("pc"))
	other := e.enroll(key, enrollReq("other"))
	body := inventoryJSON("pc", 5)
	pr, pw := io.Pipe()
	first := make(chan int, 1)
	go func() {
		status, _, _ := postInventory(t, e.url, dev.Credential.AccessToken, "application/json", pr)
		first <- status
	}()
	pw.Write(body[:10]) // the server is reading it
	waitFor(t, func() bool {
		e.srv.intake.mu.Lock()
		defer e.srv.intake.mu.Unlock()
		_, ok := e.srv.intake.ids[dev.DeviceID]
		return ok
	})
	status, eb, h := postInventory(t, e.url, dev.Credential.AccessToken, "application/json", bytes.NewReader(body))
	if status != http.StatusTooManyRequests || eb.Reason != enroll.ReasonRateLimited || h.Get("Retry-After") == "" {
		t.Errorf("second inventory of the device = %d %+v (Retry-After %q), want 429 rate_limited with a Retry-After", status, eb, h.Get("Retry-After"))
	}
	if status, eb, _ := postInventory(t, e.url, other.Credential.AccessToken, "application/json", bytes.NewReader(inventoryJSON("other", 1))); status != http.StatusAccepted {
		t.Errorf("inventory of another device = %d %+v, want 202", status, eb)
	}
	pw.Write(body[10:])
	pw.Close()
	if status := <-first; status != http.StatusAccepted {
		t.Errorf("first inventory = %d, want 202", status)
	}
	if status, eb, _ := postInventory(t, e.url, dev.Credential.AccessToken, "application/json", bytes.NewReader(body)); status != http.StatusAccepted {
		t.Errorf("next inventory of the device = %d %+v, want 202", status, eb)
	}
}

// TestOutboxPerDevice: while GLPI is down, a device sending full
// inventories keeps only the newest waiting (and the one being posted),
// each drop audited; partial ones beyond the limit are dropped with a full
// inventory asked of the device.
func TestOutboxPerDevice(t *testing.T) {
	g := glpitest.New(t, glpitest.WithFailures(1000, http.StatusServiceUnavailable))
	relay, err := glpi.New(glpi.Config{URL: g.URL, Retries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		c.Relay, c.RelayBackoff, c.RelayMaxBackoff, c.RelayPoll = relay, time.Hour, time.Hour, 10*time.Millisecond
		c.OutboxPerDevice = 3
		c.Now = nil // the outbox schedule needs real time
	})
	key := e.key(KeyOptions{})
	dev := e.enroll(key, enrollReq("pc"))
	bystander := e.enroll(key, enrollReq("bystander"))
	send := func(token string, partial bool, i int) {
		t.Helper()
		host := "pc"
		if token == bystander.Credential.AccessToken {
			host = "bystander"
		}
		body := inventoryJSON(host, i+1)
		if partial {
			body = partialInventory(host, i+1)
		}
		if _, err := e.client.SendInventory(t.Context(), token, body); err != nil {
			t.Fatal(err)
		}
	}
	depth := func() int {
		n, err := e.st.OutboxDepth(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	send(bystander.Credential.AccessToken, false, 0)
	send(bystander.Credential.AccessToken, true, 1)
	for i := range 12 {
		send(dev.Credential.AccessToken, false, i)
	}
	// The device's first item may be in flight (or waiting for its
	// retry, an hour away): it is kept; the newest supersedes the rest.
	if n := depth(); n > 2+2 {
		t.Errorf("outbox holds %d items after 12 full inventories of one device, want at most 2 of it (and 2 of the bystander)", n-2)
	}
	if evs := e.events("outbox_superseded"); len(evs) == 0 || evs[0].DeviceID != dev.DeviceID {
		t.Errorf("audit = %+v, want outbox_superseded events for %s", evs, dev.DeviceID)
	}
	for i := range 6 {
		send(dev.Credential.AccessToken, true, i)
	}
	if n := depth(); n > 3+2 {
		t.Errorf("outbox holds %d items of the device after partial inventories, want at most 3", n-2)
	}
	// Which item is dropped last depends on when the relay claimed the
	// device's first one: some drop must name the partial inventories.
	evs := e.events("outbox_dropped")
	namesPartial := slices.ContainsFunc(evs, func(ev store.Event) bool { return strings.Contains(ev.Detail, "partial") })
	if len(evs) == 0 || evs[0].DeviceID != dev.DeviceID || !namesPartial {
		t.Errorf("audit = %+v, want outbox_dropped events naming dropped partial inventories", evs)
	}
	// /metrics counts what the audit names, superseded and dropped apart.
	m := e.get("/metrics")
	for _, reason := range []string{"superseded", "limit"} {
		want := fmt.Sprintf(`glpi_enrolld_outbox_dropped_total{reason=%q} `, reason)
		i := strings.Index(m, want)
		if i < 0 || strings.HasPrefix(m[i+len(want):], "0\n") {
			t.Errorf("/metrics lacks a count of inventories %s:\n%s", reason, m)
		}
	}
	acts, err := e.st.DeviceActions(t.Context(), dev.DeviceID, 10)
	if err != nil || len(acts) != 1 || !acts[0].Full || acts[0].State != enroll.ActionQueued {
		t.Errorf("device actions = %+v, %v; want one full inventory asked", acts, err)
	}
	hist, _ := e.st.History(t.Context(), bystander.DeviceID)
	if len(hist) != 2 {
		t.Errorf("bystander history = %+v", hist)
	}
	if n, _ := e.st.OutboxDepth(t.Context()); n < 2 {
		t.Errorf("outbox depth %d: the bystander's inventories were dropped", n)
	}
}

// TestOneCheckInPerDevice: a device holds one long poll; a new check-in
// replaces the held one, which is answered at once.
func TestOneCheckInPerDevice(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(KeyOptions{})
	dev := e.enroll(key, enrollReq("pc"))
	other := e.enroll(key, enrollReq("other"))
	token := dev.Credential.AccessToken
	otherHeld := checkInAsync(t.Context(), e.client, other.Credential.AccessToken, &enroll.CheckInRequest{Wait: 30})
	waitHeld(t, e.srv, 1)
	last := checkInAsync(t.Context(), e.client, token, &enroll.CheckInRequest{Wait: 30})
	waitHeld(t, e.srv, 2)
	for i := range 4 {
		prev := last
		last = checkInAsync(t.Context(), e.client, token, &enroll.CheckInRequest{Wait: 30})
		select {
		case r := <-prev:
			if r.err != nil || len(r.resp.Actions) != 0 || r.resp.Poll != shortPollInterval {
				t.Errorf("replaced check-in %d = %+v, %v; want no action and poll %d", i, r.resp, r.err, shortPollInterval)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("check-in %d still held after a newer one of the device", i)
		}
	}
	// Every replaced check-in was answered above: two stay held, one per
	// device, once the replaced ones' handlers have returned.
	waitFor(t, func() bool { return e.srv.metrics.held.Load() == 2 })
	a, err := QueueRunNow(t.Context(), e.st, dev.DeviceID, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := <-last; r.err != nil || len(r.resp.Actions) != 1 || r.resp.Actions[0].ID != a.ID {
		t.Errorf("newest check-in = %+v, %v; want action %s", r.resp, r.err, a.ID)
	}
	select {
	case r := <-otherHeld:
		t.Errorf("the other device's check-in was answered: %+v, %v", r.resp, r.err)
	default:
	}
}
