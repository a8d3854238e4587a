#!/bin/bash
# ssh_logins.sh BUILD - what an operator's SSH login costs, side by side.
#
# Two private sshd instances of the same OpenSSH binary on loopback:
#   mxgate  made by daemon/setup-ssh.sh: the account's shell is mxsh,
#           keys come from the store (AuthorizedKeysCommand mxsh
#           --authorized-keys), passwords are checked by mxsh --pam-auth
#           (Argon2id) through pam_exec
#   plain   UsePAM no, keys from a file, a system account whose shell is
#           /bin/sh: the least OpenSSH can do for a login
# Figures, the mean of N sequential logins each (one warm-up first):
#   key      `ssh admin@gw version` (mxgate) against `ssh plain true`
#   batch    `ssh admin@gw 'status'` (mxgate: opens the store, queue.db)
#   password `ssh admin@gw version` by password (mxgate only: PAM's
#            Argon2id check is the cost, by design)
# and the ratio mxgate/plain for key logins.
#
# BENCH_QUICK=1: 5 logins each instead of 30.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$top/$B ;; esac
MXSH=$B/mxsh
MXGATED=$B/mxgated
N=30
[ -n "${BENCH_QUICK:-}" ] && N=5
[ "$(id -u)" = 0 ] || { echo "ssh bench: needs root (sshd, system accounts)"; exit 1; }
[ -x /usr/sbin/sshd ] || { echo "ssh bench: no /usr/sbin/sshd (make test-deps)"; exit 1; }
W=$(mktemp -d /tmp/mxgate-bench-ssh.XXXXXX)
chmod 755 "$W"
D=$W/data
SVC=mxgate-bench$$
PLAIN=mxbplain$$
cleanup() {
	for f in "$W"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	[ -f "$D/mxgated.pid" ] && kill "$(cat "$D/mxgated.pid")" 2>/dev/null
	rm -f "/etc/pam.d/$SVC"
	userdel -f "$PLAIN" >/dev/null 2>&1
	# the keeper's accounts for this data directory, if it could not
	getent passwd | awk -F: -v d="$D" '$6 == d && $5 == "mxgate operator" { print $1 }' |
		while read -r u; do userdel -f "$u" >/dev/null 2>&1; done
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_log FILE TEXT - until TEXT is in FILE (30 s at most)
wait_log() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 300 ] && { echo "ssh bench: timed out waiting for '$2' in $1"; exit 1; }
		sleep 0.1
	done
}

ssh-keygen -q -t ed25519 -N '' -f "$W/key" || exit 1
mkdir -p "$D" && chmod 700 "$D"
"$MXSH" -D "$D" -e -c "userconfig password admin password=Bench-pass-1x" >/dev/null || exit 1
"$MXSH" -D "$D" -e -c "userconfig key admin add \"$(cat "$W/key.pub")\"" >/dev/null || exit 1
MXP=$(free_port)
"$MXGATED" -D "$D" || exit 1
# the keeper makes the system account at start
i=0
until getent passwd admin >/dev/null; do
	i=$((i + 1))
	[ $i -gt 300 ] && { echo "ssh bench: mxgated made no system account admin"; exit 1; }
	sleep 0.1
done
sh "$top/daemon/setup-ssh.sh" -D "$D" -m "$MXSH" -p "$MXP" -l 127.0.0.1 -e "$W/etc" \
	-s "$SVC" >/dev/null || exit 1
"$W/etc/$SVC" -f "$W/etc/sshd_config" -E "$W/mx-sshd.log" -o "PidFile=$W/mx.pid" || exit 1
wait_log "$W/mx-sshd.log" "Server listening"

# the plain instance: a system account with /bin/sh and a key file
PP=$(free_port)
# "*": no password, but not locked ("!"), which sshd without PAM refuses
useradd -M -d "$W" -s /bin/sh -p "*" "$PLAIN" || exit 1
cp "$W/key.pub" "$W/plain_keys" && chmod 644 "$W/plain_keys"
ssh-keygen -q -t ed25519 -N '' -f "$W/plain_host" || exit 1
cat >"$W/plain_config" <<EOF
Port $PP
ListenAddress 127.0.0.1
HostKey $W/plain_host
PidFile $W/plain.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $W/plain_keys
StrictModes no
PrintMotd no
PrintLastLog no
DisableForwarding yes
EOF
/usr/sbin/sshd -f "$W/plain_config" -E "$W/plain-sshd.log" || exit 1
wait_log "$W/plain-sshd.log" "Server listening"

SO="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
printf '#!/bin/sh\necho Bench-pass-1x\n' >"$W/askpass" && chmod 755 "$W/askpass"

# mean_ms CMD... - the mean wall time of N runs in ms (one warm-up run first)
mean_ms() {
	"$@" >/dev/null 2>&1 || { echo "ssh bench: failed: $*" >&2; "$@" >&2; exit 1; }
	t0=$(date +%s%N)
	for _ in $(seq "$N"); do
		"$@" >/dev/null 2>&1 || { echo "ssh bench: failed: $*" >&2; exit 1; }
	done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / N / 1000000))
}

key_mx=$(mean_ms ssh -p "$MXP" $SO -o BatchMode=yes -i "$W/key" admin@127.0.0.1 version) || exit 1
key_plain=$(mean_ms ssh -p "$PP" $SO -o BatchMode=yes -i "$W/key" "$PLAIN@127.0.0.1" true) || exit 1
batch_mx=$(mean_ms ssh -p "$MXP" $SO -o BatchMode=yes -i "$W/key" admin@127.0.0.1 status) || exit 1
pw_mx=$(SSH_ASKPASS=$W/askpass SSH_ASKPASS_REQUIRE=force mean_ms ssh -p "$MXP" $SO \
	-o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 admin@127.0.0.1 version) || exit 1

echo "== SSH logins: mean of $N sequential logins each, loopback"
printf '%-44s %6s ms\n' "mxgate key login + 'version'" "$key_mx"
printf '%-44s %6s ms\n' "plain OpenSSH key login + 'true'" "$key_plain"
printf '%-44s %6s ms\n' "mxgate key login + 'status'" "$batch_mx"
printf '%-44s %6s ms\n' "mxgate password login (Argon2id) + 'version'" "$pw_mx"
awk -v a="$key_mx" -v b="$key_plain" 'BEGIN { if (b > 0) printf "mxgate/plain (key logins): %.2f\n", a / b }'
