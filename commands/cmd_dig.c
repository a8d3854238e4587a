/*
 * cmd_dig.c - `dig [@SERVER[:PORT]] [-t TYPE] NAME [TYPE]`: ask the DNS
 * one question the way mxgated would (net/dns.c, the servers and timeout
 * dnsconfig committed, DNS_TRIES rounds) and print the answer as dig does.
 *
 * The type may come before the name too, as BIND's dig and AsyncOS take
 * it ("dig mx example.com", "dig -t mx example.com"): of two words, the
 * first is the type when it names one (dns_type_parse). An IP address as
 * NAME is asked as PTR (its in-addr.arpa or ip6.arpa name). @SERVER asks
 * that server instead of the configured ones. ";; SERVER:" names the
 * server whose reply it is (net/dns.c reads it off c-ares's socket). The
 * lookup runs on its own libevent loop here in mxsh; Ctrl-C ends it.
 *
 * DIAGNOSTICS: one error line: a bad name, type or server (nothing is
 * asked), no answer (timed out, connection refused), SERVFAIL or
 * REFUSED. NXDOMAIN and an empty answer are answers (status NXDOMAIN or
 * NOERROR, one line saying what it means), success.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "net/dns.h"
#include "store/settings.h"
#include "util/str.h"

extern const struct cmd_entry cmd_dig_entry;

#define DIG_TYPES "A, AAAA, MX, TXT or PTR"

/* What the callback leaves for the command. */
struct dig {
	int done;			/* the callback ran */
	enum dns_status st;		/* how it ended */
	char why[64];			/* RCODE name or why there was no answer */
	char from[INET6_ADDRSTRLEN + 8];	/* "IP#PORT" that answered, or "" */
	int nrr;			/* records in rr */
	int total;			/* records in the answer section (class IN) */
	int bad;			/* the answer could not be parsed */
	struct dns_rr rr[DNS_RR_MAX];	/* the answer section, its first DNS_RR_MAX */
};

/* got - dns_query_raw's answer */
static void
got(enum dns_status st, const char *why, const unsigned char *abuf, int alen,
    const struct sockaddr_storage *from, void *arg)
{
	struct dig *g = arg;
	char ip[INET6_ADDRSTRLEN];
	int rcode = 0, port = 0;
	const void *a = NULL;

	g->done = 1;
	g->st = st;
	str_copy(g->why, why, sizeof(g->why));
	if (from != NULL && from->ss_family == AF_INET) {
		a = &((const struct sockaddr_in *)from)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)from)->sin_port);
	} else if (from != NULL && from->ss_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)from)->sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)from)->sin6_port);
	}
	if (a != NULL && inet_ntop(from->ss_family, a, ip, sizeof(ip)) != NULL)
		str_fmt(g->from, sizeof(g->from), "%s#%d", ip, port);
	if (abuf != NULL && dns_answer_parse(abuf, alen, g->rr, DNS_RR_MAX, &g->nrr, &g->total,
	    &rcode) < 0)
		g->bad = 1;
}

/* tick - wake the loop so Ctrl-C is seen */
static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* ms_since - milliseconds from t0 */
static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* server_text - "127.0.0.1#5353, 192.0.2.1#53" from a normal server list; *n servers */
static void
server_text(const char *norm, char *out, size_t size, int *n)
{
	char **v;
	size_t o = 0;

	out[0] = '\0';
	*n = 0;
	if (*norm == '\0') {
		str_copy(out, "the servers of /etc/resolv.conf", size);
		*n = 1;
		return;
	}
	v = str_split(norm, ',', NULL);
	for (int i = 0; v[i] && o < size; i++, (*n)++) {
		char *colon = strrchr(v[i], ':'), *close = strrchr(v[i], ']');

		if (colon != NULL && (close == NULL || colon > close))
			*colon = '#';
		else
			colon = NULL;
		str_fmt(out + o, size - o, "%s%s%s", i ? ", " : "", v[i], colon ? "" : "#53");
		o = strlen(out);
	}
	str_split_free(v);
}

/* type_ok - one of the types dig asks */
static int
type_ok(int type)
{
	return type == ns_t_a || type == ns_t_aaaa || type == ns_t_mx || type == ns_t_txt ||
	    type == ns_t_ptr;
}

/*
 * dig_args - @SERVER, -t TYPE (or -tTYPE) anywhere, and one or two
 * words: NAME, NAME TYPE, or TYPE NAME when the first names a type
 * (BIND's dig). 0, or -1 after the error line; *tname NULL: A.
 */
static int
dig_args(struct cli *c, int argc, char **argv, const char **server, const char **name,
    const char **tname)
{
	const char *w[2];
	int nw = 0, t_opt = 0;

	*server = *name = *tname = NULL;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '@' && *server == NULL) {
			*server = argv[i] + 1;
		} else if (strncmp(argv[i], "-t", 2) == 0 && !t_opt) {
			if (argv[i][2] != '\0')
				*tname = argv[i] + 2;
			else if (i + 1 < argc)
				*tname = argv[++i];
			else
				goto usage;
			t_opt = 1;
		} else if (nw < 2) {
			w[nw++] = argv[i];
		} else {
			goto usage;
		}
	}
	if (nw == 0 || (t_opt && nw > 1))
		goto usage;
	if (nw == 1) {
		*name = w[0];
	} else if (dns_type_parse(w[0]) >= 0) {
		*tname = w[0];
		*name = w[1];
	} else {
		*name = w[0];
		*tname = w[1];
	}
	if (*tname != NULL && !type_ok(dns_type_parse(*tname))) {
		cli_error(c, "Invalid record type '%.40s': use " DIG_TYPES ".", *tname);
		return -1;
	}
	return 0;
usage:
	cmd_usage_error(c, &cmd_dig_entry, "dig");
	return -1;
}

/* print_answer - the reply in dig's form */
static void
print_answer(struct cli *c, const struct dig *g, const char *qname, int type, long ms,
    const char *server)
{
	const char *tname = dns_type_name(type);
	char more[32] = "";
	int n = 0;

	if (g->total > g->nrr)
		str_fmt(more, sizeof(more), " (first %d shown)", g->nrr);
	cli_printf(c, ";; status: %s, question: %s IN %s, answers: %d%s\n",
	    g->st == DNS_NXDOMAIN ? "NXDOMAIN" : "NOERROR", qname, tname, g->total, more);
	if (g->nrr > 0) {
		cli_printf(c, "\n;; ANSWER SECTION:\n");
		for (int k = 0; k < g->nrr; k++) {
			const char *tn = dns_type_name(g->rr[k].type);
			char tb[16];

			if (tn == NULL) {
				str_fmt(tb, sizeof(tb), "TYPE%d", g->rr[k].type);
				tn = tb;
			}
			cli_printf(c, "%s.\t%lu\tIN\t%s\t%s\n", g->rr[k].name, g->rr[k].ttl, tn,
			    g->rr[k].data);
			n += g->rr[k].type == type;
		}
	}
	if (g->st == DNS_NXDOMAIN)
		cli_printf(c, "\n%s does not exist (NXDOMAIN).\n", qname);
	else if (n == 0 && g->total <= g->nrr)
		cli_printf(c, "\n%s has no %s record.\n", qname, tname);
	cli_printf(c, "\n;; Query time: %ld msec\n;; SERVER: %s\n", ms, server);
}

static enum cmd_ret
dig_exec(struct cli *c, int argc, char **argv)
{
	char servers[DNS_SERVERS_MAX], norm[DNS_SERVERS_MAX], shown[DNS_SERVERS_MAX + 64];
	char qname[300], from[DNS_SERVERS_MAX + 80], *cause = NULL;
	const char *server, *name, *tname;
	struct event_base *base;
	struct event *ev;
	struct dns *d;
	struct dig *g;
	struct timespec t0;
	struct timeval tv = { 0, 100000 };
	enum cmd_ret r = CMD_OK;
	int type = ns_t_a, nserv;
	long timeout, ms;

	if (dig_args(c, argc, argv, &server, &name, &tname) < 0)
		return CMD_ERROR;
	if (tname != NULL)
		type = dns_type_parse(tname);
	if (dns_ptr_name(name, qname, sizeof(qname)) == 0) {
		if (tname != NULL && type != ns_t_ptr) {
			cli_error(c, "'%.100s' is an IP address: only its PTR record can be asked.",
			    name);
			return CMD_ERROR;
		}
		type = ns_t_ptr;
	} else if (str_copy(qname, name, sizeof(qname)) < 0) {
		cli_error(c, "Invalid name '%.100s': enter a domain name or an IP address.", name);
		return CMD_ERROR;
	} else if (strlen(qname) > 1 && qname[strlen(qname) - 1] == '.') {
		qname[strlen(qname) - 1] = '\0';	/* shown without it, as the answer's names */
	}
	if (server != NULL) {
		if (*server == '\0' || str_copy(servers, server, sizeof(servers)) < 0 ||
		    strchr(servers, ',') != NULL) {
			cli_error(c, "Invalid server '@%.100s': enter @IP or @IP:PORT ([IPv6]:PORT).",
			    server);
			return CMD_ERROR;
		}
	} else {
		char *v = settings_get_running(c->st, "dns.servers");

		str_copy(servers, v, sizeof(servers));
		free(v);
	}
	if (dns_parse_servers(servers, norm, sizeof(norm), &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	timeout = settings_running_int(c->st, "dns.timeout");	/* validated at commit */
	server_text(norm, shown, sizeof(shown), &nserv);
	if ((base = event_base_new()) == NULL) {
		cli_error(c, "Cannot start an event loop for the DNS query.");
		return CMD_ERROR;
	}
	if ((d = dns_new(base, norm, (int)timeout * 1000, DNS_TRIES, &cause)) == NULL) {
		cli_error(c, "%s", cause);
		free(cause);
		event_base_free(base);
		return CMD_ERROR;
	}
	g = xcalloc(1, sizeof(*g));
	ev = event_new(base, -1, EV_PERSIST, tick, NULL);
	event_add(ev, &tv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* a bad name is DNS_BADNAME from net/dns.c's own check, nothing asked */
	dns_query_raw(d, qname, type, got, g);
	while (!g->done && !cli_interrupted(c))
		event_base_loop(base, EVLOOP_ONCE);
	ms = ms_since(&t0);
	dns_free(d);	/* an interrupted query reports now: g->done */
	event_free(ev);
	event_base_free(base);
	tname = dns_type_name(type);
	if (g->from[0] != '\0')
		str_copy(from, g->from, sizeof(from));
	else
		str_fmt(from, sizeof(from), "%s%s", nserv > 1 ? "one of " : "", shown);
	if (cli_interrupted(c)) {
		cli_error(c, "dig %s %s: interrupted, no answer yet.", qname, tname);
		r = CMD_ERROR;
	} else if (g->st == DNS_BADNAME) {
		cli_error(c, "Invalid name '%.100s': enter a domain name or an IP address.", name);
		r = CMD_ERROR;
	} else if (g->bad) {
		cli_error(c, "dig %s %s: the answer from %s is malformed.", qname, tname, from);
		r = CMD_ERROR;
	} else if (g->st == DNS_TEMPFAIL) {
		if (strcmp(g->why, "SERVFAIL") == 0 || strcmp(g->why, "REFUSED") == 0)
			cli_error(c, "dig %s %s: %s from %s.", qname, tname, g->why, from);
		else
			cli_error(c, "dig %s %s: no answer from %s (%s after %ld ms, %d tries).",
			    qname, tname, shown, g->why, ms, DNS_TRIES);
		r = CMD_ERROR;
	} else {
		print_answer(c, g, qname, type, ms, from);
	}
	free(g);
	return r;
}

static const struct cmd_word dig_words[] = {
	{ "<@SERVER>", "@IP[:PORT] asks that server instead of dnsconfig's", NULL },
	{ "-t", "the record type follows (as in dig -t mx example.com)", NULL },
	{ "<NAME>", "a domain name, or an IP address (asked as PTR)", NULL },
	{ "A", "IPv4 addresses (the default); a type may come before NAME too", NULL },
	{ "AAAA", "IPv6 addresses", NULL },
	{ "MX", "mail exchangers", NULL },
	{ "TXT", "text records (SPF, DMARC, ...)", NULL },
	{ "PTR", "the name an address points back to", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_dig_entry = {
	.name = "dig",
	.usage = "dig [@SERVER[:PORT]] [-t TYPE] NAME [TYPE]",
	.help = "Look up a DNS record with the gateway's DNS servers.",
	.words = dig_words,
	.exec = dig_exec,
};
