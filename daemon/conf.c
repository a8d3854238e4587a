/*
 * conf.c - the running configuration as one immutable snapshot.
 *
 * Built from config.db's committed items whenever the commit number
 * changes; the loop swaps snapshots between events, so a session or a
 * delivery never sees half of a commit.
 *
 * DIAGNOSTICS: a snapshot that cannot be built returns NULL with a cause;
 * the daemon keeps the previous one and logs the cause.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/gw.h"
#include "mail/logsub.h"
#include "mail/route.h"
#include "store/config.h"
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

/* setting_int - a numeric setting of the running configuration */
static int
setting_int(struct store *st, const char *name)
{
	return (int)settings_get_int(st, name);
}

struct conf *
conf_load(struct store *st, char **cause)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	struct loadctx lc = { c, NULL };
	char *v;

	c->version = config_version(st);
	v = settings_get(st, "system.hostname");
	if (*v)
		str_copy(c->hostname, v, sizeof(c->hostname));
	else if (gethostname(c->hostname, sizeof(c->hostname)) < 0)
		str_copy(c->hostname, "mxgate", sizeof(c->hostname));
	c->hostname[sizeof(c->hostname) - 1] = '\0';
	free(v);

	c->dest = xcalloc(1, sizeof(*c->dest));
	c->ndest = 1;
	destconf_defaults(&c->dest[0], DESTCONF_DEFAULT);
	if (config_list(st, LISTENER_SECTION, add_listener, &lc, cause) < 0 ||
	    config_list(st, ROUTE_SECTION, add_route, &lc, cause) < 0 ||
	    config_list(st, DESTCONF_SECTION, add_dest, &lc, cause) < 0)
		goto fail;
	if (lc.cause) {
		*cause = lc.cause;
		goto fail;
	}
	if (policy_load(st, POLICY_INCOMING, &c->in, cause) < 0 ||
	    policy_load(st, POLICY_OUTGOING, &c->out, cause) < 0)
		goto fail;

	v = settings_get(st, "dns.servers");
	str_copy(c->dns_servers, v, sizeof(c->dns_servers));
	free(v);
	c->dns_timeout = setting_int(st, "dns.timeout");
	c->server_cert = settings_get(st, "tls.server_cert");
	c->server_key = settings_get(st, "tls.server_key");
	v = settings_get(st, "tls.cafile");
	str_copy(c->cafile, v, sizeof(c->cafile));
	free(v);
	c->max_conns = setting_int(st, "delivery.max_conns");
	c->max_conns_per_dest = setting_int(st, "delivery.max_conns_per_dest");
	c->retry_initial = setting_int(st, "delivery.retry_initial");
	c->retry_max = setting_int(st, "delivery.retry_max");
	c->max_queue_time = setting_int(st, "delivery.max_queue_time");
	c->bounces = setting_int(st, "delivery.bounces");
	if (logsub_load(st, &c->logsubs, &c->nlogsubs, cause) < 0)
		goto fail;
	c->tdc_enabled = setting_int(st, "tdc.enabled");
	v = settings_get(st, "tdc.intake_address");
	str_copy(c->tdc_intake, v, sizeof(c->tdc_intake));
	free(v);
	v = settings_get(st, "tdc.remote_ip_header");
	str_copy(c->tdc_ip_header, v, sizeof(c->tdc_ip_header));
	free(v);
	c->tdc_max_queue_time = setting_int(st, "tdc.max_queue_time");
	c->tdc_retry_delay = setting_int(st, "tdc.retry_delay");
	return c;
fail:
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
	free(c->server_key);
	free(c->logsubs);
	free(c);
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
