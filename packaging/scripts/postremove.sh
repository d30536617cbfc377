#!/bin/sh
# After removal or upgrade: tell systemd the unit changed or is gone. The
# syncmon user and the database in /var/lib/syncmon are kept, even on
# `dpkg --purge`: history is not thrown away by a package tool
# (docs/OPERATIONS.md, "Removing SyncMon").
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
