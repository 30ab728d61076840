package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"howett.net/plist"
)

// The macOS inventory reads system_profiler's JSON reports, a few sysctl
// values, property list files and what fdesetup, ps and ioreg print. Its
// collectors and parsing live in these OS-neutral mac_*.go files, tested on
// every platform with fixtures; mac_darwin.go registers the collectors and
// supplies the live sources.

// systemProfiler is the program behind "About This Mac".
const systemProfiler = "/usr/sbin/system_profiler"

// Time limits of the programs the collectors run, shared by every
// collector of an inventory whatever their own deadline.
const (
	profilerTimeout = 30 * time.Second
	appsTimeout     = 2 * time.Minute
	fdesetupTimeout = 10 * time.Second
	psTimeout       = 30 * time.Second
)

// macHost is what the collectors of one macOS inventory share: the two
// system_profiler reports and the outputs of fdesetup and ps, each run
// once, and the sources only the live system has. Nil functions mean the
// source is absent.
type macHost struct {
	// sysctl returns a sysctl value as "sysctl -a" prints it, "" when
	// unknown.
	sysctl func(name string) string
	// consoleUID returns the owner of /dev/console, the user logged in at
	// the screen.
	consoleUID func() (uid int, ok bool)
	// interfaces lists the network interfaces with their addresses.
	interfaces func() ([]macIface, error)
	// fdesetup runs "fdesetup status", which tells FileVault's state.
	fdesetup func(ctx context.Context, env *Env) ([]byte, error)
	// ps runs ps with psArgs, the process list.
	ps func(ctx context.Context, env *Env) ([]byte, error)
	// environ returns the agent's environment as os.Environ does.
	environ func() []string

	report    macLazy[*spReport]
	apps      macLazy[[]spApp]
	fileVault macLazy[string]
	procs     macLazy[[]byte]
}

// mac returns the macOS host of env's run, made by the first collector of
// the run that needs it: the collectors of a run share its system_profiler
// reports and programs' outputs, and a run's failures are its own.
func (e *Env) mac() (*macHost, error) {
	h, err := shared(e, "macos", func() (*macHost, error) {
		if e.open == nil {
			return openMac(e), nil
		}
		v, err := e.open(e, "macos")
		h, _ := v.(*macHost)
		if err == nil && h == nil {
			err = fmt.Errorf("open gave a %T, not a macOS host", v)
		}
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("open macos sources: %w", err)
	}
	return h, nil
}

// sysctlValue returns a sysctl value, "" without a sysctl source.
func (h *macHost) sysctlValue(name string) string {
	if h.sysctl == nil {
		return ""
	}
	return strings.TrimSpace(h.sysctl(name))
}

// profile returns the system_profiler report of the hardware and system
// data types, running system_profiler on first use.
func (h *macHost) profile(ctx context.Context, env *Env) (*spReport, error) {
	return h.report.get(ctx, profilerTimeout, func(ctx context.Context) (*spReport, error) {
		args := append([]string{"-json", "-detailLevel", "basic"}, profilerDataTypes(macVersion(env).major())...)
		out, err := env.Run(ctx, systemProfiler, args...)
		if err != nil {
			return nil, fmt.Errorf("run system_profiler: %w", err)
		}
		var r spReport
		if err := json.Unmarshal(out, &r); err != nil {
			// A field of an unexpected type leaves only that field unset.
			if _, ok := errors.AsType[*json.UnmarshalTypeError](err); !ok {
				return nil, fmt.Errorf("parse system_profiler report: %w", err)
			}
			env.Log().Debug("unexpected system_profiler field", "err", err)
		}
		return &r, nil
	})
}

// applications returns the applications system_profiler finds, a slow
// search of the disks run on first use.
func (h *macHost) applications(ctx context.Context, env *Env) ([]spApp, error) {
	return h.apps.get(ctx, appsTimeout, func(ctx context.Context) ([]spApp, error) {
		out, err := env.Run(ctx, systemProfiler, "-json", "-detailLevel", "basic", "SPApplicationsDataType")
		if err != nil {
			return nil, fmt.Errorf("run system_profiler: %w", err)
		}
		var r struct {
			Apps []spApp `json:"SPApplicationsDataType"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			return nil, fmt.Errorf("parse system_profiler applications: %w", err)
		}
		return r.Apps, nil
	})
}

// profilerDataTypes are the data types of the main report. macOS 26
// replaced SPUSBDataType with SPUSBHostDataType.
func profilerDataTypes(major int) []string {
	usb := "SPUSBDataType"
	if major >= 26 {
		usb = "SPUSBHostDataType"
	}
	return []string{
		"SPHardwareDataType", "SPSoftwareDataType", "SPStorageDataType",
		"SPNetworkDataType", "SPMemoryDataType", "SPDisplaysDataType",
		"SPPowerDataType", usb, "SPAudioDataType", "SPNVMeDataType",
		"SPSerialATADataType",
	}
}

// macLazy computes a value once for every collector that asks. The
// computation runs under its own deadline, detached from the first
// caller's, so that a caller giving up early does not fail the others;
// each caller waits only as long as its own context allows.
type macLazy[T any] struct {
	once sync.Once
	done chan struct{}
	v    T
	err  error
}

func (l *macLazy[T]) get(ctx context.Context, timeout time.Duration, load func(context.Context) (T, error)) (T, error) {
	l.once.Do(func() {
		l.done = make(chan struct{})
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		go func() {
			defer close(l.done)
			defer cancel()
			l.v, l.err = load(lctx)
		}()
	})
	select {
	case <-l.done:
		return l.v, l.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// spReport is the part of system_profiler's JSON report the inventory
// uses, one list per data type.
type spReport struct {
	Hardware []spHardware   `json:"SPHardwareDataType"`
	Software []spSoftware   `json:"SPSoftwareDataType"`
	Storage  []spVolume     `json:"SPStorageDataType"`
	Network  []spNetService `json:"SPNetworkDataType"`
	Memory   []spMemory     `json:"SPMemoryDataType"`
	Displays []spGPU        `json:"SPDisplaysDataType"`
	Power    []spPower      `json:"SPPowerDataType"`
	USB      []spUSBNode    `json:"SPUSBDataType"`
	USBHost  []spUSBNode    `json:"SPUSBHostDataType"`
	Audio    []spAudioGroup `json:"SPAudioDataType"`
	NVMe     []spDiskBus    `json:"SPNVMeDataType"`
	SATA     []spDiskBus    `json:"SPSerialATADataType"`
}

// hardware returns the hardware overview, empty when absent.
func (r *spReport) hardware() spHardware {
	if len(r.Hardware) == 0 {
		return spHardware{}
	}
	return r.Hardware[0]
}

// software returns the system software overview, empty when absent.
func (r *spReport) software() spSoftware {
	if len(r.Software) == 0 {
		return spSoftware{}
	}
	return r.Software[0]
}

// spHardware is the SPHardwareDataType overview.
type spHardware struct {
	BootROMVersion   string          `json:"boot_rom_version"`
	ChipType         string          `json:"chip_type"`
	CPUType          string          `json:"cpu_type"`
	CurrentSpeed     string          `json:"current_processor_speed"`
	MachineModel     string          `json:"machine_model"`
	MachineName      string          `json:"machine_name"`
	ModelNumber      string          `json:"model_number"`
	NumberProcessors json.RawMessage `json:"number_processors"`
	Packages         int             `json:"packages"`
	PhysicalMemory   string          `json:"physical_memory"`
	PlatformUUID     string          `json:"platform_UUID"`
	HyperThreading   string          `json:"platform_cpu_htt"`
	SerialNumber     string          `json:"serial_number"`
}

// spSoftware is the SPSoftwareDataType overview.
type spSoftware struct {
	KernelVersion string `json:"kernel_version"`
	LocalHostName string `json:"local_host_name"`
	OSVersion     string `json:"os_version"`
}

// macPlatformUUID returns the machine's IOPlatformUUID, the identity it
// keeps across reinstallations, "" when the report has none.
func macPlatformUUID(r *spReport) string {
	return cleanUUID(r.hardware().PlatformUUID)
}

// macSerial returns the machine's serial number.
func macSerial(r *spReport) string {
	return spValue(r.hardware().SerialNumber)
}

// processorCount holds the processor counts of number_processors: a plain
// count on Intel Macs, "proc <total>:<performance>:<efficiency>" on Apple
// silicon, and since the M5 "proc <total>:<super>:<efficiency>:<performance>",
// the fastest cores first.
type processorCount struct {
	total  int
	levels []coreLevel
}

// coreLevel is a performance level of an Apple silicon chip, as the
// hw.perflevel<n> sysctls name them: "Performance", "Efficiency", "Super".
type coreLevel struct {
	name  string
	cores int
}

// numberProcessorsLevels name the levels of number_processors by its
// number of fields after the total.
var numberProcessorsLevels = map[int][]string{
	2: {"Performance", "Efficiency"},
	3: {"Super", "Efficiency", "Performance"},
}

// parseNumberProcessors parses number_processors, a JSON number or string.
// Levels without cores are left out.
func parseNumberProcessors(raw json.RawMessage) processorCount {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return processorCount{total: n}
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return processorCount{}
	}
	f := strings.Split(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "proc")), ":")
	pc := processorCount{total: atoi(f[0])}
	for i, name := range numberProcessorsLevels[len(f)-1] {
		if n := atoi(f[i+1]); n > 0 {
			pc.levels = append(pc.levels, coreLevel{name, n})
		}
	}
	return pc
}

// sizeUnits are the decimal units of the sizes system_profiler prints.
var sizeUnits = map[string]float64{
	"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15,
}

// parseSizeBytes parses a size such as "16 GB", "500.28 GB" or "1 TB" into
// bytes, 0 when s is no size. Apple counts disk sizes in powers of ten and
// memory sizes in powers of two: binary says which.
func parseSizeBytes(s string, binary bool) uint64 {
	f := strings.Fields(strings.ReplaceAll(strings.TrimSpace(s), ",", "."))
	if len(f) != 2 {
		return 0
	}
	v, err := strconv.ParseFloat(f[0], 64)
	unit, ok := sizeUnits[strings.ToUpper(f[1])]
	if err != nil || !ok || v < 0 {
		return 0
	}
	if binary && unit > 1 {
		unit = math.Pow(1024, math.Round(math.Log10(unit)/3))
	}
	return uint64(math.Round(v * unit))
}

// parseSpeedMHz parses a clock speed such as "3.6 GHz", "2667 MHz" or,
// in a locale with a decimal comma, "2,4 GHz".
func parseSpeedMHz(s string) int {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0
	}
	v, err := strconv.ParseFloat(strings.Replace(f[0], ",", ".", 1), 64)
	if err != nil || v < 0 {
		return 0
	}
	switch strings.ToUpper(f[1]) {
	case "GHZ":
		return int(math.Round(v * 1000))
	case "MHZ":
		return int(math.Round(v))
	}
	return 0
}

// isSPKey reports whether s is one of the keys system_profiler prints where
// its localised text would go ("spdisplays_display", "sppci_vendor_Apple",
// "spdisplays_yes"): sp, lower-case letters or digits, an underscore, then
// letters, digits, underscores or dashes. (Read by hand rather than with a
// package-level regexp, which every binary would compile at start.)
func isSPKey(s string) bool {
	rest, ok := strings.CutPrefix(s, "sp")
	if !ok {
		return false
	}
	group, name, ok := strings.Cut(rest, "_")
	if !ok || group == "" || name == "" {
		return false
	}
	for _, c := range []byte(group) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	for _, c := range []byte(name) {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// spValue returns a value of system_profiler, or "" when it is no value:
// a placeholder ("Unknown", "empty"), a mark without a letter or digit
// ("-"), or a localisation key, which names no device.
func spValue(s string) string {
	s = clean(s)
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) || isSPKey(s) {
		return ""
	}
	return s
}

// parseSysctlText parses "name: value" lines as "sysctl -a" prints them.
func parseSysctlText(s string) map[string]string {
	m := make(map[string]string)
	for line := range strings.Lines(s) {
		k, v, ok := strings.Cut(line, ":")
		if ok && !strings.ContainsAny(k, " \t") {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// parseSysctlTimeval parses a struct timeval as sysctl prints it:
// "{ sec = 1718007200, usec = 52613 } Mon Jun 10 08:13:20 2024".
func parseSysctlTimeval(s string) (time.Time, bool) {
	_, rest, ok := strings.Cut(s, "sec =")
	if !ok {
		return time.Time{}, false
	}
	num, _, _ := strings.Cut(strings.TrimSpace(rest), ",")
	sec, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

// formatSysctlTimeval formats a time as sysctl prints a struct timeval,
// for the darwin source to give the same text as the fixtures.
func formatSysctlTimeval(sec, usec int64) string {
	return fmt.Sprintf("{ sec = %d, usec = %d }", sec, usec)
}

// readPlist decodes a property list file of the host, XML or binary.
func readPlist(env *Env, name string, v any) error {
	b, err := env.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := plist.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parse property list %q: %w", name, err)
	}
	return nil
}

// macOSVersion is the content of SystemVersion.plist, which sw_vers prints.
type macOSVersion struct {
	ProductName         string `plist:"ProductName"`
	ProductVersion      string `plist:"ProductVersion"`
	ProductBuildVersion string `plist:"ProductBuildVersion"`
}

// major returns the major version, 0 when unknown.
func (v macOSVersion) major() int {
	m, _, _ := strings.Cut(v.ProductVersion, ".")
	return atoi(m)
}

// macVersion reads the system version, empty when unreadable.
func macVersion(env *Env) macOSVersion {
	var v macOSVersion
	if err := readPlist(env, "/System/Library/CoreServices/SystemVersion.plist", &v); err != nil {
		env.Log().Debug("no system version", "err", err)
	}
	return v
}
