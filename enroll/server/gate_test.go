package server

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// slowPost starts a POST whose body has not all come: the rest is written
// when the returned function is called, which returns the status.
func slowPost(t *testing.T, url, bearer, start string) func(rest string) int {
	t.Helper()
	body, w := io.Pipe()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", url, body)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	status := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	w.Write([]byte(start))
	time.Sleep(200 * time.Millisecond) // in the handler, reading
	return func(rest string) int {
		w.Write([]byte(rest))
		w.Close()
		return <-status
	}
}

// With no room for more work, a request waits a moment, then is told to
// come back. Held check-ins and inventories still arriving take no room,
// and the room comes back.
func TestBusyServiceShedsWork(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxInFlight, c.InFlightWait = 1, 100*time.Millisecond })
	key := e.key(KeyOptions{})
	slow := e.enroll(key, enrollReq("pc-1"))

	// An inventory on a slow link takes no room while its body comes.
	uploading := slowPost(t, e.url+enroll.PathInventory, slow.Credential.AccessToken, `{"action":"inventory",`)
	dev := e.enroll(key, enrollReq("pc-2"))
	inventory := func() error {
		_, err := e.client.SendInventory(t.Context(), dev.Credential.AccessToken, inventoryJSON("pc-2", 10))
		return err
	}

	// An enrollment being read takes the only room.
	enrolling := slowPost(t, e.url+enroll.PathEnroll, key, `{"hostname":`)
	err := inventory()
	var re *enroll.RejectError
	if !errors.As(err, &re) || re.Status != http.StatusServiceUnavailable || re.Reason != enroll.ReasonBusy {
		t.Fatalf("inventory with no room = %v, want 503 %s", err, enroll.ReasonBusy)
	}
	if re.RetryAfter < 5*time.Second || re.RetryAfter > 15*time.Second {
		t.Errorf("Retry-After %v, want 5 to 15 s", re.RetryAfter)
	}
	if _, err := e.client.Enroll(t.Context(), key, enrollReq("pc-3")); !errors.As(err, &re) || re.Reason != enroll.ReasonBusy {
		t.Errorf("enrollment with no room = %v, want 503 %s", err, enroll.ReasonBusy)
	}
	if _, err := e.client.CheckIn(t.Context(), dev.Credential.AccessToken, &enroll.CheckInRequest{Status: "idle"}); err != nil {
		t.Errorf("a check-in with no room for work: %v", err)
	}
	resp, err := http.Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, kind := range []string{"enroll", "inventory"} {
		if !strings.Contains(string(metrics), `glpi_enrolld_requests_shed_total{kind="`+kind+`"} 1`) {
			t.Errorf("/metrics does not count the %s shed:\n%s", kind, metrics)
		}
	}

	if code := enrolling(`}`); code != http.StatusBadRequest { // malformed: refused, its room freed
		t.Errorf("the slow enrollment got %d, want 400", code)
	}
	if err := inventory(); err != nil {
		t.Errorf("inventory once the room is back: %v", err)
	}
	if code := uploading(`}`); code != http.StatusBadRequest {
		t.Errorf("the slow inventory got %d, want 400", code)
	}
}
