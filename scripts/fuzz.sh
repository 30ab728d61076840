#!/usr/bin/env bash
# Runs every Go fuzz target of the project for a bounded time each
# (default 10s): the network decoders above all. Usage: scripts/fuzz.sh [TIME]
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-10s}
n=0
while IFS=: read -r file name; do
	pkg=./$(dirname "$file")
	printf 'fuzz %-28s %s (%s)\n' "$name" "$pkg" "$t"
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" "$pkg" >/tmp/fuzz.$$.log 2>&1 || { cat /tmp/fuzz.$$.log; rm -f /tmp/fuzz.$$.log; exit 1; }
	n=$((n + 1))
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's#^\./##; s#:func #:#' | sort)
rm -f /tmp/fuzz.$$.log
echo "fuzz: $n targets, $t each, no failure"
