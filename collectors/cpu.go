package collectors

import (
	"bufio"
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// CPU is one physical processor (socket) of the cpus section.
type CPU struct {
	Arch          string `json:"arch,omitempty"`
	Core          int    `json:"core,omitempty"`
	CoreCount     int    `json:"corecount,omitempty"`
	Description   string `json:"description,omitempty"`
	ExternalClock int    `json:"external_clock,omitempty"`
	FamilyName    string `json:"familyname,omitempty"`
	FamilyNumber  string `json:"familynumber,omitempty"`
	ID            string `json:"id,omitempty"`
	Manufacturer  string `json:"manufacturer,omitempty"`
	Model         string `json:"model,omitempty"`
	Name          string `json:"name,omitempty"`
	Serial        string `json:"serial,omitempty"`
	Speed         int    `json:"speed,omitempty"`
	Stepping      int    `json:"stepping,omitempty"`
	Thread        int    `json:"thread,omitempty"`
}

// cpuVendors normalises x86 vendor ids.
var cpuVendors = map[string]string{
	"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon",
	"CentaurHauls": "VIA", "  Shanghai  ": "Zhaoxin", "GenuineTMx86": "Transmeta",
}

// armImplementers names ARM "CPU implementer" codes.
var armImplementers = map[string]string{
	"0x41": "ARM", "0x42": "Broadcom", "0x43": "Cavium", "0x46": "Fujitsu",
	"0x48": "HiSilicon", "0x4e": "NVIDIA", "0x50": "Applied Micro",
	"0x51": "Qualcomm", "0x53": "Samsung", "0x56": "Marvell", "0x61": "Apple",
	"0x69": "Intel", "0x6d": "Microsoft", "0xc0": "Ampere",
}

// armParts names common cores by implementer and "CPU part".
var armParts = map[string]string{
	"0x41/0xd03": "Cortex-A53", "0x41/0xd04": "Cortex-A35", "0x41/0xd05": "Cortex-A55",
	"0x41/0xd07": "Cortex-A57", "0x41/0xd08": "Cortex-A72", "0x41/0xd09": "Cortex-A73",
	"0x41/0xd0a": "Cortex-A75", "0x41/0xd0b": "Cortex-A76", "0x41/0xd0c": "Neoverse-N1",
	"0x41/0xd0d": "Cortex-A77", "0x41/0xd40": "Neoverse-V1", "0x41/0xd41": "Cortex-A78",
	"0x41/0xd44": "Cortex-X1", "0x41/0xd46": "Cortex-A510", "0x41/0xd47": "Cortex-A710",
	"0x41/0xd48": "Cortex-X2", "0x41/0xd49": "Neoverse-N2", "0x41/0xd4f": "Neoverse-V2",
	"0x41/0xd80": "Cortex-A520", "0x41/0xd81": "Cortex-A720", "0x41/0xd82": "Cortex-X4",
	"0x41/0xd8e": "Neoverse-N3", "0x43/0x0af": "ThunderX2", "0x48/0xd01": "Kunpeng-920",
	"0xc0/0xac3": "Ampere-1", "0xc0/0xac4": "Ampere-1a", "0x4e/0x004": "Carmel",
}

// cpuinfoProc is one processor block of /proc/cpuinfo, by field name.
type cpuinfoProc map[string]string

// parseCPUInfo splits /proc/cpuinfo into processor blocks. On arm64 the
// blocks hold only per-core fields; lines after the last block (such as
// "Hardware") are merged into every block.
func parseCPUInfo(s string) []cpuinfoProc {
	var procs []cpuinfoProc
	cur := cpuinfoProc{}
	flush := func() {
		if _, ok := cur["processor"]; ok {
			procs = append(procs, cur)
		}
		cur = cpuinfoProc{}
	}
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			if strings.TrimSpace(sc.Text()) == "" {
				flush()
			}
			continue
		}
		cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if _, ok := cur["processor"]; ok {
		flush()
	} else {
		for _, p := range procs {
			for k, v := range cur {
				if _, set := p[k]; !set {
					p[k] = v
				}
			}
		}
	}
	return procs
}

// cpuTopology places a logical processor: its socket and its core there.
type cpuTopology struct{ pkg, core string }

// ghzInName finds the frequency of a brand string as the official agent
// does ("… @ 2.40GHz"); its "s*" is the official pattern's own.
var ghzInName = lazyRE(`(?i)([\d.]+)s*GHZ`)

// buildCPUs groups logical processors into one CPU per socket. topo gives
// each processor's place by its "processor" number, when sysfs has it;
// otherwise "physical id" and "core id" are used.
func buildCPUs(procs []cpuinfoProc, topo map[string]cpuTopology) []CPU {
	type socket struct {
		cpu     CPU
		cores   map[string]bool
		threads int
	}
	sockets := map[string]*socket{}
	var order []string
	for _, p := range procs {
		t, ok := topo[p["processor"]]
		if !ok {
			t = cpuTopology{pkg: p["physical id"], core: p["core id"]}
			if t.core == "" {
				t.core = p["processor"]
			}
		}
		s := sockets[t.pkg]
		if s == nil {
			s = &socket{cpu: cpuFromProc(p), cores: map[string]bool{}}
			sockets[t.pkg] = s
			order = append(order, t.pkg)
		}
		s.cores[t.core] = true
		s.threads++
	}
	slices.SortFunc(order, func(a, b string) int { return cmp.Compare(atoi(a), atoi(b)) })
	cpus := make([]CPU, 0, len(order))
	for _, id := range order {
		s := sockets[id]
		s.cpu.Core, s.cpu.Thread = len(s.cores), s.threads
		cpus = append(cpus, s.cpu)
	}
	return cpus
}

// cpuFromProc describes a socket from one of its processor blocks.
func cpuFromProc(p cpuinfoProc) CPU {
	c := CPU{Name: clean(p["model name"])}
	if vendor, ok := p["vendor_id"]; ok {
		c.Manufacturer = cmp.Or(cpuVendors[vendor], clean(vendor))
		c.FamilyNumber = p["cpu family"]
		c.Model = p["model"]
		c.Stepping = atoi(p["stepping"])
		c.Arch = "i686"
		if slices.Contains(strings.Fields(p["flags"]), "lm") {
			c.Arch = "x86_64"
		}
	} else if impl, ok := p["CPU implementer"]; ok {
		impl = strings.ToLower(impl)
		c.Manufacturer = armImplementers[impl]
		if c.Name == "" {
			c.Name = strings.TrimSpace(c.Manufacturer + " " + armParts[impl+"/"+strings.ToLower(p["CPU part"])])
		}
		c.FamilyNumber = p["CPU architecture"]
		c.Stepping = atoi(p["CPU revision"])
		c.Arch = "aarch64"
		if c.FamilyNumber != "" && c.FamilyNumber != "8" {
			c.Arch = "armv" + c.FamilyNumber + "l"
		}
	}
	// The speed is the one the name states, as the official agent sends
	// it, and none without: GLPI files processors under models of name,
	// maker and speed within 10 MHz, and the "cpu MHz" of a processor
	// whose frequency scales changes from one inventory to the next.
	if m := ghzInName.FindStringSubmatch(c.Name); m != nil {
		ghz, _ := strconv.ParseFloat(m[1], 64)
		c.Speed = int(math.Round(ghz * 1000))
	}
	return c
}
