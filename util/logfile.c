/*
 * logfile.c - append-only log files in the AsyncOS text format.
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
#include "util/str.h"
#include "util/timefmt.h"

/* A line longer than this is cut: one log line must stay one line. */
#define LOGFILE_LINE_MAX 8192

struct logfile {
	char *path;			/* DIR/NAME.current */
	int fd;				/* O_APPEND descriptor */
	enum logfile_level level;	/* highest level written */
};

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

struct logfile *
logfile_open(const char *dir, const char *name, char **cause)
{
	struct logfile *lf;

	if (fs_mkdirs(dir, 0700) < 0) {
		*cause = str_printf("cannot create %s: %s", dir, strerror(errno));
		return NULL;
	}
	lf = xcalloc(1, sizeof(*lf));
	lf->path = str_printf("%s/%s.current", dir, name);
	lf->level = LOGFILE_INFO;
	lf->fd = open(lf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (lf->fd < 0) {
		*cause = str_printf("cannot open %s: %s", lf->path, strerror(errno));
		free(lf->path);
		free(lf);
		return NULL;
	}
	return lf;
}

void
logfile_close(struct logfile *lf)
{
	if (lf == NULL)
		return;
	close(lf->fd);
	free(lf->path);
	free(lf);
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
	int fd = open(lf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	close(lf->fd);
	lf->fd = fd;
	return 0;
}

int
logfile_vwrite(struct logfile *lf, enum logfile_level level, const char *fmt, va_list ap)
{
	char line[LOGFILE_LINE_MAX], stamp[64];
	size_t n;
	int m;

	if (lf == NULL || level > lf->level)
		return 0;
	timefmt_ctime(time(NULL), stamp, sizeof(stamp));
	m = snprintf(line, sizeof(line), "%s %s: ", stamp, logfile_level_name(level));
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
	return write(lf->fd, line, n) == (ssize_t)n ? 0 : -1;
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
