/*
 * logset.h - the files of one log, oldest first: its rolled files
 * (PREFIX.@YYYYMMDDTHHMMSS[.NN].s, util/logfile.c) and PREFIX.current.
 *
 * Used by the log tools (grep, findevent, tail) to read a log whole, and
 * by their file selection (-f PATTERN, dates). Knows nothing of mail.
 */
#ifndef UTIL_LOGSET_H
#define UTIL_LOGSET_H

#include <stddef.h>
#include <time.h>

struct logset_file {
	char *path;		/* DIR/NAME */
	char *name;		/* NAME, e.g. "mail.@20261122T101500.s" or "mail.current" */
	time_t rolled;		/* when it was rolled (from the name); 0 for the current file */
	int current;		/* the file being written */
};

struct logset {
	int n;
	struct logset_file *f;	/* oldest first; the current file last */
	int dirfd;		/* DIR, for opening the files (fs_openat); -1 if none */
};

/*
 * logset_list - the files of DIR whose name is PREFIX.current or a rolled
 * PREFIX.@STAMP[.NN].s, oldest first (by stamp, then NN; a name without
 * NN is the first of its second). pattern selects among them by name with
 * fnmatch(3): NULL means the current file only, "*" every file. A DIR that
 * does not exist yields an empty set. -1 with *cause on a read error.
 * DIR is opened by fs_open_dir (util/fsutil.h: no symbolic link below the
 * data directory is followed) and stays open in out->dirfd: open the
 * files with fs_openat(out->dirfd, f->name, ...), not by their path.
 */
int logset_list(const char *dir, const char *prefix, const char *pattern, struct logset *out,
    char **cause);

/* logset_free - release a list */
void logset_free(struct logset *s);

#endif
