package server

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// TestUnauthenticatedRejectionsAudited: hundreds of refused enrollments
// with wrong keys or bad bodies from one source are a few audit rows,
// one per reason and window, counting them all; a refusal that proved a
// key's secret keeps its own row.
func TestUnauthenticatedRejectionsAudited(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(KeyOptions{AllowCIDRs: []string{"192.0.2.0/24"}})
	k, _ := enroll.ParseKey(key)
	wrong := enroll.Key{ID: k.ID, Secret: strings.Repeat("A", enroll.KeySecretLen)}
	post := func(auth string, body []byte) int {
		req, _ := http.NewRequest("POST", e.url+enroll.PathEnroll, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+auth)
		req.Header.Set("Content-Type", "application/json")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	// A real key from a network it does not allow: proved, so recorded
	// one by one.
	for range 2 {
		if status := post(key, mustJSON(enrollReq("pc"))); status != http.StatusForbidden {
			t.Fatalf("enroll from a network the key does not allow = %d, want 403", status)
		}
	}
	const n = 300
	for i := range n {
		switch i % 3 {
		case 0:
			post(wrong.String(), mustJSON(enrollReq("pc")))
		case 1:
			post("glpik_garbage", nil)
		case 2:
			post(key, []byte(`{"hostname":`)) // a bad body: refused before the key is checked
		}
	}
	var rows, total int64
	perReason := map[string]int64{}
	for _, ev := range e.events("enroll_rejected") {
		if ev.Reason == string(enroll.ReasonNetworkNotAllowed) {
			continue
		}
		rows++
		total += ev.Occurrences
		perReason[ev.Reason] += ev.Occurrences
		if ev.SourceIP != "127.0.0.1" {
			t.Errorf("event source = %q, want 127.0.0.1", ev.SourceIP)
		}
	}
	if rows > 4 || total != n {
		t.Errorf("%d refused attempts audited as %d rows counting %d (%v), want at most 4 rows counting them all", n, rows, total, perReason)
	}
	if perReason[string(enroll.ReasonRateLimited)] == 0 {
		t.Errorf("no rate-limited attempt counted: %v", perReason)
	}
	if got := len(e.events("enroll_rejected")) - int(rows); got != 2 {
		t.Errorf("network_not_allowed rows = %d, want 2", got)
	}
	// The next window starts new rows.
	e.clock.Advance(auditWindow)
	post("glpik_garbage", nil)
	if got := len(e.events("enroll_rejected")); got != int(rows)+2+1 {
		t.Errorf("rows after a window = %d, want one more", got)
	}
}

// TestAuditRetention: PruneAudit deletes the events older than the
// retention and keeps the others; a negative retention keeps them all.
func TestAuditRetention(t *testing.T) {
	for _, tt := range []struct {
		retention time.Duration
		want      int
	}{{0, 1}, {time.Hour, 1}, {-1, 2}} {
		e := newEnv(t, func(c *Config) { c.AuditRetention = tt.retention })
		now := e.clock.Now()
		old := now.Add(-91 * 24 * time.Hour)
		if tt.retention == time.Hour {
			old = now.Add(-2 * time.Hour)
		}
		for _, at := range []time.Time{old, now.Add(-time.Minute)} {
			if err := e.st.AddEvent(t.Context(), store.Event{At: at, Event: "key_created"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.srv.PruneAudit(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := len(e.events("")); got != tt.want {
			t.Errorf("retention %v: %d events left, want %d", tt.retention, got, tt.want)
		}
	}
}
