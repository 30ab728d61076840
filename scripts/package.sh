#!/bin/sh
# package.sh builds the glpi-agentd deb, rpm and x64 MSI, and the
# glpi-enrolld deb and rpm, into OUT (default dist/), as `make package` does.
# Only the agent's packages embed settings.
#
# Environment:
#   VERSION                version (default: scripts/version.sh)
#   SERVER                 server URL to embed (optional)
#   REGISTRATION_KEY_FILE  file holding the registration key to embed (optional)
#   TAG                    inventory tag to embed (optional)
#   FORMATS                what to build (default "deb rpm msi")
#   ARCH                   Linux architecture (default amd64; the MSI is x64)
#   SIGN_CERT, SIGN_KEY    Authenticode certificate and key (PEM): sign the
#                          exe and the MSI with osslsigncode
#   SOURCE_DATE_EPOCH      time stamped on packaged files (default: last commit)
#   USB_IDS                usb.ids the MSI ships beside the agent (default:
#                          the usb.ids or hwdata package's)
#
# Without SERVER and REGISTRATION_KEY_FILE it builds base packages, which
# take their settings at installation time. An embedded key is readable by
# whoever holds the package: see docs/packaging.md.
#
# The inputs are checked before anything is built (packaging/checkinputs):
# a key file must hold a key or a bundle, a key needs a server, never a
# remote plain http:// one, and never a TAG (the key's tag wins). Packages
# that embed settings are named apart from base ones: their file names end
# in _key-<key id> (or _server-<host>, _tag-<tag> without a key) before the
# extension. Everything is built in a temporary directory and moved into
# OUT only once every format has been built, replacing the files of the
# same names: a failed run leaves OUT as it was.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-${OUT:-dist}}
GO=${GO:-go}
ARCH=${ARCH:-amd64}
FORMATS=${FORMATS:-deb rpm msi}
SERVER=${SERVER:-}
TAG=${TAG:-}
REGISTRATION_KEY_FILE=${REGISTRATION_KEY_FILE:-}

die() { echo "package.sh: $*" >&2; exit 1; }

cd "$root"
mkdir -p "$out"
out=$(cd "$out" && pwd)

VERSION=${VERSION:-$(scripts/version.sh)}
# Package version: no leading v; git's "-N-gHASH" suffix becomes "+N.gHASH",
# which sorts after the tag in dpkg and rpm; a bare hash becomes 0.0.0+HASH.
pkgver=${VERSION#v}
case "$pkgver" in
[0-9]*) pkgver=$(printf '%s' "$pkgver" | sed -e 's/-/+/' -e 's/-/./g') ;;
*) pkgver=0.0.0+$(printf '%s' "$pkgver" | tr - .) ;;
esac
# MSI ProductVersion: the leading numbers only (major.minor.build).
msiver=$(printf '%s' "$pkgver" | sed -n 's/^\([0-9]*\)\.\([0-9]*\)\.\([0-9]*\).*/\1.\2.\3/p')
msiver=${msiver:-0.0.0}

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 315532800)
fi
export SOURCE_DATE_EPOCH

# check_value NAME VALUE: VALUE goes into TOML and XML strings verbatim.
check_value() {
	case "$2" in
	*[\"\\\<\>\&]* | *'
'*) die "$1 must not contain quotes, backslashes, <, > or &" ;;
	esac
}
check_value SERVER "$SERVER"
check_value TAG "$TAG"
case "$SERVER" in "" | http://* | https://*) ;; *) die "SERVER must be an http:// or https:// URL" ;; esac
key=
if [ -n "$REGISTRATION_KEY_FILE" ]; then
	[ -r "$REGISTRATION_KEY_FILE" ] || die "cannot read REGISTRATION_KEY_FILE $REGISTRATION_KEY_FILE"
	key=$(tr -d ' \t\r\n' <"$REGISTRATION_KEY_FILE")
	[ -n "$key" ] || die "REGISTRATION_KEY_FILE $REGISTRATION_KEY_FILE is empty"
	check_value "the registration key" "$key"
fi
# A package that could never enroll is refused here; SERVER becomes the
# bundle's when the key file holds a bundle and SERVER is empty.
checked=$(SERVER=$SERVER TAG=$TAG REGISTRATION_KEY_FILE=$REGISTRATION_KEY_FILE \
	CGO_ENABLED=0 "$GO" run ./packaging/checkinputs) || exit 1
SERVER=$(printf '%s\n' "$checked" | sed -n 1p)
label=$(printf '%s\n' "$checked" | sed -n 2p)
check_value SERVER "$SERVER"
suffix=${label:+_$label}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM
umask 077
mkdir "$stage/out"

ldflags="-s -w -buildid= -X github.com/glpi-agentd/glpi-agentd/agent.Version=$VERSION"
build() { # build GOOS GOARCH OUTPUT [COMMAND]
	CGO_ENABLED=0 GOOS=$1 GOARCH=$2 "$GO" build -trimpath -ldflags "$ldflags" -o "$3" "./cmd/${4:-glpi-agentd}"
}

sign() { # sign FILE
	[ -n "${SIGN_CERT:-}" ] && [ -n "${SIGN_KEY:-}" ] || return 0
	osslsigncode sign -certs "$SIGN_CERT" -key "$SIGN_KEY" -n "GLPI Agent (glpi-agentd)" \
		-h sha256 -in "$1" -out "$1.signed" >/dev/null
	mv -f "$1.signed" "$1"
}

linux_packages() {
	build linux "$ARCH" "$stage/glpi-agentd"
	# agent.toml is the admin's: the same in every build, so that no
	# upgrade between base and keyed packages ever changes it (a changed
	# conffile the admin edited stops dpkg at a prompt). Built-in settings
	# go in a drop-in the package owns, replaced by each upgrade.
	cp packaging/linux/agent.toml "$stage/agent.toml"
	cp packaging/nfpm.yaml "$stage/nfpm.yaml"
	if [ -n "$SERVER$TAG$key" ]; then
		{
			echo "# Set when this package was built: replaced by every upgrade of the"
			echo "# package, removed with it. Do not edit: set a key in a later file of"
			echo "# this directory (90-local.toml) to override it. See docs/packaging.md."
			[ -z "$SERVER" ] || printf 'server = "%s"\n' "$SERVER"
			[ -z "$TAG" ] || printf 'tag = "%s"\n' "$TAG"
			[ -z "$key" ] || echo 'registration_key_file = "/etc/glpi-agentd/package.key"'
		} >"$stage/10-package.toml"
		cat >>"$stage/nfpm.yaml" <<-'YAML'
		  - src: ${STAGE}/10-package.toml
		    expand: true
		    dst: /etc/glpi-agentd/agent.d/10-package.toml
		    file_info: {mode: 0600, owner: root, group: root}
		YAML
	fi
	if [ -n "$key" ]; then
		printf '%s\n' "$key" >"$stage/package.key"
		cat >>"$stage/nfpm.yaml" <<-'YAML'
		  - src: ${STAGE}/package.key
		    expand: true
		    dst: /etc/glpi-agentd/package.key
		    file_info: {mode: 0600, owner: root, group: root}
		YAML
	fi
	build linux "$ARCH" "$stage/glpi-enrolld" glpi-enrolld
	for f in $FORMATS; do
		case "$f" in deb | rpm) ;; *) continue ;; esac
		for def in "$stage/nfpm.yaml" packaging/enrolld/nfpm.yaml; do
			mkdir -p "$stage/nfpm"
			ARCH=$ARCH VERSION=$pkgver STAGE=$stage \
				"$GO" tool -modfile=packaging/tools/go.mod nfpm package -f "$def" -p "$f" -t "$stage/nfpm/" >"$stage/nfpm.log" ||
				{ cat "$stage/nfpm.log" >&2; die "nfpm $f ($def) failed"; }
			for p in "$stage"/nfpm/*; do
				# Only the agent's packages embed settings.
				case "$def" in "$stage"/*) name=${p##*/}; name=${name%.*}$suffix.${p##*.} ;; *) name=${p##*/} ;; esac
				mv "$p" "$stage/out/$name"
			done
		done
	done
}

msi_package() {
	mkdir "$stage/msi"
	build windows amd64 "$stage/msi/glpi-agentd.exe"
	sign "$stage/msi/glpi-agentd.exe"
	cp packaging/windows/glpi-agentd.wxs "$stage/msi/"
	# Windows has no usb.ids: the MSI installs one beside the agent.
	usbids=${USB_IDS:-}
	for f in /usr/share/misc/usb.ids /usr/share/hwdata/usb.ids; do
		[ -n "$usbids" ] || [ ! -s "$f" ] || usbids=$f
	done
	[ -n "$usbids" ] && [ -s "$usbids" ] || die "no usb.ids for the MSI: install the usb.ids package or set USB_IDS"
	cp "$usbids" "$stage/msi/usb.ids"
	{
		echo '<?xml version="1.0" encoding="utf-8"?>'
		echo '<Include>'
		[ -z "$SERVER" ] || printf '  <Property Id="DEFAULT_SERVER" Value="%s"/>\n' "$SERVER"
		[ -z "$TAG" ] || printf '  <Property Id="DEFAULT_TAG" Value="%s"/>\n' "$TAG"
		[ -z "$key" ] || printf '  <Property Id="DEFAULT_REGISTRATIONKEY" Value="%s"/>\n' "$key"
		echo '</Include>'
	} >"$stage/msi/embedded.wxi"
	msi=$stage/out/glpi-agentd-$pkgver-x64$suffix.msi
	(cd "$stage/msi" && wixl -a x64 -D Version="$msiver" -o "$msi" glpi-agentd.wxs) 2>"$stage/wixl.log" ||
		{ cat "$stage/wixl.log" >&2; die "wixl failed"; }
	# wixl ignores Property/@Secure: public properties must be secure to
	# reach the server side of a per-machine install. They are the values
	# the package writes under SOFTWARE\glpi-agentd (names in capitals).
	secure=$(sed -n 's/.*<RegistryValue Name="\([A-Z_]*\)" Type="string" Value="\[\1\]".*/\1/p' packaging/windows/glpi-agentd.wxs | tr '\n' ';')
	case $secure in *SERVER*REGISTRATIONKEY*) ;; *) die "no public properties found in glpi-agentd.wxs" ;; esac
	msibuild "$msi" -q "UPDATE \`Property\` SET \`Value\`='${secure}WIX_DOWNGRADE_DETECTED;WIX_UPGRADE_DETECTED' WHERE \`Property\`='SecureCustomProperties'"
	# Nor MajorUpgrade/@AllowSameVersionUpgrades: make the upgrade row
	# include its maximum (migrate features 1 + VersionMaxInclusive 512), so
	# that builds of one version (dev builds are all 0.0.0) replace each other.
	# Attributes is part of the key: replace the row.
	code=$(msiinfo export "$msi" Property | awk -F'\t' '$1 == "UpgradeCode" { print $2 }' | tr -d '\r' | tr a-f A-F)
	msibuild "$msi" -q "DELETE FROM \`Upgrade\` WHERE \`ActionProperty\`='WIX_UPGRADE_DETECTED'"
	msibuild "$msi" -q "INSERT INTO \`Upgrade\` (\`UpgradeCode\`, \`VersionMax\`, \`Attributes\`, \`ActionProperty\`) VALUES ('$code', '$msiver', 513, 'WIX_UPGRADE_DETECTED')"
	sign "$msi"
}

case " $FORMATS " in *" deb "* | *" rpm "*) linux_packages ;; esac
case " $FORMATS " in *" msi "*) msi_package ;; esac
# Every format built: into OUT, replacing earlier builds of the same names.
for f in "$stage"/out/*; do
	[ -f "$f" ] || continue
	chmod 0644 "$f"
	mv -f "$f" "$out/"
	echo "$out/${f##*/}"
done
