package collectors

// windowsCollectors is the Windows binary's set of collectors, which
// collectors_windows.go registers. The collectors' logic lives in the
// OS-neutral win_*.go files so that the tests of every platform run it on
// fixture machines through this table; only the Windows build calls it, so
// no other binary links that code.
func windowsCollectors() []Info {
	return []Info{
		{Name: "antivirus", Key: "antivirus", Default: true, Collect: winAntivirus},
		{Name: "battery", Key: "batteries", Default: true, Collect: winBatteries},
		{Name: "bios", Key: "bios", Default: true, Collect: winBIOS},
		{Name: "controller", Key: "controllers", Default: true, Collect: winControllers},
		{Name: "cpu", Key: "cpus", Default: true, Collect: winCPUs},
		{Name: "database", Key: "databases_services", Default: true, Collect: winDatabases},
		{Name: "drive", Key: "drives", Default: true, Collect: winDrives},
		{Name: "environment", Key: "envs", Default: false, Collect: winEnvironment},
		{Name: "firewall", Key: "firewalls", Default: true, Collect: winFirewalls},
		{Name: "hardware", Key: "hardware", Default: true, Collect: winHardware},
		{Name: "input", Key: "inputs", Default: true, Collect: winInputs},
		{Name: "licenseinfo", Key: "licenseinfos", Default: true, Collect: winLicenses},
		{Name: "local_group", Key: "local_groups", Default: true, Collect: winLocalGroups},
		{Name: "local_user", Key: "local_users", Default: true, Collect: winLocalUsers},
		{Name: "memory", Key: "memories", Default: true, Collect: winMemories},
		{Name: "monitor", Key: "monitors", Default: true, Collect: winMonitors},
		{Name: "network", Key: "networks", Default: true, Collect: winNetworks},
		{Name: "os", Key: "operatingsystem", Default: true, Collect: winOS},
		{Name: "printer", Key: "printers", Default: true, Collect: winPrinters},
		{Name: "process", Key: "processes", Default: false, Collect: winProcesses},
		{Name: "psu", Key: "powersupplies", Default: true, Collect: winPowerSupplies},
		{Name: "remote_mgmt", Key: "remote_mgmt", Default: true, Collect: winRemoteMgmt},
		{Name: "software", Key: "softwares", Default: true, Collect: winSoftware},
		{Name: "sound", Key: "sounds", Default: true, Collect: winSounds},
		{Name: "storage", Key: "storages", Default: true, Collect: winStorages},
		{Name: "usb", Key: "usbdevices", Default: true, Collect: winUSB},
		{Name: "user", Key: "users", Default: true, Collect: winUsers},
		{Name: "video", Key: "videos", Default: true, Collect: winVideos},
		{Name: "virtualmachine", Key: "virtualmachines", Default: true, Collect: winVirtualMachines},
	}
}
