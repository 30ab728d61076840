// Package agent is the daemon: it schedules runs, collects the inventory,
// sends it (to GLPI directly, to glpi-enrolld, or to a local file) and
// remembers what it did.
package agent

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/agent/state"
	"github.com/glpi-agentd/glpi-agentd/collectors"
	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
	"github.com/glpi-agentd/glpi-agentd/glpi"
)

// Version is the agent's version, set at build time with
// -ldflags "-X github.com/glpi-agentd/glpi-agentd/agent.Version=…".
var Version = "0.0.0-dev"

// Name is the product name, as GLPI shows it.
const Name = "glpi-agentd"

// Agent runs inventories for one configuration.
type Agent struct {
	cfg   *config.Config
	env   *collectors.Env
	state *state.Dir
	log   *slog.Logger

	runMu   sync.Mutex // one run at a time
	running atomic.Bool
	// noStreamUntil is when the check-in streams again (Unix seconds),
	// after a streamed answer stalled on the way.
	noStreamUntil atomic.Int64
	trigger       chan Request
	regKey        string // registration key given on the command line

	waitMu  sync.Mutex
	waiters []*waiter // control clients following the next run

	credMu   sync.Mutex                  // serialises credential renewals
	reports  actionReports               // outcomes of the service's actions, for the next check-in
	enrolled chan struct{}               // signalled at each enrollment
	trust    atomic.Pointer[PushedTrust] // the enrollment service's agent trust list, once read

	// listenRetry is how long the local listener waits to try its port
	// again; tests shorten it.
	listenRetry time.Duration

	// runCollectors is collectors.Run; tests make collectors fail with it.
	runCollectors func(context.Context, *collectors.Env, []collectors.Info, time.Duration, func(collectors.Result)) (map[string]any, []collectors.Result)
}

// New returns an agent for cfg reading the host through env.
func New(cfg *config.Config, env *collectors.Env, log *slog.Logger) (*Agent, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := collectors.Select(cfg.EnableCategory, cfg.NoCategory); err != nil {
		return nil, err
	}
	// Select checks names: required_category's must be categories too.
	if _, err := collectors.Select(nil, cfg.RequiredCategory); err != nil {
		return nil, fmt.Errorf("required_category: %w", err)
	}
	st, err := state.Open(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, env: env, state: st, log: log, trigger: make(chan Request, 1), runCollectors: collectors.Run,
		listenRetry: 30 * time.Second}
	a.reports.ready = make(chan struct{}, 1)
	a.enrolled = make(chan struct{}, 1)
	return a, nil
}

// CollectorOptions are the collector settings of cfg.
func CollectorOptions(cfg *config.Config) collectors.Options {
	return collectors.Options{ScanHomedirs: cfg.ScanHomedirs, AssetName: cfg.AssetnameSupport, CacheDir: cfg.StateDir}
}

// State returns the agent's state directory.
func (a *Agent) State() *state.Dir { return a.state }

// Request asks for a run.
type Request struct {
	// Full forces a full inventory.
	Full bool
	// Categories, when set, limits the run to these categories and sends
	// them as a partial inventory.
	Categories []string
	// Force sends the inventory even if the server did not ask for one.
	Force bool
	// Actions are the enrollment service's requests this run answers.
	Actions []string
	// Progress, when set, receives each step as it happens.
	Progress func(Event)
}

// Event is one step of a run, for progress displays.
type Event struct {
	// Collector is set when a collector finished.
	Collector *collectors.Result `json:"collector,omitempty"`
	// Step names other steps: "contact", "send", "done".
	Step string `json:"step,omitempty"`
	// Message describes the step's outcome.
	Message string `json:"message,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	Inventory *glpi.Inventory     `json:"-"`
	Results   []collectors.Result `json:"-"`
	// Partial tells a partial inventory from a full one.
	Partial bool `json:"partial"`
	// Sections counts the content sections sent.
	Sections int `json:"sections"`
	// Changed lists the sections that changed since the last run.
	Changed []string `json:"changed,omitempty"`
	// Answer is the server's message.
	Answer string `json:"answer,omitempty"`
	// Delay is the server's delay before the next run.
	Delay time.Duration `json:"delay_ns,omitempty"`
	// Written is the file a local run wrote.
	Written string `json:"written,omitempty"`
	// Elapsed is the time the run took.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Carried lists the sections whose collector failed, sent as the last
	// good run collected them.
	Carried []Carried `json:"carried_over,omitempty"`
	// FromSpool, when set, is when the inventory sent was collected: an
	// earlier run kept it while the server was unreachable.
	FromSpool time.Time `json:"from_spool,omitzero"`
}

// Status is what the local listener reports: "waiting" or "running task
// inventory", as the official agent says it.
func (a *Agent) Status() string {
	if a.running.Load() {
		return "running task inventory"
	}
	return "waiting"
}

// Hostname is the host's short name, as GLPI names the computer and the
// deviceid starts.
func (a *Agent) Hostname() string {
	var name string
	if runtime.GOOS == "linux" || !a.env.Live() {
		// A Linux host, or a host root: its files say.
		name = a.env.ReadString("/proc/sys/kernel/hostname")
		if name == "" {
			name = a.env.ReadString("/etc/hostname")
		}
	}
	if name == "" && a.env.Live() {
		name, _ = os.Hostname()
	}
	name, _, _ = strings.Cut(name, ".")
	return name
}

// Identity returns the agent's GLPI identity, created at first use. On a
// machine prepared for an image it is not created before the image's first
// boot: every clone makes its own.
func (a *Agent) Identity() (*state.Identity, error) {
	if id, err := a.state.ReadIdentity(); id != nil || err != nil {
		return id, err
	}
	if err := a.imageBootOver(); err != nil {
		return nil, err
	}
	if prev := a.officialIdentity(); prev != nil {
		id := &state.Identity{DeviceID: prev.DeviceID, AgentID: cmp.Or(prev.AgentID, state.NewUUID()), CreatedAt: a.env.Time().UTC()}
		if err := a.state.SetIdentity(id); err != nil {
			return nil, err
		}
		a.log.Info("kept the official agent's deviceid, so that GLPI keeps this machine's agent record", "deviceid", id.DeviceID, "from", prev.From)
		return id, nil
	}
	return a.state.Identity(a.Hostname(), a.env.Time())
}

// collection is what one collector run gathered.
type collection struct {
	inv     *glpi.Inventory
	results []collectors.Result
	// carried are the failed sections sent from the last good run; lost
	// the failed ones with nothing to send, which make the inventory
	// partial (carry.go).
	carried []Carried
	lost    []string
}

// collect gathers the inventory: every enabled category, or only those
// named, less those the server asked not to collect. A failed section is
// carried over from the last good run; a failed core section fails the
// run with a *CoreFailedError, and its results are still returned.
func (a *Agent) collect(ctx context.Context, categories, serverNoCategory []string, progress func(Event)) (*collection, error) {
	id, err := a.Identity()
	if err != nil {
		return nil, err
	}
	disable := slices.Concat(a.cfg.NoCategory, serverNoCategory)
	var infos []collectors.Info
	limited := len(categories) > 0
	if limited {
		// A partial inventory still carries what GLPI needs to find the
		// computer (GLPI-PROTOCOL §1.6).
		categories = slices.Concat(categories, []string{"hardware", "bios", "os"})
		infos, err = collectors.Select(categories, disable)
		if err == nil {
			infos = slices.DeleteFunc(infos, func(i collectors.Info) bool { return !slices.Contains(categories, i.Name) })
		}
	} else {
		infos, err = collectors.Select(a.cfg.EnableCategory, disable)
	}
	if err != nil {
		return nil, err
	}
	start := time.Now()
	report := func(r collectors.Result) {
		if r.Failed() {
			a.log.Warn("collector failed", "collector", r.Name, "err", r.Err)
		} else if r.Err != nil {
			a.log.Debug("collector has no data", "collector", r.Name, "reason", r.Err)
		}
		if progress != nil {
			progress(Event{Collector: &r})
		}
	}
	content, results := a.runCollectors(ctx, a.env, infos, config.Seconds(a.cfg.BackendCollectTimeout), report)
	if err := coreFailure(results); err != nil {
		return &collection{results: results}, err
	}
	// GLPI refuses a computer without a name: whatever the collectors
	// could read, the inventory carries the host's. A failed hardware
	// section carried over below replaces this one.
	if hw, ok := content["hardware"].(*collectors.Hardware); ok && hw.Name == "" {
		hw.Name = a.Hostname()
	} else if !ok {
		content["hardware"] = &collectors.Hardware{Name: a.Hostname()}
	}
	carried, lost := a.carryOver(content, results, time.Now())
	a.mergeAdditionalContent(content, func(section string) bool {
		_, collected := content[section]
		return slices.Contains(lost, section) || limited && !collected
	})
	content["versionclient"] = Name + "_v" + Version
	content["versionprovider"] = map[string]any{
		"name":    Name,
		"version": Version,
		"program": Name,
		"etime":   int(time.Since(start).Round(time.Second).Seconds()),
	}
	inv := &glpi.Inventory{
		Action:   "inventory",
		DeviceID: id.DeviceID,
		ItemType: a.cfg.ItemType,
		Tag:      a.cfg.Tag,
		Content:  content,
	}
	return &collection{inv: inv, results: results, carried: carried, lost: lost}, nil
}

// RunLocal collects a full inventory and writes it to path: a file, a
// directory (where it writes <deviceid>.json), or "-" for w.
func (a *Agent) RunLocal(ctx context.Context, path string, req Request) (*Report, error) {
	start := time.Now()
	c, err := a.collect(ctx, req.Categories, nil, req.Progress)
	if err != nil {
		return failedReport(c), err
	}
	inv := c.inv
	// Some categories only, or a failed section with nothing to carry
	// over: GLPI must read the file as a partial inventory, or it would
	// drop every section the file lacks.
	inv.Partial = len(req.Categories) > 0 || len(c.lost) > 0
	compact, err := inv.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode inventory: %w", err)
	}
	// Indented, an inventory is about 1.4 times as large.
	b := append(indentJSON(make([]byte, 0, len(compact)*3/2), compact, "  "), '\n')
	rep := &Report{Inventory: inv, Results: c.results, Sections: len(inv.Content), Partial: inv.Partial, Carried: c.carried}
	switch fi, statErr := os.Stat(path); {
	case path == "-":
		if _, err := os.Stdout.Write(b); err != nil {
			return nil, fmt.Errorf("write inventory: %w", err)
		}
		rep.Written = "-"
	case statErr == nil && fi.IsDir():
		// The deviceid may come from the enrollment service or a state
		// file: it names a file only if it is one.
		if !state.ValidDeviceID(inv.DeviceID) {
			return nil, fmt.Errorf("write inventory to %q: deviceid %q is not a host name then -YYYY-MM-DD-HH-MM-SS: give --local a file name", path, inv.DeviceID)
		}
		name := inv.DeviceID + ".json"
		if err := state.WriteFileIn(path, name, b, 0o600); err != nil {
			return nil, err
		}
		rep.Written = filepath.Join(path, name)
	case statErr == nil && !fi.Mode().IsRegular():
		// A device or a pipe (/dev/null, /dev/stdout, a shell's
		// process substitution): written to, never replaced by a file.
		if err := writeInPlace(path, b); err != nil {
			return nil, err
		}
		rep.Written = path
	default:
		// Through a symbolic link to the file it names, which stays a link.
		if target, err := filepath.EvalSymlinks(path); err == nil {
			path = target
		}
		if err := state.WriteFileAtomic(path, b, 0o600); err != nil {
			return nil, err
		}
		rep.Written = path
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// writeInPlace writes b to the existing file path, which is no regular
// file.
func writeInPlace(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("write inventory: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write inventory to %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write inventory to %q: %w", path, err)
	}
	return nil
}

// RunDirect runs once against a GLPI server with its native protocol:
// CONTACT, then the inventory if the server wants one (or req.Force), a
// partial one when only some sections changed.
func (a *Agent) RunDirect(ctx context.Context, req Request) (*Report, error) {
	a.runMu.Lock()
	defer a.runMu.Unlock()
	a.running.Store(true)
	defer a.running.Store(false)

	start := time.Now()
	run, err := a.state.Run()
	if err != nil {
		a.log.Warn("run state unreadable, starting afresh", "err", err)
	}
	id, err := a.Identity()
	if err != nil {
		return nil, err
	}
	client, err := a.glpiClient(id.AgentID, func(attempt, max int) {
		if req.Progress != nil {
			req.Progress(Event{Step: "retry", Message: fmt.Sprintf("no answer from %s yet: retry %d of %d", a.cfg.Server, attempt, max)})
		}
	})
	if err != nil {
		return nil, err
	}
	progress := func(e Event) {
		if req.Progress != nil {
			req.Progress(e)
		}
	}
	ans, err := client.Contact(ctx, a.contact(id))
	if err != nil {
		a.spoolOnFailure(ctx, req, run, a.cfg.Server, err)
		return nil, err
	}
	rep := &Report{Answer: ans.Message}
	if d, ok := ans.Delay(); ok {
		rep.Delay = d
	}
	progress(Event{Step: "contact", Message: "server answered " + ans.Status})
	if ans.Status != glpi.StatusOK {
		return rep, fmt.Errorf("contact %s: server answered %q: %s", a.cfg.Server, ans.Status, ans.Message)
	}
	task, wanted := ans.Tasks["inventory"]
	if slices.Contains(ans.Disabled, "inventory") {
		wanted = false
	}
	if !wanted && !req.Force {
		a.log.Info("server asked for no inventory", "server", a.cfg.Server, "message", ans.Message)
		rep.Elapsed = time.Since(start)
		return rep, nil
	}

	p, err := a.prepare(ctx, req, run, a.cfg.Server, config.SplitList(task.NoCategory))
	if err != nil {
		return p.report(), err
	}
	p.rep.Answer, p.rep.Delay = rep.Answer, rep.Delay
	rep, inv := p.rep, p.inv
	progress(Event{Step: "send", Message: fmt.Sprintf("sending %s inventory (%d sections)", kind(rep.Partial), rep.Sections)})
	ans, err = client.SendInventory(ctx, inv)
	if err != nil {
		if retryable(err) {
			a.spool(p, a.cfg.Server)
		}
		return rep, err
	}
	rep.Answer = ans.Message
	if d, ok := ans.Delay(); ok {
		rep.Delay = d
	}

	a.remember(run, p, req, a.cfg.Server)
	rep.Elapsed = time.Since(start)
	progress(Event{Step: "done", Message: "server answered " + ans.Status})
	return rep, nil
}

// prepared is an inventory ready to send, with what the run learnt.
type prepared struct {
	inv      *glpi.Inventory
	rep      *Report
	cur      map[string]string
	progress func(Event)
	// key makes a resend of this inventory (from the spool) count once
	// on the enrollment service.
	key string
}

// prepare collects the inventory and reduces it to a partial one when the
// last run to the same target allows.
func (a *Agent) prepare(ctx context.Context, req Request, run *state.Run, target string, serverNoCategory []string) (*prepared, error) {
	progress := func(e Event) {
		if req.Progress != nil {
			req.Progress(e)
		}
	}
	if len(req.Categories) == 0 && !req.Full {
		if s := a.takeSpool(target); s != nil {
			a.log.Info("sending the inventory kept from an earlier run", "collected_at", s.At.Format(time.RFC3339))
			rep := &Report{Inventory: s.Inventory, Partial: s.Partial, Sections: len(s.Inventory.Content), Changed: changed(s.Digests, run.Sections), FromSpool: s.At}
			progress(Event{Step: "spool", Message: "sending the inventory collected at " + s.At.Local().Format("15:04:05") + ", kept while the server was unreachable"})
			return &prepared{inv: s.Inventory, rep: rep, cur: s.Digests, progress: progress, key: s.Key}, nil
		}
	}
	c, err := a.collect(ctx, req.Categories, serverNoCategory, req.Progress)
	if err != nil {
		return &prepared{rep: failedReport(c)}, err
	}
	inv := c.inv
	cur := digests(inv.Content)
	send, partial := inv.Content, len(req.Categories) > 0
	if !partial {
		send, partial = plan(inv.Content, cur, run.Sections, run.SincePartial, a.cfg.FullInventoryPostpone, req.Full || run.Target != target, c.lost, a.requiredSections())
	}
	inv.Content, inv.Partial = send, partial
	rep := &Report{Inventory: inv, Results: c.results, Partial: partial, Sections: len(send), Changed: changed(cur, run.Sections), Carried: c.carried}
	return &prepared{inv: inv, rep: rep, cur: cur, progress: progress, key: enroll.NewToken("")}, nil
}

// report is the run's report so far; nil when there is none.
func (p *prepared) report() *Report {
	if p == nil {
		return nil
	}
	return p.rep
}

// failedReport is the report of a run whose collection failed: what each
// collector did, for the summary and the run state.
func failedReport(c *collection) *Report {
	if c == nil {
		return nil
	}
	return &Report{Results: c.results}
}

// remember stores what the target now has, once it has accepted it. A run
// of some categories leaves the other digests as they were.
func (a *Agent) remember(run *state.Run, p *prepared, req Request, target string) {
	if len(req.Categories) > 0 {
		for k, v := range p.cur {
			run.Sections = mapSet(run.Sections, k, v)
		}
	} else {
		run.Sections = p.cur
		if p.rep.Partial {
			run.SincePartial++
		} else {
			run.SincePartial = 0
		}
	}
	run.Target, run.LastKind = target, kind(p.rep.Partial)
	a.unspool()
	if err := a.state.SaveRun(run); err != nil {
		a.log.Warn("run state not saved", "err", err)
	}
}

func mapSet(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

func kind(partial bool) string {
	if partial {
		return "partial"
	}
	return "full"
}

// contact builds the CONTACT message.
func (a *Agent) contact(id *state.Identity) *glpi.Contact {
	c := &glpi.Contact{
		Action:         "contact",
		DeviceID:       id.DeviceID,
		Name:           "GLPI-Agent",
		Version:        Version,
		InstalledTasks: []string{"inventory"},
		EnabledTasks:   []string{"inventory"},
		Tag:            a.cfg.Tag,
	}
	if !a.cfg.NoHTTPD {
		c.HTTPDPort = a.cfg.HTTPDPort
		c.HTTPDPlugins = map[string]any{}
	}
	return c
}

// glpiClient builds the GLPI protocol client from the configuration.
func (a *Agent) glpiClient(agentID string, onRetry func(attempt, max int)) (*glpi.Client, error) {
	if a.cfg.Server == "" {
		return nil, errors.New("no server configured: set server in the configuration or use --server URL")
	}
	compression := "zlib"
	if a.cfg.NoCompression {
		compression = "none"
	}
	var pins []string
	if a.cfg.SSLFingerprint != "" {
		pins = config.SplitList(a.cfg.SSLFingerprint)
	}
	a.warnClientCertificate()
	return glpi.New(glpi.Config{
		URL:                a.cfg.Server,
		AgentID:            agentID,
		UserAgent:          UserAgent(),
		Compression:        compression,
		Username:           a.cfg.User,
		Password:           a.cfg.Password,
		OAuthClientID:      a.cfg.OAuthClientID,
		OAuthClientSecret:  a.cfg.OAuthClientSecret,
		Proxy:              a.cfg.Proxy,
		CAFile:             a.cfg.CACertFile,
		CADir:              a.cfg.CACertDir,
		CertFile:           a.cfg.SSLCertFile,
		KeyFile:            a.cfg.SSLKeyFile,
		PinSHA256:          pins,
		InsecureSkipVerify: a.cfg.NoSSLCheck,
		Timeout:            config.Seconds(a.cfg.Timeout),
		Logger:             a.log,
		OnRetry:            onRetry,
	})
}

// requiredSections are the sections of the required_category categories
// this platform collects.
func (a *Agent) requiredSections() []string {
	var keys []string
	for _, name := range a.cfg.RequiredCategory {
		if info, ok := collectors.Lookup(name); ok {
			keys = append(keys, info.Key)
		}
	}
	return keys
}

// ClientCertificate returns the client certificate the configuration
// names (ssl_cert_file), nil when it names none.
func (a *Agent) ClientCertificate() (*x509.Certificate, error) {
	if a.cfg.SSLCertFile == "" {
		return nil, nil
	}
	cert, err := tlspin.LoadClientCertificate(a.cfg.SSLCertFile, a.cfg.SSLKeyFile)
	if err != nil {
		return nil, err
	}
	return cert.Leaf, nil
}

// certificateWarning is how long before its end a client certificate is
// reported at every run.
const certificateWarning = 30 * 24 * time.Hour

// warnClientCertificate reports a client certificate near its end, or
// past it: the server will refuse it, and only its owner can renew it.
func (a *Agent) warnClientCertificate() {
	leaf, err := a.ClientCertificate()
	if err != nil || leaf == nil {
		return // the client reports a certificate it cannot read
	}
	switch left := time.Until(leaf.NotAfter); {
	case left <= 0:
		a.log.Warn("the client certificate has expired: the server will refuse it; renew it", "file", a.cfg.SSLCertFile,
			"subject", leaf.Subject.String(), "not_after", leaf.NotAfter)
	case left < certificateWarning:
		a.log.Warn("the client certificate expires soon: renew it", "file", a.cfg.SSLCertFile,
			"subject", leaf.Subject.String(), "not_after", leaf.NotAfter, "days_left", int(left.Hours()/24))
	}
}

// UserAgent is the HTTP User-Agent. It starts with "GLPI-Agent" because
// single-sign-on front ends in the field let agents through by that prefix.
func UserAgent() string { return "GLPI-Agent_v1.11 (" + Name + "/" + Version + ")" }
