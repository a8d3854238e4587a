/*
 * probecmd.c - see probecmd.h.
 *
 * The CA bundle is read from the settings mxgated verifies peers with
 * (tls.ca_pem, imported by certconfig; else the file tls.cafile; else
 * the system's: the same order as daemon/gw.c gw_tls_reload), through
 * settings_read, so this session's pending certconfig change is what a
 * probe uses: the operator can test a bundle before committing it.
 *
 * A name is resolved as mxgated resolves a route's host: net/dns.c on
 * its own event loop with dnsconfig's committed servers and timeout
 * (dig asks the same), so the probe connects where mail would go; the
 * wait is bounded (DNS_TRIES x servers x timeout) and Ctrl-C ends it.
 *
 * DIAGNOSTICS: one error line (net/smtpprobe.h's cause), CMD_ERROR.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "commands/probecmd.h"
#include "net/dns.h"
#include "store/settings.h"
#include "util/str.h"

struct probe_out {
	struct cli *c;		/* where the lines go */
	int tls_only;		/* tlsverify: no SMTP dialogue */
};

/* on_stop - Ctrl-C */
static int
on_stop(void *arg)
{
	return cli_interrupted(((struct probe_out *)arg)->c);
}

/* on_report - one step, as it happens */
static void
on_report(void *arg, enum smtpprobe_kind kind, const char *line)
{
	struct probe_out *o = arg;

	switch (kind) {
	case SMTPPROBE_SENT:
		if (!o->tls_only)
			cli_printf(o->c, "-> %s\n", line);
		break;
	case SMTPPROBE_REPLY:
		if (!o->tls_only)
			cli_printf(o->c, "<- %s\n", line);
		break;
	case SMTPPROBE_STEP:
	case SMTPPROBE_TLS:
		cli_printf(o->c, "%s\n", line);
		break;
	}
}

struct resolved {
	int done;		/* the callback ran */
	enum dns_status st;	/* its status */
	int naddr;		/* addresses in addr */
	struct sockaddr_storage addr[DNS_MAX_ADDRS];
};

/* got_addr - dns_resolve_addr's answer */
static void
got_addr(enum dns_status st, const struct sockaddr_storage *addrs, int naddr, void *arg)
{
	struct resolved *r = arg;

	r->done = 1;
	r->st = st;
	r->naddr = 0;
	for (int i = 0; st == DNS_OK && i < naddr && i < DNS_MAX_ADDRS; i++)
		r->addr[r->naddr++] = addrs[i];
}

/* tick - wake the loop so Ctrl-C is seen */
static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/*
 * resolve - the addresses of host through dnsconfig's servers into r:
 * 0, or -1 after one error line
 */
static int
resolve(struct cli *c, const char *host, struct resolved *r)
{
	char *servers = settings_get_running(c->st, "dns.servers"), *cause = NULL;
	long timeout = settings_running_int(c->st, "dns.timeout");	/* validated at commit */
	struct timeval tv = { 0, 100000 };
	struct event_base *base;
	struct event *ev;
	struct dns *d;

	memset(r, 0, sizeof(*r));
	if ((base = event_base_new()) == NULL) {
		free(servers);
		cli_error(c, "Cannot start an event loop to resolve %s.", host);
		return -1;
	}
	if ((d = dns_new(base, servers, (int)timeout * 1000, DNS_TRIES, &cause)) == NULL) {
		free(servers);
		event_base_free(base);
		cli_error(c, "Cannot resolve %s: %s", host, cause);
		free(cause);
		return -1;
	}
	free(servers);
	ev = event_new(base, -1, EV_PERSIST, tick, NULL);
	event_add(ev, &tv);
	dns_resolve_addr(d, host, got_addr, r);
	while (!r->done && !cli_interrupted(c))
		event_base_loop(base, EVLOOP_ONCE);
	dns_free(d);	/* an interrupted lookup reports now */
	event_free(ev);
	event_base_free(base);
	if (cli_interrupted(c)) {
		cli_error(c, "Stopped by Ctrl-C while resolving %s.", host);
		return -1;
	}
	if (r->st == DNS_TEMPFAIL) {
		cli_error(c, "Cannot resolve %s: the DNS servers timed out or failed "
		    "(%d tries of %ld s each).", host, DNS_TRIES, timeout);
		return -1;
	}
	if (r->st != DNS_OK || r->naddr == 0) {
		cli_error(c, "Cannot resolve %s: %s.", host, r->st == DNS_NXDOMAIN ?
		    "no such name (NXDOMAIN)" : dns_status_str(r->st));
		return -1;
	}
	return 0;
}

enum cmd_ret
probecmd_run(struct cli *c, const char *host, int port, enum smtpprobe_tls tls, int tls_only)
{
	struct probe_out o = { c, tls_only };
	struct smtpprobe p = {
		.host = host, .port = port, .tls = tls, .timeout_ms = PROBECMD_TIMEOUT_MS,
		.stop = on_stop, .report = on_report, .arg = &o,
	};
	struct smtpprobe_result res;
	struct resolved *addrs;
	char *ca_pem = NULL, *cafile = NULL, *helo = NULL, *cause = NULL;
	enum cmd_ret r = CMD_OK;
	int nopager = c->nopager;

	if (settings_read(c->st, "tls.ca_pem", &ca_pem, &cause) < 0 ||
	    settings_read(c->st, "tls.cafile", &cafile, &cause) < 0 ||
	    settings_read(c->st, "system.hostname", &helo, &cause) < 0) {
		cli_error(c, "Cannot read the TLS settings: %s", cause);
		free(cause);
		free(ca_pem);
		free(cafile);
		return CMD_ERROR;
	}
	addrs = xcalloc(1, sizeof(*addrs));
	if (resolve(c, host, addrs) < 0) {
		free(addrs);
		free(ca_pem);
		free(cafile);
		free(helo);
		return CMD_ERROR;
	}
	p.addrs = addrs->addr;
	p.naddr = addrs->naddr;
	p.ca_pem = ca_pem;
	p.cafile = cafile;
	p.helo = helo[0] ? helo : "localhost";
	c->nopager = 1;	/* each step shows as it happens: a pager would hold it */
	if (smtpprobe_run(&p, &res, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		r = CMD_ERROR;
	} else if (tls_only) {
		if (res.verified && res.name_ok) {
			cli_printf(c, "TLS verification of %s port %d succeeded.\n", host, port);
		} else {
			cli_error(c, "TLS verification of %s port %d failed: %s%s%s.", host, port,
			    res.verified ? "" : res.verify_reason,
			    !res.verified && !res.name_ok ? "; " : "",
			    res.name_ok ? "" : "the certificate does not name the host");
			r = CMD_ERROR;
		}
	} else {
		cli_printf(c, "SMTP test of %s port %d finished%s.\n", host, port,
		    res.tls ? " (TLS)" : "");
	}
	c->nopager = nopager;
	free(addrs);
	free(ca_pem);
	free(cafile);
	free(helo);
	return r;
}

enum ask_ret
probecmd_ask_target(struct cli *c, char *host, size_t size, int *port)
{
	enum ask_ret a;
	long v;

	for (;;) {
		a = cli_ask_required(c, "Enter the host name or IP address of the server", host,
		    size);
		if (a != ASK_OK)
			return a;
		if (smtpprobe_host_ok(host))
			break;
		cli_error(c, "'%.100s' is not a host name or IP address.", host);
	}
	a = cli_ask_number(c, "Enter the port", 25, 1, 65535, &v);
	if (a == ASK_OK)
		*port = (int)v;
	return a;
}
