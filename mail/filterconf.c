/*
 * filterconf.c - message filters, content filters and quarantines as the
 * configuration stores them: the model shared by `filters`,
 * `contentfilters`, `quarantineconfig` (mxsh) and the daemon's conf.c.
 *
 * A set is loaded as the store handle sees it (a shell session with its
 * candidate, the daemon the running configuration). Every entry is
 * parsed with mail/filter.c and checked against the address lists and
 * quarantines that exist at that moment, so deleting a list a filter
 * names makes the filter invalid at the next load, and creating the list
 * again makes it valid: validity is never stored and nothing is lost.
 * The lists filters name are SDR exception lists: one that exists but
 * holds more than domains makes the filter invalid the same way. A
 * stored value that does not decode is kept too (invalid, its text as
 * stored) rather than hidden.
 *
 * Saving compares every item with the canonical form of what is stored
 * and stages only those that differ (as mail/policy.c does), so loading
 * and saving an unchanged set leaves no pending change.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause naming the item.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "mail/addrlist.h"
#include "mail/filterconf.h"
#include "store/config.h"
#include "util/str.h"

#define ORDER_KEY "order"

/* ---------------------------------------------------------- items */

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

/* items_read - every item of a section */
static int
items_read(struct store *st, const char *section, struct items *it, char **cause)
{
	memset(it, 0, sizeof(*it));
	if (config_list(st, section, collect, it, cause) < 0) {
		items_free(it);
		return -1;
	}
	return 0;
}

/* items_find - index of a key (exactly, or ignoring case when nocase), or -1 */
static int
items_find(const struct items *it, const char *key, int nocase)
{
	for (int i = 0; i < it->n; i++)
		if (nocase ? strcasecmp(it->key[i], key) == 0 : strcmp(it->key[i], key) == 0)
			return i;
	return -1;
}

/* stage - set (value) or delete (NULL) one item */
static int
stage(struct store *st, const char *section, const char *key, const char *value, char **cause)
{
	return value ? config_set(st, section, key, value, cause) :
		       config_delete(st, section, key, cause);
}

/* json_text - cJSON_PrintUnformatted as a str_dup'd string */
static char *
json_text(cJSON *o)
{
	char *json = cJSON_PrintUnformatted(o), *s;

	if (json == NULL)
		abort();	/* cJSON fails only when out of memory */
	s = str_dup(json);
	cJSON_free(json);
	return s;
}

/* ---------------------------------------------------------- validity */

/* The names a filter may refer to, as the store handle sees them. */
struct refnames {
	struct items lists;	/* ADDRLIST_SECTION */
	struct items quars;	/* QUARANTINE_SECTION */
	signed char *domonly;	/* per list: 1 domain-only, 0 not, -1 damaged, -2 not decoded yet */
};

/* refnames_read - the address lists and quarantines that exist */
static int
refnames_read(struct store *st, struct refnames *r, char **cause)
{
	memset(r, 0, sizeof(*r));
	if (items_read(st, ADDRLIST_SECTION, &r->lists, cause) < 0)
		return -1;
	if (items_read(st, QUARANTINE_SECTION, &r->quars, cause) < 0) {
		items_free(&r->lists);
		return -1;
	}
	/* decoded when a filter names the list, once per load */
	r->domonly = xmalloc((size_t)r->lists.n + 1);
	memset(r->domonly, -2, (size_t)r->lists.n + 1);
	return 0;
}

/*
 * list_domonly - is list k domain-only (1), not (0), or damaged (-1)?
 * As addrlist.c decides it: the entries normalised again, never the
 * stored "domains_only" flag.
 */
static int
list_domonly(const struct refnames *r, int k)
{
	struct addrlist l;
	char *why = NULL;

	if (r->domonly[k] == -2) {
		memset(&l, 0, sizeof(l));
		if (addrlist_decode(r->lists.key[k], r->lists.val[k], &l, &why) < 0) {
			free(why);
			r->domonly[k] = -1;
		} else {
			r->domonly[k] = l.domains_only ? 1 : 0;
			addrlist_clear(&l);
		}
	}
	return r->domonly[k];
}

/* refnames_free - release what refnames_read read */
static void
refnames_free(struct refnames *r)
{
	items_free(&r->lists);
	items_free(&r->quars);
	free(r->domonly);
	r->domonly = NULL;
}

/* A filter_refs walk: the names known, and the first missing one. */
struct refwalk {
	const struct refnames *r;
	char *why;
	size_t size;
};

/*
 * ref_check - filter_refs callback: 1 (stop) at the first name that does
 * not exist, or at a list that cannot serve: filter_refs reports the lists
 * of the sdr-* rules, which are SDR exception lists, and those hold only
 * domains (AsyncOS marks a filter whose exception list is not domain-only
 * invalid, as one whose list is missing)
 */
static int
ref_check(const char *kind, const char *name, void *arg)
{
	struct refwalk *w = arg;
	int k;

	if (name == NULL || *name == '\0')
		return 0;	/* "" names no list: none applies */
	if (strcmp(kind, "list") == 0) {
		if ((k = items_find(&w->r->lists, name, 1)) < 0) {
			str_fmt(w->why, w->size, "address list \"%.64s\" does not exist", name);
			return 1;
		}
		switch (list_domonly(w->r, k)) {
		case 1:
			return 0;
		case 0:
			str_fmt(w->why, w->size, "address list \"%.64s\" is not domain-only: an "
			    "SDR exception list holds only domains", name);
			return 1;
		default:
			str_fmt(w->why, w->size, "address list \"%.64s\" is damaged", name);
			return 1;
		}
	}
	if (strcmp(kind, "quarantine") == 0) {
		if (strcasecmp(name, QUARANTINE_POLICY) == 0 ||
		    items_find(&w->r->quars, name, 1) >= 0)
			return 0;
		str_fmt(w->why, w->size, "quarantine \"%.64s\" does not exist", name);
		return 1;
	}
	return 0;
}

/* check_refs - 0 when everything f names exists, else 1 with why */
static int
check_refs(const struct refnames *r, const struct filter *f, char *why, size_t size)
{
	struct refwalk w = { r, why, size };

	why[0] = '\0';
	return filter_refs(f, ref_check, &w) != 0 ? 1 : 0;
}

/* filterconf_check - is everything f names there, as st sees it? */
int
filterconf_check(struct store *st, const struct filter *f, char *why, size_t size, char **cause)
{
	struct refnames r;
	int rc;

	if (refnames_read(st, &r, cause) < 0)
		return -1;
	rc = check_refs(&r, f, why, size);
	refnames_free(&r);
	return rc;
}

/*
 * entry_parse - parse e->text: e->f, e->valid and e->why. The text must
 * be exactly one filter, named as the entry is.
 */
static void
entry_parse(const struct refnames *r, struct filter_entry *e)
{
	struct filter **fs = NULL;
	struct filter_error fe;
	int n = 0;

	e->f = NULL;
	e->valid = 0;
	memset(&fe, 0, sizeof(fe));
	if (filter_parse(e->text, strlen(e->text), &fs, &n, &fe) < 0) {
		str_fmt(e->why, sizeof(e->why), "line %d, column %d: %s", fe.line, fe.col, fe.msg);
		return;
	}
	if (n != 1) {
		str_fmt(e->why, sizeof(e->why), "its text holds %d filters instead of one", n);
		filter_free_all(fs, n);
		return;
	}
	if (strcasecmp(filter_name(fs[0]), e->name) != 0) {
		str_fmt(e->why, sizeof(e->why), "its text is the filter \"%.64s\"",
		    filter_name(fs[0]));
		filter_free_all(fs, n);
		return;
	}
	e->f = fs[0];
	fs[0] = NULL;
	filter_free_all(fs, 0);
	e->valid = !check_refs(r, e->f, e->why, sizeof(e->why));
}

/* ---------------------------------------------------------- filter sets */

/* entry_clear - free one entry's strings and filter */
static void
entry_clear(struct filter_entry *e)
{
	free(e->text);
	free(e->description);
	if (e->f)
		filter_free(e->f);
	e->text = e->description = NULL;
	e->f = NULL;
}

/* filterconf_free - release a loaded set */
void
filterconf_free(struct filter_set *s)
{
	for (int i = 0; i < s->n; i++)
		entry_clear(&s->e[i]);
	free(s->e);
	s->e = NULL;
	s->n = 0;
}

/* filterconf_index - the index of an entry by name, ignoring case, or -1 */
int
filterconf_index(const struct filter_set *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcasecmp(s->e[i].name, name) == 0)
			return i;
	return -1;
}

/* filterconf_find - an entry by name, ignoring case, or NULL */
const struct filter_entry *
filterconf_find(const struct filter_set *s, const char *name)
{
	int i = filterconf_index(s, name);

	return i < 0 ? NULL : &s->e[i];
}

/*
 * decode - one stored item into e (name, text, description, active);
 * a value that does not decode is kept as the text, with why saying so
 * (the entry is then invalid and never parsed)
 */
static void
decode(const char *key, const char *json, struct filter_entry *e)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *t, *d, *a;

	memset(e, 0, sizeof(*e));
	str_copy(e->name, key, sizeof(e->name));
	e->active = 1;
	t = cJSON_GetObjectItemCaseSensitive(o, "text");
	d = cJSON_GetObjectItemCaseSensitive(o, "description");
	a = cJSON_GetObjectItemCaseSensitive(o, "active");
	if (!cJSON_IsObject(o) || !cJSON_IsString(t) || (d && !cJSON_IsString(d)) ||
	    (a && !cJSON_IsBool(a))) {
		e->text = str_dup(json);
		e->description = str_dup("");
		str_copy(e->why, "its stored value is not a filter's JSON object", sizeof(e->why));
		cJSON_Delete(o);
		return;
	}
	e->text = str_dup(t->valuestring);
	e->description = str_dup(d ? d->valuestring : "");
	if (a)
		e->active = cJSON_IsTrue(a);
	str_copy(e->why, "", sizeof(e->why));
	cJSON_Delete(o);
}

/* set_append - room for one more entry at the end; returns it (zeroed) */
static struct filter_entry *
set_append(struct filter_set *s)
{
	s->e = xrealloc(s->e, sizeof(*s->e) * (size_t)(s->n + 1));
	memset(&s->e[s->n], 0, sizeof(s->e[s->n]));
	return &s->e[s->n++];
}

/* load_one - item k of it, decoded and parsed, appended to s */
static void
load_one(const struct refnames *r, const struct items *it, int k, struct filter_set *s)
{
	struct filter_entry *e = set_append(s);

	decode(it->key[k], it->val[k], e);
	if (e->why[0] == '\0')
		entry_parse(r, e);
}

/* filterconf_load - a section's filters, checked, as st sees them */
int
filterconf_load(struct store *st, const char *section, struct filter_set *s, char **cause)
{
	struct items it;
	struct refnames r;
	char *order = NULL, **names;
	char *used;
	int msg = strcmp(section, FILTER_SECTION) == 0;

	memset(s, 0, sizeof(*s));
	if (items_read(st, section, &it, cause) < 0)
		return -1;
	if (refnames_read(st, &r, cause) < 0) {
		items_free(&it);
		return -1;
	}
	if (msg && config_get(st, FILTER_ORDER_SECTION, ORDER_KEY, &order, cause) < 0) {
		refnames_free(&r);
		items_free(&it);
		return -1;
	}
	used = xcalloc((size_t)it.n + 1, 1);
	/* message filters in their order, then any the order forgot (nothing stored is hidden) */
	names = str_split(order ? order : "", ',', NULL);
	for (int i = 0; msg && names[i]; i++) {
		int k = items_find(&it, names[i], 0);

		if (k < 0 || used[k])
			continue;
		used[k] = 1;
		load_one(&r, &it, k, s);
	}
	for (int k = 0; k < it.n; k++)
		if (!used[k])
			load_one(&r, &it, k, s);
	str_split_free(names);
	free(used);
	free(order);
	refnames_free(&r);
	items_free(&it);
	return 0;
}

/* filterconf_add - append a filter, parsed and checked */
int
filterconf_add(struct store *st, struct filter_set *s, const char *name, const char *text,
    const char *description, int active, char **cause)
{
	struct refnames r;
	struct filter_entry *e;

	if (refnames_read(st, &r, cause) < 0)
		return -1;
	e = set_append(s);
	str_copy(e->name, name, sizeof(e->name));
	e->text = str_dup(text);
	e->description = str_dup(description ? description : "");
	e->active = active;
	entry_parse(&r, e);
	refnames_free(&r);
	return 0;
}

/* filterconf_remove - drop entry i */
void
filterconf_remove(struct filter_set *s, int i)
{
	if (i < 0 || i >= s->n)
		return;
	entry_clear(&s->e[i]);
	memmove(s->e + i, s->e + i + 1, sizeof(*s->e) * (size_t)(s->n - i - 1));
	s->n--;
}

/* encode - the canonical stored text of an entry (malloc'd) */
static char *
encode(const char *section, const struct filter_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "text", e->text ? e->text : "");
	if (strcmp(section, FILTER_SECTION) == 0)
		cJSON_AddBoolToObject(o, "active", e->active ? 1 : 0);
	else
		cJSON_AddStringToObject(o, "description", e->description ? e->description : "");
	s = json_text(o);
	cJSON_Delete(o);
	return s;
}

/* canonical - a stored value re-encoded, or NULL when it does not decode */
static char *
canonical(const char *section, const char *key, const char *stored)
{
	struct filter_entry e;
	char *s = NULL;

	decode(key, stored, &e);
	if (e.why[0] == '\0')
		s = encode(section, &e);
	entry_clear(&e);
	return s;
}

/* check_set - the invariants a saved set keeps */
static int
check_set(const char *section, const struct filter_set *s, char **cause)
{
	if (s->n > FILTERCONF_MAX) {
		*cause = str_printf("there can be at most %d %s", FILTERCONF_MAX,
		    strcmp(section, FILTER_SECTION) == 0 ? "message filters" : "content filters");
		return -1;
	}
	for (int i = 0; i < s->n; i++) {
		if (s->e[i].name[0] == '\0' || strchr(s->e[i].name, ',') != NULL) {
			*cause = str_printf("the filter name \"%s\" cannot be stored", s->e[i].name);
			return -1;
		}
		for (int j = 0; j < i; j++) {
			if (strcasecmp(s->e[i].name, s->e[j].name) == 0) {
				*cause = str_printf("there are two filters named %s", s->e[i].name);
				return -1;
			}
		}
	}
	return 0;
}

/* save_order - the order item of message filters; none when there are none */
static int
save_order(struct store *st, const struct filter_set *s, char **cause)
{
	size_t len = 1;
	char *order, *cur = NULL;
	int rc = -1;

	for (int i = 0; i < s->n; i++)
		len += strlen(s->e[i].name) + 1;
	order = xmalloc(len);
	order[0] = '\0';
	len = 0;
	for (int i = 0; i < s->n; i++) {
		size_t n = strlen(s->e[i].name);

		if (i)
			order[len++] = ',';
		memcpy(order + len, s->e[i].name, n);
		len += n;
		order[len] = '\0';
	}
	if (config_get(st, FILTER_ORDER_SECTION, ORDER_KEY, &cur, cause) < 0)
		goto out;
	if (order[0] == '\0') {
		if (cur && stage(st, FILTER_ORDER_SECTION, ORDER_KEY, NULL, cause) < 0)
			goto out;
	} else if (cur == NULL || strcmp(cur, order) != 0) {
		if (stage(st, FILTER_ORDER_SECTION, ORDER_KEY, order, cause) < 0)
			goto out;
	}
	rc = 0;
out:
	free(order);
	free(cur);
	return rc;
}

/* filterconf_save - stage s as the whole section (and order), only what differs */
int
filterconf_save(struct store *st, const char *section, const struct filter_set *s,
    char **cause)
{
	struct items it;
	int rc = -1;

	if (check_set(section, s, cause) < 0)
		return -1;
	if (items_read(st, section, &it, cause) < 0)
		return -1;
	/* stored filters that are gone */
	for (int k = 0; k < it.n; k++) {
		int keep = 0;

		for (int i = 0; i < s->n && !keep; i++)
			keep = strcmp(s->e[i].name, it.key[k]) == 0;
		if (!keep && stage(st, section, it.key[k], NULL, cause) < 0)
			goto out;
	}
	/* each filter, where its canonical text differs */
	for (int i = 0; i < s->n; i++) {
		int k = items_find(&it, s->e[i].name, 0);
		char *want = encode(section, &s->e[i]);
		char *have = k >= 0 ? canonical(section, it.key[k], it.val[k]) : NULL;
		int same = have != NULL && strcmp(want, have) == 0;

		if (!same && stage(st, section, s->e[i].name, want, cause) < 0) {
			free(want);
			free(have);
			goto out;
		}
		free(want);
		free(have);
	}
	if (strcmp(section, FILTER_SECTION) == 0 && save_order(st, s, cause) < 0)
		goto out;
	rc = 0;
out:
	items_free(&it);
	return rc;
}

/* A filterconf_users walk over one filter. */
struct userwalk {
	const char *kind;
	const char *name;
};

/* user_match - filter_refs callback: 1 when the filter names what is looked for */
static int
user_match(const char *kind, const char *name, void *arg)
{
	const struct userwalk *w = arg;

	return strcmp(kind, w->kind) == 0 && name && strcasecmp(name, w->name) == 0;
}

/* filterconf_users - the filters of a section naming a quarantine or list */
int
filterconf_users(struct store *st, const char *section, const char *kind, const char *name,
    char **who, char **cause)
{
	struct filter_set s;
	struct userwalk w = { kind, name };
	size_t len = 1;
	char *out;

	*who = NULL;
	if (filterconf_load(st, section, &s, cause) < 0)
		return -1;
	for (int i = 0; i < s.n; i++)
		len += strlen(s.e[i].name) + 2;
	out = xmalloc(len);
	out[0] = '\0';
	len = 0;
	for (int i = 0; i < s.n; i++) {
		size_t n = strlen(s.e[i].name);

		if (s.e[i].f == NULL || filter_refs(s.e[i].f, user_match, &w) == 0)
			continue;
		if (len) {
			memcpy(out + len, ", ", 2);
			len += 2;
		}
		memcpy(out + len, s.e[i].name, n);
		len += n;
		out[len] = '\0';
	}
	filterconf_free(&s);
	*who = out;
	return 0;
}

/* ---------------------------------------------------------- quarantines */

/* quarconf_name_valid - a letter first, then letters, digits, '_', '-', '.' */
int
quarconf_name_valid(const char *name, char **cause)
{
	size_t n = strlen(name);

	if (n > 0 && !isalpha((unsigned char)name[0]))
		n = 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			n = 0;
	if (n == 0 || n > QUARANTINE_NAME_MAX) {
		*cause = str_printf("Invalid quarantine name '%.100s': a letter, then at most %d "
				    "letters, digits, '_', '-' and '.'.",
		    name, QUARANTINE_NAME_MAX - 1);
		return -1;
	}
	return 0;
}

/* quar_defaults - a quarantine with the default settings */
static void
quar_defaults(struct quarantine_conf *q, const char *name)
{
	memset(q, 0, sizeof(*q));
	str_copy(q->name, name, sizeof(q->name));
	q->size_mb = QUARANTINE_SIZE_DEFAULT;
	q->retention_hours = QUARANTINE_RETENTION_DEFAULT;
	q->expire_release = 0;
}

/* quar_number - a whole number member within [min, max] */
static int
quar_number(const cJSON *o, const char *key, long min, long max, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL)
		return 0;	/* keep the default */
	if (!cJSON_IsNumber(v) || v->valuedouble < (double)min || v->valuedouble > (double)max ||
	    v->valuedouble != (double)(long)v->valuedouble)
		return -1;
	*out = (long)v->valuedouble;
	return 0;
}

/* quar_decode - a stored quarantine; -1 with *cause */
static int
quar_decode(const char *name, const char *json, struct quarantine_conf *q, char **cause)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *x;
	int rc = -1;

	quar_defaults(q, name);
	if (!cJSON_IsObject(o))
		goto bad;
	if (quar_number(o, "size_mb", QUARANTINE_SIZE_MIN, QUARANTINE_SIZE_MAX, &q->size_mb) < 0 ||
	    quar_number(o, "retention_hours", QUARANTINE_RETENTION_MIN, QUARANTINE_RETENTION_MAX,
		&q->retention_hours) < 0)
		goto bad;
	x = cJSON_GetObjectItemCaseSensitive(o, "expire");
	if (x) {
		if (!cJSON_IsString(x))
			goto bad;
		if (strcmp(x->valuestring, "release") == 0)
			q->expire_release = 1;
		else if (strcmp(x->valuestring, "delete") != 0)
			goto bad;
	}
	rc = 0;
	goto out;
bad:
	*cause = str_printf("quarantine %s: stored settings are not valid", name);
out:
	cJSON_Delete(o);
	return rc;
}

/* quar_encode - the canonical stored text of a quarantine (malloc'd) */
static char *
quar_encode(const struct quarantine_conf *q)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddNumberToObject(o, "size_mb", (double)q->size_mb);
	cJSON_AddNumberToObject(o, "retention_hours", (double)q->retention_hours);
	cJSON_AddStringToObject(o, "expire", q->expire_release ? "release" : "delete");
	s = json_text(o);
	cJSON_Delete(o);
	return s;
}

/* quarconf_load - Policy first (stored or not), then the others by name */
int
quarconf_load(struct store *st, struct quarantine_conf **q, int *n, char **cause)
{
	struct items it;
	int k, m = 1;

	*q = NULL;
	*n = 0;
	if (items_read(st, QUARANTINE_SECTION, &it, cause) < 0)
		return -1;
	*q = xcalloc((size_t)it.n + 1, sizeof(**q));
	k = items_find(&it, QUARANTINE_POLICY, 1);
	if (k >= 0) {
		if (quar_decode(QUARANTINE_POLICY, it.val[k], &(*q)[0], cause) < 0)
			goto fail;
	} else {
		quar_defaults(&(*q)[0], QUARANTINE_POLICY);
	}
	for (int i = 0; i < it.n; i++) {
		if (strcasecmp(it.key[i], QUARANTINE_POLICY) == 0)
			continue;
		if (quar_decode(it.key[i], it.val[i], &(*q)[m], cause) < 0)
			goto fail;
		m++;
	}
	*n = m;
	items_free(&it);
	return 0;
fail:
	items_free(&it);
	free(*q);
	*q = NULL;
	return -1;
}

/* quarconf_find - a quarantine by name, ignoring case, or NULL */
const struct quarantine_conf *
quarconf_find(const struct quarantine_conf *q, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcasecmp(q[i].name, name) == 0)
			return &q[i];
	return NULL;
}

/* quarconf_save - stage one quarantine where its stored form differs */
int
quarconf_save(struct store *st, const struct quarantine_conf *q, char **cause)
{
	struct items it;
	struct quarantine_conf cur;
	char *want, *have = NULL, *why = NULL;
	int k, rc = -1, is_policy = strcasecmp(q->name, QUARANTINE_POLICY) == 0;

	if (!is_policy && quarconf_name_valid(q->name, cause) < 0)
		return -1;
	if (q->size_mb < QUARANTINE_SIZE_MIN || q->size_mb > QUARANTINE_SIZE_MAX ||
	    q->retention_hours < QUARANTINE_RETENTION_MIN ||
	    q->retention_hours > QUARANTINE_RETENTION_MAX) {
		*cause = str_printf("quarantine %s: settings out of range", q->name);
		return -1;
	}
	if (items_read(st, QUARANTINE_SECTION, &it, cause) < 0)
		return -1;
	k = items_find(&it, q->name, 1);
	want = quar_encode(q);
	if (k >= 0 && quar_decode(it.key[k], it.val[k], &cur, &why) == 0)
		have = quar_encode(&cur);
	free(why);
	if (is_policy) {
		/* the built-in one keeps no item while it has the defaults */
		struct quarantine_conf d;
		char *def;

		quar_defaults(&d, QUARANTINE_POLICY);
		def = quar_encode(&d);
		if (strcmp(want, def) == 0) {
			free(want);
			want = NULL;
		}
		free(def);
	}
	if (k >= 0 && strcmp(it.key[k], is_policy ? QUARANTINE_POLICY : q->name) != 0) {
		/* stored under another spelling: replace that item */
		if (stage(st, QUARANTINE_SECTION, it.key[k], NULL, cause) < 0)
			goto out;
		free(have);
		have = NULL;
		k = -1;
	}
	if (want == NULL) {
		if (k >= 0 && stage(st, QUARANTINE_SECTION, it.key[k], NULL, cause) < 0)
			goto out;
	} else if (have == NULL || strcmp(want, have) != 0) {
		if (stage(st, QUARANTINE_SECTION, is_policy ? QUARANTINE_POLICY : q->name, want,
		    cause) < 0)
			goto out;
	}
	rc = 0;
out:
	free(want);
	free(have);
	items_free(&it);
	return rc;
}

/* quarconf_delete - stage the removal of a quarantine (Policy refused) */
int
quarconf_delete(struct store *st, const char *name, char **cause)
{
	struct items it;
	int k, rc = 0;

	if (strcasecmp(name, QUARANTINE_POLICY) == 0) {
		*cause = str_printf("The %s quarantine is built in and cannot be deleted.",
		    QUARANTINE_POLICY);
		return -1;
	}
	if (items_read(st, QUARANTINE_SECTION, &it, cause) < 0)
		return -1;
	k = items_find(&it, name, 1);
	if (k < 0) {
		*cause = str_printf("There is no quarantine named '%.64s'.", name);
		rc = -1;
	} else {
		rc = stage(st, QUARANTINE_SECTION, it.key[k], NULL, cause);
	}
	items_free(&it);
	return rc;
}
