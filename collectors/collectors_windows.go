package collectors

// The Windows collectors read WMI and the registry of this machine, opened
// once per run (Env.windows). WMI queries cannot be cancelled; the runner
// abandons one that overruns its timeout, and the optional lookups of a
// collector (group members, process owners) stop short of it so that the
// rest of its section is kept. The collectors' logic lives in the
// OS-neutral win_*.go files, run on fixture machines by the tests of every
// platform, which read this table from this file (winRegistered).
func init() {
	Register("antivirus", "antivirus", true, winAntivirus)
	Register("battery", "batteries", true, winBatteries)
	Register("bios", "bios", true, winBIOS)
	Register("controller", "controllers", true, winControllers)
	Register("cpu", "cpus", true, winCPUs)
	Register("drive", "drives", true, winDrives)
	Register("environment", "envs", false, winEnvironment)
	Register("firewall", "firewalls", true, winFirewalls)
	Register("hardware", "hardware", true, winHardware)
	Register("licenseinfo", "licenseinfos", true, winLicenses)
	Register("local_group", "local_groups", true, winLocalGroups)
	Register("local_user", "local_users", true, winLocalUsers)
	Register("memory", "memories", true, winMemories)
	Register("monitor", "monitors", true, winMonitors)
	Register("network", "networks", true, winNetworks)
	Register("os", "operatingsystem", true, winOS)
	Register("printer", "printers", true, winPrinters)
	Register("process", "processes", false, winProcesses)
	Register("software", "softwares", true, winSoftware)
	Register("sound", "sounds", true, winSounds)
	Register("storage", "storages", true, winStorages)
	Register("usb", "usbdevices", true, winUSB)
	Register("user", "users", true, winUsers)
	Register("video", "videos", true, winVideos)
}
