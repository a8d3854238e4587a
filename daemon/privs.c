/*
 * privs.c - drop root, keep CAP_NET_BIND_SERVICE.
 *
 * DIAGNOSTICS: -1 with a malloc'd cause; the daemon refuses to go on as
 * root when the switch fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/privs.h"
#include "util/str.h"

static uid_t chown_uid;
static gid_t chown_gid;

/* give - nftw callback: hand one file of the data directory over */
static int
give(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	if (lchown(path, chown_uid, chown_gid) < 0)
		return -1;
	return 0;
}

int
privs_drop(const char *dir, char **cause)
{
	struct passwd *pw;
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (geteuid() != 0)
		return 0;
	pw = getpwnam("mxgate");
	if (pw == NULL)
		pw = getpwnam("nobody");
	if (pw == NULL) {
		*cause = str_dup("running as root and neither user mxgate nor nobody exists");
		return -1;
	}
	chown_uid = pw->pw_uid;
	chown_gid = pw->pw_gid;
	if (nftw(dir, give, 16, FTW_PHYS) < 0) {
		*cause = str_printf("cannot hand %s to user %s: %s", dir, pw->pw_name,
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		*cause = str_printf("cannot switch to user %s: %s", pw->pw_name, strerror(errno));
		return -1;
	}
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = 1u << CAP_NET_BIND_SERVICE;
	if (syscall(SYS_capset, &hdr, data) < 0) {
		*cause = str_printf("cannot keep CAP_NET_BIND_SERVICE: %s", strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		*cause = str_dup("root privileges could be regained after the switch");
		return -1;
	}
	return 0;
}
