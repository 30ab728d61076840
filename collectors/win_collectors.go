package collectors

// winCollector is a Windows collector: its category, content key, whether
// it runs by default, and what it reads from a Windows host.
type winCollector struct {
	name, key string
	enabled   bool
	collect   func(winHost) (any, error)
}

// section adapts a typed collector function.
func section[T any](f func(winHost) (T, error)) func(winHost) (any, error) {
	return func(h winHost) (any, error) { return f(h) }
}

// winCollectors are the Windows collectors, under the categories and
// content keys of the other platforms.
var winCollectors = []winCollector{
	{"antivirus", "antivirus", true, section(winAntivirus)},
	{"battery", "batteries", true, section(winBatteries)},
	{"bios", "bios", true, section(winBIOS)},
	{"controller", "controllers", true, section(winControllers)},
	{"cpu", "cpus", true, section(winCPUs)},
	{"drive", "drives", true, section(winDrives)},
	{"environment", "envs", false, section(winEnvironment)},
	{"firewall", "firewalls", true, section(winFirewalls)},
	{"hardware", "hardware", true, section(winHardware)},
	{"licenseinfo", "licenseinfos", true, section(winLicenses)},
	{"local_group", "local_groups", true, section(winLocalGroups)},
	{"local_user", "local_users", true, section(winLocalUsers)},
	{"memory", "memories", true, section(winMemories)},
	{"monitor", "monitors", true, section(winMonitors)},
	{"network", "networks", true, section(winNetworks)},
	{"os", "operatingsystem", true, section(winOS)},
	{"printer", "printers", true, section(winPrinters)},
	{"process", "processes", false, section(winProcesses)},
	{"software", "softwares", true, section(winSoftware)},
	{"sound", "sounds", true, section(winSounds)},
	{"storage", "storages", true, section(winStorages)},
	{"usb", "usbdevices", true, section(winUSB)},
	{"user", "users", true, section(winUsers)},
	{"video", "videos", true, section(winVideos)},
}
