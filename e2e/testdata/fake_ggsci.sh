#!/bin/sh
# fake_ggsci.sh FIXTURE [TRANSCRIPT]: a stand-in for GGSCI reading commands
# from a pipe (a prompt without a newline, no command echo). It answers
# INFO ALL with the FIXTURE file and leaves at EXIT. Every line read on stdin
# is appended to TRANSCRIPT when given. Stdin closing without EXIT exits 3.
fixture=$1
transcript=${2:-/dev/null}
n=1
printf 'GGSCI (fakehost) %d> ' "$n"
while IFS= read -r cmd; do
	printf '%s\n' "$cmd" >>"$transcript"
	case $cmd in
	[Ii][Nn][Ff][Oo]' '[Aa][Ll][Ll]*) printf '\n'; cat "$fixture" ;;
	[Ee][Xx][Ii][Tt]*) exit 0 ;;
	*) printf '\nERROR: Invalid command.\n' ;;
	esac
	n=$((n + 1))
	printf '\n\nGGSCI (fakehost) %d> ' "$n"
done
exit 3
