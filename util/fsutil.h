/*
 * fsutil.h - small file-system helpers, and safe opens in the data
 * directory.
 *
 * The directories below the data directory belong to the daemon's
 * account, so whatever they hold may have been put there by that account
 * (or by whoever took it over): a symbolic link to a root-only file, a
 * hard link to one, a FIFO. fs_open_dir and fs_open therefore follow a
 * symbolic link only inside a directory that nobody but root and the
 * caller can change (the operator's own path to the data directory,
 * -D /var/lib/mxgate); from the first directory anyone else can write,
 * none is followed (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, else
 * one O_NOFOLLOW open per component), and the file itself never is
 * (fs_openat). Work then goes on relative to the directory descriptor.
 */
#ifndef UTIL_FSUTIL_H
#define UTIL_FSUTIL_H

#include <sys/types.h>

/* fs_mkdirs - mkdir -p with the given mode for created directories */
int fs_mkdirs(const char *path, mode_t mode);

/* fs_read_file - read a whole file (up to max bytes) into a malloc'd string */
char *fs_read_file(const char *path, size_t max, size_t *len);

/* fs_read_fd - the same from an open descriptor, which it closes */
char *fs_read_fd(int fd, size_t max, size_t *len);

/*
 * fs_open_dir - the directory PATH, open for reading and for the *at
 * calls, its components followed as above; mode not 0: what is missing
 * is created with it (mkdir -p). -1 with errno (ELOOP: a symbolic link
 * that is not followed, EXDEV: ".." where it is not allowed).
 */
int fs_open_dir(const char *path, mode_t mode);

/*
 * fs_openat - NAME, one component, in the directory dirfd: never through
 * a symbolic link, never left blocking on a FIFO, and only a regular
 * file. Opened for writing it must also belong to the caller and have no
 * other hard link; O_TRUNC truncates only after these checks. -1 with
 * errno: ELOOP a symbolic link, ENXIO not a regular file, EPERM another
 * user's file, EMLINK other hard links, or the open's own error.
 */
int fs_openat(int dirfd, const char *name, int flags, mode_t mode);

/* fs_open - fs_openat in PATH's directory (opened by fs_open_dir, not created) */
int fs_open(const char *path, int flags, mode_t mode);

/* fs_strerror - strerror, with the refusals of the functions above worded for operators */
const char *fs_strerror(int err);

#endif
