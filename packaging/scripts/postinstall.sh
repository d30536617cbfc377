#!/bin/sh
# After install or upgrade (rpm and deb). The service is not started or
# restarted here: a first install needs its config edited, and an upgrade
# is restarted by the admin after the backup (docs/OPERATIONS.md).
set -e
chown syncmon:syncmon /var/lib/syncmon
chmod 0700 /var/lib/syncmon
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
