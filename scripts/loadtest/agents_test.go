package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// simConfig describes one simulated fleet.
type simConfig struct {
	URLs        []string // agent i talks to URLs[i%len(URLs)]
	Key         string
	Agents      int
	Inventories int           // per agent
	Workers     int           // agents in flight at once
	Ramp        time.Duration // agents start spread over it; 0 starts them all at once
	CheckIn     bool          // the server serves /api/v1/checkin
	CheckInWait int           // seconds a check-in may be held
	Run         string        // makes markers unique to this run
	Deadline    time.Duration // an agent gives up after it
}

// ack is an inventory the server acknowledged with 202 and an id.
type ack struct {
	Agent  int
	Marker string
	ID     int64
}

// sim plays a fleet of agents. Each agent enrolls with the registration
// key, sends its inventories, renews its credential and checks in, retrying
// every failed call with backoff as glpi-agentd does, until its deadline.
type sim struct {
	cfg   simConfig
	tmpl  *template
	stats *stats

	mu       sync.Mutex
	acks     []ack
	enrolled []*enroll.EnrollResponse // by agent
	gaveUp   int

	acked atomic.Int64 // len(acks), read while running
}

func newSim(cfg simConfig, tmpl *template) *sim {
	return &sim{cfg: cfg, tmpl: tmpl, stats: newStats(), enrolled: make([]*enroll.EnrollResponse, cfg.Agents)}
}

// run plays every agent and returns when all are done.
func (s *sim) run(ctx context.Context) error {
	type job struct {
		agent int
		due   time.Time
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var clientErr error
	var once sync.Once
	// Each worker keeps one client per server, so its keep-alive
	// connections are reused by the agents it plays in turn.
	workers := make([][]*enroll.Client, min(s.cfg.Workers, s.cfg.Agents))
	for w := range workers {
		for _, u := range s.cfg.URLs {
			c, err := enroll.NewClient(enroll.ClientConfig{URL: u, Timeout: 30 * time.Second, UserAgent: "glpi-agentd-loadtest"})
			if err != nil {
				return err
			}
			workers[w] = append(workers[w], c)
		}
	}
	for _, clients := range workers {
		wg.Go(func() {
			for j := range jobs {
				if err := s.agent(ctx, clients[j.agent%len(clients)], j.agent); err != nil {
					s.mu.Lock()
					s.gaveUp++
					s.mu.Unlock()
					once.Do(func() { clientErr = fmt.Errorf("agent %d: %w", j.agent, err) })
				}
				s.stats.observe("agent total", time.Since(j.due))
			}
		})
	}
	start := time.Now()
	for i := range s.cfg.Agents {
		due := start
		if s.cfg.Ramp > 0 {
			due = start.Add(s.cfg.Ramp * time.Duration(i) / time.Duration(s.cfg.Agents))
			if wait := time.Until(due); wait > 0 {
				time.Sleep(wait)
			}
		}
		jobs <- job{agent: i, due: due}
	}
	close(jobs)
	wg.Wait()
	return clientErr
}

// agent plays agent i from enrollment to its last check-in.
func (s *sim) agent(ctx context.Context, c *enroll.Client, i int) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Deadline)
	defer cancel()
	host := fmt.Sprintf("lt-%s-%06d", s.cfg.Run, i)
	uuid, serial := fmt.Sprintf("4C4C4544-%04X-%04X-%04X-%012X", i>>16&0xffff, i&0xffff, 0x8000, i), fmt.Sprintf("SN%08d", i)
	req := &enroll.EnrollRequest{
		Hostname: host, AgentVersion: "loadtest", OS: "linux", Arch: "amd64",
		InstallID: fmt.Sprintf("install-%s-%06d", s.cfg.Run, i),
		// The service checks each inventory's UUID and serial against these.
		Fingerprint: enroll.Fingerprint{
			MachineID:  fmt.Sprintf("%032x", uint64(i)+1<<40),
			SMBIOSUUID: enroll.HashSignal(enroll.SignalUUID(uuid)),
			Serial:     enroll.HashSignal(serial),
			MACs:       []string{fmt.Sprintf("%064x", uint64(i)+1<<42)},
		},
	}
	req.Fingerprint.InstallID = req.InstallID
	var er *enroll.EnrollResponse
	err := s.call(ctx, "enroll", func(ctx context.Context) (err error) {
		er, err = c.Enroll(ctx, s.cfg.Key, req)
		return err
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.enrolled[i] = er
	s.mu.Unlock()

	vars := invVars{
		DeviceID: er.GLPIDeviceID, Tag: er.Tag, Host: host,
		UUID: uuid, Serial: serial, MAC: fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", i>>24&0xff, i>>16&0xff, i>>8&0xff, i&0xff),
		IP: fmt.Sprintf("10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff),
	}
	token := er.Credential.AccessToken
	for seq := 1; seq <= s.cfg.Inventories; seq++ {
		vars.Run, vars.Marker = seq, marker(s.cfg.Run, i, seq)
		body := s.tmpl.render(&vars)
		var resp *enroll.InventoryResponse
		err := s.call(ctx, "inventory", func(ctx context.Context) (err error) {
			resp, err = c.SendInventory(ctx, token, body)
			return err
		})
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.acks = append(s.acks, ack{Agent: i, Marker: vars.Marker, ID: resp.ID})
		s.mu.Unlock()
		s.acked.Add(1)
	}

	cred := er.Credential
	err = s.call(ctx, "refresh", func(ctx context.Context) error {
		next, err := c.Refresh(ctx, &enroll.RefreshRequest{DeviceID: er.DeviceID, RefreshSecret: cred.RefreshSecret, Generation: cred.Generation, Fingerprint: &req.Fingerprint})
		if err == nil {
			cred = *next
		}
		return err
	})
	if err != nil || !s.cfg.CheckIn {
		return err
	}
	return s.call(ctx, "check-in", func(ctx context.Context) error {
		_, err := c.CheckIn(ctx, cred.AccessToken, &enroll.CheckInRequest{Wait: s.cfg.CheckInWait, Status: "idle"})
		return err
	})
}

// call runs fn until it succeeds, recording its latency, or until a
// refusal that cannot change or the deadline. The client already retries
// network errors, 5xx and 429 a few times; this is the agent's own retry
// on top, with a capped backoff.
func (s *sim) call(ctx context.Context, op string, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := fn(ctx)
		if err == nil {
			s.stats.observe(op, time.Since(start))
			return nil
		}
		s.stats.fail(op, err)
		if !retryable(err) || ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		wait := min(250*time.Millisecond<<attempt, 5*time.Second)
		var rej *enroll.RejectError
		if errors.As(err, &rej) && rej.RetryAfter > wait {
			wait = rej.RetryAfter
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", op, err)
		case <-time.After(wait):
		}
	}
}

// retryable reports whether an agent would try a failed call again: after
// a network error, a 5xx or a 429, not after a refusal.
func retryable(err error) bool {
	var rej *enroll.RejectError
	if !errors.As(err, &rej) {
		return true
	}
	return rej.Status >= http.StatusInternalServerError || rej.Status == http.StatusTooManyRequests
}
