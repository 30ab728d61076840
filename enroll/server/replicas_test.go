package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store/pgtest"
)

// postgresSchema returns the URL of a fresh schema of the test database,
// dropped at the end of the test, or skips the test.
func postgresSchema(t testing.TB) string { return pgtest.Schema(t) }

// replica is one glpi-enrolld process of a PostgreSQL deployment.
type replica struct {
	srv *Server
	url string
}

func startReplica(t *testing.T, dsn string, edits ...func(*Config)) replica {
	t.Helper()
	st, secret, err := OpenStore(t.Context(), "", dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{Store: st, Secret: secret, AdminToken: testAdminToken, Logger: slog.New(slog.DiscardHandler)}
	for _, edit := range edits {
		edit(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { srv.RunWatch(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return replica{srv, ts.URL}
}

// TestCheckInAcrossReplicas holds a check-in on replica B and queues the
// run-now on replica A: B must answer at once.
func TestCheckInAcrossReplicas(t *testing.T) {
	dsn := postgresSchema(t)
	a, b := startReplica(t, dsn), startReplica(t, dsn)
	k, _, err := CreateKey(t.Context(), a.srv.st, a.srv.cfg.Secret, KeyOptions{Tag: "t"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := enroll.NewClient(enroll.ClientConfig{URL: a.url, Retries: -1})
	cb, _ := enroll.NewClient(enroll.ClientConfig{URL: b.url, Retries: -1})
	dev, err := ca.Enroll(t.Context(), k.String(), enrollReq("pc"))
	if err != nil {
		t.Fatal(err)
	}
	var delays []time.Duration
	for range 5 {
		res := checkInAsync(t.Context(), cb, dev.Credential.AccessToken, &enroll.CheckInRequest{Wait: 30})
		waitHeld(t, b.srv, 1)
		queued := time.Now()
		resp, out := runNowAPI(t, a.url, testAdminToken, dev.DeviceID, "")
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("run-now on A = %d", resp.StatusCode)
		}
		r := <-res
		if r.err != nil || len(r.resp.Actions) != 1 || r.resp.Actions[0].ID != out.ID {
			t.Fatalf("check-in on B = %+v, %v; want action %s", r.resp, r.err, out.ID)
		}
		delays = append(delays, r.at.Sub(queued))
	}
	t.Logf("replica B answered %v after the run-now on A", delays)
	for _, d := range delays {
		if d > 15*time.Second { // the wait is 30 s
			t.Errorf("replica B answered %v after the run-now on A: by its wait, not woken", d)
		}
	}
	// Delivered once across replicas.
	if resp, err := ca.CheckIn(t.Context(), dev.Credential.AccessToken, &enroll.CheckInRequest{}); err != nil || len(resp.Actions) != 0 {
		t.Errorf("check-in on A after delivery by B = %+v, %v; want nothing", resp, err)
	}

	// A revocation through A (the admin command's store) ends the
	// check-in B holds, with the revocation.
	res := checkInAsync(t.Context(), cb, dev.Credential.AccessToken, &enroll.CheckInRequest{Wait: 60})
	waitHeld(t, b.srv, 1)
	if err := a.srv.st.RevokeDevice(t.Context(), dev.DeviceID, time.Now()); err != nil {
		t.Fatal(err)
	}
	answeredRevoked(t, res, "check-in on B after the revocation")
}
