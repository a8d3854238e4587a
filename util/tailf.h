/*
 * tailf.h - the last lines of a file, then what is appended to it, across
 * rollovers (as `tail -F`). Knows nothing of mail.
 *
 * The start of the last N lines is found by reading backwards from the
 * end in blocks, so a gigabyte log costs a few reads. Following, a file
 * renamed away (rolled over) is read to its end and, once it has been
 * quiet for TAILF_GRACE_MS (a writer may still append to the old file
 * until it notices the rename: util/logfile.c looks once a second), the
 * new file of the same path is followed from its beginning. A file that
 * shrinks (truncated) is read again from its start; a path that does not
 * exist yet is waited for.
 */
#ifndef UTIL_TAILF_H
#define UTIL_TAILF_H

#include <stddef.h>
#include <sys/types.h>

/* How long a rolled-away file must stay unchanged before the new one is taken. */
#define TAILF_GRACE_MS 2000

/* Longest line returned whole; a longer one comes in pieces of this size. */
#define TAILF_LINE_MAX 65536

struct tailf;

/*
 * tailf_offset - where the last n lines of the open file fd begin (a last
 * line without its newline counts as a line); n 0: the end of the last
 * whole line. 0, or -1 with errno.
 */
int tailf_offset(int fd, long n, off_t *off);

/*
 * tailf_open - the file at path, positioned at its last n lines; a
 * missing file is not an error (it is waited for, then read from its
 * start). NULL with a malloc'd *cause if the file cannot be read.
 */
struct tailf *tailf_open(const char *path, long n, char **cause);

/*
 * tailf_next - the next whole lines (a pointer into t, valid until the
 * next call; *len bytes ending in '\n'), or NULL when nothing more has
 * been written for now. Following rollovers happens here.
 */
const char *tailf_next(struct tailf *t, size_t *len);

/* tailf_rest - the unterminated text after the last whole line, if any (*len 0: none) */
const char *tailf_rest(struct tailf *t, size_t *len);

/* tailf_close - close and free */
void tailf_close(struct tailf *t);

#endif
