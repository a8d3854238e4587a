/*
 * test_users.c - the account store (store/users.c, migration 3 of
 * config.db): names and roles, the built-in admin and the last
 * administrator, passwords and their history, lockout counting, SSH
 * keys, sessions, the login record and its trimming, the migration of a
 * version 2 store with its data kept, and store_set_readonly.
 *
 * The raw sqlite3 API is used only to build an older store, to age rows
 * and to count them; everything else goes through store/.
 */
#include <sqlite3.h>
#include <stdint.h>

#include "store/config.h"
#include "store/settings.h"
#include "store/users.h"
#include "util/pwhash.h"
#include "util/str.h"
#include "tests/unit/unit.h"

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

/* raw_exec - SQL on DIR/config.db through a private connection */
static void
raw_exec(const char *dir, const char *sql)
{
	sqlite3 *db = NULL;
	char *path = str_printf("%s/config.db", dir), *err = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		UNIT_FAIL("sqlite3_open %s failed", path);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		UNIT_FAIL("%s: %s", sql, err ? err : "?");
	sqlite3_close(db);
	free(path);
}

/* raw_text - first column of the first row (malloc'd) */
static char *
raw_text(const char *dir, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char *path = str_printf("%s/config.db", dir), *v;

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

static long
raw_long(const char *dir, const char *sql)
{
	char *v = raw_text(dir, sql);
	long n = -1;

	if (str_to_long(v, -1000000000000L, 1000000000000L, &n) < 0)
		UNIT_FAIL("%s: not a number: %s", sql, v);
	free(v);
	return n;
}

/* get_ok - users_get that must find the account */
static struct user
get_ok(struct store *st, const char *name)
{
	struct user u;
	char *cause = NULL;
	int rc = users_get(st, name, &u, &cause);

	if (rc != 0)
		UNIT_FAIL("users_get %s: %d %s", name, rc, cause ? cause : "");
	return u;
}

static void
add_ok(struct store *st, const char *name, enum user_role role, const char *hash)
{
	char *cause = NULL;

	if (users_add(st, name, "Full Name", role, hash, &cause) < 0)
		UNIT_FAIL("users_add %s: %s", name, cause);
}

/* refused - rc must be -1 with exactly want as its one-line cause (the caller's cause) */
#define REFUSED(call, want) do { \
	cause = NULL; \
	int _rc = (call); \
	if (_rc != -1) \
		UNIT_FAIL("%s returned %d, expected a refusal", #call, _rc); \
	CHECK_STR(cause, want); \
	CHECK(strchr(cause, '\n') == NULL); \
	free(cause); \
	cause = NULL; \
} while (0)

/* REFUSED_LIKE - refused with a cause containing want */
#define REFUSED_LIKE(call, want) do { \
	cause = NULL; \
	int _rc = (call); \
	if (_rc != -1) \
		UNIT_FAIL("%s returned %d, expected a refusal", #call, _rc); \
	if (cause == NULL || strstr(cause, want) == NULL) \
		UNIT_FAIL("%s: cause \"%s\" lacks \"%s\"", #call, cause ? cause : "", want); \
	CHECK(strchr(cause, '\n') == NULL); \
	free(cause); \
	cause = NULL; \
} while (0)

/* OK - call must return 0 */
#define OK(call) do { \
	cause = NULL; \
	if ((call) != 0) \
		UNIT_FAIL("%s: %s", #call, cause ? cause : "(no cause)"); \
} while (0)

/* a text list of what a callback saw */
struct seen {
	char text[8192];
};

static void
seen_add(struct seen *s, const char *t)
{
	size_t n = strlen(s->text);

	str_fmt(s->text + n, sizeof(s->text) - n, "%s;", t);
}

static int
list_user(const struct user *u, void *arg)
{
	char b[200];

	str_fmt(b, sizeof(b), "%s:%s:%s", u->name, users_role_name(u->role), u->fullname);
	seen_add(arg, b);
	return 0;
}

static int
list_hash(const char *hash, void *arg)
{
	seen_add(arg, hash);
	return 0;
}

static int
list_key(int index, const char *key, void *arg)
{
	char b[USER_KEY_MAX + 16];

	str_fmt(b, sizeof(b), "%d=%s", index, key);
	seen_add(arg, b);
	return 0;
}

/* fake_hash - a string that passes for a crypto_pwhash_str hash */
static const char *
fake_hash(int n)
{
	static char b[8][PWHASH_MAX];
	char *p = b[n % 8];

	str_fmt(p, PWHASH_MAX, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$fake%d", n);
	return p;
}

/* ------------------------------------------------------------ names, roles */

static void
test_roles(void)
{
	static const char *const names[] = { "admin", "operator", "readonly", "guest",
		"technician" };

	CHECK_INT(ROLE_COUNT, 5);
	for (int r = 0; r < ROLE_COUNT; r++) {
		CHECK_STR(users_role_name((enum user_role)r), names[r]);
		CHECK_INT(users_role_parse(names[r]), r);
	}
	CHECK_INT(users_role_parse("ReadOnly"), ROLE_READONLY);
	CHECK_INT(users_role_parse("root"), -1);
	CHECK_INT(users_role_parse(""), -1);
	CHECK_INT(users_role_parse("admins"), -1);
	CHECK_STR(users_role_name(ROLE_COUNT), "unknown");
	CHECK_STR(users_role_name((enum user_role)-1), "unknown");
}

static void
test_name_ok(void)
{
	static const struct {
		const char *name, *cause;	/* NULL: accepted */
	} cases[] = {
		{ "admin", NULL },
		{ "a", NULL },
		{ "bob.smith-2_x", NULL },
		{ "abcdefghijklmnopqrstuvwxyz012345", NULL },	/* 32 */
		{ "", "User name '' is empty: use 1 to 32 of a-z, 0-9, '_', '.' and '-', "
		      "starting with a letter." },
		{ "abcdefghijklmnopqrstuvwxyz0123456",
		    "User name 'abcdefghijklmnopqrstuvwxyz0123456' is longer than 32 characters." },
		{ "Bob", "User name 'Bob' must start with a lower-case letter (a-z)." },
		{ "1bob", "User name '1bob' must start with a lower-case letter (a-z)." },
		{ "-bob", "User name '-bob' must start with a lower-case letter (a-z)." },
		{ ".bob", "User name '.bob' must start with a lower-case letter (a-z)." },
		{ "boB", "User name 'boB' may contain only a-z, 0-9, '_', '.' and '-'." },
		{ "bo b", "User name 'bo b' may contain only a-z, 0-9, '_', '.' and '-'." },
		{ "bob$", "User name 'bob$' may contain only a-z, 0-9, '_', '.' and '-'." },
		{ "bob/x", "User name 'bob/x' may contain only a-z, 0-9, '_', '.' and '-'." },
		{ "bob\n", "User name 'bob\\012' may contain only a-z, 0-9, '_', '.' and '-'." },
		{ "b\xc3\xa9", "User name 'b\\303\\251' may contain only a-z, 0-9, '_', '.' and '-'." },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *cause = NULL;
		int rc = users_name_ok(cases[i].name, &cause);

		if (cases[i].cause == NULL) {
			if (rc != 0)
				UNIT_FAIL("'%s' refused: %s", cases[i].name, cause);
		} else {
			CHECK_INT(rc, -1);
			CHECK_STR(cause, cases[i].cause);
			free(cause);
		}
	}
}

/* ------------------------------------------------------------ migration */

static void
test_fresh_store(void)
{
	char *dir = fresh_dir();
	struct store *st = open_ok(dir);
	struct user u = get_ok(st, USER_BUILTIN);
	struct seen s = { "" };
	char *hash = (char *)1, *cause = NULL;

	CHECK_INT(store_schema_version(st), 5);
	CHECK_INT(STORE_SCHEMA_VERSION, 5);
	CHECK_STR(u.name, "admin");
	CHECK_STR(u.fullname, "Administrator");
	CHECK_INT(u.role, ROLE_ADMIN);
	CHECK_INT(u.has_password, 0);
	CHECK_INT(u.locked, 0);
	CHECK_INT(u.failures, 0);
	CHECK_INT(u.nkeys, 0);
	CHECK_INT(u.pw_changed, 0);
	CHECK_INT(u.last_login, 0);
	CHECK(u.created > time(NULL) - 60 && u.created <= time(NULL));
	OK(users_get_hash(st, "admin", &hash, &cause));
	CHECK(hash == NULL);
	OK(users_list(st, list_user, &s, &cause));
	CHECK_STR(s.text, "admin:admin:Administrator;");
	CHECK_INT(users_get(st, "nobody", &u, &cause), 1);
	CHECK(cause == NULL);
	store_close(st);
	free(dir);
}

/*
 * A version 2 store (a configuration and its history) migrates to 3 with
 * everything kept; the migration adds admin. A migration 3 that fails
 * leaves the store at version 2, untouched, and says why.
 */
static void
test_migrate_from_v2(void)
{
	char *dir = fresh_dir(), *cause = NULL, *before, *after;
	struct store *st = open_ok(dir);
	struct user u;

	OK(config_set(st, "s", "k", "v", &cause));
	OK(settings_set(st, "dns.timeout", "7", &cause));
	OK(config_commit(st, "root", "before the accounts", NULL, &cause));
	before = store_dump(st);
	store_close(st);

	/* back to what a version 2 build made */
	raw_exec(dir, "DROP TABLE cluster_member; DROP TABLE cluster_state; "
		      "DROP TABLE cluster_machine_items; DROP TABLE lvl_config; DROP TABLE lvl_commits; "
		      "DROP TABLE lvl_commit_changes; DROP TABLE lvl_secret_history; "
		      "DROP TABLE cloud_registration; "
		      "DROP TABLE logins; DROP TABLE sessions; DROP TABLE pw_history; "
		      "DROP TABLE user_keys; DROP TABLE users; PRAGMA user_version = 2;");
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'users'"), 0);

	/* a migration that fails (a table in the way) is refused, nothing changed */
	raw_exec(dir, "CREATE TABLE sessions (x);");
	{
		struct store *bad = NULL;

		CHECK_INT(store_open(dir, STORE_SESSION, &bad, &cause), -1);
		CHECK(bad == NULL);
		if (cause == NULL || strstr(cause, "migration 3 failed") == NULL)
			UNIT_FAIL("cause: %s", cause ? cause : "(none)");
		free(cause);
		cause = NULL;
	}
	CHECK_INT(raw_long(dir, "PRAGMA user_version"), 2);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'users'"), 0);
	raw_exec(dir, "DROP TABLE sessions;");

	/* the real thing: store_open runs store_migrate_to */
	st = open_ok(dir);
	CHECK_INT(store_schema_version(st), 5);
	after = store_dump(st);
	CHECK_STR(after, before);
	CHECK_INT(config_version(st), 1);
	u = get_ok(st, "admin");
	CHECK_INT(u.role, ROLE_ADMIN);
	CHECK_STR(u.fullname, "Administrator");
	CHECK_INT(u.has_password, 0);
	/* again: a no-op */
	OK(store_migrate_to(st, STORE_SCHEMA_VERSION, &cause));
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM users"), 1);
	/* and the new tables work */
	add_ok(st, "bob", ROLE_OPERATOR, NULL);
	store_close(st);
	CHECK_STR(raw_text(dir, "PRAGMA integrity_check"), "ok");
	free(before);
	free(after);
	free(dir);
}

/* ------------------------------------------------------------ accounts */

static void
test_add_get_list(void)
{
	char *dir = fresh_dir(), *cause = NULL, *hash = NULL;
	struct store *st = open_ok(dir);
	struct seen s = { "" };
	struct user u;
	char longname[USER_FULL_MAX + 2];

	add_ok(st, "zed", ROLE_GUEST, NULL);
	OK(users_add(st, "bob", "Bob \"B\" Smith", ROLE_OPERATOR, fake_hash(1), &cause));
	add_ok(st, "carol", ROLE_TECHNICIAN, NULL);
	add_ok(st, "dave", ROLE_READONLY, NULL);
	OK(users_list(st, list_user, &s, &cause));
	CHECK_STR(s.text, "admin:admin:Administrator;bob:operator:Bob \"B\" Smith;"
			  "carol:technician:Full Name;dave:readonly:Full Name;zed:guest:Full Name;");

	u = get_ok(st, "bob");
	CHECK_INT(u.has_password, 1);
	CHECK(u.pw_changed > 0);
	OK(users_get_hash(st, "bob", &hash, &cause));
	CHECK_STR(hash, fake_hash(1));
	free(hash);
	u = get_ok(st, "zed");
	CHECK_INT(u.has_password, 0);
	CHECK_INT(u.pw_changed, 0);

	REFUSED(users_add(st, "bob", "x", ROLE_GUEST, NULL, &cause), "User bob already exists.");
	REFUSED(users_add(st, "admin", "x", ROLE_ADMIN, NULL, &cause), "User admin already exists.");
	REFUSED(users_add(st, "Bob", "x", ROLE_GUEST, NULL, &cause),
	    "User name 'Bob' must start with a lower-case letter (a-z).");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	REFUSED(users_add(st, "eve", longname, ROLE_GUEST, NULL, &cause),
	    "The full name is longer than 128 bytes.");
	REFUSED(users_add(st, "eve", "a\tb", ROLE_GUEST, NULL, &cause),
	    "The full name must not contain control characters.");
	REFUSED(users_add(st, "eve", "E", ROLE_COUNT, NULL, &cause), "Unknown role 5.");
	REFUSED_LIKE(users_add(st, "eve", "E", ROLE_GUEST, "plaintext", &cause),
	    "not a password hash");
	CHECK_INT(users_get(st, "eve", &u, &cause), 1);

	/* update: full name and role */
	OK(users_update(st, "zed", "Zed Z", ROLE_ADMIN, &cause));
	u = get_ok(st, "zed");
	CHECK_STR(u.fullname, "Zed Z");
	CHECK_INT(u.role, ROLE_ADMIN);
	REFUSED(users_update(st, "nobody", "N", ROLE_GUEST, &cause), "User nobody does not exist.");
	REFUSED(users_update(st, "zed", "a\nb", ROLE_GUEST, &cause),
	    "The full name must not contain control characters.");
	CHECK_INT(get_ok(st, "zed").role, ROLE_ADMIN);
	REFUSED(users_delete(st, "nobody", &cause), "User nobody does not exist.");
	REFUSED(users_delete(st, "x\033y", &cause), "User x\\033y does not exist.");
	store_close(st);
	free(dir);
}

/* USERS_MAX accounts, and no more; added inside the caller's transaction */
static void
test_users_max(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir);

	OK(store_read_begin(st, &cause));
	for (int i = 1; i < USERS_MAX; i++) {
		char name[32];

		str_fmt(name, sizeof(name), "u%04d", i);
		add_ok(st, name, ROLE_GUEST, NULL);
	}
	store_read_end(st);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM users"), USERS_MAX);
	REFUSED(users_add(st, "onemore", "x", ROLE_GUEST, NULL, &cause),
	    "There are already 1000 accounts.");
	OK(users_delete(st, "u0001", &cause));
	add_ok(st, "onemore", ROLE_GUEST, NULL);
	store_close(st);
	free(dir);
}

static void
test_admin_protected(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir);
	struct user u;

	REFUSED(users_delete(st, "admin", &cause), "The account admin cannot be deleted.");
	REFUSED(users_update(st, "admin", "Administrator", ROLE_OPERATOR, &cause),
	    "The account admin is always an administrator.");
	REFUSED(users_update(st, "admin", "Administrator", ROLE_READONLY, &cause),
	    "The account admin is always an administrator.");
	/* its full name may change */
	OK(users_update(st, "admin", "Chief", ROLE_ADMIN, &cause));
	u = get_ok(st, "admin");
	CHECK_STR(u.fullname, "Chief");
	CHECK_INT(u.role, ROLE_ADMIN);
	store_close(st);

	/*
	 * the last administrator: admin is always one, so only a store
	 * without it (damaged, edited by hand) can show the rule
	 */
	raw_exec(dir, "DELETE FROM users WHERE name = 'admin'");
	st = open_ok(dir);
	add_ok(st, "alice", ROLE_ADMIN, NULL);
	add_ok(st, "bob", ROLE_OPERATOR, NULL);
	REFUSED(users_update(st, "alice", "A", ROLE_OPERATOR, &cause),
	    "The account alice is the last administrator; make another account an "
	    "administrator first.");
	REFUSED(users_delete(st, "alice", &cause),
	    "The account alice is the last administrator; make another account an "
	    "administrator first.");
	CHECK_INT(get_ok(st, "alice").role, ROLE_ADMIN);
	OK(users_update(st, "bob", "B", ROLE_ADMIN, &cause));
	OK(users_update(st, "alice", "A", ROLE_OPERATOR, &cause));
	REFUSED(users_delete(st, "bob", &cause),
	    "The account bob is the last administrator; make another account an "
	    "administrator first.");
	OK(users_delete(st, "alice", &cause));
	store_close(st);
	free(dir);
}

/* deleting an account takes its keys, history and session rows; not its login lines */
static void
test_delete_cascade(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir);
	struct user_session ses = { .user = "bob", .pid = 42, .kind = "ssh" };
	struct user_login l = { .user = "bob", .event = "login" };
	struct user u;

	add_ok(st, "bob", ROLE_OPERATOR, fake_hash(1));
	add_ok(st, "carol", ROLE_OPERATOR, fake_hash(5));
	OK(users_set_password(st, "bob", fake_hash(2), 3, &cause));
	OK(users_set_password(st, "carol", fake_hash(6), 3, &cause));
	OK(users_key_add(st, "bob",
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFsLK4XSTUN+wcAObPmuV6Va1Dre/Sea4Mt/5HYBHpIz", &cause));
	OK(users_session_open(st, &ses, &cause));
	OK(users_login_record(st, &l, &cause));
	OK(users_delete(st, "bob", &cause));
	CHECK_INT(users_get(st, "bob", &u, &cause), 1);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM user_keys"), 0);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM pw_history WHERE name = 'bob'"), 0);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM pw_history WHERE name = 'carol'"), 1);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM sessions"), 0);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM logins WHERE user = 'bob'"), 1);
	/* a new bob starts clean */
	add_ok(st, "bob", ROLE_GUEST, NULL);
	u = get_ok(st, "bob");
	CHECK_INT(u.nkeys, 0);
	CHECK_INT(u.has_password, 0);
	store_close(st);
	free(dir);
}

/* ------------------------------------------------------------ passwords */

static void
test_password_history(void)
{
	char *dir = fresh_dir(), *cause = NULL, *hash = NULL;
	struct store *st = open_ok(dir);
	struct seen s = { "" };
	struct user u;
	char want[1024];

	add_ok(st, "bob", ROLE_OPERATOR, NULL);
	/* no old password: nothing goes onto the history */
	OK(users_set_password(st, "bob", fake_hash(1), 3, &cause));
	OK(users_history(st, "bob", 10, list_hash, &s, &cause));
	CHECK_STR(s.text, "");
	for (int i = 2; i <= 5; i++)
		OK(users_set_password(st, "bob", fake_hash(i), 3, &cause));
	OK(users_get_hash(st, "bob", &hash, &cause));
	CHECK_STR(hash, fake_hash(5));
	free(hash);
	/* the newest 3 previous ones, newest first */
	OK(users_history(st, "bob", 10, list_hash, &s, &cause));
	str_fmt(want, sizeof(want), "%s;", fake_hash(4));
	str_fmt(want + strlen(want), sizeof(want) - strlen(want), "%s;", fake_hash(3));
	str_fmt(want + strlen(want), sizeof(want) - strlen(want), "%s;", fake_hash(2));
	CHECK_STR(s.text, want);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM pw_history"), 3);
	/* n limits what is shown */
	s.text[0] = '\0';
	OK(users_history(st, "bob", 1, list_hash, &s, &cause));
	str_fmt(want, sizeof(want), "%s;", fake_hash(4));
	CHECK_STR(s.text, want);
	s.text[0] = '\0';
	OK(users_history(st, "bob", 0, list_hash, &s, &cause));
	CHECK_STR(s.text, "");

	/* setting a password clears the failures and stamps pw_changed */
	raw_exec(dir, "UPDATE users SET failures = 3, pw_changed = 1 WHERE name = 'bob'");
	OK(users_set_password(st, "bob", fake_hash(6), 1, &cause));
	u = get_ok(st, "bob");
	CHECK_INT(u.failures, 0);
	CHECK(u.pw_changed > time(NULL) - 60);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM pw_history"), 1);
	OK(users_set_password(st, "bob", fake_hash(7), 0, &cause));
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM pw_history"), 0);

	REFUSED(users_set_password(st, "nobody", fake_hash(1), 3, &cause),
	    "User nobody does not exist.");
	REFUSED(users_get_hash(st, "nobody", &hash, &cause), "User nobody does not exist.");
	CHECK(hash == NULL);
	REFUSED_LIKE(users_set_password(st, "bob", "secret", 3, &cause), "not a password hash");
	OK(users_get_hash(st, "bob", &hash, &cause));
	CHECK_STR(hash, fake_hash(7));
	free(hash);

	/* a real hash round trip */
	{
		char h[PWHASH_MAX];

		OK(pwhash_make("Tr0ub4dor&3", h, &cause));
		OK(users_set_password(st, "bob", h, 3, &cause));
		OK(users_get_hash(st, "bob", &hash, &cause));
		CHECK(pwhash_verify(hash, "Tr0ub4dor&3") == 1);
		CHECK(pwhash_verify(hash, "tr0ub4dor&3") == 0);
		free(hash);
	}
	store_close(st);
	free(dir);
}

static void
test_lockout(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir);
	struct user u;
	int now = -1;

	add_ok(st, "bob", ROLE_OPERATOR, fake_hash(1));
	for (int i = 1; i <= 2; i++) {
		OK(users_login_failed(st, "bob", 3, &now, &cause));
		CHECK_INT(now, 0);
		u = get_ok(st, "bob");
		CHECK_INT(u.failures, i);
		CHECK_INT(u.locked, 0);
	}
	OK(users_login_failed(st, "bob", 3, &now, &cause));
	CHECK_INT(now, 1);
	u = get_ok(st, "bob");
	CHECK_INT(u.failures, 3);
	CHECK_INT(u.locked, 1);
	/* already locked: counted, not locked "now" again */
	OK(users_login_failed(st, "bob", 3, &now, &cause));
	CHECK_INT(now, 0);
	CHECK_INT(get_ok(st, "bob").failures, 4);
	/* unlocking clears the count */
	OK(users_set_locked(st, "bob", 0, &cause));
	u = get_ok(st, "bob");
	CHECK_INT(u.locked, 0);
	CHECK_INT(u.failures, 0);
	/* a success clears it too and stamps last_login */
	OK(users_login_failed(st, "bob", 3, &now, &cause));
	OK(users_login_failed(st, "bob", 3, &now, &cause));
	CHECK_INT(get_ok(st, "bob").last_login, 0);
	OK(users_login_ok(st, "bob", &cause));
	u = get_ok(st, "bob");
	CHECK_INT(u.failures, 0);
	CHECK(u.last_login > time(NULL) - 60);
	OK(users_login_failed(st, "bob", 3, &now, &cause));
	OK(users_login_failed(st, "bob", 3, &now, &cause));
	CHECK_INT(now, 0);
	CHECK_INT(get_ok(st, "bob").locked, 0);
	/* lockout 0: never locks */
	for (int i = 0; i < 10; i++) {
		OK(users_login_failed(st, "bob", 0, &now, &cause));
		CHECK_INT(now, 0);
	}
	u = get_ok(st, "bob");
	CHECK_INT(u.locked, 0);
	CHECK_INT(u.failures, 12);
	/* lockout lowered below the count: the next failure locks */
	OK(users_login_failed(st, "bob", 5, &now, &cause));
	CHECK_INT(now, 1);
	/* locking by hand; unlocking is not a login */
	OK(users_set_locked(st, "bob", 0, &cause));
	OK(users_set_locked(st, "bob", 1, &cause));
	u = get_ok(st, "bob");
	CHECK_INT(u.locked, 1);
	CHECK_INT(u.failures, 0);

	REFUSED(users_login_failed(st, "nobody", 3, &now, &cause), "User nobody does not exist.");
	CHECK_INT(now, 0);
	REFUSED(users_login_ok(st, "nobody", &cause), "User nobody does not exist.");
	REFUSED(users_set_locked(st, "nobody", 1, &cause), "User nobody does not exist.");
	store_close(st);
	free(dir);
}

/* ------------------------------------------------------------ keys */

#define ED1 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFsLK4XSTUN+wcAObPmuV6Va1Dre/Sea4Mt/5HYBHpIz"
#define ED2 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBRCP2sCo9qQmnB8SaW3KTXfsy5sN9gLYr7gvMoKCW0c"
#define EC1 "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKa+VnpE0cp/" \
	"2STBdrMh7YZw8FoD+gvCqpJDNkwkrxgpenrAwdop6mFKHbwHRukbzKx6/ehk/OfK2Cv4gTKZcEI="
#define RSA1 "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDBbeWYIbTtdigVuLNWpOxSelT9D1top4Z7xYb4" \
	"BjLYJaTo3cpMKX0+mFRqxkGb1cmq0mqDBpuGkmJajc6emyB/Fkfxz2Cmrb61mGWzns4sqsN7RH+G5vFAHedaVaq" \
	"lTVx7JtZygH2y9Qxq1UDKd+aUbtl0Z2mP04smkUXb8vyjiw=="

/* ed_key - a well-formed ssh-ed25519 line whose 32 key bytes are all n */
static char *
ed_key(int n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char blob[4 + 11 + 4 + 32];
	char out[128], *o = out;
	size_t len = sizeof(blob);

	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	memset(blob + 19, n, 32);
	for (size_t i = 0; i < len; i += 3) {
		unsigned int v = (unsigned int)blob[i] << 16;

		v |= i + 1 < len ? (unsigned int)blob[i + 1] << 8 : 0;
		v |= i + 2 < len ? blob[i + 2] : 0;
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return str_printf("ssh-ed25519 %s k%d", out, n);
}

static void
test_keys(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir);
	struct seen s = { "" };

	add_ok(st, "bob", ROLE_OPERATOR, NULL);
	OK(users_key_add(st, "bob", ED1 " alice@test", &cause));
	OK(users_key_add(st, "bob", "  " EC1 "   ec key  ", &cause));	/* spaces tidied */
	OK(users_key_add(st, "bob", RSA1, &cause));
	OK(users_keys(st, "bob", list_key, &s, &cause));
	CHECK_STR(s.text, "1=" ED1 " alice@test;2=" EC1 " ec key;3=" RSA1 ";");
	CHECK_INT(get_ok(st, "bob").nkeys, 3);

	/* the same key with another comment is the same key */
	REFUSED(users_key_add(st, "bob", ED1 " other", &cause),
	    "The account bob already has this key (key 1).");
	REFUSED(users_key_add(st, "bob", RSA1 " x", &cause),
	    "The account bob already has this key (key 3).");
	/* what is not one plain public key line */
	REFUSED_LIKE(users_key_add(st, "bob", "command=\"/bin/sh\" " ED2, &cause),
	    "Key options (from=, command=, ...) are not allowed");
	REFUSED_LIKE(users_key_add(st, "bob", "restrict " ED2, &cause),
	    "Unknown key type 'restrict'");
	REFUSED_LIKE(users_key_add(st, "bob", "ssh-dss AAAAB3NzaC1kc3MAAACBAP", &cause),
	    "Unknown key type 'ssh-dss'");
	REFUSED_LIKE(users_key_add(st, "bob", "", &cause), "The key is empty");
	REFUSED_LIKE(users_key_add(st, "bob", "   ", &cause), "The key is empty");
	REFUSED_LIKE(users_key_add(st, "bob", "ssh-ed25519", &cause),
	    "The ssh-ed25519 key has no key data after its type.");
	REFUSED_LIKE(users_key_add(st, "bob", "ssh-ed25519 AAAA$$$$", &cause),
	    "not a valid ssh-ed25519 public key");
	REFUSED_LIKE(users_key_add(st, "bob", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFsLK4XSTUN",
	    &cause), "not a valid ssh-ed25519 public key");	/* cut: not a multiple of 4 */
	/* an RSA blob called ed25519 */
	REFUSED_LIKE(users_key_add(st, "bob", "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQDBbeWY",
	    &cause), "not a valid ssh-ed25519 public key");
	REFUSED_LIKE(users_key_add(st, "bob", ED2 "\n" ED1, &cause), "must be one line");
	REFUSED_LIKE(users_key_add(st, "bob", ED2 " a\rb", &cause), "must be one line");
	REFUSED(users_key_add(st, "nobody", ED2, &cause), "User nobody does not exist.");
	{
		char *big = xmalloc(USER_KEY_MAX + 2);

		memset(big, 'A', USER_KEY_MAX + 1);
		big[USER_KEY_MAX + 1] = '\0';
		REFUSED(users_key_add(st, "bob", big, &cause), "The key is longer than 16384 bytes.");
		free(big);
	}
	CHECK_INT(get_ok(st, "bob").nkeys, 3);

	/* delete by position; the others move up */
	REFUSED(users_key_delete(st, "bob", 4, &cause),
	    "There is no key 4: the account bob has 3 keys (1-3).");
	REFUSED(users_key_delete(st, "bob", 0, &cause),
	    "There is no key 0: the account bob has 3 keys (1-3).");
	OK(users_key_delete(st, "bob", 2, &cause));
	s.text[0] = '\0';
	OK(users_keys(st, "bob", list_key, &s, &cause));
	CHECK_STR(s.text, "1=" ED1 " alice@test;2=" RSA1 ";");
	OK(users_key_delete(st, "bob", 1, &cause));
	OK(users_key_delete(st, "bob", 1, &cause));
	REFUSED(users_key_delete(st, "bob", 1, &cause), "The account bob has no keys.");
	REFUSED(users_key_delete(st, "nobody", 1, &cause), "User nobody does not exist.");
	/* a key deleted may come back, as the last */
	OK(users_key_add(st, "bob", ED2, &cause));
	OK(users_key_add(st, "bob", ED1, &cause));
	s.text[0] = '\0';
	OK(users_keys(st, "bob", list_key, &s, &cause));
	CHECK_STR(s.text, "1=" ED2 ";2=" ED1 ";");

	/* USER_KEYS_MAX of them */
	for (int i = 3; i <= USER_KEYS_MAX; i++) {
		char *k = ed_key(i);

		OK(users_key_add(st, "bob", k, &cause));
		free(k);
	}
	{
		char *k = ed_key(99);

		REFUSED(users_key_add(st, "bob", k, &cause),
		    "The account bob already has 16 keys; delete one first.");
		/* another account has its own allowance, and may share a key */
		add_ok(st, "carol", ROLE_GUEST, NULL);
		OK(users_key_add(st, "carol", k, &cause));
		OK(users_key_add(st, "carol", ED1, &cause));
		free(k);
	}
	CHECK_INT(get_ok(st, "bob").nkeys, USER_KEYS_MAX);
	CHECK_INT(get_ok(st, "carol").nkeys, 2);
	store_close(st);
	free(dir);
}

/* ------------------------------------------------------------ sessions */

struct ses_seen {
	struct seen s;
	struct store *st;
	int64_t prune;		/* prune this one while listing */
};

static int
list_session(const struct user_session *u, void *arg)
{
	struct ses_seen *ss = arg;
	char b[300], *cause = NULL;

	str_fmt(b, sizeof(b), "%s/%d/%llu/%s/%s/%s", u->user, (int)u->pid, u->pid_start, u->origin,
	    u->tty, u->kind);
	seen_add(&ss->s, b);
	if (ss->prune == u->id && users_session_prune(ss->st, u->id, &cause) < 0)
		UNIT_FAIL("prune in callback: %s", cause);
	return 0;
}

static void
test_sessions(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir);
	struct user_session a = { .user = "admin", .pid = 100, .pid_start = 12345,
		.origin = "127.0.0.1 port 52390", .tty = "pts/3", .kind = "ssh" };
	struct user_session b = { .user = "root", .pid = 200, .pid_start = 777,
		.origin = "console", .tty = "", .kind = "console" };
	struct user_session c = { .user = "" };
	struct ses_seen ss = { .st = st };
	time_t t0 = time(NULL);

	OK(users_session_open(st, &a, &cause));
	OK(users_session_open(st, &b, &cause));
	CHECK(a.id > 0);
	CHECK(b.id > a.id);
	CHECK(a.started >= t0 && a.active == a.started);
	REFUSED_LIKE(users_session_open(st, &c, &cause), "without a user");
	OK(users_sessions(st, list_session, &ss, &cause));
	CHECK_STR(ss.s.text, "admin/100/12345/127.0.0.1 port 52390/pts/3/ssh;"
			     "root/200/777/console//console;");

	/* touch moves active only */
	raw_exec(dir, "UPDATE sessions SET active = 5, started = 5");
	OK(users_session_touch(st, a.id, &cause));
	CHECK(raw_long(dir, "SELECT active FROM sessions WHERE user = 'admin'") >= t0);
	CHECK_INT(raw_long(dir, "SELECT started FROM sessions WHERE user = 'admin'"), 5);
	CHECK_INT(raw_long(dir, "SELECT active FROM sessions WHERE user = 'root'"), 5);

	/* a callback may prune what it is shown */
	ss.s.text[0] = '\0';
	ss.prune = a.id;
	OK(users_sessions(st, list_session, &ss, &cause));
	CHECK_STR(ss.s.text, "admin/100/12345/127.0.0.1 port 52390/pts/3/ssh;"
			     "root/200/777/console//console;");
	ss.s.text[0] = '\0';
	ss.prune = 0;
	OK(users_sessions(st, list_session, &ss, &cause));
	CHECK_STR(ss.s.text, "root/200/777/console//console;");
	/* closing (or touching) a row already gone is no error */
	OK(users_session_close(st, a.id, &cause));
	OK(users_session_touch(st, a.id, &cause));
	OK(users_session_close(st, b.id, &cause));
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM sessions"), 0);
	/* ids are never reused: the logs name them */
	c = a;
	c.id = 0;
	OK(users_session_open(st, &c, &cause));
	CHECK(c.id > b.id);
	store_close(st);
	free(dir);
}

/* ------------------------------------------------------------ login record */

static int
list_login(const struct user_login *l, void *arg)
{
	char b[400];

	str_fmt(b, sizeof(b), "%s %s %s %s %lld %s", l->user, l->event, l->origin, l->method,
	    (long long)l->session, l->detail);
	seen_add(arg, b);
	return 0;
}

static int
first_id(const struct user_login *l, void *arg)
{
	*(int64_t *)arg = l->id;
	return 0;	/* the last call leaves the oldest */
}

static void
test_logins(void)
{
	char *dir = fresh_dir(), *cause = NULL;
	struct store *st = open_ok(dir);
	struct user_login l1 = { .user = "admin", .event = "login", .origin = "127.0.0.1 port 1",
		.method = "publickey", .session = 7 };
	struct user_login l2 = { .user = "admin", .event = "logout", .origin = "127.0.0.1 port 1",
		.session = 7, .detail = "idle timeout" };
	struct user_login l3 = { .when = 1000, .user = "x", .event = "failed",
		.origin = "10.0.0.1", .method = "password" };
	struct seen s = { "" };
	int64_t oldest = 0;

	OK(users_login_record(st, &l1, &cause));
	OK(users_login_record(st, &l2, &cause));
	OK(users_login_record(st, &l3, &cause));
	OK(users_logins(st, 0, list_login, &s, &cause));
	CHECK_STR(s.text, "x failed 10.0.0.1 password 0 ;"
			  "admin logout 127.0.0.1 port 1  7 idle timeout;"
			  "admin login 127.0.0.1 port 1 publickey 7 ;");
	s.text[0] = '\0';
	OK(users_logins(st, 2, list_login, &s, &cause));
	CHECK_STR(s.text, "x failed 10.0.0.1 password 0 ;"
			  "admin logout 127.0.0.1 port 1  7 idle timeout;");
	CHECK_INT(raw_long(dir, "SELECT time FROM logins WHERE user = 'x'"), 1000);
	CHECK(raw_long(dir, "SELECT min(time) FROM logins WHERE user = 'admin'") > 1000);

	/* filled to the brim by hand, then the newest USERS_LOGINS_KEEP stay */
	raw_exec(dir, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
		      "WHERE i < 4996) INSERT INTO logins (time, user, event, origin, method, "
		      "session, detail) SELECT i, 'filler', 'login', '', '', 0, '' FROM n");
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM logins"), 4999);
	OK(users_login_record(st, &l1, &cause));
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM logins"), USERS_LOGINS_KEEP);
	CHECK_INT(raw_long(dir, "SELECT min(id) FROM logins"), 1);
	for (int i = 0; i < 5; i++)
		OK(users_login_record(st, &l2, &cause));
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM logins"), USERS_LOGINS_KEEP);
	/* the five oldest went: l1, l2, l3 and two fillers */
	CHECK_INT(raw_long(dir, "SELECT min(id) FROM logins"), 6);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM logins WHERE user = 'x'"), 0);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM logins WHERE event = 'logout'"), 5);
	OK(users_logins(st, 0, first_id, &oldest, &cause));
	CHECK_INT(oldest, 6);
	s.text[0] = '\0';
	OK(users_logins(st, 1, list_login, &s, &cause));
	CHECK_STR(s.text, "admin logout 127.0.0.1 port 1  7 idle timeout;");
	store_close(st);
	free(dir);
}

/* ------------------------------------------------------------ read-only sessions */

static int
count_pending(const char *section, const char *key, const char *o, const char *n, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void
test_readonly(void)
{
	char *dir = fresh_dir(), *cause = NULL, *v = NULL;
	struct store *st = open_ok(dir), *other = open_ok(dir);
	int64_t first = 0;
	int n = 0;

	OK(config_set(st, "s", "k", "v1", &cause));
	OK(config_commit(st, "root", "one", &first, &cause));
	OK(config_set(st, "s", "k", "v2", &cause));
	OK(config_commit(st, "root", "two", NULL, &cause));
	OK(config_set(st, "s", "pending", "p", &cause));

	store_set_readonly(st, "readonly");
	REFUSED(config_set(st, "s", "k", "v3", &cause),
	    "the readonly role cannot change the configuration");
	REFUSED(config_delete(st, "s", "k", &cause),
	    "the readonly role cannot change the configuration");
	REFUSED(settings_set(st, "dns.timeout", "9", &cause),
	    "the readonly role cannot change the configuration");
	REFUSED(settings_set(st, "tdc.api_key", "sekrit", &cause),	/* a secret one */
	    "the readonly role cannot change the configuration");
	REFUSED(config_commit(st, "ro", "no", NULL, &cause),
	    "the readonly role cannot change the configuration");
	REFUSED(config_commit_check(st, "ro", "no", NULL, NULL, NULL, &cause),
	    "the readonly role cannot change the configuration");
	REFUSED(config_stage_rollback(st, first, &cause),
	    "the readonly role cannot change the configuration");
	/* nothing changed: the running value, the pending edit */
	CHECK_INT(config_version(st), 2);
	OK(config_get(st, "s", "k", &v, &cause));
	CHECK_STR(v, "v2");
	free(v);
	OK(config_pending_list(st, count_pending, &n, &cause));
	CHECK_INT(n, 1);
	/* clearing its own candidate is fine */
	OK(config_begin(st, &cause));
	OK(config_end(st, 1, &cause));
	OK(config_clear(st, &cause));
	CHECK_INT(config_pending(st), 0);
	/* accounts are not configuration: a read-only user changes its own password */
	OK(users_set_password(st, "admin", fake_hash(1), 3, &cause));

	/* another role's name in the message; other handles are not affected */
	store_set_readonly(other, "guest");
	REFUSED(config_set(other, "s", "k", "x", &cause),
	    "the guest role cannot change the configuration");
	store_close(other);
	other = open_ok(dir);
	OK(config_set(other, "s", "k", "v3", &cause));
	OK(config_commit(other, "root", "three", NULL, &cause));
	OK(config_get(st, "s", "k", &v, &cause));
	CHECK_STR(v, "v3");
	free(v);
	store_close(other);
	store_close(st);
	free(dir);
}

/* ------------------------------------------------------------ settings */

static void
test_settings_rows(void)
{
	static const struct {
		const char *name, *def;
		long min, max;
	} rows[] = {
		{ "users.min_length", "8", 6, 128 },
		{ "users.min_classes", "3", 0, 4 },
		{ "users.history", "3", 0, 20 },
		{ "users.max_age_days", "0", 0, 3650 },
		{ "users.lockout", "5", 0, 100 },
		{ "adminaccess.timeout", "1800", 0, 86400 },
		{ "adminaccess.max_sessions", "10", 1, 100 },
		{ "adminaccess.banner", "", 0, 4000 },
	};
	char *dir = fresh_dir(), *cause = NULL, *v;
	struct store *st = open_ok(dir);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct setting_def *d = settings_find(rows[i].name);

		if (d == NULL)
			UNIT_FAIL("no setting %s", rows[i].name);
		CHECK_STR(d->def, rows[i].def);
		CHECK_INT(d->min, rows[i].min);
		CHECK_INT(d->max, rows[i].max);
		CHECK_INT(d->type, i < 7 ? SETTING_INT : SETTING_STRING);
		CHECK_INT(d->flags & SETTING_SECRET, 0);
	}
	/* pending until commit, like every setting */
	OK(settings_set(st, "users.lockout", "3", &cause));
	/* the banner's line breaks are stored as the two characters \n (the command's) */
	REFUSED(settings_set(st, "adminaccess.banner", "Authorised use only.\nAll is logged.",
	    &cause), "The value cannot contain control characters.");
	OK(settings_set(st, "adminaccess.banner", "Authorised use only.\\nAll is logged.",
	    &cause));
	CHECK_INT(config_pending(st), 2);
	{
		struct store *other = open_ok(dir);

		CHECK_INT(settings_get_int(other, "users.lockout"), 5);
		store_close(other);
	}
	OK(config_commit(st, "root", NULL, NULL, &cause));
	v = settings_get(st, "adminaccess.banner");
	CHECK_STR(v, "Authorised use only.\\nAll is logged.");
	free(v);
	REFUSED_LIKE(settings_set(st, "users.min_length", "5", &cause), "between 6 and 128");
	REFUSED_LIKE(settings_set(st, "adminaccess.max_sessions", "0", &cause), "between 1 and 100");
	store_close(st);
	free(dir);
}

static const struct unit_case cases[] = {
	{ "roles", test_roles },
	{ "name_ok", test_name_ok },
	{ "fresh_store", test_fresh_store },
	{ "migrate_from_v2", test_migrate_from_v2 },
	{ "add_get_list", test_add_get_list },
	{ "users_max", test_users_max },
	{ "admin_protected", test_admin_protected },
	{ "delete_cascade", test_delete_cascade },
	{ "password_history", test_password_history },
	{ "lockout", test_lockout },
	{ "keys", test_keys },
	{ "sessions", test_sessions },
	{ "logins", test_logins },
	{ "readonly", test_readonly },
	{ "settings_rows", test_settings_rows },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("users", cases, argc, argv);
}
