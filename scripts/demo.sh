#!/usr/bin/env bash
# make demo: the product end to end on this machine. Starts glpi-enrolld on
# a temporary SQLite data dir, creates a registration key, runs the agent
# once with it, shows the enrolled device and its inventory, then stops the
# server. Without glpi-enrolld built, it shows a local inventory instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Local inventory of this machine (glpi-agentd inventory --local)"
bin/glpi-agentd --state-dir "$tmp/agent" inventory --local "$tmp/inventory.json"
python3 - "$tmp/inventory.json" <<'PY'
import json, sys
inv = json.load(open(sys.argv[1]))
c = inv["content"]
hw, os_ = c.get("hardware", {}), c.get("operatingsystem", {})
print(f"deviceid {inv['deviceid']}: {hw.get('name')} ({hw.get('vmsystem')}), {os_.get('full_name')}, "
      f"{hw.get('memory')} MB RAM, {len(c.get('softwares', []))} packages, {len(c.get('networks', []))} network entries")
PY
