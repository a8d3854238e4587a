#!/bin/sh
# setup-ssh.sh - set up the private sshd that hands operators to mxsh.
#
#   sh setup-ssh.sh [-D DATADIR] [-m MXSH] [-p PORT] [-l ADDR] [-e ETCDIR] [-s SERVICE]
#
# Defaults: -D /var/lib/mxgate -m /usr/local/bin/mxsh -p 22 -l 0.0.0.0
# -e /etc/mxgate -s mxgate-sshd. As root. Writes (see mxgate-ssh(8)):
#   ETCDIR/sshd_config              the private instance's configuration
#   ETCDIR/ssh_host_ed25519_key     its host key (kept when present)
#   /etc/pam.d/SERVICE              passwords checked by mxsh --pam-auth
#   ETCDIR/SERVICE -> /usr/sbin/sshd  OpenSSH takes its PAM service name
#                                   from the name it was started by
#   /run/sshd                       sshd's privilege separation directory
# then checks the result with sshd -t and prints how to start it.
#
# The system accounts themselves (one per operator, mxsh as login shell)
# are made by mxgated's account keeper (daemon/acctd.c), not here.
#
# Fails with one line on stderr and exit 1, having changed nothing when a
# check before the writing fails.

me=setup-ssh.sh
die() { echo "$me: $*" >&2; exit 1; }

datadir=/var/lib/mxgate
mxsh=/usr/local/bin/mxsh
port=22
addr=0.0.0.0
etc=/etc/mxgate
service=mxgate-sshd
sshd=/usr/sbin/sshd
user=mxgate

usage() {
	echo "usage: sh $me [-D DATADIR] [-m MXSH] [-p PORT] [-l ADDR] [-e ETCDIR] [-s SERVICE]" >&2
	exit 2
}

while getopts D:m:p:l:e:s: opt; do
	case $opt in
	D) datadir=$OPTARG ;;
	m) mxsh=$OPTARG ;;
	p) port=$OPTARG ;;
	l) addr=$OPTARG ;;
	e) etc=$OPTARG ;;
	s) service=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage

# ---------------------------------------------------------------- checks

[ "$(id -u)" = 0 ] || die "run it as root: it writes /etc/pam.d and the sshd configuration"

# path_ok NAME PATH - absolute, and nothing a configuration line would split at
path_ok() {
	case $2 in
	/*) ;;
	*) die "$1 $2 is not an absolute path" ;;
	esac
	case $2 in
	*[!A-Za-z0-9/._+-]*) die "$1 '$2' has a character other than letters, digits and /._+-" ;;
	esac
}
path_ok "the data directory" "$datadir"
path_ok mxsh "$mxsh"
path_ok "the configuration directory" "$etc"

case $port in
'' | *[!0-9]*) die "port '$port' is not a number" ;;
esac
[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "port $port is not between 1 and 65535"
case $addr in
'' | *[!0-9A-Fa-f.:]*) die "listen address '$addr' is not an IPv4 or IPv6 address" ;;
esac
case $service in
'' | [!a-z]* | *[!a-z0-9_.-]*)
	die "service name '$service' must be lower-case letters, digits and _.- (a PAM service name)" ;;
esac

[ -x "$sshd" ] || die "there is no $sshd: install openssh-server"
command -v ssh-keygen >/dev/null 2>&1 || die "there is no ssh-keygen: install openssh-client"
[ -f "$mxsh" ] && [ -x "$mxsh" ] || die "mxsh $mxsh is not an executable file (make install puts it in PREFIX/bin)"
getent passwd "$user" >/dev/null 2>&1 ||
	die "there is no user $user: make install makes it (daemon/account.sh)"
[ -d "$datadir" ] ||
	die "there is no data directory $datadir: start mxgated on it first (it makes the operators' accounts)"
[ -d /etc/pam.d ] || die "there is no /etc/pam.d: sshd here does not use PAM"
find /lib /usr/lib -path '*/security/pam_exec.so' 2>/dev/null | grep -q . ||
	die "there is no pam_exec.so: install libpam-modules"

# sshd runs AuthorizedKeysCommand only when the program and every
# directory above it are root's and no one else can write them
p=$mxsh
while :; do
	# shellcheck disable=SC2046 # two words on purpose: owner and mode
	set -- $(stat -L -c '%u %a' "$p" 2>/dev/null)
	[ $# -eq 2 ] || die "cannot look at $p"
	[ "$1" = 0 ] || die "$p is not owned by root: sshd refuses AuthorizedKeysCommand $mxsh (install mxsh where root owns every directory, e.g. make install)"
	case $2 in
	*[2367]? | *[2367]) die "$p is writable by its group or by others: sshd refuses AuthorizedKeysCommand $mxsh (chmod go-w $p)" ;;
	esac
	[ "$p" = / ] && break
	p=$(dirname "$p")
done

# ---------------------------------------------------------------- writing

# put FILE MODE - stdin into FILE through a temporary file in its directory
put() {
	_t="$1.tmp.$$"
	cat >"$_t" && chmod "$2" "$_t" && mv -f "$_t" "$1" || {
		rm -f "$_t"
		die "cannot write $1"
	}
}

mkdir -p "$etc" || die "cannot make $etc"
chmod 0755 "$etc"
mkdir -p /run/sshd && chmod 0755 /run/sshd || die "cannot make /run/sshd"

key=$etc/ssh_host_ed25519_key
if [ ! -f "$key" ]; then
	ssh-keygen -q -t ed25519 -N '' -C "$service host key" -f "$key" </dev/null ||
		die "ssh-keygen could not make $key"
fi

put "$etc/sshd_config" 0644 <<EOF
# $etc/sshd_config - the private sshd of mxgate (written by setup-ssh.sh;
# see mxgate-ssh(8)). Every operator account has mxsh as its login shell:
# sshd runs "mxsh -c LINE" for "ssh gw LINE", and mxsh for a login.
Port $port
ListenAddress $addr
HostKey $key
PidFile /run/$service.pid

# passwords: PAM ($service) asks mxsh --pam-auth; keys: mxsh prints them
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
PermitEmptyPasswords no
PubkeyAuthentication yes
AuthorizedKeysFile none
AuthorizedKeysCommand $mxsh --authorized-keys %u
AuthorizedKeysCommandUser $user
ExposeAuthInfo yes

# only the operators' accounts; nothing but the shell
AllowGroups $user
PermitRootLogin no
DisableForwarding yes
PermitTunnel no
PermitUserRC no
PermitUserEnvironment no
PrintMotd no
PrintLastLog no
MaxStartups 10:30:60
LoginGraceTime 60
ClientAliveInterval 60
ClientAliveCountMax 3
EOF

put "/etc/pam.d/$service" 0644 <<EOF
# /etc/pam.d/$service - passwords of mxgate's operators (setup-ssh.sh;
# see mxgate-ssh(8)): mxsh checks them against its store, counts failures
# and locks accounts. Nothing else may log in through this service.
auth     requisite  pam_exec.so expose_authtok quiet $mxsh --pam-auth -D $datadir
auth     required   pam_permit.so
account  required   pam_permit.so
session  required   pam_permit.so
password required   pam_deny.so
EOF

ln -sfn "$sshd" "$etc/$service" || die "cannot make the link $etc/$service"

if ! out=$("$etc/$service" -t -f "$etc/sshd_config" 2>&1); then
	die "sshd refuses $etc/sshd_config: $(echo "$out" | head -n 1)"
fi

cat <<EOF
$me: done. sshd for mxgate's operators is set up in $etc (PAM service $service).
Start it by hand:
	$etc/$service -f $etc/sshd_config
or with systemd (make install put the unit in PREFIX/lib/systemd/system):
	systemctl enable --now $service
Operators log in with the accounts of userconfig once they have a password
or a key: ssh -p $port admin@HOST
EOF
if [ "$etc" != /etc/mxgate ] || [ "$service" != mxgate-sshd ]; then
	echo "(the unit mxgate-sshd.service runs /etc/mxgate/mxgate-sshd: edit it for $etc/$service)"
fi
