/*
 * logindex.h - the findevent index of a mail log: for each file, where
 * the lines naming each MID, ICID and DCID are, and the From:, To: and
 * Subject values with the offset of their line.
 *
 * The index is a cache. It lives in DIR/.index/ beside the log files, as
 * immutable segment files INO.START-END.fx, each covering the bytes
 * [START, END) of the log file with inode INO (a rename by rollover keeps
 * the inode, so a rolled file keeps its index). Every use brings it up to
 * date from the files themselves: bytes appended since the last segment
 * are indexed and written as a new segment (a current file's last bytes,
 * under LOGINDEX_SEG_MIN, only in memory); a file whose inode was reused,
 * that shrank, or whose indexed bytes changed is indexed anew; small
 * segments are merged so a file has few. Deleting the index, or any part
 * of it, changes no answer: it is rebuilt.
 *
 * Lookups check what they read (bounds, order); findevent also checks
 * that every line an offset leads to names what it was indexed under,
 * and calls logindex_drop on a mismatch.
 */
#ifndef MAIL_LOGINDEX_H
#define MAIL_LOGINDEX_H

#include <stddef.h>

#include "mail/maillog.h"

#define LOGINDEX_SEG_MIN (1024 * 1024)		/* a current file's tail below this stays in memory */
#define LOGINDEX_SEG_MAX (256 * 1024 * 1024)	/* no segment covers more */

enum logindex_type {
	LOGINDEX_MID = 1,	/* every line naming the MID */
	LOGINDEX_ICID,		/* lines naming the ICID and no MID */
	LOGINDEX_DCID,		/* lines naming the DCID and no MID */
};

/* One log file, as the caller opened it for this query. */
struct logindex_src {
	int fd;				/* open for reading */
	long long size;			/* its size when the query began: nothing after is read */
	unsigned long long ino;		/* inode number */
	int current;			/* the file being written (PREFIX.current) */
};

/* A growing list of offsets. */
struct logindex_offs {
	long long *v;
	size_t n, cap;
};

struct logindex;

/*
 * logindex_open - the index of these files of the log in dir, brought up
 * to date. 0; 1 when something had to be written and DIR/.index cannot
 * be (the caller scans the files instead); -1 with *cause when a log file
 * cannot be read.
 */
int logindex_open(const char *dir, const struct logindex_src *src, int n, struct logindex **out,
    char **cause);

/*
 * logindex_find - append to v the offsets, ascending, of the lines of file
 * i indexed under (type, id). 0, or -1 if the index of that file is damaged.
 */
int logindex_find(struct logindex *x, int i, enum logindex_type type, long long id,
    struct logindex_offs *v);

/*
 * logindex_values - call fn for each value of this kind in file i, in file
 * order, until fn returns non-zero. 0, or -1 if the index is damaged.
 */
int logindex_values(struct logindex *x, int i, enum maillog_val kind,
    int (*fn)(void *arg, long long mid, long long off, const char *val, size_t len), void *arg);

/* logindex_drop - remove the index files of file i (found damaged) */
void logindex_drop(struct logindex *x, int i);

/* logindex_close - unmap and free */
void logindex_close(struct logindex *x);

/*
 * logindex_gc - remove the index files of inodes that are not among
 * inos[0, n) (files rolled away or deleted), and temporary files left by
 * a crash, if older than a minute (another process may be indexing a file
 * that appeared after the caller listed the log)
 */
void logindex_gc(const char *dir, const unsigned long long *inos, int n);

/* logindex_offs_free - release an offset list */
void logindex_offs_free(struct logindex_offs *v);

#endif
