package agent

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/httpd"
)

// Serve runs the daemon: the schedule, and the local listener that GLPI's
// "Request inventory" button calls, until ctx is done.
func (a *Agent) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.WarnInsecure()
	var wg sync.WaitGroup
	defer wg.Wait()
	if !a.cfg.NoHTTPD {
		a.allowListener()
		wg.Go(func() { a.serveListener(ctx) })
	}
	if a.Enrolled() {
		wg.Go(func() { a.checkinLoop(ctx) })
	}
	wg.Go(func() {
		if err := a.serveControl(ctx); err != nil {
			a.log.Error("control socket not available", "err", err)
		}
	})
	return a.Run(ctx)
}

// serveListener runs the local listener until ctx is done. A port it
// cannot take is tried again every listenRetry: during a move from the
// official agent, its own listener holds the port until it is
// uninstalled, and an httpd_ip may come up after the service starts.
func (a *Agent) serveListener(ctx context.Context) {
	srv, err := a.listener()
	if err != nil {
		a.log.Error("local listener not started", "err", err)
		return
	}
	for warned := false; ; warned = true {
		err := srv.Listen()
		if err == nil {
			break
		}
		if !warned {
			a.log.Warn("local listener waiting for its port (held by another program, such as the official agent while it is installed): GLPI's \"Request inventory\" reaches this agent once it is free",
				"err", err, "retry_every", a.listenRetry)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(a.listenRetry):
		}
	}
	a.log.Info("local listener ready", "addr", srv.Addr().String())
	if err := srv.Serve(ctx); err != nil {
		a.log.Error("local listener stopped", "err", err)
	}
}

func (a *Agent) listener() (*httpd.Server, error) {
	var hosts []string
	if u, err := url.Parse(a.cfg.Server); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	srv, err := httpd.New(httpd.Config{
		Addr:        net.JoinHostPort(a.cfg.HTTPDIP, strconv.Itoa(a.cfg.HTTPDPort)),
		Trust:       a.cfg.HTTPDTrust,
		ServerHosts: hosts,
		Status:      a.Status,
		Trigger: func(full bool, categories []string) {
			a.Trigger(Request{Full: full, Categories: categories, Force: true})
		},
		// The enrollment service's GLPI: its runs are followed by the
		// service (device show) like the service's own requests.
		Pushed:        a.pushedTrust,
		PushedTrigger: a.requestedByGLPI,
		Version:       Version,
		Logger:        a.log.With("component", "httpd"),
	})
	if err != nil {
		return nil, err
	}
	return srv, nil
}

// WarnInsecure says, at every start, that secrets may cross the network in
// clear: insecure_http lets the agent send its key and tokens over plain
// HTTP to a server that is not this machine.
func (a *Agent) WarnInsecure() {
	if a.cfg.InsecureHTTP && a.Enrolled() {
		a.log.Warn("insecure_http is set: the registration key and device tokens may be sent unencrypted; use https")
	}
	if a.cfg.NoSSLCheck {
		a.log.Warn("no_ssl_check is set: the server's certificate is not verified")
	}
}
