/*
 * handover.h - a data directory given to the daemon's account.
 *
 * mxgated started as root (daemon/privs.c) and mxsh run as root on a
 * directory no root start has handed over yet (shell/session.c) both give
 * the directory and what it holds to the account mxgate, then become it:
 * whichever comes first, nothing either makes afterwards is root's, so the
 * other can open it (issue 13: root's mxsh, run while a root start of
 * mxgated was handing the directory over, left a root config.db-wal the
 * daemon could not open).
 */
#ifndef UTIL_HANDOVER_H
#define UTIL_HANDOVER_H

#include <sys/types.h>

/* The daemon's own account, shared with no other service. */
#define HANDOVER_USER "mxgate"

/*
 * handover_dir - the directory DIR (made 0700 with its parents if
 * missing) to uid:gid with mode 0700, and what it holds, walked through
 * descriptors: a directory or a regular file is changed through an O_PATH
 * descriptor of itself, never by its path; a symbolic link is neither
 * followed nor changed; a regular file with another hard link is left as
 * it is. Each file left as it is: a warning line on stderr, "WHO:
 * warning: ...". 0, or -1 with a malloc'd one-line cause. Run by root.
 */
int handover_dir(const char *dir, uid_t uid, gid_t gid, const char *who, char **cause);

/*
 * handover_reachable - could uid:gid (no other groups) reach DIR: every
 * directory on its absolute path searchable by it. 1 yes, 0 no (or the
 * path cannot be resolved).
 */
int handover_reachable(const char *dir, uid_t uid, gid_t gid);

#endif
