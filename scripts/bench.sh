#!/usr/bin/env bash
# Measured performance, printed side by side: the agent's end-to-end
# inventory (wall time and peak RSS, medians), the official agent's
# predecessor on the same machine when installed, and the Go benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/benchcmd" ./scripts/benchcmd
echo "== end to end, this machine: $(nproc) cores, $(uname -sr), $(go env GOVERSION)"
"$tmp/benchcmd" -n "$RUNS" -name "glpi-agentd inventory" -json -- \
	bin/glpi-agentd --state-dir "$tmp/state" inventory --local "$tmp/inv.json" >"$tmp/agent.json"
agent_line=$(cat "$tmp/agent.json")
python3 - "$tmp/agent.json" <<'PY'
import json,sys
r=json.load(open(sys.argv[1]))
print(f"glpi-agentd inventory --local   wall {r['wall_ms_median']:7.1f} ms (min {r['wall_ms_min']:.1f})   peak RSS {r['peak_rss_mb_median']:5.1f} MB   ({r['runs']} runs)")
PY
if command -v fusioninventory-inventory >/dev/null; then
	"$tmp/benchcmd" -n 5 -warmup 1 -name "fusioninventory-inventory" -json -- \
		fusioninventory-inventory >"$tmp/fi.json" 2>/dev/null || true
	if [ -s "$tmp/fi.json" ]; then
		python3 - "$tmp/agent.json" "$tmp/fi.json" <<'PY'
import json,sys
a=json.load(open(sys.argv[1])); f=json.load(open(sys.argv[2]))
print(f"fusioninventory-inventory       wall {f['wall_ms_median']:7.1f} ms (min {f['wall_ms_min']:.1f})   peak RSS {f['peak_rss_mb_median']:5.1f} MB   ({f['runs']} runs)")
print(f"ratio (Perl agent / glpi-agentd): {f['wall_ms_median']/a['wall_ms_median']:.1f}x faster, {f['peak_rss_mb_median']/a['peak_rss_mb_median']:.1f}x less memory")
PY
	fi
fi
if [ -x scripts/bench-enrolld.sh ]; then scripts/bench-enrolld.sh; fi

echo "== Go benchmarks"
go test -run '^$' -bench . -benchtime "${BENCHTIME:-200ms}" -benchmem ./... 2>/dev/null | grep -E '^(Benchmark|ok|pkg)' || true
