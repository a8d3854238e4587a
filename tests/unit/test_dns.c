/*
 * test_dns.c - net/dns.c: server list syntax, and real lookups against
 * DNS servers this test starts on 127.0.0.1 (never the network); the
 * A queries of DNS block lists (dns_query_a) and their TTLs.
 *
 * Lookups go to Debian's dnsmasq (dnsmasq-base), started per case on a
 * free loopback port, authoritative for "test" (--local=/test/) so an
 * unknown name is NXDOMAIN and nothing is forwarded; dnsmasq's --mx-host
 * with "." as exchange gives the RFC 7505 null MX. Three fakes are
 * written here: a blackhole (a bound UDP socket nobody reads: timeouts),
 * a closed port (connection refused) and a responder answering every
 * query with one RCODE (SERVFAIL, REFUSED). dns_resolve_ptr also meets a
 * canned responder whose PTR answers hold what dnsmasq will not serve
 * (spaces, control characters, dots inside labels, records in a chosen
 * order).
 *
 * Each case that starts servers runs its body in a child of the case
 * process, which kills the servers however the body ends. Bodies check
 * for leaks with LeakSanitizer when built with SAN=1 (the harness ends
 * cases with _exit, which skips LSan's own check).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "net/dns.h"
#include "util/str.h"
#include "tests/unit/unit.h"

#define DNSMASQ "/usr/sbin/dnsmasq"
#define MAX_CHILDREN 8
/*
 * The resolver timeout of cases that expect an answer: only a ceiling,
 * never reached while dnsmasq answers, however slowly a busy machine (and
 * ASan) makes it; each case waits for its callbacks, not for a time.
 * (dns/many once failed with 2 s while the machine was loaded.)
 */
#define ANSWER_MS 10000

/* weak: defined only when the sanitizer runtime is linked in */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static pid_t children[MAX_CHILDREN];	/* servers to kill when the case ends */
static int nchildren;
static struct event_base *base;		/* the body's loop */

/* ---------------------------------------------------------------- servers */

/* stop_children - kill the servers this case started */
static void
stop_children(void)
{
	for (int i = 0; i < nchildren; i++) {
		kill(children[i], SIGTERM);
		waitpid(children[i], NULL, 0);
	}
	nchildren = 0;
}

/* SETUP_FAIL - UNIT_FAIL, without leaving servers behind */
#define SETUP_FAIL(...) do { stop_children(); UNIT_FAIL(__VA_ARGS__); } while (0)

/* now_ms - a monotonic clock */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* udp_bound - a UDP socket on 127.0.0.1 with a free port */
static int
udp_bound(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		SETUP_FAIL("cannot bind a UDP socket on 127.0.0.1: %s", strerror(errno));
	*port = ntohs(sin.sin_port);
	return fd;
}

/* free_port - a port nobody listens on (UDP), for now */
static int
free_port(void)
{
	int port, fd = udp_bound(&port);

	close(fd);
	return port;
}

/* probe - does a DNS server answer on port? (one A query, 100 ms) */
static int
probe(int port)
{
	static const unsigned char q[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		5, 'p', 'r', 'o', 'b', 'e', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
	};
	struct sockaddr_in sin;
	struct pollfd pfd;
	unsigned char r[512];
	int fd, ok = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return 0;
	if (sendto(fd, q, sizeof(q), 0, (struct sockaddr *)&sin, sizeof(sin)) ==
	    (ssize_t)sizeof(q)) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == 1 && recv(fd, r, sizeof(r), 0) >= 12 &&
		    r[0] == 0x12 && r[1] == 0x34)
			ok = 1;
	}
	close(fd);
	return ok;
}

/* dnsmasq_start - dnsmasq on 127.0.0.1 with the records in args; its port */
static int
dnsmasq_start(const char *const *records)
{
	char portarg[32], logpath[512];
	const char *argv[256];
	const char *tmp = getenv("UNIT_TMP") ? getenv("UNIT_TMP") : "/tmp";
	int n, port, status;
	pid_t pid;

	if (access(DNSMASQ, X_OK) != 0)
		SETUP_FAIL("%s is missing: apt-get install dnsmasq-base", DNSMASQ);
	if (nchildren == MAX_CHILDREN)
		SETUP_FAIL("too many servers");
	for (int attempt = 0; attempt < 3; attempt++) {
		port = free_port();
		str_fmt(portarg, sizeof(portarg), "--port=%d", port);
		str_fmt(logpath, sizeof(logpath), "%s/dnsmasq-%d.log", tmp, port);
		n = 0;
		argv[n++] = "dnsmasq";
		argv[n++] = "--conf-file=/dev/null";
		argv[n++] = "--keep-in-foreground";
		argv[n++] = "--no-resolv";
		argv[n++] = "--no-hosts";
		argv[n++] = "--no-poll";
		argv[n++] = "--pid-file=";
		argv[n++] = "--log-facility=-";
		argv[n++] = "--listen-address=127.0.0.1";
		argv[n++] = "--bind-interfaces";
		argv[n++] = "--local=/test/";
		argv[n++] = portarg;
		for (int i = 0; records[i] != NULL && n < 254; i++)
			argv[n++] = records[i];
		argv[n] = NULL;
		fflush(NULL);
		if ((pid = fork()) < 0)
			SETUP_FAIL("fork: %s", strerror(errno));
		if (pid == 0) {
			int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);

			/* if the case process dies (dnsmasq running as root clears this) */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
				close(fd);
			}
			execv(DNSMASQ, (char *const *)argv);
			_exit(127);
		}
		for (int i = 0; i < 50; i++) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;	/* died: port taken? try another */
			if (probe(port)) {
				children[nchildren++] = pid;
				return port;
			}
			usleep(20000);
		}
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	SETUP_FAIL("dnsmasq did not start (see %s)", logpath);
}

/* responder_start - a server answering every query with rcode; its port */
static int
responder_start(int rcode)
{
	unsigned char buf[512];
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t len;
	size_t end;
	pid_t pid;
	int port, fd = udp_bound(&port);

	if (nchildren == MAX_CHILDREN)
		SETUP_FAIL("too many servers");
	fflush(NULL);
	if ((pid = fork()) < 0)
		SETUP_FAIL("fork: %s", strerror(errno));
	if (pid > 0) {
		close(fd);
		children[nchildren++] = pid;
		return port;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the case */
	for (;;) {
		flen = sizeof(from);
		len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (len < 12)
			continue;
		/* header and question only: QR, RD copied, RA, the RCODE */
		for (end = 12; end < (size_t)len && buf[end] != 0; end += buf[end] + 1u)
			;
		end += 5;
		if (end > (size_t)len)
			continue;
		buf[2] = (unsigned char)(0x80 | (buf[2] & 0x01));
		buf[3] = (unsigned char)(0x80 | rcode);
		memset(buf + 6, 0, 6);
		sendto(fd, buf, end, 0, (struct sockaddr *)&from, flen);
	}
}

/*
 * soa_responder_start - a server answering every query with rcode and,
 * in the authority section, an SOA whose TTL is 600 and MINIMUM 120
 * (RFC 2308: a negative answer may be cached for the smaller); its port
 */
static int
soa_responder_start(int rcode)
{
	static const unsigned char soa[] = {
		0xc0, 0x0c, 0, 6, 0, 1, 0, 0, 0x02, 0x58,	/* owner: the qname; SOA IN 600 */
		0, 27,						/* rdlength */
		2, 'n', 's', 0xc0, 0x0c,			/* MNAME ns.<qname> */
		0xc0, 0x0c,					/* RNAME <qname> */
		0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 0x03, 0x84,	/* SERIAL REFRESH RETRY */
		0, 0x09, 0x3a, 0x80, 0, 0, 0, 120,		/* EXPIRE MINIMUM */
	};
	unsigned char buf[600];
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t len;
	size_t end;
	pid_t pid;
	int port, fd = udp_bound(&port);

	if (nchildren == MAX_CHILDREN)
		SETUP_FAIL("too many servers");
	fflush(NULL);
	if ((pid = fork()) < 0)
		SETUP_FAIL("fork: %s", strerror(errno));
	if (pid > 0) {
		close(fd);
		children[nchildren++] = pid;
		return port;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the case */
	for (;;) {
		flen = sizeof(from);
		len = recvfrom(fd, buf, 512, 0, (struct sockaddr *)&from, &flen);
		if (len < 12)
			continue;
		for (end = 12; end < (size_t)len && buf[end] != 0; end += buf[end] + 1u)
			;
		end += 5;
		if (end > (size_t)len)
			continue;
		buf[2] = (unsigned char)(0x84 | (buf[2] & 0x01));	/* QR AA RD */
		buf[3] = (unsigned char)(0x80 | rcode);
		memset(buf + 6, 0, 6);
		buf[9] = 1;						/* NSCOUNT 1 */
		memcpy(buf + end, soa, sizeof(soa));
		sendto(fd, buf, end + sizeof(soa), 0, (struct sockaddr *)&from, flen);
	}
}

/* run - body in a child with a time limit; then stop the servers */
static void
run(void (*body)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) < 0)
		SETUP_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		alarm(30);
		if ((base = event_base_new()) == NULL)
			UNIT_FAIL("event_base_new");
		body();
		event_base_free(base);
		if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check() != 0)
			UNIT_FAIL("memory leaked");
		fflush(NULL);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	stop_children();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		UNIT_FAIL("body failed (%s %d)", WIFSIGNALED(status) ? "signal" : "exit",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* ---------------------------------------------------------------- results */

struct mail_res {
	int called;			/* callback count */
	enum dns_status st;
	int nhops;
	struct dns_hop hops[DNS_MAX_HOPS];
};

struct addr_res {
	int called;
	enum dns_status st;
	int naddr;
	struct sockaddr_storage addrs[DNS_MAX_ADDRS];
};

static int total_calls;		/* every callback, to catch late or double calls */

static void
mail_cb(enum dns_status st, const struct dns_hop *hops, int nhops, void *arg)
{
	struct mail_res *r = arg;

	if (nhops < 0 || nhops > DNS_MAX_HOPS || (st == DNS_OK) != (nhops > 0) ||
	    (nhops > 0 && hops == NULL))
		UNIT_FAIL("mail callback: status %d with %d hops", st, nhops);
	r->called++;
	total_calls++;
	r->st = st;
	r->nhops = nhops;
	if (nhops > 0)
		memcpy(r->hops, hops, (size_t)nhops * sizeof(*hops));
}

static void
addr_cb(enum dns_status st, const struct sockaddr_storage *addrs, int naddr, void *arg)
{
	struct addr_res *r = arg;

	if (naddr < 0 || naddr > DNS_MAX_ADDRS || (st == DNS_OK) != (naddr > 0))
		UNIT_FAIL("addr callback: status %d with %d addresses", st, naddr);
	r->called++;
	total_calls++;
	r->st = st;
	r->naddr = naddr;
	if (naddr > 0)
		memcpy(r->addrs, addrs, (size_t)naddr * sizeof(*addrs));
}

/* loop_until - run the loop until *count reaches want (or nothing is left) */
static void
loop_until(const int *count, int want)
{
	while (*count < want)
		if (event_base_loop(base, EVLOOP_ONCE) != 0)
			break;
	CHECK_INT(*count, want);
}

/* addrs_text - "a b c" from addresses, checking ports are 0 */
static const char *
addrs_text(const struct sockaddr_storage *a, int n)
{
	static char out[1024];
	char buf[INET6_ADDRSTRLEN];
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (a[i].ss_family == AF_INET) {
			const struct sockaddr_in *s = (const struct sockaddr_in *)&a[i];

			CHECK_INT(s->sin_port, 0);
			inet_ntop(AF_INET, &s->sin_addr, buf, sizeof(buf));
		} else {
			const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&a[i];

			CHECK_INT(a[i].ss_family, AF_INET6);
			CHECK_INT(s->sin6_port, 0);
			inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof(buf));
		}
		str_fmt(out + len, sizeof(out) - len, "%s%s", i ? " " : "", buf);
		len = strlen(out);
	}
	return out;
}

/* hops_text - "pref host addrs; ..." */
static const char *
hops_text(const struct mail_res *r)
{
	static char out[8192];
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < r->nhops; i++) {
		str_fmt(out + len, sizeof(out) - len, "%s%d %s %s", i ? "; " : "",
		    r->hops[i].pref, r->hops[i].host,
		    addrs_text(r->hops[i].addr, r->hops[i].naddr));
		len = strlen(out);
	}
	return out;
}

/* mail - resolve synchronously, checking the callback came once, from the loop */
static void
mail(struct dns *d, const char *domain, struct mail_res *r)
{
	memset(r, 0, sizeof(*r));
	dns_resolve_mail(d, domain, mail_cb, r);
	CHECK_INT(r->called, 0);	/* never from inside dns_resolve_mail */
	loop_until(&r->called, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(r->called, 1);
}

static void
addr(struct dns *d, const char *host, struct addr_res *r)
{
	memset(r, 0, sizeof(*r));
	dns_resolve_addr(d, host, addr_cb, r);
	CHECK_INT(r->called, 0);
	loop_until(&r->called, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(r->called, 1);
}

/* resolver - dns_new on "127.0.0.1:port" */
static struct dns *
resolver(int port, int timeout_ms, int tries)
{
	char servers[64], *cause = NULL;
	struct dns *d;

	str_fmt(servers, sizeof(servers), "127.0.0.1:%d", port);
	if ((d = dns_new(base, servers, timeout_ms, tries, &cause)) == NULL)
		UNIT_FAIL("dns_new: %s", cause);
	return d;
}

/* the zone most cases use */
static const char *const zone[] = {
	/* a.test: three MX, the best IPv6-only, one with both families */
	"--mx-host=a.test,mx2.a.test,20",
	"--mx-host=a.test,mx1.a.test,10",
	"--mx-host=a.test,mx0.a.test,5",
	"--host-record=mx0.a.test,2001:db8::5",
	"--host-record=mx1.a.test,192.0.2.1,2001:db8::1",
	"--host-record=mx2.a.test,192.0.2.2",
	/* eq.test: equal preferences */
	"--mx-host=eq.test,e1.eq.test,10", "--mx-host=eq.test,e2.eq.test,10",
	"--mx-host=eq.test,e3.eq.test,10", "--mx-host=eq.test,e4.eq.test,10",
	"--mx-host=eq.test,last.eq.test,20", "--mx-host=eq.test,first.eq.test,5",
	"--host-record=e1.eq.test,192.0.2.11", "--host-record=e2.eq.test,192.0.2.12",
	"--host-record=e3.eq.test,192.0.2.13", "--host-record=e4.eq.test,192.0.2.14",
	"--host-record=last.eq.test,192.0.2.20", "--host-record=first.eq.test,192.0.2.5",
	/* no MX: implicit MX */
	"--host-record=nomx.test,192.0.2.9,2001:db8::9",
	/* exists, but no MX, A or AAAA */
	"--txt-record=txt.test,hello",
	/* null MX, and "." mixed with a real MX */
	"--mx-host=null.test,.,0",
	"--mx-host=nullmix.test,.,0", "--mx-host=nullmix.test,mx2.a.test,10",
	/* an MX host that does not exist, an address literal, one good */
	"--mx-host=part.test,missing.test,10", "--mx-host=part.test,192.0.2.77,20",
	"--mx-host=part.test,mx2.a.test,30",
	"--mx-host=allbad.test,missing.test,10", "--mx-host=allbad.test,192.0.2.77,20",
	/* an MX host that is a CNAME; a domain that is a CNAME */
	"--cname=alias.test,mx1.a.test",
	"--mx-host=cn.test,alias.test,10",
	/* the same host twice */
	"--mx-host=dup.test,mx2.a.test,30", "--mx-host=dup.test,MX2.a.test,10",
	NULL,
};

/* ---------------------------------------------------------------- syntax */

static void
parse_servers_body(void)
{
	static const struct {
		const char *in;		/* NULL: a NULL pointer */
		int ok;
		const char *norm;	/* ok: the normal form; else a word of the cause */
	} t[] = {
		{ NULL, 1, "" },
		{ "", 1, "" },
		{ "   ", 1, "" },
		{ "192.0.2.1", 1, "192.0.2.1" },
		{ "192.0.2.1:53", 1, "192.0.2.1" },
		{ "192.0.2.1:5353", 1, "192.0.2.1:5353" },
		{ "192.0.2.1:65535", 1, "192.0.2.1:65535" },
		{ "192.0.2.1:1", 1, "192.0.2.1:1" },
		{ " 192.0.2.1 , 198.51.100.2:54 ", 1, "192.0.2.1,198.51.100.2:54" },
		{ "[::1]:5353", 1, "[::1]:5353" },
		{ "[2001:DB8:0::1]", 1, "[2001:db8::1]" },
		{ "[2001:db8::1]:53,192.0.2.1", 1, "[2001:db8::1],192.0.2.1" },
		{ "1.2.3.4,1.2.3.5,1.2.3.6,1.2.3.7,1.2.3.8,1.2.3.9,1.2.3.10,1.2.3.11", 1,
		  "1.2.3.4,1.2.3.5,1.2.3.6,1.2.3.7,1.2.3.8,1.2.3.9,1.2.3.10,1.2.3.11" },
		{ "1.2.3.4:0", 0, "port" },
		{ "abc", 0, "Invalid DNS server" },
		{ "1.2.3.4:99999", 0, "port" },
		{ "1.2.3.4:65536", 0, "port" },
		{ "1.2.3.4:", 0, "port" },
		{ "1.2.3.4:x", 0, "port" },
		{ "1.2.3.4:+53", 0, "port" },
		{ "1.2.3.4:-1", 0, "port" },
		{ "1.2.3", 0, "Invalid DNS server" },
		{ "256.1.1.1", 0, "Invalid DNS server" },
		{ "01.2.3.4", 0, "Invalid DNS server" },
		{ "dns.example.com", 0, "Invalid DNS server" },
		{ "::1", 0, "brackets" },
		{ "2001:db8::1:53", 0, "brackets" },
		{ "[::1", 0, "Invalid DNS server" },
		{ "[::1]x", 0, "Invalid DNS server" },
		{ "[::1]:", 0, "port" },
		{ "[192.0.2.1]", 0, "Invalid DNS server" },
		{ "[fe80::1%eth0]", 0, "Invalid DNS server" },
		{ "1.2.3.4,,1.2.3.5", 0, "Empty" },
		{ "1.2.3.4,", 0, "Empty" },
		{ ",1.2.3.4", 0, "Empty" },
		{ "1.2.3.4 1.2.3.5", 0, "Invalid DNS server" },
		{ "1.2.3.4,1.2.3.5,1.2.3.6,1.2.3.7,1.2.3.8,1.2.3.9,1.2.3.10,1.2.3.11,1.2.3.12",
		  0, "Too many" },
	};
	char norm[DNS_SERVERS_MAX], *cause;
	char longlist[2000];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		cause = NULL;
		str_copy(norm, "junk", sizeof(norm));
		rc = dns_parse_servers(t[i].in, norm, sizeof(norm), &cause);
		if (t[i].ok) {
			if (rc != 0)
				UNIT_FAIL("'%s' refused: %s", t[i].in, cause);
			CHECK_STR(norm, t[i].norm);
			/* the normal form is itself valid and stable */
			CHECK(dns_parse_servers(t[i].norm, norm, sizeof(norm), &cause) == 0);
			CHECK_STR(norm, t[i].norm);
		} else {
			if (rc != -1 || cause == NULL)
				UNIT_FAIL("'%s' accepted", t[i].in);
			if (strstr(cause, t[i].norm) == NULL)
				UNIT_FAIL("'%s': cause '%s' lacks '%s'", t[i].in, cause, t[i].norm);
			free(cause);
		}
	}
	/* too long for the caller's buffer, or at all */
	cause = NULL;
	CHECK(dns_parse_servers("192.0.2.1:5353", norm, 8, &cause) == -1);
	CHECK(cause != NULL);
	free(cause);
	memset(longlist, ' ', sizeof(longlist) - 1);
	longlist[sizeof(longlist) - 1] = '\0';
	cause = NULL;
	CHECK(dns_parse_servers(longlist, norm, sizeof(norm), &cause) == -1);
	CHECK(strstr(cause, "too long") != NULL);
	free(cause);
	/* validation only, and no cause wanted */
	CHECK(dns_parse_servers("192.0.2.1", NULL, 0, NULL) == 0);
	CHECK(dns_parse_servers("abc", NULL, 0, NULL) == -1);
}

static void
status_str_body(void)
{
	const char *seen[DNS_BADNAME + 1];

	for (int s = DNS_OK; s <= DNS_BADNAME; s++) {
		seen[s] = dns_status_str((enum dns_status)s);
		CHECK(seen[s] != NULL && *seen[s] != '\0');
		for (int j = 0; j < s; j++)
			CHECK(strcmp(seen[j], seen[s]) != 0);
	}
	CHECK_STR(dns_status_str(DNS_NXDOMAIN), "NXDOMAIN");
	CHECK_STR(dns_status_str(DNS_TEMPFAIL), "timeout or server failure");
	CHECK(dns_status_str((enum dns_status)99) != NULL);
}

static void
test_parse_servers(void)
{
	run(parse_servers_body);
}

static void
test_status_str(void)
{
	run(status_str_body);
}

static void
new_args_body(void)
{
	char *cause = NULL;
	struct dns *d;

	CHECK(dns_new(base, "abc", 1000, 2, &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "abc") != NULL);
	free(cause);
	cause = NULL;
	CHECK(dns_new(base, "192.0.2.1", 0, 2, &cause) == NULL);
	CHECK(cause != NULL);
	free(cause);
	cause = NULL;
	CHECK(dns_new(base, "192.0.2.1", 1000, 0, &cause) == NULL);
	CHECK(cause != NULL);
	free(cause);
	CHECK(dns_new(NULL, "192.0.2.1", 1000, 2, NULL) == NULL);
	/* /etc/resolv.conf: created and freed, never asked (no network in tests) */
	CHECK((d = dns_new(base, NULL, 1000, 2, &cause)) != NULL);
	dns_free(d);
	CHECK((d = dns_new(base, "", 1000, 2, &cause)) != NULL);
	CHECK(dns_set_servers(d, "192.0.2.1:5353", &cause) == 0);
	CHECK(dns_set_servers(d, "", &cause) == 0);
	dns_free(d);
	CHECK((d = dns_new(base, "[::1]:5353,127.0.0.1", 1000, 2, &cause)) != NULL);
	dns_free(d);
	dns_free(NULL);
}

static void
test_new_args(void)
{
	run(new_args_body);
}

/* ---------------------------------------------------------------- lookups */

static int zone_port;

static void
mx_order_body(void)
{
	struct dns *d = resolver(zone_port, ANSWER_MS, 2);
	struct mail_res r;

	mail(d, "a.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(hops_text(&r), "5 mx0.a.test 2001:db8::5; "
	    "10 mx1.a.test 192.0.2.1 2001:db8::1; 20 mx2.a.test 192.0.2.2");
	/* case and a final dot do not matter */
	mail(d, "A.Test.", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_INT(r.nhops, 3);
	/* the same host at two preferences: once, at the better one */
	mail(d, "dup.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(hops_text(&r), "10 mx2.a.test 192.0.2.2");
	/* an MX host that is a CNAME is followed */
	mail(d, "cn.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(hops_text(&r), "10 alias.test 192.0.2.1 2001:db8::1");
	dns_free(d);
}

static void
test_mx_order(void)
{
	zone_port = dnsmasq_start(zone);
	run(mx_order_body);
}

static void
mx_shuffle_body(void)
{
	struct dns *d = resolver(zone_port, ANSWER_MS, 2);
	struct mail_res r;
	char orders[24][64];
	int norders = 0;

	for (int n = 0; n < 60; n++) {
		char order[64] = "";
		int seen = 0, known = 0;

		mail(d, "eq.test", &r);
		CHECK_INT(r.st, DNS_OK);
		CHECK_INT(r.nhops, 6);
		CHECK_STR(r.hops[0].host, "first.eq.test");
		CHECK_INT(r.hops[0].pref, 5);
		CHECK_STR(r.hops[5].host, "last.eq.test");
		CHECK_INT(r.hops[5].pref, 20);
		for (int i = 1; i <= 4; i++) {
			CHECK_INT(r.hops[i].pref, 10);
			CHECK(strncmp(r.hops[i].host, "e", 1) == 0);
			CHECK_INT(r.hops[i].naddr, 1);
			seen |= 1 << (r.hops[i].host[1] - '0');
			order[i - 1] = r.hops[i].host[1];
		}
		CHECK_INT(seen, 0x1e);	/* e1..e4, each once */
		for (int j = 0; j < norders && !known; j++)
			known = strcmp(orders[j], order) == 0;
		if (!known && norders < 24)
			str_copy(orders[norders++], order, sizeof(orders[0]));
	}
	/* 24 orders possible; 60 runs all alike would be a broken shuffle */
	if (norders < 4)
		UNIT_FAIL("only %d orders of equal preferences in 60 lookups", norders);
	dns_free(d);
}

static void
test_mx_shuffle(void)
{
	zone_port = dnsmasq_start(zone);
	run(mx_shuffle_body);
}

static void
implicit_body(void)
{
	struct dns *d = resolver(zone_port, ANSWER_MS, 2);
	struct mail_res r;

	mail(d, "nomx.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(hops_text(&r), "0 nomx.test 192.0.2.9 2001:db8::9");
	/* a domain that is a CNAME to a host without MX */
	mail(d, "alias.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(hops_text(&r), "0 alias.test 192.0.2.1 2001:db8::1");
	/* no MX and no addresses */
	mail(d, "txt.test", &r);
	CHECK_INT(r.st, DNS_NODATA);
	CHECK_INT(r.nhops, 0);
	dns_free(d);
}

static void
test_implicit_mx(void)
{
	zone_port = dnsmasq_start(zone);
	run(implicit_body);
}

static void
negative_body(void)
{
	struct dns *d = resolver(zone_port, ANSWER_MS, 2);
	struct mail_res r;
	struct addr_res a;

	mail(d, "nx.test", &r);
	CHECK_INT(r.st, DNS_NXDOMAIN);
	addr(d, "nx.test", &a);
	CHECK_INT(a.st, DNS_NXDOMAIN);
	addr(d, "txt.test", &a);
	CHECK_INT(a.st, DNS_NODATA);
	mail(d, "null.test", &r);
	CHECK_INT(r.st, DNS_NULLMX);
	CHECK_INT(r.nhops, 0);
	/* "." beside a real MX breaks RFC 7505: the real one is used */
	mail(d, "nullmix.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(hops_text(&r), "10 mx2.a.test 192.0.2.2");
	dns_free(d);
}

static void
test_negative(void)
{
	zone_port = dnsmasq_start(zone);
	run(negative_body);
}

static void
skip_bad_body(void)
{
	struct dns *d = resolver(zone_port, ANSWER_MS, 2);
	struct mail_res r;

	/* missing.test is NXDOMAIN, 192.0.2.77 an address literal: skipped */
	mail(d, "part.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(hops_text(&r), "30 mx2.a.test 192.0.2.2");
	/* all MX hosts bad, none temporarily: permanent, and no A fallback */
	mail(d, "allbad.test", &r);
	CHECK_INT(r.st, DNS_NODATA);
	dns_free(d);
}

static void
test_mx_skip_bad(void)
{
	zone_port = dnsmasq_start(zone);
	run(skip_bad_body);
}

static void
big_body(void)
{
	struct dns *d = resolver(zone_port, ANSWER_MS, 2);
	struct mail_res r;
	struct addr_res a;
	int n4 = 0;

	/* 40 MX records do not fit 512 bytes: c-ares retries over TCP */
	mail(d, "big.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_INT(r.nhops, DNS_MAX_HOPS);
	for (int i = 0; i < r.nhops; i++) {
		char want[64];

		str_fmt(want, sizeof(want), "mx%d.big.test", i + 1);
		CHECK_STR(r.hops[i].host, want);
		CHECK_INT(r.hops[i].pref, i + 1);
		CHECK_INT(r.hops[i].naddr, 1);
	}
	/* 20 A and 20 AAAA: bounded, IPv4 first, IPv6 keeps half */
	addr(d, "many.test", &a);
	CHECK_INT(a.st, DNS_OK);
	CHECK_INT(a.naddr, DNS_MAX_ADDRS);
	for (int i = 0; i < a.naddr; i++) {
		if (a.addrs[i].ss_family == AF_INET)
			CHECK_INT(i, n4++);
	}
	CHECK_INT(n4, DNS_MAX_ADDRS / 2);
	addr(d, "many4.test", &a);
	CHECK_INT(a.st, DNS_OK);
	CHECK_INT(a.naddr, DNS_MAX_ADDRS);
	dns_free(d);
}

static void
test_big_answers(void)
{
	static char rec[3 * 40][80];
	const char *records[3 * 40 + 1];
	int n = 0;

	for (int i = 1; i <= 40; i++) {
		str_fmt(rec[n], sizeof(rec[n]), "--mx-host=big.test,mx%d.big.test,%d", i, i);
		records[n] = rec[n];
		n++;
		str_fmt(rec[n], sizeof(rec[n]), "--host-record=mx%d.big.test,192.0.2.%d", i, i);
		records[n] = rec[n];
		n++;
		if (i <= 20) {
			str_fmt(rec[n], sizeof(rec[n]),
			    "--host-record=many.test,198.51.100.%d,2001:db8::%d", i, i);
			records[n] = rec[n];
			n++;
		} else {
			str_fmt(rec[n], sizeof(rec[n]), "--host-record=many4.test,203.0.113.%d", i);
			records[n] = rec[n];
			n++;
		}
	}
	records[n] = NULL;
	zone_port = dnsmasq_start(records);
	run(big_body);
}

static void
addr_body(void)
{
	static const struct {
		const char *in;
		const char *out;	/* NULL: DNS_BADNAME */
	} lit[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "2001:DB8::1", "2001:db8::1" },
		{ "[192.0.2.1]", "192.0.2.1" },
		{ "[IPv6:2001:db8::1]", "2001:db8::1" },
		{ "[2001:db8::1]", "2001:db8::1" },
		{ "[IPv6:192.0.2.1]", NULL },
		{ "[bogus]", NULL },
		{ "[]", NULL },
		{ "a..b", NULL },
		{ "", NULL },
		{ "host name.test", NULL },
	};
	struct dns *d = resolver(zone_port, ANSWER_MS, 2);
	struct addr_res a;

	addr(d, "mx1.a.test", &a);
	CHECK_INT(a.st, DNS_OK);
	CHECK_STR(addrs_text(a.addrs, a.naddr), "192.0.2.1 2001:db8::1");
	addr(d, "mx0.a.test.", &a);
	CHECK_INT(a.st, DNS_OK);
	CHECK_STR(addrs_text(a.addrs, a.naddr), "2001:db8::5");
	dns_free(d);
	/* literals need no server: this one is a black hole */
	d = resolver(free_port(), 1000, 1);
	for (size_t i = 0; i < sizeof(lit) / sizeof(lit[0]); i++) {
		long long t0 = now_ms();

		addr(d, lit[i].in, &a);
		if (lit[i].out == NULL) {
			CHECK_INT(a.st, DNS_BADNAME);
		} else {
			CHECK_INT(a.st, DNS_OK);
			CHECK_STR(addrs_text(a.addrs, a.naddr), lit[i].out);
		}
		CHECK(now_ms() - t0 < 500);
	}
	dns_free(d);
}

static void
test_addr(void)
{
	zone_port = dnsmasq_start(zone);
	run(addr_body);
}

static void
badname_body(void)
{
	static const char *const bad[] = {
		"", ".", "a..test", "-a.test", "a b.test", "[192.0.2.1]", "192.0.2.1",
		"[IPv6:2001:db8::1]", "a.test..", "x@a.test",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test",
	};
	char longname[300];
	struct dns *d = resolver(free_port(), 1000, 1);
	struct mail_res r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mail(d, bad[i], &r);
		if (r.st != DNS_BADNAME)
			UNIT_FAIL("'%s': status %d", bad[i], r.st);
	}
	/* 254 characters: one too many */
	memset(longname, 0, sizeof(longname));
	for (int i = 0; i < 254; i++)
		longname[i] = i % 10 == 9 ? '.' : 'a';
	longname[253] = 'a';
	mail(d, longname, &r);
	CHECK_INT(r.st, DNS_BADNAME);
	dns_free(d);
}

static void
test_badname(void)
{
	run(badname_body);
}

/* ---------------------------------------------------------------- failures */

static int down_port, hole_port, servfail_port, refused_port;

static void
server_down_body(void)
{
	struct dns *d = resolver(down_port, 3000, 3);
	struct mail_res r;
	struct addr_res a;
	long long t0 = now_ms();

	/*
	 * nobody listens: ICMP port unreachable, refused at once; waiting
	 * for the timeouts would take 9 s per lookup, far above the bound
	 */
	mail(d, "a.test", &r);
	CHECK_INT(r.st, DNS_TEMPFAIL);
	addr(d, "mx1.a.test", &a);
	CHECK_INT(a.st, DNS_TEMPFAIL);
	CHECK(now_ms() - t0 < 3000 * 3);	/* in fact at once */
	dns_free(d);
}

static void
test_server_down(void)
{
	down_port = free_port();
	run(server_down_body);
}

static void
timeout_body(void)
{
	char servers[64], *cause = NULL;
	struct dns *d = resolver(hole_port, 500, 3);
	struct mail_res r;
	struct addr_res a;
	long long t0 = now_ms(), dt;

	/*
	 * tries x timeout = 1500 ms; c-ares's doubling would take
	 * 500+1000+2000 = 3500. Giving up early is never right; the upper
	 * bound only tells the two apart, with 1.9 s left for a busy machine.
	 */
	mail(d, "a.test", &r);
	dt = now_ms() - t0;
	CHECK_INT(r.st, DNS_TEMPFAIL);
	if (dt < 1450 || dt >= 3400)
		UNIT_FAIL("gave up after %lld ms, expected about 1500", dt);
	t0 = now_ms();
	addr(d, "mx1.a.test", &a);
	dt = now_ms() - t0;
	CHECK_INT(a.st, DNS_TEMPFAIL);
	if (dt < 1450 || dt >= 3400)
		UNIT_FAIL("addr gave up after %lld ms, expected about 1500", dt);
	dns_free(d);
	/* two silent servers: tries x servers x timeout = 1500 ms, not 3500 */
	str_fmt(servers, sizeof(servers), "127.0.0.1:%d,127.0.0.1:%d", hole_port, hole_port);
	CHECK((d = dns_new(base, servers, 250, 3, &cause)) != NULL);
	t0 = now_ms();
	mail(d, "a.test", &r);
	dt = now_ms() - t0;
	CHECK_INT(r.st, DNS_TEMPFAIL);
	if (dt < 1450 || dt >= 3400)
		UNIT_FAIL("gave up after %lld ms, expected about 1500", dt);
	dns_free(d);
}

static void
test_timeout(void)
{
	udp_bound(&hole_port);	/* bound, never read: left open for the body */
	run(timeout_body);
}

static void
fallback_body(void)
{
	char servers[64], *cause = NULL;
	struct dns *d;
	struct mail_res r;
	long long t0, dt;

	/* the first server is silent: the second answers after one timeout */
	str_fmt(servers, sizeof(servers), "127.0.0.1:%d,127.0.0.1:%d", hole_port, zone_port);
	CHECK((d = dns_new(base, servers, 1000, 1, &cause)) != NULL);
	t0 = now_ms();
	mail(d, "a.test", &r);
	dt = now_ms() - t0;
	CHECK_INT(r.st, DNS_OK);
	CHECK_INT(r.nhops, 3);
	CHECK(dt >= 990);
	dns_free(d);
	/*
	 * SERVFAIL or REFUSED from the first: the second, at once (well
	 * before the first's timeout, which is long so that a busy machine
	 * cannot blur the two)
	 */
	str_fmt(servers, sizeof(servers), "127.0.0.1:%d,127.0.0.1:%d", servfail_port, zone_port);
	CHECK((d = dns_new(base, servers, ANSWER_MS, 1, &cause)) != NULL);
	t0 = now_ms();
	mail(d, "a.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK(now_ms() - t0 < ANSWER_MS / 2);
	dns_free(d);
	/* only failing servers: temporary */
	str_fmt(servers, sizeof(servers), "127.0.0.1:%d", servfail_port);
	CHECK((d = dns_new(base, servers, 1000, 3, &cause)) != NULL);
	mail(d, "a.test", &r);
	CHECK_INT(r.st, DNS_TEMPFAIL);
	CHECK(dns_set_servers(d, "127.0.0.1:1", &cause) == 0);
	str_fmt(servers, sizeof(servers), "127.0.0.1:%d", refused_port);
	CHECK(dns_set_servers(d, servers, &cause) == 0);
	mail(d, "a.test", &r);
	CHECK_INT(r.st, DNS_TEMPFAIL);
	dns_free(d);
}

static void
test_fallback(void)
{
	udp_bound(&hole_port);
	zone_port = dnsmasq_start(zone);
	servfail_port = responder_start(2);
	refused_port = responder_start(5);
	run(fallback_body);
}

/* ---------------------------------------------------------------- live changes */

static int port_a, port_b;

static void
switch_body(void)
{
	char sa[64], sb[64], sh[64], *cause = NULL;
	struct dns *d;
	struct addr_res a;
	struct mail_res r;
	long long t0;

	str_fmt(sa, sizeof(sa), "127.0.0.1:%d", port_a);
	str_fmt(sb, sizeof(sb), "127.0.0.1:%d", port_b);
	str_fmt(sh, sizeof(sh), "127.0.0.1:%d", hole_port);
	CHECK((d = dns_new(base, sa, 300, 2, &cause)) != NULL);
	addr(d, "switch.test", &a);
	CHECK_STR(addrs_text(a.addrs, a.naddr), "192.0.2.1");
	CHECK(dns_set_servers(d, sb, &cause) == 0);
	addr(d, "switch.test", &a);
	CHECK_STR(addrs_text(a.addrs, a.naddr), "192.0.2.2");
	/* bad syntax: refused, the servers stay */
	CHECK(dns_set_servers(d, "1.2.3.4:0", &cause) == -1);
	CHECK(cause != NULL);
	free(cause);
	cause = NULL;
	addr(d, "switch.test", &a);
	CHECK_STR(addrs_text(a.addrs, a.naddr), "192.0.2.2");
	/* unchanged (in another spelling): nothing happens */
	str_fmt(sb, sizeof(sb), " 127.0.0.1:%d ", port_b);
	CHECK(dns_set_servers(d, sb, &cause) == 0);
	addr(d, "switch.test", &a);
	CHECK_STR(addrs_text(a.addrs, a.naddr), "192.0.2.2");

	/*
	 * Switch while lookups are in flight on a silent server: they time
	 * out there, and their second try goes to the new server.
	 */
	CHECK(dns_set_servers(d, sh, &cause) == 0);
	memset(&r, 0, sizeof(r));
	memset(&a, 0, sizeof(a));
	t0 = now_ms();
	dns_resolve_mail(d, "a.test", mail_cb, &r);
	dns_resolve_addr(d, "switch.test", addr_cb, &a);
	CHECK(dns_set_servers(d, sa, &cause) == 0);
	while (r.called + a.called < 2)
		if (event_base_loop(base, EVLOOP_ONCE) != 0)
			break;
	CHECK_INT(r.called, 1);
	CHECK_INT(a.called, 1);
	CHECK_INT(r.st, DNS_OK);
	CHECK_INT(r.nhops, 1);
	CHECK_STR(r.hops[0].host, "mx.switch-a.test");
	CHECK_STR(addrs_text(a.addrs, a.naddr), "192.0.2.1");
	CHECK(now_ms() - t0 >= 290);
	/* the old channel is idle now: it is closed here, before dns_free */
	event_base_loop(base, EVLOOP_NONBLOCK);
	dns_free(d);
}

static void
test_set_servers(void)
{
	static const char *const za[] = {
		"--host-record=switch.test,192.0.2.1",
		"--mx-host=a.test,mx.switch-a.test,10",
		"--host-record=mx.switch-a.test,192.0.2.101", NULL,
	};
	static const char *const zb[] = {
		"--host-record=switch.test,192.0.2.2",
		"--mx-host=a.test,mx.switch-b.test,10",
		"--host-record=mx.switch-b.test,192.0.2.102", NULL,
	};

	udp_bound(&hole_port);
	port_a = dnsmasq_start(za);
	port_b = dnsmasq_start(zb);
	run(switch_body);
}

/* ---------------------------------------------------------------- dns_free */

static struct dns *victim;		/* the resolver the dns_free cases free */
static struct mail_res chain_res;	/* lookup started during dns_free */

static void
restart_cb(enum dns_status st, const struct dns_hop *hops, int nhops, void *arg)
{
	mail_cb(st, hops, nhops, arg);
	/* a new lookup from a callback run by dns_free: also reported, once */
	dns_resolve_mail(victim, "a.test", mail_cb, &chain_res);
}

static void
free_body(void)
{
	struct mail_res m[6];
	struct addr_res a[6];
	int before;

	victim = resolver(hole_port, 5000, 3);
	memset(m, 0, sizeof(m));
	memset(a, 0, sizeof(a));
	memset(&chain_res, 0, sizeof(chain_res));
	for (int i = 0; i < 3; i++) {
		dns_resolve_mail(victim, "a.test", mail_cb, &m[i]);
		dns_resolve_addr(victim, "mx1.a.test", addr_cb, &a[i]);
	}
	dns_resolve_mail(victim, "a..bad", mail_cb, &m[3]);	/* decided, not delivered */
	dns_resolve_addr(victim, "192.0.2.1", addr_cb, &a[3]);	/* answered, not delivered */
	dns_resolve_mail(victim, "nomx.test", restart_cb, &m[4]);
	event_base_loop(base, EVLOOP_NONBLOCK);	/* delivers the two decided ones */
	CHECK_INT(m[3].called, 1);
	CHECK_INT(m[3].st, DNS_BADNAME);
	CHECK_INT(a[3].called, 1);
	CHECK_INT(a[3].st, DNS_OK);
	dns_resolve_addr(victim, "192.0.2.2", addr_cb, &a[4]);	/* queued at dns_free */
	before = total_calls;
	dns_free(victim);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(m[i].called, 1);
		CHECK_INT(m[i].st, DNS_TEMPFAIL);
		CHECK_INT(a[i].called, 1);
		CHECK_INT(a[i].st, DNS_TEMPFAIL);
	}
	CHECK_INT(m[4].called, 1);
	CHECK_INT(m[4].st, DNS_TEMPFAIL);
	CHECK_INT(a[4].called, 1);
	CHECK_INT(a[4].st, DNS_TEMPFAIL);
	CHECK_INT(chain_res.called, 1);
	CHECK_INT(chain_res.st, DNS_TEMPFAIL);
	CHECK_INT(total_calls - before, 9);
	/* and nothing later */
	before = total_calls;
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(total_calls, before);
	CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == 0);
}

static void
test_free_outstanding(void)
{
	udp_bound(&hole_port);
	run(free_body);
}

static struct mail_res inner[3];

static void
free_inside_cb(enum dns_status st, const struct sockaddr_storage *addrs, int naddr, void *arg)
{
	addr_cb(st, addrs, naddr, arg);
	dns_free(victim);
	/* everything else was reported inside dns_free, once */
	CHECK_INT(inner[0].called, 1);
	CHECK_INT(inner[0].st, DNS_TEMPFAIL);
	CHECK_INT(inner[1].called, 1);
	CHECK_INT(inner[2].called, 1);
}

static void
free_inside_body(void)
{
	struct addr_res first, second;

	victim = resolver(hole_port, 5000, 3);
	memset(inner, 0, sizeof(inner));
	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	dns_resolve_mail(victim, "a.test", mail_cb, &inner[0]);	/* in flight */
	dns_resolve_addr(victim, "192.0.2.1", free_inside_cb, &first);
	dns_resolve_addr(victim, "192.0.2.2", addr_cb, &second);	/* same batch, after */
	dns_resolve_mail(victim, "", mail_cb, &inner[1]);
	dns_resolve_mail(victim, "nomx.test", mail_cb, &inner[2]);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(first.called, 1);
	CHECK_INT(first.st, DNS_OK);
	CHECK_INT(second.called, 1);
	CHECK_INT(second.st, DNS_TEMPFAIL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == 0);
}

static void
test_free_in_callback(void)
{
	udp_bound(&hole_port);
	run(free_inside_body);
}

/* ---------------------------------------------------------------- load */

static void
many_body(void)
{
	enum { N = 200 };
	static struct mail_res m[N];
	static struct addr_res a[N];
	/*
	 * ~1,400 queries at once: on a busy machine dnsmasq's socket buffer
	 * overflows and drops some; many short tries resend them instead of
	 * losing a hop (a drop costs 2 s, not the test)
	 */
	struct dns *d = resolver(zone_port, 2000, 8);
	int want = total_calls + 2 * N;

	for (int i = 0; i < N; i++) {
		dns_resolve_mail(d, i % 3 == 0 ? "a.test" : i % 3 == 1 ? "nx.test" : "nomx.test",
		    mail_cb, &m[i]);
		dns_resolve_addr(d, i % 2 ? "mx1.a.test" : "192.0.2.3", addr_cb, &a[i]);
	}
	loop_until(&total_calls, want);
	for (int i = 0; i < N; i++) {
		CHECK_INT(m[i].called, 1);
		CHECK_INT(m[i].st, i % 3 == 1 ? DNS_NXDOMAIN : DNS_OK);
		CHECK_INT(m[i].nhops, i % 3 == 0 ? 3 : i % 3 == 1 ? 0 : 1);
		CHECK_INT(a[i].called, 1);
		CHECK_INT(a[i].naddr, i % 2 ? 2 : 1);
	}
	dns_free(d);
	/* every socket and timer went away with it */
	CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == 0);
}

static void
test_many(void)
{
	zone_port = dnsmasq_start(zone);
	run(many_body);
}

/* ---------------------------------------------------------------- dns_query_a */

struct a_res {
	int called;
	enum dns_status st;
	int naddr, ttl;
	unsigned int addrs[DNS_MAX_ADDRS];
};

static void
a_cb(enum dns_status st, const unsigned int *addrs, int naddr, int ttl, void *arg)
{
	struct a_res *r = arg;

	if (naddr < 0 || naddr > DNS_MAX_ADDRS || (st == DNS_OK) != (naddr > 0) ||
	    (naddr > 0 && addrs == NULL) || (st == DNS_OK && ttl < 0) ||
	    (st != DNS_OK && st != DNS_NXDOMAIN && st != DNS_NODATA && ttl != -1))
		UNIT_FAIL("A callback: status %d with %d addresses, ttl %d", st, naddr, ttl);
	r->called++;
	total_calls++;
	r->st = st;
	r->naddr = naddr;
	r->ttl = ttl;
	if (naddr > 0)
		memcpy(r->addrs, addrs, (size_t)naddr * sizeof(*addrs));
}

/* qa - dns_query_a synchronously, checking the callback came once, from the loop */
static void
qa(struct dns *d, const char *name, struct a_res *r)
{
	memset(r, 0, sizeof(*r));
	dns_query_a(d, name, a_cb, r);
	CHECK_INT(r->called, 0);	/* never from inside dns_query_a */
	loop_until(&r->called, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(r->called, 1);
}

/* a_text - "127.0.1.2 127.0.1.3", sorted (DNS answers come in any order) */
static const char *
a_text(const struct a_res *r)
{
	static char out[512];
	unsigned int v[DNS_MAX_ADDRS];
	size_t len = 0;

	memcpy(v, r->addrs, sizeof(v));
	for (int i = 1; i < r->naddr; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			unsigned int t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	out[0] = '\0';
	for (int i = 0; i < r->naddr; i++) {
		str_fmt(out + len, sizeof(out) - len, "%s%u.%u.%u.%u", i ? " " : "", v[i] >> 24,
		    v[i] >> 16 & 255, v[i] >> 8 & 255, v[i] & 255);
		len = strlen(out);
	}
	return out;
}

static const char *const dbl_zone[] = {
	"--host-record=bad.example.dbl.test,127.0.1.2,300",
	"--host-record=two.example.dbl.test,127.0.1.3,60",
	"--host-record=two.example.dbl.test,127.0.1.5,900",
	"--host-record=2.0.0.127.zen.test,127.0.0.2,45",
	"--cname=alias.dbl.test,bad.example.dbl.test",
	"--host-record=v6only.dbl.test,2001:db8::7",
	"--txt-record=txt.dbl.test,hello",
	NULL,
};

static int soa_port;

static void
a_records_body(void)
{
	struct dns *d = resolver(zone_port, ANSWER_MS, 2);
	struct a_res r;

	qa(d, "bad.example.dbl.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(a_text(&r), "127.0.1.2");
	CHECK_INT(r.ttl, 300);
	/* two records: both, and the smaller TTL; case and a final dot do not matter */
	qa(d, "Two.Example.DBL.test.", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(a_text(&r), "127.0.1.3 127.0.1.5");
	CHECK_INT(r.ttl, 60);
	qa(d, "2.0.0.127.zen.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(a_text(&r), "127.0.0.2");
	CHECK_INT(r.ttl, 45);
	/* a CNAME is followed */
	qa(d, "alias.dbl.test", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(a_text(&r), "127.0.1.2");
	/* negative answers: dnsmasq's --local answers carry no SOA */
	qa(d, "clean.example.dbl.test", &r);
	CHECK_INT(r.st, DNS_NXDOMAIN);
	CHECK_INT(r.naddr, 0);
	CHECK_INT(r.ttl, -1);
	qa(d, "v6only.dbl.test", &r);
	CHECK_INT(r.st, DNS_NODATA);
	qa(d, "txt.dbl.test", &r);
	CHECK_INT(r.st, DNS_NODATA);
	/* never an address literal or the hosts file: "localhost" is asked of DNS */
	qa(d, "localhost", &r);
	CHECK(r.st != DNS_OK);
	dns_free(d);
}

static void
test_a_records(void)
{
	zone_port = dnsmasq_start(dbl_zone);
	run(a_records_body);
}

static void
a_failures_body(void)
{
	char servers[64], *cause = NULL;
	struct dns *d;
	struct a_res r;
	long long t0, dt;

	/* the SOA of a negative answer says how long it may be kept */
	d = resolver(soa_port, ANSWER_MS, 1);
	qa(d, "clean.example.dbl.test", &r);
	CHECK_INT(r.st, DNS_NXDOMAIN);
	CHECK_INT(r.ttl, 120);
	dns_free(d);
	/* SERVFAIL and REFUSED: temporary, no TTL */
	str_fmt(servers, sizeof(servers), "127.0.0.1:%d", servfail_port);
	CHECK((d = dns_new(base, servers, ANSWER_MS, 2, &cause)) != NULL);
	qa(d, "bad.example.dbl.test", &r);
	CHECK_INT(r.st, DNS_TEMPFAIL);
	CHECK_INT(r.ttl, -1);
	str_fmt(servers, sizeof(servers), "127.0.0.1:%d", refused_port);
	CHECK(dns_set_servers(d, servers, &cause) == 0);
	qa(d, "bad.example.dbl.test", &r);
	CHECK_INT(r.st, DNS_TEMPFAIL);
	dns_free(d);
	/* silence: TEMPFAIL after tries x timeout */
	d = resolver(hole_port, 400, 2);
	t0 = now_ms();
	qa(d, "bad.example.dbl.test", &r);
	dt = now_ms() - t0;
	CHECK_INT(r.st, DNS_TEMPFAIL);
	if (dt < 780 || dt >= 3000)
		UNIT_FAIL("gave up after %lld ms, expected about 800", dt);
	/* bad names: decided without a query, still from the loop */
	qa(d, "a..test", &r);
	CHECK_INT(r.st, DNS_BADNAME);
	qa(d, "", &r);
	CHECK_INT(r.st, DNS_BADNAME);
	dns_free(d);
}

static void
test_a_failures(void)
{
	udp_bound(&hole_port);
	soa_port = soa_responder_start(3);
	servfail_port = responder_start(2);
	refused_port = responder_start(5);
	run(a_failures_body);
}

static void
a_free_body(void)
{
	struct a_res r[3];
	int before;

	victim = resolver(hole_port, 5000, 3);
	memset(r, 0, sizeof(r));
	dns_query_a(victim, "bad.example.dbl.test", a_cb, &r[0]);	/* in flight */
	dns_query_a(victim, "a..bad", a_cb, &r[1]);		/* decided, not delivered */
	dns_query_a(victim, "x.dbl.test", a_cb, &r[2]);
	before = total_calls;
	dns_free(victim);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(r[i].called, 1);
		CHECK_INT(r[i].st, DNS_TEMPFAIL);
		CHECK_INT(r[i].ttl, -1);
	}
	CHECK_INT(total_calls - before, 3);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(total_calls - before, 3);
	CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == 0);
}

static void
test_a_free(void)
{
	udp_bound(&hole_port);
	run(a_free_body);
}

/* ---------------------------------------------------------------- dns_resolve_ptr */

/*
 * canned_start - a server answering every query with its question and
 * the n resource records rr[0..len) (owners written as pointers to the
 * question, 0xc0 0x0c); its port
 */
static int
canned_start(const unsigned char *rr, size_t rrlen, int n)
{
	unsigned char buf[1024];
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t len;
	size_t end;
	pid_t pid;
	int port, fd = udp_bound(&port);

	if (nchildren == MAX_CHILDREN)
		SETUP_FAIL("too many servers");
	if (rrlen > 512)
		SETUP_FAIL("canned answer too long");
	fflush(NULL);
	if ((pid = fork()) < 0)
		SETUP_FAIL("fork: %s", strerror(errno));
	if (pid > 0) {
		close(fd);
		children[nchildren++] = pid;
		return port;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the case */
	for (;;) {
		flen = sizeof(from);
		len = recvfrom(fd, buf, 400, 0, (struct sockaddr *)&from, &flen);
		if (len < 12)
			continue;
		for (end = 12; end < (size_t)len && buf[end] != 0; end += buf[end] + 1u)
			;
		end += 5;
		if (end > (size_t)len)
			continue;
		buf[2] = (unsigned char)(0x84 | (buf[2] & 0x01));	/* QR AA RD */
		buf[3] = 0x80;						/* RA, NOERROR */
		memset(buf + 6, 0, 6);
		buf[7] = (unsigned char)n;				/* ANCOUNT */
		memcpy(buf + end, rr, rrlen);
		sendto(fd, buf, end + rrlen, 0, (struct sockaddr *)&from, flen);
	}
}

struct ptr_res {
	int called;
	enum dns_status st;
	char name[256];
};

static void
ptr_cb(enum dns_status st, const char *name, void *arg)
{
	struct ptr_res *r = arg;

	if ((st == DNS_OK) != (name != NULL))
		UNIT_FAIL("PTR callback: status %d with name %s", st, name ? name : "(null)");
	r->called++;
	total_calls++;
	r->st = st;
	str_copy(r->name, name ? name : "", sizeof(r->name));
}

/* ptr - dns_resolve_ptr synchronously, checking the callback came once, from the loop */
static void
ptr(struct dns *d, const char *ip, struct ptr_res *r)
{
	memset(r, 0, sizeof(*r));
	dns_resolve_ptr(d, ip, ptr_cb, r);
	CHECK_INT(r->called, 0);	/* never from inside dns_resolve_ptr */
	loop_until(&r->called, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(r->called, 1);
}

static const char *const ptr_zone[] = {
	/* authoritative for the reverse trees: an unknown address is NXDOMAIN */
	"--local=/in-addr.arpa/", "--local=/ip6.arpa/",
	"--ptr-record=1.2.0.192.in-addr.arpa,Mail.Example.TEST",
	"--ptr-record=5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa,"
	    "v6.example.test",
	/* an address as its own name, alone and beside a real name */
	"--ptr-record=3.2.0.192.in-addr.arpa,192.0.2.3",
	"--ptr-record=4.2.0.192.in-addr.arpa,192.0.2.4",
	"--ptr-record=4.2.0.192.in-addr.arpa,good.example.test",
	NULL,
};

static void
ptr_records_body(void)
{
	struct dns *d = resolver(zone_port, ANSWER_MS, 2);
	struct ptr_res r;

	ptr(d, "192.0.2.1", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(r.name, "mail.example.test");	/* lower case, no final dot */
	/* bracketed, and as a dual-stack socket reports an IPv4 client */
	ptr(d, "[192.0.2.1]", &r);
	CHECK_STR(r.name, "mail.example.test");
	ptr(d, "::ffff:192.0.2.1", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(r.name, "mail.example.test");
	/* IPv6: the nibbles of RFC 3596 2.5, however the address is written */
	ptr(d, "2001:DB8::5", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(r.name, "v6.example.test");
	ptr(d, "[IPv6:2001:db8:0::5]", &r);
	CHECK_STR(r.name, "v6.example.test");
	/* an address is no name: skipped, and with nothing else left, no data */
	ptr(d, "192.0.2.3", &r);
	CHECK_INT(r.st, DNS_NODATA);
	CHECK_STR(r.name, "");
	ptr(d, "192.0.2.4", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(r.name, "good.example.test");
	/* no PTR record */
	ptr(d, "192.0.2.99", &r);
	CHECK_INT(r.st, DNS_NXDOMAIN);
	ptr(d, "2001:db8::99", &r);
	CHECK_INT(r.st, DNS_NXDOMAIN);
	dns_free(d);
}

static void
test_ptr_records(void)
{
	zone_port = dnsmasq_start(ptr_zone);
	run(ptr_records_body);
}

static int order_port, junk_port;

static void
ptr_hostile_body(void)
{
	struct dns *d = resolver(order_port, ANSWER_MS, 1);
	struct ptr_res r;

	/* the first record that is a host name, in the order sent */
	ptr(d, "198.51.100.7", &r);
	CHECK_INT(r.st, DNS_OK);
	CHECK_STR(r.name, "first.example.test");
	dns_free(d);
	/* nothing usable: no data, and nothing of it reaches the caller */
	d = resolver(junk_port, ANSWER_MS, 1);
	ptr(d, "198.51.100.8", &r);
	CHECK_INT(r.st, DNS_NODATA);
	CHECK_STR(r.name, "");
	dns_free(d);
}

static void
test_ptr_hostile(void)
{
#define RR(type, len) 0xc0, 0x0c, 0, type, 0, 1, 0, 0, 0, 60, 0, len
	static const unsigned char order[] = {
		RR(5, 8), 1, 'x', 4, 't', 'e', 's', 't', 0,	/* a CNAME: passed over */
		RR(12, 15), 8, 'b', 'a', 'd', ' ', 'n', 'a', 'm', 'e', 4, 't', 'e', 's', 't', 0,
		RR(12, 12), 5, 'a', '\r', '\n', 'b', 'c', 4, 't', 'e', 's', 't', 0,
		RR(12, 10), 3, 'a', '.', 'b', 4, 't', 'e', 's', 't', 0,	/* a dot in a label */
		RR(12, 14), 3, '1', '9', '8', 2, '5', '1', 3, '1', '0', '0', 1, '9', 0,
		RR(16, 6), 5, 'h', 'e', 'l', 'l', 'o',		/* a TXT record */
		RR(12, 20), 5, 'F', 'i', 'r', 's', 't', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e',
		4, 't', 'e', 's', 't', 0,
		RR(12, 13), 6, 's', 'e', 'c', 'o', 'n', 'd', 4, 't', 'e', 's', 't', 0,
	};
	static const unsigned char junk[] = {
		RR(12, 15), 8, 'b', 'a', 'd', ' ', 'n', 'a', 'm', 'e', 4, 't', 'e', 's', 't', 0,
		RR(12, 1), 0,						/* the root */
		RR(12, 14), 3, '1', '9', '8', 2, '5', '1', 3, '1', '0', '0', 1, '8', 0,
	};
#undef RR

	order_port = canned_start(order, sizeof(order), 8);
	junk_port = canned_start(junk, sizeof(junk), 3);
	run(ptr_hostile_body);
}

static void
ptr_failures_body(void)
{
	static const char *const bad[] = {
		"", "192.0.2", "192.0.2.1.5", "mail.example.test", "[IPv6:192.0.2.1]",
		"2001:db8::1::2", "[192.0.2.1", "192.0.2.1 ",
	};
	struct dns *d;
	struct ptr_res r;
	long long t0, dt;

	/* not an address: decided at once without asking the (silent) server */
	d = resolver(hole_port, 2000, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t0 = now_ms();
		ptr(d, bad[i], &r);
		if (r.st != DNS_BADNAME)
			UNIT_FAIL("'%s': status %d", bad[i], r.st);
		CHECK(now_ms() - t0 < 1000);
	}
	dns_free(d);
	/* silence: TEMPFAIL after tries x timeout */
	d = resolver(hole_port, 400, 2);
	t0 = now_ms();
	ptr(d, "192.0.2.1", &r);
	dt = now_ms() - t0;
	CHECK_INT(r.st, DNS_TEMPFAIL);
	if (dt < 780 || dt >= 3000)
		UNIT_FAIL("gave up after %lld ms, expected about 800", dt);
	dns_free(d);
	/* SERVFAIL */
	d = resolver(servfail_port, ANSWER_MS, 1);
	ptr(d, "192.0.2.1", &r);
	CHECK_INT(r.st, DNS_TEMPFAIL);
	dns_free(d);
}

static void
test_ptr_failures(void)
{
	udp_bound(&hole_port);
	servfail_port = responder_start(2);
	run(ptr_failures_body);
}

static void
ptr_free_body(void)
{
	struct ptr_res r[3];
	int before;

	victim = resolver(hole_port, 5000, 3);
	memset(r, 0, sizeof(r));
	dns_resolve_ptr(victim, "192.0.2.1", ptr_cb, &r[0]);	/* in flight */
	dns_resolve_ptr(victim, "bogus", ptr_cb, &r[1]);	/* decided, not delivered */
	dns_resolve_ptr(victim, "2001:db8::1", ptr_cb, &r[2]);
	before = total_calls;
	dns_free(victim);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(r[i].called, 1);
		CHECK_INT(r[i].st, DNS_TEMPFAIL);
	}
	CHECK_INT(total_calls - before, 3);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(total_calls - before, 3);
	CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == 0);
}

static void
test_ptr_free(void)
{
	udp_bound(&hole_port);
	run(ptr_free_body);
}

static const struct unit_case cases[] = {
	{ "parse_servers", test_parse_servers },
	{ "status_str", test_status_str },
	{ "new_args", test_new_args },
	{ "mx_order", test_mx_order },
	{ "mx_shuffle", test_mx_shuffle },
	{ "implicit_mx", test_implicit_mx },
	{ "negative", test_negative },
	{ "mx_skip_bad", test_mx_skip_bad },
	{ "big_answers", test_big_answers },
	{ "addr", test_addr },
	{ "badname", test_badname },
	{ "server_down", test_server_down },
	{ "timeout", test_timeout },
	{ "fallback", test_fallback },
	{ "set_servers", test_set_servers },
	{ "free_outstanding", test_free_outstanding },
	{ "free_in_callback", test_free_in_callback },
	{ "many", test_many },
	{ "a_records", test_a_records },
	{ "a_failures", test_a_failures },
	{ "a_free", test_a_free },
	{ "ptr_records", test_ptr_records },
	{ "ptr_hostile", test_ptr_hostile },
	{ "ptr_failures", test_ptr_failures },
	{ "ptr_free", test_ptr_free },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("dns", cases, argc, argv);
}
