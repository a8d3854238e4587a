/*
 * policy.c - incoming and outgoing mail policies: the model shared by
 * `policyconfig` (mxsh) and the pipeline (mxgated).
 *
 * A table is loaded from the store as the handle sees it (a shell session
 * with its candidate, the daemon the running configuration): the policies
 * named by the order item first, then any stored policy the order item
 * forgot (appended, so nothing stored is ever invisible), then DEFAULT,
 * which exists whether or not an item was ever stored for it. Saving
 * compares every item with its canonical stored form and stages only
 * those that differ, so an unchanged table leaves no pending change.
 *
 * Matching (policy_match) runs once per recipient on the daemon's hot
 * path: it splits the address once and compares in place, without
 * allocating. A non-DEFAULT policy always has at least one member on its
 * primary side (recipients for incoming, senders for outgoing); a member
 * list on the other side, when present, must match too.
 *
 * Incoming policies, DEFAULT included, also name the content filters
 * their mail passes through, in order ("content_filters"). The names are
 * checked against the content filters when policyconfig sets them; one
 * deleted since is kept here (contentfilters refuses that while a policy
 * names it) and skipped by the daemon, never silently dropped.
 *
 * DIAGNOSTICS: lower-layer style; -1 with a malloc'd one-line *cause
 * naming the policy and what is wrong. Nothing here prints or exits.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "mail/policy.h"
#include "store/config.h"
#include "util/str.h"
#include "util/syntax.h"

/* Longest member text: a 64-octet local part, '@', '.', a 253-octet domain. */
#define MEMBER_MAX 320

#define ORDER_KEY "order"

/* policy_section - the store section holding a direction's policies */
const char *
policy_section(enum policy_dir dir)
{
	return dir == POLICY_OUTGOING ? "policy.outgoing" : "policy.incoming";
}

/* policy_order_section - the store section holding a direction's order item */
const char *
policy_order_section(enum policy_dir dir)
{
	return dir == POLICY_OUTGOING ? "policy.outgoing.order" : "policy.incoming.order";
}

/* policy_dir_name - "incoming" / "outgoing" */
const char *
policy_dir_name(enum policy_dir dir)
{
	return dir == POLICY_OUTGOING ? "outgoing" : "incoming";
}

/* policy_table_name - "inbound" / "outbound", as mail_logs names the tables */
const char *
policy_table_name(enum policy_dir dir)
{
	return dir == POLICY_OUTGOING ? "outbound" : "inbound";
}

/* ---------------------------------------------------------- members */

/* local_ok - an RFC 5322 dot-atom local part of 1..64 octets */
static int
local_ok(const char *s, size_t n)
{
	char prev = '.';

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (prev == '.')
				return 0;
		} else if (!isalnum(ch) && strchr("!#$%&'*+-/=?^_`{|}~", ch) == NULL) {
			return 0;
		}
		prev = (char)ch;
	}
	return prev != '.';
}

/* domain_ok - a host name; a trailing root dot is dropped in place */
static int
domain_ok(char *d)
{
	size_t n = strlen(d);

	if (n > 1 && d[n - 1] == '.')
		d[n - 1] = '\0';
	return syntax_hostname(d);
}

/* policy_member_parse - validate one member entry and write its lower-case form */
int
policy_member_parse(const char *in, char *out, size_t size, char **cause)
{
	char buf[MEMBER_MAX + 2], *t, *at, *dom;
	int partial = 0;

	if (str_copy(buf, in, sizeof(buf)) < 0)
		goto bad;
	t = str_trim(buf);
	at = strchr(t, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		goto bad;
	*at = '\0';
	dom = at + 1;
	if (*t == '\0') {
		/* "@example.com" or "@.example.com" */
		if (*dom == '.') {
			partial = 1;
			dom++;
		}
		if (!domain_ok(dom))
			goto bad;
	} else {
		/* "user@" or "user@example.com" */
		if (!local_ok(t, strlen(t)))
			goto bad;
		if (*dom != '\0' && !domain_ok(dom))
			goto bad;
	}
	str_lower(t);
	str_lower(dom);
	if (str_fmt(out, size, "%s@%s%s", t, partial ? "." : "", dom) < 0)
		goto bad;
	return 0;
bad:
	if (cause)
		*cause = str_printf("Invalid member '%.100s': use user@example.com (one address), "
				    "user@ (that user at any domain), @example.com (one domain) "
				    "or @.example.com (its subdomains).",
		    in);
	return -1;
}

/* policy_name_valid - letters, digits, '_', '-', '.'; 1..63; not DEFAULT */
int
policy_name_valid(const char *name, char **cause)
{
	size_t n = strlen(name);

	if (strcasecmp(name, POLICY_DEFAULT) == 0) {
		*cause = str_printf("The name %s is reserved for the default policy.",
		    POLICY_DEFAULT);
		return -1;
	}
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			n = 0;
	if (n == 0 || n > POLICY_NAME_MAX) {
		*cause = str_printf("A policy name is a non-empty string of at most %d letters, "
				    "digits, '_', '-' and '.'.",
		    POLICY_NAME_MAX);
		return -1;
	}
	return 0;
}

/*
 * An address split once for all members: local part and domain (without
 * a trailing root dot). An address without '@' (RCPT TO:<postmaster>) is
 * all local part; the null sender is empty and matches nothing.
 */
struct addr_parts {
	const char *local;
	size_t llen;
	const char *dom;
	size_t dlen;
	int has_at;
};

/* split_addr - fill parts without copying */
static void
split_addr(const char *addr, struct addr_parts *a)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	a->local = addr ? addr : "";
	a->has_at = at != NULL;
	if (at) {
		a->llen = (size_t)(at - addr);
		a->dom = at + 1;
	} else {
		a->llen = strlen(a->local);
		a->dom = "";
	}
	a->dlen = strlen(a->dom);
	if (a->dlen > 0 && a->dom[a->dlen - 1] == '.')
		a->dlen--;
}

/* eq_n - s[0..n) equals the whole of t, ignoring case */
static int
eq_n(const char *s, size_t n, const char *t, size_t tn)
{
	return n == tn && strncasecmp(s, t, n) == 0;
}

/* member_match - one normalised member against a split address */
static int
member_match(const char *m, const struct addr_parts *a)
{
	const char *at;
	size_t mlen;

	if (a->llen == 0 && a->dlen == 0)
		return 0;
	if (m[0] == '@') {
		if (m[1] == '.') {
			/* "@.example.com": sub.example.com and deeper, not example.com */
			const char *suf = m + 2;
			size_t slen = strlen(suf);

			return a->dlen >= slen + 2 && a->dom[a->dlen - slen - 1] == '.' &&
			    strncasecmp(a->dom + a->dlen - slen, suf, slen) == 0;
		}
		return a->has_at && eq_n(a->dom, a->dlen, m + 1, strlen(m + 1));
	}
	at = strchr(m, '@');
	if (at == NULL)
		return 0;
	mlen = (size_t)(at - m);
	if (!eq_n(a->local, a->llen, m, mlen))
		return 0;
	if (at[1] == '\0')
		return 1;	/* "user@": any domain */
	return a->has_at && eq_n(a->dom, a->dlen, at + 1, strlen(at + 1));
}

/* policy_member_match - does addr match one normalised member? */
int
policy_member_match(const char *member, const char *addr)
{
	struct addr_parts a;

	if (member == NULL || *member == '\0')
		return 0;
	split_addr(addr, &a);
	return member_match(member, &a);
}

/* list_match - does any member of v match? */
static int
list_match(char *const *v, int n, const struct addr_parts *a)
{
	for (int i = 0; i < n; i++)
		if (member_match(v[i], a))
			return 1;
	return 0;
}

/* policy_match - index of the first policy for rcpt and sender; DEFAULT at worst */
int
policy_match(const struct policy_table *t, const char *rcpt, const char *sender)
{
	struct addr_parts r, s;

	split_addr(rcpt, &r);
	split_addr(sender, &s);
	for (int i = 0; i < t->n - 1; i++) {
		const struct policy *p = &t->p[i];

		if (t->dir == POLICY_INCOMING) {
			if (list_match(p->rcpts, p->nrcpts, &r) &&
			    (p->nsenders == 0 || list_match(p->senders, p->nsenders, &s)))
				return i;
		} else {
			if (list_match(p->senders, p->nsenders, &s) &&
			    (p->nrcpts == 0 || list_match(p->rcpts, p->nrcpts, &r)))
				return i;
		}
	}
	return t->n - 1;
}

/* policy_tdc_address - see policy.h */
int
policy_tdc_address(const struct policy_table *t, int i, int enabled, const char *global,
    char *out, size_t size)
{
	const char *v = t->p[i].tdc;

	out[0] = '\0';
	if (t->dir != POLICY_INCOMING || !enabled || global == NULL || global[0] == '\0')
		return 0;
	if (i != t->n - 1 && strncasecmp(v, "custom:", 7) != 0) {
		if (strcasecmp(v, "no") == 0)
			return 0;
		v = t->p[t->n - 1].tdc;		/* "" or "default": DEFAULT decides */
	}
	/* a custom address, on any policy (seed 002 shows one on DEFAULT) */
	if (strncasecmp(v, "custom:", 7) == 0)
		return str_copy(out, v + 7, size) < 0 ? 0 : 1;
	if (strcasecmp(v, "global") != 0)
		return 0;
	return str_copy(out, global, size) < 0 ? 0 : 1;
}

/* policy_find - index of a policy by name, ignoring case, or -1 */
int
policy_find(const struct policy_table *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (strcasecmp(t->p[i].name, name) == 0)
			return i;
	return -1;
}

/* ---------------------------------------------------------- storage */

/* clear_members - free one policy's member lists only (DEFAULT keeps its other settings) */
static void
clear_members(struct policy *p)
{
	for (int i = 0; i < p->nrcpts; i++)
		free(p->rcpts[i]);
	for (int i = 0; i < p->nsenders; i++)
		free(p->senders[i]);
	free(p->rcpts);
	free(p->senders);
	p->rcpts = p->senders = NULL;
	p->nrcpts = p->nsenders = 0;
}

void
policy_clear(struct policy *p)
{
	clear_members(p);
	for (int i = 0; i < p->ncfilters; i++)
		free(p->cfilters[i]);
	free(p->cfilters);
	p->cfilters = NULL;
	p->ncfilters = 0;
}

/* policy_table_free - release a table's policies and members */
void
policy_table_free(struct policy_table *t)
{
	for (int i = 0; i < t->n; i++)
		policy_clear(&t->p[i]);
	free(t->p);
	t->p = NULL;
	t->n = 0;
}

/* decode_list - a JSON array of member strings into v/n (normalised) */
static int
decode_list(const char *name, const char *what, const cJSON *a, char ***v, int *n,
    char **cause)
{
	const cJSON *e;
	char m[MEMBER_MAX + 1];

	*v = NULL;
	*n = 0;
	if (a == NULL)
		return 0;
	if (!cJSON_IsArray(a)) {
		*cause = str_printf("policy %s: stored %s is not a list", name, what);
		return -1;
	}
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e) || policy_member_parse(e->valuestring, m, sizeof(m),
		    NULL) < 0) {
			*cause = str_printf("policy %s: stored %s include an invalid member", name,
			    what);
			return -1;
		}
		if (*n >= POLICY_MAX_MEMBERS) {
			*cause = str_printf("policy %s: more than %d %s stored", name,
			    POLICY_MAX_MEMBERS, what);
			return -1;
		}
		*v = xrealloc(*v, sizeof(char *) * (size_t)(*n + 1));
		(*v)[(*n)++] = str_dup(m);
	}
	return 0;
}

/*
 * decode_cfilters - the content filter names of a policy (the filters
 * themselves are checked where they are used: a name that no longer
 * exists is kept, so nothing stored is lost)
 */
static int
decode_cfilters(const char *name, const cJSON *a, struct policy *p, char **cause)
{
	const cJSON *e;

	if (a == NULL)
		return 0;
	if (!cJSON_IsArray(a)) {
		*cause = str_printf("policy %s: stored content filters are not a list", name);
		return -1;
	}
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e) || e->valuestring[0] == '\0' ||
		    strlen(e->valuestring) > POLICY_NAME_MAX) {
			*cause = str_printf("policy %s: stored content filters include an invalid "
					    "name", name);
			return -1;
		}
		if (p->ncfilters >= POLICY_MAX_CFILTERS) {
			*cause = str_printf("policy %s: more than %d content filters stored", name,
			    POLICY_MAX_CFILTERS);
			return -1;
		}
		p->cfilters = xrealloc(p->cfilters, sizeof(char *) * (size_t)(p->ncfilters + 1));
		p->cfilters[p->ncfilters++] = str_dup(e->valuestring);
	}
	return 0;
}

int
policy_decode(const char *name, const char *json, struct policy *p, char **cause)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *tdc;
	int rc = -1;

	str_copy(p->name, name, sizeof(p->name));
	if (!cJSON_IsObject(o)) {
		*cause = str_printf("policy %s: stored value is not a JSON object", name);
		goto out;
	}
	if (decode_list(name, "recipients", cJSON_GetObjectItemCaseSensitive(o, "recipients"),
	    &p->rcpts, &p->nrcpts, cause) < 0 ||
	    decode_list(name, "senders", cJSON_GetObjectItemCaseSensitive(o, "senders"),
	    &p->senders, &p->nsenders, cause) < 0)
		goto out;
	tdc = cJSON_GetObjectItemCaseSensitive(o, "tdc");
	if (tdc && (!cJSON_IsString(tdc) ||
	    str_copy(p->tdc, tdc->valuestring, sizeof(p->tdc)) < 0)) {
		*cause = str_printf("policy %s: stored tdc setting is not valid", name);
		goto out;
	}
	if (decode_cfilters(name, cJSON_GetObjectItemCaseSensitive(o, "content_filters"), p,
	    cause) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		policy_clear(p);
	cJSON_Delete(o);
	return rc;
}

/* add_array - a list of strings as a JSON array member */
static void
add_array(cJSON *o, const char *key, char *const *v, int n)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);

	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

/*
 * encode - the canonical stored text of a policy (malloc'd), or NULL for
 * a DEFAULT that holds nothing (so a never-edited DEFAULT has no item).
 */
static char *
encode(const struct policy *p, int is_default)
{
	cJSON *o;
	char *json, *s;

	if (is_default && p->nrcpts == 0 && p->nsenders == 0 && p->tdc[0] == '\0' &&
	    p->ncfilters == 0)
		return NULL;
	o = cJSON_CreateObject();
	add_array(o, "recipients", p->rcpts, p->nrcpts);
	add_array(o, "senders", p->senders, p->nsenders);
	if (p->tdc[0])
		cJSON_AddStringToObject(o, "tdc", p->tdc);
	if (p->ncfilters)
		add_array(o, "content_filters", p->cfilters, p->ncfilters);
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (json == NULL)
		abort();	/* cJSON fails only when out of memory */
	s = str_dup(json);
	cJSON_free(json);
	return s;
}

/* The items of one section as read from the store. */
struct items {
	int n;
	char **key;
	char **val;
};

/* collect - config_item_cb adding one item */
static int
collect(const char *section, const char *key, const char *value, void *arg)
{
	struct items *it = arg;

	(void)section;
	it->key = xrealloc(it->key, sizeof(char *) * (size_t)(it->n + 1));
	it->val = xrealloc(it->val, sizeof(char *) * (size_t)(it->n + 1));
	it->key[it->n] = str_dup(key);
	it->val[it->n] = str_dup(value);
	it->n++;
	return 0;
}

/* items_free - release the items read from a section */
static void
items_free(struct items *it)
{
	for (int i = 0; i < it->n; i++) {
		free(it->key[i]);
		free(it->val[i]);
	}
	free(it->key);
	free(it->val);
	memset(it, 0, sizeof(*it));
}

/* items_read - every item of a direction's section */
static int
items_read(struct store *st, enum policy_dir dir, struct items *it, char **cause)
{
	memset(it, 0, sizeof(*it));
	if (config_list(st, policy_section(dir), collect, it, cause) < 0) {
		items_free(it);
		return -1;
	}
	return 0;
}

/* items_find - index of an exact key, or -1 */
static int
items_find(const struct items *it, const char *key)
{
	for (int i = 0; i < it->n; i++)
		if (strcmp(it->key[i], key) == 0)
			return i;
	return -1;
}

/* policy_load - the table as this store handle sees it, DEFAULT last */
int
policy_load(struct store *st, enum policy_dir dir, struct policy_table *t, char **cause)
{
	struct items it;
	char *order = NULL, **names = NULL;
	char *used;
	struct policy *d;
	int k;

	memset(t, 0, sizeof(*t));
	t->dir = dir;
	if (items_read(st, dir, &it, cause) < 0)
		return -1;
	if (config_get(st, policy_order_section(dir), ORDER_KEY, &order, cause) < 0) {
		items_free(&it);
		return -1;
	}
	used = xcalloc((size_t)it.n + 1, 1);
	t->p = xcalloc((size_t)it.n + 1, sizeof(struct policy));

	/* the ordered policies, then any the order item does not name */
	names = str_split(order ? order : "", ',', NULL);
	for (int i = 0; names[i]; i++) {
		k = items_find(&it, names[i]);
		if (k < 0 || used[k] || strcasecmp(it.key[k], POLICY_DEFAULT) == 0)
			continue;
		used[k] = 1;
		if (policy_decode(it.key[k], it.val[k], &t->p[t->n], cause) < 0)
			goto fail;
		t->n++;
	}
	for (k = 0; k < it.n; k++) {
		if (used[k] || strcasecmp(it.key[k], POLICY_DEFAULT) == 0)
			continue;
		if (policy_decode(it.key[k], it.val[k], &t->p[t->n], cause) < 0)
			goto fail;
		t->n++;
	}

	/* DEFAULT last, stored or not; it has no members (it takes the rest) */
	d = &t->p[t->n];
	k = items_find(&it, POLICY_DEFAULT);
	if (k >= 0) {
		if (policy_decode(POLICY_DEFAULT, it.val[k], d, cause) < 0)
			goto fail;
		clear_members(d);
	}
	str_copy(d->name, POLICY_DEFAULT, sizeof(d->name));
	t->n++;

	str_split_free(names);
	free(used);
	free(order);
	items_free(&it);
	return 0;
fail:
	str_split_free(names);
	free(used);
	free(order);
	items_free(&it);
	policy_table_free(t);
	return -1;
}

/* check_table - the invariants a saved table must keep */
static int
check_table(const struct policy_table *t, char **cause)
{
	char *why = NULL;

	if (t->n < 1 || strcmp(t->p[t->n - 1].name, POLICY_DEFAULT) != 0) {
		*cause = str_printf("the %s policy table must end with %s",
		    policy_dir_name(t->dir), POLICY_DEFAULT);
		return -1;
	}
	if (t->n > POLICY_MAX) {
		*cause = str_printf("there can be at most %d %s policies", POLICY_MAX,
		    policy_dir_name(t->dir));
		return -1;
	}
	for (int i = 0; i < t->n - 1; i++) {
		const struct policy *p = &t->p[i];
		int primary = t->dir == POLICY_INCOMING ? p->nrcpts : p->nsenders;

		if (policy_name_valid(p->name, &why) < 0) {
			*cause = str_printf("policy %s: %s", p->name, why);
			free(why);
			return -1;
		}
		for (int j = 0; j < i; j++) {
			if (strcasecmp(t->p[j].name, p->name) == 0) {
				*cause = str_printf("there are two policies named %s", p->name);
				return -1;
			}
		}
		if (primary == 0) {
			*cause = str_printf("policy %s has no %s", p->name,
			    t->dir == POLICY_INCOMING ? "recipients" : "senders");
			return -1;
		}
		if (p->nrcpts + p->nsenders > POLICY_MAX_MEMBERS) {
			*cause = str_printf("policy %s has more than %d members", p->name,
			    POLICY_MAX_MEMBERS);
			return -1;
		}
	}
	for (int i = 0; i < t->n; i++) {
		if (t->p[i].ncfilters > POLICY_MAX_CFILTERS) {
			*cause = str_printf("policy %s names more than %d content filters",
			    t->p[i].name, POLICY_MAX_CFILTERS);
			return -1;
		}
		if (t->p[i].ncfilters && t->dir != POLICY_INCOMING) {
			*cause = str_printf("policy %s: only incoming policies have content filters",
			    t->p[i].name);
			return -1;
		}
	}
	return 0;
}

/* canonical - the stored text of key re-encoded, to compare like with like */
static char *
canonical(const char *key, const char *stored)
{
	struct policy p;
	char *why = NULL, *s;
	int is_default = strcmp(key, POLICY_DEFAULT) == 0;

	memset(&p, 0, sizeof(p));
	if (policy_decode(key, stored, &p, &why) < 0) {
		free(why);
		return NULL;	/* differs from anything: it gets rewritten */
	}
	if (is_default)
		clear_members(&p);
	s = encode(&p, is_default);
	policy_clear(&p);
	return s;
}

/* stage - set (value) or delete (NULL) one item */
static int
stage(struct store *st, const char *section, const char *key, const char *value, char **cause)
{
	return value ? config_set(st, section, key, value, cause) :
		       config_delete(st, section, key, cause);
}

/* policy_save - stage the items of a table that differ from what is stored */
int
policy_save(struct store *st, const struct policy_table *t, char **cause)
{
	const char *sec = policy_section(t->dir);
	struct items it;
	char *order = NULL, *cur = NULL;
	size_t len = 0;
	int rc = -1;

	if (check_table(t, cause) < 0)
		return -1;
	if (items_read(st, t->dir, &it, cause) < 0)
		return -1;

	/* stored policies that are gone (deleted, renamed) */
	for (int k = 0; k < it.n; k++) {
		int keep = 0;

		for (int i = 0; i < t->n && !keep; i++)
			keep = strcmp(t->p[i].name, it.key[k]) == 0;
		if (!keep && stage(st, sec, it.key[k], NULL, cause) < 0)
			goto out;
	}

	/* each policy, where its canonical text differs */
	for (int i = 0; i < t->n; i++) {
		const struct policy *p = &t->p[i];
		int is_default = i == t->n - 1;
		int k = items_find(&it, p->name);
		char *want, *have;
		int same;

		if (is_default) {
			/* DEFAULT has no members: never store any */
			struct policy d = *p;

			d.nrcpts = d.nsenders = 0;
			want = encode(&d, 1);
		} else {
			want = encode(p, 0);
		}
		have = k >= 0 ? canonical(p->name, it.val[k]) : NULL;
		/* compared as decoded, so a stored field this build does not know survives */
		same = want == NULL ? k < 0 : have != NULL && strcmp(want, have) == 0;
		if (!same && stage(st, sec, p->name, want, cause) < 0) {
			free(want);
			free(have);
			goto out;
		}
		free(want);
		free(have);
	}

	/* the order of the non-DEFAULT policies; no item when there are none */
	for (int i = 0; i < t->n - 1; i++)
		len += strlen(t->p[i].name) + 1;
	order = xmalloc(len + 1);
	order[0] = '\0';
	len = 0;
	for (int i = 0; i < t->n - 1; i++) {
		size_t n = strlen(t->p[i].name);

		if (i)
			order[len++] = ',';
		memcpy(order + len, t->p[i].name, n);
		len += n;
		order[len] = '\0';
	}
	if (config_get(st, policy_order_section(t->dir), ORDER_KEY, &cur, cause) < 0)
		goto out;
	if (order[0] == '\0') {
		if (cur && stage(st, policy_order_section(t->dir), ORDER_KEY, NULL, cause) < 0)
			goto out;
	} else if (cur == NULL || strcmp(cur, order) != 0) {
		if (stage(st, policy_order_section(t->dir), ORDER_KEY, order, cause) < 0)
			goto out;
	}
	rc = 0;
out:
	free(order);
	free(cur);
	items_free(&it);
	return rc;
}
