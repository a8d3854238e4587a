/*
 * addrlist.c - address lists: the model shared by `addresslistconfig`
 * (mxsh) and the daemon (SDR exception lists, filter rules).
 *
 * A list is loaded from the store as the handle sees it (a shell session
 * with its candidate, the daemon the running configuration); every entry
 * is normalised again on load and domains_only recomputed, so a stored
 * item can never make the matcher see an entry it would not accept from
 * an operator. Saving compares the canonical stored form first, so an
 * unchanged list leaves no pending change.
 *
 * Matching runs on the daemon's path, once per SDR domain or filter rule:
 * it compares in place without allocating. Domain entries follow AsyncOS:
 * "@example.com" is that domain, "@.example.com" its subdomains only.
 * IP entries are compared as bits (inet_pton), so 10.0.0.0/8 matches
 * 10.9.8.7 and 2001:db8::/32 matches 2001:DB8:0::1; an IPv4 address
 * written as IPv4-mapped IPv6 (::ffff:10.0.0.1) matches IPv4 entries.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause naming the list or the
 * entry; nothing here prints or exits.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "mail/addrlist.h"
#include "mail/filter.h"
#include "mail/policy.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/syntax.h"

/* The sections holding filters (mail/filterconf.h's FILTER_SECTION, CFILTER_SECTION). */
#define FILTER_SECTION_NAME "filter"
#define CFILTER_SECTION_NAME "contentfilter"
/* The setting naming the global SDR exception list. */
#define EXCEPTION_SETTING "sdr.exception_list"

/* ---------------------------------------------------------- entries */

/* An IP entry or address, as bits. */
struct ipnet {
	int family;			/* AF_INET, AF_INET6 */
	unsigned char a[16];		/* network order; 4 bytes used for AF_INET */
	int len;			/* prefix length in bits */
};

/* ip_parse - "addr" or "addr/len" into n (host bits kept); 0, or -1 */
static int
ip_parse(const char *s, struct ipnet *n)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	long len;

	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, addr, n->a) == 1) {
		n->family = AF_INET;
		n->len = 32;
	} else if (inet_pton(AF_INET6, addr, n->a) == 1) {
		n->family = AF_INET6;
		n->len = 128;
	} else {
		return -1;
	}
	if (slash) {
		if (!isdigit((unsigned char)slash[1]) ||
		    str_to_long(slash + 1, 0, n->len, &len) < 0)
			return -1;
		n->len = (int)len;
	}
	return 0;
}

/* ip_mask - clear the host bits of n */
static void
ip_mask(struct ipnet *n)
{
	int bytes = n->family == AF_INET ? 4 : 16;

	for (int i = 0; i < bytes; i++) {
		int keep = n->len - 8 * i;

		if (keep <= 0)
			n->a[i] = 0;
		else if (keep < 8)
			n->a[i] &= (unsigned char)(0xff << (8 - keep));
	}
}

/* ip_in - is address x (all bits) inside network net? */
static int
ip_in(const struct ipnet *net, const struct ipnet *x)
{
	int full = net->len / 8, rest = net->len % 8;

	if (net->family != x->family)
		return 0;
	if (memcmp(net->a, x->a, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((net->a[full] ^ x->a[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* bare_domain_ok - a host name whose last label is not all digits (not a bad IPv4 address) */
static int
bare_domain_ok(const char *d)
{
	const char *last = strrchr(d, '.');

	last = last ? last + 1 : d;
	if (!syntax_hostname(d))
		return 0;
	for (const char *p = last; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 1;
	return 0;
}

int
addrlist_entry_parse(const char *in, char *out, size_t size, char **cause)
{
	char buf[ADDRLIST_ENTRY_MAX + 2], *t, *why = NULL;
	struct ipnet n;
	size_t len;

	if (str_copy(buf, in, sizeof(buf)) < 0)
		goto bad;
	t = str_trim(buf);
	if (*t == '\0')
		goto bad;
	if (strchr(t, '@')) {
		/* user@domain, user@, @domain, @.domain: the policies' member forms */
		if (policy_member_parse(t, out, size, &why) < 0) {
			free(why);
			goto bad;
		}
		return 0;
	}
	if (ip_parse(t, &n) == 0) {
		char text[INET6_ADDRSTRLEN];
		int had_len = strchr(t, '/') != NULL;

		ip_mask(&n);
		if (inet_ntop(n.family, n.a, text, sizeof(text)) == NULL)
			goto bad;
		if ((had_len ? str_fmt(out, size, "%s/%d", text, n.len) :
			       str_copy(out, text, size)) < 0)
			goto bad;
		return 0;
	}
	/* a bare domain, "example.com" or ".example.com", is taken as @example.com */
	len = strlen(t);
	if (len > 1 && t[len - 1] == '.')
		t[len - 1] = '\0';	/* the root's dot */
	if (bare_domain_ok(t[0] == '.' ? t + 1 : t) && str_fmt(out, size, "@%s", t) == 0) {
		str_lower(out);
		return 0;
	}
bad:
	if (cause)
		*cause = str_printf("Invalid entry '%.100s': use user@example.com, user@, "
				    "@example.com, @.example.com (its subdomains), an IP address "
				    "or a network such as 10.0.0.0/8 or 2001:db8::/32.",
		    in);
	return -1;
}

enum addrlist_kind
addrlist_entry_kind(const char *entry)
{
	if (entry[0] == '@')
		return ADDRLIST_DOMAIN;
	if (strchr(entry, '@'))
		return ADDRLIST_ADDRESS;
	return ADDRLIST_IP;
}

/* ---------------------------------------------------------- matching */

int
addrlist_match_domain(const struct addrlist *l, const char *domain)
{
	size_t dlen;

	if (l == NULL || domain == NULL)
		return 0;
	dlen = strlen(domain);
	if (dlen > 0 && domain[dlen - 1] == '.')
		dlen--;
	if (dlen == 0)
		return 0;
	for (int i = 0; i < l->n; i++) {
		const char *e = l->entries[i];
		size_t elen;

		if (e[0] != '@')
			continue;
		if (e[1] == '.') {
			/* "@.example.com": a.example.com and deeper, not example.com */
			e += 2;
			elen = strlen(e);
			if (dlen >= elen + 2 && domain[dlen - elen - 1] == '.' &&
			    strncasecmp(domain + dlen - elen, e, elen) == 0)
				return 1;
		} else {
			e++;
			elen = strlen(e);
			if (dlen == elen && strncasecmp(domain, e, elen) == 0)
				return 1;
		}
	}
	return 0;
}

int
addrlist_match_addr(const struct addrlist *l, const char *addr)
{
	if (l == NULL || addr == NULL || *addr == '\0')
		return 0;
	for (int i = 0; i < l->n; i++)
		if (strchr(l->entries[i], '@') && policy_member_match(l->entries[i], addr))
			return 1;
	return 0;
}

int
addrlist_match_ip(const struct addrlist *l, const char *ip)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct ipnet x, x4, net;
	int has4 = 0;

	if (l == NULL || ip == NULL || strchr(ip, '/') || ip_parse(ip, &x) < 0)
		return 0;
	if (x.family == AF_INET6 && memcmp(x.a, mapped, sizeof(mapped)) == 0) {
		/* ::ffff:10.0.0.1 is the IPv4 client 10.0.0.1 on a dual-stack socket */
		memset(&x4, 0, sizeof(x4));
		x4.family = AF_INET;
		x4.len = 32;
		memcpy(x4.a, x.a + 12, 4);
		has4 = 1;
	}
	for (int i = 0; i < l->n; i++) {
		if (addrlist_entry_kind(l->entries[i]) != ADDRLIST_IP ||
		    ip_parse(l->entries[i], &net) < 0)
			continue;
		if (ip_in(&net, &x) || (has4 && ip_in(&net, &x4)))
			return 1;
	}
	return 0;
}

/* ---------------------------------------------------------- names */

int
addrlist_name_valid(const char *name, char **cause)
{
	size_t n = strlen(name);

	if (n == 0 || n > ADDRLIST_NAME_MAX || !isalpha((unsigned char)name[0]))
		n = 0;
	for (const char *p = name; *p && n; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			n = 0;
	if (n == 0) {
		*cause = str_printf("Invalid list name '%.100s': a name is a letter followed by at "
				    "most %d letters, digits, '_', '-' and '.'.",
		    name, ADDRLIST_NAME_MAX - 1);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- storage */

void
addrlist_clear(struct addrlist *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->entries[i]);
	free(l->entries);
	free(l->description);
	l->entries = NULL;
	l->description = NULL;
	l->n = 0;
}

/* domains_only - are all entries of l domains (and is there one)? */
static int
domains_only(const struct addrlist *l)
{
	for (int i = 0; i < l->n; i++)
		if (addrlist_entry_kind(l->entries[i]) != ADDRLIST_DOMAIN)
			return 0;
	return l->n > 0;
}

int
addrlist_decode(const char *name, const char *json, struct addrlist *l, char **cause)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *d, *e, *it;
	char entry[ADDRLIST_ENTRY_MAX + 1], *why = NULL;
	int n;

	if (str_copy(l->name, name, sizeof(l->name)) < 0 || !cJSON_IsObject(o)) {
		*cause = str_printf("The address list %.100s is damaged: it is not a JSON object.",
		    name);
		goto fail;
	}
	d = cJSON_GetObjectItemCaseSensitive(o, "description");
	l->description = str_dup(cJSON_IsString(d) ? d->valuestring : "");
	e = cJSON_GetObjectItemCaseSensitive(o, "entries");
	n = cJSON_IsArray(e) ? cJSON_GetArraySize(e) : 0;
	if (n > ADDRLIST_MAX_ENTRIES) {
		*cause = str_printf("The address list %.100s has %d entries; at most %d are "
				    "allowed.",
		    name, n, ADDRLIST_MAX_ENTRIES);
		goto fail;
	}
	l->entries = xcalloc((size_t)n + 1, sizeof(char *));
	cJSON_ArrayForEach(it, e) {
		if (!cJSON_IsString(it) ||
		    addrlist_entry_parse(it->valuestring, entry, sizeof(entry), &why) < 0) {
			*cause = str_printf("The address list %.100s is damaged: %s", name,
			    why ? why : "an entry is not a string.");
			free(why);
			goto fail;
		}
		l->entries[l->n++] = str_dup(entry);
	}
	l->domains_only = domains_only(l);
	cJSON_Delete(o);
	return 0;
fail:
	cJSON_Delete(o);
	addrlist_clear(l);
	return -1;
}

/* encode - the canonical stored JSON of l (malloc'd) */
static char *
encode(const struct addrlist *l)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char *json, *s;

	cJSON_AddStringToObject(o, "description", l->description ? l->description : "");
	cJSON_AddBoolToObject(o, "domains_only", domains_only(l));
	a = cJSON_AddArrayToObject(o, "entries");
	for (int i = 0; i < l->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->entries[i]));
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (json == NULL)
		abort();	/* allocation failure, as xmalloc */
	s = str_dup(json);
	cJSON_free(json);
	return s;
}

/* What a load walk gathers. */
struct load_ctx {
	struct addrlist_table *t;
	char **cause;
	int failed;
};

/* load_one - config_list callback: decode one item */
static int
load_one(const char *section, const char *key, const char *value, void *arg)
{
	struct load_ctx *x = arg;
	struct addrlist l = { .n = 0 };

	(void)section;
	if (x->t->n >= ADDRLIST_MAX) {
		*x->cause = str_printf("More than %d address lists are stored.", ADDRLIST_MAX);
		x->failed = 1;
		return 1;
	}
	if (addrlist_decode(key, value, &l, x->cause) < 0) {
		x->failed = 1;
		return 1;
	}
	x->t->l = xrealloc(x->t->l, ((size_t)x->t->n + 1) * sizeof(*x->t->l));
	x->t->l[x->t->n++] = l;
	return 0;
}

int
addrlist_load(struct store *st, struct addrlist_table *t, char **cause)
{
	struct load_ctx x = { t, cause, 0 };

	t->n = 0;
	t->l = NULL;
	if (config_list(st, ADDRLIST_SECTION, load_one, &x, cause) < 0 || x.failed) {
		addrlist_table_free(t);
		return -1;
	}
	return 0;
}

void
addrlist_table_free(struct addrlist_table *t)
{
	for (int i = 0; i < t->n; i++)
		addrlist_clear(&t->l[i]);
	free(t->l);
	t->l = NULL;
	t->n = 0;
}

const struct addrlist *
addrlist_find(const struct addrlist_table *t, const char *name)
{
	for (int i = 0; t && name && i < t->n; i++)
		if (strcasecmp(t->l[i].name, name) == 0)
			return &t->l[i];
	return NULL;
}

/* What stored_key looks for. */
struct key_ctx {
	const char *name;	/* wanted, any case */
	char *key;		/* found (malloc'd) */
};

/* key_one - config_list callback: the stored key equal to name ignoring case */
static int
key_one(const char *section, const char *key, const char *value, void *arg)
{
	struct key_ctx *k = arg;

	(void)section;
	(void)value;
	if (strcasecmp(key, k->name) == 0) {
		k->key = str_dup(key);
		return 1;
	}
	return 0;
}

/* stored_key - the key under which list name is stored (any case); NULL none, or error */
static int
stored_key(struct store *st, const char *name, char **key, char **cause)
{
	struct key_ctx k = { name, NULL };

	if (config_list(st, ADDRLIST_SECTION, key_one, &k, cause) < 0)
		return -1;
	*key = k.key;
	return 0;
}

int
addrlist_save(struct store *st, const struct addrlist *l, char **cause)
{
	char *key = NULL, *json, *cur = NULL;
	int rc = -1;

	if (addrlist_name_valid(l->name, cause) < 0)
		return -1;
	if (l->n > ADDRLIST_MAX_ENTRIES) {
		*cause = str_printf("An address list holds at most %d entries.",
		    ADDRLIST_MAX_ENTRIES);
		return -1;
	}
	if (stored_key(st, l->name, &key, cause) < 0)
		return -1;
	json = encode(l);
	if (config_get(st, ADDRLIST_SECTION, key ? key : l->name, &cur, cause) == 0) {
		if (cur && strcmp(cur, json) == 0)
			rc = 0;
		else
			rc = config_set(st, ADDRLIST_SECTION, key ? key : l->name, json, cause);
	}
	free(cur);
	free(json);
	free(key);
	return rc;
}

int
addrlist_delete(struct store *st, const char *name, char **cause)
{
	char *key = NULL;
	int rc;

	if (stored_key(st, name, &key, cause) < 0)
		return -1;
	if (key == NULL)
		return 1;
	rc = config_delete(st, ADDRLIST_SECTION, key, cause);
	free(key);
	return rc;
}

/* ---------------------------------------------------------- users */

/* What a filter walk looks for. */
struct users_ctx {
	const char *name;		/* the list */
	const char *what;		/* "message filter", "content filter" */
	struct buf *who;		/* the users found so far */
	int found;			/* this filter names the list */
};

/* ref_one - filter_refs callback: a list reference equal to name (any case) */
static int
ref_one(const char *kind, const char *name, void *arg)
{
	struct users_ctx *u = arg;

	if (strcmp(kind, "list") == 0 && strcasecmp(name, u->name) == 0) {
		u->found = 1;
		return 1;
	}
	return 0;
}

/*
 * quoted_in - does text hold name as a quoted string ("name" or 'name',
 * any case)? The fallback for a stored filter that does not parse.
 */
static int
quoted_in(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; *p; p++)
		if ((*p == '"' || *p == '\'') && strncasecmp(p + 1, name, n) == 0 && p[n + 1] == *p)
			return 1;
	return 0;
}

/* filter_one - config_list callback: does this stored filter name the list? */
static int
filter_one(const char *section, const char *key, const char *value, void *arg)
{
	struct users_ctx *u = arg;
	cJSON *o = cJSON_Parse(value);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
	struct filter **fs = NULL;
	struct filter_error err;
	int n = 0;

	(void)section;
	u->found = 0;
	if (cJSON_IsString(t)) {
		if (filter_parse(t->valuestring, strlen(t->valuestring), &fs, &n, &err) == 0) {
			for (int i = 0; i < n && !u->found; i++)
				filter_refs(fs[i], ref_one, u);
			filter_free_all(fs, n);
		} else {
			u->found = quoted_in(t->valuestring, u->name);
		}
	}
	cJSON_Delete(o);
	if (u->found)
		buf_printf(u->who, "%s%s %s", u->who->len ? ", " : "", u->what, key);
	return 0;
}

int
addrlist_users(struct store *st, const char *name, char **who, char **cause)
{
	struct buf b;
	struct users_ctx u = { name, "message filter", &b, 0 };
	char *exc = NULL;

	buf_init(&b, 0);
	if (config_list(st, FILTER_SECTION_NAME, filter_one, &u, cause) < 0)
		goto fail;
	u.what = "content filter";
	if (config_list(st, CFILTER_SECTION_NAME, filter_one, &u, cause) < 0)
		goto fail;
	if (settings_read(st, EXCEPTION_SETTING, &exc, cause) < 0)
		goto fail;
	if (strcasecmp(exc, name) == 0)
		buf_printf(&b, "%sthe SDR exception list (sdr.exception_list)", b.len ? ", " : "");
	free(exc);
	*who = buf_steal(&b);
	return 0;
fail:
	buf_free(&b);
	return -1;
}
