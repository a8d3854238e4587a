/*
 * cluster.c - a cluster of gateways on etcd (issue 15): the key layout,
 * the records kept there (JSON, read strictly: wrong types refused,
 * sizes bounded) and the operations mxsh and mxgated share. See
 * cluster.h for the layout and store/cluster.h for the local side.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause; CLUS_EUNREACH when etcd
 * cannot be reached; CLUS_ECONFLICT when a commit lost to another one.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mail/cluster.h"
#include "mail/confcheck.h"
#include "store/secret.h"
#include "util/str.h"

#define CLUS_VALUE_MAX (4 * 1024 * 1024)	/* an etcd value we read */
#define CLUS_TEXT_MAX 4096			/* user, comment, host of a record */
#define CLUS_CHANGES_MAX 100000			/* changes in one commit record */
#define CLUS_TXN_OPS 100			/* ops of one txn (etcd's default limit is 128) */
#define CLUS_KEYCHECK "mxgate-cluster"

/* ---------------------------------------------------------------- keys */

/* clus_key - see cluster.h */
char *
clus_key(const struct clus *c, const char *rest)
{
	return str_printf("%s%s", c->prefix, rest);
}

static int
pct_plain(unsigned char ch)
{
	return ch >= 0x21 && ch <= 0x7e && ch != '%' && ch != '/';
}

/* clus_pct - see cluster.h */
char *
clus_pct(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = xmalloc(n * 3 + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (pct_plain(*p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* clus_unpct - see cluster.h: NULL for a bad escape, %00, or a byte that should have been escaped */
char *
clus_unpct(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '%') {
			int h, l;

			if (i + 2 >= len) {
				free(out);
				return NULL;
			}
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0)) {
				free(out);
				return NULL;
			}
			*o++ = (char)(h << 4 | l);
			i += 2;
		} else if (pct_plain(ch)) {
			*o++ = (char)ch;
		} else {
			free(out);
			return NULL;
		}
	}
	*o = '\0';
	return out;
}

/* clus_item_key - see cluster.h; NULL for a level that is not cluster or group:NAME */
char *
clus_item_key(const struct clus *c, const char *level, const char *section, const char *key)
{
	char *s = clus_pct(section), *k = clus_pct(key), *out = NULL;

	if (strcmp(level, "cluster") == 0)
		out = str_printf("%scfg/cluster/%s/%s", c->prefix, s, k);
	else if (strncmp(level, "group:", 6) == 0 && cluster_name_ok(level + 6))
		out = str_printf("%scfg/group/%s/%s/%s", c->prefix, level + 6, s, k);
	free(s);
	free(k);
	return out;
}

/* clus_parse_item_key - see cluster.h */
int
clus_parse_item_key(const char *prefix, const char *k, char **level, char **section, char **key)
{
	size_t pl = strlen(prefix);
	const char *p, *slash, *slash2;
	char *lv = NULL, *s = NULL, *kk = NULL;

	*level = *section = *key = NULL;
	if (strncmp(k, prefix, pl) != 0 || strncmp(k + pl, "cfg/", 4) != 0)
		return -1;
	p = k + pl + 4;
	if (strncmp(p, "cluster/", 8) == 0) {
		lv = str_dup("cluster");
		p += 8;
	} else if (strncmp(p, "group/", 6) == 0) {
		char g[CLUSTER_NAME_MAX];

		p += 6;
		slash = strchr(p, '/');
		if (slash == NULL || (size_t)(slash - p) >= sizeof(g))
			return -1;
		memcpy(g, p, (size_t)(slash - p));
		g[slash - p] = '\0';
		if (!cluster_name_ok(g))
			return -1;
		lv = str_printf("group:%s", g);
		p = slash + 1;
	} else {
		return -1;
	}
	slash = strchr(p, '/');
	if (slash == NULL || slash == p || slash[1] == '\0')
		goto bad;
	slash2 = strchr(slash + 1, '/');
	if (slash2 != NULL)
		goto bad;
	s = clus_unpct(p, (size_t)(slash - p));
	kk = clus_unpct(slash + 1, strlen(slash + 1));
	if (s == NULL || kk == NULL)
		goto bad;
	*level = lv;
	*section = s;
	*key = kk;
	return 0;
bad:
	free(lv);
	free(s);
	free(kk);
	return -1;
}

/* ---------------------------------------------------------------- JSON */

/* jstr - a string member, at most max bytes; nullok: absent or null gives NULL */
static int
jstr(const cJSON *o, const char *name, size_t max, int nullok, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return nullok ? 0 : -1;
	if (!cJSON_IsString(v) || v->valuestring == NULL || strlen(v->valuestring) > max)
		return -1;
	*out = v->valuestring;
	return 0;
}

/* jint - an integer member (a JSON number, whole, within [0, 2^53]) */
static int
jint(const cJSON *o, const char *name, long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != (double)(long long)v->valuedouble)
		return -1;
	*out = (long long)v->valuedouble;
	return 0;
}

/* jparse - an object from an etcd value */
static cJSON *
jparse(const char *s, size_t len)
{
	const char *end = NULL;
	cJSON *j;

	if (s == NULL || len > CLUS_VALUE_MAX)
		return NULL;
	j = cJSON_ParseWithLengthOpts(s, len, &end, 0);
	if (j == NULL)
		return NULL;
	while (end != NULL && end < s + len && (*end == ' ' || *end == '\n' || *end == '\t' ||
	    *end == '\r'))
		end++;
	if (!cJSON_IsObject(j) || end == NULL || end != s + len) {
		cJSON_Delete(j);	/* not an object, or something after it */
		return NULL;
	}
	return j;
}

/* jout - print and free */
static char *
jout(cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j), *out;

	cJSON_Delete(j);
	if (s == NULL)
		abort();	/* cJSON fails only on allocation */
	out = str_dup(s);
	cJSON_free(s);
	return out;
}

static void
jadd_str(cJSON *j, const char *name, const char *v)
{
	if (v == NULL)
		cJSON_AddNullToObject(j, name);
	else if (cJSON_AddStringToObject(j, name, v) == NULL)
		abort();
}

static void
jadd_num(cJSON *j, const char *name, long long v)
{
	if (cJSON_AddNumberToObject(j, name, (double)v) == NULL)
		abort();
}

/* clus_alive_json - see cluster.h */
char *
clus_alive_json(const char *machine, const char *group, int64_t applied, const char *digest,
    long pid, time_t since)
{
	cJSON *j = cJSON_CreateObject();

	if (j == NULL)
		abort();
	jadd_str(j, "machine", machine);
	jadd_str(j, "group", group);
	jadd_num(j, "applied", (long long)applied);
	jadd_str(j, "digest", digest);
	jadd_num(j, "pid", pid);
	jadd_num(j, "since", (long long)since);
	return jout(j);
}

/* clus_primary_json - see cluster.h */
char *
clus_primary_json(const char *machine, const char *serial, time_t since)
{
	cJSON *j = cJSON_CreateObject();

	if (j == NULL)
		abort();
	jadd_str(j, "machine", machine);
	jadd_str(j, "serial", serial);
	jadd_num(j, "since", (long long)since);
	return jout(j);
}

/* clus_primary_parse - see cluster.h: machine, serial and since; pin and create_rev untouched */
int
clus_primary_parse(const char *json, struct clus_primary *p)
{
	cJSON *j = json ? jparse(json, strlen(json)) : NULL;
	const char *m, *s;
	long long since;
	int rc = -1;

	if (j == NULL)
		return -1;
	if (jstr(j, "machine", CLUSTER_NAME_MAX - 1, 0, &m) == 0 && cluster_name_ok(m) &&
	    jstr(j, "serial", sizeof(p->serial) - 1, 0, &s) == 0 && jint(j, "since", &since) == 0) {
		str_copy(p->machine, m, sizeof(p->machine));
		str_copy(p->serial, s, sizeof(p->serial));
		p->since = (time_t)since;
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

/* alive_parse - a member's alive record into m */
static int
alive_parse(const char *json, size_t len, struct clus_machine *m)
{
	cJSON *j = jparse(json, len);
	const char *d;
	long long applied, since;
	int rc = -1;

	if (j == NULL)
		return -1;
	if (jint(j, "applied", &applied) == 0 && jint(j, "since", &since) == 0 &&
	    jstr(j, "digest", sizeof(m->digest) - 1, 0, &d) == 0) {
		m->applied = applied;
		m->since = (time_t)since;
		str_copy(m->digest, d, sizeof(m->digest));
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

/* member_parse - a member record: group, serial, joined */
static int
member_parse(const char *json, size_t len, struct clus_machine *m)
{
	cJSON *j = jparse(json, len);
	const char *mach, *g, *s;
	long long joined;
	int rc = -1;

	if (j == NULL)
		return -1;
	if (jstr(j, "machine", CLUSTER_NAME_MAX - 1, 0, &mach) == 0 && cluster_name_ok(mach) &&
	    jstr(j, "group", CLUSTER_NAME_MAX - 1, 0, &g) == 0 && cluster_name_ok(g) &&
	    jstr(j, "serial", sizeof(m->serial) - 1, 0, &s) == 0 && jint(j, "joined", &joined) == 0) {
		str_copy(m->machine, mach, sizeof(m->machine));
		str_copy(m->group, g, sizeof(m->group));
		str_copy(m->serial, s, sizeof(m->serial));
		m->joined = (time_t)joined;
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

static char *
member_json(const char *machine, const char *group, const char *serial, time_t joined)
{
	cJSON *j = cJSON_CreateObject();

	if (j == NULL)
		abort();
	jadd_str(j, "machine", machine);
	jadd_str(j, "group", group);
	jadd_str(j, "serial", serial ? serial : "");
	jadd_num(j, "joined", (long long)joined);
	return jout(j);
}

/* ---------------------------------------------------------------- errors */

/* etcd_fail - map an etcd error to ours: the unreachable wording, or the cause as is */
static int
etcd_fail(const struct etcd *e, int rc, char *ecause, char **cause)
{
	if (rc == ETCD_EUNREACH) {
		/* the client's cause begins with the endpoint it tried last */
		if (ecause != NULL)
			*cause = str_printf("the cluster store (etcd) cannot be reached (%s)", ecause);
		else
			*cause = str_printf("the cluster store (etcd) cannot be reached (%s: no "
					    "answer)", etcd_endpoint(e));
		free(ecause);
		return CLUS_EUNREACH;
	}
	if (rc == ETCD_EUNKNOWN) {
		*cause = str_printf("the cluster store (etcd) did not confirm the change (%s): it "
				    "may still take effect once etcd has its quorum again",
		    ecause ? ecause : etcd_endpoint(e));
		free(ecause);
		return CLUS_EUNKNOWN;
	}
	*cause = str_printf("the cluster store (etcd): %s", ecause ? ecause : "failed");
	free(ecause);
	return -1;
}

/* commit_fail - etcd_fail, told as the outcome of a commit */
static int
commit_fail(const struct etcd *e, int rc, char *ecause, char **cause)
{
	char *why = NULL;

	rc = etcd_fail(e, rc, ecause, &why);
	if (rc == CLUS_EUNREACH)
		*cause = str_printf("%s: cluster and group commits are refused until it is back; "
				    "machine-level commits still work (clustermode machine)", why);
	else if (rc == CLUS_EUNKNOWN)
		*cause = str_printf("%s; your changes are kept: when etcd is back, see "
				    "commitdetail at this level before committing them again", why);
	else
		*cause = str_dup(why);
	free(why);
	return rc;
}

/* ---------------------------------------------------------------- open */

static void
set_prefix(char *prefix, size_t size, const char *cluster)
{
	str_fmt(prefix, size, "/mxgate/%s/", cluster);
}

/* clus_open - see cluster.h */
int
clus_open(struct store *st, struct clus **out, char **cause)
{
	struct clus *c = xcalloc(1, sizeof(*c));
	char *ec = NULL;
	int rc;

	*out = NULL;
	rc = cluster_member_get(st, &c->m, cause);
	if (rc != 0) {
		free(c);
		return rc;
	}
	if (etcd_new(c->m.endpoints, c->m.ca_pem, c->m.cert_pem, c->m.key_pem, CLUS_TIMEOUT_MS,
	    &c->etcd, &ec) < 0) {
		*cause = str_printf("cluster %s: %s", c->m.cluster, ec ? ec : "no etcd client");
		free(ec);
		cluster_member_free(&c->m);
		free(c);
		return -1;
	}
	set_prefix(c->prefix, sizeof(c->prefix), c->m.cluster);
	*out = c;
	return 0;
}

/* clus_close - see cluster.h */
void
clus_close(struct clus *c)
{
	if (c == NULL)
		return;
	etcd_free(c->etcd);
	cluster_member_free(&c->m);
	free(c);
}

/* ------------------------------------------------------- items and records */

/* Items and commit records read from etcd, owning their strings. */
struct bag {
	struct cluster_item *items;
	int nitems, capitems;
	struct cluster_commit_rec *recs;
	int nrecs, caprecs;
};

static void
bag_free(struct bag *b)
{
	for (int i = 0; i < b->nitems; i++) {
		struct cluster_item *it = &b->items[i];

		free((char *)it->level);
		free((char *)it->section);
		free((char *)it->key);
		if (it->value)
			secret_drop((char *)it->value);
	}
	for (int i = 0; i < b->nrecs; i++) {
		struct cluster_commit_rec *r = &b->recs[i];

		for (int k = 0; k < r->nchanges; k++) {
			free((char *)r->changes[k].section);
			free((char *)r->changes[k].key);
			free((char *)r->changes[k].old);
			free((char *)r->changes[k].new);
		}
		free((void *)r->changes);
		free((char *)r->level);
		free((char *)r->user);
		free((char *)r->comment);
		free((char *)r->host);
	}
	free(b->items);
	free(b->recs);
	memset(b, 0, sizeof(*b));
}

static char *
dup_or_null(const char *s)
{
	return s ? str_dup(s) : NULL;
}

/*
 * bag_item - an item key with its value (NULL: deleted) into the bag;
 * 1 if the key is not an item's, -1 (cause) if it is but cannot be read
 */
static int
bag_item(struct clus *c, struct bag *b, const struct etcd_kv *kv, int deleted, char **cause)
{
	char *lv, *s, *k, *clear = NULL;
	struct cluster_item *it;

	if (clus_parse_item_key(c->prefix, kv->key, &lv, &s, &k) < 0)
		return 1;
	if (!deleted) {
		cJSON *j = jparse(kv->value, kv->vlen);
		const char *js, *jk, *jv;

		if (j == NULL || jstr(j, "section", CLUS_TEXT_MAX, 0, &js) < 0 ||
		    jstr(j, "key", CLUS_TEXT_MAX, 0, &jk) < 0 ||
		    jstr(j, "value", CLUS_VALUE_MAX, 0, &jv) < 0 || strcmp(js, s) != 0 ||
		    strcmp(jk, k) != 0) {
			*cause = str_printf("cluster item %s %s in etcd is not a valid record", s, k);
			cJSON_Delete(j);
			free(lv);
			free(s);
			free(k);
			return -1;
		}
		if (secret_item(s, k)) {
			if (cluster_unseal(c->m.key, s, k, jv, &clear, cause) < 0) {
				cJSON_Delete(j);
				free(lv);
				free(s);
				free(k);
				return -1;
			}
		} else {
			clear = str_dup(jv);
		}
		cJSON_Delete(j);
	}
	if (b->nitems == b->capitems) {
		b->capitems = b->capitems ? b->capitems * 2 : 32;
		b->items = xrealloc(b->items, (size_t)b->capitems * sizeof(*b->items));
	}
	it = &b->items[b->nitems++];
	it->level = lv;
	it->section = s;
	it->key = k;
	it->value = clear;
	it->rev = kv->mod_rev;
	return 0;
}

/* rec_parse - a commit record's JSON (level given) into the bag */
static int
bag_rec(struct bag *b, const char *level, const struct etcd_kv *kv, char **cause)
{
	cJSON *j = jparse(kv->value, kv->vlen), *chs, *ch;
	const char *user, *comment, *host;
	long long when;
	struct cluster_commit_rec *r;
	struct cluster_rec_change *v = NULL;
	int n = 0, cap;

	if (j == NULL || jstr(j, "user", CLUS_TEXT_MAX, 0, &user) < 0 ||
	    jstr(j, "comment", CLUS_TEXT_MAX, 1, &comment) < 0 ||
	    jstr(j, "host", CLUS_TEXT_MAX, 1, &host) < 0 || jint(j, "time", &when) < 0)
		goto bad;
	chs = cJSON_GetObjectItemCaseSensitive(j, "changes");
	if (chs != NULL && !cJSON_IsArray(chs))
		goto bad;
	cap = chs ? cJSON_GetArraySize(chs) : 0;
	if (cap > CLUS_CHANGES_MAX)
		goto bad;
	if (cap > 0)
		v = xcalloc((size_t)cap, sizeof(*v));
	cJSON_ArrayForEach(ch, chs) {
		const char *s, *k, *o, *nw;

		if (!cJSON_IsObject(ch) || jstr(ch, "section", CLUS_TEXT_MAX, 0, &s) < 0 ||
		    jstr(ch, "key", CLUS_TEXT_MAX, 0, &k) < 0 ||
		    jstr(ch, "old", CLUS_VALUE_MAX, 1, &o) < 0 ||
		    jstr(ch, "new", CLUS_VALUE_MAX, 1, &nw) < 0 || n >= cap) {
			for (int i = 0; i < n; i++) {
				free((char *)v[i].section);
				free((char *)v[i].key);
				free((char *)v[i].old);
				free((char *)v[i].new);
			}
			free(v);
			goto bad;
		}
		v[n].section = str_dup(s);
		v[n].key = str_dup(k);
		v[n].old = dup_or_null(o);
		v[n].new = dup_or_null(nw);
		n++;
	}
	if (b->nrecs == b->caprecs) {
		b->caprecs = b->caprecs ? b->caprecs * 2 : 8;
		b->recs = xrealloc(b->recs, (size_t)b->caprecs * sizeof(*b->recs));
	}
	r = &b->recs[b->nrecs++];
	memset(r, 0, sizeof(*r));
	r->level = str_dup(level);
	r->rev = kv->mod_rev;
	r->when = (time_t)when;
	r->user = str_dup(user);
	r->comment = str_dup(comment ? comment : "");
	r->host = str_dup(host ? host : "");
	r->changes = v;
	r->nchanges = n;
	cJSON_Delete(j);
	return 0;
bad:
	cJSON_Delete(j);
	*cause = str_printf("the commit record of the %s level in etcd is not valid", level);
	return -1;
}

/* rec_level - the level of a commit record key (P commit/...), or NULL */
static char *
rec_level(const struct clus *c, const char *key)
{
	size_t pl = strlen(c->prefix);
	const char *p;

	if (strncmp(key, c->prefix, pl) != 0 || strncmp(key + pl, "commit/", 7) != 0)
		return NULL;
	p = key + pl + 7;
	if (strcmp(p, "cluster") == 0)
		return str_dup("cluster");
	if (strncmp(p, "group/", 6) == 0 && cluster_name_ok(p + 6))
		return str_printf("group:%s", p + 6);
	return NULL;
}

/* is_member_key - is key P members/<this machine> ? */
static int
is_member_key(const struct clus *c, const char *key)
{
	size_t pl = strlen(c->prefix);

	return strncmp(key, c->prefix, pl) == 0 && strncmp(key + pl, "members/", 8) == 0 &&
	    strcmp(key + pl + 8, c->m.machine) == 0;
}

/* take - one key-value of P into the bag; *group set from this member's record */
static int
take(struct clus *c, struct bag *b, const struct etcd_kv *kv, int deleted, char *group,
    size_t gsize, int *member_gone, char **cause)
{
	char *lv;
	int rc;

	rc = bag_item(c, b, kv, deleted, cause);
	if (rc <= 0)
		return rc;
	if ((lv = rec_level(c, kv->key)) != NULL) {
		rc = deleted ? 0 : bag_rec(b, lv, kv, cause);
		free(lv);
		return rc;
	}
	if (is_member_key(c, kv->key)) {
		struct clus_machine m = { 0 };

		if (deleted) {
			if (member_gone)
				*member_gone = 1;
		} else if (member_parse(kv->value, kv->vlen, &m) == 0) {
			str_copy(group, m.group, gsize);
		}
	}
	return 0;
}

/* follow_group - this machine's group changed in etcd: recompute here first */
static int
follow_group(struct clus *c, struct store *st, const char *group, int64_t *main_commit,
    char **cause)
{
	if (strcmp(group, c->m.group) == 0)
		return 0;
	if (cluster_group_set(st, group, "cluster", main_commit, cause) < 0)
		return -1;
	str_copy(c->m.group, group, sizeof(c->m.group));
	return 0;
}

/* clus_sync_count - see cluster.h */
int
clus_sync_count(struct clus *c, struct store *st, int64_t *rev, int *nitems, char **cause)
{
	struct etcd_range r = { 0 };
	struct bag b = { 0 };
	char group[CLUSTER_NAME_MAX], *ec = NULL;
	int64_t mc = 0;
	int rc;

	rc = etcd_get(c->etcd, c->prefix, 1, 0, 0, &r, &ec);
	if (rc < 0)
		return etcd_fail(c->etcd, rc, ec, cause);
	str_copy(group, c->m.group, sizeof(group));
	for (int i = 0; i < r.n; i++)
		if (take(c, &b, &r.kvs[i], 0, group, sizeof(group), NULL, cause) < 0) {
			bag_free(&b);
			etcd_range_free(&r);
			return -1;
		}
	rc = follow_group(c, st, group, &mc, cause);
	if (rc == 0)
		rc = cluster_snapshot(st, r.revision, b.items, b.nitems, b.recs, b.nrecs,
		    c->m.group, &mc, cause);
	if (rc == 0) {
		if (rev)
			*rev = r.revision;
		if (nitems)
			*nitems = b.nitems;
	}
	bag_free(&b);
	etcd_range_free(&r);
	return rc < 0 ? -1 : 0;
}

/* clus_sync - see cluster.h */
int
clus_sync(struct clus *c, struct store *st, int64_t *rev, char **cause)
{
	return clus_sync_count(c, st, rev, NULL, cause);
}

/* clus_apply_events - see cluster.h */
int
clus_apply_events(struct clus *c, struct store *st, int64_t revision, const struct etcd_event *ev,
    int n, int64_t *main_commit, char **cause)
{
	struct bag b = { 0 };
	char group[CLUSTER_NAME_MAX];
	int gone = 0, rc;
	int64_t mc = 0;

	if (main_commit)
		*main_commit = 0;
	str_copy(group, c->m.group, sizeof(group));
	for (int i = 0; i < n; i++)
		if (take(c, &b, &ev[i].kv, ev[i].type == ETCD_EV_DELETE, group, sizeof(group), &gone,
		    cause) < 0) {
			bag_free(&b);
			return -1;
		}
	rc = follow_group(c, st, group, &mc, cause);
	if (rc == 0 && mc > 0 && main_commit)
		*main_commit = mc;
	/*
	 * only revisions carrying items or records are applied: the alive
	 * keys' puts (every machine, every few seconds) would otherwise move
	 * the applied revision, which the alive key carries, forever
	 */
	if (rc == 0 && (b.nitems > 0 || b.nrecs > 0)) {
		rc = cluster_apply(st, revision, b.items, b.nitems, b.recs, b.nrecs, c->m.group, &mc,
		    cause);
		if (rc == 0 && mc > 0 && main_commit)
			*main_commit = mc;
	}
	bag_free(&b);
	if (rc < 0)
		return -1;
	return gone ? 1 : 0;
}

/* ---------------------------------------------------------------- commit */

/* item_json - an item's etcd value (a secret sealed with the cluster key) */
static int
item_json(const unsigned char key[CLUSTER_KEY_LEN], const char *section, const char *k,
    const char *value, char **out, char **cause)
{
	cJSON *j;
	char *sealed = NULL;

	if (secret_item(section, k)) {
		if (cluster_seal(key, section, k, value, &sealed, cause) < 0)
			return -1;
		value = sealed;
	}
	j = cJSON_CreateObject();
	if (j == NULL)
		abort();
	jadd_str(j, "section", section);
	jadd_str(j, "key", k);
	jadd_str(j, "value", value);
	free(sealed);
	*out = jout(j);
	return 0;
}

/* A commit record being built. */
struct recb {
	cJSON *j, *changes;
};

static void
recb_init(struct recb *r, const char *user, const char *comment, const char *host)
{
	r->j = cJSON_CreateObject();
	if (r->j == NULL)
		abort();
	jadd_str(r->j, "user", user ? user : "");
	jadd_str(r->j, "comment", comment ? comment : "");
	jadd_str(r->j, "host", host);
	jadd_num(r->j, "time", (long long)time(NULL));
	r->changes = cJSON_AddArrayToObject(r->j, "changes");
	if (r->changes == NULL)
		abort();
}

static void
recb_add(struct recb *r, const char *section, const char *key, const char *old, const char *nw)
{
	cJSON *c = cJSON_CreateObject();
	int sec = secret_item(section, key);

	if (c == NULL)
		abort();
	jadd_str(c, "section", section);
	jadd_str(c, "key", key);
	jadd_str(c, "old", old && sec ? "changed" : old);
	jadd_str(c, "new", nw && sec ? "changed" : nw);
	cJSON_AddItemToArray(r->changes, c);
}

/* rec_key - P commit/cluster or P commit/group/G */
static char *
rec_key(const struct clus *c, const char *level)
{
	if (strcmp(level, "cluster") == 0)
		return clus_key(c, "commit/cluster");
	if (strncmp(level, "group:", 6) == 0 && cluster_name_ok(level + 6))
		return str_printf("%scommit/group/%s", c->prefix, level + 6);
	return NULL;
}

/* conflict - the first item whose mod_revision is no longer its base */
static int
conflict(struct clus *c, const struct cluster_change *ch, char **keys, int n, char **cause)
{
	for (int i = 0; i < n; i++) {
		struct etcd_range r = { 0 };
		char *ec = NULL;
		int64_t now;
		int rc = etcd_get(c->etcd, keys[i], 0, 0, 1, &r, &ec);

		if (rc < 0)
			return etcd_fail(c->etcd, rc, ec, cause);
		now = r.n > 0 ? r.kvs[0].mod_rev : 0;
		etcd_range_free(&r);
		if (now != ch[i].base_rev && now == 0) {
			*cause = str_printf("%s %s was deleted on the cluster since you began editing "
					    "it; your changes are kept: review them with showchanges, "
					    "then clear and redo them", ch[i].section, ch[i].key);
			return CLUS_ECONFLICT;
		}
		if (now != ch[i].base_rev) {
			*cause = str_printf("%s %s was changed on the cluster (revision %lld) since you "
					    "began editing it; your changes are kept: review them with "
					    "showchanges, then clear and redo them", ch[i].section, ch[i].key,
			    (long long)now);
			return CLUS_ECONFLICT;
		}
	}
	*cause = str_dup("the commit lost to another one made at the same time; your changes are "
			 "kept: review them with showchanges, then clear and redo them");
	return CLUS_ECONFLICT;
}

/* clus_commit - see cluster.h */
int
clus_commit(struct clus *c, struct store *st, const char *user, const char *comment,
    int64_t *rev, char **cause)
{
	const char *level = cluster_session_current(st);
	struct cluster_change *ch = NULL;
	struct etcd_cmp *cmp = NULL;
	struct etcd_op *ops = NULL;
	struct etcd_txn_result res = { 0 };
	char **keys = NULL, **vals = NULL, *rk = NULL, *recv = NULL, *ec = NULL, *gk = NULL;
	struct recb rb;
	int n = 0, rc = -1, nops = 0, ncmp = 0;

	if (strcmp(level, "cluster") != 0 && strncmp(level, "group:", 6) != 0) {
		*cause = str_dup("a commit to the cluster is made at the cluster or a group level");
		return -1;
	}
	if (cluster_check_effective(st, confcheck_commit, NULL, cause) < 0)
		return -1;
	if (cluster_candidate(st, &ch, &n, cause) < 0)
		return -1;
	if (n == 0) {
		*cause = str_dup("there are no changes to commit");
		cluster_changes_free(ch, n);
		return -1;
	}
	if (n + 1 > CLUS_TXN_OPS) {
		*cause = str_printf("one commit to the cluster changes at most %d items (%d staged)",
		    CLUS_TXN_OPS - 1, n);
		cluster_changes_free(ch, n);
		return -1;
	}
	rk = rec_key(c, level);
	keys = xcalloc((size_t)n, sizeof(*keys));
	vals = xcalloc((size_t)n, sizeof(*vals));
	cmp = xcalloc((size_t)n + 1, sizeof(*cmp));
	ncmp = n;
	/* a group's items only while the group exists: removed meanwhile, they would be orphans */
	if (strncmp(level, "group:", 6) == 0) {
		struct etcd_range g = { 0 };

		gk = str_printf("%sgroups/%s", c->prefix, level + 6);
		rc = etcd_get(c->etcd, gk, 0, 0, 1, &g, &ec);
		if (rc < 0) {
			rc = commit_fail(c->etcd, rc, ec, cause);
			goto out;
		}
		rc = -1;
		if (g.n == 0) {
			etcd_range_free(&g);
			*cause = str_printf("group %s no longer exists in the cluster", level + 6);
			goto out;
		}
		cmp[n] = (struct etcd_cmp){ .key = gk, .target = ETCD_CMP_MOD,
		    .rev = g.kvs[0].mod_rev };
		ncmp = n + 1;
		etcd_range_free(&g);
	}
	ops = xcalloc((size_t)n + 1, sizeof(*ops));
	recb_init(&rb, user, comment, c->m.machine);
	for (int i = 0; i < n; i++) {
		keys[i] = clus_item_key(c, level, ch[i].section, ch[i].key);
		if (keys[i] == NULL || rk == NULL) {
			*cause = str_printf("level %s is not a cluster level", level);
			cJSON_Delete(rb.j);
			goto out;
		}
		cmp[i].key = keys[i];
		cmp[i].target = ETCD_CMP_MOD;
		cmp[i].rev = ch[i].base_rev;
		ops[nops].key = keys[i];
		if (ch[i].value == NULL) {
			ops[nops].kind = ETCD_OP_DELETE;
		} else {
			if (item_json(c->m.key, ch[i].section, ch[i].key, ch[i].value, &vals[i],
			    cause) < 0) {
				cJSON_Delete(rb.j);
				goto out;
			}
			ops[nops].kind = ETCD_OP_PUT;
			ops[nops].value = vals[i];
		}
		nops++;
		recb_add(&rb, ch[i].section, ch[i].key, ch[i].old, ch[i].value);
	}
	recv = jout(rb.j);
	ops[nops].kind = ETCD_OP_PUT;
	ops[nops].key = rk;
	ops[nops].value = recv;
	nops++;
	rc = etcd_txn(c->etcd, cmp, ncmp, ops, nops, NULL, 0, &res, &ec);
	if (rc < 0) {
		rc = commit_fail(c->etcd, rc, ec, cause);
		goto out;
	}
	if (!res.succeeded) {
		rc = conflict(c, ch, keys, n, cause);
		goto out;
	}
	if (rev)
		*rev = res.revision;
	rc = 0;
	if (config_clear(st, cause) < 0)
		rc = -1;	/* etcd took it; the candidate stays: the caller says so */
out:
	etcd_txn_result_free(&res);
	for (int i = 0; i < n; i++) {
		free(keys[i]);
		if (vals[i])
			secret_drop(vals[i]);
	}
	free(keys);
	free(vals);
	free(cmp);
	free(ops);
	free(rk);
	free(gk);
	free(recv);
	cluster_changes_free(ch, n);
	return rc;
}

/* ------------------------------------------------------------ create, join */

/* b64 - base64 of n bytes (malloc'd) */
static char *
b64(const unsigned char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* key_decode - the cluster key from its base64 (exactly 32 bytes) */
static int
key_decode(const char *s, unsigned char key[CLUSTER_KEY_LEN])
{
	unsigned char raw[64];
	size_t n = s ? strlen(s) : 0;
	int dec;

	if (n != 44 || s[43] != '=' || s[42] == '=')
		return -1;
	for (size_t i = 0; i < 43; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/')
			return -1;
	dec = EVP_DecodeBlock(raw, (const unsigned char *)s, (int)n);
	if (dec != 33)
		return -1;
	memcpy(key, raw, CLUSTER_KEY_LEN);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/* params_ok - names and endpoints */
static int
params_ok(const struct clus_params *p, const char *group, char **cause)
{
	if (p->cluster == NULL || !cluster_name_ok(p->cluster)) {
		*cause = str_printf("'%.64s' is not a valid cluster name (letters, digits, '.', '_', "
				    "'-'; at most 63)", p->cluster ? p->cluster : "");
		return -1;
	}
	if (p->machine == NULL || !cluster_name_ok(p->machine)) {
		*cause = str_printf("'%.64s' is not a valid machine name (letters, digits, '.', '_', "
				    "'-'; at most 63)", p->machine ? p->machine : "");
		return -1;
	}
	if (!cluster_name_ok(group)) {
		*cause = str_printf("'%.64s' is not a valid group name (letters, digits, '.', '_', "
				    "'-'; at most 63)", group);
		return -1;
	}
	if (p->endpoints == NULL || *p->endpoints == '\0' ||
	    strlen(p->endpoints) >= sizeof(((struct cluster_member *)0)->endpoints)) {
		*cause = str_dup("the etcd endpoints are missing or too long");
		return -1;
	}
	return 0;
}

/* member_fill - the membership record of this machine from p */
static void
member_fill(struct cluster_member *m, const struct clus_params *p, const char *group)
{
	memset(m, 0, sizeof(*m));
	str_copy(m->cluster, p->cluster, sizeof(m->cluster));
	str_copy(m->machine, p->machine, sizeof(m->machine));
	str_copy(m->group, group, sizeof(m->group));
	str_copy(m->endpoints, p->endpoints, sizeof(m->endpoints));
	m->ca_pem = str_dup(p->ca_pem ? p->ca_pem : "");
	m->cert_pem = str_dup(p->cert_pem ? p->cert_pem : "");
	m->key_pem = str_dup(p->key_pem ? p->key_pem : "");
	m->joined = time(NULL);
}

/*
 * settle - the machine marks, the membership here, a first snapshot. The
 * marks go first: once the membership is recorded mxgated's follower may
 * take a snapshot at any moment, and an unmarked listener or host name
 * (no level has them) would be deleted by it. On failure nothing of it
 * stays here (this machine was in no cluster before).
 */
static int
settle(struct store *st, const struct cluster_member *m, char **cause)
{
	struct clus *c = NULL;
	char *c2 = NULL;
	int rc;

	if (cluster_mark_local(st, cause) < 0)
		goto undo;
	if (cluster_member_set(st, m, cause) < 0)
		goto undo;
	rc = clus_open(st, &c, cause);
	if (rc != 0) {
		if (rc == 1)
			*cause = str_dup("the membership was not recorded");
		goto undo;
	}
	/*
	 * the membership is recorded here and in etcd: a snapshot that
	 * fails now is not the join's failure (a retry would find the name
	 * taken); mxgated's follower, or the next cluster commit, reads it
	 */
	if (clus_sync(c, st, NULL, &c2) < 0)
		free(c2);
	clus_close(c);
	return 0;
undo:
	if (cluster_leave(st, &c2) < 0)
		free(c2);
	return -1;
}

/* undo_put - remove key from etcd if it is still as we put it at rev (prefix: all under it) */
static void
undo_put(struct etcd *e, const char *cmpkey, enum etcd_cmp_target target, int64_t rev,
    const char *key, int prefix)
{
	struct etcd_cmp cmp = { .key = cmpkey, .target = target, .rev = rev };
	struct etcd_op op = { .kind = ETCD_OP_DELETE, .key = key, .prefix = prefix };
	struct etcd_txn_result res = { 0 };
	char *ec = NULL;

	if (etcd_txn(e, &cmp, 1, &op, 1, NULL, 0, &res, &ec) < 0)
		free(ec);
	etcd_txn_result_free(&res);
}

/* An exported item. */
struct exp {
	char **s, **k, **v;
	int n, cap;
};

static int
export_cb(const char *section, const char *key, const char *value, void *arg)
{
	struct exp *x = arg;

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->s = xrealloc(x->s, (size_t)x->cap * sizeof(*x->s));
		x->k = xrealloc(x->k, (size_t)x->cap * sizeof(*x->k));
		x->v = xrealloc(x->v, (size_t)x->cap * sizeof(*x->v));
	}
	x->s[x->n] = str_dup(section);
	x->k[x->n] = str_dup(key);
	x->v[x->n] = str_dup(value ? value : "");
	x->n++;
	return 0;
}

static void
exp_free(struct exp *x)
{
	for (int i = 0; i < x->n; i++) {
		free(x->s[i]);
		free(x->k[i]);
		secret_drop(x->v[i]);
	}
	free(x->s);
	free(x->k);
	free(x->v);
}

/* clus_create - see cluster.h */
int
clus_create(struct store *st, const struct clus_params *p, const char *user, char **key_b64,
    char **cause)
{
	const char *group = p->group && *p->group ? p->group : CLUS_MAIN_GROUP;
	struct cluster_member m;
	struct clus cl = { 0 };
	struct etcd_range r = { 0 };
	struct exp x = { 0 };
	struct etcd_cmp cmp;
	struct etcd_op *ops = NULL;
	char **vals = NULL, *meta = NULL, *metak = NULL, *gk = NULL, *gv = NULL, *mk = NULL,
	    *mv = NULL, *rk = NULL, *rv = NULL, *keycheck = NULL, *ec = NULL;
	int rc = -1, nops, wrote = 0;
	int64_t made = 0;
	struct recb rb;
	time_t now = time(NULL);

	*key_b64 = NULL;
	if (params_ok(p, group, cause) < 0)
		return -1;
	{
		char *c0 = NULL;
		int r0 = cluster_member_get(st, &m, &c0);

		if (r0 == 0) {
			*cause = str_printf("this machine is already in cluster %s", m.cluster);
			cluster_member_free(&m);
			return -1;
		}
		if (r0 < 0) {
			*cause = c0;
			return -1;
		}
		free(c0);
	}
	member_fill(&m, p, group);
	if (RAND_bytes(m.key, sizeof(m.key)) != 1) {
		*cause = str_dup("cannot make the cluster key: no random bytes");
		cluster_member_free(&m);
		return -1;
	}
	cl.m = m;
	set_prefix(cl.prefix, sizeof(cl.prefix), m.cluster);
	if (etcd_new(m.endpoints, m.ca_pem, m.cert_pem, m.key_pem, CLUS_TIMEOUT_MS, &cl.etcd,
	    &ec) < 0) {
		*cause = str_printf("cluster %s: %s", m.cluster, ec ? ec : "no etcd client");
		free(ec);
		cluster_member_free(&m);
		return -1;
	}
	metak = clus_key(&cl, "meta");
	rc = etcd_get(cl.etcd, metak, 0, 0, 1, &r, &ec);
	if (rc < 0) {
		rc = etcd_fail(cl.etcd, rc, ec, cause);
		goto out;
	}
	if (r.n > 0) {
		*cause = str_printf("cluster %s already exists in etcd", m.cluster);
		rc = -1;
		goto out;
	}
	rc = -1;
	/* what a failed or killed earlier attempt left under P (no meta: no cluster) goes */
	undo_put(cl.etcd, metak, ETCD_CMP_CREATE, 0, cl.prefix, 1);
	if (cluster_seal(m.key, "cluster", "keycheck", CLUS_KEYCHECK, &keycheck, cause) < 0)
		goto out;
	{
		cJSON *j = cJSON_CreateObject();

		if (j == NULL)
			abort();
		jadd_str(j, "name", m.cluster);
		jadd_num(j, "created", (long long)now);
		jadd_str(j, "by", user ? user : "");
		jadd_str(j, "keycheck", keycheck);
		meta = jout(j);
	}
	if (cluster_export(st, export_cb, &x, cause) < 0)
		goto out;
	gk = str_printf("%sgroups/%s", cl.prefix, group);
	gv = str_printf("{\"created\":%lld}", (long long)now);
	mk = str_printf("%smembers/%s", cl.prefix, m.machine);
	mv = member_json(m.machine, group, p->serial, now);
	rk = clus_key(&cl, "commit/cluster");
	{
		char *cm = str_printf("cluster created from %s", m.machine);

		recb_init(&rb, user, cm, m.machine);
		free(cm);
	}
	vals = xcalloc((size_t)x.n + 1, sizeof(*vals));
	ops = xcalloc((size_t)x.n + 4, sizeof(*ops));
	for (int i = 0; i < x.n; i++) {
		if (item_json(m.key, x.s[i], x.k[i], x.v[i], &vals[i], cause) < 0) {
			cJSON_Delete(rb.j);
			goto out;
		}
		recb_add(&rb, x.s[i], x.k[i], NULL, x.v[i]);
	}
	rv = jout(rb.j);
	cmp.key = metak;
	cmp.target = ETCD_CMP_CREATE;
	cmp.rev = 0;
	cmp.value = NULL;
	/*
	 * etcd takes at most 128 ops in a transaction (--max-txn-ops): the
	 * items go first in batches, each only while meta is absent; the
	 * last one makes meta, the group, the member and the record
	 */
	nops = 0;
	for (int i = 0; i < x.n; i++) {
		struct etcd_txn_result res = { 0 };
		char *k = clus_item_key(&cl, "cluster", x.s[i], x.k[i]);

		ops[nops].kind = ETCD_OP_PUT;
		ops[nops].key = k;
		ops[nops].value = vals[i];
		nops++;
		if (nops < CLUS_TXN_OPS - 4 && i + 1 < x.n)
			continue;
		if (i + 1 == x.n && nops <= CLUS_TXN_OPS - 4)
			break;	/* the last batch goes with meta */
		rc = etcd_txn(cl.etcd, &cmp, 1, ops, nops, NULL, 0, &res, &ec);
		for (int o = 0; o < nops; o++)
			free((char *)ops[o].key);
		nops = 0;
		if (rc < 0) {
			rc = etcd_fail(cl.etcd, rc, ec, cause);
			goto out;
		}
		if (!res.succeeded) {
			etcd_txn_result_free(&res);
			*cause = str_printf("cluster %s already exists in etcd", m.cluster);
			rc = -1;
			goto out;
		}
		etcd_txn_result_free(&res);
		wrote = 1;
		rc = -1;
	}
	{
		struct etcd_txn_result res = { 0 };
		int base = nops;

		ops[nops++] = (struct etcd_op){ .kind = ETCD_OP_PUT, .key = metak, .value = meta };
		ops[nops++] = (struct etcd_op){ .kind = ETCD_OP_PUT, .key = gk, .value = gv };
		ops[nops++] = (struct etcd_op){ .kind = ETCD_OP_PUT, .key = mk, .value = mv };
		ops[nops++] = (struct etcd_op){ .kind = ETCD_OP_PUT, .key = rk, .value = rv };
		rc = etcd_txn(cl.etcd, &cmp, 1, ops, nops, NULL, 0, &res, &ec);
		for (int o = 0; o < base; o++)
			free((char *)ops[o].key);
		nops = 0;
		if (rc < 0) {
			rc = etcd_fail(cl.etcd, rc, ec, cause);
			goto out;
		}
		rc = res.succeeded ? 0 : -1;
		if (rc == 0)
			made = res.revision;
		etcd_txn_result_free(&res);
		if (rc < 0) {
			*cause = str_printf("cluster %s already exists in etcd", m.cluster);
			goto out;
		}
	}
	rc = settle(st, &m, cause);
	if (rc == 0)
		*key_b64 = b64(m.key, sizeof(m.key));
out:
	/*
	 * a cluster nobody can use (its key was never shown) or half of one
	 * must not stay in etcd: a retry would find the name taken, or a
	 * later create would inherit items exported now
	 */
	if (rc < 0 && made > 0)
		undo_put(cl.etcd, metak, ETCD_CMP_MOD, made, cl.prefix, 1);
	else if (rc < 0 && wrote)
		undo_put(cl.etcd, metak, ETCD_CMP_CREATE, 0, cl.prefix, 1);
	for (int o = 0; o < nops; o++)
		free((char *)ops[o].key);
	etcd_range_free(&r);
	if (vals)
		for (int i = 0; i < x.n; i++)
			if (vals[i])
				secret_drop(vals[i]);
	free(vals);
	free(ops);
	exp_free(&x);
	free(meta);
	free(metak);
	free(gk);
	free(gv);
	free(mk);
	free(mv);
	free(rk);
	free(rv);
	free(keycheck);
	etcd_free(cl.etcd);
	cluster_member_free(&m);
	return rc;
}

/* clus_join - see cluster.h */
int
clus_join(struct store *st, const struct clus_params *p, const char *user, char **cause)
{
	const char *group = p->group && *p->group ? p->group : CLUS_MAIN_GROUP;
	struct cluster_member m;
	struct clus cl = { 0 };
	struct etcd_range r = { 0 };
	struct etcd_txn_result res = { 0 };
	struct etcd_cmp cmp = { 0 };
	struct etcd_op op = { 0 };
	char *metak = NULL, *gk = NULL, *mk = NULL, *mv = NULL, *ec = NULL, *clear = NULL;
	int rc = -1;

	(void)user;
	if (params_ok(p, group, cause) < 0)
		return -1;
	{
		char *c0 = NULL;
		int r0 = cluster_member_get(st, &m, &c0);

		if (r0 == 0) {
			*cause = str_printf("this machine is already in cluster %s", m.cluster);
			cluster_member_free(&m);
			return -1;
		}
		if (r0 < 0) {
			*cause = c0;
			return -1;
		}
		free(c0);
	}
	member_fill(&m, p, group);
	if (key_decode(p->key_b64, m.key) < 0) {
		*cause = str_printf("the cluster key does not match cluster %s", m.cluster);
		cluster_member_free(&m);
		return -1;
	}
	cl.m = m;
	set_prefix(cl.prefix, sizeof(cl.prefix), m.cluster);
	if (etcd_new(m.endpoints, m.ca_pem, m.cert_pem, m.key_pem, CLUS_TIMEOUT_MS, &cl.etcd,
	    &ec) < 0) {
		*cause = str_printf("cluster %s: %s", m.cluster, ec ? ec : "no etcd client");
		free(ec);
		cluster_member_free(&m);
		return -1;
	}
	metak = clus_key(&cl, "meta");
	gk = str_printf("%sgroups/%s", cl.prefix, group);
	mk = str_printf("%smembers/%s", cl.prefix, m.machine);
	rc = etcd_get(cl.etcd, metak, 0, 0, 1, &r, &ec);
	if (rc < 0) {
		rc = etcd_fail(cl.etcd, rc, ec, cause);
		goto out;
	}
	rc = -1;
	if (r.n == 0) {
		*cause = str_printf("cluster %s does not exist in etcd", m.cluster);
		goto out;
	}
	{
		cJSON *j = jparse(r.kvs[0].value, r.kvs[0].vlen);
		const char *kc;
		char *c2 = NULL;

		if (j == NULL || jstr(j, "keycheck", CLUS_TEXT_MAX, 0, &kc) < 0) {
			cJSON_Delete(j);
			*cause = str_printf("the record of cluster %s in etcd is not valid", m.cluster);
			goto out;
		}
		if (cluster_unseal(m.key, "cluster", "keycheck", kc, &clear, &c2) < 0 ||
		    strcmp(clear, CLUS_KEYCHECK) != 0) {
			free(c2);
			cJSON_Delete(j);
			*cause = str_printf("the cluster key does not match cluster %s", m.cluster);
			goto out;
		}
		cJSON_Delete(j);
	}
	etcd_range_free(&r);
	rc = etcd_get(cl.etcd, gk, 0, 0, 1, &r, &ec);
	if (rc < 0) {
		rc = etcd_fail(cl.etcd, rc, ec, cause);
		goto out;
	}
	rc = -1;
	if (r.n == 0) {
		*cause = str_printf("group %s does not exist in cluster %s", group, m.cluster);
		goto out;
	}
	etcd_range_free(&r);
	rc = etcd_get(cl.etcd, mk, 0, 0, 1, &r, &ec);
	if (rc < 0) {
		rc = etcd_fail(cl.etcd, rc, ec, cause);
		goto out;
	}
	rc = -1;
	cmp.key = mk;
	cmp.target = ETCD_CMP_CREATE;
	cmp.rev = 0;
	if (r.n > 0) {
		struct clus_machine old = { 0 };

		/* a rejoin: the same machine (serial) may take its name back */
		if (member_parse(r.kvs[0].value, r.kvs[0].vlen, &old) < 0 || p->serial == NULL ||
		    *p->serial == '\0' || strcmp(old.serial, p->serial) != 0) {
			*cause = str_printf("machine name %s is already taken in cluster %s", m.machine,
			    m.cluster);
			goto out;
		}
		cmp.target = ETCD_CMP_MOD;
		cmp.rev = r.kvs[0].mod_rev;
	}
	mv = member_json(m.machine, group, p->serial, m.joined);
	op.kind = ETCD_OP_PUT;
	op.key = mk;
	op.value = mv;
	rc = etcd_txn(cl.etcd, &cmp, 1, &op, 1, NULL, 0, &res, &ec);
	if (rc < 0) {
		rc = etcd_fail(cl.etcd, rc, ec, cause);
		goto out;
	}
	if (!res.succeeded) {
		*cause = str_printf("machine name %s is already taken in cluster %s", m.machine,
		    m.cluster);
		rc = -1;
		goto out;
	}
	rc = settle(st, &m, cause);
	/* not a member here: the record made for it goes (unless changed since) */
	if (rc < 0)
		undo_put(cl.etcd, mk, ETCD_CMP_MOD, res.revision, mk, 0);
out:
	if (clear)
		secret_drop(clear);
	etcd_txn_result_free(&res);
	etcd_range_free(&r);
	free(metak);
	free(gk);
	free(mk);
	free(mv);
	etcd_free(cl.etcd);
	cluster_member_free(&m);
	return rc;
}

/* clus_leave - see cluster.h */
int
clus_leave(struct store *st, char **warning, char **cause)
{
	struct clus *c = NULL;
	struct clus_primary pr = { 0 };
	char *mk, *ak, *pk, *ec = NULL;
	int rc;

	*warning = NULL;
	rc = clus_open(st, &c, cause);
	if (rc == 1) {
		*cause = str_dup("This machine is not in a cluster.");
		return -1;
	}
	if (rc < 0)
		return -1;
	/*
	 * here first: a leave that fails here changes nothing in etcd (else
	 * the member record would be gone while this machine still follows)
	 */
	if (cluster_leave(st, cause) < 0) {
		clus_close(c);
		return -1;
	}
	mk = str_printf("%smembers/%s", c->prefix, c->m.machine);
	ak = str_printf("%salive/%s", c->prefix, c->m.machine);
	pk = clus_key(c, "primary");
	rc = etcd_delete(c->etcd, mk, 0, NULL, NULL, &ec);
	if (rc == 0)
		rc = etcd_delete(c->etcd, ak, 0, NULL, NULL, &ec);
	if (rc == 0 && clus_primary_get(c, &pr, &ec) == 0 && strcmp(pr.machine, c->m.machine) == 0) {
		/* only the term it holds: a new holder's key stays */
		struct etcd_cmp cmp = { .key = pk, .target = ETCD_CMP_CREATE, .rev = pr.create_rev };
		struct etcd_op op = { .kind = ETCD_OP_DELETE, .key = pk };
		struct etcd_txn_result res = { 0 };

		rc = etcd_txn(c->etcd, &cmp, 1, &op, 1, NULL, 0, &res, &ec);
		etcd_txn_result_free(&res);
	}
	if (rc < 0 || ec != NULL) {
		*warning = str_printf("the cluster store (etcd) could not be told (%s: %s): this "
				      "machine's member record stays there until it is removed",
		    etcd_endpoint(c->etcd), ec ? ec : "failed");
		free(ec);
	}
	free(mk);
	free(ak);
	free(pk);
	clus_close(c);
	return 0;
}

/* ------------------------------------------------------- members, groups */

/* clus_machines - see cluster.h */
int
clus_machines(struct clus *c, struct clus_machine **out, int *n, int64_t *rev, char **cause)
{
	struct etcd_range r = { 0 }, a = { 0 };
	char *mk = clus_key(c, "members/"), *ak = clus_key(c, "alive/"), *ec = NULL;
	struct clus_machine *v = NULL;
	int rc, k = 0;

	*out = NULL;
	*n = 0;
	rc = etcd_get(c->etcd, mk, 1, 0, 0, &r, &ec);
	if (rc == 0)
		rc = etcd_get(c->etcd, ak, 1, r.revision, 0, &a, &ec);
	if (rc < 0) {
		rc = etcd_fail(c->etcd, rc, ec, cause);
		goto out;
	}
	if (r.n > 0)
		v = xcalloc((size_t)r.n, sizeof(*v));
	for (int i = 0; i < r.n; i++) {
		if (member_parse(r.kvs[i].value, r.kvs[i].vlen, &v[k]) < 0)
			continue;
		for (int j = 0; j < a.n; j++) {
			const char *name = a.kvs[j].key + strlen(ak);

			if (strcmp(name, v[k].machine) == 0 &&
			    alive_parse(a.kvs[j].value, a.kvs[j].vlen, &v[k]) == 0)
				v[k].alive = 1;
		}
		k++;
	}
	*out = v;
	*n = k;
	if (rev)
		*rev = r.revision;
	rc = 0;
out:
	etcd_range_free(&r);
	etcd_range_free(&a);
	free(mk);
	free(ak);
	return rc;
}

/* clus_groups - see cluster.h */
int
clus_groups(struct clus *c, char ***names, int *n, char **cause)
{
	struct etcd_range r = { 0 };
	char *gk = clus_key(c, "groups/"), *ec = NULL, **v;
	size_t gl = strlen(gk);
	int rc, k = 0;

	*names = NULL;
	*n = 0;
	rc = etcd_get(c->etcd, gk, 1, 0, 0, &r, &ec);
	if (rc < 0) {
		free(gk);
		return etcd_fail(c->etcd, rc, ec, cause);
	}
	v = xcalloc((size_t)r.n + 1, sizeof(*v));
	for (int i = 0; i < r.n; i++)
		if (cluster_name_ok(r.kvs[i].key + gl))
			v[k++] = str_dup(r.kvs[i].key + gl);
	*names = v;
	*n = k;
	etcd_range_free(&r);
	free(gk);
	return 0;
}

/* clus_group_add - see cluster.h */
int
clus_group_add(struct clus *c, const char *group, char **cause)
{
	struct etcd_cmp cmp = { 0 };
	struct etcd_op op = { 0 };
	struct etcd_txn_result res = { 0 };
	char *gk, *gv, *ec = NULL;
	int rc;

	if (!cluster_name_ok(group)) {
		*cause = str_printf("'%.64s' is not a valid group name", group);
		return -1;
	}
	gk = str_printf("%sgroups/%s", c->prefix, group);
	gv = str_printf("{\"created\":%lld}", (long long)time(NULL));
	cmp.key = gk;
	cmp.target = ETCD_CMP_CREATE;
	op.kind = ETCD_OP_PUT;
	op.key = gk;
	op.value = gv;
	rc = etcd_txn(c->etcd, &cmp, 1, &op, 1, NULL, 0, &res, &ec);
	if (rc < 0)
		rc = etcd_fail(c->etcd, rc, ec, cause);
	else if (!res.succeeded) {
		*cause = str_printf("group %s already exists", group);
		rc = -1;
	}
	etcd_txn_result_free(&res);
	free(gk);
	free(gv);
	return rc;
}

/* clus_group_delete - see cluster.h */
int
clus_group_delete(struct clus *c, const char *group, char **cause)
{
	struct clus_machine *ms = NULL;
	struct etcd_range r = { 0 };
	struct etcd_cmp cmp[2] = { { 0 } };
	struct etcd_op ops[2] = { { 0 } };
	struct etcd_txn_result res = { 0 };
	char *gk = NULL, *ik = NULL, *ck = NULL, *ec = NULL;
	int n = 0, rc;
	int64_t rev = 0;

	if (!cluster_name_ok(group)) {
		*cause = str_printf("'%.64s' is not a valid group name", group);
		return -1;
	}
	if (strcmp(group, CLUS_MAIN_GROUP) == 0) {
		*cause = str_printf("group %s cannot be removed", CLUS_MAIN_GROUP);
		return -1;
	}
	rc = clus_machines(c, &ms, &n, &rev, cause);
	if (rc < 0)
		return rc;
	for (int i = 0; i < n; i++)
		if (strcmp(ms[i].group, group) == 0) {
			*cause = str_printf("group %s still has machine %s: move it first (clusterconfig "
					    "setgroup)", group, ms[i].machine);
			free(ms);
			return -1;
		}
	free(ms);
	gk = str_printf("%sgroups/%s", c->prefix, group);
	ik = str_printf("%scfg/group/%s/", c->prefix, group);
	ck = str_printf("%scommit/group/%s", c->prefix, group);
	rc = etcd_get(c->etcd, ik, 1, 0, 1, &r, &ec);
	if (rc < 0) {
		rc = etcd_fail(c->etcd, rc, ec, cause);
		goto out;
	}
	if (r.n > 0) {
		*cause = str_printf("group %s still holds settings: delete them at its level first",
		    group);
		rc = -1;
		goto out;
	}
	/* nothing was added to it meanwhile: its item prefix is still empty as of r */
	cmp[0].key = gk;
	cmp[0].target = ETCD_CMP_VERSION;
	cmp[0].rev = 0;
	ops[0].kind = ETCD_OP_DELETE;
	ops[0].key = gk;
	ops[1].kind = ETCD_OP_DELETE;
	ops[1].key = ck;
	{
		struct etcd_range g = { 0 };

		rc = etcd_get(c->etcd, gk, 0, 0, 1, &g, &ec);
		if (rc < 0) {
			rc = etcd_fail(c->etcd, rc, ec, cause);
			goto out;
		}
		if (g.n == 0) {
			etcd_range_free(&g);
			*cause = str_printf("group %s does not exist", group);
			rc = -1;
			goto out;
		}
		cmp[0].target = ETCD_CMP_MOD;
		cmp[0].rev = g.kvs[0].mod_rev;
		etcd_range_free(&g);
	}
	rc = etcd_txn(c->etcd, cmp, 1, ops, 2, NULL, 0, &res, &ec);
	if (rc < 0)
		rc = etcd_fail(c->etcd, rc, ec, cause);
	else if (!res.succeeded) {
		*cause = str_printf("group %s changed meanwhile; try again", group);
		rc = -1;
	}
out:
	etcd_txn_result_free(&res);
	etcd_range_free(&r);
	free(gk);
	free(ik);
	free(ck);
	return rc;
}

/* clus_machine_move - see cluster.h */
int
clus_machine_move(struct clus *c, const char *machine, const char *group, char **cause)
{
	struct etcd_range r = { 0 }, g = { 0 };
	struct clus_machine m = { 0 };
	struct etcd_cmp cmp[2] = { { 0 } };
	struct etcd_op op = { 0 };
	struct etcd_txn_result res = { 0 };
	char *mk, *gk, *mv = NULL, *ec = NULL;
	int rc;

	if (!cluster_name_ok(machine) || !cluster_name_ok(group)) {
		*cause = str_dup("not a valid machine or group name");
		return -1;
	}
	mk = str_printf("%smembers/%s", c->prefix, machine);
	gk = str_printf("%sgroups/%s", c->prefix, group);
	rc = etcd_get(c->etcd, mk, 0, 0, 1, &r, &ec);
	if (rc == 0)
		rc = etcd_get(c->etcd, gk, 0, 0, 1, &g, &ec);
	if (rc < 0) {
		rc = etcd_fail(c->etcd, rc, ec, cause);
		goto out;
	}
	rc = -1;
	if (r.n == 0 || member_parse(r.kvs[0].value, r.kvs[0].vlen, &m) < 0) {
		*cause = str_printf("machine %s is not in cluster %s", machine, c->m.cluster);
		goto out;
	}
	if (g.n == 0) {
		*cause = str_printf("group %s does not exist", group);
		goto out;
	}
	cmp[0] = (struct etcd_cmp){ .key = mk, .target = ETCD_CMP_MOD, .rev = r.kvs[0].mod_rev };
	cmp[1] = (struct etcd_cmp){ .key = gk, .target = ETCD_CMP_MOD, .rev = g.kvs[0].mod_rev };
	mv = member_json(m.machine, group, m.serial, m.joined);
	op = (struct etcd_op){ .kind = ETCD_OP_PUT, .key = mk, .value = mv };
	rc = etcd_txn(c->etcd, cmp, 2, &op, 1, NULL, 0, &res, &ec);
	if (rc < 0)
		rc = etcd_fail(c->etcd, rc, ec, cause);
	else if (!res.succeeded) {
		*cause = str_printf("machine %s or group %s changed meanwhile; try again", machine,
		    group);
		rc = -1;
	}
out:
	etcd_txn_result_free(&res);
	etcd_range_free(&r);
	etcd_range_free(&g);
	free(mk);
	free(gk);
	free(mv);
	return rc;
}

/* ------------------------------------------------------- polling primary */

/* clus_primary_get - see cluster.h */
int
clus_primary_get(struct clus *c, struct clus_primary *p, char **cause)
{
	struct etcd_op ops[2] = { { 0 } };
	struct etcd_txn_result res = { 0 };
	char *pk = clus_key(c, "primary"), *nk = clus_key(c, "primary_pin"), *ec = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	ops[0] = (struct etcd_op){ .kind = ETCD_OP_GET, .key = pk };
	ops[1] = (struct etcd_op){ .kind = ETCD_OP_GET, .key = nk };
	/* one read at one revision: no comparison, both gets */
	rc = etcd_txn(c->etcd, NULL, 0, ops, 2, NULL, 0, &res, &ec);
	free(pk);
	free(nk);
	if (rc < 0)
		return etcd_fail(c->etcd, rc, ec, cause);
	if (res.nranges == 2) {
		if (res.ranges[0].n > 0) {
			/* an unreadable record still holds the key: its term stands */
			if (clus_primary_parse(res.ranges[0].kvs[0].value, p) < 0)
				memset(p, 0, sizeof(*p));
			p->create_rev = res.ranges[0].kvs[0].create_rev;
		}
		if (res.ranges[1].n > 0 && cluster_name_ok(res.ranges[1].kvs[0].value))
			str_copy(p->pin, res.ranges[1].kvs[0].value, sizeof(p->pin));
	}
	etcd_txn_result_free(&res);
	return 0;
}

/*
 * clus_primary_pin - see cluster.h; a holder other than the pinned
 * machine resigns by itself (mxgated checks the pin every second)
 */
int
clus_primary_pin(struct clus *c, const char *machine, char **cause)
{
	char *nk = clus_key(c, "primary_pin"), *ec = NULL;
	int rc;

	if (machine != NULL && *machine != '\0' && !cluster_name_ok(machine)) {
		free(nk);
		*cause = str_printf("'%.64s' is not a valid machine name", machine);
		return -1;
	}
	if (machine == NULL || *machine == '\0')
		rc = etcd_delete(c->etcd, nk, 0, NULL, NULL, &ec);
	else
		rc = etcd_put(c->etcd, nk, machine, 0, NULL, &ec);
	free(nk);
	if (rc < 0)
		return etcd_fail(c->etcd, rc, ec, cause);
	return 0;
}
