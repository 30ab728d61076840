#!/bin/sh
# version.sh prints the version of this tree as the binaries report it and
# GLPI shows it ("glpi-agentd_v<version>"): the tag's version at a release
# tag (v1.2.3 → 1.2.3), the tag's plus the commits since as build metadata
# after one (1.2.3+4.gabc1234), and 0.0.0-dev+<commit> without a tag; a tree
# with uncommitted changes adds ".dirty".
set -eu
cd "$(dirname "$0")/.."
if ! git rev-parse --git-dir >/dev/null 2>&1; then
	echo 0.0.0-dev
	exit 0
fi
dirty=
git diff --quiet HEAD -- 2>/dev/null || dirty=.dirty
if d=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
	v=${d#v}
	case "$v" in
	*-*-g*) base=${v%-*-g*}; rest=${v#"$base"-}; n=${rest%%-*}; v="$base+$n.${rest#*-}$dirty" ;;
	*) [ -n "$dirty" ] && v="$v+dirty" ;;
	esac
else
	v="0.0.0-dev+$(git rev-parse --short HEAD)$dirty"
fi
echo "$v"
