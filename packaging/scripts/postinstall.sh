#!/bin/sh
# After install or upgrade (rpm and deb). The service is not started or
# restarted here: a first install needs its config edited, and an upgrade
# is restarted by the admin after the backup (docs/OPERATIONS.md).
set -e
# First install only (rpm "1", deb "configure" with no old version): an
# upgrade leaves the state directory to whichever user the admin runs as.
if [ "$1" = 1 ] || { [ "$1" = configure ] && [ -z "${2:-}" ]; }; then
	chown syncmon:syncmon /var/lib/syncmon
	chmod 0700 /var/lib/syncmon
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
