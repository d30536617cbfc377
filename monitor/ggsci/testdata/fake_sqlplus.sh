#!/bin/sh
# fake_sqlplus.sh FIXTURE: a heartbeat_command that reads the query on
# stdin up to EXIT and prints FIXTURE.
while IFS= read -r line; do
	[ "$line" = "EXIT" ] && break
done
cat "$1"
