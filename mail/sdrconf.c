/*
 * sdrconf.c - the Sender Domain Reputation configuration: load it whole
 * (settings and the three source sections), check the values operators
 * type, and stage changes (see sdrconf.h for the storage).
 *
 * Every stored value is parsed again on load with the parsers that
 * checked it when it was staged (mail/sdr.c's sdr_codes_parse and
 * sdr_local_parse_line), so the daemon never acts on a value the shell
 * would refuse: a damaged item fails the load with a cause naming it.
 * The local table is sorted once on load so that the daemon's lookup per
 * domain is a binary search.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause; nothing prints or exits.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "mail/sdrconf.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"
#include "util/syntax.h"

/* ---------------------------------------------------------- values */

int
sdrconf_zone_parse(const char *in, char *out, size_t size, char **cause)
{
	char buf[SDR_DOMAIN_MAX + 2];
	size_t n;

	if (str_copy(buf, in, sizeof(buf)) == 0) {
		n = strlen(buf);
		if (n > 1 && buf[n - 1] == '.')
			buf[n - 1] = '\0';	/* "dbl.test." is dbl.test */
		if (strchr(buf, '.') && sdr_domain_valid(buf) && str_copy(out, buf, size) == 0)
			return 0;
	}
	*cause = str_printf("Invalid zone '%.100s': a blocklist zone is a domain name such as "
			    "dbl.example.net.",
	    in);
	return -1;
}

int
sdrconf_url_check(const char *what, const char *url, char **cause)
{
	char *as_https = NULL;
	int ok = 0;

	if (strlen(url) <= SDRCONF_URL_MAX) {
		/* syntax_https_url judges the rest of an http:// URL just as well */
		if (strncasecmp(url, "http://", 7) == 0)
			as_https = str_printf("https://%s", url + 7);
		else if (strncasecmp(url, "https://", 8) == 0)
			as_https = str_dup(url);
		ok = as_https && syntax_https_url(as_https);
	}
	free(as_https);
	if (!ok) {
		*cause = str_printf("Invalid %s '%.100s': the value must be an http:// or "
				    "https:// URL (host name, IPv4 or [IPv6] address, port, "
				    "path) of at most %d characters.",
		    what, url, SDRCONF_URL_MAX);
		return -1;
	}
	return 0;
}

int
sdrconf_feed_url_check(const char *url, char **cause)
{
	const char *p, *end, *coll;
	size_t n = strlen(url);

	if (sdrconf_url_check("url", url, cause) < 0)
		return -1;
	/* ".../collections/ID/objects/": TAXII 2.1's Get Objects endpoint */
	p = strstr(url, "://") + 3;
	end = url + n;
	coll = NULL;
	for (const char *q = strstr(p, "/collections/"); q; q = strstr(q + 1, "/collections/"))
		coll = q;
	if (n > 9 && strcmp(end - 9, "/objects/") == 0 && coll) {
		const char *id = coll + strlen("/collections/"), *slash = strchr(id, '/');

		if (slash && slash > id && slash == end - 9 && strchr(id, '?') == NULL)
			return 0;
	}
	*cause = str_printf("Invalid url '%.100s': a feed is the objects URL of a TAXII 2.1 "
			    "collection, http(s)://HOST/API-ROOT/collections/ID/objects/.",
	    url);
	return -1;
}

/* name_valid - a letter, then letters, digits, '_', '-', '.'; 1..max */
static int
name_valid(const char *name, size_t max)
{
	size_t n = strlen(name);

	if (n == 0 || n > max || !isalpha((unsigned char)name[0]))
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return 0;
	return 1;
}

int
sdrconf_feed_name_valid(const char *name, char **cause)
{
	if (name_valid(name, SDRCONF_FEED_NAME_MAX))
		return 0;
	*cause = str_printf("Invalid feed name '%.100s': a name is a letter followed by at most "
			    "%d letters, digits, '_', '-' and '.'.",
	    name, SDRCONF_FEED_NAME_MAX - 1);
	return -1;
}

/*
 * local_fields - one entry from its three fields, through mail/sdr.c's
 * CSV line parser (the one `local import` uses), so that an entry added
 * by hand, imported, or loaded is judged by the same rules
 */
static int
local_fields(const char *domain, const char *verdict, const char *category, struct sdr_local *e,
    char **cause)
{
	char *line, *why = NULL;
	int r;

	/* the fields are put on a CSV line: they may not break it */
	if (strpbrk(domain, ",\"\n") || strpbrk(verdict, ",\"\n") ||
	    (category && strpbrk(category, ",\"\n/"))) {
		*cause = str_printf("Invalid entry '%.100s %.40s%s%.40s': the domain, verdict and "
				    "category cannot contain ',', '\"' or a line break.",
		    domain, verdict, category ? "/" : "", category ? category : "");
		return -1;
	}
	memset(e, 0, sizeof(*e));
	line = category && *category ? str_printf("%s,%s,%s", domain, verdict, category) :
					str_printf("%s,%s", domain, verdict);
	r = sdr_local_parse_line(line, e->domain, sizeof(e->domain), &e->verdict, e->category,
	    sizeof(e->category), &why);
	free(line);
	if (r == 1)
		return 0;
	*cause = str_printf("Invalid entry '%.100s %.40s%s%.40s': %s.", domain, verdict,
	    category ? "/" : "", category ? category : "",
	    why ? why : "a domain name is needed");
	free(why);
	return -1;
}

int
sdrconf_local_parse(const char *domain, const char *spec, struct sdr_local *e, char **cause)
{
	const char *slash = strchr(spec, '/');
	char verdict[64];
	int r;

	if (slash == NULL)
		return local_fields(domain, spec, NULL, e, cause);
	if ((size_t)(slash - spec) >= sizeof(verdict)) {
		*cause = str_printf("Invalid verdict '%.100s': use Awful, Poor, Tainted, Weak, "
				    "Unknown, Neutral or Good, then /CATEGORY if you like.",
		    spec);
		return -1;
	}
	memcpy(verdict, spec, (size_t)(slash - spec));
	verdict[slash - spec] = '\0';
	r = local_fields(domain, verdict, slash + 1, e, cause);
	return r;
}

const char *
sdrconf_local_text(const struct sdr_local *e, char *buf, size_t size)
{
	if (e->category[0])
		str_fmt(buf, size, "%s,%s", sdr_verdict_name(e->verdict), e->category);
	else
		str_copy(buf, sdr_verdict_name(e->verdict), size);
	return buf;
}

/* local_decode - a stored item (key DOMAIN, value "Verdict[,Category]") into e */
static int
local_decode(const char *key, const char *value, struct sdr_local *e, char **cause)
{
	const char *comma = strchr(value, ',');
	char verdict[64], *why = NULL;

	if (comma == NULL) {
		if (local_fields(key, value, NULL, e, &why) == 0)
			return 0;
	} else if ((size_t)(comma - value) < sizeof(verdict)) {
		memcpy(verdict, value, (size_t)(comma - value));
		verdict[comma - value] = '\0';
		if (local_fields(key, verdict, comma + 1, e, &why) == 0)
			return 0;
	}
	*cause = str_printf("The local reputation entry for %.100s is damaged: %s", key,
	    why ? why : "its value is too long.");
	free(why);
	return -1;
}

/* ---------------------------------------------------------- loading */

/* What a load walk fills. */
struct load_ctx {
	struct sdr_conf *c;
	char **cause;
	int failed;
};

/* load_blocklist - config_list callback for sdr.blocklist */
static int
load_blocklist(const char *section, const char *key, const char *value, void *arg)
{
	struct load_ctx *x = arg;
	struct sdr_blocklist b;
	char *why = NULL;

	(void)section;
	memset(&b, 0, sizeof(b));
	if (x->c->nblocklists >= SDRCONF_MAX_BLOCKLISTS) {
		*x->cause = str_printf("More than %d blocklists are configured.",
		    SDRCONF_MAX_BLOCKLISTS);
		goto fail;
	}
	if (sdrconf_zone_parse(key, b.zone, sizeof(b.zone), &why) < 0 ||
	    sdr_codes_parse(value, &b.codes, &why) < 0) {
		*x->cause = str_printf("The blocklist %.100s is damaged: %s", key,
		    why ? why : "its codes do not parse.");
		free(why);
		goto fail;
	}
	x->c->blocklists = xrealloc(x->c->blocklists,
	    ((size_t)x->c->nblocklists + 1) * sizeof(b));
	x->c->blocklists[x->c->nblocklists++] = b;
	return 0;
fail:
	x->failed = 1;
	return 1;
}

/* load_local - config_list callback for sdr.local */
static int
load_local(const char *section, const char *key, const char *value, void *arg)
{
	struct load_ctx *x = arg;
	struct sdr_local e;

	(void)section;
	if (x->c->nlocal >= SDRCONF_MAX_LOCAL) {
		*x->cause = str_printf("The local reputation table has more than %d entries.",
		    SDRCONF_MAX_LOCAL);
		x->failed = 1;
		return 1;
	}
	if (local_decode(key, value, &e, x->cause) < 0) {
		x->failed = 1;
		return 1;
	}
	/* grown by doubling: the table may hold many thousand entries */
	if ((x->c->nlocal & (x->c->nlocal - 1)) == 0)
		x->c->local = xrealloc(x->c->local,
		    (x->c->nlocal ? 2 * (size_t)x->c->nlocal : 16) * sizeof(e));
	x->c->local[x->c->nlocal++] = e;
	return 0;
}

/* feed_decode - a stored feed item into f */
static int
feed_decode(const char *key, const char *value, struct sdr_feed_conf *f, char **cause)
{
	cJSON *o = cJSON_Parse(value);
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "url");
	char *why = NULL;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (str_copy(f->name, key, sizeof(f->name)) < 0 || !cJSON_IsString(u) ||
	    sdrconf_feed_url_check(u->valuestring, &why) < 0 ||
	    str_copy(f->url, u->valuestring, sizeof(f->url)) < 0) {
		*cause = str_printf("The feed %.100s is damaged: %s", key,
		    why ? why : "it has no url.");
		free(why);
	} else {
		rc = 0;
	}
	cJSON_Delete(o);
	return rc;
}

/* load_feed - config_list callback for sdr.feed */
static int
load_feed(const char *section, const char *key, const char *value, void *arg)
{
	struct load_ctx *x = arg;
	struct sdr_feed_conf f;

	(void)section;
	if (x->c->nfeeds >= SDRCONF_MAX_FEEDS) {
		*x->cause = str_printf("More than %d external threat feeds are configured.",
		    SDRCONF_MAX_FEEDS);
		x->failed = 1;
		return 1;
	}
	if (feed_decode(key, value, &f, x->cause) < 0) {
		x->failed = 1;
		return 1;
	}
	x->c->feeds = xrealloc(x->c->feeds, ((size_t)x->c->nfeeds + 1) * sizeof(f));
	x->c->feeds[x->c->nfeeds++] = f;
	return 0;
}

/* get_int - an INT or BOOL setting as this handle sees it; -1 with *cause */
static int
get_int(struct store *st, const char *name, int *out, char **cause)
{
	const struct setting_def *d = settings_find(name);
	char *v = NULL;
	long n;
	int rc = 0;

	if (settings_read(st, name, &v, cause) < 0)
		return -1;
	if (d && d->type == SETTING_BOOL) {
		*out = strcasecmp(v, "yes") == 0;
	} else if (d && str_to_long(v, d->min, d->max, &n) == 0) {
		*out = (int)n;
	} else {
		*cause = str_printf("The setting %s is damaged: '%.40s'.", name, v);
		rc = -1;
	}
	free(v);
	return rc;
}

/* get_str - a STRING setting into out[size]; -1 with *cause */
static int
get_str(struct store *st, const char *name, char *out, size_t size, char **cause)
{
	char *v = NULL;
	int rc = 0;

	if (settings_read(st, name, &v, cause) < 0)
		return -1;
	if (str_copy(out, v, size) < 0) {
		*cause = str_printf("The setting %s is too long.", name);
		rc = -1;
	}
	free(v);
	return rc;
}

/* local_cmp - qsort/bsearch order of the local table */
static int
local_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sdr_local *)a)->domain, ((const struct sdr_local *)b)->domain);
}

int
sdrconf_load(struct store *st, struct sdr_conf *c, char **cause)
{
	struct load_ctx x = { c, cause, 0 };

	memset(c, 0, sizeof(*c));
	if (get_int(st, "sdr.enabled", &c->enabled, cause) < 0 ||
	    get_int(st, "sdr.share_extended_info", &c->share_extended, cause) < 0 ||
	    get_int(st, "sdr.timeout", &c->timeout, cause) < 0 ||
	    get_int(st, "sdr.exception_envfrom_only", &c->envfrom_only, cause) < 0 ||
	    get_int(st, "sdr.verify_peer", &c->verify_peer, cause) < 0 ||
	    get_int(st, "sdr.cache_ttl", &c->cache_ttl, cause) < 0 ||
	    get_int(st, "sdr.feed_interval", &c->feed_interval, cause) < 0 ||
	    get_str(st, "sdr.exception_list", c->exception_list, sizeof(c->exception_list),
		cause) < 0 ||
	    get_str(st, "sdr.rdap_url", c->rdap_url, sizeof(c->rdap_url), cause) < 0 ||
	    settings_read(st, "sdr.rdap_bootstrap", &c->rdap_bootstrap, cause) < 0)
		goto fail;
	if (config_list(st, SDRCONF_BLOCKLIST_SECTION, load_blocklist, &x, cause) < 0 || x.failed)
		goto fail;
	if (config_list(st, SDRCONF_LOCAL_SECTION, load_local, &x, cause) < 0 || x.failed)
		goto fail;
	if (config_list(st, SDRCONF_FEED_SECTION, load_feed, &x, cause) < 0 || x.failed)
		goto fail;
	if (c->nlocal > 1)
		qsort(c->local, (size_t)c->nlocal, sizeof(*c->local), local_cmp);
	return 0;
fail:
	sdrconf_free(c);
	return -1;
}

void
sdrconf_free(struct sdr_conf *c)
{
	free(c->rdap_bootstrap);
	free(c->blocklists);
	free(c->local);
	free(c->feeds);
	memset(c, 0, sizeof(*c));
}

const struct sdr_local *
sdrconf_local_find(const struct sdr_conf *c, const char *domain)
{
	struct sdr_local key;
	size_t n;

	if (c == NULL || c->nlocal == 0 || domain == NULL ||
	    str_copy(key.domain, domain, sizeof(key.domain)) < 0)
		return NULL;
	n = strlen(key.domain);
	if (n > 0 && key.domain[n - 1] == '.')
		key.domain[n - 1] = '\0';
	str_lower(key.domain);
	return bsearch(&key, c->local, (size_t)c->nlocal, sizeof(*c->local), local_cmp);
}

/* ---------------------------------------------------------- staging */

int
sdrconf_blocklist_set(struct store *st, const char *zone, const struct sdr_codes *codes,
    char **cause)
{
	char text[SDR_MAX_CODES * (16 + 2 * (SDR_CATEGORY_MAX + 1)) + 64];

	sdr_codes_format(codes, text, sizeof(text));
	return config_set_if(st, SDRCONF_BLOCKLIST_SECTION, zone, text, cause);
}

int
sdrconf_blocklist_delete(struct store *st, const char *zone, char **cause)
{
	return config_delete_if(st, SDRCONF_BLOCKLIST_SECTION, zone, cause);
}

int
sdrconf_local_set(struct store *st, const struct sdr_local *e, char **cause)
{
	char text[64 + SDR_CATEGORY_MAX];

	return config_set_if(st, SDRCONF_LOCAL_SECTION, e->domain, sdrconf_local_text(e, text,
	    sizeof(text)), cause);
}

int
sdrconf_local_delete(struct store *st, const char *domain, char **cause)
{
	char d[SDR_DOMAIN_MAX + 2];
	size_t n;

	if (str_copy(d, domain, sizeof(d)) < 0)
		return 1;
	n = strlen(d);
	if (n > 1 && d[n - 1] == '.')
		d[n - 1] = '\0';
	str_lower(d);
	return config_delete_if(st, SDRCONF_LOCAL_SECTION, d, cause);
}

/* What feed_key looks for. */
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

int
sdrconf_feed_set(struct store *st, const char *name, const char *url, char **cause)
{
	struct key_ctx k = { name, NULL };
	cJSON *o;
	char *json, *s;
	int rc;

	if (sdrconf_feed_name_valid(name, cause) < 0 || sdrconf_feed_url_check(url, cause) < 0)
		return -1;
	if (config_list(st, SDRCONF_FEED_SECTION, key_one, &k, cause) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "url", url);
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (json == NULL)
		abort();	/* allocation failure, as xmalloc */
	s = str_dup(json);
	cJSON_free(json);
	rc = config_set_if(st, SDRCONF_FEED_SECTION, k.key ? k.key : name, s, cause);
	free(s);
	free(k.key);
	return rc;
}

int
sdrconf_feed_delete(struct store *st, const char *name, char **cause)
{
	struct key_ctx k = { name, NULL };
	int rc;

	if (config_list(st, SDRCONF_FEED_SECTION, key_one, &k, cause) < 0)
		return -1;
	if (k.key == NULL)
		return 1;
	rc = config_delete(st, SDRCONF_FEED_SECTION, k.key, cause);
	free(k.key);
	return rc;
}
