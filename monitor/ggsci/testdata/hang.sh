#!/bin/sh
# hang.sh PIDFILE: a GGSCI that never answers. It starts two children that
# keep stdout open, writes "SHELL_PID CHILD1_PID CHILD2_PID" to PIDFILE and
# waits for them forever.
sleep 1000 &
c1=$!
sleep 1000 &
c2=$!
echo "$$ $c1 $c2" >"$1.tmp"
mv "$1.tmp" "$1"
wait
