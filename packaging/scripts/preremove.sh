#!/bin/sh
# Before removal: on a real removal (deb "remove", rpm "0"), not an
# upgrade, stop and disable the service.
set -e
case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl disable --now syncmon.service >/dev/null 2>&1 || true
	fi
	;;
esac
