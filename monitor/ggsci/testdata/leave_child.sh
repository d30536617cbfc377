#!/bin/sh
# leave_child.sh PIDFILE FIXTURE: answers with FIXTURE and exits 0, but leaves
# a child behind that keeps stdout open; its pid goes to PIDFILE.
sleep 1000 &
echo "$!" >"$1.tmp"
mv "$1.tmp" "$1"
cat "$2"
exit 0
