package collectors

import "context"

// macCollectors is the macOS binary's set of collectors, which
// mac_darwin.go registers. The collectors' logic lives in the OS-neutral
// mac_*.go files so that the tests of every platform run it on fixture
// machines through this table; only the macOS build calls it, so no other
// binary links that code.
func macCollectors() []Info {
	return []Info{
		{Name: "antivirus", Key: "antivirus", Default: true, Collect: macAntivirus},
		{Name: "battery", Key: "batteries", Default: true, Collect: macBatteries},
		{Name: "bios", Key: "bios", Default: true, Collect: macBIOS},
		{Name: "cpu", Key: "cpus", Default: true, Collect: macCPUs},
		{Name: "database", Key: "databases_services", Default: true, Collect: macDatabases},
		{Name: "drive", Key: "drives", Default: true, Collect: macDrives},
		{Name: "environment", Key: "envs", Default: false, Collect: macEnvironment},
		{Name: "firewall", Key: "firewalls", Default: true, Collect: macFirewall},
		{Name: "hardware", Key: "hardware", Default: true, Collect: macHardware},
		{Name: "local_group", Key: "local_groups", Default: true, Collect: macLocalGroups},
		{Name: "local_user", Key: "local_users", Default: true, Collect: macLocalUsers},
		{Name: "memory", Key: "memories", Default: true, Collect: macMemories},
		{Name: "monitor", Key: "monitors", Default: true, Collect: macMonitors},
		{Name: "network", Key: "networks", Default: true, Collect: macNetworks},
		{Name: "os", Key: "operatingsystem", Default: true, Collect: macOS},
		{Name: "process", Key: "processes", Default: false, Collect: macProcesses},
		{Name: "remote_mgmt", Key: "remote_mgmt", Default: true, Collect: macRemoteMgmt},
		{Name: "software", Key: "softwares", Default: true, Collect: macSoftware},
		{Name: "sound", Key: "sounds", Default: true, Collect: macSounds},
		{Name: "storage", Key: "storages", Default: true, Collect: macStorages},
		{Name: "usb", Key: "usbdevices", Default: true, Collect: macUSB},
		{Name: "user", Key: "users", Default: true, Collect: macUsers},
		{Name: "video", Key: "videos", Default: true, Collect: macVideos},
	}
}

// macDatabases asks the Mac's PostgreSQL and MySQL or MariaDB servers
// (Homebrew's, Postgres.app's, the vendors' installers'), as on Linux.
func macDatabases(ctx context.Context, env *Env) (any, error) {
	return collectDatabaseServices(ctx, env, databaseRunner(env), unixDatabaseEngines)
}
