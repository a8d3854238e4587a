/*
 * logfile.h - append-only log files in the AsyncOS text format.
 *
 * A line is "Sun Nov 22 10:15:02 2026 Info: message". Each line is written
 * with one write(2) on an O_APPEND descriptor, so several processes (the
 * shell and the daemon) can share a file without interleaving; a line that
 * a full disk cuts short is cut off again, so a file ends with a whole line.
 */
#ifndef UTIL_LOGFILE_H
#define UTIL_LOGFILE_H

#include <stdarg.h>

enum logfile_level {
	LOGFILE_CRITICAL = 0,
	LOGFILE_WARNING,
	LOGFILE_INFO,
	LOGFILE_DEBUG,
	LOGFILE_TRACE,
};

struct logfile;

/*
 * logfile_open - open DIR/NAME.current for appending, creating DIR (0700).
 * No symbolic link below the data directory is followed (util/fsutil.h)
 * and the file must be a regular file of the caller's with one link: NULL
 * with a cause otherwise. Nothing changes the file's owner.
 */
struct logfile *logfile_open(const char *dir, const char *name, char **cause);

/* logfile_close - close and free */
void logfile_close(struct logfile *lf);

/* logfile_set_level - lines above this level are not written */
void logfile_set_level(struct logfile *lf, enum logfile_level level);

/* logfile_write - append one formatted line; returns 0 or -1 */
int logfile_write(struct logfile *lf, enum logfile_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* logfile_vwrite - va_list form */
int logfile_vwrite(struct logfile *lf, enum logfile_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* logfile_reopen - reopen the current file (after rotation by another process) */
int logfile_reopen(struct logfile *lf);

/*
 * logfile_set_rollover - roll the current file over when it passes
 * max_bytes or max_age seconds (0: no limit), keeping at most keep rolled
 * files (0: keep all). Rolled files are NAME.@YYYYMMDDTHHMMSS.s beside it.
 */
void logfile_set_rollover(struct logfile *lf, long long max_bytes, long long max_age, int keep);

/* logfile_rollover - roll over now; returns 0 or -1 */
int logfile_rollover(struct logfile *lf);

/*
 * logfile_defer - from now on Info lines and below wait in memory until
 * logfile_flush_all; pending(arg) is called when a first line waits (a
 * daemon's loop then flushes at the end of its turn). NULL: every line
 * is written at once again (what waits is written first).
 */
void logfile_defer(void (*pending)(void *), void *arg);

/* logfile_flush_all - write the lines that wait, in every file */
void logfile_flush_all(void);

/* logfile_level_name - "Info" etc. */
const char *logfile_level_name(enum logfile_level level);

/* logfile_path - the path of the current file */
const char *logfile_path(const struct logfile *lf);

#endif
