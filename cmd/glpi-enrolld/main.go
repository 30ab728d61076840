// Command glpi-enrolld exchanges registration keys for per-device
// credentials, accepts inventories from enrolled glpi-agentd agents and
// relays them to GLPI. The same binary administers keys and devices.
//
//	glpi-enrolld serve --listen :8443 --data-dir /var/lib/glpi-enrolld --glpi-url https://glpi.example.org/
//	glpi-enrolld key create --tag SITE-A --expires 30d --max-uses 50 [--clone-policy quarantine] [--ephemeral 8h]
//	glpi-enrolld key list | key revoke ID
//	glpi-enrolld device list | device show ID | device revoke ID | device approve ID
//	glpi-enrolld device run-now ID --wait
//	glpi-enrolld audit --since 1h
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/server"
	"github.com/glpi-agentd/glpi-agentd/enroll/server/console"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/glpi"
)

const usage = `usage: glpi-enrolld COMMAND [flags]

commands:
  serve                       run the enrollment service
  key create --tag TAG        create a registration key (printed once)
  key list                    list keys and their state
  key revoke ID               revoke a key
  device list                 list enrolled devices
  device show ID              show a device and its last inventory
  device revoke ID            revoke a device
  device approve ID           let the quarantined clones of a device enroll
  device run-now ID|--hostname NAME [--category LIST] [--wait] [--timeout 2m]
                              ask the agent for an inventory now
  audit [--since 1h]          show audit events
  tls pin [--tls-cert FILE]   print the pin of the service's certificate, for ssl_fingerprint
  user add|passwd|list|remove accounts of the web console (/ui/)

Every command takes --data-dir DIR (SQLite) or --database URL (PostgreSQL,
also read from GLPI_ENROLLD_DATABASE). Without them, admin commands use the
installed service's: the database named in /etc/glpi-enrolld/glpi-enrolld.conf,
else /var/lib/glpi-enrolld, as its owner when run by root.
Run "glpi-enrolld COMMAND -h" for flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	switch {
	case errors.Is(err, errUsage):
		os.Exit(2)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0) // -h or --help: the usage asked for, printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "glpi-enrolld:", err)
		os.Exit(1)
	}
}

// storeFlags are the flags every command takes to reach the state.
type storeFlags struct {
	dataDir, database, secretFile string
	json                          bool
}

func newFlagSet(name string, sf *storeFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&sf.dataDir, "data-dir", "/var/lib/glpi-enrolld", "directory of the SQLite database and the server secret")
	fs.StringVar(&sf.database, "database", os.Getenv("GLPI_ENROLLD_DATABASE"), "PostgreSQL URL (postgres://…); overrides --data-dir")
	fs.StringVar(&sf.secretFile, "secret-file", "", "server secret file (default DATA_DIR/secret; with --database, the secret is kept in the database unless this is set)")
	return fs
}

// useService points an admin command given no store flag at the
// installed service's database (GLPI_ENROLLD_DATABASE in its settings),
// and makes root act as the owner of an SQLite data directory, so that
// "sudo glpi-enrolld key create" works on what the service uses.
func (sf *storeFlags) useService(flags *flag.FlagSet) error {
	explicit := false
	flags.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "data-dir" || f.Name == "database" })
	if !explicit && sf.database == "" {
		if conf, err := server.ReadServiceConf(server.ServiceConfFile); err == nil {
			sf.database = conf["GLPI_ENROLLD_DATABASE"]
		} else if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrPermission) {
			return err
		}
	}
	if sf.database == "" {
		return server.RunAsDataDirOwner(sf.dataDir)
	}
	return nil
}

// errUsage is a command line without a command: the usage is printed to
// standard error, and the exit code is 2.
var errUsage = errors.New("usage")

// isHelp reports a request for the usage.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

func run(ctx context.Context, args []string, out io.Writer) (err error) {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errUsage
	}
	if isHelp(args[0]) {
		fmt.Fprint(out, usage)
		return nil
	}
	cmd, args := args[0], args[1:]
	if cmd == "serve" {
		return serve(ctx, args)
	}
	if cmd == "user" {
		return userCmd(ctx, args, out)
	}
	if cmd == "tls" {
		return tlsCmd(args, out)
	}
	sub := ""
	if cmd == "key" || cmd == "device" {
		if len(args) == 0 {
			fmt.Fprint(os.Stderr, usage)
			return errUsage
		}
		if isHelp(args[0]) {
			fmt.Fprint(out, usage)
			return nil
		}
		sub, args = args[0], args[1:]
	}
	name := strings.TrimSpace(cmd + " " + sub)
	define, ok := adminCommands[name]
	if !ok {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", name)
	}
	var sf storeFlags
	fs := newFlagSet(name, &sf)
	fs.BoolVar(&sf.json, "json", false, "print JSON instead of tables")
	c := define(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	needsArg := c.needsArg != nil && c.needsArg()
	if needsArg != (len(pos) == 1) || !needsArg && len(pos) != 0 {
		return fmt.Errorf("%s: unexpected arguments %q", name, pos)
	}
	arg := ""
	if len(pos) == 1 {
		arg = pos[0]
	}
	if c.before != nil {
		// Before useService, which may give up root: what it makes is
		// the caller's.
		done, err := c.before()
		if err != nil {
			return err
		}
		defer done()
	}
	if err := sf.useService(fs); err != nil {
		return err
	}
	st, secret, err := server.OpenStore(ctx, sf.dataDir, sf.database, sf.secretFile)
	if err != nil {
		return err
	}
	defer st.Close()
	if !sf.json {
		out = server.TextWriter(out) // devices choose much of what is printed
	}
	a := &server.Admin{Store: st, Secret: secret, Out: out, JSON: sf.json}
	return c.run(ctx, a, &sf, arg)
}

// adminCommand is one admin command once its flags are declared: whether
// it takes an argument, what it does before it opens the store, and its run.
type adminCommand struct {
	needsArg func() bool
	before   func() (done func(), err error)
	run      func(ctx context.Context, a *server.Admin, sf *storeFlags, arg string) error
}

// always is needsArg for the commands that take one argument.
func always() bool { return true }

// adminCommands declares each admin command's flags on fs and returns the
// command.
var adminCommands = map[string]func(fs *flag.FlagSet) adminCommand{
	"key create": func(fs *flag.FlagSet) adminCommand {
		var (
			opts                                   server.KeyOptions
			expires, output, bundle, policy, ephem string
			force                                  bool
			keyOut                                 *server.KeyFile
		)
		fs.StringVar(&opts.Tag, "tag", "", "GLPI tag given to devices enrolled with the key (required)")
		fs.StringVar(&expires, "expires", "30d", "lifetime, e.g. 12h, 30d; 0 for none")
		fs.Int64Var(&opts.MaxUses, "max-uses", 0, "number of devices the key may enroll; 0 for unlimited")
		fs.Func("allow-cidr", "source network allowed to enroll (repeatable)", func(s string) error {
			opts.AllowCIDRs = append(opts.AllowCIDRs, s)
			return nil
		})
		fs.StringVar(&opts.HostnamePattern, "hostname-pattern", "", "glob the device hostname must match, e.g. 'pc-*'")
		fs.StringVar(&opts.Description, "description", "", "free text shown by key list")
		fs.StringVar(&output, "output", "", "write the key to this new file (mode 0600) instead of printing it")
		fs.BoolVar(&force, "force", false, "with --output, replace an existing file")
		fs.StringVar(&bundle, "bundle", "", "give the key as a bundle (glpib_…) for the service at this `URL`, with the pin of its self-signed certificate: one string configures an agent")
		fs.StringVar(&policy, "clone-policy", "fork", "fate of a suspected clone: fork (enrolls as a new device), quarantine (waits for device approve) or reject")
		fs.StringVar(&ephem, "ephemeral", "0", "retire devices silent this long (VDI), e.g. 8h; a new device of the same hostname keeps the GLPI record; 0 for never")
		return adminCommand{
			before: func() (func(), error) {
				if output == "" {
					return func() {}, nil
				}
				var err error
				if keyOut, err = server.CreateSecretFile(output, force); err != nil {
					return nil, err
				}
				return keyOut.Abort, nil // a no-op once the key is written
			},
			run: func(ctx context.Context, a *server.Admin, sf *storeFlags, _ string) error {
				var err error
				if bundle != "" {
					if a.BundleURL, a.BundlePin, err = server.BundleTarget(bundle, sf.dataDir); err != nil {
						return fmt.Errorf("key create: --bundle: %w", err)
					}
				}
				if opts.TTL, err = parseDuration(expires); err != nil {
					return fmt.Errorf("key create: --expires: %w", err)
				}
				if opts.Ephemeral, err = parseDuration(ephem); err != nil {
					return fmt.Errorf("key create: --ephemeral: %w", err)
				}
				if opts.ClonePolicy, err = store.ParseClonePolicy(policy); err != nil {
					return fmt.Errorf("key create: --clone-policy: %w", err)
				}
				return a.KeyCreate(ctx, opts, keyOut)
			},
		}
	},
	"key list": func(*flag.FlagSet) adminCommand {
		return adminCommand{run: func(ctx context.Context, a *server.Admin, _ *storeFlags, _ string) error { return a.KeyList(ctx) }}
	},
	"key revoke": func(*flag.FlagSet) adminCommand {
		return adminCommand{needsArg: always, run: func(ctx context.Context, a *server.Admin, _ *storeFlags, id string) error {
			return a.KeyRevoke(ctx, id)
		}}
	},
	"device list": func(*flag.FlagSet) adminCommand {
		return adminCommand{run: func(ctx context.Context, a *server.Admin, _ *storeFlags, _ string) error { return a.DeviceList(ctx) }}
	},
	"device show": func(*flag.FlagSet) adminCommand {
		return adminCommand{needsArg: always, run: func(ctx context.Context, a *server.Admin, _ *storeFlags, id string) error {
			return a.DeviceShow(ctx, id)
		}}
	},
	"device revoke": func(*flag.FlagSet) adminCommand {
		return adminCommand{needsArg: always, run: func(ctx context.Context, a *server.Admin, _ *storeFlags, id string) error {
			return a.DeviceRevoke(ctx, id)
		}}
	},
	"device approve": func(*flag.FlagSet) adminCommand {
		return adminCommand{needsArg: always, run: func(ctx context.Context, a *server.Admin, _ *storeFlags, id string) error {
			return a.DeviceApprove(ctx, id)
		}}
	},
	"device run-now": func(fs *flag.FlagSet) adminCommand {
		var (
			opts server.RunNowOptions
			cats string
		)
		fs.StringVar(&opts.Hostname, "hostname", "", "name the device by hostname instead of id")
		fs.StringVar(&cats, "category", "", "comma-separated inventory categories; default a full inventory")
		fs.BoolVar(&opts.Wait, "wait", false, "follow the request until GLPI answers")
		fs.DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "with --wait, give up after this long")
		return adminCommand{
			needsArg: func() bool { return opts.Hostname == "" },
			run: func(ctx context.Context, a *server.Admin, _ *storeFlags, id string) error {
				opts.DeviceID = id
				if cats != "" {
					opts.Categories = strings.Split(cats, ",")
				}
				return a.RunNow(ctx, opts)
			},
		}
	},
	"audit": func(fs *flag.FlagSet) adminCommand {
		since := fs.String("since", "24h", "how far back to show, e.g. 1h, 7d")
		return adminCommand{run: func(ctx context.Context, a *server.Admin, _ *storeFlags, _ string) error {
			d, err := parseDuration(*since)
			if err != nil {
				return fmt.Errorf("audit: --since: %w", err)
			}
			return a.Audit(ctx, d)
		}}
	},
}

// parseInterspersed parses flags placed before and after the positional
// arguments ("device run-now ID --wait") and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

func serve(ctx context.Context, args []string) error {
	var (
		sf                                  storeFlags
		listen, tlsCert, tlsKey             string
		glpiURL, glpiUser, glpiPasswordFile string
		oauthID, oauthSecretFile, glpiCA    string
		glpiCert, glpiKey                   string
		logFormat, logLevel                 string
		adminTokenFile, adminListen         string
		insecureHTTP                        bool
		webConsole                          bool
		pprofOn                             bool
		concurrency, maxInFlight            int
		refreshGrace                        time.Duration
		maxInventory                        = sizeFlag(server.DefaultMaxInventorySize)
		outboxPerDevice                     int
		auditRetention                      string
		trustedProxies                      []string
		forwardedHeader                     string
		agentTrust                          []string
	)
	fs := newFlagSet("serve", &sf)
	fs.StringVar(&listen, "listen", ":8443", "address to listen on")
	fs.StringVar(&tlsCert, "tls-cert", "", "TLS certificate file (PEM); without it, a self-signed certificate made once in the data dir, whose pin key bundles carry")
	fs.BoolVar(&insecureHTTP, "insecure-http", false, "speak plain HTTP on a --listen that is not loopback (a loopback one always does without --tls-cert)")
	fs.StringVar(&adminListen, "admin-listen", "", "address of a listener of their own for /metrics and the admin API, e.g. 127.0.0.1:8444; without it --listen serves them to loopback clients only")
	fs.StringVar(&tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.StringVar(&glpiURL, "glpi-url", "", "GLPI URL to relay inventories to; without it inventories are only kept locally")
	fs.StringVar(&glpiUser, "glpi-user", "", "GLPI inventory basic-auth user")
	fs.StringVar(&glpiPasswordFile, "glpi-password-file", "", "file holding the GLPI basic-auth password")
	fs.StringVar(&oauthID, "glpi-oauth-client-id", "", "GLPI 11 OAuth client id")
	fs.StringVar(&oauthSecretFile, "glpi-oauth-secret-file", "", "file holding the GLPI 11 OAuth client secret")
	fs.StringVar(&glpiCA, "glpi-ca-file", "", "CA bundle (PEM) to trust for GLPI")
	fs.StringVar(&glpiCert, "glpi-client-cert", "", "client certificate (PEM, with its key unless --glpi-client-key) for a GLPI, or the reverse proxy in front of it, that asks for one")
	fs.StringVar(&glpiKey, "glpi-client-key", "", "key (PEM, unencrypted) of --glpi-client-cert")
	fs.IntVar(&concurrency, "relay-concurrency", 4, "maximum concurrent posts to GLPI")
	fs.IntVar(&maxInFlight, "max-in-flight", 0, "enrollments, refreshes and inventories in progress at once; beyond, a request waits a second for room, then is told to come back (503, Retry-After); 0 for 8 a CPU, 16 at least")
	fs.DurationVar(&refreshGrace, "refresh-grace", 2*time.Minute, "how long a rotated refresh secret stays accepted, so an agent that lost the answer to its renewal can renew again; a spent secret presented later is a clone's")
	fs.Var(&maxInventory, "max-inventory-size", "largest inventory accepted, as inflated (e.g. 16MiB, 512KiB); a larger one is refused with 413 once that much is read")
	fs.Func("trusted-proxy", "`CIDR` of a load balancer or reverse proxy in front of the service (repeatable): from it, the client is the rightmost address of --forwarded-header that is not a trusted proxy, for rate limits, allowed networks and the audit", func(v string) error {
		trustedProxies = append(trustedProxies, v)
		return nil
	})
	fs.Func("agent-trust", "`LIST` of addresses, CIDRs and host names (repeatable) that may ask enrolled agents for an inventory (GLPI's \"Request inventory\"), besides the host of --glpi-url; sent to the agents at every check-in", func(v string) error {
		agentTrust = append(agentTrust, v)
		return nil
	})
	fs.StringVar(&forwardedHeader, "forwarded-header", server.HeaderXForwardedFor, "header the trusted proxies write: X-Forwarded-For or Forwarded (the other is ignored)")
	fs.StringVar(&auditRetention, "audit-retention", "90d", "how long audit events are kept, e.g. 90d, 720h; older ones are deleted every hour; 0 keeps them for ever")
	fs.IntVar(&outboxPerDevice, "outbox-per-device", server.DefaultOutboxPerDevice, "inventories of one device kept waiting while GLPI is unreachable; a full inventory also supersedes the older waiting ones")
	fs.StringVar(&adminTokenFile, "admin-token-file", "", "file holding the bearer token of the admin API (run-now); without it the admin API is off")
	fs.BoolVar(&webConsole, "console", true, "serve the web console at /ui/ where the admin API is (--admin-listen, else loopback clients of --listen); accounts: glpi-enrolld user add")
	fs.BoolVar(&pprofOn, "pprof", false, "serve Go's runtime profiles under /debug/pprof/ on --admin-listen (which it needs), for measuring memory and goroutines")
	fs.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (tlsCert == "") != (tlsKey == "") {
		return errors.New("serve: --tls-cert and --tls-key go together")
	}
	if insecureHTTP && tlsCert != "" {
		return errors.New("serve: --insecure-http and --tls-cert exclude each other")
	}
	if pprofOn && adminListen == "" {
		return errors.New("serve: --pprof needs --admin-listen: profiles are never served on the agents' listener")
	}
	if refreshGrace <= 0 {
		return errors.New("serve: --refresh-grace must be positive")
	}
	if outboxPerDevice <= 0 {
		return errors.New("serve: --outbox-per-device must be positive")
	}
	retention, err := parseDuration(auditRetention)
	if err != nil {
		return fmt.Errorf("serve: --audit-retention: %w", err)
	}
	if retention == 0 {
		retention = -1 // for ever
	}
	proxies, err := server.ParseTrustedProxies(trustedProxies)
	if err != nil {
		return fmt.Errorf("serve: --trusted-proxy: %w", err)
	}
	var trust []string
	if glpiURL != "" {
		host, err := server.GLPIHost(glpiURL)
		if err != nil {
			return fmt.Errorf("serve: --glpi-url: %w", err)
		}
		trust = append(trust, host)
	}
	if trust, err = server.ParseAgentTrust(append(trust, agentTrust...)); err != nil {
		return fmt.Errorf("serve: --agent-trust: %w", err)
	}
	switch {
	case strings.EqualFold(forwardedHeader, server.HeaderXForwardedFor):
		forwardedHeader = server.HeaderXForwardedFor
	case strings.EqualFold(forwardedHeader, server.HeaderForwarded):
		forwardedHeader = server.HeaderForwarded
	default:
		return fmt.Errorf("serve: --forwarded-header %q: want X-Forwarded-For or Forwarded", forwardedHeader)
	}
	logger, err := newLogger(logFormat, logLevel)
	if err != nil {
		return err
	}
	if sf.database == "" {
		// Root serving the packaged data directory serves as its owner.
		if err := server.RunAsDataDirOwner(sf.dataDir); err != nil {
			return err
		}
	}
	st, secret, err := server.OpenStore(ctx, sf.dataDir, sf.database, sf.secretFile)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := server.Config{Store: st, Secret: secret, Logger: logger, RelayConcurrency: concurrency, MaxInFlight: maxInFlight, RefreshGrace: refreshGrace,
		MaxInventorySize: int64(maxInventory), OutboxPerDevice: outboxPerDevice, AuditRetention: retention,
		TrustedProxies: proxies, ForwardedHeader: forwardedHeader, AgentTrust: trust, Pprof: pprofOn}
	if cfg.AdminToken, err = readSecret(adminTokenFile); err != nil {
		return err
	}
	if adminTokenFile != "" && len(cfg.AdminToken) < 32 {
		return errors.New("serve: the admin token must have at least 32 characters")
	}
	var srv *server.Server // set below, before anything is served
	if webConsole {
		dataDir := sf.dataDir
		cfg.Console, err = console.New(console.Config{Store: st.(console.Store), Secret: secret, Logger: logger.With("component", "console"),
			Bundle: func(u string) (string, string, error) { return server.BundleTarget(u, dataDir) },
			// A run-now from the console wakes the device's held check-in at once.
			Notify: func(deviceID string) { srv.Wake(deviceID) }})
		if err != nil {
			return err
		}
	}
	if glpiURL != "" {
		gc := glpi.Config{URL: glpiURL, Username: glpiUser, OAuthClientID: oauthID, CAFile: glpiCA, CertFile: glpiCert, KeyFile: glpiKey,
			Retries: -1, Logger: logger.With("component", "glpi"), UserAgent: "glpi-enrolld"}
		if gc.Password, err = readSecret(glpiPasswordFile); err != nil {
			return err
		}
		if gc.OAuthClientSecret, err = readSecret(oauthSecretFile); err != nil {
			return err
		}
		if cfg.Relay, err = glpi.New(gc); err != nil {
			return err
		}
	}
	// TLS unless told otherwise: the given certificate, else the data
	// dir's self-signed one; plain HTTP only on loopback or when asked.
	var pin string
	tlsFor := func(addr string) (cert, key string, err error) {
		switch {
		case tlsCert != "":
			return tlsCert, tlsKey, nil
		case insecureHTTP || server.LoopbackAddr(addr):
			return "", "", nil
		}
		cert, key, pin, err = server.SelfSigned(sf.dataDir)
		return cert, key, err
	}
	apiCert, apiKey, err := tlsFor(listen)
	if err != nil {
		return err
	}
	var adminCert, adminKey string
	if adminListen != "" {
		cfg.AdminApart = true
		if adminCert, adminKey, err = tlsFor(adminListen); err != nil {
			return err
		}
	}
	tlsMode := "off"
	switch {
	case tlsCert != "":
		tlsMode = "files"
	case apiCert != "":
		tlsMode = "self-signed"
	}
	srv, err = server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if insecureHTTP && !server.LoopbackAddr(listen) {
		logger.Warn("--insecure-http: registration keys and device tokens travel unencrypted; use TLS")
	}
	logger.Info("glpi-enrolld serving", "addr", ln.Addr().String(), "tls", tlsMode, "pin", pin, "postgres", sf.database != "", "relay", glpiURL != "", "admin_api", cfg.AdminToken != "")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	adminDone := make(chan error, 1)
	if adminListen != "" {
		aln, err := net.Listen("tcp", adminListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("admin listen: %w", err)
		}
		logger.Info("admin listener serving", "addr", aln.Addr().String(), "tls", adminCert != "")
		go func() { adminDone <- srv.ServeAdmin(ctx, aln, adminCert, adminKey) }()
	} else {
		adminDone <- nil
	}
	err = srv.Serve(ctx, ln, apiCert, apiKey)
	cancel()
	return errors.Join(err, <-adminDone)
}

func readSecret(file string) (string, error) {
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func newLogger(format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// sizeFlag is a byte count given as a number with an optional binary
// unit: 16MiB, 16M, 512KiB, 1GiB, 1048576.
type sizeFlag int64

func (f *sizeFlag) String() string {
	switch n := int64(*f); {
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n > 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	default:
		return strconv.FormatInt(n, 10)
	}
}

func (f *sizeFlag) Set(s string) error {
	num, shift := strings.TrimSpace(s), 0
	// Longest suffix first: "MB" before "B".
	units := []struct {
		suffix string
		shift  int
	}{{"GiB", 30}, {"GB", 30}, {"G", 30}, {"MiB", 20}, {"MB", 20}, {"M", 20}, {"KiB", 10}, {"KB", 10}, {"K", 10}, {"B", 0}}
	for _, u := range units {
		if v, ok := strings.CutSuffix(num, u.suffix); ok {
			num, shift = v, u.shift
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 || n > 1<<(62-shift) {
		return fmt.Errorf("invalid size %q: want a positive number of bytes, KiB, MiB or GiB", s)
	}
	*f = sizeFlag(n << shift)
	return nil
}

// parseDuration parses a Go duration, a number of days such as "30d", or 0.
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return d, nil
}

// tlsCmd runs "tls pin": the pin of the certificate serve uses, given
// with --tls-cert or made in the data dir, as agents take it in
// ssl_fingerprint and key bundles carry it.
func tlsCmd(args []string, out io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) || args[0] != "pin" {
		fmt.Fprint(os.Stderr, "usage: glpi-enrolld tls pin [--data-dir DIR] [--tls-cert FILE]\n")
		if len(args) > 0 && isHelp(args[0]) {
			return nil
		}
		return errUsage
	}
	fs := flag.NewFlagSet("tls pin", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "/var/lib/glpi-enrolld", "the service's data directory, where serve makes its certificate")
	certFile := fs.String("tls-cert", "", "the certificate given to serve with --tls-cert")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	file := *certFile
	if file == "" {
		file = filepath.Join(*dataDir, server.SelfSignedCertFile)
	}
	pin, err := server.PinOfCertFile(file)
	if err != nil {
		return fmt.Errorf("tls pin: %w", err)
	}
	fmt.Fprintln(out, pin)
	return nil
}
