package collectors

import (
	"context"
	"fmt"
	"path"
	"strings"
)

func init() { Register("cpu", "cpus", true, collectCPUs) }

func collectCPUs(ctx context.Context, env *Env) (any, error) {
	b, err := env.ReadFile("/proc/cpuinfo")
	if err != nil {
		return nil, fmt.Errorf("read cpuinfo: %w", err)
	}
	procs := parseCPUInfo(string(b))
	topo := map[string]cpuTopology{}
	for _, dir := range env.Glob("/sys/devices/system/cpu/cpu[0-9]*/topology") {
		pkg := env.ReadString(dir + "/physical_package_id")
		if pkg == "" {
			continue
		}
		n := strings.TrimPrefix(path.Base(path.Dir(dir)), "cpu")
		topo[n] = cpuTopology{pkg: pkg, core: env.ReadString(dir + "/core_id")}
	}
	return buildCPUs(procs, topo), nil
}
