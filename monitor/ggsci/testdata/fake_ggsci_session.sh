#!/bin/sh
# fake_ggsci_session.sh DIR [TRANSCRIPT]: a GGSCI for one interactive
# session (a prompt without a newline, no command echo), answering from
# files in DIR: INFO ALL with info_all.txt, SEND EXTRACT x, SHOWTRANS with
# showtrans_x.txt, INFO EXTRACT x, SHOWCH with showch_x.txt, STATS … x with
# stats_x.txt, SEND … x, STATUS with status_x.txt (x lower-case); a missing
# file is "ERROR: … not currently running.", a file x.txt.hang instead
# makes that command hang, and DIR/slow holds seconds every reply but
# INFO ALL's takes. In the files, @5H_AGO@ and
# @10M_AGO@ become SHOWTRANS times, @5H_AGO_CH@ a SHOWCH time, that long
# before now. With DIR/password it is an Admin Client: "OGG (not
# connected)" until a CONNECT … PASSWORD p whose p is that file's content.
# Every command goes to TRANSCRIPT, a password replaced by ***.
dir=$1
transcript=${2:-/dev/null}
reply() {
	[ -f "$dir/slow" ] && sleep "$(cat "$dir/slow")"
	if [ -f "$dir/$1.hang" ]; then
		sleep 1000
	elif [ -f "$dir/$1" ]; then
		sed -e "s/@5H_AGO@/$(date -d '-5 hours' '+%Y-%m-%d:%H:%M:%S')/g" \
			-e "s/@10M_AGO@/$(date -d '-10 minutes' '+%Y-%m-%d:%H:%M:%S')/g" \
			-e "s/@5H_AGO_CH@/$(date -d '-5 hours' '+%Y-%m-%d %H:%M:%S.000000')/g" "$dir/$1"
	else
		printf '\nERROR: %s %s not currently running.\n' "$2" "$3"
	fi
}
prompt='GGSCI (fakehost)'
[ -f "$dir/password" ] && prompt='OGG (not connected)'
n=1
printf '%s %d> ' "$prompt" "$n"
while IFS= read -r cmd; do
	case $cmd in
	*' PASSWORD '*) printf '%s\n' "${cmd%% PASSWORD *}" >>"$transcript" ;;
	*) printf '%s\n' "$cmd" >>"$transcript" ;;
	esac
	lc=$(printf '%s' "$cmd" | tr 'A-Z' 'a-z' | tr -d ',')
	set -- $lc
	case $lc in
	connect*)
		if [ "${cmd##* PASSWORD }" = "$(cat "$dir/password")" ]; then
			prompt='OGG (https://fake:9011 east)'
		else
			printf '\nERROR: Unable to connect to deployment '"'"'east'"'"' at https://fake:9011. HTTP Status-Code 401: Unauthorized.\n'
		fi ;;
	"info all"*) printf '\n'; cat "$dir/info_all.txt" ;;
	"send extract "*showtrans) reply "showtrans_$3.txt" EXTRACT "$3" ;;
	"info extract "*showch) reply "showch_$3.txt" EXTRACT "$3" ;;
	"stats "*) reply "stats_$3.txt" "$2" "$3" ;;
	"send "*status) reply "status_$3.txt" "$2" "$3" ;;
	exit*) exit 0 ;;
	*) printf '\nERROR: Invalid command.\n' ;;
	esac
	n=$((n + 1))
	printf '\n%s %d> ' "$prompt" "$n"
done
exit 3
