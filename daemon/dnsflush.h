/*
 * dnsflush.h - the `dnsflush` request of mxsh: mxgated forgets the next
 * hops it resolved, so the next delivery asks the DNS again.
 */
#ifndef DAEMON_DNSFLUSH_H
#define DAEMON_DNSFLUSH_H

struct gw;

/*
 * dnsflush_run - forget every destination's resolved next hops and close
 * idle connections (delivery_reconfigure; net/dns.c keeps no cache of
 * its own) and log
 * "DNS cache flushed by dnsflush (USER)"; who is the shell user, may be ""
 */
void dnsflush_run(struct gw *gw, const char *who);

#endif
