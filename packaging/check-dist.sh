#!/usr/bin/env bash
# Checks what `make dist` wrote (CI runs it after make dist; needs root for
# chroot and dpkg): the binary is static and runs alone in an empty chroot,
# the packages hold the expected files, and the .deb installs, runs and
# purges cleanly on this (Debian) machine.
# usage: packaging/check-dist.sh VERSION
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: $0 VERSION}
fail() { echo "check-dist: $*" >&2; exit 1; }

bin=dist/syncmon_${version}_linux_amd64
deb=dist/syncmon_${version}_amd64.deb
rpm=dist/syncmon-${version}.x86_64.rpm
for f in "$bin" "$deb" "$rpm" dist/SHA256SUMS; do
	[ -s "$f" ] || fail "$f is missing"
done
(cd dist && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match"

for b in dist/syncmon_"${version}"_linux_*; do
	desc=$(file -b "$b")
	case "$desc" in *"statically linked"*) ;; *) fail "$b is not statically linked: $desc" ;; esac
	echo "ok   $b: static"
done

# Alone in an empty root: no libc, no /etc/nsswitch.conf, no /etc/passwd.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cp "$bin" "$root/syncmon"
out=$(chroot "$root" /syncmon version) || fail "chroot $root /syncmon version failed"
case "$out" in "syncmon $version"$'\n'*) ;; *) fail "chroot run printed: $out" ;; esac
echo "ok   runs alone in an empty chroot: ${out%%$'\n'*}"

# The files each package must hold.
want="/usr/bin/syncmon
/usr/lib/systemd/system/syncmon.service
/etc/syncmon/syncmon.yaml
/etc/syncmon/syncmon.env
/usr/share/doc/syncmon/syncmon.example.yaml
/var/lib/syncmon"
debfiles=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|; s|/$||')
rpmfiles=$(rpm -qpl "$rpm" 2>/dev/null)
while read -r f; do
	grep -qxF "$f" <<<"$debfiles" || fail "$deb lacks $f"
	grep -qxF "$f" <<<"$rpmfiles" || fail "$rpm lacks $f"
done <<<"$want"
echo "ok   both packages list $(wc -l <<<"$want") expected paths"
rpm -qp --configfiles "$rpm" 2>/dev/null | grep -qxF /etc/syncmon/syncmon.yaml || fail "$rpm: syncmon.yaml is not a config file"
dpkg-deb -I "$deb" conffiles | grep -qxF /etc/syncmon/syncmon.yaml || fail "$deb: syncmon.yaml is not a conffile"
rpm -qp --scripts "$rpm" 2>/dev/null | grep -q 'useradd --system' || fail "$rpm: no useradd in its scripts"
rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' "$rpm" 2>/dev/null |
	grep -qx 'drwx------ syncmon:syncmon /var/lib/syncmon' || fail "$rpm: /var/lib/syncmon is not syncmon's"
echo "ok   config files kept on upgrade, syncmon user created at install"

# Install, run, purge. Refuse to touch a machine where SyncMon is installed.
if dpkg -s syncmon >/dev/null 2>&1; then
	fail "syncmon is already installed here; not touching it"
fi
user_existed=no
getent passwd syncmon >/dev/null && user_existed=yes
dpkg -i "$deb" >/dev/null || fail "dpkg -i $deb failed"
out=$(syncmon version) || fail "installed syncmon version failed"
case "$out" in "syncmon $version"$'\n'*) ;; *) fail "installed syncmon printed: $out" ;; esac
[ "$(getent passwd syncmon | cut -d: -f6)" = /var/lib/syncmon ] || fail "no syncmon user with home /var/lib/syncmon"
[ "$(stat -c %U:%G:%a /var/lib/syncmon)" = syncmon:syncmon:700 ] || fail "/var/lib/syncmon: $(stat -c %U:%G:%a /var/lib/syncmon)"
su -s /bin/sh syncmon -c "/usr/bin/syncmon config check /etc/syncmon/syncmon.yaml" >/dev/null ||
	fail "the syncmon user cannot check the installed config"
echo "ok   dpkg -i: ${out%%$'\n'*}, user syncmon, /var/lib/syncmon owned by it, config valid"
dpkg --purge syncmon >/dev/null || fail "dpkg --purge failed"
for f in /usr/bin/syncmon /usr/lib/systemd/system/syncmon.service /etc/syncmon /var/lib/syncmon; do
	[ ! -e "$f" ] || fail "$f left behind after dpkg --purge"
done
if [ "$user_existed" = no ]; then
	# Kept on purge by design (docs/OPERATIONS.md); this machine is CI's, so
	# tidy up after ourselves.
	userdel syncmon 2>/dev/null || true
	getent group syncmon >/dev/null && groupdel syncmon
fi
echo "ok   dpkg --purge removed every file (the syncmon user is kept by design)"
