// Package cli is glpi-agentd's command line: the daemon and the commands
// an administrator or a technician runs by hand.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/kardianos/service"

	"github.com/glpi-agentd/glpi-agentd/agent"
	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/collectors"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(g *globals, args []string) error
}

var commands = []command{
	{"inventory", "collect once; write it locally (--local) or send it to the server", cmdInventory},
	{"enroll", "enroll with glpi-enrolld using the registration key", cmdEnroll},
	{"run", "run the daemon in the foreground (what the service runs)", cmdRun},
	{"service", "install, uninstall, start, stop or show the system service", cmdService},
	{"now", "ask the running daemon to run an inventory now (or run it here)", cmdNow},
	{"prepare-image", "wipe this installation's identity for a golden image, keep key and config", cmdPrepareImage},
	{"status", "show identity, target, last run and next run", cmdStatus},
	{"categories", "list the inventory categories of this platform", cmdCategories},
	{"version", "print the version", cmdVersion},
}

// exitError carries a specific exit status.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Main runs the command line and returns the process exit status.
func Main(args []string) int {
	g := &globals{stdout: os.Stdout, stderr: os.Stderr, environ: os.Environ()}
	fs := flag.NewFlagSet("glpi-agentd", flag.ContinueOnError)
	fs.SetOutput(g.stderr)
	g.register(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { usage(g.stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		cmdVersion(g, nil)
		return 0
	}
	if fs.NArg() == 0 {
		usage(g.stderr, fs)
		return 2
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	for _, c := range commands {
		if c.name == name {
			err := c.run(g, rest)
			var ee exitError
			switch {
			case err == nil:
				return 0
			case errors.As(err, &ee):
				return ee.code
			case errors.Is(err, flag.ErrHelp):
				return 0
			}
			fmt.Fprintf(g.stderr, "glpi-agentd %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(g.stderr, "glpi-agentd: unknown command %q\n", name)
	usage(g.stderr, fs)
	return 2
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: glpi-agentd [global flags] COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nGlobal flags (also accepted after the command):\n")
	fs.PrintDefaults()
}

// globals are the flags every command takes.
type globals struct {
	configFile string
	stateDir   string
	hostRoot   string
	debug      int

	stdout, stderr io.Writer
	environ        []string
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.configFile, "config", g.configFile, "configuration `file` (TOML; default "+config.DefaultFile()+" when present)")
	fs.StringVar(&g.stateDir, "state-dir", g.stateDir, "state `directory` (default "+config.DefaultStateDir()+")")
	fs.StringVar(&g.hostRoot, "host-root", g.hostRoot, "`directory` where the host's files are read (for containers and tests)")
	fs.IntVar(&g.debug, "debug", g.debug, "log verbosity: 0 info, 1 or 2 debug")
}

// flags returns a subcommand's flag set, with the global flags.
func (g *globals) flags(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet("glpi-agentd "+name, flag.ContinueOnError)
	fs.SetOutput(g.stderr)
	g.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(g.stderr, "Usage: glpi-agentd %s [flags] %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// load reads the configuration: the file given, else the default file when
// it exists, then the environment, then the flags.
func (g *globals) load() (*config.Config, error) {
	file, required := g.configFile, true
	if file == "" {
		file, required = config.DefaultFile(), false
	}
	cfg, err := config.Load(file, required, g.environ)
	if err != nil {
		return nil, err
	}
	if g.stateDir != "" {
		cfg.StateDir = g.stateDir
	}
	if g.debug > 0 {
		cfg.Debug = g.debug
	}
	return cfg, cfg.Validate()
}

// logger builds the one logger of the process.
func (g *globals) logger(cfg *config.Config) (*slog.Logger, func(), error) {
	level := logLevel(cfg)
	w, closeFn := g.stderr, func() {}
	if cfg.Logfile != "" {
		f, err := os.OpenFile(cfg.Logfile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closeFn, nil
}

// setup loads the configuration and builds the agent.
func (g *globals) setup() (*agent.Agent, *config.Config, func(), error) {
	cfg, err := g.load()
	if err != nil {
		return nil, nil, nil, err
	}
	log, closeFn, err := g.logger(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, name := range cfg.Ignored() {
		log.Warn("ignoring an environment variable that names no setting (see glpi-agentd's configuration keys)", "name", name)
	}
	a, err := g.newAgent(cfg, log)
	if err != nil {
		closeFn()
		return nil, nil, nil, err
	}
	return a, cfg, closeFn, nil
}

// newAgent builds the agent for cfg, reading the host at --host-root.
func (g *globals) newAgent(cfg *config.Config, log *slog.Logger) (*agent.Agent, error) {
	env := &collectors.Env{
		Root:    g.hostRoot,
		Logger:  log,
		Options: agent.CollectorOptions(cfg),
	}
	return agent.New(cfg, env, log)
}

// logLevel is the level the configuration asks for.
func logLevel(cfg *config.Config) slog.Level {
	if cfg.Debug > 0 {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// signalContext is cancelled on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func cmdVersion(g *globals, _ []string) error {
	fmt.Fprintf(g.stdout, "%s %s\n", agent.Name, agent.Version)
	return nil
}

func cmdCategories(g *globals, args []string) error {
	fs := g.flags("categories", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	infos := collectors.All()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	for _, i := range infos {
		state := "on"
		if !i.Default {
			state = "off (enable_category)"
		}
		fmt.Fprintf(g.stdout, "%-16s %-18s %s\n", i.Name, i.Key, state)
	}
	return nil
}

func cmdRun(g *globals, args []string) error {
	fs := g.flags("run", "")
	scm := fs.Bool("service", false, "run as the Windows service under the service control manager (what the MSI registers)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *scm || !service.Interactive() {
		return g.runService(*scm)
	}
	a, _, closeFn, err := g.setup()
	if err != nil {
		return err
	}
	defer closeFn()
	if err := g.applyKey(a, ""); err != nil {
		return err
	}
	a.AdoptOfficialSettings(true)
	ctx, cancel := signalContext()
	defer cancel()
	return a.Serve(ctx)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func splitFlag(s string) []string { return config.SplitList(strings.TrimSpace(s)) }
