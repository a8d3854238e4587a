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
 * A nameserver of /etc/resolv.conf is refused too, on loopback as well:
 * a local stub (systemd-resolved's 127.0.0.53, a caching dnsmasq) passes
 * the query on off this machine. Only its port 53 is refused, so a test's
 * own dnsmasq on a free port of 127.0.0.1 is still reached.
 * glibc's own stub resolver calls its internal __connect and __sendto,
 * which no preload can see, so the lookup functions are wrapped too:
 * getaddrinfo, gethostbyname, gethostbyname2 and their _r forms refuse a
 * name that is neither numeric nor in /etc/hosts, and gethostbyaddr,
 * gethostbyaddr_r and getnameinfo (unless NI_NUMERICHOST) an address that
 * is neither loopback nor in /etc/hosts, whenever /etc/resolv.conf names
 * a nameserver (which could only be one off this machine or a stub that
 * forwards there; with none, glibc asks 127.0.0.1 and nothing else).
 * Python's smtplib.SMTP() without local_hostname looks up this host's
 * name (socket.getfqdn); tests pass local_hostname instead.
 * Addresses of other families (AF_UNIX, AF_NETLINK) and AF_UNSPEC (which
 * dissolves a UDP association) pass untouched.
 *
 * MXGATE_NETGUARD_SELFTEST_RESOLV_CONF, for tests/e2e/netguard.sh only,
 * names a file the guard reads instead of /etc/resolv.conf (the
 * programs' own resolvers still read /etc/resolv.conf).
 *
 * DIAGNOSTICS: a refused call fails with ENETUNREACH (getaddrinfo with
 * EAI_SYSTEM and errno ENETUNREACH) and appends one line to the guard file:
 *
 *	PID PROGRAM CALL ADDRESS:PORT
 *
 * e.g. "4242 mxgated connect 10.255.255.53:53", or for a lookup
 * "4242 swaks getaddrinfo(mx.example.com) 10.255.255.53:53" (the resolver
 * the name would have gone to; gethostbyname* and gethostbyaddr* fail
 * with h_errno TRY_AGAIN, the _r forms return ENETUNREACH). The file is
 * opened when the library loads, so a daemon that drops privileges or
 * chroots can still write to it, and is made mode 0666 (tests/run.sh and
 * lib.subr create it so too), so a program run as another user with
 * setpriv can append to it as well. The descriptor is checked (device
 * and inode) before each use, since a program may close it or reuse its
 * number, and the path is opened afresh then. The line also goes to
 * standard error, after "netguard: refused ".
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
#define NG_NS_MAX 16		/* nameservers of resolv.conf remembered */
#ifndef SIN6_LEN_RFC2133
#define SIN6_LEN_RFC2133 24	/* a sockaddr_in6 without sin6_scope_id: the kernel takes it */
#endif

/* a nameserver of resolv.conf */
struct ng_ns {
	int family;		/* AF_INET, AF_INET6, or 0: not an address we can match */
	struct in_addr a4;
	struct in6_addr a6;
};

static const char *ng_path;	/* $MXGATE_NETGUARD, or NULL */
static int ng_fd = -1;		/* the guard file, opened at load */
static dev_t ng_dev;		/* its device ... */
static ino_t ng_ino;		/* ... and inode, to recognise it later */
static int ng_ns_loaded;	/* resolv.conf read */
static int ng_ns_n;		/* how many nameservers it names */
static struct ng_ns ng_ns[NG_NS_MAX];
static char ng_ns_first[INET6_ADDRSTRLEN + 16];	/* "ADDRESS:53" of the first, for records */

static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static int (*real_sendmmsg)(int, struct mmsghdr *, unsigned int, int);
static int (*real_getaddrinfo)(const char *, const char *, const struct addrinfo *,
    struct addrinfo **);
static struct hostent *(*real_gethostbyname)(const char *);
static struct hostent *(*real_gethostbyname2)(const char *, int);
static int (*real_gethostbyname_r)(const char *, struct hostent *, char *, size_t,
    struct hostent **, int *);
static int (*real_gethostbyname2_r)(const char *, int, struct hostent *, char *, size_t,
    struct hostent **, int *);
static struct hostent *(*real_gethostbyaddr)(const void *, socklen_t, int);
static int (*real_gethostbyaddr_r)(const void *, socklen_t, int, struct hostent *, char *,
    size_t, struct hostent **, int *);
static int (*real_getnameinfo)(const struct sockaddr *, socklen_t, char *, socklen_t,
    char *, socklen_t, int);

static void ng_ns_load(void);

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
	if (real_gethostbyname == NULL)
		real_gethostbyname = (struct hostent *(*)(const char *))
		    dlsym(RTLD_NEXT, "gethostbyname");
	if (real_gethostbyname2 == NULL)
		real_gethostbyname2 = (struct hostent *(*)(const char *, int))
		    dlsym(RTLD_NEXT, "gethostbyname2");
	if (real_gethostbyname_r == NULL)
		real_gethostbyname_r = (int (*)(const char *, struct hostent *, char *, size_t,
		    struct hostent **, int *))dlsym(RTLD_NEXT, "gethostbyname_r");
	if (real_gethostbyname2_r == NULL)
		real_gethostbyname2_r = (int (*)(const char *, int, struct hostent *, char *,
		    size_t, struct hostent **, int *))dlsym(RTLD_NEXT, "gethostbyname2_r");
	if (real_gethostbyaddr == NULL)
		real_gethostbyaddr = (struct hostent *(*)(const void *, socklen_t, int))
		    dlsym(RTLD_NEXT, "gethostbyaddr");
	if (real_gethostbyaddr_r == NULL)
		real_gethostbyaddr_r = (int (*)(const void *, socklen_t, int, struct hostent *,
		    char *, size_t, struct hostent **, int *))dlsym(RTLD_NEXT, "gethostbyaddr_r");
	if (real_getnameinfo == NULL)
		real_getnameinfo = (int (*)(const struct sockaddr *, socklen_t, char *, socklen_t,
		    char *, socklen_t, int))dlsym(RTLD_NEXT, "getnameinfo");
	ng_ns_load();
}

/*
 * ng_open - open the guard file for appending, creating it mode 0666
 * whatever the umask, so that a program run as another user (setpriv)
 * can append to it too
 */
static int
ng_open(void)
{
	struct stat st;
	int fd;

	fd = open(ng_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && (st.st_mode & 0666) != 0666)
		(void)fchmod(fd, (st.st_mode & 07777) | 0666);
	return fd;
}

/* ng_init - at load: find the real functions, read resolv.conf, open the guard file */
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
	fd = ng_open();
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
		fd = ng_open();
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

/* ng_ns_load - remember the nameservers of resolv.conf (once) */
static void
ng_ns_load(void)
{
	char line[512], addr[INET6_ADDRSTRLEN + 64], *pct;
	const char *path;
	struct ng_ns *ns;
	FILE *f;

	if (ng_ns_loaded)
		return;
	ng_ns_loaded = 1;
	path = getenv("MXGATE_NETGUARD_SELFTEST_RESOLV_CONF");
	if (path == NULL || *path == '\0')
		path = "/etc/resolv.conf";
	/* no file, or no nameserver line: glibc asks 127.0.0.1 and nothing else */
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " nameserver %109s", addr) != 1)
			continue;
		if (ng_ns_n == 0) {
			if (strchr(addr, ':') != NULL)
				snprintf(ng_ns_first, sizeof(ng_ns_first), "[%.*s]:53",
				    INET6_ADDRSTRLEN + 8, addr);
			else
				snprintf(ng_ns_first, sizeof(ng_ns_first), "%.*s:53",
				    INET6_ADDRSTRLEN + 8, addr);
		}
		if (ng_ns_n == NG_NS_MAX)
			break;	/* glibc itself asks no more than three */
		ns = &ng_ns[ng_ns_n];
		if ((pct = strchr(addr, '%')) != NULL)
			*pct = '\0';	/* "fe80::1%eth0": the address, any interface */
		if (inet_pton(AF_INET, addr, &ns->a4) == 1)
			ns->family = AF_INET;
		else if (inet_pton(AF_INET6, addr, &ns->a6) == 1)
			ns->family = AF_INET6;
		else
			ns->family = 0;
		ng_ns_n++;
	}
	fclose(f);
}

/* ng_is_ns4 / ng_is_ns6 - whether an address is a nameserver of resolv.conf */
static int
ng_is_ns4(struct in_addr a)
{
	for (int i = 0; i < ng_ns_n; i++)
		if (ng_ns[i].family == AF_INET && ng_ns[i].a4.s_addr == a.s_addr)
			return 1;
	return 0;
}

static int
ng_is_ns6(const struct in6_addr *a)
{
	struct in_addr a4;

	if (IN6_IS_ADDR_V4MAPPED(a)) {
		memcpy(&a4, &a->s6_addr[12], sizeof(a4));
		return ng_is_ns4(a4);
	}
	for (int i = 0; i < ng_ns_n; i++)
		if (ng_ns[i].family == AF_INET6 && IN6_ARE_ADDR_EQUAL(&ng_ns[i].a6, a))
			return 1;
	return 0;
}

/* ng_loopback6 - ::1 or ::ffff:127.0.0.0/104 (IPv4-mapped loopback) */
static int
ng_loopback6(const struct in6_addr *a)
{
	return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

/*
 * ng_local - whether a socket address stays on this machine (1), or is
 * off it or the DNS port of a nameserver of resolv.conf (0)
 */
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
			return 1;	/* the kernel refuses it (EINVAL) */
		sin = (const struct sockaddr_in *)(const void *)sa;
		if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
			return 0;
		return ntohs(sin->sin_port) != 53 || !ng_is_ns4(sin->sin_addr);
	case AF_INET6:
		if (len < SIN6_LEN_RFC2133)
			return 1;	/* the kernel refuses it (EINVAL) */
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (!ng_loopback6(&sin6->sin6_addr))
			return 0;
		return ntohs(sin6->sin6_port) != 53 || !ng_is_ns6(&sin6->sin6_addr);
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

/* ng_in_hosts_addr - whether address A of family AF is in /etc/hosts */
static int
ng_in_hosts_addr(int af, const void *a)
{
	char line[1024], *p, *tok;
	unsigned char buf[sizeof(struct in6_addr)];
	size_t alen = af == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
	FILE *f;
	int found = 0;

	if ((f = fopen("/etc/hosts", "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		if ((p = strtok_r(line, " \t\r\n", &tok)) == NULL)
			continue;
		if (inet_pton(af, p, buf) == 1 && memcmp(buf, a, alen) == 0 &&
		    strtok_r(NULL, " \t\r\n", &tok) != NULL)
			found = 1;
	}
	fclose(f);
	return found;
}

/* ng_numeric - whether NAME is a literal address (no lookup) */
static int
ng_numeric(const char *name)
{
	struct addrinfo h = {}, *r = NULL;

	h.ai_flags = AI_NUMERICHOST;
	h.ai_family = AF_UNSPEC;
	if (real_getaddrinfo(name, NULL, &h, &r) != 0)
		return 0;
	freeaddrinfo(r);
	return 1;
}

/*
 * ng_own_name - a tool's gethostbyname* of this machine's own name: swaks
 * (Perl's Sys::Hostname) asks it on every run, whatever its options, and
 * nss answers it locally on most machines even where /etc/hosts lacks it;
 * a test cannot avoid it. The daemon and the shell resolve through c-ares
 * and getaddrinfo, which get no such exception.
 */
static int
ng_own_name(const char *call, const char *node)
{
	char self[256];

	if (strncmp(call, "gethostbyname", 13) != 0 || gethostname(self, sizeof(self)) != 0)
		return 0;
	self[sizeof(self) - 1] = '\0';
	return strcasecmp(self, node) == 0;
}

/*
 * ng_lookup_refused - whether a lookup of NAME would go to a nameserver
 * of resolv.conf; if so, record it as CALL(NAME) and set errno
 */
static int
ng_lookup_refused(const char *call, const char *node)
{
	char name[NG_NAME_MAX + 1], what[NG_NAME_MAX + 40];

	if (node == NULL || *node == '\0' || ng_ns_n == 0 || ng_numeric(node) ||
	    ng_in_hosts(node) || ng_own_name(call, node))
		return 0;
	snprintf(name, sizeof(name), "%s", node);
	for (char *p = name; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p))
			*p = '?';	/* one record, one line */
	snprintf(what, sizeof(what), "%s(%s)", call, name);
	ng_record(what, ng_ns_first);
	errno = ENETUNREACH;
	return 1;
}

/*
 * ng_reverse_refused - whether a reverse lookup of address A (family AF,
 * LEN bytes) would go to a nameserver of resolv.conf: neither loopback
 * nor in /etc/hosts; if so, record it as CALL(ADDRESS) and set errno
 */
static int
ng_reverse_refused(const char *call, const void *a, socklen_t len, int af)
{
	char addr[INET6_ADDRSTRLEN], what[INET6_ADDRSTRLEN + 40];
	struct in6_addr a6;
	struct in_addr a4;

	if (a == NULL || ng_ns_n == 0)
		return 0;
	if (af == AF_INET && len >= sizeof(a4)) {
		memcpy(&a4, a, sizeof(a4));
		if ((ntohl(a4.s_addr) >> 24) == 127 || ng_in_hosts_addr(AF_INET, &a4))
			return 0;
	} else if (af == AF_INET6 && len >= sizeof(a6)) {
		memcpy(&a6, a, sizeof(a6));
		if (ng_loopback6(&a6) || ng_in_hosts_addr(AF_INET6, &a6))
			return 0;
	} else {
		return 0;	/* the real function refuses it */
	}
	if (inet_ntop(af, a, addr, sizeof(addr)) == NULL)
		snprintf(addr, sizeof(addr), "?");
	snprintf(what, sizeof(what), "%s(%s)", call, addr);
	ng_record(what, ng_ns_first);
	errno = ENETUNREACH;
	return 1;
}

/* getaddrinfo - refused when the name would be asked of a nameserver */
int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
    struct addrinfo **res)
{
	ng_resolve();
	if (node != NULL && (hints == NULL || !(hints->ai_flags & AI_NUMERICHOST)) &&
	    ng_lookup_refused("getaddrinfo", node))
		return EAI_SYSTEM;
	return real_getaddrinfo(node, service, hints, res);
}

/* gethostbyname - refused as getaddrinfo; h_errno TRY_AGAIN */
struct hostent *
gethostbyname(const char *name)
{
	ng_resolve();
	if (ng_lookup_refused("gethostbyname", name)) {
		h_errno = TRY_AGAIN;
		return NULL;
	}
	return real_gethostbyname(name);
}

/* gethostbyname2 - refused as getaddrinfo; h_errno TRY_AGAIN */
struct hostent *
gethostbyname2(const char *name, int af)
{
	ng_resolve();
	if (ng_lookup_refused("gethostbyname2", name)) {
		h_errno = TRY_AGAIN;
		return NULL;
	}
	return real_gethostbyname2(name, af);
}

/* gethostbyname_r - refused as getaddrinfo: ENETUNREACH, *h_errnop TRY_AGAIN */
int
gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
    struct hostent **result, int *h_errnop)
{
	ng_resolve();
	if (ng_lookup_refused("gethostbyname_r", name)) {
		if (result != NULL)
			*result = NULL;
		if (h_errnop != NULL)
			*h_errnop = TRY_AGAIN;
		h_errno = TRY_AGAIN;
		return ENETUNREACH;
	}
	return real_gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
}

/* gethostbyname2_r - refused as getaddrinfo: ENETUNREACH, *h_errnop TRY_AGAIN */
int
gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
    struct hostent **result, int *h_errnop)
{
	ng_resolve();
	if (ng_lookup_refused("gethostbyname2_r", name)) {
		if (result != NULL)
			*result = NULL;
		if (h_errnop != NULL)
			*h_errnop = TRY_AGAIN;
		h_errno = TRY_AGAIN;
		return ENETUNREACH;
	}
	return real_gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
}

/* gethostbyaddr - refused off loopback unless in /etc/hosts; h_errno TRY_AGAIN */
struct hostent *
gethostbyaddr(const void *addr, socklen_t len, int type)
{
	ng_resolve();
	if (ng_reverse_refused("gethostbyaddr", addr, len, type)) {
		h_errno = TRY_AGAIN;
		return NULL;
	}
	return real_gethostbyaddr(addr, len, type);
}

/* gethostbyaddr_r - as gethostbyaddr: ENETUNREACH, *h_errnop TRY_AGAIN */
int
gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret, char *buf,
    size_t buflen, struct hostent **result, int *h_errnop)
{
	ng_resolve();
	if (ng_reverse_refused("gethostbyaddr_r", addr, len, type)) {
		if (result != NULL)
			*result = NULL;
		if (h_errnop != NULL)
			*h_errnop = TRY_AGAIN;
		h_errno = TRY_AGAIN;
		return ENETUNREACH;
	}
	return real_gethostbyaddr_r(addr, len, type, ret, buf, buflen, result, h_errnop);
}

/* getnameinfo - a host name wanted is looked up as gethostbyaddr; EAI_SYSTEM */
int
getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
    char *serv, socklen_t servlen, int flags)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	ng_resolve();
	if (sa != NULL && host != NULL && hostlen > 0 && !(flags & NI_NUMERICHOST) &&
	    salen >= sizeof(sa_family_t)) {
		if (sa->sa_family == AF_INET && salen >= sizeof(*sin)) {
			sin = (const struct sockaddr_in *)(const void *)sa;
			if (ng_reverse_refused("getnameinfo", &sin->sin_addr,
			    sizeof(sin->sin_addr), AF_INET))
				return EAI_SYSTEM;
		} else if (sa->sa_family == AF_INET6 && salen >= SIN6_LEN_RFC2133) {
			sin6 = (const struct sockaddr_in6 *)(const void *)sa;
			if (ng_reverse_refused("getnameinfo", &sin6->sin6_addr,
			    sizeof(sin6->sin6_addr), AF_INET6))
				return EAI_SYSTEM;
		}
	}
	return real_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
}
