/*
 * test_store.c - the configuration store: open and migrate, file modes,
 * validated settings, the per-session candidate, commit and its conflict
 * check, history, rollback, and several processes committing at once.
 *
 * The raw sqlite3 API is used only to tamper with PRAGMA user_version and
 * to run PRAGMA integrity_check; everything else goes through store/.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* ------------------------------------------------------------ helpers */

/* fresh_dir - a new, not yet existing data directory under the case's tmpdir */
static char *
fresh_dir(void)
{
	return str_printf("%s/data", unit_tmpdir());
}

/* open_ok - store_open that must succeed */
static struct store *
open_ok(const char *dir, enum store_mode mode)
{
	struct store *st = NULL;
	char *cause = NULL;

	if (store_open(dir, mode, &st, &cause) < 0)
		UNIT_FAIL("store_open %s: %s", dir, cause ? cause : "(no cause)");
	CHECK(st != NULL);
	CHECK(cause == NULL);
	return st;
}

/* set_ok - config_set that must succeed */
static void
set_ok(struct store *st, const char *section, const char *key, const char *value)
{
	char *cause = NULL;

	if (config_set(st, section, key, value, &cause) < 0)
		UNIT_FAIL("config_set %s %s=%s: %s", section, key, value, cause);
}

/* del_ok - config_delete that must succeed */
static void
del_ok(struct store *st, const char *section, const char *key)
{
	char *cause = NULL;

	if (config_delete(st, section, key, &cause) < 0)
		UNIT_FAIL("config_delete %s %s: %s", section, key, cause);
}

/* commit_ok - config_commit that must succeed; returns the commit id */
static int64_t
commit_ok(struct store *st, const char *user, const char *comment)
{
	char *cause = NULL;
	int64_t id = -1;

	if (config_commit(st, user, comment, &id, &cause) < 0)
		UNIT_FAIL("config_commit by %s: %s", user, cause);
	CHECK(id > 0);
	CHECK_INT(config_pending(st), 0);
	return id;
}

/* check_value - the item as st sees it is want (NULL: absent) */
#define check_value(st, section, key, want) \
	check_value_at(__FILE__, __LINE__, st, section, key, want)

static void
check_value_at(const char *file, int line, struct store *st, const char *section,
    const char *key, const char *want)
{
	char *v = NULL, *cause = NULL;

	if (config_get(st, section, key, &v, &cause) < 0) {
		fprintf(stderr, "%s:%d: ", file, line);
		UNIT_FAIL("config_get %s %s: %s", section, key, cause);
	}
	if ((v == NULL) != (want == NULL) || (v && strcmp(v, want) != 0)) {
		fprintf(stderr, "%s:%d: ", file, line);
		UNIT_FAIL("%s %s is \"%s\", expected \"%s\"", section, key, v ? v : "(absent)",
		    want ? want : "(absent)");
	}
	free(v);
}

/* check_running - the committed value of an item is want (NULL: absent) */
static void
check_running(struct store *st, const char *section, const char *key, const char *want)
{
	char *v = NULL, *cause = NULL;

	if (config_get_running(st, section, key, &v, &cause) < 0)
		UNIT_FAIL("config_get_running %s %s: %s", section, key, cause);
	if ((v == NULL) != (want == NULL) || (v && strcmp(v, want) != 0))
		UNIT_FAIL("running %s %s is \"%s\", expected \"%s\"", section, key,
		    v ? v : "(absent)", want ? want : "(absent)");
	free(v);
}

/* db_path - DIR/config.db (malloc'd) */
static char *
db_path(const char *dir)
{
	return str_printf("%s/config.db", dir);
}

/* raw_exec - run SQL on DIR/config.db with a private connection */
static void
raw_exec(const char *dir, const char *sql)
{
	sqlite3 *db = NULL;
	char *path = db_path(dir), *err = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		UNIT_FAIL("sqlite3_open %s failed", path);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		UNIT_FAIL("%s: %s", sql, err ? err : "?");
	sqlite3_close(db);
	free(path);
}

/* raw_text - first column of the first row of a query on DIR/config.db (malloc'd) */
static char *
raw_text(const char *dir, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char *path = db_path(dir), *v;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		UNIT_FAIL("sqlite3_open %s failed", path);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		UNIT_FAIL("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) != SQLITE_ROW)
		UNIT_FAIL("%s: no row", sql);
	v = str_dup(sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : "");
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(path);
	return v;
}

/* raw_user_version - PRAGMA user_version read with a private connection */
static long
raw_user_version(const char *dir)
{
	char *v = raw_text(dir, "PRAGMA user_version");
	long n = -1;

	CHECK(str_to_long(v, 0, 1000000, &n) == 0);
	free(v);
	return n;
}

/* history_count - number of commits config_history reports */
static int
count_commit(const struct config_commit *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static int
history_count(struct store *st)
{
	char *cause = NULL;
	int n = 0;

	if (config_history(st, 1000000, count_commit, &n, &cause) < 0)
		UNIT_FAIL("config_history: %s", cause);
	return n;
}

/* A change list collected from config_pending_list / config_commit_changes. */
#define MAX_CHANGES 32

struct change {
	char section[64], key[64];
	char old[128], new[128];
	int has_old, has_new;
};

struct changes {
	int n;
	struct change v[MAX_CHANGES];
};

static int
collect_change(const char *section, const char *key, const char *oldv, const char *newv,
    void *arg)
{
	struct changes *cs = arg;
	struct change *c;

	CHECK(cs->n < MAX_CHANGES);
	c = &cs->v[cs->n++];
	memset(c, 0, sizeof(*c));
	CHECK(str_copy(c->section, section, sizeof(c->section)) == 0);
	CHECK(str_copy(c->key, key, sizeof(c->key)) == 0);
	c->has_old = oldv != NULL;
	c->has_new = newv != NULL;
	if (oldv)
		CHECK(str_copy(c->old, oldv, sizeof(c->old)) == 0);
	if (newv)
		CHECK(str_copy(c->new, newv, sizeof(c->new)) == 0);
	return 0;
}

/* check_change - cs->v[i] is (section, key, old, new); NULL: absent */
static void
check_change(const struct changes *cs, int i, const char *section, const char *key,
    const char *oldv, const char *newv)
{
	const struct change *c;

	CHECK(i < cs->n);
	c = &cs->v[i];
	CHECK_STR(c->section, section);
	CHECK_STR(c->key, key);
	if (oldv == NULL)
		CHECK(!c->has_old);
	else {
		CHECK(c->has_old);
		CHECK_STR(c->old, oldv);
	}
	if (newv == NULL)
		CHECK(!c->has_new);
	else {
		CHECK(c->has_new);
		CHECK_STR(c->new, newv);
	}
}

static void
commit_changes(struct store *st, int64_t id, struct changes *cs)
{
	char *cause = NULL;

	memset(cs, 0, sizeof(*cs));
	if (config_commit_changes(st, id, collect_change, cs, &cause) < 0)
		UNIT_FAIL("config_commit_changes %lld: %s", (long long)id, cause);
}

static void
pending_changes(struct store *st, struct changes *cs)
{
	char *cause = NULL;

	memset(cs, 0, sizeof(*cs));
	if (config_pending_list(st, collect_change, cs, &cause) < 0)
		UNIT_FAIL("config_pending_list: %s", cause);
}

/* check_dump - store_dump(st) is still want */
static void
check_dump(struct store *st, const char *want)
{
	char *now = store_dump(st);

	CHECK(now != NULL);
	if (strcmp(now, want) != 0)
		UNIT_FAIL("store_dump changed:\n--- before\n%s--- after\n%s", want, now);
	free(now);
}

/* ------------------------------------------------------------ the existing case */

static void
test_commit_roundtrip(void)
{
	struct store *st;
	char *cause = NULL, *v;
	int64_t id;

	CHECK(store_open(unit_tmpdir(), STORE_SESSION, &st, &cause) == 0);
	CHECK(settings_set(st, "system.hostname", "GW1.Example.com", &cause) == 0);
	CHECK_INT(config_pending(st), 1);
	CHECK(config_commit(st, "tester", "first", &id, &cause) == 0);
	CHECK_INT(id, 1);
	CHECK_INT(config_pending(st), 0);
	v = settings_get(st, "system.hostname");
	CHECK_STR(v, "gw1.example.com");
	free(v);
	store_close(st);
}

/* ------------------------------------------------------------ open and migrate */

static void
test_schema_fresh(void)
{
	char *dir = fresh_dir();
	struct store *st = open_ok(dir, STORE_SESSION);
	char *n;

	CHECK_INT(store_schema_version(st), STORE_SCHEMA_VERSION);
	CHECK_STR(store_dir(st), dir);
	CHECK_INT(config_version(st), 0);
	CHECK_INT(config_pending(st), 0);
	CHECK_INT(history_count(st), 0);
	store_close(st);

	/* what another program sees in the file */
	CHECK_INT(raw_user_version(dir), STORE_SCHEMA_VERSION);
	n = raw_text(dir, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
			  "name IN ('config', 'commits', 'commit_changes')");
	CHECK_STR(n, "3");
	free(n);
	n = raw_text(dir, "PRAGMA journal_mode");
	CHECK_STR(n, "wal");
	free(n);
	free(dir);
}

static void
test_schema_reopen_noop(void)
{
	char *dir = fresh_dir(), *before, *cause = NULL;
	struct store *st = open_ok(dir, STORE_SESSION);

	set_ok(st, "s", "k", "v");
	commit_ok(st, "t", "one");
	before = store_dump(st);
	store_close(st);

	for (int i = 0; i < 3; i++) {
		st = open_ok(dir, i == 1 ? STORE_RUNNING : STORE_SESSION);
		CHECK_INT(store_schema_version(st), STORE_SCHEMA_VERSION);
		check_dump(st, before);
		check_value(st, "s", "k", "v");
		CHECK_INT(config_version(st), 1);
		/* migrating again to the current version (or below it) changes nothing */
		CHECK(store_migrate_to(st, STORE_SCHEMA_VERSION, &cause) == 0);
		CHECK(store_migrate_to(st, 0, &cause) == 0);
		CHECK(cause == NULL);
		CHECK_INT(store_schema_version(st), STORE_SCHEMA_VERSION);
		check_dump(st, before);
		store_close(st);
	}
	CHECK_INT(raw_user_version(dir), STORE_SCHEMA_VERSION);
	free(before);
	free(dir);
}

static void
test_schema_newer_refused(void)
{
	static const enum store_mode modes[] = { STORE_SESSION, STORE_RUNNING };
	char *dir = fresh_dir(), *sql, *before, *after;
	struct store *st = open_ok(dir, STORE_SESSION);

	set_ok(st, "s", "k", "v");
	commit_ok(st, "t", "keep me");
	store_close(st);
	sql = str_printf("PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
	raw_exec(dir, sql);
	free(sql);
	before = raw_text(dir, "SELECT group_concat(section || key || value || rev) FROM config");

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct store *refused = (struct store *)&refused;	/* must be reset to NULL */
		char *cause = NULL;

		CHECK(store_open(dir, modes[i], &refused, &cause) == -1);
		CHECK(refused == NULL);
		CHECK(cause != NULL);
		if (strstr(cause, "newer") == NULL)
			UNIT_FAIL("cause does not say newer: %s", cause);
		CHECK(strchr(cause, '\n') == NULL);
		free(cause);
	}
	/* refused, not downgraded nor touched */
	CHECK_INT(raw_user_version(dir), STORE_SCHEMA_VERSION + 1);
	after = raw_text(dir, "SELECT group_concat(section || key || value || rev) FROM config");
	CHECK_STR(after, before);
	free(before);
	free(after);
	free(dir);
}

static void
test_open_modes(void)
{
	char *base = str_dup(unit_tmpdir());
	char *dir = str_printf("%s/a/b/data", base), *path, *cause = NULL;
	struct store *st, *bad = NULL;
	struct stat sb;

	/* the modes must come from the code, not from a friendly umask */
	umask(0);
	st = open_ok(dir, STORE_SESSION);
	store_close(st);

	CHECK(stat(dir, &sb) == 0);
	CHECK(S_ISDIR(sb.st_mode));
	CHECK_INT(sb.st_mode & 07777, 0700);
	path = db_path(dir);
	CHECK(stat(path, &sb) == 0);
	CHECK(S_ISREG(sb.st_mode));
	CHECK_INT(sb.st_mode & 07777, 0600);
	free(path);

	/* re-opening keeps the modes */
	st = open_ok(dir, STORE_RUNNING);
	store_close(st);
	path = db_path(dir);
	CHECK(stat(path, &sb) == 0);
	CHECK_INT(sb.st_mode & 07777, 0600);
	free(path);

	/* a data directory that is a file is refused with a cause */
	path = str_printf("%s/plainfile", base);
	{
		FILE *f = fopen(path, "w");

		CHECK(f != NULL);
		fclose(f);
	}
	CHECK(store_open(path, STORE_SESSION, &bad, &cause) == -1);
	CHECK(bad == NULL);
	CHECK(cause != NULL && strstr(cause, path) != NULL);
	free(cause);
	free(path);
	free(dir);
	free(base);
}

/* ------------------------------------------------------------ settings */

struct bad_setting {
	const char *name;
	const char *value;
	const char *cause;	/* a piece of the expected cause */
};

static void
test_settings_refused(void)
{
	char long_host[300], long_label[80], label63[80], huge[2000];
	const struct bad_setting bad[] = {
		{ "system.hostname", "bad..name", "hostname" },
		{ "system.hostname", ".lead.dot", "hostname" },
		{ "system.hostname", "trail.dot.", "hostname" },
		{ "system.hostname", "-dash.example.com", "hostname" },
		{ "system.hostname", "dash-.example.com", "hostname" },
		{ "system.hostname", "sp ace.example.com", "hostname" },
		{ "system.hostname", "semi;colon", "hostname" },
		{ "system.hostname", long_host, "hostname" },
		{ "system.hostname", long_label, "hostname" },
		{ "system.hostname", huge, "too long" },
		{ "no.such.setting", "1", "Unknown setting" },
		{ "system", "x", "Unknown setting" },
		{ "", "x", "Unknown setting" },
		{ "SYSTEM.HOSTNAME", "gw.example.com", "Unknown setting" },
		{ "cli.history_size", "100001", "between 0 and 100000" },
		{ "cli.history_size", "-1", "between 0 and 100000" },
		{ "cli.history_size", "99999999999999999999999", "between" },
		{ "cli.history_size", "abc", "between" },
		{ "cli.history_size", "", "between" },
		{ "cli.history_size", "5x", "between" },
		{ "cli.history_size", " 5", "between" },
		{ "cli.history_size", "0x10", "between" },
		{ "cli.history_size", "1.5", "between" },
	};
	char *dir = fresh_dir(), *before, *v;
	struct store *st = open_ok(dir, STORE_SESSION);

	memset(long_host, 'a', sizeof(long_host));
	for (size_t i = 50; i < sizeof(long_host) - 1; i += 50)
		long_host[i] = '.';
	long_host[sizeof(long_host) - 1] = '\0';	/* 299 characters, labels of 49 */
	/* a 64-character label, then one of 63 */
	CHECK(str_fmt(long_label, sizeof(long_label), "%.64s.example",
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb") == 0);
	CHECK(str_fmt(label63, sizeof(label63), "%.63s.example", long_label) == 0);
	memset(huge, 'c', sizeof(huge));
	huge[sizeof(huge) - 1] = '\0';

	/* something committed, so that "nothing changed" has content to compare */
	set_ok(st, SETTINGS_SECTION, "system.hostname", "gw.example.com");
	commit_ok(st, "t", "base");
	before = store_dump(st);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *cause = NULL;

		if (settings_set(st, bad[i].name, bad[i].value, &cause) == 0)
			UNIT_FAIL("settings_set %s='%.40s' accepted", bad[i].name, bad[i].value);
		CHECK(cause != NULL);
		if (strstr(cause, bad[i].cause) == NULL)
			UNIT_FAIL("settings_set %s='%.40s': cause '%s' lacks '%s'", bad[i].name,
			    bad[i].value, cause, bad[i].cause);
		CHECK(strchr(cause, '\n') == NULL);
		free(cause);
		CHECK_INT(config_pending(st), 0);
	}
	check_dump(st, before);
	v = settings_get(st, "system.hostname");
	CHECK_STR(v, "gw.example.com");
	free(v);
	CHECK_INT(settings_get_int(st, "cli.history_size"), 500);	/* the default */

	/* the boundaries themselves are accepted */
	{
		char *cause = NULL;

		CHECK(settings_set(st, "cli.history_size", "100000", &cause) == 0);
		CHECK_INT(settings_get_int(st, "cli.history_size"), 100000);
		CHECK(settings_set(st, "cli.history_size", "0", &cause) == 0);
		CHECK_INT(settings_get_int(st, "cli.history_size"), 0);
		long_host[253] = '\0';
		if (long_host[252] == '.')
			long_host[252] = 'a';
		CHECK(settings_set(st, "system.hostname", long_host, &cause) == 0);
		CHECK(settings_set(st, "system.hostname", label63, &cause) == 0);
		CHECK(settings_set(st, "system.hostname", "", &cause) == 0);	/* min 0 */
		CHECK(cause == NULL);
		CHECK_INT(config_pending(st), 2);
	}
	store_close(st);
	free(before);
	free(dir);
}

/* every declared setting: its default is valid and its limits are enforced */
static void
test_settings_table(void)
{
	char *dir = fresh_dir();
	struct store *st = open_ok(dir, STORE_SESSION);
	int n = 0;

	for (const struct setting_def *d = settings_table; d->name; d++, n++) {
		char buf[1024], *cause = NULL, *v;

		CHECK(settings_find(d->name) == d);
		CHECK(d->help != NULL && *d->help != '\0');
		CHECK(d->def != NULL);
		CHECK(str_copy(buf, d->def, sizeof(buf)) == 0);
		if (settings_validate(d, buf, sizeof(buf), &cause) < 0)
			UNIT_FAIL("default of %s ('%s') is invalid: %s", d->name, d->def, cause);
		CHECK_INT(settings_is_secret(SETTINGS_SECTION, d->name), (d->flags & SETTING_SECRET) != 0);
		CHECK(!settings_is_secret("other", d->name));
		/* an unset setting reads as its default */
		v = settings_get(st, d->name);
		CHECK_STR(v, d->def);
		free(v);

		switch (d->type) {
		case SETTING_INT: {
			char *lo = str_printf("%ld", d->min - 1), *hi = str_printf("%ld", d->max + 1);
			char *mn = str_printf("%ld", d->min), *mx = str_printf("%ld", d->max);

			CHECK(settings_set(st, d->name, lo, &cause) < 0);
			free(cause);
			cause = NULL;
			CHECK(settings_set(st, d->name, hi, &cause) < 0);
			free(cause);
			cause = NULL;
			CHECK_INT(config_pending(st), 0);
			CHECK(settings_set(st, d->name, mn, &cause) == 0);
			CHECK_INT(settings_get_int(st, d->name), d->min);
			CHECK(settings_set(st, d->name, mx, &cause) == 0);
			CHECK_INT(settings_get_int(st, d->name), d->max);
			free(lo);
			free(hi);
			free(mn);
			free(mx);
			break;
		}
		case SETTING_BOOL:
			CHECK(settings_set(st, d->name, "maybe", &cause) < 0);
			free(cause);
			cause = NULL;
			CHECK(settings_set(st, d->name, "Y", &cause) == 0);
			v = settings_get(st, d->name);
			CHECK_STR(v, "yes");
			free(v);
			CHECK_INT(settings_get_int(st, d->name), 1);
			CHECK(settings_set(st, d->name, "0", &cause) == 0);
			v = settings_get(st, d->name);
			CHECK_STR(v, "no");
			free(v);
			CHECK_INT(settings_get_int(st, d->name), 0);
			break;
		case SETTING_HOSTNAME:
			CHECK(settings_set(st, d->name, "bad..name", &cause) < 0);
			free(cause);
			cause = NULL;
			CHECK(settings_set(st, d->name, "Mixed.Example.COM", &cause) == 0);
			v = settings_get(st, d->name);
			CHECK_STR(v, "mixed.example.com");
			free(v);
			break;
		case SETTING_EMAIL:
			CHECK(settings_set(st, d->name, "no-at-sign", &cause) < 0);
			free(cause);
			cause = NULL;
			break;
		case SETTING_ENUM:
			CHECK(settings_set(st, d->name, "no-such-choice", &cause) < 0);
			free(cause);
			cause = NULL;
			break;
		case SETTING_FIELDNAME:
			CHECK(settings_set(st, d->name, "Bad: name", &cause) < 0);
			free(cause);
			cause = NULL;
			CHECK(settings_set(st, d->name, "X-Test-Header", &cause) == 0);
			break;
		case SETTING_ENDPOINT:
			CHECK(settings_set(st, d->name, "no-such-choice", &cause) < 0);
			free(cause);
			cause = NULL;
			CHECK(settings_set(st, d->name, "https://api.example.test/v1", &cause) ==
			    0);
			break;
		case SETTING_STRING:
			CHECK(settings_set(st, d->name, "tab\there", &cause) < 0);
			free(cause);
			cause = NULL;
			if (d->max > 0 && d->max < 1000) {
				char *s = xmalloc((size_t)d->max + 2);

				memset(s, 'x', (size_t)d->max + 1);
				s[d->max + 1] = '\0';
				CHECK(settings_set(st, d->name, s, &cause) < 0);
				free(cause);
				cause = NULL;
				s[d->max] = '\0';
				CHECK(settings_set(st, d->name, s, &cause) == 0);
				free(s);
			}
			break;
		}
		CHECK(cause == NULL);
		CHECK(config_clear(st, &cause) == 0);
	}
	CHECK(n >= 2);
	CHECK(settings_find("no.such.setting") == NULL);
	CHECK(settings_is_secret_word("password", 8));
	CHECK(settings_is_secret_word("PassWord", 8));
	CHECK(!settings_is_secret_word("password", 4));
	CHECK(!settings_is_secret_word("hostname", 8));
	store_close(st);
	free(dir);
}

/* ------------------------------------------------------------ the candidate */

struct listing {
	char text[512];
};

static int
list_item(const char *section, const char *key, const char *value, void *arg)
{
	struct listing *l = arg;
	size_t n = strlen(l->text);

	(void)section;
	CHECK(str_fmt(l->text + n, sizeof(l->text) - n, "%s=%s;", key, value) == 0);
	return 0;
}

static void
check_list(struct store *st, const char *section, const char *want)
{
	struct listing l;
	char *cause = NULL;

	memset(&l, 0, sizeof(l));
	if (config_list(st, section, list_item, &l, &cause) < 0)
		UNIT_FAIL("config_list: %s", cause);
	CHECK_STR(l.text, want);
}

static void
test_candidate_isolation(void)
{
	char *dir = fresh_dir(), *cause = NULL, *before;
	struct store *a = open_ok(dir, STORE_SESSION), *b = open_ok(dir, STORE_SESSION);
	struct store *r = open_ok(dir, STORE_RUNNING);

	set_ok(a, "sec", "one", "1");
	set_ok(a, "sec", "two", "2");
	commit_ok(a, "a", "base");

	before = store_dump(r);
	set_ok(a, "sec", "one", "1a");
	del_ok(a, "sec", "two");
	set_ok(a, "sec", "three", "3");
	set_ok(a, "other", "x", "y");
	CHECK_INT(config_pending(a), 4);

	/* a sees its own edits, laid over the running items */
	check_value(a, "sec", "one", "1a");
	check_value(a, "sec", "two", NULL);
	check_value(a, "sec", "three", "3");
	check_list(a, "sec", "one=1a;three=3;");
	check_running(a, "sec", "one", "1");
	check_running(a, "sec", "two", "2");
	check_running(a, "sec", "three", NULL);

	/* nobody else does */
	CHECK_INT(config_pending(b), 0);
	check_value(b, "sec", "one", "1");
	check_value(b, "sec", "two", "2");
	check_value(b, "sec", "three", NULL);
	check_value(b, "other", "x", NULL);
	check_list(b, "sec", "one=1;two=2;");
	check_value(r, "sec", "one", "1");
	check_value(r, "sec", "three", NULL);
	check_list(r, "sec", "one=1;two=2;");
	check_dump(r, before);

	/* b's own edit is invisible to a */
	set_ok(b, "sec", "four", "4");
	check_value(a, "sec", "four", NULL);

	/* a running handle has no candidate */
	CHECK_INT(config_pending(r), 0);
	CHECK(config_set(r, "sec", "one", "x", &cause) < 0);
	CHECK(cause != NULL);
	free(cause);
	cause = NULL;
	CHECK(config_delete(r, "sec", "one", &cause) < 0);
	free(cause);
	cause = NULL;
	CHECK(config_commit(r, "r", "nothing", NULL, &cause) < 0);
	free(cause);
	cause = NULL;
	CHECK(config_clear(r, &cause) < 0);
	free(cause);
	cause = NULL;
	CHECK(config_stage_rollback(r, 1, &cause) < 0);
	free(cause);
	check_dump(r, before);

	/* after a's commit every handle sees it; b's pending edit is untouched */
	commit_ok(a, "a", "edits");
	check_value(r, "sec", "one", "1a");
	check_value(r, "sec", "two", NULL);
	check_value(b, "sec", "three", "3");
	check_value(b, "other", "x", "y");
	check_list(b, "sec", "four=4;one=1a;three=3;");
	check_list(r, "sec", "one=1a;three=3;");
	CHECK_INT(config_pending(b), 1);
	commit_ok(b, "b", "four");
	check_list(a, "sec", "four=4;one=1a;three=3;");

	/* a closed session loses its candidate */
	set_ok(b, "sec", "lost", "x");
	store_close(b);
	b = open_ok(dir, STORE_SESSION);
	CHECK_INT(config_pending(b), 0);
	check_value(b, "sec", "lost", NULL);

	store_close(a);
	store_close(b);
	store_close(r);
	free(before);
	free(dir);
}

static void
test_clear_drops_pending(void)
{
	char *dir = fresh_dir(), *cause = NULL, *before;
	struct store *st = open_ok(dir, STORE_SESSION);
	struct changes cs;

	set_ok(st, "s", "a", "1");
	set_ok(st, "s", "b", "2");
	commit_ok(st, "t", "base");
	before = store_dump(st);

	/* clearing nothing is fine */
	CHECK(config_clear(st, &cause) == 0);
	CHECK_INT(config_pending(st), 0);

	set_ok(st, "s", "a", "changed");
	del_ok(st, "s", "b");
	set_ok(st, "s", "c", "new");
	CHECK(settings_set(st, "system.hostname", "x.example.com", &cause) == 0);
	CHECK_INT(config_pending(st), 4);
	pending_changes(st, &cs);
	CHECK_INT(cs.n, 4);
	check_change(&cs, 0, "s", "a", "1", "changed");
	check_change(&cs, 1, "s", "b", "2", NULL);
	check_change(&cs, 2, "s", "c", NULL, "new");
	check_change(&cs, 3, SETTINGS_SECTION, "system.hostname", NULL, "x.example.com");

	CHECK(config_clear(st, &cause) == 0);
	CHECK(cause == NULL);
	CHECK_INT(config_pending(st), 0);
	pending_changes(st, &cs);
	CHECK_INT(cs.n, 0);
	check_value(st, "s", "a", "1");
	check_value(st, "s", "b", "2");
	check_value(st, "s", "c", NULL);
	check_dump(st, before);

	/* a commit after clear records nothing of the cleared edits */
	set_ok(st, "s", "d", "4");
	CHECK_INT(commit_ok(st, "t", "after clear"), 2);
	commit_changes(st, 2, &cs);
	CHECK_INT(cs.n, 1);
	check_change(&cs, 0, "s", "d", NULL, "4");
	check_value(st, "s", "a", "1");
	store_close(st);
	free(before);
	free(dir);
}

static void
test_edit_back_to_running(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir, STORE_SESSION);

	set_ok(st, "s", "x", "1");
	commit_ok(st, "t", "base");

	/* change and change back */
	set_ok(st, "s", "x", "2");
	CHECK_INT(config_pending(st), 1);
	set_ok(st, "s", "x", "3");
	CHECK_INT(config_pending(st), 1);
	set_ok(st, "s", "x", "1");
	CHECK_INT(config_pending(st), 0);

	/* setting the running value is no change at all */
	set_ok(st, "s", "x", "1");
	CHECK_INT(config_pending(st), 0);

	/* delete and re-create with the same value */
	del_ok(st, "s", "x");
	CHECK_INT(config_pending(st), 1);
	check_value(st, "s", "x", NULL);
	set_ok(st, "s", "x", "1");
	CHECK_INT(config_pending(st), 0);

	/* create and delete an item that never existed */
	set_ok(st, "s", "y", "new");
	CHECK_INT(config_pending(st), 1);
	del_ok(st, "s", "y");
	CHECK_INT(config_pending(st), 0);
	del_ok(st, "s", "never");
	CHECK_INT(config_pending(st), 0);

	/* through settings too (normalised value equal to the running one) */
	CHECK(settings_set(st, "system.hostname", "gw.example.com", &cause) == 0);
	commit_ok(st, "t", "hostname");
	CHECK(settings_set(st, "system.hostname", "GW.Example.Com", &cause) == 0);
	CHECK_INT(config_pending(st), 0);

	/* case matters for generic items */
	set_ok(st, "s", "x", "1 ");
	CHECK_INT(config_pending(st), 1);
	store_close(st);
	free(dir);
}

/* ------------------------------------------------------------ commit conflicts */

static void
test_commit_conflict(void)
{
	char *dir = fresh_dir(), *cause = NULL, *before;
	struct store *a = open_ok(dir, STORE_SESSION), *b = open_ok(dir, STORE_SESSION);
	struct store *r;
	int64_t id;
	struct changes cs;

	set_ok(a, "smtproutes", "example.com", "mx1.example.com");
	set_ok(a, "smtproutes", "other.org", "mx.other.org");
	commit_ok(a, "alice", "base");

	/* both edit the same item; a also edits another */
	set_ok(a, "smtproutes", "example.com", "a.example.com");
	set_ok(a, "smtproutes", "zzz.org", "created-by-a");
	set_ok(b, "smtproutes", "example.com", "b.example.com");
	CHECK_INT(commit_ok(b, "bob", "b first"), 2);

	r = open_ok(dir, STORE_RUNNING);
	before = store_dump(r);
	id = 12345;
	CHECK(config_commit(a, "alice", "a second", &id, &cause) == -1);
	CHECK_INT(id, 12345);
	CHECK(cause != NULL);
	if (strstr(cause, "smtproutes") == NULL || strstr(cause, "example.com") == NULL)
		UNIT_FAIL("cause does not name the item: %s", cause);
	if (strstr(cause, "bob") == NULL || strstr(cause, "2") == NULL)
		UNIT_FAIL("cause does not name who and which commit: %s", cause);
	CHECK(strchr(cause, '\n') == NULL);
	free(cause);
	cause = NULL;

	/* nothing applied, nothing recorded, the candidate kept */
	check_dump(r, before);
	CHECK_INT(config_version(a), 2);
	CHECK_INT(history_count(a), 2);
	CHECK_INT(config_pending(a), 2);
	check_value(a, "smtproutes", "example.com", "a.example.com");
	check_value(a, "smtproutes", "zzz.org", "created-by-a");
	check_value(r, "smtproutes", "example.com", "b.example.com");
	check_value(r, "smtproutes", "zzz.org", NULL);
	pending_changes(a, &cs);
	CHECK_INT(cs.n, 2);
	check_change(&cs, 0, "smtproutes", "example.com", "b.example.com", "a.example.com");

	/* trying again fails the same way: the conflict does not go away by itself */
	CHECK(config_commit(a, "alice", "again", NULL, &cause) == -1);
	CHECK(cause && strstr(cause, "example.com"));
	free(cause);
	cause = NULL;
	CHECK_INT(config_pending(a), 2);

	/* editing the item to what is now running is still a conflict to review */
	set_ok(a, "smtproutes", "example.com", "b.example.com");
	CHECK(config_pending(a) > 0);
	CHECK(config_commit(a, "alice", "again", NULL, &cause) == -1);
	free(cause);
	cause = NULL;
	check_dump(r, before);

	/* clear and redo: now it commits */
	CHECK(config_clear(a, &cause) == 0);
	set_ok(a, "smtproutes", "example.com", "a.example.com");
	set_ok(a, "smtproutes", "zzz.org", "created-by-a");
	CHECK_INT(commit_ok(a, "alice", "redone"), 3);
	check_value(r, "smtproutes", "example.com", "a.example.com");
	check_value(b, "smtproutes", "zzz.org", "created-by-a");
	store_close(a);
	store_close(b);
	store_close(r);
	free(before);
	free(dir);
}

/* conflicts on creation and on deletion, and a conflicting settings write */
static void
test_commit_conflict_kinds(void)
{
	char *dir = fresh_dir(), *cause = NULL, *before;
	struct store *a = open_ok(dir, STORE_SESSION), *b = open_ok(dir, STORE_SESSION);

	set_ok(a, "s", "existing", "1");
	commit_ok(a, "a", "base");

	/* both create the same item */
	set_ok(a, "s", "created", "by-a");
	set_ok(b, "s", "created", "by-b");
	commit_ok(b, "b", "create");
	before = store_dump(a);
	CHECK(config_commit(a, "a", "create", NULL, &cause) == -1);
	CHECK(cause && strstr(cause, "s created") != NULL);
	free(cause);
	cause = NULL;
	check_dump(a, before);
	CHECK(config_clear(a, &cause) == 0);

	/* a deletes what b changed */
	del_ok(a, "s", "existing");
	set_ok(b, "s", "existing", "2");
	commit_ok(b, "b", "change");
	before = (free(before), store_dump(a));
	CHECK(config_commit(a, "a", "delete", NULL, &cause) == -1);
	CHECK(cause && strstr(cause, "s existing") != NULL);
	free(cause);
	cause = NULL;
	check_dump(a, before);
	CHECK_INT(config_pending(a), 1);
	CHECK(config_clear(a, &cause) == 0);

	/* a changes what b deleted */
	set_ok(a, "s", "existing", "3");
	del_ok(b, "s", "existing");
	commit_ok(b, "b", "delete");
	before = (free(before), store_dump(a));
	CHECK(config_commit(a, "a", "change", NULL, &cause) == -1);
	CHECK(cause && strstr(cause, "s existing") != NULL);
	free(cause);
	cause = NULL;
	check_dump(a, before);
	CHECK(config_clear(a, &cause) == 0);

	/* settings conflict like any other item */
	CHECK(settings_set(a, "system.hostname", "a.example.com", &cause) == 0);
	CHECK(settings_set(b, "system.hostname", "b.example.com", &cause) == 0);
	commit_ok(b, "b", "hostname");
	CHECK(config_commit(a, "a", "hostname", NULL, &cause) == -1);
	CHECK(cause && strstr(cause, SETTINGS_SECTION) && strstr(cause, "system.hostname"));
	free(cause);
	store_close(a);
	store_close(b);
	free(before);
	free(dir);
}

static void
test_commit_concurrent_disjoint(void)
{
	char *dir = fresh_dir();
	struct store *a = open_ok(dir, STORE_SESSION), *b = open_ok(dir, STORE_SESSION);
	struct changes cs;

	set_ok(a, "s", "x", "0");
	set_ok(a, "s", "y", "0");
	commit_ok(a, "a", "base");

	set_ok(a, "s", "x", "from-a");
	set_ok(b, "s", "y", "from-b");
	set_ok(b, "s", "z", "from-b");
	CHECK_INT(commit_ok(b, "b", "y"), 2);
	CHECK_INT(commit_ok(a, "a", "x"), 3);

	/* a's commit did not undo b's (a never read y) */
	check_value(a, "s", "x", "from-a");
	check_value(a, "s", "y", "from-b");
	check_value(a, "s", "z", "from-b");
	check_value(b, "s", "x", "from-a");
	commit_changes(a, 3, &cs);
	CHECK_INT(cs.n, 1);
	check_change(&cs, 0, "s", "x", "0", "from-a");
	commit_changes(a, 2, &cs);
	CHECK_INT(cs.n, 2);
	check_change(&cs, 0, "s", "y", "0", "from-b");
	check_change(&cs, 1, "s", "z", NULL, "from-b");
	store_close(a);
	store_close(b);
	free(dir);
}

/* ------------------------------------------------------------ history and rollback */

struct hist {
	int n;
	struct config_commit v[16];
};

static int
collect_commit(const struct config_commit *c, void *arg)
{
	struct hist *h = arg;

	CHECK(h->n < 16);
	h->v[h->n++] = *c;
	return 0;
}

static int
stop_after_one(const struct config_commit *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 1;
}

static void
test_history(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir, STORE_SESSION);
	struct hist h;
	struct changes cs;
	struct config_commit c;
	time_t t0 = time(NULL);
	char long_comment[400];
	int n;

	set_ok(st, "s", "a", "1");
	set_ok(st, "s", "b", "1");
	CHECK_INT(commit_ok(st, "alice", "first"), 1);
	set_ok(st, "s", "a", "2");
	del_ok(st, "s", "b");
	set_ok(st, "t", "c", "new");
	CHECK_INT(commit_ok(st, "bob", "second"), 2);
	set_ok(st, "s", "a", "3");
	memset(long_comment, 'x', sizeof(long_comment));
	long_comment[sizeof(long_comment) - 1] = '\0';
	CHECK_INT(commit_ok(st, "carol", long_comment), 3);
	CHECK_INT(config_version(st), 3);

	memset(&h, 0, sizeof(h));
	CHECK(config_history(st, 10, collect_commit, &h, &cause) == 0);
	CHECK_INT(h.n, 3);
	CHECK_INT(h.v[0].id, 3);
	CHECK_INT(h.v[1].id, 2);
	CHECK_INT(h.v[2].id, 1);
	CHECK_STR(h.v[0].user, "carol");
	CHECK_STR(h.v[1].user, "bob");
	CHECK_STR(h.v[2].user, "alice");
	CHECK_STR(h.v[1].comment, "second");
	CHECK_INT(strlen(h.v[0].comment), sizeof(h.v[0].comment) - 1);	/* truncated, terminated */
	CHECK_INT(h.v[0].nchanges, 1);
	CHECK_INT(h.v[1].nchanges, 3);
	CHECK_INT(h.v[2].nchanges, 2);
	for (int i = 0; i < 3; i++)
		CHECK(h.v[i].when >= t0 - 1 && h.v[i].when <= time(NULL) + 1);

	/* the limit, and a callback that stops the walk */
	memset(&h, 0, sizeof(h));
	CHECK(config_history(st, 2, collect_commit, &h, &cause) == 0);
	CHECK_INT(h.n, 2);
	CHECK_INT(h.v[0].id, 3);
	CHECK_INT(h.v[1].id, 2);
	n = 0;
	CHECK(config_history(st, 10, stop_after_one, &n, &cause) == 0);
	CHECK_INT(n, 1);

	/* one commit's header */
	CHECK_INT(config_commit_get(st, 2, &c, &cause), 0);
	CHECK_INT(c.id, 2);
	CHECK_STR(c.user, "bob");
	CHECK_STR(c.comment, "second");
	CHECK_INT(c.nchanges, 3);
	CHECK_INT(config_commit_get(st, 4, &c, &cause), 1);
	CHECK_INT(config_commit_get(st, 0, &c, &cause), 1);
	CHECK(cause == NULL);

	/* what each commit changed: NULL old for created, NULL new for deleted */
	commit_changes(st, 1, &cs);
	CHECK_INT(cs.n, 2);
	check_change(&cs, 0, "s", "a", NULL, "1");
	check_change(&cs, 1, "s", "b", NULL, "1");
	commit_changes(st, 2, &cs);
	CHECK_INT(cs.n, 3);
	check_change(&cs, 0, "s", "a", "1", "2");
	check_change(&cs, 1, "s", "b", "1", NULL);
	check_change(&cs, 2, "t", "c", NULL, "new");
	commit_changes(st, 3, &cs);
	CHECK_INT(cs.n, 1);
	check_change(&cs, 0, "s", "a", "2", "3");
	commit_changes(st, 99, &cs);
	CHECK_INT(cs.n, 0);

	/* a running handle reads history too */
	store_close(st);
	st = open_ok(dir, STORE_RUNNING);
	CHECK_INT(config_version(st), 3);
	CHECK_INT(history_count(st), 3);
	store_close(st);
	free(dir);
}

/* build_history - the commits the rollback cases start from */
static void
build_history(struct store *st)
{
	/* 1: a=1 b=1 */
	set_ok(st, "s", "a", "1");
	set_ok(st, "s", "b", "1");
	CHECK_INT(commit_ok(st, "t", "one"), 1);
	/* 2: a changed, c created */
	set_ok(st, "s", "a", "2");
	set_ok(st, "s", "c", "1");
	CHECK_INT(commit_ok(st, "t", "two"), 2);
	/* 3: b deleted, a changed again, d created, c changed */
	del_ok(st, "s", "b");
	set_ok(st, "s", "a", "3");
	set_ok(st, "s", "c", "2");
	set_ok(st, "s", "d", "1");
	CHECK_INT(commit_ok(st, "t", "three"), 3);
}

static void
test_rollback(void)
{
	char *dir = fresh_dir(), *cause = NULL, *before;
	struct store *st = open_ok(dir, STORE_SESSION);
	struct changes cs;
	int64_t id;

	build_history(st);
	before = store_dump(st);

	/* staging touches nothing persistent */
	CHECK(config_stage_rollback(st, 1, &cause) == 0);
	check_dump(st, before);
	pending_changes(st, &cs);
	CHECK_INT(cs.n, 4);
	check_change(&cs, 0, "s", "a", "3", "1");	/* changed twice later */
	check_change(&cs, 1, "s", "b", NULL, "1");	/* deleted later */
	check_change(&cs, 2, "s", "c", "2", NULL);	/* created later */
	check_change(&cs, 3, "s", "d", "1", NULL);	/* created later */
	check_value(st, "s", "a", "1");
	check_value(st, "s", "b", "1");
	check_value(st, "s", "c", NULL);

	id = commit_ok(st, "t", "rollback to 1");
	CHECK_INT(id, 4);
	check_running(st, "s", "a", "1");
	check_running(st, "s", "b", "1");
	check_running(st, "s", "c", NULL);
	check_running(st, "s", "d", NULL);
	check_list(st, "s", "a=1;b=1;");

	/* the rollback is itself history: roll forward to 3 */
	CHECK(config_stage_rollback(st, 3, &cause) == 0);
	CHECK_INT(config_pending(st), 4);
	commit_ok(st, "t", "forward to 3");
	check_list(st, "s", "a=3;c=2;d=1;");

	/* to 2 */
	CHECK(config_stage_rollback(st, 2, &cause) == 0);
	commit_ok(st, "t", "to 2");
	check_list(st, "s", "a=2;b=1;c=1;");

	/* to the latest commit: nothing to do */
	CHECK(config_stage_rollback(st, config_version(st), &cause) == 0);
	CHECK_INT(config_pending(st), 0);

	/* to 0: the empty configuration */
	CHECK(config_stage_rollback(st, 0, &cause) == 0);
	commit_ok(st, "t", "to 0");
	check_list(st, "s", "");

	/* a rollback merges with edits already pending for other items */
	set_ok(st, "other", "k", "v");
	CHECK(config_stage_rollback(st, 1, &cause) == 0);
	CHECK_INT(config_pending(st), 3);
	commit_ok(st, "t", "to 1 plus other");
	check_list(st, "s", "a=1;b=1;");
	check_value(st, "other", "k", "v");
	CHECK(cause == NULL);
	store_close(st);
	free(before);
	free(dir);
}

/* a rollback conflicts like any edit when someone commits in between */
static void
test_rollback_conflict(void)
{
	char *dir = fresh_dir(), *cause = NULL, *before;
	struct store *a = open_ok(dir, STORE_SESSION), *b;

	build_history(a);
	b = open_ok(dir, STORE_SESSION);
	CHECK(config_stage_rollback(a, 1, &cause) == 0);
	set_ok(b, "s", "a", "b-was-here");
	commit_ok(b, "bob", "meanwhile");
	before = store_dump(a);
	CHECK(config_commit(a, "alice", "rollback", NULL, &cause) == -1);
	CHECK(cause && strstr(cause, "s a ") && strstr(cause, "bob"));
	free(cause);
	check_dump(a, before);
	CHECK_INT(config_pending(a), 4);
	store_close(a);
	store_close(b);
	free(before);
	free(dir);
}

/* ------------------------------------------------------------ several processes */

#define NCHILD 4
#define NCOMMITS 50
#define NITEMS 7

struct child_report {
	int commits;	/* successful commits */
	int increments;	/* of those, increments of the shared counter */
	int conflicts;	/* commits refused for a conflict (retried) */
	int errors;	/* anything else */
};

/* bump_shared - increment the shared counter: stage first, then read */
static int
bump_shared(struct store *st, int me, struct child_report *rep)
{
	for (int attempt = 0; attempt < 1000; attempt++) {
		char *cause = NULL, *v = NULL, marker[32], next[32];
		long n = 0;

		if (config_clear(st, &cause) < 0)
			goto error;
		/*
		 * Staging first pins the base revision; the value read after
		 * it is then either that revision's or a newer one, and a
		 * newer one makes the commit conflict. (Reading first could
		 * pick up an older value than the base and lose an update.)
		 */
		str_fmt(marker, sizeof(marker), "marker-%d", me);
		if (config_set(st, "shared", "counter", marker, &cause) < 0)
			goto error;
		if (config_get_running(st, "shared", "counter", &v, &cause) < 0)
			goto error;
		if (v && str_to_long(v, 0, 1000000, &n) < 0) {
			free(v);
			return -1;
		}
		free(v);
		/* widen the window between read and commit, so that races happen */
		nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
		str_fmt(next, sizeof(next), "%ld", n + 1);
		if (config_set(st, "shared", "counter", next, &cause) < 0)
			goto error;
		if (config_commit(st, "shared", "bump", NULL, &cause) == 0) {
			rep->commits++;
			rep->increments++;
			return 0;
		}
		if (cause && strstr(cause, "was changed")) {
			rep->conflicts++;
			free(cause);
			continue;
		}
error:
		fprintf(stderr, "child %d: %s\n", me, cause ? cause : "?");
		free(cause);
		rep->errors++;
		return -1;
	}
	return -1;
}

static void
child_run(const char *dir, int me, int go_fd, int report_fd)
{
	struct child_report rep;
	struct store *st = NULL;
	char *cause = NULL, go;

	memset(&rep, 0, sizeof(rep));
	/* start together */
	if (read(go_fd, &go, 1) < 0)
		_exit(2);
	if (store_open(dir, STORE_SESSION, &st, &cause) < 0) {
		fprintf(stderr, "child %d: %s\n", me, cause);
		free(cause);
		rep.errors++;
		goto out;
	}
	for (int j = 0; j < NCOMMITS; j++) {
		char key[32], value[32], user[32];

		if (j % 5 == 4 || j % 5 == 1) {
			if (bump_shared(st, me, &rep) < 0)
				break;
			continue;
		}
		str_fmt(key, sizeof(key), "k%d", j % NITEMS);
		str_fmt(value, sizeof(value), "c%d-v%d", me, j);
		str_fmt(user, sizeof(user), "child%d", me);
		for (;;) {
			/* section "child" is shared: another child may win the race */
			if (config_clear(st, &cause) == 0 &&
			    config_set(st, "child", key, value, &cause) == 0 &&
			    config_set(st, user, key, value, &cause) == 0 &&
			    config_commit(st, user, value, NULL, &cause) == 0)
				break;
			if (cause && strstr(cause, "was changed")) {
				free(cause);
				cause = NULL;
				rep.conflicts++;
				continue;
			}
			fprintf(stderr, "child %d: %s\n", me, cause ? cause : "?");
			free(cause);
			cause = NULL;
			rep.errors++;
			break;
		}
		if (rep.errors)
			break;
		rep.commits++;
	}
	store_close(st);
out:
	if (write(report_fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(3);
	_exit(rep.errors ? 1 : 0);
}

/*
 * NCHILD processes open a fresh store at once and commit: each to items of
 * its own section, to a shared section with last-writer-wins edits, and
 * to a shared counter with read-modify-write retried on conflict.
 */
static void
test_concurrent_commits(void)
{
	char *dir = fresh_dir(), *cause = NULL, *ok;
	int go[2], rp[2];
	pid_t pids[NCHILD];
	struct child_report total;
	struct store *st;
	int per_user[NCHILD];

	memset(&total, 0, sizeof(total));
	memset(per_user, 0, sizeof(per_user));
	CHECK(pipe(go) == 0);
	CHECK(pipe(rp) == 0);
	fflush(NULL);
	for (int i = 0; i < NCHILD; i++) {
		pids[i] = fork();
		CHECK(pids[i] >= 0);
		if (pids[i] == 0) {
			close(go[1]);
			close(rp[0]);
			child_run(dir, i, go[0], rp[1]);
		}
	}
	close(go[0]);
	close(rp[1]);
	close(go[1]);	/* go: every child's read returns 0 */
	for (int i = 0; i < NCHILD; i++) {
		int status;

		CHECK(waitpid(pids[i], &status, 0) == pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			UNIT_FAIL("child %d failed (status 0x%x)", i, status);
	}
	for (int i = 0; i < NCHILD; i++) {
		struct child_report rep;

		CHECK(read(rp[0], &rep, sizeof(rep)) == (ssize_t)sizeof(rep));
		CHECK_INT(rep.errors, 0);
		total.commits += rep.commits;
		total.increments += rep.increments;
		total.conflicts += rep.conflicts;
	}
	close(rp[0]);
	CHECK_INT(total.commits, NCHILD * NCOMMITS);
	CHECK_INT(total.increments, NCHILD * (NCOMMITS / 5) * 2);

	st = open_ok(dir, STORE_RUNNING);
	/* every commit is in history, numbered 1..N without gaps */
	CHECK_INT(config_version(st), total.commits);
	CHECK_INT(history_count(st), total.commits);
	for (int64_t id = 1; id <= total.commits; id++) {
		struct config_commit c;

		CHECK_INT(config_commit_get(st, id, &c, &cause), 0);
		CHECK(c.nchanges >= 1);
		if (strncmp(c.user, "child", 5) == 0) {
			long me;

			CHECK(str_to_long(c.user + 5, 0, NCHILD - 1, &me) == 0);
			per_user[me]++;
			CHECK_INT(c.nchanges, 2);
		} else {
			CHECK_STR(c.user, "shared");
			CHECK_INT(c.nchanges, 1);
		}
	}
	for (int i = 0; i < NCHILD; i++)
		CHECK_INT(per_user[i], NCOMMITS - NCOMMITS / 5 * 2);

	/* no update was lost */
	{
		char want[32];

		str_fmt(want, sizeof(want), "%d", total.increments);
		check_value(st, "shared", "counter", want);
	}
	/* each child's own items hold its last write */
	for (int i = 0; i < NCHILD; i++) {
		char section[32];

		str_fmt(section, sizeof(section), "child%d", i);
		for (int k = 0; k < NITEMS; k++) {
			char key[32], want[32];
			int last = -1;

			for (int j = 0; j < NCOMMITS; j++)
				if (j % 5 != 4 && j % 5 != 1 && j % NITEMS == k)
					last = j;
			str_fmt(key, sizeof(key), "k%d", k);
			if (last < 0) {
				check_value(st, section, key, NULL);
				continue;
			}
			str_fmt(want, sizeof(want), "c%d-v%d", i, last);
			check_value(st, section, key, want);
		}
	}
	/* the last-writer-wins section agrees with the last commit that wrote it */
	for (int k = 0; k < NITEMS; k++) {
		char key[32], *v = NULL;
		int found = 0;

		str_fmt(key, sizeof(key), "k%d", k);
		CHECK(config_get(st, "child", key, &v, &cause) == 0);
		for (int64_t id = total.commits; id >= 1 && !found; id--) {
			struct changes cs;

			commit_changes(st, id, &cs);
			for (int c = 0; c < cs.n; c++)
				if (strcmp(cs.v[c].section, "child") == 0 &&
				    strcmp(cs.v[c].key, key) == 0) {
					CHECK(v != NULL);
					CHECK_STR(cs.v[c].new, v);
					found = 1;
				}
		}
		CHECK_INT(found, v != NULL);
		free(v);
	}
	store_close(st);

	ok = raw_text(dir, "PRAGMA integrity_check");
	CHECK_STR(ok, "ok");
	free(ok);
	ok = raw_text(dir, "SELECT count(*) FROM commit_changes WHERE commit_id NOT IN "
			   "(SELECT id FROM commits)");
	CHECK_STR(ok, "0");
	free(ok);
	fprintf(stderr, "concurrent: %d commits, %d conflicts retried\n", total.commits,
	    total.conflicts);
	free(dir);
}

/*
 * Several processes open a data directory that does not exist yet, at
 * once: creation, WAL set-up and migration must serialize, and every
 * process must get a usable store.
 */
#define NOPENERS 8

static void
test_concurrent_open(void)
{
	for (int round = 0; round < 5; round++) {
		char *dir = fresh_dir(), *v;
		int go[2];
		pid_t pids[NOPENERS];
		struct store *st;

		CHECK(pipe(go) == 0);
		fflush(NULL);
		for (int i = 0; i < NOPENERS; i++) {
			pids[i] = fork();
			CHECK(pids[i] >= 0);
			if (pids[i] == 0) {
				struct store *cst = NULL;
				char *cause = NULL, key[16], b;

				close(go[1]);
				if (read(go[0], &b, 1) < 0)
					_exit(2);
				str_fmt(key, sizeof(key), "k%d", i);
				if (store_open(dir, i % 2 ? STORE_RUNNING : STORE_SESSION, &cst,
					&cause) < 0 ||
				    (i % 2 == 0 && (config_set(cst, "open", key, "1", &cause) < 0 ||
					config_commit(cst, "opener", NULL, NULL, &cause) < 0))) {
					fprintf(stderr, "opener %d: %s\n", i, cause ? cause : "?");
					_exit(1);
				}
				store_close(cst);
				_exit(0);
			}
		}
		close(go[0]);
		close(go[1]);
		for (int i = 0; i < NOPENERS; i++) {
			int status;

			CHECK(waitpid(pids[i], &status, 0) == pids[i]);
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				UNIT_FAIL("round %d: opener %d failed (status 0x%x)", round, i, status);
		}
		st = open_ok(dir, STORE_RUNNING);
		CHECK_INT(store_schema_version(st), STORE_SCHEMA_VERSION);
		CHECK_INT(config_version(st), NOPENERS / 2);
		check_list(st, "open", "k0=1;k2=1;k4=1;k6=1;");
		store_close(st);
		v = raw_text(dir, "PRAGMA integrity_check");
		CHECK_STR(v, "ok");
		free(v);
		free(dir);
	}
}

/*
 * the Threat Defense Connector rows: header names (RFC 5322 ftext), the
 * API region or an https:// URL, addresses with their domain lower-cased
 */
static void
test_settings_tdc(void)
{
	static const struct {
		const char *name, *value, *stored;	/* stored NULL: refused */
	} cases[] = {
		{ "tdc.remote_ip_header", "X-IronPort-RemoteIP", "X-IronPort-RemoteIP" },
		{ "tdc.remote_ip_header", "x_client.ip!", "x_client.ip!" },
		{ "tdc.remote_ip_header", "", NULL },
		{ "tdc.remote_ip_header", "X-Remote IP", NULL },
		{ "tdc.remote_ip_header", "X-Remote:IP", NULL },
		{ "tdc.remote_ip_header", "X-Caf\xc3\xa9", NULL },
		{ "tdc.remote_ip_header", "X-\x7f", NULL },
		{ "tdc.remote_ip_header",
		    "X-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },
		{ "tdc.api_region", "us", "us" },
		{ "tdc.api_region", "DE", "de" },
		{ "tdc.api_region", "ae", "ae" },
		{ "tdc.api_region", "eu", NULL },
		{ "tdc.api_region", "", NULL },
		{ "tdc.api_region", "https://api.example.test", "https://api.example.test" },
		{ "tdc.api_region", "https://api.example.test:8443/v2/x?y=1",
		    "https://api.example.test:8443/v2/x?y=1" },
		{ "tdc.api_region", "https://192.0.2.1/", "https://192.0.2.1/" },
		{ "tdc.api_region", "https://[2001:db8::1]:443/", "https://[2001:db8::1]:443/" },
		{ "tdc.api_region", "http://api.example.test", NULL },
		{ "tdc.api_region", "https://", NULL },
		{ "tdc.api_region", "https://bad..host/", NULL },
		{ "tdc.api_region", "https://api.example.test:0/", NULL },
		{ "tdc.api_region", "https://api.example.test:x/", NULL },
		{ "tdc.api_region", "https://api.example.test/a b", NULL },
		{ "tdc.api_region", "https://[::1/", NULL },
		{ "tdc.api_region", "https://user@api.example.test/", NULL },
		{ "tdc.intake_address", "Journal@Intake.EXAMPLE.test", "Journal@intake.example.test" },
		{ "tdc.intake_address", "", "" },
		{ "tdc.intake_address", "journal", NULL },
		{ "tdc.intake_address", "journal@localhost", NULL },
		{ "tdc.forward_to", "SOC@Example.COM", "SOC@example.com" },
		{ "tdc.action", "Forward_Delete", "forward_delete" },
		{ "tdc.action", "forward-delete", NULL },
	};
	char *dir = fresh_dir();
	struct store *st = open_ok(dir, STORE_SESSION);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *cause = NULL, *v;
		int rc = settings_set(st, cases[i].name, cases[i].value, &cause);

		if (cases[i].stored == NULL) {
			if (rc == 0)
				UNIT_FAIL("%s='%s' accepted", cases[i].name, cases[i].value);
			CHECK(cause != NULL && strchr(cause, '\n') == NULL);
			free(cause);
			continue;
		}
		if (rc < 0)
			UNIT_FAIL("%s='%s' refused: %s", cases[i].name, cases[i].value, cause);
		v = settings_get(st, cases[i].name);
		CHECK_STR(v, cases[i].stored);
		free(v);
	}
	store_close(st);
	free(dir);
}

/* config_begin/config_end: a group of edits is kept or undone as a whole */
static void
test_stage_group(void)
{
	char *dir = fresh_dir(), *cause = NULL, *v;
	struct store *st = open_ok(dir, STORE_SESSION);

	set_ok(st, "s", "a", "1");
	commit_ok(st, "t", "base");
	set_ok(st, "s", "b", "pending");
	CHECK(config_begin(st, &cause) == 0);
	set_ok(st, "s", "a", "2");
	set_ok(st, "s", "c", "3");
	CHECK(config_delete(st, "s", "b", &cause) == 0);
	CHECK(config_end(st, 0, &cause) == 0);
	/* undone: the pending edit from before the group is still there */
	CHECK_INT(config_pending(st), 1);
	check_list(st, "s", "a=1;b=pending;");
	CHECK(config_begin(st, &cause) == 0);
	set_ok(st, "s", "a", "2");
	set_ok(st, "s", "c", "3");
	CHECK(config_end(st, 1, &cause) == 0);
	CHECK_INT(config_pending(st), 3);
	check_list(st, "s", "a=2;b=pending;c=3;");
	/* and the candidate still commits */
	commit_ok(st, "t", "group");
	v = NULL;
	CHECK(config_get_running(st, "s", "c", &v, &cause) == 0);
	CHECK_STR(v, "3");
	free(v);
	store_close(st);
	free(dir);
}

/* ------------------------------------------------------------ commit with a check */

/* What pair_rule saw of the configuration it checked. */
struct seen {
	int calls;		/* times called */
	char a[32], b[32];	/* items rule/a and rule/b as seen ("" absent) */
	int silent;		/* refuse without a cause */
};

/* pair_rule - a config_check_cb: rule/a and rule/b may not both be set */
static int
pair_rule(struct store *st, void *arg, char **cause)
{
	struct seen *s = arg;
	char *a = NULL, *b = NULL;
	int rc = 0;

	s->calls++;
	if (config_get(st, "rule", "a", &a, cause) < 0 || config_get(st, "rule", "b", &b,
	    cause) < 0)
		return -1;
	str_copy(s->a, a ? a : "", sizeof(s->a));
	str_copy(s->b, b ? b : "", sizeof(s->b));
	if (a && b) {
		if (!s->silent)
			*cause = str_dup("rule/a and rule/b cannot both be set.");
		rc = -1;
	}
	free(a);
	free(b);
	return rc;
}

/*
 * test_commit_check - config_commit_check runs the caller's rule on the
 * merged result (running + candidate) inside the commit: two sessions that
 * each pass alone cannot commit together what breaks it; the refused one
 * changes nothing and keeps its candidate (issue 8)
 */
static void
test_commit_check(void)
{
	char *dir = fresh_dir(), *cause = NULL, *before;
	struct store *a = open_ok(dir, STORE_SESSION), *b = open_ok(dir, STORE_SESSION);
	struct store *r;
	struct seen seen = { 0 };
	int64_t id = 0;

	set_ok(a, "rule", "other", "x");
	commit_ok(a, "alice", "base");
	/* each session stages one half; a's commit passes the rule */
	set_ok(b, "rule", "b", "from-b");
	set_ok(a, "rule", "a", "from-a");
	CHECK_INT(config_commit_check(a, "alice", "a", pair_rule, &seen, &id, &cause), 0);
	CHECK_INT(seen.calls, 1);
	CHECK_STR(seen.a, "from-a");
	CHECK_STR(seen.b, "");
	CHECK_INT(id, 2);

	/* b's commit sees a's committed item with its own: refused */
	r = open_ok(dir, STORE_RUNNING);
	before = store_dump(r);
	id = 12345;
	CHECK_INT(config_commit_check(b, "bob", "b", pair_rule, &seen, &id, &cause), -1);
	CHECK_INT(seen.calls, 2);
	CHECK_STR(seen.a, "from-a");
	CHECK_STR(seen.b, "from-b");
	CHECK_INT(id, 12345);
	CHECK(cause != NULL && strcmp(cause, "rule/a and rule/b cannot both be set.") == 0);
	free(cause);
	cause = NULL;
	check_dump(r, before);
	CHECK_INT(config_version(b), 2);
	CHECK_INT(history_count(b), 2);
	CHECK_INT(config_pending(b), 1);
	check_value(b, "rule", "b", "from-b");
	check_value(r, "rule", "b", NULL);

	/* a rule that refuses without a cause still gets one */
	seen.silent = 1;
	CHECK_INT(config_commit_check(b, "bob", "b", pair_rule, &seen, NULL, &cause), -1);
	CHECK(cause != NULL && *cause != '\0');
	free(cause);
	cause = NULL;
	check_dump(r, before);

	/* without a check (config_commit) the store enforces nothing */
	commit_ok(b, "bob", "unchecked");
	check_value(r, "rule", "b", "from-b");
	free(before);
	store_close(r);
	store_close(a);
	store_close(b);
	free(dir);
}

static const struct unit_case cases[] = {
	{ "commit_roundtrip", test_commit_roundtrip },
	{ "schema_fresh", test_schema_fresh },
	{ "schema_reopen_noop", test_schema_reopen_noop },
	{ "schema_newer_refused", test_schema_newer_refused },
	{ "open_modes", test_open_modes },
	{ "settings_refused", test_settings_refused },
	{ "settings_table", test_settings_table },
	{ "settings_tdc", test_settings_tdc },
	{ "stage_group", test_stage_group },
	{ "candidate_isolation", test_candidate_isolation },
	{ "clear_drops_pending", test_clear_drops_pending },
	{ "edit_back_to_running", test_edit_back_to_running },
	{ "commit_conflict", test_commit_conflict },
	{ "commit_conflict_kinds", test_commit_conflict_kinds },
	{ "commit_concurrent_disjoint", test_commit_concurrent_disjoint },
	{ "history", test_history },
	{ "rollback", test_rollback },
	{ "rollback_conflict", test_rollback_conflict },
	{ "concurrent_commits", test_concurrent_commits },
	{ "concurrent_open", test_concurrent_open },
	{ "commit_check", test_commit_check },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("store", cases, argc, argv);
}
