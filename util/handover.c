/*
 * handover.c - a data directory given to the daemon's account (see
 * handover.h). The walk was daemon/privs.c's (issue 9); mxsh run as root
 * uses it too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/handover.h"
#include "util/str.h"

/* Directory levels walked at most below the data directory. */
#define HANDOVER_DEPTH_MAX 32

/* give_tree - hand what the directory dfd (path, for messages) holds to uid:gid */
static int
give_tree(int dfd, const char *path, uid_t uid, gid_t gid, const char *who, int depth,
    char **cause)
{
	int dup = fcntl(dfd, F_DUPFD_CLOEXEC, 0), rc = 0;
	DIR *d = dup < 0 ? NULL : fdopendir(dup);
	struct dirent *e;

	if (d == NULL) {
		*cause = str_printf("cannot read %s: %s", path, strerror(errno));
		if (dup >= 0)
			close(dup);
		return -1;
	}
	/* errno cleared before each readdir: NULL with errno set is a failed read, not the end */
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		struct stat st;
		char *sub;
		int fd;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub = str_printf("%s/%s", path, e->d_name);
		/* the entry itself, never what a link names */
		fd = openat(dfd, e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			if (errno != ENOENT) {	/* gone meanwhile: nothing to hand over */
				*cause = str_printf("cannot look at %s: %s", sub, strerror(errno));
				rc = -1;
			}
		} else if (S_ISLNK(st.st_mode)) {
			fprintf(stderr, "%s: warning: %s is a symbolic link: neither followed "
					"nor handed over\n", who, sub);
		} else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "%s: warning: %s is not a file or a directory: left "
					"as it is\n", who, sub);
		} else if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
			fprintf(stderr, "%s: warning: %s has %lu hard links: not handed over "
					"(it may be another file linked in)\n", who, sub,
			    (unsigned long)st.st_nlink);
		} else if ((st.st_uid != uid || st.st_gid != gid) &&
		    fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0) {
			*cause = str_printf("cannot hand %s over: %s", sub, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			/* the directory just handed over, reopened through its own descriptor */
			int sfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (depth >= HANDOVER_DEPTH_MAX) {
				/*
				 * the account's own tree (no mxgate file is this deep):
				 * left as it is rather than let it stop a root start
				 */
				fprintf(stderr, "%s: warning: %s is more than %d levels deep: "
						"what it holds is left as it is\n", who, sub, HANDOVER_DEPTH_MAX);
			} else if (sfd < 0) {
				*cause = str_printf("cannot read %s: %s", sub, strerror(errno));
				rc = -1;
			} else {
				rc = give_tree(sfd, sub, uid, gid, who, depth + 1, cause);
			}
			if (sfd >= 0)
				close(sfd);
		}
		if (fd >= 0)
			close(fd);
		free(sub);
	}
	if (rc == 0 && errno != 0) {
		*cause = str_printf("cannot read %s: %s", path, strerror(errno));
		rc = -1;
	}
	closedir(d);
	return rc;
}

/* give_top - the directory itself to uid:gid with mode 0700 */
static int
give_top(int dfd, const struct stat *st, const char *dir, uid_t uid, gid_t gid, char **cause)
{
	if (((st->st_uid != uid || st->st_gid != gid) && fchown(dfd, uid, gid) < 0) ||
	    ((st->st_mode & 07777) != 0700 && fchmod(dfd, 0700) < 0)) {
		*cause = str_printf("cannot hand %s over: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * handover_dir - see handover.h. A directory another user owns is taken
 * from that user first, so it can change nothing during the walk. A
 * directory root owns (nobody else can enter it) is handed over last:
 * whoever sees it owned by mxgate (another root mxsh, mxgated starting)
 * then knows all it held is mxgate's too, and does not open a file the
 * walk has not reached yet.
 */
int
handover_dir(const char *dir, uid_t uid, gid_t gid, const char *who, char **cause)
{
	int dfd = fs_open_dir(dir, 0700), rc = -1;
	struct stat st;

	if (dfd < 0) {
		*cause = str_printf("cannot open the data directory %s: %s", dir, fs_strerror(errno));
		return -1;
	}
	if (fstat(dfd, &st) < 0)
		*cause = str_printf("cannot hand %s over: %s", dir, strerror(errno));
	else if (st.st_uid == 0)
		rc = give_tree(dfd, dir, uid, gid, who, 0, cause) < 0 ? -1 :
		    give_top(dfd, &st, dir, uid, gid, cause);
	else
		rc = give_top(dfd, &st, dir, uid, gid, cause) < 0 ? -1 :
		    give_tree(dfd, dir, uid, gid, who, 0, cause);
	close(dfd);
	return rc;
}

/* searchable - may uid:gid search the directory st (its own groups: gid alone) */
static int
searchable(const struct stat *st, uid_t uid, gid_t gid)
{
	if (st->st_uid == uid)
		return (st->st_mode & S_IXUSR) != 0;
	if (st->st_gid == gid)
		return (st->st_mode & S_IXGRP) != 0;
	return (st->st_mode & S_IXOTH) != 0;
}

/* handover_reachable - see handover.h */
int
handover_reachable(const char *dir, uid_t uid, gid_t gid)
{
	char *path = realpath(dir, NULL), *slash;
	struct stat st;
	int ok = path != NULL;

	/* every ancestor, from the directory up to "/" */
	while (ok && (slash = strrchr(path, '/')) != NULL) {
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
		ok = stat(path, &st) == 0 && searchable(&st, uid, gid);
		if (slash == path)
			break;
	}
	free(path);
	return ok;
}
