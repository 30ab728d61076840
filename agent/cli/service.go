package cli

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/kardianos/service"

	"github.com/glpi-agentd/glpi-agentd/agent"
	"github.com/glpi-agentd/glpi-agentd/agent/config"
	svc "github.com/glpi-agentd/glpi-agentd/agent/service"
)

// cmdService installs, removes, starts, stops or shows the service. The
// deb, rpm and MSI register the service themselves; this is for machines
// where the binary was copied by hand.
func cmdService(g *globals, args []string) error {
	fs := g.flags("service", strings.Join(svc.Actions, "|"))
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || !slices.Contains(svc.Actions, fs.Arg(0)) {
		fs.Usage()
		return exitError{2}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find executable: %w", err)
	}
	runArgs, err := g.serviceArgs()
	if err != nil {
		return err
	}
	s, err := service.New(&svc.Program{}, svc.Config(exe, runArgs...))
	if err != nil {
		return fmt.Errorf("set up service: %w", err)
	}
	msg, err := svc.Control(s, fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "%s: %s\n", svc.Name, msg)
	return nil
}

// serviceArgs passes the global flags given to `service install` on to
// the service's `run`, with absolute paths.
func (g *globals) serviceArgs() ([]string, error) {
	var args []string
	for _, f := range []struct{ name, path string }{{"--config", g.configFile}, {"--state-dir", g.stateDir}} {
		if f.path == "" {
			continue
		}
		abs, err := filepath.Abs(f.path)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", f.name, err)
		}
		args = append(args, f.name, abs)
	}
	return args, nil
}

// runService is `run` started by the service manager: the agent runs as
// the Program the manager starts and stops. With scm (`run --service`) it
// runs under the Windows service control manager without asking whether
// the process is a service (see svc.RunSCM); otherwise kardianos detects
// the manager. Without a log file, Windows logs go to the Application
// event log; elsewhere standard error is the journal (systemd) or
// launchd's log file.
func (g *globals) runService(scm bool) error {
	p := &svc.Program{}
	// Running needs only the service's name: the executable matters to install.
	s, err := service.New(p, svc.Config(""))
	if err != nil {
		return fmt.Errorf("set up service: %w", err)
	}
	// kardianos's Logger is the console when it sees no service manager.
	newLog := s.Logger
	if scm {
		newLog = s.SystemLogger
	}
	a, log, closeFn, err := g.serviceAgent(newLog)
	if err != nil {
		if sl, lerr := newLog(nil); lerr == nil {
			sl.Error(err.Error())
		}
		return err
	}
	defer closeFn()
	p.Serve, p.Log = a.Serve, log
	if config.RegistryRunNow() {
		if run, err := a.State().Run(); err == nil && run.LastRun.IsZero() {
			a.Trigger(agent.Request{Force: true})
		}
	}
	if scm {
		return svc.RunSCM(p)
	}
	return s.Run()
}

// serviceAgent loads the configuration and builds the agent, logging
// through newLog's service logger where standard error goes nowhere.
func (g *globals) serviceAgent(newLog func(chan<- error) (service.Logger, error)) (*agent.Agent, *slog.Logger, func(), error) {
	cfg, err := g.load()
	if err != nil {
		return nil, nil, nil, err
	}
	var log *slog.Logger
	closeFn := func() {}
	if cfg.Logfile == "" && runtime.GOOS == "windows" {
		sl, err := newLog(nil)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("open service log: %w", err)
		}
		log = slog.New(svc.NewHandler(sl, logLevel(cfg)))
	} else if log, closeFn, err = g.logger(cfg); err != nil {
		return nil, nil, nil, err
	}
	a, err := g.newAgent(cfg, log)
	if err != nil {
		closeFn()
		return nil, nil, nil, err
	}
	if err := g.applyKey(a, ""); err != nil {
		closeFn()
		return nil, nil, nil, err
	}
	a.AdoptOfficialSettings(true)
	return a, log, closeFn, nil
}
