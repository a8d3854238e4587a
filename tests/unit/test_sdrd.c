/*
 * test_sdrd.c - daemon/sdrd.c's callback rules, against a DNS blocklist
 * zone served by dnsmasq on 127.0.0.1 (never the network): a callback
 * exactly once, from the loop, never inside sdrd_lookup or sdrd_dnslist;
 * one query for lookups of the same domain in flight at once; the answer
 * at sdr.timeout when the DNS does not answer; dnslist() for IPv4 and
 * IPv6, error codes not listings; sdrd_free with lookups pending; feed
 * indicators from the copy in memory, one not valid yet counting only
 * once its valid_from has come, without a poll.
 *
 * The engine runs on a struct gw made here (loop, queue.db, mail_logs,
 * resolver, configuration), as mxgated makes it. Each case runs its body
 * in a child, which LeakSanitizer checks when built with SAN=1.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <event2/event.h>

#include "daemon/gw.h"
#include "daemon/sdrd.h"
#include "daemon/sdrd_int.h"
#include "mail/logsub.h"
#include "net/dns.h"
#include "store/queue.h"
#include "store/sdrfeed.h"
#include "util/str.h"
#include "tests/unit/unit.h"

#define DNSMASQ "/usr/sbin/dnsmasq"

extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static pid_t dns_pid;			/* dnsmasq, killed when the case ends */
static int dns_port, hole_port;		/* dnsmasq; a UDP port nobody reads */
static char dns_log[512];		/* dnsmasq's query log */
static struct event_base *base;
static struct gw gw;

/* ---------------------------------------------------------------- servers */

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
		UNIT_FAIL("cannot bind a UDP socket: %s", strerror(errno));
	*port = ntohs(sin.sin_port);
	return fd;
}

/* queries - A queries dnsmasq has logged for name */
static int
queries(const char *name)
{
	char line[1024], want[512];
	FILE *f = fopen(dns_log, "r");
	int n = 0;

	str_fmt(want, sizeof(want), "query[A] %s from", name);
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, want) != NULL;
	fclose(f);
	return n;
}

/* dnsmasq_start - the test zones on a free port (checked by a real query) */
static void
dnsmasq_start(void)
{
	static const char *const records[] = {
		"--host-record=awful.test.dbl.test,127.0.1.2,300",
		"--host-record=same.test.dbl.test,127.0.1.3,300",
		"--host-record=bad.test.z1.test,127.0.1.2,300",
		"--host-record=2.0.0.127.ip.test,127.0.0.2,300",
		"--host-record=3.0.0.127.ip.test,127.255.255.254,300",
		"--host-record=1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip.test,"
		"127.0.0.2,300",
		NULL,
	};
	char portarg[32], logarg[600], hole[64];
	const char *argv[64];
	const char *tmp = getenv("UNIT_TMP") ? getenv("UNIT_TMP") : "/tmp";
	int n, fd;

	if (access(DNSMASQ, X_OK) != 0)
		UNIT_FAIL("%s is missing: apt-get install dnsmasq-base", DNSMASQ);
	udp_bound(&hole_port);	/* left open, never read */
	for (int attempt = 0; attempt < 3; attempt++) {
		fd = udp_bound(&dns_port);
		close(fd);
		str_fmt(portarg, sizeof(portarg), "--port=%d", dns_port);
		str_fmt(dns_log, sizeof(dns_log), "%s/sdrd-dnsmasq-%d.log", tmp, dns_port);
		str_fmt(logarg, sizeof(logarg), "--log-facility=%s", dns_log);
		str_fmt(hole, sizeof(hole), "--server=/hole.test/127.0.0.1#%d", hole_port);
		n = 0;
		argv[n++] = "dnsmasq";
		argv[n++] = "--conf-file=/dev/null";
		argv[n++] = "--keep-in-foreground";
		argv[n++] = "--no-resolv";
		argv[n++] = "--no-hosts";
		argv[n++] = "--no-poll";
		argv[n++] = "--pid-file=";
		argv[n++] = "--log-queries";
		argv[n++] = logarg;
		argv[n++] = "--listen-address=127.0.0.1";
		argv[n++] = "--bind-interfaces";
		argv[n++] = "--local=/test/";
		argv[n++] = hole;
		argv[n++] = portarg;
		for (int i = 0; records[i] != NULL; i++)
			argv[n++] = records[i];
		argv[n] = NULL;
		fflush(NULL);
		if ((dns_pid = fork()) == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			dup2(fd, 2);
			execv(DNSMASQ, (char *const *)argv);
			_exit(127);
		}
		for (int i = 0; i < 100; i++) {
			int status;

			if (waitpid(dns_pid, &status, WNOHANG) == dns_pid)
				break;
			if (access(dns_log, F_OK) == 0) {
				FILE *f = fopen(dns_log, "r");
				char line[512];
				int started = 0;

				while (f != NULL && fgets(line, sizeof(line), f) != NULL)
					started |= strstr(line, "started") != NULL;
				if (f != NULL)
					fclose(f);
				if (started) {
					usleep(100000);
					return;
				}
			}
			usleep(20000);
		}
		kill(dns_pid, SIGKILL);
		waitpid(dns_pid, NULL, 0);
	}
	UNIT_FAIL("dnsmasq did not start");
}

/* ---------------------------------------------------------------- the gateway */

/* gw_up - a gateway as mxgated makes one, with SDR timeout seconds and the given DNS server */
static struct sdrd *
gw_up(int timeout, int port)
{
	char servers[64], *cause = NULL, *dir = unit_tmpdir();
	struct logsub mail;
	struct sdr_conf *c;
	struct sdrd *s;

	memset(&gw, 0, sizeof(gw));
	gw.base = base;
	gw.dir = str_dup(dir);
	if (queue_open(dir, &gw.q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	logsub_defaults(&mail, "mail_logs", LOGSUB_MAIL);
	gw.logs = logsub_out_new(dir, LOGSUB_MAIL);
	if (logsub_out_apply(gw.logs, &mail, 1, &cause) < 0)
		UNIT_FAIL("logs: %s", cause);
	str_fmt(servers, sizeof(servers), "127.0.0.1:%d", port);
	if ((gw.dns = dns_new(base, servers, 10000, 1, &cause)) == NULL)
		UNIT_FAIL("dns_new: %s", cause);
	gw.conf = xcalloc(1, sizeof(*gw.conf));
	c = &gw.conf->sdr;
	c->timeout = timeout;
	c->cache_ttl = 3600;
	c->feed_interval = 3600;
	c->rdap_bootstrap = str_dup("");
	c->nblocklists = 1;
	c->blocklists = xcalloc(1, sizeof(*c->blocklists));
	str_copy(c->blocklists[0].zone, port == dns_port ? "dbl.test" : "hole.test",
	    sizeof(c->blocklists[0].zone));
	if (sdr_codes_parse("127.0.1.2:Awful/Spam,127.0.1.3:Poor", &c->blocklists[0].codes,
	    &cause) < 0)
		UNIT_FAIL("codes: %s", cause);
	c->nlocal = 1;
	c->local = xcalloc(1, sizeof(*c->local));
	str_copy(c->local[0].domain, "good.test", sizeof(c->local[0].domain));
	c->local[0].verdict = SDR_GOOD;
	if ((s = sdrd_new(&gw, &cause)) == NULL)
		UNIT_FAIL("sdrd_new: %s", cause);
	gw.sdrd = s;
	return s;
}

/* gw_down - as mxgated's teardown: SDR, then DNS */
static void
gw_down(void)
{
	sdrd_free(gw.sdrd);
	dns_free(gw.dns);
	conf_free(gw.conf);
	logsub_out_free(gw.logs);
	queue_close(gw.q);
	free(gw.dir);
	memset(&gw, 0, sizeof(gw));
}

/* run - body in a child with a time limit and its own loop */
static void
run(void (*body)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		alarm(40);
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
	if (dns_pid > 0) {
		kill(dns_pid, SIGTERM);
		waitpid(dns_pid, NULL, 0);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		UNIT_FAIL("body failed (%s %d)", WIFSIGNALED(status) ? "signal" : "exit",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* ---------------------------------------------------------------- results */

struct res {
	int called;
	struct sdr_result r;
	long long at_ms;	/* when */
};

static int total;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
res_cb(const struct sdr_result *r, void *arg)
{
	struct res *x = arg;

	x->called++;
	total++;
	x->r = *r;
	x->at_ms = now_ms();
}

struct listed {
	int called, listed;
};

static void
listed_cb(int listed, void *arg)
{
	struct listed *x = arg;

	x->called++;
	total++;
	x->listed = listed;
}

static void
loop_until(const int *count, int want)
{
	while (*count < want)
		if (event_base_loop(base, EVLOOP_ONCE) != 0)
			break;
	CHECK_INT(*count, want);
}

/* inputs - env-from and header-from domains */
static void
inputs(struct sdr_inputs *in, const char *envfrom, const char *hfrom)
{
	memset(in, 0, sizeof(*in));
	str_copy(in->dom[SDR_IN_ENVFROM], envfrom, sizeof(in->dom[SDR_IN_ENVFROM]));
	str_copy(in->dom[SDR_IN_HFROM], hfrom, sizeof(in->dom[SDR_IN_HFROM]));
}

/* answer - the answer of source about domain in r, or NULL */
static const struct sdr_answer *
answer(const struct sdr_result *r, const char *source, const char *domain)
{
	for (int i = 0; i < r->nanswers; i++)
		if (strcmp(r->answers[i].source, source) == 0 &&
		    strcmp(r->answers[i].domain, domain) == 0)
			return &r->answers[i];
	return NULL;
}

/* ---------------------------------------------------------------- cases */

static void
lookup_body(void)
{
	struct sdrd *s = gw_up(5, dns_port);
	struct sdr_inputs in;
	struct res a, b, c;
	const struct sdr_answer *x;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	/* a listed domain and one the local table calls Good */
	inputs(&in, "awful.test", "good.test");
	sdrd_lookup(s, &in, res_cb, &a);
	CHECK_INT(a.called, 0);		/* never inside sdrd_lookup */
	/* the same domain twice more while the first query is in flight: one query */
	inputs(&in, "same.test", "");
	sdrd_lookup(s, &in, res_cb, &b);
	sdrd_lookup(s, &in, res_cb, &c);
	CHECK_INT(b.called + c.called, 0);
	loop_until(&total, 3);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(a.called, 1);
	CHECK_INT(b.called, 1);
	CHECK_INT(c.called, 1);
	CHECK(!a.r.unscannable);
	CHECK_INT(a.r.verdict, SDR_AWFUL);
	CHECK_STR(a.r.category, "Spam");
	CHECK((x = answer(&a.r, "dbl.test", "awful.test")) != NULL);
	CHECK_INT(x->status, SDR_ANS_LISTED);
	CHECK_STR(x->detail, "127.0.1.2");
	CHECK((x = answer(&a.r, "local", "good.test")) != NULL);
	CHECK_INT(x->verdict, SDR_GOOD);
	CHECK((x = answer(&a.r, "dbl.test", "good.test")) != NULL);
	CHECK_INT(x->status, SDR_ANS_CLEAN);
	CHECK_STR(x->detail, "NXDOMAIN");
	CHECK_INT(b.r.verdict, SDR_POOR);
	CHECK_INT(c.r.verdict, SDR_POOR);
	CHECK_INT(queries("same.test.dbl.test"), 1);
	/* and from the cache afterwards, still from the loop */
	memset(&b, 0, sizeof(b));
	sdrd_lookup(s, &in, res_cb, &b);
	CHECK_INT(b.called, 0);
	loop_until(&b.called, 1);
	CHECK_INT(b.r.verdict, SDR_POOR);
	CHECK_INT(queries("same.test.dbl.test"), 1);
	/* no domain at all: answered at once, unknown */
	memset(&b, 0, sizeof(b));
	inputs(&in, "", "");
	sdrd_lookup(s, &in, res_cb, &b);
	CHECK_INT(b.called, 0);
	loop_until(&b.called, 1);
	CHECK_INT(b.r.nanswers, 0);
	CHECK_INT(b.r.verdict, SDR_UNKNOWN);
	gw_down();
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(total, 5);
}

static void
test_lookup(void)
{
	dnsmasq_start();
	run(lookup_body);
}

static void
timeout_body(void)
{
	struct sdrd *s = gw_up(1, dns_port);
	struct sdr_inputs in;
	struct res a;
	long long t0;
	const struct sdr_answer *x;

	/* the zone hole.test is forwarded to a server that never answers */
	str_copy(gw.conf->sdr.blocklists[0].zone, "hole.test", sizeof(gw.conf->sdr.blocklists[0].zone));
	sdrd_conf(s, &gw.conf->sdr);
	memset(&a, 0, sizeof(a));
	inputs(&in, "slow.test", "");
	t0 = now_ms();
	sdrd_lookup(s, &in, res_cb, &a);
	loop_until(&a.called, 1);
	if (a.at_ms - t0 < 990 || a.at_ms - t0 > 6000)
		UNIT_FAIL("answered after %lld ms, expected about 1000", a.at_ms - t0);
	CHECK(a.r.unscannable);
	CHECK((x = answer(&a.r, "hole.test", "slow.test")) != NULL);
	CHECK_INT(x->status, SDR_ANS_ERROR);
	CHECK_STR(x->detail, "timeout");
	/* freed with its DNS query still out: nothing more is called */
	gw_down();
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(a.called, 1);
	CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == 0);
}

static void
test_timeout(void)
{
	dnsmasq_start();
	run(timeout_body);
}

static void
dnslist_body(void)
{
	struct sdrd *s = gw_up(5, dns_port);
	struct listed l[6];

	memset(l, 0, sizeof(l));
	sdrd_dnslist(s, "127.0.0.2", "ip.test", listed_cb, &l[0]);
	sdrd_dnslist(s, "127.0.0.3", "IP.test.", listed_cb, &l[1]);	/* the error code */
	sdrd_dnslist(s, "127.0.0.9", "ip.test", listed_cb, &l[2]);	/* NXDOMAIN */
	sdrd_dnslist(s, "::1", "ip.test", listed_cb, &l[3]);		/* nibbles */
	sdrd_dnslist(s, "not an address", "ip.test", listed_cb, &l[4]);
	sdrd_dnslist(s, "127.0.0.2", "", listed_cb, &l[5]);
	for (int i = 0; i < 6; i++)
		CHECK_INT(l[i].called, 0);
	loop_until(&total, 6);
	for (int i = 0; i < 6; i++)
		CHECK_INT(l[i].called, 1);
	CHECK_INT(l[0].listed, 1);
	CHECK_INT(l[1].listed, 0);
	CHECK_INT(l[2].listed, 0);
	CHECK_INT(l[3].listed, 1);
	CHECK_INT(l[4].listed, 0);
	CHECK_INT(l[5].listed, 0);
	/* cached: no second query */
	memset(l, 0, sizeof(l));
	sdrd_dnslist(s, "127.0.0.2", "ip.test", listed_cb, &l[0]);
	CHECK_INT(l[0].called, 0);
	loop_until(&l[0].called, 1);
	CHECK_INT(l[0].listed, 1);
	CHECK_INT(queries("2.0.0.127.ip.test"), 1);
	gw_down();
}

static void
test_dnslist(void)
{
	dnsmasq_start();
	run(dnslist_body);
}

static struct res chained;

static void
again_cb(const struct sdr_result *r, void *arg)
{
	struct sdr_inputs in;

	res_cb(r, arg);
	/* a lookup started by a callback sdrd_free runs: answered too, once */
	inputs(&in, "awful.test", "");
	sdrd_lookup(gw.sdrd, &in, res_cb, &chained);
}

static void
free_body(void)
{
	struct sdrd *s = gw_up(10, hole_port);	/* nothing answers */
	struct sdr_inputs in;
	struct res a[3];

	memset(a, 0, sizeof(a));
	memset(&chained, 0, sizeof(chained));
	inputs(&in, "one.test", "two.test");
	sdrd_lookup(s, &in, res_cb, &a[0]);
	sdrd_lookup(s, &in, again_cb, &a[1]);
	inputs(&in, "", "");
	sdrd_lookup(s, &in, res_cb, &a[2]);	/* finished, not yet delivered */
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(a[2].called, 1);
	CHECK_INT(a[0].called + a[1].called, 0);
	sdrd_free(s);
	gw.sdrd = NULL;
	CHECK_INT(a[0].called, 1);
	CHECK_INT(a[1].called, 1);
	CHECK_INT(chained.called, 1);
	CHECK(a[0].r.unscannable);
	CHECK(chained.r.nanswers == 0 || chained.r.unscannable);
	gw_down();
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(a[0].called, 1);
	CHECK_INT(total, 4);
	CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == 0);
}

static void
test_free(void)
{
	dnsmasq_start();
	run(free_body);
}

/* feed_ind - an indicator for domain, category Malware, valid from from */
static struct sdr_indicator
feed_ind(const char *id, const char *domain, enum sdr_verdict v, time_t from)
{
	struct sdr_indicator i;

	memset(&i, 0, sizeof(i));
	str_copy(i.id, id, sizeof(i.id));
	str_copy(i.domain, domain, sizeof(i.domain));
	i.verdict = v;
	str_copy(i.category, "Malware", sizeof(i.category));
	i.valid_from = from;
	return i;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void
feed_body(void)
{
	struct sdrd *s = gw_up(5, dns_port);
	struct sdr_conf *c = &gw.conf->sdr;
	struct sdr_indicator v[2];
	struct sdrfeed_poll p;
	struct sdrfeed_state st;
	struct sdr_inputs in;
	struct res a;
	const struct sdr_answer *x;
	struct event *ev;
	struct timeval tenth = { 0, 100000 };
	char *cause = NULL;
	time_t t0 = time(NULL), from = t0 + 3;
	int added, removed;

	/* a poll made before: one indicator valid now, one from t0 + 3 */
	v[0] = feed_ind("indicator--1", "now.test", SDR_POOR, t0 - 60);
	v[1] = feed_ind("indicator--2", "soon.test", SDR_AWFUL, from);
	memset(&p, 0, sizeof(p));
	p.feed = "f1";
	p.ind = v;
	p.nind = 2;
	p.added_after = "";
	p.now = t0;
	if (sdrfeed_store(gw.q, &p, &added, &removed, &cause) < 0)
		UNIT_FAIL("sdrfeed_store: %s", cause);
	/* the feed configured (polled just now: the next poll is an interval away) */
	c->nfeeds = 1;
	c->feeds = xcalloc(1, sizeof(*c->feeds));
	str_copy(c->feeds[0].name, "f1", sizeof(c->feeds[0].name));
	str_copy(c->feeds[0].url, "http://127.0.0.1:9/collections/c1/objects/",
	    sizeof(c->feeds[0].url));
	sdrd_conf(s, c);
	/* before its time: no verdict from the feed */
	memset(&a, 0, sizeof(a));
	inputs(&in, "soon.test", "now.test");
	if (time(NULL) >= from)
		UNIT_FAIL("too slow: valid_from passed before the first lookup");
	sdrd_lookup(s, &in, res_cb, &a);
	loop_until(&a.called, 1);
	CHECK(answer(&a.r, "f1", "soon.test") == NULL);
	CHECK((x = answer(&a.r, "f1", "now.test")) != NULL);
	CHECK_INT(x->verdict, SDR_POOR);
	CHECK_INT(a.r.verdict, SDR_POOR);
	CHECK_STR(a.r.suspected, "now.test");
	/* the clock reaches valid_from (the loop ticks meanwhile, as in mxgated) */
	ev = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(ev, &tenth);
	while (time(NULL) < from && time(NULL) < t0 + 30)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	CHECK(time(NULL) >= from);
	/* from then on it counts, from the copy in memory: no poll was made */
	memset(&a, 0, sizeof(a));
	sdrd_lookup(s, &in, res_cb, &a);
	loop_until(&a.called, 1);
	CHECK((x = answer(&a.r, "f1", "soon.test")) != NULL);
	CHECK_INT(x->status, SDR_ANS_LISTED);
	CHECK_INT(x->verdict, SDR_AWFUL);
	CHECK_STR(x->detail, "indicator--2");
	CHECK_INT(a.r.verdict, SDR_AWFUL);
	CHECK_STR(a.r.category, "Malware");
	CHECK_INT(sdrfeed_get(gw.q, "f1", &st, &cause), 1);
	CHECK_INT(st.last_poll, t0);
	gw_down();
}

static void
test_feed(void)
{
	dnsmasq_start();
	run(feed_body);
}

/* zones_conf - n zones z0.test ... (only bad.test.z1.test is listed) in place of the test's one */
static void
zones_conf(struct sdrd *s, int n)
{
	struct sdr_conf *c = &gw.conf->sdr;
	char *cause = NULL;

	free(c->blocklists);
	c->nblocklists = n;
	c->blocklists = xcalloc((size_t)n, sizeof(*c->blocklists));
	for (int i = 0; i < n; i++) {
		str_fmt(c->blocklists[i].zone, sizeof(c->blocklists[i].zone), "z%d.test", i);
		if (sdr_codes_parse("127.0.1.2:Awful/Spam", &c->blocklists[i].codes, &cause) < 0)
			UNIT_FAIL("codes: %s", cause);
	}
	sdrd_conf(s, c);
}

/* many_inputs - all five domains, the listed one fourth (header-from) */
static void
many_inputs(struct sdr_inputs *in)
{
	memset(in, 0, sizeof(*in));
	str_copy(in->dom[SDR_IN_RDNS], "r.test", sizeof(in->dom[SDR_IN_RDNS]));
	str_copy(in->dom[SDR_IN_HELO], "a.test", sizeof(in->dom[SDR_IN_HELO]));
	str_copy(in->dom[SDR_IN_ENVFROM], "b.test", sizeof(in->dom[SDR_IN_ENVFROM]));
	str_copy(in->dom[SDR_IN_HFROM], "bad.test", sizeof(in->dom[SDR_IN_HFROM]));
	str_copy(in->dom[SDR_IN_REPLYTO], "c.test", sizeof(in->dom[SDR_IN_REPLYTO]));
}

static void
many_zones_body(void)
{
	static const char *const doms[] = { "r.test", "a.test", "b.test", "bad.test", "c.test" };
	struct sdrd *s = gw_up(10, dns_port);
	struct sdr_inputs in;
	struct res a;
	const struct sdr_answer *x;
	char zone[32];

	/* the most zones the configuration allows: every domain asked of every zone */
	zones_conf(s, SDRCONF_MAX_BLOCKLISTS);
	many_inputs(&in);
	memset(&a, 0, sizeof(a));
	sdrd_lookup(s, &in, res_cb, &a);
	loop_until(&a.called, 1);
	CHECK((x = answer(&a.r, "z1.test", "bad.test")) != NULL);
	CHECK_INT(x->status, SDR_ANS_LISTED);
	CHECK_INT(a.r.verdict, SDR_AWFUL);
	CHECK_STR(a.r.suspected, "bad.test");
	for (size_t d = 0; d < sizeof(doms) / sizeof(doms[0]); d++)
		for (int i = 0; i < SDRCONF_MAX_BLOCKLISTS; i++) {
			str_fmt(zone, sizeof(zone), "z%d.test", i);
			CHECK(answer(&a.r, zone, doms[d]) != NULL);
		}
	CHECK(answer(&a.r, "sdr", "") == NULL);
	for (int i = 0; i < a.r.nanswers; i++)
		CHECK(strcmp(a.r.answers[i].source, "sdr") != 0);
	/* more than fit (only a damaged configuration could): an ERROR answer, not silence */
	zones_conf(s, SDR_MAX_ANSWERS / 4);
	memset(&a, 0, sizeof(a));
	sdrd_lookup(s, &in, res_cb, &a);
	loop_until(&a.called, 1);
	CHECK_INT(a.r.nanswers, SDR_MAX_ANSWERS);
	CHECK((x = answer(&a.r, "sdr", "bad.test")) != NULL);
	CHECK_INT(x->status, SDR_ANS_ERROR);
	CHECK(strstr(x->detail, "not all were asked") != NULL);
	gw_down();
}

static void
test_many_zones(void)
{
	dnsmasq_start();
	run(many_zones_body);
}

/* a commit that leaves the feeds alone does not read their indicators again */
static void
reload_body(void)
{
	struct sdrd *s = gw_up(5, dns_port);
	struct sdr_conf *c = &gw.conf->sdr;
	long long r0 = s->reloads;

	CHECK(r0 >= 1);		/* the first configuration reads them */
	c->timeout = 3;		/* an unrelated change, and none at all */
	sdrd_conf(s, c);
	sdrd_conf(s, c);
	CHECK_INT(s->reloads, r0);
	/* a feed added, its URL changed, removed: each reads them again */
	c->nfeeds = 1;
	c->feeds = xcalloc(1, sizeof(*c->feeds));
	str_copy(c->feeds[0].name, "f1", sizeof(c->feeds[0].name));
	str_copy(c->feeds[0].url, "http://127.0.0.1:9/collections/c1/objects/",
	    sizeof(c->feeds[0].url));
	sdrd_conf(s, c);
	CHECK_INT(s->reloads, r0 + 1);
	sdrd_conf(s, c);
	CHECK_INT(s->reloads, r0 + 1);
	str_copy(c->feeds[0].url, "http://127.0.0.1:9/collections/c2/objects/",
	    sizeof(c->feeds[0].url));
	sdrd_conf(s, c);
	CHECK_INT(s->reloads, r0 + 2);
	c->nfeeds = 0;
	sdrd_conf(s, c);
	CHECK_INT(s->reloads, r0 + 3);
	gw_down();
}

static void
test_reload(void)
{
	dnsmasq_start();
	run(reload_body);
}

/* sdrfeed_store_part: a feed's cap, a poll in parts (state with the last part only) */
static void
parts_body(void)
{
	struct sdr_indicator v[5];
	struct sdrfeed_poll p;
	struct sdrfeed_part x;
	struct sdrfeed_state st;
	unsigned char applied[5];
	char *cause = NULL, id[32], dom[32];
	int added, removed;

	gw_up(5, dns_port);
	for (int i = 0; i < 5; i++) {
		str_fmt(id, sizeof(id), "indicator--%d", i);
		str_fmt(dom, sizeof(dom), "d%d.test", i);
		v[i] = feed_ind(id, dom, SDR_POOR, 0);
	}
	/* the first part of two: stored, the state not yet */
	memset(&p, 0, sizeof(p));
	p.feed = "f1";
	p.ind = v;
	p.nind = 2;
	p.added_after = "2026-01-01T00:00:00Z";
	p.now = 1000;
	memset(&x, 0, sizeof(x));
	x.part = SDRFEED_PART_MORE;
	x.cap = 3;
	x.applied = applied;
	CHECK_INT(sdrfeed_store_part(gw.q, &p, &x, &added, &removed, &cause), 0);
	CHECK_INT(added, 2);
	CHECK_INT(sdrfeed_get(gw.q, "f1", &st, &cause), 0);
	/* the last part: past the cap of 3, two of three new ones refused */
	p.ind = v + 2;
	p.nind = 3;
	x.part = SDRFEED_PART_CONT;
	CHECK_INT(sdrfeed_store_part(gw.q, &p, &x, &added, &removed, &cause), 0);
	CHECK_INT(added, 1);
	CHECK_INT(x.refused, 2);
	CHECK_INT(applied[0], SDRFEED_KEPT);
	CHECK_INT(applied[1], SDRFEED_REFUSED);
	CHECK_INT(applied[2], SDRFEED_REFUSED);
	CHECK_INT(sdrfeed_get(gw.q, "f1", &st, &cause), 1);
	CHECK_STR(st.added_after, "2026-01-01T00:00:00Z");
	CHECK_INT(st.indicators, 3);
	/* at the cap, a new version of a stored one still goes in; a revoked one goes */
	v[0].verdict = SDR_AWFUL;
	v[1].revoked = 1;
	p.ind = v;
	p.nind = 2;
	x.part = 0;
	CHECK_INT(sdrfeed_store_part(gw.q, &p, &x, &added, &removed, &cause), 0);
	CHECK_INT(x.refused, 0);
	CHECK_INT(removed, 1);
	CHECK_INT(applied[0], SDRFEED_KEPT);
	CHECK_INT(applied[1], SDRFEED_GONE);
	/* a forced poll in two parts: what neither part brought goes at the end, not before */
	v[1].revoked = 0;
	p.force = 1;
	p.ind = v + 3;
	p.nind = 1;
	x.cap = 0;
	x.part = SDRFEED_PART_MORE;
	CHECK_INT(sdrfeed_store_part(gw.q, &p, &x, &added, &removed, &cause), 0);
	CHECK_INT(removed, 0);
	p.ind = v + 4;
	x.part = SDRFEED_PART_CONT;
	CHECK_INT(sdrfeed_store_part(gw.q, &p, &x, &added, &removed, &cause), 0);
	CHECK_INT(removed, 2);		/* d0, d2: not in the collection any more */
	CHECK_INT(sdrfeed_get(gw.q, "f1", &st, &cause), 1);
	CHECK_INT(st.indicators, 2);	/* d3, d4 */
	gw_down();
}

static void
test_parts(void)
{
	dnsmasq_start();
	run(parts_body);
}

static const struct unit_case cases[] = {
	{ "lookup", test_lookup },
	{ "timeout", test_timeout },
	{ "dnslist", test_dnslist },
	{ "free", test_free },
	{ "feed_valid_from", test_feed },
	{ "many_zones", test_many_zones },
	{ "feed_reload_on_change", test_reload },
	{ "feed_store_parts", test_parts },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("sdrd", cases, argc, argv);
}
