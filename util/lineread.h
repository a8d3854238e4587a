/*
 * lineread.h - read the lines of a byte range of a file in big chunks,
 * with the offset of each; and read the one line at an offset.
 *
 * Used by the log tools over files that another process appends to: the
 * range ends where the caller's snapshot of the size ended, so a line
 * being written as we read is either whole or absent. A line longer than
 * LINEREAD_MAX is cut there (the rest up to its newline is skipped), in
 * both functions alike, so every reader of a log sees the same lines.
 * Knows nothing of mail.
 */
#ifndef UTIL_LINEREAD_H
#define UTIL_LINEREAD_H

#include <stddef.h>

#define LINEREAD_MAX 65536

struct lineread {
	int fd;			/* the file (not owned) */
	long long pos;		/* file offset of buf[0] */
	long long end;		/* stop here */
	char *buf;		/* chunk */
	size_t cap;		/* its size */
	size_t len;		/* bytes in buf */
	size_t at;		/* next line starts at buf[at] */
	int skip;		/* the last line was cut: drop the rest of it first */
	int err;		/* a read failed (errno kept) */
};

/* lineread_init - lines of fd from start (a line start) to end */
void lineread_init(struct lineread *r, int fd, long long start, long long end);

/*
 * lineread_next - the next line: 1 with *line (not NUL-terminated, no
 * newline), *len, *off (its offset) and *complete (it ended in a newline
 * before end); 0 at end; -1 on a read error
 */
int lineread_next(struct lineread *r, const char **line, size_t *len, long long *off,
    int *complete);

/* lineread_free - release the chunk */
void lineread_free(struct lineread *r);

/*
 * lineread_at - the line at off (which must start a line) into buf
 * (cap >= LINEREAD_MAX + 1), cut as lineread_next cuts it, never past end.
 * 0 with *len, or -1 on a read error. If prev is not NULL, *prev is the
 * byte before off ('\n' when off starts a line; '\n' too for off 0).
 */
int lineread_at(int fd, long long off, long long end, char *buf, size_t cap, size_t *len,
    char *prev);

#endif
