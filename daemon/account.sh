#!/bin/sh
# account.sh - make the system account mxgate, which mxgated runs as.
#
#   sh daemon/account.sh        (as root; make install, make run and
#                                make test-deps call it)
#
# mxgated started as root hands its data directory to this account and
# switches to it (daemon/privs.c). The account is the daemon's alone:
# an account other services share (nobody) could write into the data
# directory and plant links there (issue 9). System user and group of
# the same name, no home, no login shell. Does nothing if the account
# exists; not root, it says what to run and fails.
user=mxgate

if getent passwd "$user" >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "account.sh: there is no user $user for mxgated; as root run: sh daemon/account.sh" >&2
	exit 1
fi
shell=/usr/sbin/nologin
[ -x "$shell" ] || shell=/sbin/nologin
[ -x "$shell" ] || shell=/bin/false
# a group of that name left behind (by a removed account) is reused
if getent group "$user" >/dev/null 2>&1; then
	group="--gid $user"
else
	group="--user-group"
fi
# shellcheck disable=SC2086 # $group is two words or one on purpose
if ! useradd --system $group --no-create-home --home-dir /nonexistent --shell "$shell" \
	--comment "mxgate mail daemon" "$user"; then
	echo "account.sh: useradd could not create the user $user" >&2
	exit 1
fi
echo "account.sh: created the system user $user"
