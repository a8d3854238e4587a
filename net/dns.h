/*
 * dns.h - asynchronous DNS for mail delivery: MX and address lookups on a
 * libevent loop, through c-ares; A queries for DNS block lists; PTR
 * queries for a client's reverse DNS host.
 *
 * One struct dns serves one event loop. Every lookup reports through its
 * callback exactly once, always from the event loop and never from
 * inside the call that started it, so callers need no re-entrancy guard.
 * Names are queried as given (no search domains, no HOSTALIASES, no
 * /etc/hosts): a mail domain must never grow a local suffix.
 *
 * Lifetimes: arg belongs to the caller and must stay valid until its
 * callback has run; hops and addrs passed to a callback are ours and
 * valid only during it (copy what you keep). There is no per-lookup
 * cancel: a caller that loses interest ignores the answer (keep arg
 * alive, or point it at something that outlives the lookup). Free the
 * struct dns before its event base. One thread only.
 *
 * /etc/resolv.conf is read when a channel is made (dns_new, and
 * dns_set_servers to ""), so a daemon that chroots must either make the
 * struct dns before chrooting and not switch back to "" afterwards, or
 * configure servers explicitly.
 *
 * Retries: each lookup asks every configured server in order, giving
 * each timeout_ms, and does that at most `tries` times (c-ares's own
 * exponential back-off is not used). So one DNS question takes at most
 * tries x servers x timeout_ms; dns_resolve_mail asks its questions in
 * two rounds (MX, then the hosts' A/AAAA in parallel), so at most twice
 * that.
 *
 * DIAGNOSTICS: dns_new, dns_set_servers and dns_parse_servers return -1
 * (or NULL) with a malloc'd one-line *cause; lookups report an enum
 * dns_status. Allocation failure aborts (util/str.h).
 */
#ifndef NET_DNS_H
#define NET_DNS_H

#include <stddef.h>
#include <sys/socket.h>

#include <event2/event.h>

#define DNS_MAX_ADDRS 16	/* addresses kept per host (IPv6 gets at least half when both) */
#define DNS_MAX_HOPS 16		/* MX hosts kept per domain, best preference first */
#define DNS_MAX_SERVERS 8	/* servers in a configured list */
#define DNS_SERVERS_MAX 1024	/* longest server list text we accept */
#define DNS_TRIES 2		/* rounds over the servers: mxgated's, and so dig's */

struct dns;

enum dns_status {
	DNS_OK = 0,	/* an answer with at least one address */
	DNS_NXDOMAIN,	/* the name does not exist (permanent) */
	DNS_NODATA,	/* the name exists but has no usable records (permanent) */
	DNS_TEMPFAIL,	/* timeout, SERVFAIL, REFUSED, network error, shutdown */
	DNS_NULLMX,	/* RFC 7505 null MX: the domain accepts no mail (permanent) */
	DNS_BADNAME,	/* the name given is not a valid domain (permanent) */
};

/* one next hop for mail: an MX host (or the domain itself) and its addresses */
struct dns_hop {
	char host[256];		/* lower case, no trailing dot */
	int pref;		/* MX preference; 0 for the implicit MX */
	int naddr;		/* entries used in addr, >= 1 */
	struct sockaddr_storage addr[DNS_MAX_ADDRS];	/* IPv4 first, then IPv6; port 0 */
};

typedef void (*dns_mail_cb)(enum dns_status st, const struct dns_hop *hops, int nhops,
    void *arg);
typedef void (*dns_addr_cb)(enum dns_status st, const struct sockaddr_storage *addrs,
    int naddr, void *arg);
typedef void (*dns_a_cb)(enum dns_status st, const unsigned int *addrs, int naddr, int ttl,
    void *arg);
typedef void (*dns_ptr_cb)(enum dns_status st, const char *name, void *arg);

/* dns_status_str - a short English phrase for a status, for logs and bounces */
const char *dns_status_str(enum dns_status s);

/*
 * dns_parse_servers - validate "IP[:port],..." (IPv4, or IPv6 in brackets:
 * "[::1]:5353"; port 1-65535, default 53; at most DNS_MAX_SERVERS). NULL,
 * "" or blanks mean "the servers of /etc/resolv.conf" and give "". The
 * normal form (normalised may be NULL) drops ":53" and spaces:
 * "192.0.2.1,[2001:db8::1]:5353".
 */
int dns_parse_servers(const char *servers, char *normalised, size_t size, char **cause);

/*
 * dns_new - a resolver on base using servers (dns_parse_servers syntax),
 * giving each server timeout_ms (1-600000) per try, for tries (1-10)
 * rounds. NULL with *cause on bad arguments.
 */
struct dns *dns_new(struct event_base *base, const char *servers, int timeout_ms, int tries,
    char **cause);

/*
 * dns_set_servers - switch to other servers while running. Lookups
 * already asked finish on the old servers (a retry goes to the new
 * ones); an unchanged list is a no-op, so calling it on every config
 * reload is cheap (but then /etc/resolv.conf is not re-read). On error
 * the old servers stay.
 */
int dns_set_servers(struct dns *d, const char *servers, char **cause);

/*
 * dns_free - cancel everything and free d: the callback of every lookup
 * not yet reported is called once, with DNS_TEMPFAIL, before dns_free
 * returns, and never after (even a lookup that had its answer but was
 * still waiting for the loop). It may be called from a dns callback;
 * lookups started by callbacks it runs get DNS_TEMPFAIL too, and calling
 * dns_free again from those callbacks does nothing.
 */
void dns_free(struct dns *d);

/*
 * dns_resolve_mail - the next hops for mail to domain (RFC 5321 5.1): MX
 * hosts in preference order (equal preferences shuffled), each with its
 * A then AAAA addresses; hosts that do not resolve are left out (all
 * out: DNS_TEMPFAIL if any failure was temporary, else DNS_NODATA). No
 * MX records: the domain's own addresses as one hop of preference 0.
 * NXDOMAIN is DNS_NXDOMAIN; the lone MX "0 ." is DNS_NULLMX (RFC 7505);
 * MX records naming "." otherwise, or an address literal, are ignored.
 * An address literal domain ("[192.0.2.1]") is DNS_BADNAME: connect to
 * it directly. hops is valid only during the callback.
 */
void dns_resolve_mail(struct dns *d, const char *domain, dns_mail_cb cb, void *arg);

/*
 * dns_resolve_addr - A then AAAA addresses of host (for smtproutes
 * destinations given by name). An IP address ("192.0.2.1", "::1",
 * "[2001:db8::1]", "[IPv6:2001:db8::1]") is answered without DNS, still
 * from the loop. addrs is valid only during the callback.
 */
void dns_resolve_addr(struct dns *d, const char *host, dns_addr_cb cb, void *arg);

/*
 * dns_query_a - the A records of name as asked (no hosts file, no
 * literals: a DNS list query such as "2.0.0.127.zen.test" or
 * "bad.test.dbl.test"), for DNS block lists. DNS_OK gives at most
 * DNS_MAX_ADDRS IPv4 addresses in host order and ttl, the smallest TTL
 * of the records (CNAMEs followed); DNS_NXDOMAIN and DNS_NODATA give
 * ttl, the negative-caching time of the answer's SOA (RFC 2308 5), or -1
 * when it carries none; DNS_TEMPFAIL (timeout, SERVFAIL, REFUSED, ...)
 * and DNS_BADNAME give -1. addrs is valid only during the callback.
 */
void dns_query_a(struct dns *d, const char *name, dns_a_cb cb, void *arg);

/*
 * dns_resolve_ptr - the host name an address points back to: its PTR
 * record under in-addr.arpa (RFC 1035 3.5) or ip6.arpa (RFC 3596 2.5).
 * ip is an IPv4 or IPv6 address, bare or in brackets; an IPv4-mapped
 * IPv6 address (::ffff:192.0.2.1, what a dual-stack socket reports) is
 * asked as IPv4. DNS_OK gives the first PTR record of the answer that is
 * a host name (util/syntax.h), lower case, without the trailing dot.
 * The address's owner writes these records, so the others (spaces,
 * control characters, an IPv4 address posing as a name) are skipped,
 * and an answer with none left is DNS_NODATA. Not an address:
 * DNS_BADNAME, without a query, still from the loop. name is NULL unless
 * DNS_OK and valid only during the callback. The name is not checked
 * here: confirm it with dns_resolve_addr before trusting it.
 */
void dns_resolve_ptr(struct dns *d, const char *ip, dns_ptr_cb cb, void *arg);

/* ---------------------------------------------------------------- raw queries (dig) */

#define DNS_RR_NAME_MAX 1100	/* a name in presentation form, escapes included */
#define DNS_RR_DATA_MAX 2400	/* a record's data as printed (a TXT string escaped, cut) */
#define DNS_RR_MAX 64		/* answer records dns_answer_parse returns at most */

/* one record of an answer section, in presentation form */
struct dns_rr {
	char name[DNS_RR_NAME_MAX];	/* owner as received (case kept), no final dot */
	int type;			/* ns_t_a, ns_t_mx, ... */
	unsigned long ttl;		/* seconds */
	char data[DNS_RR_DATA_MAX];	/* "10 mx.example.com.", "\"v=spf1 -all\"", "192.0.2.1" */
};

/*
 * dns_raw_cb - how a raw query ended: st as for the other lookups; why,
 * the answer's RCODE name ("NOERROR", "NXDOMAIN", "SERVFAIL",
 * "REFUSED") or why there was none ("timed out", "connection refused",
 * "malformed name"); abuf/alen the answer as received (NULL, 0 when
 * none); from, the server whose reply decided it (its socket's peer),
 * NULL when no one server's did (a timeout, a refused connection).
 * All valid only during the callback.
 */
typedef void (*dns_raw_cb)(enum dns_status st, const char *why, const unsigned char *abuf,
    int alen, const struct sockaddr_storage *from, void *arg);

/* dns_type_name - "MX" for ns_t_mx (A NS CNAME SOA PTR MX TXT AAAA); NULL otherwise */
const char *dns_type_name(int type);

/* dns_type_parse - the type a name stands for, any case ("mx" -> ns_t_mx); -1 if none */
int dns_type_parse(const char *name);

/* dns_ptr_name - "1.2.0.192.in-addr.arpa" / the ip6.arpa nibbles; -1 if ip is not an address */
int dns_ptr_name(const char *ip, char *out, size_t size);

/*
 * dns_query_raw - ask one question of type (one dns_type_name knows)
 * about name as written, case kept (no search, no hosts file), retried as the
 * other lookups are, and report the answer itself (for dig). A bad
 * name or type is DNS_BADNAME, without a query, still from the loop.
 */
void dns_query_raw(struct dns *d, const char *name, int type, dns_raw_cb cb, void *arg);

/*
 * dns_answer_parse - the answer section of a DNS message (untrusted
 * bytes): *rcode the header's RCODE, the first max records of class IN
 * into rr (*nrr), names and data in presentation form (types we do not
 * decode as RFC 3597 "\# LEN"); *total counts every class IN record of
 * the section, those past max too. -1 if the message is cut or malformed.
 */
int dns_answer_parse(const unsigned char *abuf, int alen, struct dns_rr *rr, int max,
    int *nrr, int *total, int *rcode);

#endif
