/*
 * tailf.c - the last lines of a file, then what is appended to it, across
 * rollovers.
 *
 * Memory is bounded by one line buffer (TAILF_LINE_MAX) whatever the file
 * size or the number of lines asked for: the last n lines are located by
 * a backward scan that only counts newlines, then streamed forwards.
 *
 * The file is opened relative to its directory, which is opened without
 * following a symbolic link below the data directory (util/fsutil.h), and
 * only as a regular file reached through no link: a root shell must not
 * print a root-only file that the daemon's account linked into a log
 * directory (issue 9).
 *
 * DIAGNOSTICS: tailf_open returns NULL with a cause when the file exists
 * but cannot be opened or read; later read errors end the lines (NULL)
 * and the file is tried again at the next call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/str.h"
#include "util/tailf.h"

/* Bytes read per step of the backward scan. */
#define TAILF_BLOCK 65536

struct tailf {
	char *path;		/* the path followed */
	char *dir, *name;	/* its directory and its name there */
	int dirfd;		/* the directory, -1 until it exists */
	int fd;			/* the file being read, -1 while it does not exist */
	dev_t dev;		/* identity of the open file */
	ino_t ino;
	char *buf;		/* TAILF_LINE_MAX bytes: lines read, not yet returned */
	size_t n;		/* bytes in buf */
	size_t used;		/* bytes of buf returned by the last tailf_next */
	long long last_data;	/* ms: when the open file last grew */
	long long rolled;	/* ms: when another file was first seen at path; 0: none */
};

/* now_ms - a monotonic clock in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* tailf_offset - backwards from the end, counting newlines */
int
tailf_offset(int fd, long n, off_t *off)
{
	struct stat sb;
	char *blk, last;
	off_t pos;
	long need, found = 0;

	if (fstat(fd, &sb) < 0)
		return -1;
	if (sb.st_size == 0) {
		*off = 0;
		return 0;
	}
	if (pread(fd, &last, 1, sb.st_size - 1) != 1)
		return -1;
	/*
	 * The k-th newline from the end (not counting a final one) starts the
	 * last k lines. Ending with a newline, n lines need n of them (n 0:
	 * the end); ending with a partial line, that line is the first.
	 */
	if (last == '\n') {
		need = n;
		pos = sb.st_size - 1;
	} else {
		need = n > 0 ? n : 1;
		pos = sb.st_size;
	}
	if (need == 0) {
		*off = sb.st_size;
		return 0;
	}
	blk = xmalloc(TAILF_BLOCK);
	while (pos > 0) {
		size_t len = pos > TAILF_BLOCK ? TAILF_BLOCK : (size_t)pos;
		ssize_t r = pread(fd, blk, len, pos - (off_t)len);

		if (r != (ssize_t)len) {
			free(blk);
			if (r >= 0)
				errno = EIO;	/* shrank under us */
			return -1;
		}
		for (size_t i = len; i-- > 0;)
			if (blk[i] == '\n' && ++found == need) {
				*off = pos - (off_t)len + (off_t)i + 1;
				free(blk);
				return 0;
			}
		pos -= (off_t)len;
	}
	free(blk);
	*off = 0;
	return 0;
}

/* open_path - open t->path for reading and remember which file it is; 0 or -1 */
static int
open_path(struct tailf *t)
{
	struct stat sb;
	int fd;

	if (t->dirfd < 0 && (t->dirfd = fs_open_dir(t->dir, 0)) < 0)
		return -1;
	if ((fd = fs_openat(t->dirfd, t->name, O_RDONLY | O_CLOEXEC, 0)) < 0)
		return -1;
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return -1;
	}
	t->fd = fd;
	t->dev = sb.st_dev;
	t->ino = sb.st_ino;
	t->last_data = now_ms();
	t->rolled = 0;
	return 0;
}

/* tailf_open - at the last n lines of path, or waiting for it */
struct tailf *
tailf_open(const char *path, long n, char **cause)
{
	struct tailf *t = xcalloc(1, sizeof(*t));
	const char *slash = strrchr(path, '/');
	off_t off;

	t->path = str_dup(path);
	if (slash == NULL) {
		t->dir = str_dup(".");
		t->name = str_dup(path);
	} else {
		t->dir = slash == path ? str_dup("/") : str_printf("%.*s", (int)(slash - path), path);
		t->name = str_dup(slash + 1);
	}
	t->dirfd = -1;
	t->fd = -1;
	t->buf = xmalloc(TAILF_LINE_MAX);
	if (open_path(t) < 0) {
		if (errno == ENOENT)
			return t;
		*cause = str_printf("cannot open %s: %s", path, fs_strerror(errno));
		tailf_close(t);
		return NULL;
	}
	if (tailf_offset(t->fd, n, &off) < 0 || lseek(t->fd, off, SEEK_SET) < 0) {
		*cause = str_printf("cannot read %s: %s", path, strerror(errno));
		tailf_close(t);
		return NULL;
	}
	return t;
}

/* at_end - the open file has no more for now: truncated? rolled over? */
static void
at_end(struct tailf *t)
{
	struct stat cur, sb;
	long long now = now_ms();
	off_t pos = lseek(t->fd, 0, SEEK_CUR);

	if (fstat(t->fd, &cur) == 0 && pos > cur.st_size) {
		/* truncated in place: start again */
		lseek(t->fd, 0, SEEK_SET);
		t->n = 0;
		return;
	}
	if (fstatat(t->dirfd, t->name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && sb.st_dev == t->dev &&
	    sb.st_ino == t->ino) {
		t->rolled = 0;
		return;
	}
	/* another file (or none) at path: this one was rolled over */
	if (t->rolled == 0)
		t->rolled = now;
	if (now - t->rolled < TAILF_GRACE_MS || now - t->last_data < TAILF_GRACE_MS)
		return;	/* its writer may not have noticed yet */
	close(t->fd);
	t->fd = -1;
	t->rolled = 0;
}

/* fill - read until buf holds a newline or is full; 1 if so, 0 at the end for now */
static int
fill(struct tailf *t)
{
	for (;;) {
		ssize_t r;

		if (t->fd < 0 && open_path(t) < 0)
			return 0;
		if (t->n == TAILF_LINE_MAX)
			return 1;
		r = read(t->fd, t->buf + t->n, TAILF_LINE_MAX - t->n);
		if (r < 0) {
			if (errno == EINTR)
				return 0;
			close(t->fd);
			t->fd = -1;
			return 0;
		}
		if (r == 0) {
			at_end(t);
			if (t->fd >= 0)
				return 0;
			/* rolled: what is left of its last line ends with the file */
			if (t->n > 0) {
				if (t->n < TAILF_LINE_MAX)
					t->buf[t->n++] = '\n';
				return 1;
			}
			continue;	/* the new file, from its start */
		}
		t->last_data = now_ms();
		if (memchr(t->buf + t->n, '\n', (size_t)r) != NULL) {
			t->n += (size_t)r;
			return 1;
		}
		t->n += (size_t)r;
	}
}

/* tailf_next - whole lines, or NULL for now */
const char *
tailf_next(struct tailf *t, size_t *len)
{
	char *nl;

	if (t->used > 0) {
		memmove(t->buf, t->buf + t->used, t->n - t->used);
		t->n -= t->used;
		t->used = 0;
	}
	if (t->n == 0 || memchr(t->buf, '\n', t->n) == NULL) {
		if (!fill(t))
			return NULL;
	}
	nl = memrchr(t->buf, '\n', t->n);
	if (nl != NULL)
		t->used = (size_t)(nl - t->buf) + 1;
	else
		t->used = t->n;	/* a line too long, or the end of a rolled file */
	*len = t->used;
	return t->buf;
}

/* tailf_rest - the text after the last whole line */
const char *
tailf_rest(struct tailf *t, size_t *len)
{
	*len = t->n - t->used;
	return t->buf + t->used;
}

/* tailf_close - release */
void
tailf_close(struct tailf *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->buf);
	free(t->path);
	free(t->dir);
	free(t->name);
	free(t);
}
