/*
 * test_cluster_keys.c - mail/cluster.c's key layout and records: the
 * percent-encoding of key parts round-trips and refuses what it would
 * never make, item keys parse back into (level, section, key) and
 * anything else is refused, the alive and primary records round-trip and
 * a primary record of the wrong shape is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "mail/cluster.h"
#include "store/config.h"
#include "tests/unit/unit.h"
#include "util/str.h"

/* test_pct - what is escaped, and the round trip */
static void
test_pct(void)
{
	static const char *const in[] = {
		"smtp", "a/b", "100%", "with space", "tab\tand\nnewline", "caf\xc3\xa9", "~!\"#$&'()",
		"", "%2F", NULL,
	};
	char *p, *u;

	p = clus_pct("a/b%c d");
	CHECK_STR(p, "a%2Fb%25c%20d");
	free(p);
	p = clus_pct("\x7f\x01\xff");
	CHECK_STR(p, "%7F%01%FF");
	free(p);
	for (int i = 0; in[i]; i++) {
		p = clus_pct(in[i]);
		CHECK(strchr(p, '/') == NULL);
		u = clus_unpct(p, strlen(p));
		CHECK_STR(u, in[i]);
		free(p);
		free(u);
	}
	/* only its length is read */
	u = clus_unpct("ab%41zz", 5);
	CHECK_STR(u, "abA");
	free(u);
	u = clus_unpct("%2f", 3);
	CHECK_STR(u, "/");	/* lower-case hex is taken */
	free(u);
}

/* test_unpct_bad - malformed escapes, %00, bytes that should have been escaped */
static void
test_unpct_bad(void)
{
	static const char *const bad[] = {
		"%", "%4", "a%G1", "%00", "a/b", "a b", "\x01", "\xc3\xa9", "%%", NULL,
	};

	for (int i = 0; bad[i]; i++)
		if (clus_unpct(bad[i], strlen(bad[i])) != NULL)
			UNIT_FAIL("clus_unpct(\"%s\") took it", bad[i]);
}

/* test_item_key - clus_item_key and clus_parse_item_key agree */
static void
test_item_key(void)
{
	struct clus c;
	char *k, *lv, *s, *kk;

	memset(&c, 0, sizeof(c));
	str_copy(c.prefix, "/mxgate/c1/", sizeof(c.prefix));
	k = clus_item_key(&c, "cluster", "smtp", "max/size");
	CHECK_STR(k, "/mxgate/c1/cfg/cluster/smtp/max%2Fsize");
	CHECK_INT(clus_parse_item_key(c.prefix, k, &lv, &s, &kk), 0);
	CHECK_STR(lv, "cluster");
	CHECK_STR(s, "smtp");
	CHECK_STR(kk, "max/size");
	free(k);
	free(lv);
	free(s);
	free(kk);
	k = clus_item_key(&c, "group:Main_Group", "tdc", "api key");
	CHECK_STR(k, "/mxgate/c1/cfg/group/Main_Group/tdc/api%20key");
	CHECK_INT(clus_parse_item_key(c.prefix, k, &lv, &s, &kk), 0);
	CHECK_STR(lv, "group:Main_Group");
	CHECK_STR(s, "tdc");
	CHECK_STR(kk, "api key");
	free(k);
	free(lv);
	free(s);
	free(kk);
	CHECK(clus_item_key(&c, "machine", "a", "b") == NULL);
	CHECK(clus_item_key(&c, "group:bad name", "a", "b") == NULL);
	CHECK(clus_item_key(&c, "group:", "a", "b") == NULL);
}

/* test_item_key_bad - keys that are not items */
static void
test_item_key_bad(void)
{
	static const char *const bad[] = {
		"/mxgate/c1/meta",
		"/mxgate/c1/cfg/",
		"/mxgate/c1/cfg/cluster/smtp",
		"/mxgate/c1/cfg/cluster/smtp/",
		"/mxgate/c1/cfg/cluster//key",
		"/mxgate/c1/cfg/cluster/a/b/c",
		"/mxgate/c1/cfg/cluster/a/b%0",
		"/mxgate/c1/cfg/cluster/a/b%00",
		"/mxgate/c1/cfg/group/G/a",
		"/mxgate/c1/cfg/group/bad%20name/a/b",
		"/mxgate/c1/cfg/group//a/b",
		"/mxgate/c1/cfg/machine/a/b",
		"/mxgate/c2/cfg/cluster/a/b",
		"/mxgate/c1/commit/cluster",
		NULL,
	};
	char *lv, *s, *k;

	for (int i = 0; bad[i]; i++) {
		if (clus_parse_item_key("/mxgate/c1/", bad[i], &lv, &s, &k) == 0)
			UNIT_FAIL("%s parsed as an item", bad[i]);
		CHECK(lv == NULL && s == NULL && k == NULL);
	}
}

/* test_records - alive and primary JSON */
static void
test_records(void)
{
	struct clus_primary p;
	char *j;
	cJSON *o;

	j = clus_alive_json("gw1", "Main_Group", 42, "abcdef", 1234, 1700000000);
	o = cJSON_Parse(j);
	CHECK(o != NULL);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(o, "machine")->valuestring, "gw1");
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(o, "group")->valuestring, "Main_Group");
	CHECK_INT(cJSON_GetObjectItemCaseSensitive(o, "applied")->valuedouble, 42);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(o, "digest")->valuestring, "abcdef");
	CHECK_INT(cJSON_GetObjectItemCaseSensitive(o, "pid")->valuedouble, 1234);
	CHECK_INT(cJSON_GetObjectItemCaseSensitive(o, "since")->valuedouble, 1700000000);
	cJSON_Delete(o);
	free(j);
	j = clus_primary_json("gw2", "0123456789AB", 1700000001);
	memset(&p, 0, sizeof(p));
	CHECK_INT(clus_primary_parse(j, &p), 0);
	CHECK_STR(p.machine, "gw2");
	CHECK_STR(p.serial, "0123456789AB");
	CHECK_INT(p.since, 1700000001);
	free(j);
}

/* test_primary_bad - the wrong shapes refused */
static void
test_primary_bad(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"\"gw1\"",
		"{",
		"{}",
		"{\"machine\":\"gw1\",\"serial\":\"S\",\"since\":1} x",
		"{\"machine\":\"gw1\",\"serial\":\"S\"}",
		"{\"machine\":1,\"serial\":\"S\",\"since\":1}",
		"{\"machine\":\"gw 1\",\"serial\":\"S\",\"since\":1}",
		"{\"machine\":\"gw1\",\"serial\":null,\"since\":1}",
		"{\"machine\":\"gw1\",\"serial\":\"S\",\"since\":\"1\"}",
		"{\"machine\":\"gw1\",\"serial\":\"S\",\"since\":-1}",
		"{\"machine\":\"gw1\",\"serial\":\"S\",\"since\":1.5}",
		"{\"machine\":\"gw1\",\"serial\":\"0123456789012345678901234567890123\",\"since\":1}",
		NULL,
	};
	struct clus_primary p;

	for (int i = 0; bad[i]; i++)
		if (clus_primary_parse(bad[i], &p) == 0)
			UNIT_FAIL("took %s", bad[i]);
	CHECK(clus_primary_parse(NULL, &p) < 0);
}

static int
collect_change(const char *section, const char *key, const char *o, const char *n, void *arg)
{
	char *t = arg;
	size_t l = strlen(t);

	snprintf(t + l, 256 - l, "%s.%s:%s>%s;", section, key, o ? o : "-", n ? n : "-");
	return 0;
}

/* ev - an event of the watch (value NULL: a delete) */
static struct etcd_event
ev(const char *key, const char *value, int64_t rev)
{
	struct etcd_event e;

	memset(&e, 0, sizeof(e));
	e.type = value ? ETCD_EV_PUT : ETCD_EV_DELETE;
	e.kv.key = (char *)key;
	e.kv.value = (char *)(value ? value : "");
	e.kv.vlen = strlen(e.kv.value);
	e.kv.mod_rev = rev;
	return e;
}

/*
 * test_apply_events - a revision from etcd, read strictly: another
 * cluster's keys and another group's items do not reach main.config, a
 * secret is opened with the cluster key and sealed locally, a record
 * holding a clear secret keeps only "changed", a malformed item refuses
 * the whole revision
 */
static void
test_apply_events(void)
{
	struct store *st = NULL;
	struct clus c;
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL, *sealed = NULL;
	char *item = NULL, *v = NULL;
	int64_t mc = 0;

	if (store_open(dir, STORE_SESSION, &st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	memset(&c, 0, sizeof(c));
	str_copy(c.m.cluster, "C", sizeof(c.m.cluster));
	str_copy(c.m.machine, "gw1", sizeof(c.m.machine));
	str_copy(c.m.group, "G1", sizeof(c.m.group));
	str_copy(c.m.endpoints, "https://127.0.0.1:1", sizeof(c.m.endpoints));
	memset(c.m.key, 'K', sizeof(c.m.key));
	str_copy(c.prefix, "/mxgate/C/", sizeof(c.prefix));
	if (cluster_member_set(st, &c.m, &cause) < 0)
		UNIT_FAIL("member: %s", cause);
	CHECK_INT(cluster_seal(c.m.key, "setting", "tdc.client_secret", "CLEARSECRET", &sealed,
	    &cause), 0);
	item = str_printf("{\"section\":\"setting\",\"key\":\"tdc.client_secret\",\"value\":\"%s\"}",
	    sealed);
	{
		struct etcd_event e[] = {
			ev("/mxgate/C/cfg/cluster/s/a", "{\"section\":\"s\",\"key\":\"a\",\"value\":\"v1\"}",
			    10),
			ev("/mxgate/D/cfg/cluster/s/b", "{\"section\":\"s\",\"key\":\"b\",\"value\":\"x\"}",
			    10),
			ev("/mxgate/C/cfg/group/G2/s/c", "{\"section\":\"s\",\"key\":\"c\",\"value\":\"x\"}",
			    10),
			ev("/mxgate/C/cfg/cluster/setting/tdc.client_secret", item, 10),
			ev("/mxgate/C/commit/cluster", "{\"user\":\"alice\",\"comment\":\"c\",\"host\":"
			    "\"gw2\",\"time\":1,\"changes\":[{\"section\":\"setting\",\"key\":"
			    "\"tdc.client_secret\",\"old\":null,\"new\":\"CLEARSECRET\"}]}", 10),
		};

		CHECK_INT(clus_apply_events(&c, st, 10, e, 5, &mc, &cause), 0);
	}
	CHECK(mc > 0);
	CHECK_INT(cluster_applied_rev(st), 10);
	CHECK_INT(config_get_running(st, "s", "a", &v, &cause), 0);
	CHECK_STR(v, "v1");
	free(v);
	CHECK_INT(config_get_running(st, "s", "b", &v, &cause), 0);
	CHECK(v == NULL);
	CHECK_INT(config_get_running(st, "s", "c", &v, &cause), 0);
	CHECK(v == NULL);
	CHECK_INT(config_get_running(st, "setting", "tdc.client_secret", &v, &cause), 0);
	CHECK_STR(v, "CLEARSECRET");
	free(v);
	/* the record as this machine keeps it: no clear secret */
	CHECK_INT(cluster_session_level(st, "cluster", &cause), 0);
	{
		char *seen = xcalloc(1, 256);

		CHECK_INT(config_commit_changes(st, 10, collect_change, seen, &cause), 0);
		CHECK_STR(seen, "setting.tdc.client_secret:->changed;");
		free(seen);
	}
	CHECK_INT(cluster_session_level(st, "machine", &cause), 0);
	/* a malformed item refuses its revision: nothing of it applied */
	{
		struct etcd_event e[] = {
			ev("/mxgate/C/cfg/cluster/s/a", "{\"section\":\"s\",\"key\":\"a\",\"value\":\"v2\"}",
			    11),
			ev("/mxgate/C/cfg/cluster/s/d", "{\"section\":\"s\",\"key\":\"OTHER\",\"value\":\"x\"}",
			    11),
		};

		CHECK_INT(clus_apply_events(&c, st, 11, e, 2, &mc, &cause), -1);
		free(cause);
		cause = NULL;
	}
	CHECK_INT(cluster_applied_rev(st), 10);
	CHECK_INT(config_get_running(st, "s", "a", &v, &cause), 0);
	CHECK_STR(v, "v1");
	free(v);
	store_close(st);
	free(item);
	free(sealed);
	free(dir);
}

static const struct unit_case cases[] = {
	{ "pct", test_pct },
	{ "unpct_bad", test_unpct_bad },
	{ "item_key", test_item_key },
	{ "item_key_bad", test_item_key_bad },
	{ "records", test_records },
	{ "primary_bad", test_primary_bad },
	{ "apply_events", test_apply_events },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("test_cluster_keys", cases, argc, argv);
}
