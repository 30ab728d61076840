#!/bin/sh
# glpi-agentd post-removal, for deb ("remove", "purge", "upgrade", ...) and
# rpm (0: erase, 1: upgrade). State and configuration survive removal and
# upgrade; a deb purge deletes them. rpm has no purge: after `rpm -e`,
# delete /etc/glpi-agentd and /var/lib/glpi-agentd by hand to forget the
# device's enrollment.
set -e

case "$1" in
purge)
	rm -rf /var/lib/glpi-agentd /etc/glpi-agentd /var/log/glpi-agentd
	;;
esac
case "$1" in
remove | purge | 0)
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
	fi
	;;
esac
exit 0
