#!/bin/sh
# glpi-enrolld post-removal, for deb ("remove", "purge", "upgrade", ...) and
# rpm (0: erase, 1: upgrade). The database, the server secret and the
# configuration survive removal and upgrade; a deb purge deletes them (every
# device would have to enroll again). The glpi-enrolld user stays, as
# system users do, so that files it owns elsewhere keep a name.
set -e

case "$1" in
purge)
	rm -rf /var/lib/glpi-enrolld /etc/glpi-enrolld
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
