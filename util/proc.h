/*
 * proc.h - what /proc says of another process: is it still the one that
 * was seen before? A pid alone can be reused; the pid with its start
 * time (/proc/PID/stat field 22, clock ticks since boot) cannot.
 */
#ifndef UTIL_PROC_H
#define UTIL_PROC_H

#include <sys/types.h>

/* proc_start_time - the process's start time: 0, 1 no such process, -1 unreadable */
int proc_start_time(pid_t pid, unsigned long long *start);

/*
 * proc_alive - does the process that started at start (0: unknown)
 * still run as pid? An unreadable /proc counts as alive when kill(2)
 * finds the pid: a row of a live session is never dropped by mistake.
 */
int proc_alive(pid_t pid, unsigned long long start);

#endif
