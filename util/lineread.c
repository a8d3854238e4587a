/*
 * lineread.c - chunked line reading over a byte range of a file.
 *
 * pread(2) in 1 MB chunks: no mmap, so a file truncated or removed under
 * us gives a short read, never SIGBUS. A short read ends the range early.
 *
 * DIAGNOSTICS: -1 with errno from pread(2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/lineread.h"
#include "util/str.h"

#define CHUNK (1024 * 1024)

/* lineread_init - read the lines of fd from start to end */
void
lineread_init(struct lineread *r, int fd, long long start, long long end)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->pos = start;
	r->end = end;
	r->cap = CHUNK;
	r->buf = xmalloc(r->cap);
}

/* lineread_free - release the chunk */
void
lineread_free(struct lineread *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* fill - keep buf[at, len), read what fits after it; 0 at end of range, -1 on error */
static int
fill(struct lineread *r)
{
	long long want;
	ssize_t n;

	if (r->at > 0) {
		memmove(r->buf, r->buf + r->at, r->len - r->at);
		r->pos += (long long)r->at;
		r->len -= r->at;
		r->at = 0;
	}
	want = r->end - (r->pos + (long long)r->len);
	if (want <= 0)
		return 0;
	if (want > (long long)(r->cap - r->len))
		want = (long long)(r->cap - r->len);
	do
		n = pread(r->fd, r->buf + r->len, (size_t)want, r->pos + (long long)r->len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->err = errno;
		return -1;
	}
	if (n == 0) {
		r->end = r->pos + (long long)r->len;	/* the file is shorter than we were told */
		return 0;
	}
	r->len += (size_t)n;
	return 1;
}

/* skip_rest - drop the rest of a cut line, through its newline */
static int
skip_rest(struct lineread *r)
{
	for (;;) {
		char *nl = memchr(r->buf + r->at, '\n', r->len - r->at);
		int f;

		if (nl) {
			r->at = (size_t)(nl - r->buf) + 1;
			return 0;
		}
		r->at = r->len;
		if ((f = fill(r)) <= 0)
			return f;
	}
}

/* lineread_next - the next line and its offset */
int
lineread_next(struct lineread *r, const char **line, size_t *len, long long *off, int *complete)
{
	size_t scanned = 0;

	if (r->skip) {
		r->skip = 0;
		if (skip_rest(r) < 0)
			return -1;
	}
	for (;;) {
		char *s = r->buf + r->at, *nl;
		size_t avail = r->len - r->at;
		int f;

		nl = scanned < avail ? memchr(s + scanned, '\n', avail - scanned) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - s);

			*line = s;
			*off = r->pos + (long long)r->at;
			*complete = 1;
			*len = n > LINEREAD_MAX ? LINEREAD_MAX : n;
			r->at += n + 1;
			return 1;
		}
		scanned = avail;
		if (avail >= LINEREAD_MAX) {
			/* longer than the limit: cut; the rest is dropped on the next call */
			*line = s;
			*len = LINEREAD_MAX;
			*off = r->pos + (long long)r->at;
			*complete = 1;
			r->at += LINEREAD_MAX;
			r->skip = 1;
			return 1;
		}
		/* fill moves buf[at, len) to the front: scanned stays right */
		if ((f = fill(r)) < 0)
			return -1;
		if (f == 0) {
			s = r->buf + r->at;
			avail = r->len - r->at;
			if (avail == 0)
				return 0;
			/* the last line has no newline (yet): it is all there is */
			*line = s;
			*len = avail;
			*off = r->pos + (long long)r->at;
			*complete = 0;
			r->at = r->len;
			return 1;
		}
	}
}

/* pread_full - read up to n bytes at off, retrying short reads; bytes read or -1 */
static ssize_t
pread_full(int fd, char *buf, size_t n, long long off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got, off + (long long)got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* lineread_at - the one line at an offset */
int
lineread_at(int fd, long long off, long long end, char *buf, size_t cap, size_t *len,
    char *prev)
{
	size_t want = 1024;
	long long from = off > 0 && prev ? off - 1 : off;
	size_t skip = (size_t)(off - from);

	if (cap > LINEREAD_MAX + 1)
		cap = LINEREAD_MAX + 1;
	for (;;) {
		ssize_t n;
		char *nl;
		size_t avail;

		if (want > cap)
			want = cap;
		if ((long long)want > end - from)
			want = (size_t)(end - from);
		n = pread_full(fd, buf, want, from);
		if (n < 0)
			return -1;
		if (prev)
			*prev = off == 0 ? '\n' : (n > 0 ? buf[0] : 0);
		avail = (size_t)n > skip ? (size_t)n - skip : 0;
		nl = memchr(buf + skip, '\n', avail);
		if (nl || (size_t)n < want || want >= cap || from + (long long)n >= end) {
			size_t l = nl ? (size_t)(nl - (buf + skip)) : avail;

			if (l > LINEREAD_MAX)
				l = LINEREAD_MAX;
			memmove(buf, buf + skip, l);
			*len = l;
			return 0;
		}
		want *= 8;
	}
}
