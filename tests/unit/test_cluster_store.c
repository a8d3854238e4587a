/*
 * test_cluster_store.c - config.db's side of clusters (store/cluster.c,
 * issue 15): migration 5, the membership (secrets sealed at rest), the
 * level views of a session (reads, staging, pending list, history,
 * rollback, commit refused), the candidate in clear, applying etcd
 * revisions (idempotent; cluster < group < machine; a deleted machine
 * item falls back), group changes, snapshots, the effective check, and
 * leaving (main.config kept).
 *
 * The raw sqlite3 API is used only to look at what the file holds.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>

#include "store/cluster.h"
#include "store/config.h"
#include "store/secret.h"
#include "store/settings.h"
#include "util/str.h"
#include "tests/unit/unit.h"

#define OK(call) do { if ((call) < 0) UNIT_FAIL("%s: %s", #call, cause ? cause : "(no cause)"); } while (0)

#define SECRET_NAME "tdc.client_secret"

/* ------------------------------------------------------------ helpers */

static char *
fresh_dir(void)
{
	return str_printf("%s/data", unit_tmpdir());
}

static struct store *
open_ok(const char *dir)
{
	struct store *st = NULL;
	char *cause = NULL;

	if (store_open(dir, STORE_SESSION, &st, &cause) < 0)
		UNIT_FAIL("store_open %s: %s", dir, cause ? cause : "(no cause)");
	return st;
}

/* raw_long - a number from DIR/config.db through a private connection */
static long long
raw_long(const char *dir, const char *sql)
{
	char *path = str_printf("%s/config.db", dir);
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		UNIT_FAIL("raw %s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(path);
	return v;
}

/* file_has - does DIR/NAME contain needle? */
static int
file_has(const char *dir, const char *name, const char *needle)
{
	char *path = str_printf("%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	int found = 0;

	free(path);
	if (f == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xmalloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		UNIT_FAIL("short read");
	fclose(f);
	for (long i = 0; i + (long)strlen(needle) <= n; i++)
		if (memcmp(buf + i, needle, strlen(needle)) == 0) {
			found = 1;
			break;
		}
	free(buf);
	return found;
}

/* join - this machine is gw1 of cluster C in group G1 */
static void
join(struct store *st, const char *group)
{
	struct cluster_member m = { 0 };
	char *cause = NULL;

	str_copy(m.cluster, "C", sizeof(m.cluster));
	str_copy(m.machine, "gw1", sizeof(m.machine));
	str_copy(m.group, group, sizeof(m.group));
	str_copy(m.endpoints, "https://127.0.0.1:2379", sizeof(m.endpoints));
	m.ca_pem = "CA-PEM";
	m.cert_pem = "CERT-PEM";
	m.key_pem = "-----BEGIN PRIVATE KEY-----TOPSECRETKEYTEXT";
	memset(m.key, 'K', sizeof(m.key));
	OK(cluster_member_set(st, &m, &cause));
}

/* put - apply one item at one revision (value NULL: delete), with its record */
static int64_t
put(struct store *st, int64_t rev, const char *level, const char *section, const char *key,
    const char *value, const char *comment)
{
	struct cluster_item it = { level, section, key, value, rev };
	struct cluster_rec_change ch = { section, key, NULL, value };
	struct cluster_commit_rec rec = { level, rev, time(NULL), "alice", comment, "gw2", &ch, 1 };
	int64_t mc = -1;
	char *cause = NULL;

	OK(cluster_apply(st, rev, &it, 1, &rec, 1, "G1", &mc, &cause));
	return mc;
}

/* get - the value a session (or the running configuration) sees; "" for none */
static char *
get(struct store *st, const char *section, const char *key, int running)
{
	char *v = NULL, *cause = NULL;

	OK((running ? config_get_running : config_get)(st, section, key, &v, &cause));
	return v ? v : str_dup("(none)");
}

#define CHECK_GET(st, sec, key, running, want) do { char *_v = get(st, sec, key, running); \
	CHECK_STR(_v, want); free(_v); } while (0)

static int
collect(const char *section, const char *key, const char *value, void *arg)
{
	char *t = arg;
	size_t n = strlen(t);

	(void)section;
	snprintf(t + n, 1024 - n, "%s=%s;", key, value);
	return 0;
}

static int
collect_change(const char *section, const char *key, const char *o, const char *n, void *arg)
{
	char *t = arg;
	size_t l = strlen(t);

	snprintf(t + l, 1024 - l, "%s.%s:%s>%s;", section, key, o ? o : "-", n ? n : "-");
	return 0;
}

static int
collect_commit(const struct config_commit *c, void *arg)
{
	char *t = arg;
	size_t l = strlen(t);

	snprintf(t + l, 1024 - l, "%lld:%s:%s:%d;", (long long)c->id, c->user, c->comment,
	    c->nchanges);
	return 0;
}

/* -------------------------------------------------------------- cases */

static void
test_migration(void)
{
	char *dir = fresh_dir();
	struct store *st = open_ok(dir);

	CHECK_INT(STORE_SCHEMA_VERSION, 5);
	CHECK_INT(store_schema_version(st), 5);
	store_close(st);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM sqlite_master WHERE name IN ("
				"'cluster_member', 'cluster_state', 'cluster_machine_items', "
				"'lvl_config', 'lvl_commits', 'lvl_commit_changes', "
				"'lvl_secret_history')"), 7);
	free(dir);
}

static void
test_member(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir);
	struct cluster_member m;
	unsigned char want[CLUSTER_KEY_LEN];

	CHECK_INT(cluster_member_get(st, &m, &cause), 1);
	CHECK(cluster_name_ok("gw-1.a_b"));
	CHECK(!cluster_name_ok(""));
	CHECK(!cluster_name_ok("a b"));
	CHECK(!cluster_name_ok("a/b"));
	join(st, "G1");
	store_close(st);

	st = open_ok(dir);
	CHECK_INT(cluster_member_get(st, &m, &cause), 0);
	CHECK_STR(m.cluster, "C");
	CHECK_STR(m.machine, "gw1");
	CHECK_STR(m.group, "G1");
	CHECK_STR(m.endpoints, "https://127.0.0.1:2379");
	CHECK_STR(m.ca_pem, "CA-PEM");
	CHECK_STR(m.cert_pem, "CERT-PEM");
	CHECK_STR(m.key_pem, "-----BEGIN PRIVATE KEY-----TOPSECRETKEYTEXT");
	memset(want, 'K', sizeof(want));
	CHECK(memcmp(m.key, want, sizeof(want)) == 0);
	cluster_member_free(&m);
	/* a bad name is refused */
	{
		struct cluster_member b = { 0 };

		str_copy(b.cluster, "a b", sizeof(b.cluster));
		str_copy(b.machine, "gw1", sizeof(b.machine));
		CHECK_INT(cluster_member_set(st, &b, &cause), -1);
		free(cause);
		cause = NULL;
	}
	store_close(st);
	/* neither the TLS key nor the cluster key in clear in the file or its WAL */
	CHECK(!file_has(dir, "config.db", "TOPSECRETKEYTEXT"));
	CHECK(!file_has(dir, "config.db-wal", "TOPSECRETKEYTEXT"));
	CHECK(!file_has(dir, "config.db", "S0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0"));
	CHECK(!file_has(dir, "config.db-wal", "S0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0"));

	st = open_ok(dir);
	OK(cluster_state_set(st, "primary", "gw1", &cause));
	{
		char *v = cluster_state_get(st, "primary");

		CHECK_STR(v, "gw1");
		free(v);
	}
	OK(cluster_leave(st, &cause));
	CHECK_INT(cluster_member_get(st, &m, &cause), 1);
	CHECK(cluster_state_get(st, "primary") == NULL);
	store_close(st);
	free(dir);
}

static void
test_seal_digest(void)
{
	unsigned char k[CLUSTER_KEY_LEN], k2[CLUSTER_KEY_LEN];
	char *sealed = NULL, *clear = NULL, *cause = NULL, d1[65], d2[65];
	char *dir = fresh_dir();
	struct store *st = open_ok(dir);

	memset(k, 1, sizeof(k));
	memset(k2, 2, sizeof(k2));
	OK(cluster_seal(k, "setting", SECRET_NAME, "hush", &sealed, &cause));
	CHECK(strncmp(sealed, "enc:v1:", 7) == 0);
	OK(cluster_unseal(k, "setting", SECRET_NAME, sealed, &clear, &cause));
	CHECK_STR(clear, "hush");
	free(clear);
	CHECK_INT(cluster_unseal(k2, "setting", SECRET_NAME, sealed, &clear, &cause), -1);
	free(cause);
	cause = NULL;
	free(sealed);
	OK(cluster_seal(k, "setting", SECRET_NAME, "", &sealed, &cause));
	CHECK_STR(sealed, "");
	free(sealed);

	join(st, "G1");
	put(st, 10, "cluster", "setting", SECRET_NAME, "hush", "one");
	OK(cluster_digest(st, "G1", d1, &cause));
	CHECK_INT(strlen(d1), 64);
	/* the same clear value sealed again: the same digest */
	put(st, 11, "cluster", "setting", SECRET_NAME, "hush", "again");
	OK(cluster_digest(st, "G1", d2, &cause));
	CHECK_STR(d1, d2);
	put(st, 12, "group:G1", "s", "k", "v", "grp");
	OK(cluster_digest(st, "G1", d2, &cause));
	CHECK(strcmp(d1, d2) != 0);
	OK(cluster_digest(st, "G2", d2, &cause));
	CHECK_STR(d1, d2);
	store_close(st);
	free(dir);
}

static void
test_local_export(void)
{
	char *dir = fresh_dir(), *cause = NULL, seen[1024] = "";
	struct store *st = open_ok(dir);

	CHECK(cluster_item_local("setting", "system.hostname"));
	CHECK(cluster_item_local("setting", "api.https_port"));
	CHECK(cluster_item_local("listener", "in1"));
	CHECK(!cluster_item_local("setting", "dns.timeout"));
	CHECK(!cluster_item_local("smtproutes", "x"));
	OK(config_set(st, "setting", "system.hostname", "gw1.example", &cause));
	OK(config_set(st, "listener", "in1", "{}", &cause));
	OK(config_set(st, "setting", "dns.timeout", "7", &cause));
	OK(config_set(st, "setting", SECRET_NAME, "hush", &cause));
	OK(config_commit(st, "root", "", NULL, &cause));
	OK(cluster_export(st, collect, seen, &cause));
	CHECK_STR(seen, "dns.timeout=7;tdc.client_secret=hush;");
	join(st, "G1");
	OK(cluster_mark_local(st, &cause));
	CHECK_INT(cluster_is_machine_item(st, "setting", "system.hostname"), 1);
	CHECK_INT(cluster_is_machine_item(st, "listener", "in1"), 1);
	CHECK_INT(cluster_is_machine_item(st, "setting", "dns.timeout"), 0);
	store_close(st);
	free(dir);
}

/*
 * The levels and main.config: cluster < group < machine; idempotent
 * applies; a deleted machine item falls back; group change; snapshot.
 */
static void
test_apply(void)
{
	char *dir = fresh_dir(), *cause = NULL, seen[1024] = "";
	struct store *st = open_ok(dir);
	int64_t v0, mc;

	join(st, "G1");
	v0 = config_version(st);
	mc = put(st, 10, "cluster", "s", "a", "c1", "first");
	CHECK(mc > v0);
	CHECK_INT(config_version(st), mc);
	CHECK_INT(cluster_applied_rev(st), 10);
	CHECK_GET(st, "s", "a", 1, "c1");
	{
		struct config_commit c;

		CHECK_INT(config_commit_get(st, mc, &c, &cause), 0);
		CHECK_STR(c.user, "alice");
		CHECK_STR(c.comment, "cluster revision 10: first");
		CHECK_INT(c.nchanges, 1);
	}
	/* again, and anything at or below the applied revision: nothing */
	CHECK_INT(put(st, 10, "cluster", "s", "a", "other", "again"), 0);
	CHECK_INT(put(st, 9, "cluster", "s", "a", "other", "older"), 0);
	CHECK_GET(st, "s", "a", 1, "c1");
	CHECK_INT(config_version(st), mc);

	/* the group overrides the cluster; another group does not */
	CHECK(put(st, 11, "group:G1", "s", "a", "g1", "grp") > mc);
	CHECK_GET(st, "s", "a", 1, "g1");
	CHECK_INT(put(st, 12, "group:G2", "s", "a", "g2", "other grp"), 0);
	CHECK_GET(st, "s", "a", 1, "g1");
	CHECK_INT(cluster_applied_rev(st), 12);
	/* the cluster changes underneath the group: no effective change */
	CHECK_INT(put(st, 13, "cluster", "s", "a", "c2", "c2"), 0);
	CHECK_GET(st, "s", "a", 1, "g1");

	/* a machine item overrides both and stays when they change */
	OK(config_set(st, "s", "a", "m1", &cause));
	OK(config_commit(st, "root", "mine", NULL, &cause));
	CHECK_INT(cluster_is_machine_item(st, "s", "a"), 1);
	CHECK_INT(put(st, 14, "group:G1", "s", "a", "g1b", "g1b"), 0);
	CHECK_GET(st, "s", "a", 1, "m1");
	/* deleting it at the machine level puts back the group's value */
	OK(config_delete(st, "s", "a", &cause));
	OK(config_commit(st, "root", "drop mine", &mc, &cause));
	CHECK_INT(cluster_is_machine_item(st, "s", "a"), 0);
	CHECK_GET(st, "s", "a", 1, "g1b");
	OK(config_commit_changes(st, mc, collect_change, seen, &cause));
	CHECK_STR(seen, "s.a:m1>g1b;");
	/* a machine item no level has is simply deleted */
	OK(config_set(st, "s", "only", "m", &cause));
	OK(config_commit(st, "root", "", NULL, &cause));
	OK(config_delete(st, "s", "only", &cause));
	OK(config_commit(st, "root", "", NULL, &cause));
	CHECK_GET(st, "s", "only", 1, "(none)");

	/* the group deletes its value: the cluster's shows */
	put(st, 15, "group:G1", "s", "a", NULL, "del");
	CHECK_GET(st, "s", "a", 1, "c2");
	/* the machine moves to G2 */
	put(st, 16, "group:G2", "s", "b", "g2b", "g2b");
	CHECK_GET(st, "s", "b", 1, "(none)");
	OK(cluster_group_set(st, "G2", "admin", &mc, &cause));
	CHECK(mc > 0);
	CHECK_GET(st, "s", "a", 1, "g2");
	CHECK_GET(st, "s", "b", 1, "g2b");
	{
		struct cluster_member m;

		CHECK_INT(cluster_member_get(st, &m, &cause), 0);
		CHECK_STR(m.group, "G2");
		cluster_member_free(&m);
	}

	/* a snapshot replaces the levels: what it lacks goes */
	{
		struct cluster_item items[] = {
			{ "cluster", "s", "a", "snap", 20 },
			{ "cluster", "s", "new", "n", 20 },
		};

		OK(cluster_snapshot(st, 20, items, 2, NULL, 0, "G2", &mc, &cause));
		CHECK(mc > 0);
		CHECK_GET(st, "s", "a", 1, "snap");
		CHECK_GET(st, "s", "new", 1, "n");
		CHECK_GET(st, "s", "b", 1, "(none)");
		CHECK_INT(cluster_applied_rev(st), 20);
		/* below the applied revision: nothing */
		OK(cluster_snapshot(st, 19, NULL, 0, NULL, 0, "G2", &mc, &cause));
		CHECK_INT(mc, 0);
		CHECK_GET(st, "s", "a", 1, "snap");
	}

	/* leaving keeps main.config */
	OK(cluster_leave(st, &cause));
	CHECK_GET(st, "s", "a", 1, "snap");
	CHECK_INT(cluster_applied_rev(st), 0);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM lvl_config"), 0);
	store_close(st);
	free(dir);
}

/* A secret from etcd: sealed locally at the level and in main.config, clear to readers. */
static void
test_apply_secret(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir);

	join(st, "G1");
	put(st, 10, "cluster", "setting", SECRET_NAME, "CLEARVALUE1", "s");
	CHECK_GET(st, "setting", SECRET_NAME, 1, "CLEARVALUE1");
	put(st, 11, "cluster", "setting", SECRET_NAME, "CLEARVALUE2", "s2");
	CHECK_GET(st, "setting", SECRET_NAME, 1, "CLEARVALUE2");
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM lvl_secret_history WHERE commit_id = 11"), 1);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM commit_changes WHERE new = 'CLEARVALUE2'"),
	    0);
	OK(cluster_session_level(st, "cluster", &cause));
	CHECK_GET(st, "setting", SECRET_NAME, 0, "CLEARVALUE2");
	/* rollback at the level to revision 10 stages the old value, sealed */
	OK(config_stage_rollback(st, 10, &cause));
	{
		struct cluster_change *ch;
		int n;

		OK(cluster_candidate(st, &ch, &n, &cause));
		CHECK_INT(n, 1);
		CHECK_STR(ch[0].value, "CLEARVALUE1");
		CHECK_STR(ch[0].old, "CLEARVALUE2");
		CHECK_INT(ch[0].base_rev, 11);
		CHECK_INT(ch[0].secret, 1);
		cluster_changes_free(ch, n);
	}
	store_close(st);
	CHECK(!file_has(dir, "config.db", "CLEARVALUE"));
	CHECK(!file_has(dir, "config.db-wal", "CLEARVALUE"));
	free(dir);
}

/* A session at a level: reads, stages, lists, history, rollback; commit refused. */
static void
test_session_level(void)
{
	char *dir = fresh_dir(), *cause = NULL, seen[1024] = "";
	struct store *st = open_ok(dir);
	struct cluster_change *ch;
	int n;

	/* not in a cluster: refused */
	CHECK_INT(cluster_session_level(st, "cluster", &cause), -1);
	free(cause);
	cause = NULL;
	OK(config_set(st, "s", "mach", "m", &cause));
	OK(config_commit(st, "root", "", NULL, &cause));
	join(st, "G1");
	OK(cluster_mark_local(st, &cause));
	put(st, 10, "cluster", "s", "a", "c1", "first");
	put(st, 11, "cluster", "s", "b", "c2", "second");
	put(st, 12, "group:G1", "s", "a", "g1", "grp");

	CHECK_STR(cluster_session_current(st), "machine");
	CHECK_INT(cluster_session_level(st, "bogus", &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(cluster_session_level(st, "group:a b", &cause), -1);
	free(cause);
	cause = NULL;
	OK(cluster_session_level(st, "cluster", &cause));
	CHECK_STR(cluster_session_current(st), "cluster");
	OK(config_list(st, "s", collect, seen, &cause));
	CHECK_STR(seen, "a=c1;b=c2;");
	CHECK_GET(st, "s", "mach", 0, "(none)");
	CHECK_GET(st, "s", "a", 0, "c1");
	CHECK_INT(config_version(st), 11);

	/* staging at the level: base_rev is the level's revision */
	OK(config_set(st, "s", "a", "c1x", &cause));
	OK(config_delete(st, "s", "b", &cause));
	OK(config_set(st, "setting", SECRET_NAME, "newhush", &cause));
	CHECK_INT(config_pending(st), 3);
	seen[0] = '\0';
	OK(config_pending_list(st, collect_change, seen, &cause));
	CHECK_STR(seen, "s.a:c1>c1x;s.b:c2>-;setting.tdc.client_secret:->changed;");
	OK(cluster_candidate(st, &ch, &n, &cause));
	CHECK_INT(n, 3);
	CHECK_STR(ch[0].key, "a");
	CHECK_STR(ch[0].value, "c1x");
	CHECK_STR(ch[0].old, "c1");
	CHECK_INT(ch[0].base_rev, 10);
	CHECK(ch[1].value == NULL);
	CHECK_INT(ch[1].base_rev, 11);
	CHECK_STR(ch[2].value, "newhush");
	CHECK(ch[2].old == NULL);
	CHECK_INT(ch[2].base_rev, 0);
	CHECK_INT(ch[2].secret, 1);
	cluster_changes_free(ch, n);
	/* commit goes to etcd, not here */
	CHECK_INT(config_commit(st, "root", "", NULL, &cause), -1);
	CHECK(strstr(cause, "etcd") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(config_pending(st), 3);
	/* switching with pending changes is refused */
	CHECK_INT(cluster_session_level(st, "machine", &cause), -1);
	free(cause);
	cause = NULL;
	OK(cluster_session_level(st, "cluster", &cause));	/* the same level: fine */
	CHECK_INT(cluster_session_level(st, "group:G1", &cause), -1);
	free(cause);
	cause = NULL;

	/* history at the level: the records, with revisions as ids */
	seen[0] = '\0';
	OK(config_history(st, 10, collect_commit, seen, &cause));
	CHECK_STR(seen, "11:alice:second:1;10:alice:first:1;");
	seen[0] = '\0';
	OK(config_commit_changes(st, 11, collect_change, seen, &cause));
	CHECK_STR(seen, "s.b:->c2;");

	/* rollback to revision 10 stages the reverse of 11 */
	OK(config_clear(st, &cause));
	OK(config_stage_rollback(st, 10, &cause));
	seen[0] = '\0';
	OK(config_pending_list(st, collect_change, seen, &cause));
	CHECK_STR(seen, "s.b:c2>-;");
	OK(config_clear(st, &cause));

	/* the group's level */
	OK(cluster_session_level(st, "group:G1", &cause));
	seen[0] = '\0';
	OK(config_list(st, "s", collect, seen, &cause));
	CHECK_STR(seen, "a=g1;");
	seen[0] = '\0';
	OK(config_history(st, 10, collect_commit, seen, &cause));
	CHECK_STR(seen, "12:alice:grp:1;");

	/* back at the machine: the effective configuration */
	OK(cluster_session_level(st, "machine", &cause));
	CHECK_STR(cluster_session_current(st), "machine");
	seen[0] = '\0';
	OK(config_list(st, "s", collect, seen, &cause));
	CHECK_STR(seen, "a=g1;b=c2;mach=m;");
	store_close(st);
	free(dir);
}

/* Applying while a session sits at a level: the views come back. */
static void
test_apply_in_session(void)
{
	char *dir = fresh_dir(), *cause = NULL, seen[1024] = "";
	struct store *st = open_ok(dir);

	join(st, "G1");
	put(st, 10, "cluster", "s", "a", "c1", "first");
	OK(cluster_session_level(st, "cluster", &cause));
	put(st, 11, "cluster", "s", "b", "c2", "second");
	CHECK_STR(cluster_session_current(st), "cluster");
	OK(config_list(st, "s", collect, seen, &cause));
	CHECK_STR(seen, "a=c1;b=c2;");
	CHECK_GET(st, "s", "b", 1, "c2");
	store_close(st);
	free(dir);
}

struct check_arg {
	char *seen_a, *seen_b;
};

static int
check_cb(struct store *st, void *arg, char **cause)
{
	struct check_arg *a = arg;

	if (config_get(st, "s", "a", &a->seen_a, cause) < 0 ||
	    config_get(st, "s", "b", &a->seen_b, cause) < 0)
		return -1;
	if (a->seen_a && strcmp(a->seen_a, "bad") == 0) {
		*cause = str_dup("s a may not be bad");
		return -1;
	}
	return 0;
}

static void
test_check_effective(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir);
	struct check_arg a = { NULL, NULL };

	join(st, "G1");
	put(st, 10, "cluster", "s", "a", "c1", "first");
	put(st, 11, "cluster", "s", "b", "c2", "second");
	OK(cluster_session_level(st, "cluster", &cause));
	OK(config_set(st, "s", "a", "c1x", &cause));
	OK(config_delete(st, "s", "b", &cause));
	OK(cluster_check_effective(st, check_cb, &a, &cause));
	CHECK_STR(a.seen_a, "c1x");
	CHECK(a.seen_b == NULL);
	free(a.seen_a);
	a.seen_a = NULL;
	OK(config_set(st, "s", "a", "bad", &cause));
	CHECK_INT(cluster_check_effective(st, check_cb, &a, &cause), -1);
	CHECK_STR(cause, "s a may not be bad");
	free(cause);
	free(a.seen_a);
	/* still at the level afterwards */
	CHECK_STR(cluster_session_current(st), "cluster");
	CHECK_GET(st, "s", "b", 1, "c2");
	CHECK_INT(config_version(st), 11);
	/* a group value wins here over the cluster's change; the candidate is kept */
	OK(config_clear(st, &cause));
	put(st, 12, "group:G1", "s", "a", "g1", "grp");
	OK(config_set(st, "s", "a", "bad", &cause));
	OK(config_delete(st, "s", "b", &cause));
	a.seen_a = a.seen_b = NULL;
	OK(cluster_check_effective(st, check_cb, &a, &cause));
	CHECK_STR(a.seen_a, "g1");
	CHECK(a.seen_b == NULL);
	free(a.seen_a);
	CHECK_INT(config_pending(st), 2);
	/* at the group's level a delete falls back to the cluster's value */
	OK(config_clear(st, &cause));
	OK(cluster_session_level(st, "group:G1", &cause));
	OK(config_delete(st, "s", "a", &cause));
	a.seen_a = a.seen_b = NULL;
	OK(cluster_check_effective(st, check_cb, &a, &cause));
	CHECK_STR(a.seen_a, "c1");
	CHECK_STR(a.seen_b, "c2");
	free(a.seen_a);
	free(a.seen_b);
	CHECK_INT(config_pending(st), 1);
	store_close(st);
	free(dir);
}

/*
 * A session opened before another one joined the cluster still marks what
 * it commits at the machine level (membership is read at commit, not only
 * at open); one opened before a leave does not mark for a later join.
 */
static void
test_commit_other_session(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *early = open_ok(dir), *st = open_ok(dir);

	join(st, "G1");
	put(st, 10, "cluster", "s", "a", "c1", "first");
	CHECK_GET(early, "s", "a", 1, "c1");
	OK(config_set(early, "s", "a", "mine", &cause));
	OK(config_commit(early, "root", "mine", NULL, &cause));
	CHECK_INT(cluster_is_machine_item(st, "s", "a"), 1);
	/* the cluster changes it: the machine's value stays */
	CHECK_INT(put(st, 11, "cluster", "s", "a", "c2", "second"), 0);
	CHECK_GET(st, "s", "a", 1, "mine");

	/* st leaves; early (which saw the membership) commits: no mark left behind */
	OK(cluster_session_level(early, "machine", &cause));
	OK(cluster_leave(st, &cause));
	OK(config_set(early, "s", "b", "x", &cause));
	OK(config_commit(early, "root", "after leave", NULL, &cause));
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM cluster_machine_items"), 0);
	store_close(early);
	store_close(st);
	free(dir);
}

static const struct unit_case cases[] = {
	{ "migration", test_migration },
	{ "member", test_member },
	{ "seal_digest", test_seal_digest },
	{ "local_export", test_local_export },
	{ "apply", test_apply },
	{ "apply_secret", test_apply_secret },
	{ "session_level", test_session_level },
	{ "apply_in_session", test_apply_in_session },
	{ "check_effective", test_check_effective },
	{ "commit_other_session", test_commit_other_session },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("cluster_store", cases, argc, argv);
}
