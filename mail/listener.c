/*
 * listener.c - SMTP listener configuration: parse, validate, store as
 * JSON, and the two per-connection questions the daemon asks.
 *
 * A public listener takes incoming mail: any client may connect, and a
 * recipient is accepted only when its domain is in the listener's list
 * ("@example.com" exactly that domain, "@.example.com" every subdomain
 * of it but not example.com itself). A private listener relays outgoing
 * mail for any recipient domain, but only for the clients in its relay
 * list (IPv4 and IPv6 addresses and CIDR networks; an IPv4 client seen as
 * an IPv4-mapped IPv6 address matches the IPv4 entries).
 *
 * Values are normalised on the way in (lower-case domains, canonical
 * address text, host bits of networks cleared), so what is stored is what
 * `listenerconfig print` shows and what the daemon matches against.
 *
 * DIAGNOSTICS: parse and validation functions return -1 with a malloc'd
 * one-line cause saying what was wrong and what is allowed; the matching
 * functions never fail (malformed entries simply do not match).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "mail/listener.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/syntax.h"

/* Ranges of the numeric fields (documented in mxsh-listenerconfig(1)). */
#define MAX_SIZE_MIN 1024LL
#define MAX_SIZE_MAX 1073741824LL	/* 1 GiB: bodies are held in memory */
#define MAX_SIZE_DEF 10485760LL
#define MAX_RCPTS_MIN 1
#define MAX_RCPTS_MAX 100000
#define MAX_RCPTS_DEF 1000
#define MAX_CONNS_MIN 1
#define MAX_CONNS_MAX 100000
#define MAX_CONNS_DEF 1000

/* One parsed relay entry: an address and a prefix length. */
struct net {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network byte order; 4 bytes used for IPv4 */
	int prefix;			/* 0..32 or 0..128 */
};

/* listener_defaults - a listener with every default and the given name */
void
listener_defaults(struct listener_conf *l, const char *name)
{
	memset(l, 0, sizeof(*l));
	str_copy(l->name, name ? name : "", sizeof(l->name));
	l->port = 25;
	l->type = LISTENER_PUBLIC;
	l->max_size = MAX_SIZE_DEF;
	l->max_rcpts = MAX_RCPTS_DEF;
	l->max_conns = MAX_CONNS_DEF;
	l->tls = LISTENER_TLS_NO;
}

/* listener_type_name - "public" or "private" */
const char *
listener_type_name(enum listener_type t)
{
	return t == LISTENER_PRIVATE ? "private" : "public";
}

/* listener_tls_name - "no", "preferred" or "required" */
/* is_wildcard - 0.0.0.0 or :: */
static int
is_wildcard(const char *ip)
{
	return strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
}

/* same_family - both IPv4 or both IPv6 */
static int
same_family(const char *a, const char *b)
{
	return (strchr(a, ':') != NULL) == (strchr(b, ':') != NULL);
}

int
listener_clash(const struct listener_conf *v, int n, const struct listener_conf *l, int self,
    int *by_name)
{
	for (int i = 0; i < n; i++) {
		const struct listener_conf *o = &v[i];

		if (i == self)
			continue;
		*by_name = strcasecmp(o->name, l->name) == 0;
		if (*by_name)
			return i;
		if (o->port == l->port && same_family(o->ip, l->ip) &&
		    (strcmp(o->ip, l->ip) == 0 || is_wildcard(o->ip) || is_wildcard(l->ip)))
			return i;
	}
	return -1;
}

const char *
listener_tls_name(enum listener_tls t)
{
	switch (t) {
	case LISTENER_TLS_PREFERRED:
		return "preferred";
	case LISTENER_TLS_REQUIRED:
		return "required";
	case LISTENER_TLS_NO:
		break;
	}
	return "no";
}

/* ---------------------------------------------------------- parsing */

/* name_ok - 1..63 letters, digits, '_', '-', '.' */
static int
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > LISTENER_NAME_MAX)
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return 0;
	return 1;
}

/* parse_ip - one address to bind, normalised to inet_ntop's form */
static int
parse_ip(const char *in, char *out, size_t size)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, in, a) == 1)
		return inet_ntop(AF_INET, a, out, (socklen_t)size) ? 0 : -1;
	if (inet_pton(AF_INET6, in, a) == 1)
		return inet_ntop(AF_INET6, a, out, (socklen_t)size) ? 0 : -1;
	return -1;
}

/* parse_domain - "@a.test", "@.b.test", "a.test" or ".b.test" into "@a.test" / "@.b.test" */
static int
parse_domain(const char *in, char *out, size_t size)
{
	char d[300];
	const char *p = in;
	int partial = 0;
	size_t n;

	if (*p == '@')
		p++;
	if (*p == '.') {
		partial = 1;
		p++;
	}
	if (str_copy(d, p, sizeof(d)) < 0)
		return -1;
	n = strlen(d);
	if (n > 1 && d[n - 1] == '.')
		d[n - 1] = '\0';	/* a trailing root dot is the same domain */
	if (!syntax_hostname(d))
		return -1;
	str_lower(d);
	return str_fmt(out, size, "@%s%s", partial ? "." : "", d);
}

/* net_parse - "IP" or "IP/PREFIX"; host bits are cleared, mapped IPv4 becomes IPv4 */
static int
net_parse(const char *in, struct net *n)
{
	char a[64];
	const char *slash = strchr(in, '/');
	size_t alen = slash ? (size_t)(slash - in) : strlen(in);
	int bits;

	memset(n, 0, sizeof(*n));
	if (alen == 0 || alen >= sizeof(a))
		return -1;
	memcpy(a, in, alen);
	a[alen] = '\0';
	if (inet_pton(AF_INET, a, n->addr) == 1)
		n->family = AF_INET;
	else if (inet_pton(AF_INET6, a, n->addr) == 1)
		n->family = AF_INET6;
	else
		return -1;
	bits = n->family == AF_INET ? 32 : 128;
	n->prefix = bits;
	if (slash) {
		long v;

		if (!isdigit((unsigned char)slash[1]) || str_to_long(slash + 1, 0, bits, &v) < 0)
			return -1;
		n->prefix = (int)v;
	}
	if (n->family == AF_INET6 && n->prefix >= 96 &&
	    IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)n->addr)) {
		memmove(n->addr, n->addr + 12, 4);
		memset(n->addr + 4, 0, 12);
		n->family = AF_INET;
		n->prefix -= 96;
		bits = 32;
	}
	for (int i = n->prefix; i < bits; i++)
		n->addr[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
	return 0;
}

/* net_format - the normal written form: address, "/PREFIX" unless a single host */
static void
net_format(const struct net *n, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	int bits = n->family == AF_INET ? 32 : 128;

	if (inet_ntop(n->family, n->addr, a, sizeof(a)) == NULL)
		a[0] = '\0';
	if (n->prefix == bits)
		str_copy(out, a, size);
	else
		str_fmt(out, size, "%s/%d", a, n->prefix);
}

/* net_contains - is the address (family, 4 or 16 bytes) inside the network? */
static int
net_contains(const struct net *n, int family, const unsigned char *addr)
{
	int full, rest;

	if (n->family != family)
		return 0;
	full = n->prefix / 8;
	rest = n->prefix % 8;
	if (memcmp(n->addr, addr, (size_t)full) != 0)
		return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		if ((n->addr[full] & mask) != (addr[full] & mask))
			return 0;
	}
	return 1;
}

enum list_kind { LIST_DOMAINS, LIST_RELAY };

/*
 * parse_list - a comma-separated list of domains or relay entries,
 * normalised into out; blanks around entries are ignored, an empty
 * input gives an empty list, duplicates are refused.
 */
static int
parse_list(enum list_kind kind, const char *in, char *out, size_t size, char **cause)
{
	char **v;
	int n;
	struct buf b;

	buf_init(&b, size - 1);
	v = str_split(in, ',', &n);
	if (n == 1 && *str_trim(v[0]) == '\0')
		n = 0;	/* "domains=" empties the list */
	for (int i = 0; i < n; i++) {
		char one[320], *t = str_trim(v[i]);
		struct net net;

		if (*t == '\0') {
			*cause = str_dup("Empty entry in the list: separate entries with single "
					 "commas.");
			goto fail;
		}
		if (kind == LIST_DOMAINS) {
			if (parse_domain(t, one, sizeof(one)) < 0) {
				*cause = str_printf("Invalid domain '%.100s': use @example.com for a "
						    "domain or @.example.com for its subdomains.",
				    t);
				goto fail;
			}
		} else {
			if (net_parse(t, &net) < 0) {
				*cause = str_printf("Invalid IP or IP range '%.100s': use an IPv4 or "
						    "IPv6 address, or a network such as 10.0.0.0/8 "
						    "or 2001:db8::/32.",
				    t);
				goto fail;
			}
			net_format(&net, one, sizeof(one));
		}
		/* the same entry twice is most likely a typing error */
		for (const char *p = b.data; p && *p;) {
			const char *e = strchr(p, ',');
			size_t len = e ? (size_t)(e - p) : strlen(p);

			if (len == strlen(one) && strncmp(p, one, len) == 0) {
				*cause = str_printf("The entry %s is listed twice.", one);
				goto fail;
			}
			p = e ? e + 1 : p + len;
		}
		if (buf_printf(&b, "%s%s", b.len ? "," : "", one) < 0) {
			*cause = str_printf("The list is too long (at most %zu characters).",
			    size - 1);
			goto fail;
		}
	}
	str_copy(out, b.data ? b.data : "", size);
	buf_free(&b);
	str_split_free(v);
	return 0;
fail:
	buf_free(&b);
	str_split_free(v);
	return -1;
}

/* parse_size - bytes with an optional K, M or G suffix (powers of 1024) */
static int
parse_size(const char *in, long long *out)
{
	char num[32];
	size_t n = strlen(in);
	long mult = 1, v;

	if (n == 0 || n >= sizeof(num))
		return -1;
	str_copy(num, in, sizeof(num));
	switch (num[n - 1]) {
	case 'k': case 'K':
		mult = 1024;
		break;
	case 'm': case 'M':
		mult = 1024L * 1024;
		break;
	case 'g': case 'G':
		mult = 1024L * 1024 * 1024;
		break;
	}
	if (mult != 1)
		num[n - 1] = '\0';
	if (!isdigit((unsigned char)num[0]) || str_to_long(num, 0, MAX_SIZE_MAX, &v) < 0)
		return -1;
	if ((long long)v * mult < MAX_SIZE_MIN || (long long)v * mult > MAX_SIZE_MAX)
		return -1;
	*out = (long long)v * mult;
	return 0;
}

/* parse_int - a whole decimal number within [min, max] */
static int
parse_int(const char *in, long min, long max, int *out)
{
	long v;

	if (!isdigit((unsigned char)*in) || str_to_long(in, min, max, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* listener_set - set one field from its batch key and text value, normalised */
int
listener_set(struct listener_conf *l, const char *key, const char *value, char **cause)
{
	if (strcmp(key, "ip") == 0) {
		if (parse_ip(value, l->ip, sizeof(l->ip)) < 0) {
			*cause = str_printf("Invalid IP address '%.100s': use an IPv4 or IPv6 "
					    "address of this machine (0.0.0.0 or :: for all).",
			    value);
			return -1;
		}
	} else if (strcmp(key, "port") == 0) {
		if (parse_int(value, 1, 65535, &l->port) < 0) {
			*cause = str_printf("Invalid port '%.100s': the value must be a number "
					    "between 1 and 65535.",
			    value);
			return -1;
		}
	} else if (strcmp(key, "type") == 0) {
		if (strcasecmp(value, "public") == 0) {
			l->type = LISTENER_PUBLIC;
		} else if (strcasecmp(value, "private") == 0) {
			l->type = LISTENER_PRIVATE;
		} else {
			*cause = str_printf("Invalid type '%.100s': the value must be public or "
					    "private.",
			    value);
			return -1;
		}
	} else if (strcmp(key, "domains") == 0) {
		return parse_list(LIST_DOMAINS, value, l->domains, sizeof(l->domains), cause);
	} else if (strcmp(key, "relay") == 0) {
		return parse_list(LIST_RELAY, value, l->relay, sizeof(l->relay), cause);
	} else if (strcmp(key, "max_size") == 0) {
		if (parse_size(value, &l->max_size) < 0) {
			*cause = str_printf("Invalid max_size '%.100s': the value must be a number "
					    "of bytes between %lld and %lld (K, M or G suffix "
					    "allowed).",
			    value, MAX_SIZE_MIN, MAX_SIZE_MAX);
			return -1;
		}
	} else if (strcmp(key, "max_rcpts") == 0) {
		if (parse_int(value, MAX_RCPTS_MIN, MAX_RCPTS_MAX, &l->max_rcpts) < 0) {
			*cause = str_printf("Invalid max_rcpts '%.100s': the value must be a number "
					    "between %d and %d.",
			    value, MAX_RCPTS_MIN, MAX_RCPTS_MAX);
			return -1;
		}
	} else if (strcmp(key, "max_conns") == 0) {
		if (parse_int(value, MAX_CONNS_MIN, MAX_CONNS_MAX, &l->max_conns) < 0) {
			*cause = str_printf("Invalid max_conns '%.100s': the value must be a number "
					    "between %d and %d.",
			    value, MAX_CONNS_MIN, MAX_CONNS_MAX);
			return -1;
		}
	} else if (strcmp(key, "tls") == 0) {
		if (strcasecmp(value, "no") == 0) {
			l->tls = LISTENER_TLS_NO;
		} else if (strcasecmp(value, "preferred") == 0) {
			l->tls = LISTENER_TLS_PREFERRED;
		} else if (strcasecmp(value, "required") == 0) {
			l->tls = LISTENER_TLS_REQUIRED;
		} else {
			*cause = str_printf("Invalid tls '%.100s': the value must be no, preferred "
					    "or required.",
			    value);
			return -1;
		}
	} else {
		*cause = str_printf("Unknown key '%.100s': use ip, port, type, domains, relay, "
				    "tls, max_size, max_rcpts or max_conns.",
		    key);
		return -1;
	}
	return 0;
}

/* listener_validate - whole-object checks (name, address, lists fit the type) */
int
listener_validate(const struct listener_conf *l, char **cause)
{
	char ip[64];

	if (!name_ok(l->name)) {
		*cause = str_printf("Invalid listener name '%.100s': use 1 to %d letters, digits, "
				    "'_', '-' or '.'.",
		    l->name, LISTENER_NAME_MAX);
		return -1;
	}
	if (l->ip[0] == '\0' || parse_ip(l->ip, ip, sizeof(ip)) < 0) {
		*cause = str_printf("The listener %s needs an IP address: set ip=IP (0.0.0.0 or "
				    ":: for all addresses).",
		    l->name);
		return -1;
	}
	if (l->port < 1 || l->port > 65535 || l->max_size < MAX_SIZE_MIN ||
	    l->max_size > MAX_SIZE_MAX || l->max_rcpts < MAX_RCPTS_MIN ||
	    l->max_rcpts > MAX_RCPTS_MAX || l->max_conns < MAX_CONNS_MIN ||
	    l->max_conns > MAX_CONNS_MAX) {
		*cause = str_printf("The listener %s has a value out of range: see "
				    "listenerconfig print.",
		    l->name);
		return -1;
	}
	if (l->type == LISTENER_PUBLIC) {
		if (l->domains[0] == '\0') {
			*cause = str_dup("A public listener needs accepted domains: add "
					 "domains=@example.com (or @.example.com for subdomains).");
			return -1;
		}
		if (l->relay[0] != '\0') {
			*cause = str_dup("A public listener takes no relay list: relay= is for "
					 "private listeners.");
			return -1;
		}
	} else {
		if (l->relay[0] == '\0') {
			*cause = str_dup("A private listener needs the clients allowed to relay: add "
					 "relay=IP or relay=NETWORK/PREFIX (several separated by "
					 "commas).");
			return -1;
		}
		if (l->domains[0] != '\0') {
			*cause = str_dup("A private listener takes no domain list: domains= is for "
					 "public listeners.");
			return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------- JSON */

/* add_list - a comma list as a JSON array of strings */
static void
add_list(cJSON *o, const char *name, const char *list)
{
	cJSON *a;
	char **v;
	int n;

	if (*list == '\0')
		return;		/* an absent list is an empty one */
	a = cJSON_AddArrayToObject(o, name);
	v = str_split(list, ',', &n);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	str_split_free(v);
}

/* listener_encode - the JSON stored for a listener (malloc'd; empty lists left out) */
char *
listener_encode(const struct listener_conf *l)
{
	cJSON *o = cJSON_CreateObject();
	char *json, *out;

	cJSON_AddStringToObject(o, "ip", l->ip);
	cJSON_AddNumberToObject(o, "port", l->port);
	cJSON_AddStringToObject(o, "type", listener_type_name(l->type));
	add_list(o, "domains", l->domains);
	add_list(o, "relay", l->relay);
	cJSON_AddNumberToObject(o, "max_size", (double)l->max_size);
	cJSON_AddNumberToObject(o, "max_rcpts", l->max_rcpts);
	cJSON_AddNumberToObject(o, "max_conns", l->max_conns);
	cJSON_AddStringToObject(o, "tls", listener_tls_name(l->tls));
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (json == NULL)
		abort();	/* only allocation fails here */
	out = str_dup(json);
	cJSON_free(json);
	return out;
}

/* member_text - a JSON member as the text listener_set takes; -1 if of the wrong kind */
static int
member_text(const cJSON *m, char *out, size_t size)
{
	if (cJSON_IsString(m))
		return str_copy(out, m->valuestring, size);
	if (cJSON_IsNumber(m)) {
		double d = m->valuedouble;

		if (d < 0 || d > 1e15 || d != (double)(long long)d)
			return -1;
		return str_fmt(out, size, "%lld", (long long)d);
	}
	if (cJSON_IsArray(m)) {
		struct buf b;
		const cJSON *e;
		int rc = 0;

		buf_init(&b, size - 1);
		cJSON_ArrayForEach(e, m) {
			if (!cJSON_IsString(e) || strchr(e->valuestring, ',')) {
				rc = -1;
				break;
			}
			if (buf_printf(&b, "%s%s", b.len ? "," : "", e->valuestring) < 0)
				rc = -1;
		}
		if (rc == 0)
			rc = str_copy(out, b.data ? b.data : "", size);
		buf_free(&b);
		return rc;
	}
	return -1;
}

/* listener_decode - parse and re-validate the stored JSON of listener name */
int
listener_decode(const char *name, const char *json, struct listener_conf *l, char **cause)
{
	static const char *const keys[] = { "ip", "port", "type", "domains", "relay", "max_size",
		"max_rcpts", "max_conns", "tls", NULL };
	cJSON *o = cJSON_Parse(json);
	char text[LISTENER_LIST_MAX];

	listener_defaults(l, name);
	if (!cJSON_IsObject(o)) {
		*cause = str_dup("the stored listener is not a JSON object");
		cJSON_Delete(o);
		return -1;
	}
	/* unknown members are ignored: they may come from a newer release */
	for (int i = 0; keys[i]; i++) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, keys[i]);

		if (m == NULL) {
			if (i < 3) {
				*cause = str_printf("the stored listener has no %s", keys[i]);
				cJSON_Delete(o);
				return -1;
			}
			continue;
		}
		if (member_text(m, text, sizeof(text)) < 0) {
			*cause = str_printf("the stored listener's %s is malformed", keys[i]);
			cJSON_Delete(o);
			return -1;
		}
		if (listener_set(l, keys[i], text, cause) < 0) {
			cJSON_Delete(o);
			return -1;
		}
	}
	cJSON_Delete(o);
	return listener_validate(l, cause);
}

/* ---------------------------------------------------------- matching */

/* listener_accepts_domain - is mail for this recipient domain accepted here? */
int
listener_accepts_domain(const struct listener_conf *l, const char *domain)
{
	char d[300];
	size_t dlen;

	if (l->type == LISTENER_PRIVATE)
		return 1;	/* any domain: the relay list decides who may send */
	if (str_copy(d, domain, sizeof(d)) < 0)
		return 0;
	dlen = strlen(d);
	if (dlen > 1 && d[dlen - 1] == '.')
		d[--dlen] = '\0';
	if (dlen == 0)
		return 0;
	for (const char *p = l->domains; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len > 1 && p[0] == '@') {
			const char *ent = p + 1;	/* "a.test" or ".b.test" */
			size_t elen = len - 1;

			if (ent[0] == '.') {
				/* a strict subdomain: sub.b.test, not b.test */
				if (dlen > elen && strncasecmp(d + dlen - elen, ent, elen) == 0)
					return 1;
			} else if (dlen == elen && strncasecmp(d, ent, elen) == 0) {
				return 1;
			}
		}
		p = e ? e + 1 : p + len;
	}
	return 0;
}

/* listener_relay_allowed - is this client in the relay list? */
int
listener_relay_allowed(const struct listener_conf *l, const struct sockaddr *sa)
{
	unsigned char addr[16];
	int family;
	char **v;
	int n, ok = 0;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		const struct in6_addr *a6 = &s6->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			memcpy(addr, a6->s6_addr + 12, 4);
			family = AF_INET;
		} else {
			memcpy(addr, a6->s6_addr, 16);
			family = AF_INET6;
		}
	} else {
		return 0;
	}
	if (l->relay[0] == '\0')
		return 0;
	v = str_split(l->relay, ',', &n);
	for (int i = 0; i < n && !ok; i++) {
		struct net net;

		if (net_parse(v[i], &net) == 0 && net_contains(&net, family, addr))
			ok = 1;
	}
	str_split_free(v);
	return ok;
}
