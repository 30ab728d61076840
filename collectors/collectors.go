// Package collectors gathers one inventory category each, in GLPI's native
// inventory format.
//
// Every collector is a Func, registered in init() by the files of the
// operating system it supports: on Linux one file per category
// (bios_linux.go, …); on Windows and macOS one table, collectors_windows.go
// and mac_darwin.go, of collectors whose logic lives in OS-neutral files
// (win_*.go, mac_*.go), so that it is tested on every platform against
// fixture machines while only that platform's binary carries it. The set of
// categories on a platform is exactly the set of collectors built for it.
//
// Collectors read the host through an Env, never through global state, so the
// same code inventories the machine, a container's host (--host-root) or a
// fixture tree under testdata/. The sources that are costly to open (WMI and
// the registry, system_profiler's reports) are opened by the first collector
// of a run that needs them and shared by that run's collectors only (Run).
package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// ErrNoData reports that a category has nothing to say on this host: no DMI
// tables, no package manager, not root. It is logged at debug level and the
// section is omitted; it is not a failure.
var ErrNoData = errors.New("no data")

// NoData wraps ErrNoData with the reason, for the debug log.
func NoData(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNoData, fmt.Sprintf(format, args...))
}

// Func collects one category. It returns the value stored under the
// category's content key: a struct pointer for object sections (bios,
// hardware), a slice for array sections (cpus, softwares).
type Func func(ctx context.Context, env *Env) (any, error)

// Info describes a registered collector.
type Info struct {
	// Name is the category, as the official agent names it (no-category).
	Name string
	// Key is the key of content in GLPI's inventory format ("cpus").
	Key string
	// Default is false for categories off unless asked for (privacy).
	Default bool
	// Collect gathers the category.
	Collect Func
}

var registry = map[string]Info{}

// Register adds a collector for category name, stored under content key key.
// It is called from init() and panics on a duplicate, like database/sql.
func Register(name, key string, enabled bool, f Func) {
	if f == nil {
		panic("collectors: Register of nil func for " + name)
	}
	if _, dup := registry[name]; dup {
		panic("collectors: Register called twice for " + name)
	}
	registry[name] = Info{Name: name, Key: key, Default: enabled, Collect: f}
}

// Lookup returns the collector of category name.
func Lookup(name string) (Info, bool) {
	info, ok := registry[name]
	return info, ok
}

// All returns every collector built for this platform, sorted by name.
func All() []Info {
	infos := make([]Info, 0, len(registry))
	for _, info := range registry {
		infos = append(infos, info)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	return infos
}

// Select returns the collectors to run: the default ones, plus those named in
// enable, less those named in disable. A name that is no category is an error,
// so a typo in no_category does not pass silently. A category of the official
// agent's that this agent does not collect may be disabled, which changes
// nothing, but not enabled.
func Select(enable, disable []string) ([]Info, error) {
	for _, n := range enable {
		if slices.Contains(officialOnly, n) {
			return nil, fmt.Errorf("inventory category %q is the official agent's: this agent does not collect it", n)
		}
	}
	for _, n := range slices.Concat(enable, disable) {
		if _, ok := registry[n]; !ok && !knownElsewhere(n) && !slices.Contains(officialOnly, n) {
			return nil, fmt.Errorf("unknown inventory category %q", n)
		}
	}
	var out []Info
	for _, info := range All() {
		on := info.Default || slices.Contains(enable, info.Name)
		if on && !slices.Contains(disable, info.Name) {
			out = append(out, info)
		}
	}
	return out, nil
}

// Categories lists every category name any platform may have, so that a
// configuration shared across a fleet of several OSes is valid on each.
var Categories = []string{
	"antivirus", "battery", "bios", "controller", "cpu", "database", "drive", "environment",
	"firewall", "hardware", "input", "licenseinfo", "local_group", "local_user", "memory", "monitor",
	"network", "os", "printer", "process", "psu", "remote_mgmt", "software", "sound",
	"storage", "usb", "user", "video", "virtualmachine",
}

func knownElsewhere(name string) bool { return slices.Contains(Categories, name) }

// officialOnly are the official agent's categories this agent does not
// collect: what GLPI imports nothing of (slots, ports, modems), LVM
// volumes, the OCS-era registry keys, Rudder's id. A configuration written
// for the official agent, or a GLPI server's no-category, may name them:
// the official agent refuses a name it does not know, and would have run
// no inventory at all.
var officialOnly = []string{"lvm", "modem", "port", "registry", "rudder", "slot"}

// Result is what one collector did in one run.
type Result struct {
	Name     string
	Key      string
	Duration time.Duration
	// Items is the number of entries of an array section, 1 for an object.
	Items int
	// Err is nil on success; it wraps ErrNoData when the section is absent.
	Err error
}

// Failed reports whether the collector failed, as opposed to having nothing
// to report.
func (r Result) Failed() bool { return r.Err != nil && !errors.Is(r.Err, ErrNoData) }

// Run runs the given collectors concurrently, each bounded by timeout, and
// returns the content sections keyed by content key, and one Result per
// collector in the order given. A collector that fails, times out or has no
// data leaves its section out; the others are unaffected. progress, when
// not nil, is called as each collector finishes, from one goroutine at a time.
// The collectors of a run share the sources they open (WMI, the registry,
// system_profiler's reports), and only they do: the next run opens its own.
//
// The collectors start together, so one deadline bounds them all. A
// collector that ignores its context is abandoned when it passes: its
// goroutine finishes on its own later and its result is dropped.
func Run(ctx context.Context, env *Env, infos []Info, timeout time.Duration, progress func(Result)) (map[string]any, []Result) {
	env = env.forRun()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type out struct {
		i   int
		v   any
		err error
		d   time.Duration
	}
	// Buffered for every collector, so that an abandoned one never blocks.
	done := make(chan out, len(infos))
	start := time.Now()
	for i, info := range infos {
		go func() {
			o := out{i: i}
			defer func() {
				if p := recover(); p != nil {
					o.v, o.err = nil, fmt.Errorf("collector %s panicked: %v", info.Name, p)
				}
				o.d = time.Since(start)
				done <- o
			}()
			o.v, o.err = info.Collect(ctx, env.with(slog.String("collector", info.Name)))
		}()
	}
	content := make(map[string]any, len(infos))
	results := make([]Result, len(infos))
	finished := make([]bool, len(infos))
	finish := func(o out) {
		info := infos[o.i]
		err := o.err
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			// A file the host does not have, or that only root may
			// read: missing data, not a failure.
			err = fmt.Errorf("%w: %w", ErrNoData, err)
		}
		r := Result{Name: info.Name, Key: info.Key, Duration: o.d, Err: err}
		if err == nil {
			r.Items = count(o.v)
			if r.Items == 0 {
				r.Err = NoData("empty")
			} else {
				content[info.Key] = o.v
			}
		}
		results[o.i], finished[o.i] = r, true
		if progress != nil {
			progress(r)
		}
	}
	// abandon takes the results that came by the deadline, and reports
	// the collectors still running as timed out.
	abandon := func() {
	drain:
		for {
			select {
			case o := <-done:
				finish(o)
			default:
				break drain
			}
		}
		for i, info := range infos {
			if !finished[i] {
				finish(out{i: i, err: fmt.Errorf("collector %s: %w after %s", info.Name, ctx.Err(), timeout), d: time.Since(start)})
			}
		}
	}
	for range infos {
		select {
		case o := <-done:
			finish(o)
		case <-ctx.Done():
			abandon()
			return content, results
		}
	}
	return content, results
}

// count is the number of items a section holds: its length for a slice, 1
// for a non-nil object.
func count(v any) int {
	if v == nil {
		return 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map:
		return rv.Len()
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return 0
		}
	}
	return 1
}

// resultJSON is Result on the wire: the error as text, and whether it only
// meant "no data".
type resultJSON struct {
	Name     string        `json:"name"`
	Key      string        `json:"key"`
	Duration time.Duration `json:"duration_ns"`
	Items    int           `json:"items"`
	Error    string        `json:"error,omitempty"`
	NoData   bool          `json:"no_data,omitempty"`
}

// MarshalJSON keeps the error's text.
func (r Result) MarshalJSON() ([]byte, error) {
	j := resultJSON{Name: r.Name, Key: r.Key, Duration: r.Duration, Items: r.Items}
	if r.Err != nil {
		j.Error, j.NoData = r.Err.Error(), errors.Is(r.Err, ErrNoData)
	}
	return json.Marshal(j)
}

// UnmarshalJSON restores the error, wrapping ErrNoData when it meant that.
func (r *Result) UnmarshalJSON(b []byte) error {
	var j resultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Result{Name: j.Name, Key: j.Key, Duration: j.Duration, Items: j.Items}
	switch {
	case j.NoData:
		r.Err = fmt.Errorf("%w: %s", ErrNoData, strings.TrimPrefix(j.Error, ErrNoData.Error()+": "))
	case j.Error != "":
		r.Err = errors.New(j.Error)
	}
	return nil
}
