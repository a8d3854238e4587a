/*
 * dnsflush.c - `dnsflush` in mxgated: what the gateway remembers of the
 * DNS is the next hops each destination resolved (reused for
 * DL_HOPS_TTL, daemon/delivery.c); net/dns.c asks c-ares afresh every
 * time and c-ares keeps no cache. So flushing is forgetting those hops:
 * the next delivery to each destination resolves again. An idle
 * connection to an old hop would take the next message all the same,
 * so they are closed too and open ones take no more work: that is
 * delivery_reconfigure (what a commit does), which also forgets the hops
 * (delivery_forget_hops alone leaves the connections).
 *
 * DIAGNOSTICS: none; the flush is logged to mail_logs.
 */
#include "daemon/delivery.h"
#include "daemon/dnsflush.h"
#include "daemon/gw.h"

/* dnsflush_run - forget resolved next hops, and say so */
void
dnsflush_run(struct gw *gw, const char *who)
{
	char t[100];

	if (gw->dl != NULL)
		delivery_reconfigure(gw->dl);
	if (who != NULL && *who != '\0')
		gw_log(gw, "DNS cache flushed by dnsflush (%s)", gw_safe(who, t, sizeof(t)));
	else
		gw_log(gw, "DNS cache flushed by dnsflush");
}
