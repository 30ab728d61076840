#!/bin/sh
# glpi-agentd post-installation, for deb ("configure" [old-version]) and
# rpm (1: install, 2: upgrade).
#
# Settings may come from the installer's environment:
#   GLPI_AGENTD_SERVER, GLPI_AGENTD_TAG   written to agent.toml unless set there
#   GLPI_AGENTD_REGISTRATION_KEY          written to registration.key (0600)
# A registration.key dropped beside agent.toml is used as it is.
set -e

conf_dir=/etc/glpi-agentd
conf=$conf_dir/agent.toml
key=$conf_dir/registration.key

case "$1" in
configure) upgrade=${2:+yes} ;;
1) upgrade= ;;
2) upgrade=yes ;;
*) exit 0 ;;
esac

umask 077
chmod 0700 "$conf_dir" /var/lib/glpi-agentd
chmod 0600 "$conf"

# has KEY: agent.toml sets KEY.
has() { grep -Eq "^[[:space:]]*$1[[:space:]]*=" "$conf"; }

# set KEY VALUE: appends KEY = "VALUE" to agent.toml unless it is set.
set_key() {
	has "$1" && return 0
	case "$2" in
	*[\"\\]* | *'
'*)
		echo "glpi-agentd: $1 not written: quotes, backslashes and newlines are not accepted" >&2
		return 0 ;;
	esac
	printf '%s = "%s"\n' "$1" "$2" >>"$conf"
}

[ -n "${GLPI_AGENTD_SERVER:-}" ] && set_key server "$GLPI_AGENTD_SERVER"
[ -n "${GLPI_AGENTD_TAG:-}" ] && set_key tag "$GLPI_AGENTD_TAG"
if [ -n "${GLPI_AGENTD_REGISTRATION_KEY:-}" ]; then
	# Written through a temporary file, never on a command line.
	tmp=$(mktemp "$conf_dir/.registration.key.XXXXXX")
	printf '%s\n' "$GLPI_AGENTD_REGISTRATION_KEY" >"$tmp"
	mv -f "$tmp" "$key"
fi
if [ -f "$key" ]; then
	chown root:root "$key"
	chmod 0600 "$key"
	set_key registration_key_file "$key"
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
