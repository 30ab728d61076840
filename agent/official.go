package agent

import (
	"cmp"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/glpi-agentd/glpi-agentd/agent/state"
	"github.com/glpi-agentd/glpi-agentd/enroll"
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
	for _, p := range officialStateFiles() {
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
func (a *Agent) readHostFile(p string) ([]byte, error) {
	if a.env.Live() {
		return os.ReadFile(p)
	}
	return a.env.ReadFile(p)
}
