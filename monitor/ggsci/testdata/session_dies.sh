#!/bin/sh
# session_dies.sh PIDFILE FIXTURE: answers INFO ALL with FIXTURE and a
# prompt, then dies (exit 1) at the next command, leaving behind a child
# that left the process group (setsid) and holds stdout; its pid goes to
# PIDFILE.
setsid sleep 1000 &
echo "$!" >"$1.tmp"
mv "$1.tmp" "$1"
printf 'GGSCI (fakehost) 1> '
read -r cmd
printf '\n'
cat "$2"
printf '\n\nGGSCI (fakehost) 2> '
read -r cmd
exit 1
