/*
 * fsutil.h - small file-system helpers.
 */
#ifndef UTIL_FSUTIL_H
#define UTIL_FSUTIL_H

#include <sys/types.h>

/* fs_mkdirs - mkdir -p with the given mode for created directories */
int fs_mkdirs(const char *path, mode_t mode);

/* fs_read_file - read a whole file (up to max bytes) into a malloc'd string */
char *fs_read_file(const char *path, size_t max, size_t *len);

#endif
