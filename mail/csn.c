/*
 * csn.c - the Cisco Success Network telemetry payload (see csn.h): read
 * the real state into a struct csn_payload, and turn that into the JSON
 * mxgated sends and `csn print` shows.
 *
 * The JSON is built with cJSON in a fixed field order and printed
 * unformatted, so the same payload is always the same bytes. Numbers:
 * installDate is a whole number of ms below 2^53, which cJSON prints
 * exactly (as an integer) from its double.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause when the store or the
 * queue cannot be read.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mail/csn.h"
#include "mail/filterconf.h"
#include "mail/remedconf.h"
#include "store/cloud.h"
#include "store/cluster.h"
#include "store/config.h"
#include "store/queue.h"
#include "store/remed.h"
#include "store/settings.h"
#include "util/str.h"
#include "util/version.h"

/* How a feature is found on or off in the committed configuration. */
enum csn_test {
	CSN_SETTING,		/* a bool setting says yes (either of two) */
	CSN_SECTION,		/* a configuration section has an item */
	CSN_FILTERS,		/* an active, valid message filter exists */
	CSN_CFILTERS,		/* a valid content filter exists */
};

static const struct {
	const char *name;
	const char *id;		/* never change: the cloud tells features apart by it */
	enum csn_test test;
	const char *what, *what2;	/* settings or section */
} features[] = {
	{ "Threat Defense Connector", "7ce5742e-7e0c-4676-b46c-f8a82bedb699", CSN_SETTING,
	    "tdc.enabled", NULL },
	{ "Email Threat Defense API Polling", "f3492687-b6a3-424e-a5c0-b7db441034e6",
	    CSN_SETTING, "tdc.polling", NULL },
	{ "Mailbox Remediation", "804f0387-36f7-4dae-bf87-7140d303c8c9", CSN_SECTION,
	    REMEDCONF_PROFILE_SECTION, NULL },
	{ "Sender Domain Reputation", "4d1383a3-a0c4-4bdf-9d0a-09dd611295b0", CSN_SETTING,
	    "sdr.enabled", NULL },
	{ "Message Filters", "18ba0a9d-92ce-47d4-a061-594b189d3a02", CSN_FILTERS, NULL, NULL },
	{ "Content Filters", "8b6357e7-97b8-4a6b-9223-77bd5247d036", CSN_CFILTERS, NULL, NULL },
	{ "AsyncOS API", "563f0269-ad39-4778-9161-23d2b8d6d8bd", CSN_SETTING, "api.http",
	    "api.https" },
	{ "Cisco Cloud Service", "ca28d01b-25e9-46e1-b247-8a9b0d352929", CSN_SETTING,
	    "cloud.enabled", NULL },
	{ "Cisco Success Network", "5bc5f3a1-f2e2-4b46-9304-0d13dd3c88f9", CSN_SETTING,
	    "cloud.csn", NULL },
};

#define NFEATURES ((int)(sizeof(features) / sizeof(features[0])))

/* bool_setting - is a bool setting yes in st's view? 0/1, -1 with *cause */
static int
bool_setting(struct store *st, const char *name, char **cause)
{
	char *v = NULL;
	int on;

	if (settings_read(st, name, &v, cause) < 0)
		return -1;
	on = strcmp(v, "yes") == 0;
	free(v);
	return on;
}

/* filters_on - does a section hold a filter that runs? 0/1, -1 */
static int
filters_on(struct store *st, const char *section, int need_active, char **cause)
{
	struct filter_set s = { 0 };
	int on = 0;

	if (filterconf_load(st, section, &s, cause) < 0)
		return -1;
	for (int i = 0; i < s.n && !on; i++)
		on = s.e[i].valid && (!need_active || s.e[i].active);
	filterconf_free(&s);
	return on;
}

/* feature_on - feature i in the committed configuration: 0/1, -1 */
static int
feature_on(struct store *st, int i, char **cause)
{
	int on = 0, reached = 0;

	switch (features[i].test) {
	case CSN_SETTING:
		on = bool_setting(st, features[i].what, cause);
		if (on == 0 && features[i].what2)
			on = bool_setting(st, features[i].what2, cause);
		return on;
	case CSN_SECTION:
		if (config_count_atleast(st, features[i].what, 1, &reached, cause) < 0)
			return -1;
		return reached != 0;
	case CSN_FILTERS:
		return filters_on(st, FILTER_SECTION, 1, cause);
	case CSN_CFILTERS:
		return filters_on(st, CFILTER_SECTION, 0, cause);
	}
	return 0;
}

/* csn_install_ms - see csn.h */
int
csn_install_ms(struct queue *q, const char *dir, long long *ms, char **cause)
{
	struct statx sx;
	char *v = NULL, *end, text[32];
	struct timespec now;

	if (statx(AT_FDCWD, dir, 0, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME) &&
	    sx.stx_btime.tv_sec > 0) {
		*ms = (long long)sx.stx_btime.tv_sec * 1000 + sx.stx_btime.tv_nsec / 1000000;
		return 0;
	}
	/*
	 * no birth time here: the first caller's clock, kept. Insert-if-absent
	 * then read, so that two callers at once (mxsh's print, mxgated's
	 * send) both end up with the one value that was kept.
	 */
	clock_gettime(CLOCK_REALTIME, &now);
	str_fmt(text, sizeof(text), "%lld", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	if (queue_state_set_if_absent(q, CSN_INSTALL_STATE, text, cause) < 0)
		return -1;
	if (queue_state_read(q, CSN_INSTALL_STATE, &v, cause) < 0)
		return -1;
	if (v == NULL) {
		*cause = str_dup("the install date was not kept in queue.db");
		return -1;
	}
	*ms = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || *ms <= 0) {
		*cause = str_printf("queue.db holds a damaged install date: '%.40s'", v);
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

/* csn_in_cluster - see csn.h */
int
csn_in_cluster(struct store *st, char **cause)
{
	struct cluster_member m;
	int rc = cluster_member_get(st, &m, cause);

	if (rc == 0)
		cluster_member_free(&m);
	return rc < 0 ? -1 : rc == 0;
}

/* csn_collect - see csn.h */
int
csn_collect(struct store *st, struct queue *q, const char *dir, const struct cloud_reg *reg,
    struct csn_payload *p, char **cause)
{
	*p = (struct csn_payload){ 0 };
	if (remed_serial(q, p->uid, sizeof(p->uid), cause) < 0)
		return -1;
	if (reg) {
		str_copy(p->sivan, reg->virtual_account, sizeof(p->sivan));
		str_copy(p->account, reg->account_id, sizeof(p->account));
	}
	/* "cluster" while this machine is a member (clusterconfig create/join) */
	if ((p->cluster = csn_in_cluster(st, cause)) < 0)
		return -1;
	str_copy(p->version, MXGATE_VERSION, sizeof(p->version));
	if (csn_install_ms(q, dir, &p->install_ms, cause) < 0)
		return -1;
	if (store_read_begin(st, cause) < 0)
		return -1;
	for (int i = 0; i < NFEATURES && i < CSN_FEATURES_MAX; i++) {
		int on = feature_on(st, i, cause);

		if (on < 0) {
			store_read_end(st);
			return -1;
		}
		p->features[i].name = features[i].name;
		p->features[i].id = features[i].id;
		p->features[i].enabled = on;
		p->nfeatures = i + 1;
	}
	store_read_end(st);
	return 0;
}

/* csn_json - see csn.h */
char *
csn_json(const struct csn_payload *p)
{
	cJSON *o = cJSON_CreateObject(), *list;
	char *text;

	if (o == NULL)
		abort();
	cJSON_AddStringToObject(o, "UID", p->uid);
	cJSON_AddStringToObject(o, "model", CSN_MODEL);
	cJSON_AddStringToObject(o, "sIVAN", p->sivan);
	cJSON_AddStringToObject(o, "deployment", p->cluster ? "cluster" : "standalone");
	cJSON_AddStringToObject(o, "userAccountID", p->account);
	cJSON_AddStringToObject(o, "version", p->version);
	cJSON_AddNumberToObject(o, "installDate", (double)p->install_ms);
	list = cJSON_AddArrayToObject(o, "features");
	for (int i = 0; list && i < p->nfeatures; i++) {
		const struct csn_feature *f = &p->features[i];
		cJSON *e = cJSON_CreateObject();

		if (e == NULL)
			abort();
		cJSON_AddStringToObject(e, "name", f->name);
		cJSON_AddBoolToObject(e, "enabled", f->enabled);
		cJSON_AddStringToObject(e, "status", f->enabled ? "active" : "inactive");
		cJSON_AddNullToObject(e, "expiry");
		cJSON_AddStringToObject(e, "featureID", f->id);
		cJSON_AddItemToArray(list, e);
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (text == NULL)
		abort();	/* only allocation fails here */
	return text;
}
