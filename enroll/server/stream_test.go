package server

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// TestStreamedCheckIn reads a streamed check-in off the wire: its head at
// once, a keep-alive every CheckInKeepAlive, held past MaxCheckInWait,
// and the JSON answer when a run-now comes; a revocation meanwhile ends
// it with an answer that sends the agent back for its 403.
func TestStreamedCheckIn(t *testing.T) {
	e := newEnv(t, nil)
	const every = 30 * time.Millisecond
	srv, ln, c := serveTLSWith(t, e, func(c *Config) { c.CheckInKeepAlive = every })
	key := e.key(KeyOptions{})
	addr := ln.Addr().String()

	dev := e.enroll(key, enrollReq("pc-streamed"))
	body, chunks := streamCheckIn(t, addr, dev.Credential.AccessToken, `{"wait":600,"stream":true,"status":"idle"}`)
	waitHeld(t, srv, 1)
	if left := parkedFor(t, srv, dev.DeviceID); left < 500*time.Second {
		t.Errorf("streamed check-in held for %v, want up to %d s", left, enroll.MaxStreamedCheckInWait)
	}
	time.Sleep(10 * every)
	if n := bytes.Count(<-chunks, []byte("\n")); n < 3 {
		t.Errorf("%d keep-alives in %v, want one every %v", n, 10*every, every)
	}
	a, err := QueueRunNow(t.Context(), e.st, dev.DeviceID, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv.Wake(dev.DeviceID)
	var resp enroll.CheckInResponse
	if err := json.Unmarshal(<-body, &resp); err != nil || len(resp.Actions) != 1 || resp.Actions[0].ID != a.ID {
		t.Fatalf("streamed answer = %+v, %v; want action %s", resp, err, a.ID)
	}

	// Revoked while held: an answer with no action and no poll, then 403.
	other := e.enroll(key, enrollReq("pc-streamed-revoked"))
	body, _ = streamCheckIn(t, addr, other.Credential.AccessToken, `{"wait":600,"stream":true,"status":"idle"}`)
	waitHeld(t, srv, 1)
	if err := e.st.RevokeDevice(t.Context(), other.DeviceID, time.Now()); err != nil {
		t.Fatal(err)
	}
	srv.Wake(other.DeviceID)
	resp = enroll.CheckInResponse{Poll: -1}
	if err := json.Unmarshal(<-body, &resp); err != nil || len(resp.Actions) != 0 || resp.Poll != 0 {
		t.Fatalf("streamed answer after revocation = %+v, %v; want no action and poll 0", resp, err)
	}
	if _, err := c.CheckIn(t.Context(), other.Credential.AccessToken, &enroll.CheckInRequest{Stream: true, Wait: 600}); !isRevoked(err) {
		t.Errorf("check-in after the streamed answer = %v, want 403 device revoked", err)
	}
}

// TestStreamedCheckInThroughClient holds streamed check-ins through the
// agent's client: a run-now reaches it, the wait's end answers it, and
// the connection serves the next.
func TestStreamedCheckInThroughClient(t *testing.T) {
	e := newEnv(t, nil)
	srv, ln, c := serveTLSWith(t, e, func(c *Config) { c.CheckInKeepAlive = 20 * time.Millisecond })
	dev := e.enroll(e.key(KeyOptions{}), enrollReq("pc"))
	token := dev.Credential.AccessToken
	res := checkInAsync(t.Context(), c, token, &enroll.CheckInRequest{Wait: 600, Stream: true})
	waitHeld(t, srv, 1)
	time.Sleep(100 * time.Millisecond) // keep-alives go by
	a, err := QueueRunNow(t.Context(), e.st, dev.DeviceID, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv.Wake(dev.DeviceID)
	if r := <-res; r.err != nil || len(r.resp.Actions) != 1 || r.resp.Actions[0].ID != a.ID {
		t.Fatalf("streamed check-in = %+v, %v; want action %s", r.resp, r.err, a.ID)
	}
	start := time.Now()
	r := <-checkInAsync(t.Context(), c, token, &enroll.CheckInRequest{Wait: 1, Stream: true,
		Results: []enroll.ActionResult{{ID: a.ID, State: enroll.ActionSent, At: time.Now()}}})
	if r.err != nil || len(r.resp.Actions) != 0 || time.Since(start) < 900*time.Millisecond {
		t.Errorf("streamed check-in past its wait = %+v, %v after %v; want no action after 1 s", r.resp, r.err, time.Since(start))
	}
	if n := ln.n.Load(); n != 1 {
		t.Errorf("connections accepted = %d, want 1: a streamed answer's connection serves the next", n)
	}
}

// streamCheckIn posts a check-in on a connection of its own and returns
// its body, whole once it ends, and what came of it so far on demand.
func streamCheckIn(t *testing.T, addr, token, req string) (whole <-chan []byte, sofar <-chan []byte) {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		enroll.PathCheckIn, addr, token, len(req), req)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !slices.Equal(resp.TransferEncoding, []string{"chunked"}) || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("streamed check-in head: %s %v %v, want 200, chunked JSON", resp.Status, resp.TransferEncoding, resp.Header)
	}
	done, part := make(chan []byte, 1), make(chan []byte)
	got := make(chan []byte)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			got <- append([]byte(nil), buf[:n]...)
			if err != nil {
				close(got)
				return
			}
		}
	}()
	go func() {
		var all []byte
		for {
			select {
			case b, ok := <-got:
				if !ok {
					done <- all
					return
				}
				all = append(all, b...)
			case part <- all:
			}
		}
	}()
	return done, part
}

// parkedFor returns how long the check-in of deviceID is parked for yet.
func parkedFor(t *testing.T, srv *Server, deviceID string) time.Duration {
	t.Helper()
	srv.parking.mu.Lock()
	defer srv.parking.mu.Unlock()
	for p := range srv.parking.parked {
		if p.deviceID == deviceID {
			return time.Until(p.deadline)
		}
	}
	t.Fatalf("no check-in of %s parked", deviceID)
	return 0
}

func isRevoked(err error) bool {
	var re *enroll.RejectError
	return errors.As(err, &re) && re.Status == http.StatusForbidden && re.Reason == enroll.ReasonDeviceRevoked
}
