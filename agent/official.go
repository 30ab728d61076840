package agent

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/agent/state"
	"github.com/glpi-agentd/glpi-agentd/collectors"
	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
)

// officialStateFiles are where the official agent (and FusionInventory,
// its predecessor) keep their deviceid and agentid: <vardir>/<provider>-Agent.dump,
// in the packages' and installers' default vardir.
func officialStateFiles() []string {
	if runtime.GOOS == "windows" {
		// 32-bit installers went to Program Files (x86) on 64-bit Windows.
		var files []string
		for _, pf := range []string{cmp.Or(os.Getenv("ProgramFiles"), `C:\Program Files`), os.Getenv("ProgramFiles(x86)")} {
			if pf != "" {
				files = append(files,
					filepath.Join(pf, "GLPI-Agent", "var", "GLPI-Agent.dump"),
					filepath.Join(pf, "FusionInventory-Agent", "var", "FusionInventory-Agent.dump"))
			}
		}
		return files
	}
	if runtime.GOOS == "darwin" {
		// The macOS installer puts etc, share and var under one directory.
		return []string{"/Applications/GLPI-Agent/var/GLPI-Agent.dump"}
	}
	return []string{
		"/var/lib/glpi-agent/GLPI-Agent.dump",
		"/var/lib/fusioninventory-agent/FusionInventory-Agent.dump",
	}
}

// officialStateFilesHere are officialStateFiles, after those of the vardir
// the official agent's configuration names, when it names one (vardir in
// its registry key or its agent.cfg): there it kept its deviceid.
func (a *Agent) officialStateFilesHere() []string {
	files := officialStateFiles()
	opts, _ := a.officialOptions()
	for k, v := range opts {
		if dir := strings.TrimSpace(v); strings.EqualFold(k, "vardir") && dir != "" {
			files = slices.Insert(files, 0, filepath.Join(dir, "GLPI-Agent.dump"), filepath.Join(dir, "FusionInventory-Agent.dump"))
		}
	}
	return files
}

// previousAgent is the identity the official agent gave this machine.
type previousAgent struct {
	DeviceID string
	AgentID  string // "" when it had none, or not a UUID
	From     string // the state file
}

// officialIdentity returns the identity the official agent kept on this
// host, so that a machine moving from it keeps its GLPI agent record. Only
// a deviceid that starts with this host's name is taken: a state file
// copied with a disk image names the image's machine.
func (a *Agent) officialIdentity() *previousAgent {
	for _, p := range a.officialStateFilesHere() {
		b, err := a.readHostFile(p)
		if err != nil {
			continue
		}
		m, err := readStorableHash(b)
		if err != nil {
			a.log.Warn("the official agent's state file is unreadable: its deviceid is not kept", "path", p, "err", err)
			continue
		}
		dev := m["deviceid"]
		if !state.ValidDeviceID(dev) {
			a.log.Warn("the official agent's state file holds no usable deviceid", "path", p)
			continue
		}
		if host := enroll.DeviceIDHost(dev); !enroll.SameHost(host, a.Hostname()) {
			a.log.Info("the official agent's deviceid names another host: not kept", "path", p, "deviceid", dev, "hostname", a.Hostname())
			continue
		}
		prev := &previousAgent{DeviceID: dev, From: p}
		if id := strings.ToLower(m["agentid"]); state.ValidUUID(id) {
			prev.AgentID = id
		}
		return prev
	}
	return nil
}

// readHostFile reads a file of the host by its own path (a Windows path
// too), under the host root when the agent reads another's.
func (a *Agent) readHostFile(p string) ([]byte, error) { return os.ReadFile(a.hostPath(p)) }

// officialSettingsFile keeps the settings adopted from the official agent,
// so that they outlive its uninstall (which takes its configuration).
const officialSettingsFile = "official-settings.json"

// AdoptedSettings are the settings taken from the official agent, as
// officialSettingsFile keeps them.
type AdoptedSettings struct {
	From      string            `json:"from"`
	AdoptedAt time.Time         `json:"adopted_at"`
	Settings  map[string]string `json:"settings"`
}

// officialConfigFiles are the official agent's (and FusionInventory's)
// configuration files, where its packages put them.
func officialConfigFiles() []string {
	switch runtime.GOOS {
	case "windows":
		return nil // in the registry: see officialRegistry
	case "darwin":
		return []string{"/Applications/GLPI-Agent/etc/agent.cfg"}
	}
	return []string{"/etc/glpi-agent/agent.cfg", "/etc/fusioninventory/agent.cfg"}
}

// AdoptOfficialSettings gives an agent whose configuration names nowhere
// to send (no server, no local output, no enrollment, no key) the settings
// of the official agent it replaces: its server, tag, credentials, TLS
// trust, categories and listener. A fleet moving by installing this agent
// without settings keeps sending where it did, under the same tags, so
// that GLPI's entity rules place each machine as before. Settings this
// agent's configuration sets itself are kept.
//
// The settings are read once and kept in the state directory (when save
// is true): the official agent's uninstall takes its configuration. Those
// kept are used from then on while the configuration names no server.
// It returns the settings taken (AdoptedAt zero when not kept), or nil.
func (a *Agent) AdoptOfficialSettings(save bool) *AdoptedSettings {
	if a.cfg.Server != "" || a.cfg.Local != "" || a.cfg.Explicit("server") {
		return nil
	}
	if e, _ := a.Enrollment(); e != nil {
		return nil
	}
	if _, keyed, _ := a.Pending(); keyed {
		return nil
	}
	var kept AdoptedSettings
	err := state.ReadJSON(a.state.File(officialSettingsFile), &kept)
	fresh := errors.Is(err, os.ErrNotExist)
	if err != nil && !fresh {
		a.log.Warn("the settings adopted from the official agent are unreadable: reading its configuration again", "err", err)
		fresh = true
	}
	if fresh {
		opts, from := a.officialOptions()
		if opts == nil {
			return nil
		}
		settings, err := config.OfficialSettings(opts)
		if err != nil {
			a.log.Warn("the official agent's settings are not adopted", "from", from, "err", err)
			return nil
		}
		if settings == nil {
			return nil // it names no server either
		}
		kept = AdoptedSettings{From: from, AdoptedAt: time.Now().UTC(), Settings: settings}
		if save {
			a.keepOfficialFiles(kept.Settings)
		}
	}
	if kept.Settings["server"] == "" {
		return nil
	}
	before := *a.cfg
	applied, err := a.cfg.Adopt(kept.Settings)
	if err != nil {
		a.log.Warn("some of the official agent's settings are not adopted", "from", kept.From, "err", err)
	}
	if _, err := collectors.Select(a.cfg.EnableCategory, a.cfg.NoCategory); err != nil {
		a.log.Warn("the official agent's no-category is not adopted", "from", kept.From, "err", err)
		a.cfg.NoCategory = before.NoCategory
		applied = slices.DeleteFunc(applied, func(k string) bool { return k == "no_category" })
	}
	if err := a.cfg.Validate(); err != nil {
		a.log.Warn("the official agent's settings are not adopted", "from", kept.From, "err", err)
		*a.cfg = before
		return nil
	}
	// What the collectors take of the settings (scan-homedirs,
	// assetname-support) reaches them too.
	a.env.Options = CollectorOptions(a.cfg)
	// The log names keys only: values include credentials.
	switch {
	case !fresh:
		a.log.Debug("using the settings adopted from the official agent", "from", kept.From, "adopted_at", kept.AdoptedAt, "keys", applied)
		return &kept
	case !save:
		a.log.Debug("the official agent's settings would be adopted at the next run", "from", kept.From, "keys", applied)
		kept.AdoptedAt = time.Time{}
		return &kept
	}
	a.log.Info("this agent's configuration names no server: the official agent's settings are adopted", "from", kept.From, "keys", applied)
	if err := state.WriteJSON(a.state.File(officialSettingsFile), kept); err != nil {
		a.log.Warn("the settings adopted from the official agent could not be kept: they are read again at the next start", "err", err)
		kept.AdoptedAt = time.Time{}
	}
	return &kept
}

// The copies of the official agent's TLS files in the state directory.
const (
	officialCAFile     = "official-ca.pem"     // its CA file and CA directory's certificates
	officialClientFile = "official-client.pem" // its client certificate and key
)

// keepOfficialFiles copies the official agent's TLS files into the state
// directory and points settings at the copies: they often sit in the
// official agent's own directory, which its uninstall removes. Its CA file
// and the certificates of its CA directory make one bundle; its client
// certificate and key one file, readable by the agent alone. Files that
// cannot be read are left as named, for the client to report.
func (a *Agent) keepOfficialFiles(settings map[string]string) {
	if file, dir := settings["ca_cert_file"], settings["ca_cert_dir"]; file != "" || dir != "" {
		host := func(p string) string {
			if p == "" {
				return ""
			}
			return a.hostPath(p)
		}
		bundle, err := tlspin.CABundle(host(file), host(dir))
		if err == nil {
			err = state.WriteFileAtomic(a.state.File(officialCAFile), bundle, 0o600)
		}
		if err != nil {
			a.log.Warn("the official agent's CAs are not copied: they are used where they are", "file", file, "dir", dir, "err", err)
		} else {
			settings["ca_cert_file"] = a.state.File(officialCAFile)
			delete(settings, "ca_cert_dir")
		}
	}
	if cert, key := settings["ssl_cert_file"], settings["ssl_key_file"]; cert != "" {
		err := func() error {
			b, err := a.readHostFile(cert)
			if err != nil {
				return err
			}
			if key != "" {
				k, err := a.readHostFile(key)
				if err != nil {
					return err
				}
				b = append(append(b, '\n'), k...)
			}
			return state.WriteFileAtomic(a.state.File(officialClientFile), b, 0o600)
		}()
		if err != nil {
			a.log.Warn("the official agent's client certificate is not copied: it is used where it is", "file", cert, "err", err)
		} else {
			settings["ssl_cert_file"] = a.state.File(officialClientFile)
			delete(settings, "ssl_key_file")
		}
	}
}

// officialOptions returns the official agent's options and where they
// were read, or nil when it left none on this host.
func (a *Agent) officialOptions() (map[string]string, string) {
	if runtime.GOOS == "windows" && a.env.Live() {
		return officialRegistry()
	}
	list := func(dir string) ([]string, error) {
		entries, err := os.ReadDir(a.hostPath(dir))
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
		return names, nil
	}
	for _, f := range officialConfigFiles() {
		opts, err := config.ParseAgentCfg(f, a.readHostFile, list)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			a.log.Warn("the official agent's configuration is unreadable", "path", f, "err", err)
			continue
		}
		return opts, f
	}
	return nil, ""
}

// hostPath is a path of the host, under the host root when the agent reads
// another's.
func (a *Agent) hostPath(p string) string {
	if a.env.Live() {
		return p
	}
	return a.env.Path(p)
}
