/*
 * fsutil.c - small file-system helpers.
 *
 * DIAGNOSTICS: -1 / NULL with errno set.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/str.h"

int
fs_mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	struct stat st;

	if (str_copy(tmp, path, sizeof(tmp)) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -1;
	if (stat(tmp, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

char *
fs_read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0, cap = 4096;
	char *p;
	ssize_t r;

	if (fd < 0)
		return NULL;
	p = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= max + 1) {
				close(fd);
				free(p);
				errno = EFBIG;
				return NULL;
			}
			cap *= 2;
			if (cap > max + 1)
				cap = max + 1;
			p = xrealloc(p, cap);
		}
		r = read(fd, p + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			free(p);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}
