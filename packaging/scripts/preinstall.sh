#!/bin/sh
# Before install or upgrade (rpm and deb): create the syncmon system user
# and group when absent. Home /var/lib/syncmon (the package creates it),
# no login shell. Works with the useradd of RHEL/Oracle Linux 7-9 and Debian.
set -e
if ! getent group syncmon >/dev/null 2>&1; then
	groupadd --system syncmon
fi
if ! getent passwd syncmon >/dev/null 2>&1; then
	nologin=/sbin/nologin
	[ -x "$nologin" ] || nologin=/usr/sbin/nologin
	useradd --system --gid syncmon --home-dir /var/lib/syncmon --no-create-home \
		--shell "$nologin" --comment "SyncMon" syncmon
fi
