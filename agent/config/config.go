// Package config loads the agent's configuration: defaults, then a TOML
// file (agent.toml), then the drop-in files beside it (agent.d/*.toml, in
// name order), then the settings the MSI stored in the Windows registry,
// then GLPI_AGENTD_<KEY> environment variables, then command-line flags;
// each source overrides the keys it sets. Key names follow the official
// GLPI agent's options, with underscores for dashes (no-category becomes
// no_category).
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/glpi-agentd/glpi-agentd/glpi"
)

// EnvPrefix starts the environment variable of every key.
const EnvPrefix = "GLPI_AGENTD_"

// Config is the agent's configuration. Durations are in seconds, as in the
// official agent's configuration.
type Config struct {
	// Server is the GLPI server URL (direct mode), or the glpi-enrolld URL
	// when the agent has a registration key or is enrolled.
	Server string `toml:"server"`
	// Tag is sent as the inventory's root tag (direct mode).
	Tag string `toml:"tag"`
	// Local writes inventories to this file or directory instead of sending them.
	Local string `toml:"local"`

	// Delaytime bounds the first run after start and the backoff after
	// errors, in seconds.
	Delaytime int `toml:"delaytime"`
	// NoCategory lists inventory categories not to collect.
	NoCategory []string `toml:"no_category"`
	// EnableCategory lists categories off by default to collect
	// (environment, process).
	EnableCategory []string `toml:"enable_category"`
	// RequiredCategory lists categories a partial inventory carries even
	// when unchanged (the official agent's required-category).
	RequiredCategory []string `toml:"required_category"`
	// BackendCollectTimeout bounds each collector, in seconds.
	BackendCollectTimeout int `toml:"backend_collect_timeout"`
	// FullInventoryPostpone is how many partial inventories may follow a
	// full one; 0 sends full inventories only.
	FullInventoryPostpone int `toml:"full_inventory_postpone"`
	// ScanHomedirs lets collectors read users' home directories.
	ScanHomedirs bool `toml:"scan_homedirs"`
	// ItemType is the GLPI asset type inventories are imported as:
	// Computer, or one of GLPI 11's custom asset types
	// (Glpi\CustomAsset\<Name>), as the official agent's itemtype.
	ItemType string `toml:"itemtype"`
	// AdditionalContent is a JSON file, {"content": {...}}, merged into
	// every inventory: a list section's entries added to those collected,
	// an object section's fields set (the official agent's
	// additional-content).
	AdditionalContent string `toml:"additional_content"`
	// AssetnameSupport names a Linux computer: 1 by its short host name,
	// 2 by its host name as the system has it, 3 by its fully qualified
	// name (the official agent's assetname-support).
	AssetnameSupport int `toml:"assetname_support"`

	// HTTPDIP, HTTPDPort, HTTPDTrust and NoHTTPD configure the local
	// listener GLPI's "Request inventory" button calls.
	HTTPDIP    string   `toml:"httpd_ip"`
	HTTPDPort  int      `toml:"httpd_port"`
	HTTPDTrust []string `toml:"httpd_trust"`
	NoHTTPD    bool     `toml:"no_httpd"`
	// AddFirewallException, on Windows, lets GLPI reach that listener
	// through Windows Firewall: the daemon makes an inbound rule for its
	// program and port at each start.
	AddFirewallException bool `toml:"add_firewall_exception"`

	// Timeout bounds each HTTP request to the server, in seconds.
	Timeout int `toml:"timeout"`
	// NoCompression sends plain JSON instead of zlib.
	NoCompression bool `toml:"no_compression"`
	// Proxy is the HTTP proxy URL; "none" disables the environment's.
	Proxy string `toml:"proxy"`
	// CACertFile is a PEM file of the CAs trusted instead of the system's.
	CACertFile string `toml:"ca_cert_file"`
	// CACertDir is a directory of PEM files of CAs (OpenSSL's hashed
	// "<hash>.0" files, or any others), trusted with CACertFile's instead
	// of the system's.
	CACertDir string `toml:"ca_cert_dir"`
	// SSLCertFile is a PEM file of the client certificate sent to a
	// server that asks for one, with its key unless SSLKeyFile is set.
	SSLCertFile string `toml:"ssl_cert_file"`
	// SSLKeyFile is the PEM file of SSLCertFile's key.
	SSLKeyFile string `toml:"ssl_key_file"`
	// SSLFingerprint pins the server's public key or its private CA's:
	// SHA-256 of a SubjectPublicKeyInfo, in any form package tlspin
	// accepts ("sha256/<base64>", "sha256//<base64>", base64, hex), several
	// separated by commas for a rotation.
	SSLFingerprint string `toml:"ssl_fingerprint"`
	// NoSSLCheck disables TLS verification (never for secrets: see
	// InsecureHTTP).
	NoSSLCheck bool `toml:"no_ssl_check"`
	// User and Password are GLPI's inventory Basic credentials.
	User     string `toml:"user"`
	Password string `toml:"password"`
	// OAuthClientID and OAuthClientSecret are GLPI 11 client credentials.
	OAuthClientID     string `toml:"oauth_client_id"`
	OAuthClientSecret string `toml:"oauth_client_secret"`

	// RegistrationKeyFile holds the glpi-enrolld registration key (0600).
	RegistrationKeyFile string `toml:"registration_key_file"`
	// ForgetRegistrationKey removes the key file after the first enrollment.
	ForgetRegistrationKey bool `toml:"forget_registration_key"`
	// InsecureHTTP allows secrets over plain HTTP to non-loopback servers.
	InsecureHTTP bool `toml:"insecure_http"`
	// DelayEnroll never enrolls before the first real boot (golden images).
	DelayEnroll bool `toml:"delay_enroll"`

	// StateDir holds identity, credentials and run state.
	StateDir string `toml:"state_dir"`
	// Logfile, when set, receives the log instead of standard error.
	Logfile string `toml:"logfile"`
	// Debug is the log verbosity: 0 info, 1 and 2 debug.
	Debug int `toml:"debug"`

	// ignored are the environment's GLPI_AGENTD_ variables naming no key.
	ignored []string
	// explicit are the keys a file, the registry or the environment set.
	explicit map[string]bool
}

// Default returns the configuration before any file or variable.
func Default() *Config {
	return &Config{
		Delaytime:             3600,
		BackendCollectTimeout: 180,
		FullInventoryPostpone: 14,
		AssetnameSupport:      1,
		ItemType:              "Computer",
		HTTPDPort:             62354,
		Timeout:               180,
		StateDir:              DefaultStateDir(),
	}
}

// DefaultStateDir is where the agent keeps its state on this OS.
func DefaultStateDir() string {
	switch runtime.GOOS {
	case "windows":
		pd := os.Getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return pd + `\glpi-agentd`
	case "darwin":
		return "/Library/Application Support/glpi-agentd/state"
	}
	return "/var/lib/glpi-agentd"
}

// DefaultFile is the configuration file read when none is given, if it exists.
func DefaultFile() string {
	switch runtime.GOOS {
	case "windows":
		pd := os.Getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return pd + `\glpi-agentd\agent.toml`
	case "darwin":
		return "/Library/Application Support/glpi-agentd/agent.toml"
	}
	return "/etc/glpi-agentd/agent.toml"
}

// DropInDir is the directory of drop-in files read after file: agent.d
// beside agent.toml (the file's name without its extension, plus ".d").
func DropInDir(file string) string {
	base := filepath.Base(file)
	return filepath.Join(filepath.Dir(file), strings.TrimSuffix(base, filepath.Ext(base))+".d")
}

// DropIns lists the drop-in files of file that Load reads, in the order
// it reads them: the *.toml files of DropInDir(file) in name order, hidden
// ones (".name.toml", such as an installer's temporary file) left out. A
// missing directory has none.
func DropIns(file string) ([]string, error) {
	dir := DropInDir(file)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config directory %q: %w", dir, err)
	}
	var files []string
	for _, e := range entries { // ReadDir sorts by name
		name := e.Name()
		if strings.HasPrefix(name, ".") || filepath.Ext(name) != ".toml" || e.IsDir() {
			continue
		}
		files = append(files, filepath.Join(dir, name))
	}
	return files, nil
}

// Load returns the defaults overlaid with file (when not empty), its
// drop-in files (see DropIns), the settings the MSI stored in the Windows
// registry, and the environment. A missing file is an error only when
// required is true; its drop-ins are read either way, so the settings a
// package ships in agent.d apply when the admin's agent.toml is gone.
func Load(file string, required bool, environ []string) (*Config, error) {
	c := Default()
	if file != "" {
		if err := c.loadFile(file, required); err != nil {
			return nil, err
		}
		dropIns, err := DropIns(file)
		if err != nil {
			return nil, err
		}
		for _, f := range dropIns {
			if err := c.loadFile(f, true); err != nil {
				return nil, err
			}
		}
	}
	if err := c.loadRegistry(); err != nil {
		return nil, err
	}
	if err := c.loadEnv(environ); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

func (c *Config) loadFile(file string, required bool) error {
	md, err := toml.DecodeFile(file, c)
	if errors.Is(err, os.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read config %q: %w", file, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		return fmt.Errorf("read config %q: unknown key %q", file, u[0].String())
	}
	for _, k := range md.Keys() {
		c.markExplicit(k.String())
	}
	return nil
}

// markExplicit records that this agent's configuration set key.
func (c *Config) markExplicit(key string) {
	if c.explicit == nil {
		c.explicit = map[string]bool{}
	}
	c.explicit[key] = true
}

// loadEnv applies GLPI_AGENTD_<KEY> variables. Lists are comma-separated,
// booleans are 1/0/true/false/yes/no.
func (c *Config) loadEnv(environ []string) error {
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(name, EnvPrefix))
		if key == "registration_key" {
			continue // the key itself, read by the enrollment code
		}
		if _, known := c.field(key); !known {
			// A typo in a fleet's environment must not stop its agents:
			// warned about, and ignored (Ignored).
			c.ignored = append(c.ignored, name)
			continue
		}
		if err := c.Set(key, val); err != nil {
			return fmt.Errorf("environment %s: %w", name, err)
		}
		c.markExplicit(key)
	}
	return nil
}

// Ignored lists the GLPI_AGENTD_ variables of the environment that name no
// key, for a warning.
func (c *Config) Ignored() []string { return c.ignored }

// Set assigns one key from its string form, as the environment and flags do.
func (c *Config) Set(key, val string) error {
	f, ok := c.field(key)
	if !ok {
		return fmt.Errorf("unknown key %q", key)
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(val)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil {
			return fmt.Errorf("key %q: %q is not a whole number", key, val)
		}
		f.SetInt(int64(n))
	case reflect.Bool:
		b, err := parseBool(val)
		if err != nil {
			return fmt.Errorf("key %q: %w", key, err)
		}
		f.SetBool(b)
	case reflect.Slice:
		f.Set(reflect.ValueOf(SplitList(val)))
	}
	return nil
}

// Keys lists every configuration key.
func Keys() []string {
	t := reflect.TypeFor[Config]()
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if k := t.Field(i).Tag.Get("toml"); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func (c *Config) field(key string) (reflect.Value, bool) {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("toml") == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	if c.Server != "" {
		if _, err := ServerURL(c.Server); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		key string
		v   int
	}{{"delaytime", c.Delaytime}, {"backend_collect_timeout", c.BackendCollectTimeout}, {"timeout", c.Timeout}} {
		if d.v <= 0 {
			return fmt.Errorf("key %q: must be positive, got %d", d.key, d.v)
		}
	}
	if c.FullInventoryPostpone < 0 {
		return fmt.Errorf("key %q: must not be negative", "full_inventory_postpone")
	}
	if c.HTTPDPort <= 0 || c.HTTPDPort > 65535 {
		return fmt.Errorf("key %q: %d is not a port", "httpd_port", c.HTTPDPort)
	}
	if !glpi.ValidItemType(c.ItemType) {
		return fmt.Errorf("key %q: %q is not an asset type GLPI imports: Computer, Phone, Printer, NetworkEquipment, Unmanaged or Glpi\\CustomAsset\\<Name>", "itemtype", c.ItemType)
	}
	if c.AssetnameSupport < 1 || c.AssetnameSupport > 3 {
		return fmt.Errorf("key %q: must be 1 (the short host name), 2 (as the system has it) or 3 (fully qualified)", "assetname_support")
	}
	if c.Debug < 0 || c.Debug > 2 {
		return fmt.Errorf("key %q: must be 0, 1 or 2", "debug")
	}
	if c.StateDir == "" {
		return fmt.Errorf("key %q: must not be empty", "state_dir")
	}
	if slices.Contains(c.NoCategory, "") {
		return fmt.Errorf("key %q: empty category", "no_category")
	}
	return nil
}

// ServerURL canonicalises a server setting as the official agent does: a
// bare host becomes http://host/; only http and https are accepted.
func ServerURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	// The official agent's server is a list; a list taken as one URL would
	// be posted to a path that is none.
	if strings.Contains(s, ",") {
		return nil, fmt.Errorf("key %q: %q names several servers; this agent sends to one: give one URL", "server", s)
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", "server", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("key %q: scheme %q is not http or https", "server", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("key %q: %q has no host", "server", s)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// Seconds converts a setting in seconds to a Duration.
func Seconds(n int) time.Duration { return time.Duration(n) * time.Second }
