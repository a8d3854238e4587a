/*
 * netguard.c - an LD_PRELOAD library that keeps a test's programs on this
 * machine: no DNS query, no SMTP relay, no packet of any kind to an
 * address outside 127.0.0.0/8 and ::1.
 *
 * Tests must be hermetic (STYLE.md 18): a test daemon left on the default
 * dnsconfig ("those of /etc/resolv.conf") would otherwise ask the system's
 * resolver, and a route to a real host would relay to it. tests/run.sh and
 * tests/e2e/lib.subr preload this library into every program a test runs,
 * with MXGATE_NETGUARD naming the test's guard file.
 *
 * What is wrapped: connect, sendto, sendmsg and sendmmsg, which is every
 * way a program names a destination (c-ares, which mxgated resolves with,
 * connects its UDP and TCP sockets; send and write then need no address).
 * glibc's own stub resolver calls its internal __connect and __sendto,
 * which no preload can see, so getaddrinfo is wrapped too: a name that is
 * neither numeric nor in /etc/hosts would go to the nameservers of
 * /etc/resolv.conf, and is refused unless those are all on loopback.
 * Addresses of other families (AF_UNIX, AF_NETLINK) and AF_UNSPEC (which
 * dissolves a UDP association) pass untouched.
 *
 * DIAGNOSTICS: a refused call fails with ENETUNREACH (getaddrinfo with
 * EAI_SYSTEM and errno ENETUNREACH) and appends one line to the guard file:
 *
 *	PID PROGRAM CALL ADDRESS:PORT
 *
 * e.g. "4242 mxgated connect 10.255.255.53:53", or for getaddrinfo
 * "4242 swaks getaddrinfo(mx.example.com) 10.255.255.53:53" (the resolver
 * the name would have gone to). The file is opened when the library loads,
 * so a daemon that drops privileges or chroots can still write to it; the
 * descriptor is checked (device and inode) before each use, since a
 * program may close it or reuse its number, and the path is opened afresh
 * then. The line also goes to standard error, after "netguard: refused ".
 * Without MXGATE_NETGUARD the calls are still refused, and reported on
 * standard error only.
 *
 * Built without sanitizers whatever the build (Makefile), so that it loads
 * into the uninstrumented programs a test also runs (python3, swaks,
 * smtp-sink); an ASan mxgated needs ASAN_OPTIONS=verify_asan_link_order=0.
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define NG_FD_MIN 200		/* the guard file's descriptor: above the low ones programs expect */
#define NG_LINE_MAX 512		/* one record, written with one write() */
#define NG_NAME_MAX 100		/* a looked-up name is cut to this much in a record */

static const char *ng_path;	/* $MXGATE_NETGUARD, or NULL */
static int ng_fd = -1;		/* the guard file, opened at load */
static dev_t ng_dev;		/* its device ... */
static ino_t ng_ino;		/* ... and inode, to recognise it later */

static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static int (*real_sendmmsg)(int, struct mmsghdr *, unsigned int, int);
static int (*real_getaddrinfo)(const char *, const char *, const struct addrinfo *,
    struct addrinfo **);

/* ng_resolve - the next definitions of the wrapped functions */
static void
ng_resolve(void)
{
	if (real_connect == NULL)
		real_connect = (int (*)(int, const struct sockaddr *, socklen_t))
		    dlsym(RTLD_NEXT, "connect");
	if (real_sendto == NULL)
		real_sendto = (ssize_t (*)(int, const void *, size_t, int,
		    const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "sendto");
	if (real_sendmsg == NULL)
		real_sendmsg = (ssize_t (*)(int, const struct msghdr *, int))
		    dlsym(RTLD_NEXT, "sendmsg");
	if (real_sendmmsg == NULL)
		real_sendmmsg = (int (*)(int, struct mmsghdr *, unsigned int, int))
		    dlsym(RTLD_NEXT, "sendmmsg");
	if (real_getaddrinfo == NULL)
		real_getaddrinfo = (int (*)(const char *, const char *,
		    const struct addrinfo *, struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo");
}

/* ng_init - at load: find the real functions, open the guard file */
__attribute__((constructor)) static void
ng_init(void)
{
	struct stat st;
	int fd, saved = errno;

	ng_resolve();
	ng_path = getenv("MXGATE_NETGUARD");
	if (ng_path == NULL || *ng_path == '\0') {
		ng_path = NULL;
		return;
	}
	fd = open(ng_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd >= 0 && (ng_fd = fcntl(fd, F_DUPFD_CLOEXEC, NG_FD_MIN)) >= 0)
		close(fd);
	else
		ng_fd = fd;
	if (ng_fd >= 0 && fstat(ng_fd, &st) == 0) {
		ng_dev = st.st_dev;
		ng_ino = st.st_ino;
	} else if (ng_fd >= 0) {
		close(ng_fd);
		ng_fd = -1;
	}
	errno = saved;
}

/* ng_record - append "PID PROGRAM CALL DEST" to the guard file and say so on stderr */
static void
ng_record(const char *call, const char *dest)
{
	char line[NG_LINE_MAX];
	struct stat st;
	int n, fd, opened = 0, saved = errno;

	n = snprintf(line, sizeof(line), "%ld %s %s %s\n", (long)getpid(),
	    program_invocation_short_name, call, dest);
	if (n < 0)
		goto out;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	fd = ng_fd;
	if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_dev != ng_dev || st.st_ino != ng_ino))
		fd = -1;	/* closed, or the number now belongs to another file */
	if (fd < 0 && ng_path != NULL) {
		fd = open(ng_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
		opened = fd >= 0;
	}
	if (fd >= 0)
		(void)!write(fd, line, (size_t)n);
	if (opened)
		close(fd);
	(void)!write(STDERR_FILENO, "netguard: refused ", 18);
	(void)!write(STDERR_FILENO, line, (size_t)n);
out:
	errno = saved;
}

/* ng_local - whether a socket address stays on this machine (1), is off it (0) */
static int
ng_local(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa == NULL)
		return 1;	/* connected socket: its connect was checked */
	if (len < sizeof(sa_family_t))
		return 1;	/* the kernel refuses it anyway */
	switch (sa->sa_family) {
	case AF_INET:
		if (len < sizeof(*sin))
			return 1;
		sin = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	case AF_INET6:
		if (len < sizeof(*sin6))
			return 1;
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return 1;
		/* ::ffff:127.0.0.0/104, IPv4-mapped loopback */
		return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		    sin6->sin6_addr.s6_addr[12] == 127;
	default:
		return 1;	/* AF_UNIX, AF_NETLINK, AF_UNSPEC ... */
	}
}

/* ng_format - "A.B.C.D:PORT" or "[V6]:PORT" */
static void
ng_format(const struct sockaddr *sa, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, ntohs(sin->sin_port));
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, ntohs(sin6->sin6_port));
	}
}

/* ng_refuse - record CALL to SA and set errno: the caller returns -1 */
static void
ng_refuse(const char *call, const struct sockaddr *sa)
{
	char dest[INET6_ADDRSTRLEN + 16];

	ng_format(sa, dest, sizeof(dest));
	ng_record(call, dest);
	errno = ENETUNREACH;
}

/* connect - refused off loopback */
int
connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	const struct sockaddr *sa = addr.__sockaddr__;

	ng_resolve();
	if (!ng_local(sa, len)) {
		ng_refuse("connect", sa);
		return -1;
	}
	return real_connect(fd, sa, len);
}

/* sendto - refused off loopback */
ssize_t
sendto(int fd, const void *buf, size_t n, int flags, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	const struct sockaddr *sa = addr.__sockaddr__;

	ng_resolve();
	if (!ng_local(sa, len)) {
		ng_refuse("sendto", sa);
		return -1;
	}
	return real_sendto(fd, buf, n, flags, sa, len);
}

/* sendmsg - refused off loopback */
ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ng_resolve();
	if (msg != NULL && !ng_local(msg->msg_name, msg->msg_namelen)) {
		ng_refuse("sendmsg", msg->msg_name);
		return -1;
	}
	return real_sendmsg(fd, msg, flags);
}

/* sendmmsg - refused whole if any message is addressed off loopback */
int
sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	ng_resolve();
	for (unsigned int i = 0; vec != NULL && i < vlen; i++) {
		const struct msghdr *m = &vec[i].msg_hdr;

		if (!ng_local(m->msg_name, m->msg_namelen)) {
			ng_refuse("sendmmsg", m->msg_name);
			return -1;
		}
	}
	return real_sendmmsg(fd, vec, vlen, flags);
}

/* ng_in_hosts - whether NAME is in /etc/hosts (glibc reads it first: "files dns") */
static int
ng_in_hosts(const char *name)
{
	char line[1024], *p, *tok;
	size_t len = strlen(name);
	FILE *f;
	int found = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if ((f = fopen("/etc/hosts", "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = line;
		if (strtok_r(p, " \t\r\n", &tok) == NULL)	/* the address */
			continue;
		while ((p = strtok_r(NULL, " \t\r\n", &tok)) != NULL)
			if (strlen(p) == len && strncasecmp(p, name, len) == 0) {
				found = 1;
				break;
			}
	}
	fclose(f);
	return found;
}

/* ng_resolver - the first nameserver of /etc/resolv.conf off loopback, or 0 */
static int
ng_resolver(char *buf, size_t size)
{
	char line[512], addr[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;
	struct in_addr a4;
	FILE *f;
	int found = 0;

	/* no file, or no nameserver line: glibc asks 127.0.0.1 */
	if ((f = fopen("/etc/resolv.conf", "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " nameserver %46s", addr) != 1)
			continue;
		if (inet_pton(AF_INET, addr, &a4) == 1) {
			if ((ntohl(a4.s_addr) >> 24) != 127) {
				snprintf(buf, size, "%s:53", addr);
				found = 1;
			}
		} else if (inet_pton(AF_INET6, addr, &a6) == 1) {
			if (!IN6_IS_ADDR_LOOPBACK(&a6)) {
				snprintf(buf, size, "[%s]:53", addr);
				found = 1;
			}
		} else {
			snprintf(buf, size, "%s:53", addr);	/* "fe80::1%eth0" and the like */
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* getaddrinfo - refused when the name would be asked of a resolver off loopback */
int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
    struct addrinfo **res)
{
	struct addrinfo h = {}, *r = NULL;
	char name[NG_NAME_MAX + 1], call[NG_NAME_MAX + 16], resolver[INET6_ADDRSTRLEN + 16];

	ng_resolve();
	if (node == NULL || (hints != NULL && (hints->ai_flags & AI_NUMERICHOST)))
		return real_getaddrinfo(node, service, hints, res);
	h.ai_flags = AI_NUMERICHOST;
	h.ai_family = AF_UNSPEC;
	if (real_getaddrinfo(node, NULL, &h, &r) == 0) {	/* a literal address */
		freeaddrinfo(r);
		return real_getaddrinfo(node, service, hints, res);
	}
	if (ng_in_hosts(node) || !ng_resolver(resolver, sizeof(resolver)))
		return real_getaddrinfo(node, service, hints, res);
	snprintf(name, sizeof(name), "%s", node);
	for (char *p = name; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p))
			*p = '?';	/* one record, one line */
	snprintf(call, sizeof(call), "getaddrinfo(%s)", name);
	ng_record(call, resolver);
	errno = ENETUNREACH;
	return EAI_SYSTEM;
}
