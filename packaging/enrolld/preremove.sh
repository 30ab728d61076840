#!/bin/sh
# glpi-enrolld pre-removal, for deb ("remove", "upgrade", ...) and rpm
# (0: erase, 1: upgrade). The service keeps running through an upgrade:
# the new package's post-installation restarts it.
set -e

case "$1" in
remove | deconfigure | 0)
	if [ -d /run/systemd/system ]; then
		systemctl disable --now glpi-enrolld.service || true
	fi
	;;
esac
exit 0
