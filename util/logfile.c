/*
 * logfile.c - append-only log files in the AsyncOS text format.
 *
 * A daemon may defer the writing (logfile_defer): Info lines and below
 * then wait in memory until its loop has run the callbacks of one turn
 * and calls logfile_flush_all, so a turn costs one write per file
 * instead of one per line (issue 8, speed: a relayed message made
 * fifteen lines, each a system call). Warnings and worse are written at
 * once, after what waits; so is everything before a rollover, a reopen
 * or a close. A crash loses at most the lines of the turn it happens in.
 *
 * The log directory is opened once, without following a symbolic link
 * below the data directory (util/fsutil.h), and the files are opened,
 * renamed and removed relative to it; the current file is never reached
 * through a link, and is written only if it is a regular file of our own
 * with no other hard link (issue 9: a link planted by the daemon's
 * account made a root start append to, and hand over, a root-only file).
 * Nothing here changes a file's owner.
 *
 * A full disk may take part of a write: the piece of a line it took is
 * cut off again (write_lines), so the file always ends with a whole line
 * and the next line written starts on its own.
 *
 * DIAGNOSTICS: open failures return NULL with a malloc'd cause; a failed
 * write returns -1 and is otherwise ignored (logging must never stop mail).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/fsutil.h"
#include "util/logfile.h"
#include "util/logset.h"
#include "util/str.h"
#include "util/timefmt.h"

/* A line longer than this is cut: one log line must stay one line. */
#define LOGFILE_LINE_MAX 8192
/* Deferred lines held per file before they are written anyway. */
#define LOGFILE_PENDING_MAX 65536

struct logfile {
	char *path;			/* DIR/NAME.current */
	char *dir, *name;		/* where rolled files go, and their prefix */
	char *cur;			/* NAME.current */
	int dirfd;			/* DIR, opened safely: every name is relative to it */
	int fd;				/* O_APPEND descriptor */
	enum logfile_level level;	/* highest level written */
	long long max_bytes;		/* roll over past this size (0: never) */
	long long max_age;		/* roll over past this age in seconds (0: never) */
	int keep;			/* rolled files kept (0: all) */
	time_t opened;			/* when the current file was started */
	time_t checked;			/* last check for rotation by another process */
	long long size;			/* bytes in the current file (as we know it) */
	time_t stamp_t;			/* the second stamp[] shows */
	char stamp[64];			/* line time stamp, made once a second */
	char *pend;			/* deferred lines not yet written */
	size_t npend;			/* bytes in pend (capacity LOGFILE_PENDING_MAX) */
	struct logfile *next_dirty;	/* in the list of files with deferred lines */
	int dirty;			/* on that list */
};

/* Deferred writing (logfile_defer): the daemon's hook and the files waiting. */
static void (*defer_pending)(void *);
static void *defer_arg;
static struct logfile *dirty_files;

/*
 * cut_partial - a write that the disk cut short ended in the middle of a
 * line: cut the file back to the end of the last whole line. buf holds
 * whole lines; its first done bytes were written, the last write taking
 * last of them. The cut is made only if the piece is ours alone (written
 * by that last write) and nothing has been appended after it since.
 */
static void
cut_partial(struct logfile *lf, const char *buf, size_t done, size_t last)
{
	const char *nl = memrchr(buf, '\n', done);
	size_t piece = done - (nl ? (size_t)(nl - buf) + 1 : 0);
	struct stat sb;
	off_t end;

	if (piece == 0 || piece > last)
		return;
	/* O_APPEND: the offset is where our last write ended */
	end = lseek(lf->fd, 0, SEEK_CUR);
	if (end < (off_t)piece || fstat(lf->fd, &sb) < 0 || sb.st_size != end)
		return;
	if (ftruncate(lf->fd, end - (off_t)piece) < 0)
		return;	/* nothing better to do: the next line still starts anew */
}

/*
 * write_lines - append n bytes of whole lines; the bytes written, a cut
 * line not counted (a full disk: the rest is lost, mail goes on)
 */
static size_t
write_lines(struct logfile *lf, const char *buf, size_t n)
{
	size_t done = 0, last = 0;

	while (done < n) {
		ssize_t w = write(lf->fd, buf + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
		last = (size_t)w;
	}
	if (done < n && done > 0) {
		const char *nl = memrchr(buf, '\n', done);

		cut_partial(lf, buf, done, last);
		done = nl ? (size_t)(nl - buf) + 1 : 0;
	}
	return done;
}

/* flush - write what waits for this file */
static void
flush(struct logfile *lf)
{
	if (lf->npend > 0)
		write_lines(lf, lf->pend, lf->npend);
	lf->npend = 0;
}

/* undirty - off the list of files with deferred lines */
static void
undirty(struct logfile *lf)
{
	struct logfile **p;

	if (!lf->dirty)
		return;
	for (p = &dirty_files; *p; p = &(*p)->next_dirty)
		if (*p == lf) {
			*p = lf->next_dirty;
			break;
		}
	lf->dirty = 0;
	lf->next_dirty = NULL;
}

void
logfile_flush_all(void)
{
	while (dirty_files) {
		struct logfile *lf = dirty_files;

		dirty_files = lf->next_dirty;
		lf->next_dirty = NULL;
		lf->dirty = 0;
		flush(lf);
	}
}

void
logfile_defer(void (*pending)(void *), void *arg)
{
	logfile_flush_all();
	defer_pending = pending;
	defer_arg = arg;
}

static const char *const level_names[] = {
	"Critical", "Warning", "Info", "Debug", "Trace",
};

const char *
logfile_level_name(enum logfile_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "Info";
	return level_names[level];
}

/* open_current - the current file, relative to the directory; -1 with errno */
static int
open_current(const struct logfile *lf)
{
	return fs_openat(lf->dirfd, lf->cur, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

/* same_file - does the name NAME.current still lead to the file we write? */
static int
same_file(const struct logfile *lf)
{
	struct stat a, b;

	return fstatat(lf->dirfd, lf->cur, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
	    fstat(lf->fd, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

struct logfile *
logfile_open(const char *dir, const char *name, char **cause)
{
	struct logfile *lf;
	int dirfd = fs_open_dir(dir, 0700);

	if (dirfd < 0) {
		*cause = str_printf("cannot open %s: %s", dir, fs_strerror(errno));
		return NULL;
	}
	lf = xcalloc(1, sizeof(*lf));
	lf->path = str_printf("%s/%s.current", dir, name);
	lf->dir = str_dup(dir);
	lf->name = str_dup(name);
	lf->cur = str_printf("%s.current", name);
	lf->dirfd = dirfd;
	lf->level = LOGFILE_INFO;
	lf->opened = time(NULL);
	lf->fd = open_current(lf);
	if (lf->fd < 0) {
		*cause = str_printf("cannot open %s: %s", lf->path, fs_strerror(errno));
		close(lf->dirfd);
		free(lf->path);
		free(lf->dir);
		free(lf->name);
		free(lf->cur);
		free(lf);
		return NULL;
	}
	{
		struct stat sb;

		if (fstat(lf->fd, &sb) == 0) {
			lf->size = (long long)sb.st_size;
			if (sb.st_size > 0)
				lf->opened = sb.st_mtime < sb.st_ctime ? sb.st_mtime : sb.st_ctime;
		}
	}
	return lf;
}

void
logfile_close(struct logfile *lf)
{
	if (lf == NULL)
		return;
	flush(lf);
	undirty(lf);
	free(lf->pend);
	close(lf->fd);
	close(lf->dirfd);
	free(lf->path);
	free(lf->dir);
	free(lf->name);
	free(lf->cur);
	free(lf);
}

void
logfile_set_rollover(struct logfile *lf, long long max_bytes, long long max_age, int keep)
{
	lf->max_bytes = max_bytes;
	lf->max_age = max_age;
	lf->keep = keep;
}

/* prune - remove the oldest rolled files beyond lf->keep */
static void
prune(struct logfile *lf)
{
	struct logset set;
	char *cause = NULL;
	int rolled;

	if (lf->keep <= 0 || logset_list(lf->dir, lf->name, "*", &set, &cause) < 0) {
		free(cause);
		return;
	}
	rolled = set.n > 0 && set.f[set.n - 1].current ? set.n - 1 : set.n;
	for (int i = 0; i < rolled - lf->keep; i++)	/* oldest first */
		unlinkat(set.dirfd, set.f[i].name, 0);
	logset_free(&set);
}

/*
 * follow_rename - if another process rolled the file over (the path now
 * names another file), start writing the new one; 1 if so, 0 if the path
 * is still ours. Rolling by the path without this check would rename the
 * other process's fresh file (a rollovernow racing the daemon's own size
 * rollover left empty rolled files that pushed real ones out of keep).
 */
static int
follow_rename(struct logfile *lf)
{
	struct stat b;

	if (same_file(lf))
		return 0;
	if (logfile_reopen(lf) == 0 && fstat(lf->fd, &b) == 0)
		lf->size = (long long)b.st_size;
	else
		lf->size = 0;
	lf->opened = time(NULL);
	lf->checked = lf->opened;
	return 1;
}

int
logfile_rollover(struct logfile *lf)
{
	char stamp[32], *rolled;
	struct stat sb;
	time_t now = time(NULL);
	int r = -1;

	flush(lf);	/* deferred lines belong to the file being rolled */
	follow_rename(lf);	/* then roll what the path names now */
	if (fstat(lf->fd, &sb) == 0 && sb.st_size == 0)
		return 0;	/* nothing to roll */
	timefmt_stamp(now, stamp, sizeof(stamp));
	/* a name not taken yet: rolled files are never overwritten */
	for (int i = 0; i < 100 && r < 0; i++) {
		rolled = i == 0 ? str_printf("%s.@%s.s", lf->name, stamp) :
				  str_printf("%s.@%s.%02d.s", lf->name, stamp, i);
		r = renameat2(lf->dirfd, lf->cur, lf->dirfd, rolled, RENAME_NOREPLACE);
		if (r < 0 && errno == EINVAL &&
		    fstatat(lf->dirfd, rolled, &sb, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			r = renameat(lf->dirfd, lf->cur, lf->dirfd, rolled);	/* no RENAME_NOREPLACE here */
		free(rolled);
		if (r < 0 && errno != EEXIST && errno != EINVAL)
			return -1;
	}
	if (r < 0)
		return -1;
	if (logfile_reopen(lf) < 0)
		return -1;
	lf->size = 0;
	lf->opened = now;
	prune(lf);
	return 0;
}

/* maybe_roll - size/age limits, and a rotation done by another process */
static void
maybe_roll(struct logfile *lf, size_t adding)
{
	time_t now = time(NULL);

	if (now != lf->checked) {
		struct stat b;

		/* another process may have rolled the file: follow it */
		lf->checked = now;
		if (!same_file(lf) || fstat(lf->fd, &b) < 0) {
			logfile_reopen(lf);
			lf->opened = now;
			lf->size = 0;
		} else {
			lf->size = (long long)b.st_size;
		}
	}
	if ((lf->max_bytes > 0 && lf->size + (long long)adding > lf->max_bytes && lf->size > 0) ||
	    (lf->max_age > 0 && now - lf->opened >= lf->max_age && lf->size > 0)) {
		/* what we counted may be the file another process just rolled */
		if (follow_rename(lf) == 0)
			logfile_rollover(lf);
	}
}

void
logfile_set_level(struct logfile *lf, enum logfile_level level)
{
	lf->level = level;
}

const char *
logfile_path(const struct logfile *lf)
{
	return lf->path;
}

int
logfile_reopen(struct logfile *lf)
{
	int fd;

	flush(lf);	/* to the file they were meant for */
	fd = open_current(lf);
	if (fd < 0)
		return -1;	/* keep writing the file we have */
	close(lf->fd);
	lf->fd = fd;
	return 0;
}

int
logfile_vwrite(struct logfile *lf, enum logfile_level level, const char *fmt, va_list ap)
{
	char line[LOGFILE_LINE_MAX];
	time_t now;
	size_t n;
	int m;

	if (lf == NULL || level > lf->level)
		return 0;
	now = time(NULL);
	if (now != lf->stamp_t || lf->stamp[0] == '\0') {
		timefmt_ctime(now, lf->stamp, sizeof(lf->stamp));	/* localtime once a second */
		lf->stamp_t = now;
	}
	m = snprintf(line, sizeof(line), "%s %s: ", lf->stamp, logfile_level_name(level));
	if (m < 0)
		return -1;
	n = (size_t)m;
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		return -1;
	n += (size_t)m;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* newlines inside a message would forge log lines: flatten them */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	maybe_roll(lf, n);
	if (defer_pending && level >= LOGFILE_INFO) {
		if (lf->npend + n > LOGFILE_PENDING_MAX)
			flush(lf);
		if (lf->pend == NULL)
			lf->pend = xmalloc(LOGFILE_PENDING_MAX);
		memcpy(lf->pend + lf->npend, line, n);
		lf->npend += n;
		lf->size += (long long)n;
		if (!lf->dirty) {
			int first = dirty_files == NULL;

			lf->dirty = 1;
			lf->next_dirty = dirty_files;
			dirty_files = lf;
			if (first)
				defer_pending(defer_arg);
		}
		return 0;
	}
	flush(lf);	/* in order: what waits first */
	if (write_lines(lf, line, n) != n)
		return -1;
	lf->size += (long long)n;
	return 0;
}

int
logfile_write(struct logfile *lf, enum logfile_level level, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = logfile_vwrite(lf, level, fmt, ap);
	va_end(ap);
	return r;
}
