#!/usr/bin/env bash
# msi-smoke.sh (make msi-smoke): installs the x64 MSI under Wine and checks
# that it works end to end. It builds a base MSI, starts glpi-enrolld on
# 127.0.0.1 with a fresh registration key, installs the MSI quietly into a
# new Wine prefix with SERVER, REGISTRATIONKEY and TAG, then checks the
# registry values, that the service runs, that the device enrolls and sends
# an inventory, that a newer build installed without properties keeps the
# settings and the device, and that uninstalling removes the service and
# the program.
#
# Wine is not Windows: this proves the package, not the collectors. `make
# test` runs it (packaging's TestMSIUnderWine). See docs/packaging.md.
#
# Environment:
#   MSI_SMOKE_INSTALL=1  apt-get install what it needs first (root)
#   MSI_SMOKE_TIMEOUT    seconds to wait for enrollment and inventory (60)
#   MSI_SMOKE_KEEP=1     keep the work directory (its logs hold the key)
#   GO                   go command (go)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GO=${GO:-go}
timeout=${MSI_SMOKE_TIMEOUT:-60}

if [ "${MSI_SMOKE_INSTALL:-}" = 1 ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		wine64 gcc-mingw-w64-x86-64-win32 wixl msitools >/dev/null
fi

# Debian's wine64 package installs its programs in /usr/lib/wine only.
export PATH=$PATH:/usr/lib/wine
missing=
for tool in wine64 wineserver x86_64-w64-mingw32-gcc wixl msibuild msiinfo python3 curl; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	echo "msi-smoke: missing:$missing (MSI_SMOKE_INSTALL=1 installs wine64, gcc-mingw-w64-x86-64-win32, wixl and msitools)" >&2
	exit 2
fi

tmp=$(mktemp -d)
export WINEPREFIX=$tmp/prefix WINEDEBUG=-all WINEARCH=win64
# No Mono or Gecko installer prompts when the prefix is made.
export WINEDLLOVERRIDES="mscoree=;mshtml="
server_pid=
key=
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [ -d "$WINEPREFIX" ]; then wineserver -k 2>/dev/null || true; fi
	if [ "${MSI_SMOKE_KEEP:-}" = 1 ]; then
		echo "work directory kept: $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '== %s\n' "$*"; }
# redact: the key must not reach the terminal, and Wine's installer log
# prints every property in clear (it ignores MsiHiddenProperties).
redact() {
	if [ -n "$key" ]; then
		awk -v k="$key" '{ while ((i = index($0, k)) > 0) $0 = substr($0, 1, i - 1) "<key>" substr($0, i + length(k)); print }'
	else
		cat
	fi
}
results=()
failed=0
check() { # check NAME OK DETAIL
	if [ "$2" = 1 ]; then
		results+=("PASS  $1")
	else
		results+=("FAIL  $1: $3")
		failed=1
	fi
}
# winpath FILE: FILE as Wine sees it, on drive Z: (the root).
winpath() { printf 'Z:%s' "${1//\//\\}"; }
# reg_value NAME: a value under HKLM\SOFTWARE\glpi-agentd, or nothing.
reg_value() {
	local out
	out=$(wine64 reg query 'HKLM\SOFTWARE\glpi-agentd' /v "$1" 2>/dev/null | tr -d '\r') || true
	awk -v n="$1" '$1 == n && $2 == "REG_SZ" { sub(/^[ \t]*[^ \t]+[ \t]+REG_SZ[ \t]*/, ""); print; exit }' <<<"$out"
}
# service_state: the service's state (RUNNING, STOPPED, ...) or "absent".
service_state() {
	local out
	out=$(wine64 sc query glpi-agentd 2>/dev/null | tr -d '\r') || true
	awk '$1 == "STATE" { print $4; found = 1 } END { if (!found) print "absent" }' <<<"$out"
}
# wait_running: the service's state once RUNNING, or after 10 s.
wait_running() {
	local state
	for _ in $(seq 20); do
		state=$(service_state)
		[ "$state" = RUNNING ] && break
		sleep 0.5
	done
	echo "$state"
}
enrolld() { "$tmp/glpi-enrolld" "$@" --data-dir "$tmp/enrolld"; }

say "Building glpi-enrolld and the base MSI"
CGO_ENABLED=0 "$GO" build -trimpath -o "$tmp/glpi-enrolld" ./cmd/glpi-enrolld
FORMATS=msi GO=$GO scripts/package.sh "$tmp/dist" >/dev/null
msi=$(ls "$tmp"/dist/glpi-agentd-*-x64.msi)
basename "$msi"

say "Making a Wine prefix with the bcryptprimitives.dll shim"
x86_64-w64-mingw32-gcc -shared -O2 -o "$tmp/bcryptprimitives.dll" \
	packaging/windows/wine/bcryptprimitives.c -ladvapi32
wine64 wineboot --init >/dev/null 2>&1
wineserver -w
cp "$tmp/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
# Wine stops its services when its last program exits: keep one running
# (wineserver -k ends it with the rest).
wine64 ping -n $((timeout + 600)) 127.0.0.1 >/dev/null 2>&1 &
progfile="$WINEPREFIX/drive_c/Program Files/glpi-agentd/glpi-agentd.exe"

say "Starting glpi-enrolld and creating a registration key"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
"$tmp/glpi-enrolld" serve --listen "127.0.0.1:$port" --data-dir "$tmp/enrolld" >"$tmp/enrolld.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
	curl -fsS "$url/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsS "$url/readyz" >/dev/null || { cat "$tmp/enrolld.log"; exit 1; }
enrolld key create --tag smoke --max-uses 1 --expires 1h --description "msi-smoke" --output "$tmp/key" >/dev/null
key=$(tr -d ' \t\r\n' <"$tmp/key")
echo "$url, key in $tmp/key"

# NO_CATEGORY, TIMEOUT and ADD_FIREWALL_EXCEPTION are the official agent's
# MSI properties, which the package takes too.
say "Installing: msiexec /i $(basename "$msi") /qn SERVER=$url REGISTRATIONKEY=<key> TAG=smoke RUNNOW=1 NO_CATEGORY=printer TIMEOUT=60 ADD_FIREWALL_EXCEPTION=1"
rc=0
wine64 msiexec /i "$(winpath "$msi")" /qn SERVER="$url" REGISTRATIONKEY="$key" TAG=smoke RUNNOW=1 NO_CATEGORY=printer TIMEOUT=60 ADD_FIREWALL_EXCEPTION=1 \
	/l*v "$(winpath "$tmp/install.log")" || rc=$?
check "msiexec /i exits 0" "$([ "$rc" = 0 ] && echo 1)" "exit status $rc"
installed=0
[ -f "$progfile" ] && installed=1
check "glpi-agentd.exe installed in Program Files" "$installed" "no $progfile"

if [ "$rc" = 0 ] && [ "$installed" = 1 ]; then
	got_server=$(reg_value SERVER)
	got_tag=$(reg_value TAG)
	got_key=$(reg_value REGISTRATIONKEY)
	check "registry SERVER = $url" "$([ "$got_server" = "$url" ] && echo 1)" "got \"$got_server\""
	check "registry TAG = smoke" "$([ "$got_tag" = smoke ] && echo 1)" "got \"$got_tag\""
	got_nocat=$(reg_value NO_CATEGORY)
	check "registry NO_CATEGORY = printer" "$([ "$got_nocat" = printer ] && echo 1)" "got \"$got_nocat\""
	check "registry REGISTRATIONKEY = the key" "$([ "$got_key" = "$key" ] && echo 1)" "got a different value (${#got_key} characters)"

	state=$(wait_running)
	check "service glpi-agentd RUNNING" "$([ "$state" = RUNNING ] && echo 1)" "state $state"

	say "Waiting up to ${timeout}s for the device to enroll and send its inventory"
	device='' inventory=
	deadline=$((SECONDS + timeout))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if [ -z "$device" ]; then
			device=$(enrolld device list --json | python3 -c '
import json, sys
devs = [d for d in json.load(sys.stdin) if d["tag"] == "smoke"]
print(devs[0]["id"] if devs else "")') || true
		fi
		if [ -n "$device" ]; then
			inventory=$(enrolld device show "$device" --json | python3 -c '
import json, sys
inv = json.load(sys.stdin).get("inventory")
print("%d bytes, %d sections" % (inv["size"], len(inv["sections"])) if inv else "")') || true
			[ -n "$inventory" ] && break
		fi
		sleep 2
	done
	check "device enrolled with tag smoke" "$([ -n "$device" ] && echo 1)" "no device after ${timeout}s"
	check "inventory received${inventory:+ ($inventory)}" "$([ -n "$inventory" ] && echo 1)" "none after ${timeout}s"
	[ -z "$device" ] || enrolld device show "$device" | sed -n '1,/^Inventory/p'

	# A newer build without properties must keep the machine's settings
	# (the package reads them back from the registry) and its device.
	say "Upgrading: msiexec /i <a newer build> /qn, no properties"
	FORMATS=msi GO=$GO scripts/package.sh "$tmp/dist2" >/dev/null
	msi=$(ls "$tmp"/dist2/glpi-agentd-*-x64.msi)
	rc=0
	wine64 msiexec /i "$(winpath "$msi")" /qn /l*v "$(winpath "$tmp/upgrade.log")" || rc=$?
	check "upgrade: msiexec /i exits 0" "$([ "$rc" = 0 ] && echo 1)" "exit status $rc"
	got_server=$(reg_value SERVER)
	got_tag=$(reg_value TAG)
	got_key=$(reg_value REGISTRATIONKEY)
	got_runnow=$(reg_value RUNNOW)
	check "upgrade: SERVER and TAG kept" "$([ "$got_server" = "$url" ] && [ "$got_tag" = smoke ] && echo 1)" \
		"SERVER \"$got_server\", TAG \"$got_tag\""
	got_nocat=$(reg_value NO_CATEGORY)
	check "upgrade: NO_CATEGORY kept" "$([ "$got_nocat" = printer ] && echo 1)" "NO_CATEGORY \"$got_nocat\""
	check "upgrade: REGISTRATIONKEY kept" "$([ "$got_key" = "$key" ] && echo 1)" "got a different value (${#got_key} characters)"
	check "upgrade: RUNNOW not carried over" "$([ -z "$got_runnow" ] && echo 1)" "RUNNOW \"$got_runnow\""
	state=$(wait_running)
	check "upgrade: service RUNNING again" "$([ "$state" = RUNNING ] && echo 1)" "state $state"
	devices=$(enrolld device list --json | python3 -c '
import json, sys
print(" ".join(d["id"] for d in json.load(sys.stdin) if d["tag"] == "smoke"))') || true
	check "upgrade: still one device, the same" "$([ -n "$device" ] && [ "$devices" = "$device" ] && echo 1)" \
		"devices \"$devices\", before \"$device\""
fi

say "Uninstalling: msiexec /x $(basename "$msi") /qn"
rc=0
wine64 msiexec /x "$(winpath "$msi")" /qn /l*v "$(winpath "$tmp/uninstall.log")" || rc=$?
check "msiexec /x exits 0" "$([ "$rc" = 0 ] && echo 1)" "exit status $rc"
state=$(service_state)
check "service glpi-agentd removed" "$([ "$state" = absent ] && echo 1)" "state $state"
check "glpi-agentd.exe removed" "$([ ! -e "$progfile" ] && echo 1)" "$progfile still there"
got_server=$(reg_value SERVER)
check "registry values removed" "$([ -z "$got_server" ] && echo 1)" "SERVER still \"$got_server\""

if [ "$failed" = 1 ]; then
	# The agent's own account of its last run, from its state directory
	# (under Wine, services see %ProgramData% as C:\users\Public).
	run=$(find "$WINEPREFIX/drive_c" -path '*/glpi-agentd/run.json' 2>/dev/null | head -n 1)
	if [ -n "$run" ]; then
		say "The agent's last run (${run#"$WINEPREFIX/"})"
		redact <"$run"
	fi
	for log in install upgrade uninstall; do
		[ -f "$tmp/$log.log" ] || continue
		say "Failed actions in the $log log"
		# Wine writes the log in ASCII; drop the NULs should it be UTF-16.
		tr -d '\000\r' <"$tmp/$log.log" | grep -i -E 'return value 3|error|fail' | tail -n 20 | redact || true
	done
	say "glpi-enrolld log"
	tail -n 20 "$tmp/enrolld.log" | redact
fi

echo
say "msi-smoke summary"
printf '%s\n' "${results[@]}"
if [ "$failed" = 1 ]; then
	echo "msi-smoke: FAIL"
	exit 1
fi
echo "msi-smoke: PASS"
