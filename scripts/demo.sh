#!/usr/bin/env bash
# make demo: the product end to end on this machine. Starts glpi-enrolld on
# a temporary SQLite data dir, creates a registration key, runs the agent
# once with it (it enrolls, then sends this machine's inventory), shows the
# enrolled device and its stored inventory, then stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=
for tool in python3 curl; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	echo "make demo needs python3 and curl; missing:$missing (Debian: apt-get install$missing)" >&2
	exit 1
fi
tmp=$(mktemp -d)
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# enrolld GROUP VERB [args]: the admin CLI on the demo's data dir.
enrolld() {
	local words=("$1")
	shift
	case "${words[0]}" in key | device) words+=("$1"); shift ;; esac
	bin/glpi-enrolld "${words[@]}" --data-dir "$tmp/enrolld" "$@"
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"

say "Starting glpi-enrolld on $url (SQLite in a temporary data dir)"
bin/glpi-enrolld serve --listen "127.0.0.1:$port" --data-dir "$tmp/enrolld" >"$tmp/enrolld.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
	curl -fsS "$url/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsS "$url/readyz" >/dev/null || { cat "$tmp/enrolld.log"; exit 1; }

say "Creating a registration key (glpi-enrolld key create --tag demo --max-uses 10 --expires 1d)"
enrolld key create --tag demo --max-uses 10 --expires 1d --description "make demo" --output "$tmp/registration.key"
enrolld key list

say "Running the agent once: it enrolls with the key, then sends this machine's inventory"
bin/glpi-agentd --state-dir "$tmp/agent" inventory --server "$url" --key-file "$tmp/registration.key"

say "The agent's view (glpi-agentd status)"
bin/glpi-agentd --state-dir "$tmp/agent" status

say "The enrolled device (glpi-enrolld device list)"
enrolld device list
device=$(enrolld device list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

say "Its stored inventory (glpi-enrolld device show $device)"
enrolld device show "$device"

say "Audit trail (glpi-enrolld audit)"
enrolld audit
