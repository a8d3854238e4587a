/*
 * conf.c - the running configuration as one immutable snapshot.
 *
 * Built from config.db's committed items whenever the commit number
 * changes, inside one read transaction; the loop swaps snapshots between
 * events, so a session or a delivery never sees half of a commit.
 *
 * Secret settings (the TLS private key) come decrypted from the store
 * (store/secret.h); one that cannot be decrypted fails the snapshot with
 * the store's cause, never reads as empty.
 *
 * DIAGNOSTICS: a snapshot that cannot be built returns NULL with a cause;
 * the daemon keeps the previous one and logs the cause.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon/gw.h"
#include "mail/alertconf.h"
#include "mail/filter.h"
#include "mail/logsub.h"
#include "mail/route.h"
#include "store/config.h"
#include "store/remed.h"
#include "store/secret.h"
#include "store/store.h"
#include "store/settings.h"
#include "util/str.h"

struct loadctx {
	struct conf *c;
	char *cause;
};

/* add_listener - config_item_cb for section listener */
static int
add_listener(const char *section, const char *key, const char *value, void *arg)
{
	struct loadctx *lc = arg;
	struct conf *c = lc->c;
	char *cause = NULL;

	c->listeners = xrealloc(c->listeners, sizeof(*c->listeners) * (size_t)(c->nlisteners + 1));
	if (listener_decode(key, value, &c->listeners[c->nlisteners], &cause) < 0) {
		lc->cause = str_printf("listener %s: %s", key, cause);
		free(cause);
		return 1;
	}
	c->nlisteners++;
	return 0;
}

/* add_route - config_item_cb for section smtproutes */
static int
add_route(const char *section, const char *key, const char *value, void *arg)
{
	struct conf *c = ((struct loadctx *)arg)->c;

	c->route_keys = xrealloc(c->route_keys, sizeof(char *) * (size_t)(c->nroutes + 1));
	c->route_vals = xrealloc(c->route_vals, sizeof(char *) * (size_t)(c->nroutes + 1));
	c->route_keys[c->nroutes] = str_dup(key);
	c->route_vals[c->nroutes] = str_dup(value);
	c->nroutes++;
	return 0;
}

/* add_dest - config_item_cb for section destconfig (default row stays at [0]) */
static int
add_dest(const char *section, const char *key, const char *value, void *arg)
{
	struct loadctx *lc = arg;
	struct conf *c = lc->c;
	struct destconf d;
	char *cause = NULL;

	if (destconf_decode(key, value, &d, &cause) < 0) {
		lc->cause = str_printf("destconfig %s: %s", key, cause);
		free(cause);
		return 1;
	}
	if (strcmp(key, DESTCONF_DEFAULT) == 0) {
		c->dest[0] = d;
		return 0;
	}
	c->dest = xrealloc(c->dest, sizeof(*c->dest) * (size_t)(c->ndest + 1));
	c->dest[c->ndest++] = d;
	return 0;
}

/* Numeric settings of the snapshot. */
static const struct {
	const char *name;
	size_t off;			/* of the int in struct conf */
} conf_ints[] = {
	{ "dns.timeout", offsetof(struct conf, dns_timeout) },
	{ "delivery.max_conns", offsetof(struct conf, max_conns) },
	{ "delivery.max_conns_per_dest", offsetof(struct conf, max_conns_per_dest) },
	{ "delivery.retry_initial", offsetof(struct conf, retry_initial) },
	{ "delivery.retry_max", offsetof(struct conf, retry_max) },
	{ "delivery.max_queue_time", offsetof(struct conf, max_queue_time) },
	{ "delivery.bounces", offsetof(struct conf, bounces) },
	{ "smtp.hop_limit", offsetof(struct conf, hop_limit) },
	{ "tdc.enabled", offsetof(struct conf, tdc_enabled) },
	{ "tdc.max_queue_time", offsetof(struct conf, tdc_max_queue_time) },
	{ "tdc.retry_delay", offsetof(struct conf, tdc_retry_delay) },
	{ "tdc.api", offsetof(struct conf, tdc_api) },
	{ "tdc.polling", offsetof(struct conf, tdc_polling) },
	{ "tdc.poll_interval", offsetof(struct conf, tdc_poll_interval) },
	{ "cluster.lease_ttl", offsetof(struct conf, cluster_lease_ttl) },
	{ "tdc.poll_lag", offsetof(struct conf, tdc_poll_lag) },
	{ "tdc.poll_overlap", offsetof(struct conf, tdc_poll_overlap) },
	{ "tdc.poll_max_pages", offsetof(struct conf, tdc_poll_max_pages) },
	{ "api.http", offsetof(struct conf, api_http) },
	{ "api.https", offsetof(struct conf, api_https) },
	{ "api.http_port", offsetof(struct conf, api_http_port) },
	{ "api.https_port", offsetof(struct conf, api_https_port) },
	{ "api.max_body", offsetof(struct conf, api_max_body) },
	{ "api.max_conns", offsetof(struct conf, api_max_conns) },
	{ "api.timeout", offsetof(struct conf, api_timeout) },
	{ "adminaccess.timeout", offsetof(struct conf, api_token_lifetime) },
	{ "cloud.enabled", offsetof(struct conf, cloud_enabled) },
	{ "cloud.csn", offsetof(struct conf, cloud_csn) },
	{ "cloud.csn_interval", offsetof(struct conf, cloud_csn_interval) },
	{ "cloud.csn_retry", offsetof(struct conf, cloud_csn_retry) },
};

/* Text settings kept in the snapshot's fixed buffers. */
static const struct {
	const char *name;
	size_t off, size;		/* of the buffer in struct conf */
} conf_texts[] = {
	{ "system.hostname", offsetof(struct conf, hostname), sizeof(((struct conf *)0)->hostname) },
	{ "dns.servers", offsetof(struct conf, dns_servers),
	    sizeof(((struct conf *)0)->dns_servers) },
	{ "tls.cafile", offsetof(struct conf, cafile), sizeof(((struct conf *)0)->cafile) },
	{ "tdc.intake_address", offsetof(struct conf, tdc_intake),
	    sizeof(((struct conf *)0)->tdc_intake) },
	{ "tdc.remote_ip_header", offsetof(struct conf, tdc_ip_header),
	    sizeof(((struct conf *)0)->tdc_ip_header) },
	{ "tdc.client_id", offsetof(struct conf, tdc_client_id),
	    sizeof(((struct conf *)0)->tdc_client_id) },
	{ "tdc.api_url", offsetof(struct conf, tdc_api_base),
	    sizeof(((struct conf *)0)->tdc_api_base) },
	{ "tdc.forward_to", offsetof(struct conf, tdc_forward_to),
	    sizeof(((struct conf *)0)->tdc_forward_to) },
	{ "tdc.polling_primary", offsetof(struct conf, tdc_polling_primary),
	    sizeof(((struct conf *)0)->tdc_polling_primary) },
	{ "tdc.verdicts", offsetof(struct conf, tdc_verdicts),
	    sizeof(((struct conf *)0)->tdc_verdicts) },
	{ "api.address", offsetof(struct conf, api_address),
	    sizeof(((struct conf *)0)->api_address) },
	{ "cloud.tr_server", offsetof(struct conf, cloud_tr_server),
	    sizeof(((struct conf *)0)->cloud_tr_server) },
	{ "cloud.csn_url", offsetof(struct conf, cloud_csn_url),
	    sizeof(((struct conf *)0)->cloud_csn_url) },
};

/*
 * read_tdc_api - what the table-driven reads cannot say: the API's base
 * URL (tdc.api_url when set, else the region's), the action, the secrets,
 * and the cascade (polling needs the API, the API needs the connector:
 * tdcconfig keeps them so, a hand-edited store is read the same way)
 */
static int
read_tdc_api(struct store *st, struct conf *c, char **cause)
{
	char *v;

	if (c->tdc_api_base[0] == '\0') {
		if (settings_read(st, "tdc.api_region", &v, cause) < 0)
			return -1;
		if (strncmp(v, "https://", 8) == 0)
			str_copy(c->tdc_api_base, v, sizeof(c->tdc_api_base));
		else
			str_fmt(c->tdc_api_base, sizeof(c->tdc_api_base), "https://api.%s.etd.cisco.com",
			    v);
		free(v);
	}
	/* "https://api.us.etd.cisco.com/" and "...com" name the same base */
	for (size_t n = strlen(c->tdc_api_base); n > 8 && c->tdc_api_base[n - 1] == '/'; n--)
		c->tdc_api_base[n - 1] = '\0';
	if (settings_read(st, "tdc.action", &v, cause) < 0)
		return -1;
	c->tdc_action = strcmp(v, "forward") == 0 ? REMED_FORWARD :
	    strcmp(v, "forward_delete") == 0 ? REMED_FORWARD_DELETE : REMED_DELETE;
	free(v);
	if (settings_read(st, "tdc.client_secret", &c->tdc_client_secret, cause) < 0 ||
	    settings_read(st, "tdc.api_key", &c->tdc_api_key, cause) < 0)
		return -1;
	c->tdc_api = c->tdc_api && c->tdc_enabled;
	c->tdc_polling = c->tdc_polling && c->tdc_api;
	if (c->api_token_lifetime <= 0)		/* no idle timeout: a token still ends */
		c->api_token_lifetime = 86400;
	return 0;
}

/* read_settings - every setting of the snapshot; a store error is an error */
static int
read_settings(struct store *st, struct conf *c, char **cause)
{
	char *v;

	for (size_t i = 0; i < sizeof(conf_ints) / sizeof(conf_ints[0]); i++) {
		long n;

		if (settings_read(st, conf_ints[i].name, &v, cause) < 0)
			return -1;
		if (strcmp(v, "yes") == 0)
			n = 1;
		else if (strcmp(v, "no") == 0)
			n = 0;
		else if (str_to_long(v, -2147483647L, 2147483647L, &n) < 0) {
			*cause = str_printf("setting %s: '%s' is not a number", conf_ints[i].name, v);
			free(v);
			return -1;
		}
		free(v);
		*(int *)(void *)((char *)c + conf_ints[i].off) = (int)n;
	}
	for (size_t i = 0; i < sizeof(conf_texts) / sizeof(conf_texts[0]); i++) {
		if (settings_read(st, conf_texts[i].name, &v, cause) < 0)
			return -1;
		str_copy((char *)c + conf_texts[i].off, v, conf_texts[i].size);
		free(v);
	}
	if (read_tdc_api(st, c, cause) < 0)
		return -1;
	if (settings_read(st, "tls.server_cert", &c->server_cert, cause) < 0 ||
	    settings_read(st, "tls.server_key", &c->server_key, cause) < 0 ||
	    settings_read(st, "tls.ca_pem", &c->ca_pem, cause) < 0)	/* imported by certconfig */
		return -1;
	if (c->hostname[0] == '\0' && gethostname(c->hostname, sizeof(c->hostname)) < 0)
		str_copy(c->hostname, "mxgate", sizeof(c->hostname));
	c->hostname[sizeof(c->hostname) - 1] = '\0';
	return 0;
}

/*
 * lost_advice - when a secret cannot be decrypted, *cause names every
 * such setting and says what the operator can do: mxgated will not start
 * (or reload) until one of the two is done
 */
static void
lost_advice(struct store *st, char **cause)
{
	char *why = NULL, *names = secret_lost(st, &why);

	if (names == NULL)
		return;
	free(*cause);
	*cause = str_printf("%s (%s). To go on: restore secret.key into the data directory "
			    "from a backup of it; or, in mxsh, clear or enter again each of %s "
			    "(certconfig server cert=PATH key=PATH for tls.server_key, "
			    "tdcconfig setup client_secret=SECRET api_key=KEY for tdc.*) and "
			    "commit: a new secret.key is made once none needs the lost one",
	    why, names, names);
	free(why);
	free(names);
}

/*
 * conf_load - one read transaction, so that a commit landing meanwhile is
 * seen whole or not at all
 */
/* add_zone - one dnslist() zone, once */
static void
add_zone(const char *zone, void *arg)
{
	struct conf *c = arg;

	for (int i = 0; i < c->ndnslists; i++)
		if (strcasecmp(c->dnslists[i], zone) == 0)
			return;
	c->dnslists = xrealloc(c->dnslists, ((size_t)c->ndnslists + 1) * sizeof(char *));
	c->dnslists[c->ndnslists++] = str_dup(zone);
}

/* dnslists_gather - the zones that active, valid filters ask (looked up before they run) */
static void
dnslists_gather(struct conf *c)
{
	for (int i = 0; i < c->mfilters.n; i++)
		if (c->mfilters.e[i].active && c->mfilters.e[i].valid)
			filter_dnslists(c->mfilters.e[i].f, add_zone, c);
	for (int i = 0; i < c->cfilters.n; i++)
		if (c->cfilters.e[i].valid)
			filter_dnslists(c->cfilters.e[i].f, add_zone, c);
}

struct conf *
conf_load(struct store *st, char **cause)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	struct loadctx lc = { c, NULL };

	c->refs = 1;
	if (store_read_begin(st, cause) < 0) {
		free(c);
		return NULL;
	}
	c->version = config_version(st);
	c->dest = xcalloc(1, sizeof(*c->dest));
	c->ndest = 1;
	destconf_defaults(&c->dest[0], DESTCONF_DEFAULT);
	if (c->version < 0) {
		*cause = str_dup("cannot read the commit number");
		goto fail;
	}
	if (read_settings(st, c, cause) < 0 ||
	    config_list(st, LISTENER_SECTION, add_listener, &lc, cause) < 0 ||
	    config_list(st, ROUTE_SECTION, add_route, &lc, cause) < 0 ||
	    config_list(st, DESTCONF_SECTION, add_dest, &lc, cause) < 0)
		goto fail;
	if (lc.cause) {
		*cause = lc.cause;
		goto fail;
	}
	if (policy_load(st, POLICY_INCOMING, &c->in, cause) < 0 ||
	    policy_load(st, POLICY_OUTGOING, &c->out, cause) < 0 ||
	    logsub_load(st, &c->logsubs, &c->nlogsubs, cause) < 0 ||
	    sdrconf_load(st, &c->sdr, cause) < 0 ||
	    addrlist_load(st, &c->lists, cause) < 0 ||
	    filterconf_load(st, FILTER_SECTION, &c->mfilters, cause) < 0 ||
	    filterconf_load(st, CFILTER_SECTION, &c->cfilters, cause) < 0 ||
	    quarconf_load(st, &c->quar, &c->nquar, cause) < 0 ||
	    remedconf_load(st, &c->remed, cause) < 0 ||
	    alertconf_load(st, &c->alerts, cause) < 0)
		goto fail;
	dnslists_gather(c);
	store_read_end(st);
	return c;
fail:
	lost_advice(st, cause);
	store_read_end(st);
	conf_free(c);
	return NULL;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->listeners);
	for (int i = 0; i < c->nroutes; i++) {
		free(c->route_keys[i]);
		free(c->route_vals[i]);
	}
	free(c->route_keys);
	free(c->route_vals);
	policy_table_free(&c->in);
	policy_table_free(&c->out);
	free(c->dest);
	free(c->server_cert);
	secret_drop(c->server_key);	/* decrypted by the store: not left in freed memory */
	free(c->ca_pem);
	free(c->logsubs);
	sdrconf_free(&c->sdr);
	addrlist_table_free(&c->lists);
	filterconf_free(&c->mfilters);
	filterconf_free(&c->cfilters);
	free(c->quar);
	secret_drop(c->tdc_client_secret);
	secret_drop(c->tdc_api_key);
	remedconf_free(&c->remed);
	for (int i = 0; i < c->ndnslists; i++)
		free(c->dnslists[i]);
	free(c->dnslists);
	alertconf_free(&c->alerts);
	free(c);
}

struct conf *
conf_ref(struct conf *c)
{
	c->refs++;
	return c;
}

void
conf_unref(struct conf *c)
{
	if (c != NULL && --c->refs <= 0)
		conf_free(c);
}

const char *
conf_route(const struct conf *c, const char *domain)
{
	int i = route_match(domain, (const char *const *)c->route_keys, c->nroutes);

	return i < 0 ? NULL : c->route_vals[i];
}

const struct destconf *
conf_dest(const struct conf *c, const char *domain)
{
	for (int i = 1; i < c->ndest; i++)
		if (strcasecmp(c->dest[i].domain, domain) == 0)
			return &c->dest[i];
	return &c->dest[0];
}
