/*
 * proc.c - see proc.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util/proc.h"
#include "util/str.h"

int
proc_start_time(pid_t pid, unsigned long long *start)
{
	char path[64], buf[1024], num[32], *p;
	ssize_t n;
	size_t k;
	int fd;

	str_fmt(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ESRCH ? 1 : -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* the command name (field 2) may hold blanks and ')': fields go on after the last ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (int field = 3;; field++) {
		p += strspn(p, " ");
		k = strcspn(p, " \n");
		if (k == 0)
			return -1;
		if (field == 22)
			break;
		p += k;
	}
	if (k >= sizeof(num))
		return -1;
	memcpy(num, p, k);
	num[k] = '\0';
	return str_to_ullong(num, start) < 0 ? -1 : 0;
}

int
proc_alive(pid_t pid, unsigned long long start)
{
	unsigned long long now;
	int r;

	if (pid <= 0)
		return 0;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 0;
	r = proc_start_time(pid, &now);
	if (r == 1)
		return 0;
	return r < 0 || start == 0 || now == start;
}
