package service

import (
	"html"
	"strings"
)

// SystemdUnit returns the hardened systemd unit that runs exe with args.
// The deb and rpm ship it as /usr/lib/systemd/system/glpi-agentd.service.
//
// The agent runs as root because DMI tables and serial numbers are
// readable by root only (0400). Root owns them, so no capability is needed
// to read them; CAP_DAC_READ_SEARCH is kept for files owned by other users
// (home directories with scan_homedirs). Every other capability is dropped,
// and the file system is read-only except the state directory, the log
// directory and /etc/glpi-agentd (forget_registration_key removes the key
// file there). Devices stay visible, which rules out PrivateDevices and
// ProtectClock (both restrict /dev): disk serials are read from them.
func SystemdUnit(exe string, args ...string) string {
	return `[Unit]
Description=` + DisplayName + `
Documentation=https://github.com/glpi-agentd/glpi-agentd
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=` + systemdCommand(exe, args) + `
Restart=always
RestartSec=15s
TimeoutStopSec=30s
UMask=0077

CapabilityBoundingSet=CAP_DAC_READ_SEARCH
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=/var/lib/glpi-agentd -/etc/glpi-agentd
LogsDirectory=glpi-agentd
LogsDirectoryMode=0700
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service

[Install]
WantedBy=multi-user.target
`
}

// systemdCommand quotes the words of a command line for ExecStart.
func systemdCommand(exe string, args []string) string {
	words := make([]string, 0, 1+len(args))
	for _, w := range append([]string{exe}, args...) {
		if strings.ContainsAny(w, " \t\"'\\") {
			w = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(w) + `"`
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// LaunchdPlist returns the launchd daemon definition that runs exe with
// args, kept alive, with its output in /Library/Logs/glpi-agentd.log.
func LaunchdPlist(exe string, args ...string) string {
	var argv strings.Builder
	for _, w := range append([]string{exe}, args...) {
		argv.WriteString("\t\t<string>" + html.EscapeString(w) + "</string>\n")
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + Label + `</string>
	<key>ProgramArguments</key>
	<array>
` + argv.String() + `	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<true/>
	<key>ThrottleInterval</key>
	<integer>15</integer>
	<key>ExitTimeOut</key>
	<integer>30</integer>
	<key>Umask</key>
	<integer>63</integer>
	<key>StandardErrorPath</key>
	<string>/Library/Logs/glpi-agentd.log</string>
</dict>
</plist>
`
}
