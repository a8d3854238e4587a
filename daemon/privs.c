/*
 * privs.c - mxgated started as root becomes the account mxgate.
 *
 * privs_drop runs first, before anything in the data directory is opened
 * (issue 9: the daemon used to open its logs, stores and pid file as
 * root, and so followed links the daemon's account had planted there):
 *
 *   1. the data directory is opened (util/fsutil.h: made 0700 if missing;
 *      no link is followed below a directory another user can write),
 *      given to mxgate and made 0700, and what it holds is handed over by
 *      a walk of descriptors (util/handover.c, which root's mxsh uses too):
 *      a directory or a regular file is changed through an O_PATH
 *      descriptor of itself (fchownat AT_EMPTY_PATH), never by its path; a
 *      symbolic link is neither followed nor changed; a regular file with
 *      another hard link is left as it is, and named on stderr, for it may
 *      be a root file linked in by the account;
 *   2. the capability bounding set is cut to CAP_NET_BIND_SERVICE, so no
 *      later exec can bring another capability back;
 *   3. groups, gid and uid become mxgate's, CAP_NET_BIND_SERVICE kept so
 *      that a listener below port 1024 committed later can still be bound;
 *   4. PR_SET_NO_NEW_PRIVS; and root must not be regainable.
 *
 * There is no fallback to nobody: an account that other services share
 * could write into the data directory (daemon/account.sh makes mxgate;
 * make install and make run call it).
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause; the daemon does not
 * start as root when anything fails. Files left as they are: a warning
 * line each on stderr.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/privs.h"
#include "util/handover.h"
#include "util/str.h"

/* cut_bounding_set - every capability but CAP_NET_BIND_SERVICE out of the bounding set */
static int
cut_bounding_set(char **cause)
{
	for (int cap = 0;; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			return 0;	/* EINVAL: past the last capability this kernel knows */
		if (r == 1 && cap != CAP_NET_BIND_SERVICE && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			*cause = str_printf("cannot drop capability %d from the bounding set: %s", cap,
			    strerror(errno));
			return -1;
		}
	}
}

int
privs_drop(const char *dir, char **cause)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	pw = getpwnam(PRIVS_USER);
	if (pw == NULL || pw->pw_uid == 0) {
		*cause = str_printf("started as root, but there is no unprivileged user %s to run "
				    "as: create it with 'sh daemon/account.sh' as root (make install "
				    "does)",
		    PRIVS_USER);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (handover_dir(dir, uid, gid, "mxgated", cause) < 0 || cut_bounding_set(cause) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
		*cause = str_printf("cannot switch to user %s: %s", PRIVS_USER, strerror(errno));
		return -1;
	}
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = 1u << CAP_NET_BIND_SERVICE;
	if (syscall(SYS_capset, &hdr, data) < 0) {
		*cause = str_printf("cannot keep CAP_NET_BIND_SERVICE: %s", strerror(errno));
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);	/* none: a kernel without them has none */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*cause = str_printf("cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		*cause = str_dup("root privileges could be regained after the switch");
		return -1;
	}
	return 0;
}
