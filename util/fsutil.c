/*
 * fsutil.c - small file-system helpers, and safe opens in the data
 * directory (see fsutil.h for the rule).
 *
 * The walk decides, directory by directory, whether a symbolic link may
 * be followed: only where no one but root and we can change the
 * directory's entries. Such a link's target is walked by the same rule
 * (a root-made link to a directory of the daemon's account must not let
 * that account redirect what lies below it). From the first directory
 * another user can write, the rest of the path is opened in one openat2
 * with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS (Linux 5.6), or, where the
 * kernel or a seccomp filter lacks it, one O_NOFOLLOW open per component
 * with ".." refused.
 *
 * DIAGNOSTICS: -1 / NULL with errno set.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

	if (fd < 0)
		return NULL;
	return fs_read_fd(fd, max, len);
}

char *
fs_read_fd(int fd, size_t max, size_t *len)
{
	size_t n = 0, cap = 4096;
	char *p;
	ssize_t r;

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

/* Symbolic links followed in one walk at most (as the kernel's MAXSYMLINKS). */
#define FS_LINKS_MAX 40

/* trusted - can nobody but root and this user change what the directory holds? */
static int
trusted(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return 0;
	return (st.st_uid == 0 || st.st_uid == geteuid()) &&
	    (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/*
 * step - the directory NAME in fd, never through a symbolic link (ELOOP
 * if it is one); made with mode first if it is missing and mode is not 0
 */
static int
step(int fd, const char *name, mode_t mode)
{
	int nfd = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (nfd < 0 && errno == ENOENT && mode != 0) {
		if (mkdirat(fd, name, mode) < 0 && errno != EEXIST)
			return -1;
		nfd = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (nfd < 0 && errno == ENOTDIR && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		errno = ELOOP;	/* O_DIRECTORY | O_NOFOLLOW says ENOTDIR for a link */
	return nfd;
}

/* beneath - PATH below fd with no symbolic link and no way out; fd is consumed */
static int
beneath(int fd, const char *path, mode_t mode)
{
	struct open_how how = { 0 };
	char name[NAME_MAX + 1];
	int nfd;

	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	nfd = (int)syscall(SYS_openat2, fd, path, &how, sizeof(how));
	if (nfd >= 0 || (errno != ENOSYS && errno != EPERM && !(errno == ENOENT && mode != 0))) {
		int e = errno;

		close(fd);
		errno = e;
		return nfd;
	}
	/* no openat2 here, or directories to make: one component at a time */
	while (*path != '\0') {
		size_t n = strcspn(path, "/");

		if (n > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, path, n);
		name[n] = '\0';
		path += n + strspn(path + n, "/");
		if (n == 0 || strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			close(fd);
			errno = EXDEV;	/* as RESOLVE_BENEATH says it */
			return -1;
		}
		nfd = step(fd, name, mode);
		close(fd);
		if (nfd < 0)
			return -1;
		fd = nfd;
	}
	return fd;
}

/* walk - PATH from fd (consumed) by the rule of fsutil.h; *links counts the links followed */
static int
walk(int fd, const char *path, mode_t mode, int *links)
{
	char name[NAME_MAX + 1], target[PATH_MAX];
	struct stat st;
	int nfd, e;

	while (fd >= 0 && *path != '\0') {
		size_t n = strcspn(path, "/");
		const char *rest = path + n + strspn(path + n, "/");
		ssize_t len;

		if (n == 0 || (n == 1 && path[0] == '.')) {
			path = rest;
			continue;
		}
		if (!trusted(fd))
			return beneath(fd, path, mode);
		if (n > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, path, n);
		name[n] = '\0';
		path = rest;
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode)) {
			nfd = step(fd, name, mode);
		} else if ((len = readlinkat(fd, name, target, sizeof(target))) < 0) {
			nfd = -1;
		} else if ((size_t)len >= sizeof(target) || ++*links > FS_LINKS_MAX) {
			errno = (size_t)len >= sizeof(target) ? ENAMETOOLONG : ELOOP;
			nfd = -1;
		} else {
			/* a link in a directory only root or we can change: its target, by the same rule */
			target[len] = '\0';
			nfd = target[0] == '/' ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC) :
						 openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
			nfd = walk(nfd, target, mode, links);
		}
		e = errno;
		close(fd);
		errno = e;
		fd = nfd;
	}
	return fd;
}

int
fs_open_dir(const char *path, mode_t mode)
{
	int fd, links = 0, rd;

	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	fd = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if ((fd = walk(fd, path, mode, &links)) < 0)
		return -1;
	rd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return rd;
}

int
fs_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	int writing = (flags & O_ACCMODE) != O_RDONLY, fd, e, fl;
	struct stat st;

	if (*name == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	/* O_NONBLOCK: a FIFO planted under the name must not hang us */
	fd = openat(dirfd, name, (flags & ~O_TRUNC) | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = ENXIO;
	else if (writing && st.st_uid != geteuid())
		e = EPERM;
	else if (writing && st.st_nlink != 1)
		e = EMLINK;
	else if (writing && (flags & O_TRUNC) && ftruncate(fd, 0) < 0)
		e = errno;
	else if (!(flags & O_NONBLOCK) && ((fl = fcntl(fd, F_GETFL)) < 0 ||
						fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
		e = errno;
	else
		return fd;
	close(fd);
	errno = e;
	return -1;
}

int
fs_open(const char *path, int flags, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int dfd, fd, e;

	if (slash == NULL)
		str_copy(dir, ".", sizeof(dir));
	else if (slash == path)
		str_copy(dir, "/", sizeof(dir));
	else if ((size_t)(slash - path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	if ((dfd = fs_open_dir(dir, 0)) < 0)
		return -1;
	fd = fs_openat(dfd, slash ? slash + 1 : path, flags, mode);
	e = errno;
	close(dfd);
	errno = e;
	return fd;
}

const char *
fs_strerror(int err)
{
	switch (err) {
	case ELOOP:
		return "a symbolic link is in the way (not followed)";
	case ENXIO:
		return "not a regular file";
	case EPERM:
		return "the file belongs to another user";
	case EMLINK:
		return "the file has other hard links";
	case EXDEV:
		return "the path leads out of its directory";
	default:
		return strerror(err);
	}
}
