/*
 * opener.c - see opener.h.
 *
 * One request a message on a SOCK_SEQPACKET pair: the path; one answer:
 * an int errno (0 on success) with the descriptor attached. The process
 * holds nothing else open, dies with mxsh (PR_SET_PDEATHSIG, and the end
 * of the socket), and mxsh itself, having changed user, is not dumpable,
 * so no other process of the daemon's account can reach the socket.
 *
 * DIAGNOSTICS: -1 with errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shell/opener.h"

/* serve - the process's whole life */
static void
serve(int sock)
{
	char path[PATH_MAX + 1];

	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct msghdr m;
		struct iovec v;
		struct stat st;
		ssize_t n = recv(sock, path, sizeof(path) - 1, 0);
		int fd, err = 0;

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			_exit(0);
		}
		path[n] = '\0';
		fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			err = errno;
		else if (fstat(fd, &st) < 0)
			err = errno;
		else if (!S_ISREG(st.st_mode))
			err = ENXIO;	/* no FIFO, device or directory */
		if (err != 0 && fd >= 0) {
			close(fd);
			fd = -1;
		}
		memset(&m, 0, sizeof(m));
		v.iov_base = &err;
		v.iov_len = sizeof(err);
		m.msg_iov = &v;
		m.msg_iovlen = 1;
		if (fd >= 0) {
			struct cmsghdr *c;

			memset(&u, 0, sizeof(u));
			m.msg_control = u.buf;
			m.msg_controllen = sizeof(u.buf);
			c = CMSG_FIRSTHDR(&m);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
		if (fd >= 0)
			close(fd);
		if (n < 0)
			_exit(0);
	}
}

int
opener_start(void)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(sv[0]);
		close(sv[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		signal(SIGINT, SIG_IGN);	/* Ctrl-C is for the command, not for us */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() == 1)
			_exit(0);
		for (int i = 0; i < 3 && null >= 0; i++)
			dup2(null, i);
		close(sv[0]);
		serve(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

int
opener_open(int sock, const char *path)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;
	struct iovec v;
	struct cmsghdr *c;
	size_t len = strlen(path);
	int err = EIO, fd = -1, fl;
	ssize_t n;

	if (len == 0 || len > PATH_MAX) {
		errno = len == 0 ? ENOENT : ENAMETOOLONG;
		return -1;
	}
	if (send(sock, path, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	memset(&m, 0, sizeof(m));
	v.iov_base = &err;
	v.iov_len = sizeof(err);
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(err)) {
		errno = n < 0 ? errno : EIO;
		return -1;
	}
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (err != 0 || fd < 0) {
		if (fd >= 0)
			close(fd);
		errno = err != 0 ? err : EIO;
		return -1;
	}
	/*
	 * the opener's O_NONBLOCK was for the open (a FIFO nobody writes to
	 * would block it); the reads block again, as on any file
	 */
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}
