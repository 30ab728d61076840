package loadtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
)

// The holder processes of the checkin mode (checkin_test.go): this test
// binary, re-executed with holderEnv set, runs runHolder from TestMain.

// holderEnv carries a holder process's configuration (a JSON file name).
const holderEnv = "GLPI_LOADTEST_CHECKIN_HOLDER"

// holderConfig is what a holder process plays.
type holderConfig struct {
	URL    string   `json:"url"`
	Pin    string   `json:"pin"`
	Tokens []string `json:"tokens"` // access tokens, by device
	First  int      `json:"first"`  // index of Tokens[0] in the fleet
	Wait   int      `json:"wait"`   // seconds a check-in may be held
	Stream bool     `json:"stream"` // streamed check-ins, as the agent makes them
	Source int      `json:"source"` // second byte of the 127.x.y.z source addresses
}

// runHolder is a holder process: it holds a check-in for each of its
// devices, from a source address of its own, until its parent ends it,
// and says on stdout "action DEVICE UNIXNANO" for each action received.
func runHolder(file string) int {
	b, err := os.ReadFile(file)
	var cfg holderConfig
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "holder:", err)
		return 2
	}
	if err := raiseOpenFiles(); err != nil {
		fmt.Fprintln(os.Stderr, "holder:", err)
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
		outMu.Unlock()
	}
	// A few handshakes at a time: the listen backlog is bounded.
	dialing := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var sawProto sync.Map
	for k, token := range cfg.Tokens {
		i := cfg.First + k
		src := net.IPv4(127, byte(cfg.Source), byte(k/250), byte(1+k%250))
		wg.Go(func() { holdCheckIns(cfg, i, token, src, dialing, say, &sawProto) })
	}
	wg.Wait()
	return 0
}

// holdCheckIns checks in for device i again and again, from src, as the
// agent's loop does: each answer's actions are reported sent in the next.
func holdCheckIns(cfg holderConfig, i int, token string, src net.IP, dialing chan struct{}, say func(string, ...any), sawProto *sync.Map) {
	tc, err := holderTLS(cfg)
	if err != nil {
		say("error %v", err)
		return
	}
	// The agent's transport offers HTTP/2 and HTTP/1.1, as this one does.
	tc.NextProtos = []string{"h2", "http/1.1"}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 30 * time.Second}
	tr := &http.Transport{ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 1,
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialing <- struct{}{}
			defer func() { <-dialing }()
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tlsConn := tls.Client(c, tc)
			if err := tlsConn.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, err
			}
			if p := tlsConn.ConnectionState().NegotiatedProtocol; p != "" {
				if _, seen := sawProto.LoadOrStore(p, true); !seen {
					say("proto %s", p)
				}
			}
			return tlsConn, nil
		}}
	client := &http.Client{Transport: tr, Timeout: time.Duration(cfg.Wait)*time.Second + time.Minute}
	var results []enroll.ActionResult
	for {
		body, _ := json.Marshal(enroll.CheckInRequest{Wait: cfg.Wait, Stream: cfg.Stream, Status: "idle", Results: results})
		req, _ := http.NewRequest(http.MethodPost, cfg.URL+enroll.PathCheckIn, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			say("error %d %v", i, err)
			time.Sleep(time.Second + rand.N(time.Second))
			continue
		}
		var out enroll.CheckInResponse
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			say("error %d %s %v", i, resp.Status, err)
			time.Sleep(time.Second + rand.N(time.Second))
			continue
		}
		results = results[:0]
		for _, a := range out.Actions {
			say("action %d %d", i, time.Now().UnixNano())
			results = append(results, enroll.ActionResult{ID: a.ID, State: enroll.ActionSent, At: time.Now().UTC()})
		}
		if out.Poll > 0 {
			time.Sleep(time.Duration(out.Poll) * time.Second)
		}
	}
}

// holderTLS is the agent's TLS setting: the service's key pinned.
func holderTLS(cfg holderConfig) (*tls.Config, error) {
	return tlspin.ClientConfig(tlspin.Config{Host: "127.0.0.1", Pins: []string{cfg.Pin}})
}
