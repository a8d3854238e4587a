/*
 * logset.c - list a log's files in time order.
 *
 * The order comes from the names alone (util/logfile.c stamps each rolled
 * file with the time it was rolled), so it survives copies and touches.
 * Names that merely start with the prefix are ignored unless they have
 * exactly the rolled shape.
 *
 * DIAGNOSTICS: -1 with a cause when the directory cannot be read.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/logset.h"
#include "util/str.h"

/* parse_rolled - PREFIX.@YYYYMMDDTHHMMSS[.NN].s: the time and NN, or -1 */
static int
parse_rolled(const char *name, const char *prefix, time_t *when, int *seq)
{
	size_t pl = strlen(prefix);
	const char *p = name + pl + 2;
	struct tm tm = { 0 };
	char *end;

	if (strncmp(name, prefix, pl) != 0 || strncmp(name + pl, ".@", 2) != 0)
		return -1;
	for (int i = 0; i < 15; i++)
		if (i == 8 ? p[i] != 'T' : !isdigit((unsigned char)p[i]))
			return -1;
	end = strptime(p, "%Y%m%dT%H%M%S", &tm);
	if (end != p + 15)
		return -1;
	*seq = 0;
	if (end[0] == '.' && isdigit((unsigned char)end[1]) && isdigit((unsigned char)end[2]) &&
	    end[3] == '.') {
		*seq = (end[1] - '0') * 10 + (end[2] - '0');
		end += 3;
	}
	if (strcmp(end, ".s") != 0)
		return -1;
	tm.tm_isdst = -1;
	*when = mktime(&tm);	/* util/logfile.c stamps in local time */
	return 0;
}

struct entry {
	struct logset_file f;
	int seq;
};

/* cmp - oldest first; the current file last */
static int
cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->f.current != y->f.current)
		return x->f.current - y->f.current;
	if (x->f.rolled != y->f.rolled)
		return x->f.rolled < y->f.rolled ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq - y->seq;
	return strcmp(x->f.name, y->f.name);
}

int
logset_list(const char *dir, const char *prefix, const char *pattern, struct logset *out,
    char **cause)
{
	int fd = fs_open_dir(dir, 0), dupfd = -1;
	DIR *d = NULL;
	struct dirent *e;
	struct entry *v = NULL;
	char *cur;
	int n = 0;

	out->n = 0;
	out->f = NULL;
	out->dirfd = -1;
	if (fd >= 0 && ((dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0 ||
			   (d = fdopendir(dupfd)) == NULL)) {
		int err = errno;

		if (dupfd >= 0)
			close(dupfd);
		close(fd);
		fd = -1;
		errno = err;
	}
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*cause = str_printf("cannot read %s: %s", dir, fs_strerror(errno));
		return -1;
	}
	cur = str_printf("%s.current", prefix);
	while ((e = readdir(d)) != NULL) {
		struct entry x = { 0 };

		if (strcmp(e->d_name, cur) == 0)
			x.f.current = 1;
		else if (parse_rolled(e->d_name, prefix, &x.f.rolled, &x.seq) < 0)
			continue;
		if (pattern == NULL ? !x.f.current : fnmatch(pattern, e->d_name, 0) != 0)
			continue;
		x.f.name = str_dup(e->d_name);
		x.f.path = str_printf("%s/%s", dir, e->d_name);
		v = xrealloc(v, sizeof(*v) * (size_t)(n + 1));
		v[n++] = x;
	}
	closedir(d);
	free(cur);
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), cmp);
	out->f = xcalloc((size_t)n + 1, sizeof(*out->f));
	for (int i = 0; i < n; i++)
		out->f[i] = v[i].f;
	out->n = n;
	out->dirfd = fd;
	free(v);
	return 0;
}

void
logset_free(struct logset *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->f[i].path);
		free(s->f[i].name);
	}
	free(s->f);
	s->f = NULL;
	s->n = 0;
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
}
