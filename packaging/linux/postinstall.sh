#!/bin/sh
# glpi-agentd post-installation, for deb ("configure" [old-version]) and
# rpm (1: install, 2: upgrade).
#
# agent.toml is the admin's and never edited here: it is a conffile, and a
# conffile changed on disk stops the next upgrade at dpkg's prompt. Settings
# from the installer's environment go in a drop-in of their own,
# agent.d/20-install.toml, read after agent.toml and the package's
# agent.d/10-package.toml:
#   GLPI_AGENTD_SERVER, GLPI_AGENTD_TAG   set there, replacing earlier values
#   GLPI_AGENTD_REGISTRATION_KEY          written to registration.key (0600),
#                                         named there
# A registration.key dropped beside agent.toml is named there too, unless a
# file already names a registration key file.
set -e

conf_dir=/etc/glpi-agentd
conf=$conf_dir/agent.toml
drop_dir=$conf_dir/agent.d
install_conf=$drop_dir/20-install.toml
key=$conf_dir/registration.key

case "$1" in
configure) upgrade=${2:+yes} ;;
1) upgrade= ;;
2) upgrade=yes ;;
*) exit 0 ;;
esac

umask 077
mkdir -p "$drop_dir"
chmod 0700 "$conf_dir" "$drop_dir" /var/lib/glpi-agentd
[ ! -f "$conf" ] || chmod 0600 "$conf"

# named KEY: agent.toml or a drop-in sets KEY.
named() {
	cat "$conf" "$drop_dir"/*.toml 2>/dev/null | grep -Eq "^[[:space:]]*$1[[:space:]]*="
}

# set_key KEY VALUE: sets KEY = "VALUE" in 20-install.toml, replacing the
# value it had there; the file is replaced by a rename, never half-written.
set_key() {
	case "$2" in
	*[\"\\]* | *'
'*)
		echo "glpi-agentd: $1 not written: quotes, backslashes and newlines are not accepted" >&2
		return 0 ;;
	esac
	# A hidden name: the agent reads no hidden file of agent.d.
	tmp=$(mktemp "$drop_dir/.20-install.toml.XXXXXX")
	{
		if [ -f "$install_conf" ]; then
			grep -Ev "^[[:space:]]*$1[[:space:]]*=" "$install_conf" || true
		else
			echo "# Set by the package's installation from the installer's environment"
			echo "# (GLPI_AGENTD_SERVER, GLPI_AGENTD_TAG, GLPI_AGENTD_REGISTRATION_KEY)."
			echo "# Read after agent.toml and 10-package.toml: see docs/packaging.md."
		fi
		printf '%s = "%s"\n' "$1" "$2"
	} >"$tmp"
	mv -f "$tmp" "$install_conf"
}

[ -z "${GLPI_AGENTD_SERVER:-}" ] || set_key server "$GLPI_AGENTD_SERVER"
[ -z "${GLPI_AGENTD_TAG:-}" ] || set_key tag "$GLPI_AGENTD_TAG"
if [ -n "${GLPI_AGENTD_REGISTRATION_KEY:-}" ]; then
	# Written through a temporary file, never on a command line.
	tmp=$(mktemp "$conf_dir/.registration.key.XXXXXX")
	printf '%s\n' "$GLPI_AGENTD_REGISTRATION_KEY" >"$tmp"
	mv -f "$tmp" "$key"
	set_key registration_key_file "$key"
fi
if [ -f "$key" ]; then
	chown root:root "$key"
	chmod 0600 "$key"
	named registration_key_file || set_key registration_key_file "$key"
fi

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	if [ -n "$upgrade" ]; then
		systemctl try-restart glpi-agentd.service || true
	else
		systemctl enable --now glpi-agentd.service || true
	fi
fi
exit 0
