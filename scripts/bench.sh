#!/usr/bin/env bash
# make bench: measured performance, printed side by side in one run.
#   - the agent's inventory end to end (wall time, peak RSS), and the
#     official agent's predecessor on the same machine when installed;
#   - the idle daemon's memory after a run;
#   - glpi-enrolld: enrollments/s and inventories/s with p50/p99, on SQLite
#     and, when GLPI_ENROLLD_TEST_DATABASE is set, PostgreSQL;
#   - bytes on the wire per inventory: full, partial, unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}
BENCHTIME=${BENCHTIME:-3s}
tmp=$(mktemp -d)
daemon=
trap '[ -n "$daemon" ] && kill $daemon 2>/dev/null; rm -rf "$tmp"' EXIT

go build -o "$tmp/benchcmd" ./scripts/benchcmd
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(go env GOVERSION)"
echo
echo "== agent: one inventory, end to end (glpi-agentd inventory --local)"
"$tmp/benchcmd" -n "$RUNS" -name "glpi-agentd" -json -- \
	bin/glpi-agentd --state-dir "$tmp/state" inventory --local "$tmp/inv.json" >"$tmp/agent.json"
# Where database servers run, the clients the database collector runs (psql,
# mysql) and the servers' answers take more than the agent's own work: the
# agent is measured again without them.
nodb_json=
if grep -q '"databases_services"' "$tmp/inv.json"; then
	printf 'no_category = ["database"]\n' >"$tmp/nodb.toml"
	"$tmp/benchcmd" -n "$RUNS" -name "glpi-agentd, no database" -json -- \
		bin/glpi-agentd --config "$tmp/nodb.toml" --state-dir "$tmp/state-nodb" inventory --local "$tmp/inv-nodb.json" >"$tmp/nodb.json"
	nodb_json="$tmp/nodb.json"
fi
fi_json=
if command -v fusioninventory-inventory >/dev/null; then
	"$tmp/benchcmd" -n 5 -warmup 1 -name "fusioninventory-inventory" -json -- fusioninventory-inventory \
		>"$tmp/fi.json" 2>/dev/null && fi_json="$tmp/fi.json"
fi
python3 - "$tmp/agent.json" "$fi_json" "$nodb_json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
row = lambda r: f"{r['name']:<28} wall {r['wall_ms_median']:8.1f} ms (min {r['wall_ms_min']:.1f})   peak RSS {r['peak_rss_mb_median']:5.1f} MB   {r['runs']} runs"
print(row(a))
if sys.argv[3]:
    # The official agent's predecessor has no database inventory: the
    # ratio compares the same collectors.
    a = json.load(open(sys.argv[3]))
    print(row(a) + "   (database servers here: psql and mysql not run)")
if sys.argv[2]:
    f = json.load(open(sys.argv[2]))
    print(row(f))
    print(f"ratio: {f['wall_ms_median']/a['wall_ms_median']:.1f}x faster, {f['peak_rss_mb_median']/a['peak_rss_mb_median']:.1f}x less memory")
PY

echo
echo "== agent: idle daemon (after its first run, local listener on)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
GLPI_AGENTD_LOCAL="$tmp/idle.json" GLPI_AGENTD_DELAYTIME=1 GLPI_AGENTD_HTTPD_IP=127.0.0.1 GLPI_AGENTD_HTTPD_PORT="$port" \
	bin/glpi-agentd --state-dir "$tmp/idle" run 2>"$tmp/idle.log" &
daemon=$!
for _ in $(seq 100); do [ -s "$tmp/idle.json" ] && break; sleep 0.1; done
sleep 3
t0=$(awk '{print $14+$15}' /proc/$daemon/stat)
sleep 5
t1=$(awk '{print $14+$15}' /proc/$daemon/stat)
echo "idle daemon RSS $(awk '/VmRSS/{printf "%.1f MB", $2/1024}' /proc/$daemon/status), CPU over 5 s idle: $(( (t1 - t0) * 10 )) ms"
kill $daemon; wait $daemon 2>/dev/null || true; daemon=

echo
echo "== glpi-enrolld on loopback (agents on the same 2 cores)"
echo "   *At1000/*At300: open loop, requests arriving at the target rate; others: closed loop at saturation"
{
	go test -run '^$' -bench 'At(1000|300)$' -benchtime 3000x ./enroll/server
	go test -run '^$' -bench 'Benchmark(Enroll|Inventory|CheckIn)(Postgres)?$' -benchtime "$BENCHTIME" ./enroll/server
} 2>&1 |
	awk '/^(--- FAIL|FAIL|panic)|_test.go:[0-9]+:/ { print; failed=1 } END { exit failed } /^Benchmark/ { name=$1; sub(/-[0-9]+$/, "", name); for (i=2;i<=NF;i++) { if ($i=="req/s") rps=$(i-1); if ($i=="p99-ms") p99=$(i-1); if ($i=="p50-ms") p50=$(i-1) } printf "%-30s %8.0f req/s   p50 %6.1f ms   p99 %6.1f ms\n", name, rps, p50, p99 }'
[ -n "${GLPI_ENROLLD_TEST_DATABASE:-}" ] || echo "(PostgreSQL rows: set GLPI_ENROLLD_TEST_DATABASE)"

echo
echo "== glpi-enrolld web console: server time per page with 20,000 devices (handler, no network)"
go test -run '^$' -bench 'ConsolePages(Postgres)?$' -benchtime 30x ./enroll/server/console 2>&1 |
	awk '/^Benchmark/ { name=$1; sub(/-[0-9]+$/, "", name); sub(/^BenchmarkConsolePages/, "", name); db="sqlite"; if (name ~ /^Postgres/) { db="postgres"; sub(/^Postgres/, "", name) } sub(/^\//, "", name); for (i=2;i<=NF;i++) { if ($i=="ms/page") ms=$(i-1); if ($i=="p95-ms") p95=$(i-1) } printf "%-9s %-20s %7.1f ms/page   p95 %6.1f ms\n", db, name, ms, p95 }'
[ -n "${GLPI_ENROLLD_TEST_DATABASE:-}" ] || echo "(PostgreSQL rows: set GLPI_ENROLLD_TEST_DATABASE)"

echo
echo "== bytes on the wire per inventory of this machine (zlib; JSON in brackets)"
go test -run '^$' -bench WireBytes -benchtime 3x ./agent 2>&1 |
	awk '/^BenchmarkWireBytes/ { for (i=2;i<=NF;i++) v[$i]=$(i-1); printf "full %d B (%d)   partial, software changed %d B (%d)   unchanged %d B (%d)\n", v["full-B"], v["full-json-B"], v["partial-B"], v["partial-json-B"], v["unchanged-B"], v["unchanged-json-B"] }'

echo
echo "== Go micro-benchmarks"
go test -run '^$' -bench 'Dpkg|Decode|Parse|Collect' -benchtime 200ms -benchmem ./collectors ./glpi ./enroll/server 2>&1 | grep -E '^Benchmark' || true
