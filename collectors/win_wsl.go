package collectors

import (
	"cmp"
	"crypto/md5"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// regLxss is where a user's hive lists the WSL distributions installed
// for the user, a {GUID} subkey each.
const regLxss = `Software\Microsoft\Windows\CurrentVersion\Lxss`

var bracedGUID = lazyRE(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)

// wslDistro is a WSL distribution of a user.
type wslDistro struct {
	sid, user, name, basePath string
}

// wslKept is what is kept of a user's distributions while they are logged
// off (userKept): their name, which Windows gives only while they are
// logged on, and their distributions.
type wslKept struct {
	User    string      `json:"user"`
	Distros [][2]string `json:"distributions"` // name, base path
}

// wslMachines lists the WSL distributions of the users, as the official
// agent names them: "<distribution> on <user> account", with a UUID made
// from the user's SID and the distribution's name, so that each keeps its
// GLPI record. They are read in the hives loaded, and kept for the users
// logged off (userKept).
func wslMachines(env *Env, h winHost) ([]VirtualMachine, error) {
	kept := openUserKept[wslKept](env, userWSLCache)
	profiles := userProfiles(h.reg)
	loaded := map[string]bool{}
	var distros []wslDistro
	for _, sid := range loadedUserHives(h.reg) {
		loaded[sid] = true
		user := cmp.Or(regString(h.reg, hku, sid+`\Volatile Environment`, "USERNAME"), profiles[sid])
		k := wslKept{User: user}
		root := sid + `\` + regLxss
		for _, key := range regSubKeys(h.reg, hku, root, view64) {
			if !bracedGUID.MatchString(key) {
				continue
			}
			v := openValues(h.reg, hku, root+`\`+key, view64)
			d := wslDistro{sid: sid, user: user, name: v.str("DistributionName"), basePath: v.str("BasePath")}
			v.close()
			if d.name != "" && d.basePath != "" {
				distros = append(distros, d)
				k.Distros = append(k.Distros, [2]string{d.name, d.basePath})
			}
		}
		if profiles[sid] != "" {
			kept.save(sid, k)
		}
	}
	sids := make([]string, 0, len(profiles))
	for sid := range profiles {
		if !loaded[sid] {
			sids = append(sids, sid)
		}
	}
	slices.Sort(sids)
	for _, sid := range sids {
		k, _ := kept.load(sid)
		for _, d := range k.Distros {
			distros = append(distros, wslDistro{sid: sid, user: k.User, name: d[0], basePath: d[1]})
		}
	}
	kept.prune(profiles)
	if len(distros) == 0 {
		return nil, nil
	}

	// The host's processors and memory, which WSL shares.
	procs, err := queryWMI[win32Processor](h.wmi, "Win32_Processor", "")
	if err != nil {
		return nil, err
	}
	vcpu := 0
	for _, p := range procs {
		vcpu += int(cmp.Or(p.NumberOfEnabledCore, p.NumberOfCores, 1))
	}
	cs, err := queryFirst[win32ComputerSystem](h.wmi, "Win32_ComputerSystem")
	if err != nil {
		return nil, err
	}
	memory := int64(cs.TotalPhysicalMemory >> 20)
	osys, err := queryFirst[win32OperatingSystem](h.wmi, "Win32_OperatingSystem")
	if err != nil {
		return nil, err
	}
	build, _ := strconv.Atoi(osys.BuildNumber)

	// Each user's .wslconfig, read once for all their distributions.
	configs := map[string]wslConfig{}
	out := make([]VirtualMachine, 0, len(distros))
	for _, d := range distros {
		cfg, ok := configs[d.sid]
		if !ok {
			profile := expandWinVars(regString(h.reg, hklm, regProfileList+`\`+d.sid, "ProfileImagePath"), map[string]string{"systemdrive": osys.SystemDrive})
			if profile != "" {
				if b, err := h.files.ReadFile(profile + `\.wslconfig`); err == nil {
					cfg = parseWSLConfig(string(b))
				}
			}
			configs[d.sid] = cfg
		}
		vm := VirtualMachine{
			Name:      d.name + " on " + d.user + " account",
			Subsystem: "WSL",
			VMType:    "WSL2",
			VCPU:      cmp.Or(cfg.processors, vcpu),
			UUID:      strings.ToUpper(uuidV3DNS(d.sid + "/" + d.name)),
		}
		switch {
		case isWSL1(h.files, d.basePath):
			// WSL 1 runs in the host's memory.
			vm.VMType, vm.Memory = "WSL1", memory
		case cfg.memoryMB > 0:
			vm.Memory = cfg.memoryMB
		case build > 0 && build < 20175:
			vm.Memory = memory * 8 / 10 // WSL 2's default before build 20175
		default:
			vm.Memory = min(memory/2, 8192)
		}
		out = append(out, vm)
	}
	return out, nil
}

// isWSL1 reports a WSL 1 distribution, whose files are a folder of the
// user's profile; WSL 2's are a disk image there.
func isWSL1(files fileSource, basePath string) bool {
	ok, _ := isDirIfExists(files, basePath+`\rootfs\etc`)
	return ok
}

// wslConfig is what a user's .wslconfig sets for WSL 2 virtual machines.
type wslConfig struct {
	memoryMB   int64
	processors int
}

// parseWSLConfig reads the memory and processors keys of the [wsl2]
// section of a .wslconfig.
func parseWSLConfig(s string) wslConfig {
	var c wslConfig
	inWSL2 := false
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			inWSL2 = strings.TrimSpace(strings.Trim(line, "[]")) == "wsl2"
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !inWSL2 || !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "memory":
			c.memoryMB = sizeMB(v)
		case "processors":
			c.processors, _ = strconv.Atoi(v)
		}
	}
	return c
}

// uuidV3DNS returns the name-based (MD5) UUID of name in the DNS
// namespace (RFC 4122), as Perl's Data::UUID makes it.
func uuidV3DNS(name string) string {
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := md5.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x30
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}
