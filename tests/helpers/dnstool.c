/*
 * dnstool.c - resolve one name with net/dns.c on its own event loop, for
 * tests/e2e/dns.sh and for looking at a DNS setup by hand.
 *
 * usage: dnstool [-t timeout_ms] [-r tries] SERVERS mail|mx|addr NAME
 *        dnstool SERVERS parse
 *
 *   mail   one line per hop: "PREF HOST ADDR ADDR..." (dns_resolve_mail)
 *   mx     one line per hop: "PREF HOST" (the same lookup, no addresses)
 *   addr   one address per line (dns_resolve_addr)
 *   parse  the normal form of SERVERS (dns_parse_servers), one line
 *
 * SERVERS "" means those of /etc/resolv.conf. On a failed lookup the one
 * output line is the status: NXDOMAIN, NODATA, TEMPFAIL, NULLMX or
 * BADNAME. Exit status: the enum dns_status value (0 for success), 64
 * for usage errors, 65 for a bad server list (reason on stderr).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "net/dns.h"
#include "util/str.h"

static const char *const status_name[] = {
	[DNS_OK] = "OK",
	[DNS_NXDOMAIN] = "NXDOMAIN",
	[DNS_NODATA] = "NODATA",
	[DNS_TEMPFAIL] = "TEMPFAIL",
	[DNS_NULLMX] = "NULLMX",
	[DNS_BADNAME] = "BADNAME",
};

static int with_addrs;		/* mail: print addresses; mx: not */
static int result = -1;		/* the status, once the callback ran */

static void
usage(void)
{
	fprintf(stderr, "usage: dnstool [-t timeout_ms] [-r tries] SERVERS mail|mx|addr NAME\n"
	    "       dnstool SERVERS parse\n");
	exit(64);
}

/* addr_text - an address without its (zero) port */
static const char *
addr_text(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	const void *a = ss->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)size) == NULL)
		str_copy(buf, "?", size);
	return buf;
}

static void
status_line(enum dns_status st)
{
	if (st != DNS_OK)
		printf("%s\n", st <= DNS_BADNAME ? status_name[st] : "?");
	result = (int)st;
}

static void
mail_done(enum dns_status st, const struct dns_hop *hops, int nhops, void *arg)
{
	char buf[INET6_ADDRSTRLEN];

	for (int i = 0; i < nhops; i++) {
		printf("%d %s", hops[i].pref, hops[i].host);
		for (int j = 0; with_addrs && j < hops[i].naddr; j++)
			printf(" %s", addr_text(&hops[i].addr[j], buf, sizeof(buf)));
		printf("\n");
	}
	status_line(st);
}

static void
addr_done(enum dns_status st, const struct sockaddr_storage *addrs, int naddr, void *arg)
{
	char buf[INET6_ADDRSTRLEN];

	for (int i = 0; i < naddr; i++)
		printf("%s\n", addr_text(&addrs[i], buf, sizeof(buf)));
	status_line(st);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct dns *d;
	char *cause = NULL, norm[DNS_SERVERS_MAX];
	const char *mode;
	long timeout = 1000, tries = 2;
	int c;

	while ((c = getopt(argc, argv, "t:r:")) != -1) {
		switch (c) {
		case 't':
			if (str_to_long(optarg, 1, 600000, &timeout) < 0)
				usage();
			break;
		case 'r':
			if (str_to_long(optarg, 1, 10, &tries) < 0)
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 2 && strcmp(argv[1], "parse") == 0) {
		if (dns_parse_servers(argv[0], norm, sizeof(norm), &cause) < 0) {
			fprintf(stderr, "dnstool: %s\n", cause);
			free(cause);
			return 65;
		}
		printf("%s\n", norm);
		return 0;
	}
	if (argc != 3)
		usage();
	mode = argv[1];
	if (strcmp(mode, "mail") != 0 && strcmp(mode, "mx") != 0 && strcmp(mode, "addr") != 0)
		usage();
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "dnstool: cannot create an event loop\n");
		return 70;
	}
	if ((d = dns_new(base, argv[0], (int)timeout, (int)tries, &cause)) == NULL) {
		fprintf(stderr, "dnstool: %s\n", cause);
		free(cause);
		event_base_free(base);
		return 65;
	}
	with_addrs = strcmp(mode, "mail") == 0;
	if (strcmp(mode, "addr") == 0)
		dns_resolve_addr(d, argv[2], addr_done, NULL);
	else
		dns_resolve_mail(d, argv[2], mail_done, NULL);
	/* the loop ends when nothing is left: the lookup has answered */
	event_base_dispatch(base);
	dns_free(d);
	event_base_free(base);
	libevent_global_shutdown();
	if (result < 0) {
		fprintf(stderr, "dnstool: the loop ended without an answer\n");
		return 70;
	}
	return result;
}
