// Package service runs glpi-agentd under the operating system's service
// manager (systemd, the Windows service control manager, launchd) and
// installs it there for development machines. Packages (deb, rpm, MSI)
// register the service themselves; the unit and plist they ship are the
// ones rendered here.
package service

import (
	"errors"
	"fmt"
	"runtime"
	"slices"

	"github.com/kardianos/service"
)

// Name is the service's name on systemd and Windows.
const Name = "glpi-agentd"

// Label is the service's launchd label on macOS, where labels are
// reverse-DNS names; the plist is /Library/LaunchDaemons/<Label>.plist.
const Label = "org.glpi-agentd"

// DisplayName is the name the Windows services console shows.
const DisplayName = "GLPI Agent (glpi-agentd)"

// Description describes the service to the service manager.
const Description = "Inventories this machine and sends it to GLPI."

// RunArgs are the arguments the service manager starts the agent with.
var RunArgs = []string{"run"}

// Config returns the service definition for the agent at exe, started
// with args after RunArgs (for example --config FILE).
func Config(exe string, args ...string) *service.Config {
	name := Name
	if runtime.GOOS == "darwin" {
		name = Label
	}
	argv := append(append([]string{}, RunArgs...), args...)
	return &service.Config{
		Name:        name,
		DisplayName: DisplayName,
		Description: Description,
		Executable:  exe,
		Arguments:   argv,
		Option: service.KeyValue{
			// The unit and plist are spliced in as literals: kardianos
			// v1.3's template engine cannot reach these settings.
			"SystemdScript": SystemdUnit(exe, argv...),
			"LaunchdConfig": LaunchdPlist(exe, argv...),
			"Restart":       "always",
			"KeepAlive":     true,
			"RunAtLoad":     true,
			// Windows: the agent also sets its full recovery policy at
			// each start (see Program.Start), for MSI installs.
			"StartType":              "automatic",
			"OnFailure":              "restart",
			"OnFailureDelayDuration": "15s",
			"OnFailureResetPeriod":   int(recoveryReset.Seconds()),
		},
	}
}

// Actions are the service commands the command line accepts.
var Actions = []string{"install", "uninstall", "start", "stop", "status"}

// Managed lists the service managers `service` installs the agent in, as
// kardianos names them (Service.Platform). Elsewhere (SysV init, upstart,
// OpenRC…) it refuses: the deb and rpm target systemd, and an init script
// that starts the daemon but cannot stop it or uninstall cleanly is worse
// than none.
var Managed = []string{"linux-systemd", "windows-service", "darwin-launchd"}

// ErrUnmanaged is returned for an action on a host whose service manager
// is not one of Managed.
var ErrUnmanaged = errors.New("no supported service manager on this host")

// Control performs action (one of Actions) on s and returns what to tell
// the user. On a host whose service manager is not one of Managed,
// install, start and stop fail with ErrUnmanaged and change nothing;
// uninstall removes the SysV script that earlier versions installed there,
// stopping its daemon first (see SysV), and status tells whether one is
// left.
func Control(s service.Service, action string) (string, error) {
	if platform := s.Platform(); !slices.Contains(Managed, platform) {
		return controlUnmanaged(platform, action, DefaultSysV())
	}
	if action == "status" {
		st, err := s.Status()
		switch {
		case errors.Is(err, service.ErrNotInstalled):
			return "not installed", nil
		case err != nil:
			return "", fmt.Errorf("query service status: %w", err)
		case st == service.StatusRunning:
			return "running", nil
		case st == service.StatusStopped:
			return "stopped", nil
		}
		return "unknown", nil
	}
	if err := service.Control(s, action); err != nil {
		return "", fmt.Errorf("%s service: %w", action, err)
	}
	return map[string]string{
		"install": "installed", "uninstall": "uninstalled", "start": "started", "stop": "stopped",
	}[action], nil
}

func controlUnmanaged(platform, action string, sv SysV) (string, error) {
	switch action {
	case "uninstall":
		return sv.Remove()
	case "status":
		if sv.Installed() {
			return "installed as " + sv.Script + " by an earlier version (SysV init, no longer supported): `glpi-agentd service uninstall` stops its daemon and removes it", nil
		}
		return "not installed (" + platform + ": no supported service manager)", nil
	}
	return "", fmt.Errorf("%s service: %w (%s, not systemd): nothing was done. "+
		"`glpi-agentd service` supports systemd, the Windows service manager and launchd; "+
		"here, start `glpi-agentd run` from the init system (it runs in the foreground and stops on SIGTERM), "+
		"or run `glpi-agentd inventory` from cron", action, ErrUnmanaged, platform)
}
