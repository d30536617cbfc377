#!/bin/sh
# escape_group.sh PIDFILE FIXTURE: like leave_child.sh, but the child leaves
# the process group (setsid), so killing the group cannot reach it; only
# WaitDelay keeps Wait from waiting for it to close stdout.
setsid sleep 1000 &
echo "$!" >"$1.tmp"
mv "$1.tmp" "$1"
cat "$2"
exit 0
