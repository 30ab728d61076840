#!/bin/sh
# glpi-enrolld post-installation, for deb ("configure" [old-version]) and
# rpm (1: install, 2: upgrade). The service runs as the system user
# glpi-enrolld, which owns /var/lib/glpi-enrolld and may read (not write)
# /etc/glpi-enrolld.
set -e

case "$1" in
configure) upgrade=${2:+yes} ;;
1) upgrade= ;;
2) upgrade=yes ;;
*) exit 0 ;;
esac

if ! getent passwd glpi-enrolld >/dev/null; then
	nologin=/usr/sbin/nologin
	[ -x "$nologin" ] || nologin=/sbin/nologin
	useradd --system --user-group --home-dir /var/lib/glpi-enrolld --no-create-home \
		--shell "$nologin" --comment "GLPI enrollment service" glpi-enrolld
fi
chown glpi-enrolld:glpi-enrolld /var/lib/glpi-enrolld
chmod 0700 /var/lib/glpi-enrolld
chown root:glpi-enrolld /etc/glpi-enrolld /etc/glpi-enrolld/glpi-enrolld.conf
chmod 0750 /etc/glpi-enrolld
chmod 0640 /etc/glpi-enrolld/glpi-enrolld.conf

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	if [ -n "$upgrade" ]; then
		systemctl try-restart glpi-enrolld.service || true
	else
		systemctl enable --now glpi-enrolld.service || true
	fi
fi
exit 0
