package collectors

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/common"
)

// Options are the collector settings taken from the agent's configuration.
type Options struct {
	// ScanHomedirs lets collectors look into users' home directories.
	ScanHomedirs bool
	// AssetName is how a Linux computer is named, as the official
	// agent's assetname-support: 1 (or 0) its short host name, 2 its
	// host name as the system has it, 3 its fully qualified name.
	AssetName int
	// CacheDir keeps what a collector read of the host that a later run
	// may not be able to read again: the software of a Windows user who
	// is not logged on. "" keeps nothing.
	CacheDir string
}

// CachedFiles are the files and directories the collectors keep under
// Options.CacheDir: what they read of this machine that a later run may
// not read again. They describe this machine: a copy of it (a clone, a
// golden image) must not keep them.
var CachedFiles = []string{keptServicesFile, userSoftwareCache, userWSLCache}

// Env is the host a collector reads: a root directory that is "/" for the
// machine itself, or another tree (a container's view of its host, a fixture
// under testdata/). It carries no global state, so several Envs can be used
// at once.
type Env struct {
	// Root is the host's root directory; "" means "/".
	Root string
	// Logger receives debug details; nil discards them.
	Logger *slog.Logger
	// Options are the collector settings.
	Options Options
	// Now is the clock, for tests; nil means time.Now.
	Now func() time.Time
	// Exec runs a program and returns its standard output. It is the only
	// way collectors run programs, used only where no file or API has the
	// data: rpm's database and ipmitool (the BMC's network interface and
	// power supplies) on Linux; system_profiler, fdesetup, ps and ioreg (the displays' EDIDs)
	// on macOS; the database servers' clients (psql, mysql, sqlcmd). Nil
	// means os/exec; tests substitute a fake.
	Exec func(ctx context.Context, name string, args ...string) ([]byte, error)

	// open, when set, opens the named source of a run ("windows": a
	// winHost, "macos": a *macHost) in place of this machine's. Tests open
	// fixture machines with it, so that the Windows and macOS collectors
	// run on any OS. It is untyped so that a binary carries only its own
	// platform's types.
	open func(e *Env, source string) (any, error)
	// run holds the sources the collectors of one run share; nil outside
	// a run, where each collector opens its own.
	run *runSources
}

// runSources are the sources of the host that the collectors of one run
// share, each opened by the first collector that needs it: WMI and the
// registry on Windows, the system_profiler reports and the programs'
// outputs on macOS. Run makes them afresh for each run, so that nothing a
// run read, or failed to open, is seen by the next one.
type runSources struct {
	mu     sync.Mutex
	opened map[string]any // *onceValue[T], by the name of the source
}

// onceValue is a value opened once.
type onceValue[T any] struct {
	once sync.Once
	v    T
	err  error
}

// shared returns the source name of e's run, calling open if no collector
// of the run has yet; outside a run it calls open every time.
func shared[T any](e *Env, name string, open func() (T, error)) (T, error) {
	if e.run == nil {
		return open()
	}
	e.run.mu.Lock()
	o, ok := e.run.opened[name].(*onceValue[T])
	if !ok {
		o = &onceValue[T]{}
		e.run.opened[name] = o
	}
	e.run.mu.Unlock()
	o.once.Do(func() { o.v, o.err = open() })
	return o.v, o.err
}

// forRun returns a copy of e with sources of its own, for one run.
func (e *Env) forRun() *Env {
	c := *e
	c.run = &runSources{opened: map[string]any{}}
	return &c
}

// root returns the host root, never empty.
func (e *Env) root() string {
	if e.Root == "" {
		return "/"
	}
	return e.Root
}

// Live reports whether Env is this machine itself, where live APIs (syscalls,
// netlink, utmp, WMI) describe the same host as the files.
func (e *Env) Live() bool { return e.Root == "" || filepath.Clean(e.Root) == filepath.Clean("/") }

// Path joins elements onto the host root: Path("/proc/meminfo").
func (e *Env) Path(elem ...string) string {
	return filepath.Join(append([]string{e.root()}, elem...)...)
}

// exists reports whether a host path exists.
func exists(env *Env, name string) bool {
	_, err := os.Stat(env.Path(name))
	return err == nil
}

// ReadFile reads a file of the host.
func (e *Env) ReadFile(name string) ([]byte, error) { return os.ReadFile(e.Path(name)) }

// ReadString reads a small file of the host and returns its content with
// surrounding white space and NULs trimmed, or "" if it cannot be read.
func (e *Env) ReadString(name string) string {
	b, err := e.ReadFile(name)
	if err != nil {
		return ""
	}
	return strings.Trim(string(b), " \t\r\n\x00")
}

// Glob lists host paths matching pattern, returned relative to the host root
// (with a leading slash) so they can be passed back to ReadFile.
func (e *Env) Glob(pattern string) []string {
	matches, _ := filepath.Glob(e.Path(pattern))
	root := filepath.Clean(e.root())
	for i, m := range matches {
		rel, err := filepath.Rel(root, m)
		if err == nil {
			matches[i] = "/" + rel
		}
	}
	return matches
}

// ReadLines calls fn for each line of a host file.
func (e *Env) ReadLines(name string, fn func(line string)) error {
	f, err := os.Open(e.Path(name))
	if err != nil {
		return err
	}
	defer f.Close()
	return scanLines(f, fn)
}

func scanLines(r io.Reader, fn func(string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		fn(sc.Text())
	}
	return sc.Err()
}

// Log returns the logger, never nil.
func (e *Env) Log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// Time returns the current time from the Env's clock.
func (e *Env) Time() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Run runs a program of the host and returns its standard output; the
// *exec.ExitError of a failure carries its standard error.
func (e *Env) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if e.Exec != nil {
		return e.Exec(ctx, name, args...)
	}
	return command(ctx, name, args...).Output()
}

// command is a program of this machine to run, in the C locale.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

// Context returns ctx carrying the host root for gopsutil, which then reads
// the host's /proc, /sys, /etc, /var, /run and /dev under Root.
func (e *Env) Context(ctx context.Context) context.Context {
	if e.Live() {
		return ctx
	}
	return context.WithValue(ctx, common.EnvKey, common.EnvMap{
		common.HostProcEnvKey: e.Path("proc"),
		common.HostSysEnvKey:  e.Path("sys"),
		common.HostEtcEnvKey:  e.Path("etc"),
		common.HostVarEnvKey:  e.Path("var"),
		common.HostRunEnvKey:  e.Path("run"),
		common.HostDevEnvKey:  e.Path("dev"),
		common.HostRootEnvKey: e.root(),
	})
}

// with returns a copy of e whose logger carries attrs.
func (e *Env) with(attrs ...any) *Env {
	return &Env{
		Root:    e.Root,
		Logger:  e.Log().With(attrs...),
		Options: e.Options,
		Now:     e.Now,
		Exec:    e.Exec,

		open: e.open,
		run:  e.run,
	}
}
