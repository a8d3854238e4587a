/*
 * test_secret.c - secrets at rest (store/secret.c, issue 9 item 4):
 * AES-256-GCM sealing (round trip; a changed nonce, ciphertext or tag, a
 * value moved to another item, another key, a damaged or unknown form:
 * all refused), the key file (made 0600 at the first open; refused as a
 * link, a FIFO, with another mode or size; never re-made while encrypted
 * values exist), the store's use of it (no clear value in config.db,
 * "changed" in the history and the pending list, a secret set back to
 * its value is no change, rollback restores the encrypted value) and
 * the upgrade of a store written before encryption.
 *
 * Recovery from a lost key (lost_key_recovery, other_key_replace): the
 * secrets are cleared without the key, a new key is made once no running
 * value needs the old one, and a rollback to a value under the old key
 * is refused naming the setting and the key file. The upgrade's cleanup
 * (scrub_retried): a marker left set is acted on at the next open.
 *
 * The raw sqlite3 API is used only to build a store of schema 1 as the
 * earlier mxgate wrote it, and to look at what the file holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "store/config.h"
#include "store/secret.h"
#include "store/settings.h"
#include "util/fsutil.h"
#include "util/str.h"
#include "tests/unit/unit.h"

static const unsigned char key1[SECRET_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[SECRET_KEY_LEN] = "fedcba9876543210fedcba9876543210";

#define SEC "setting"
#define NAME "tdc.client_secret"

/* ------------------------------------------------------------ helpers */

/* seal - secret_encrypt that must succeed */
static char *
seal(const unsigned char *key, const char *section, const char *name, const char *clear)
{
	char *stored = NULL, *cause = NULL;

	if (secret_encrypt(key, section, name, clear, &stored, &cause) < 0)
		UNIT_FAIL("secret_encrypt: %s", cause);
	return stored;
}

/* refused - secret_decrypt must refuse stored, with a cause containing want */
static void
refused(const unsigned char *key, const char *section, const char *name, const char *stored,
    const char *want)
{
	char *clear = NULL, *cause = NULL;

	if (secret_decrypt(key, section, name, stored, &clear, &cause) == 0)
		UNIT_FAIL("%s decrypted to '%s'", stored, clear);
	CHECK(clear == NULL);
	CHECK(cause != NULL);
	if (strstr(cause, want) == NULL)
		UNIT_FAIL("cause '%s' does not say '%s'", cause, want);
	free(cause);
}

/* flip - stored with the base64 character at i changed to another valid one */
static char *
flip(const char *stored, size_t i)
{
	char *s = str_dup(stored);

	CHECK(i < strlen(s) && s[i] != '=');
	s[i] = s[i] == 'A' ? 'B' : 'A';
	return s;
}

/* file_holds - does the file at path contain needle? */
static int
file_holds(const char *path, const char *needle)
{
	size_t len = 0, n = strlen(needle);
	char *data = fs_read_file(path, 64 * 1024 * 1024, &len);
	int found = 0;

	if (data == NULL)
		return 0;
	for (size_t i = 0; i + n <= len && !found; i++)
		found = memcmp(data + i, needle, n) == 0;
	free(data);
	return found;
}

/* dir_holds - does config.db or its WAL hold needle? */
static int
dir_holds(const char *dir, const char *needle)
{
	char *db = str_printf("%s/config.db", dir), *wal = str_printf("%s/config.db-wal", dir);
	int found = file_holds(db, needle) || file_holds(wal, needle);

	free(db);
	free(wal);
	return found;
}

static struct store *
open_ok(const char *dir, enum store_mode mode)
{
	struct store *st = NULL;
	char *cause = NULL;

	if (store_open(dir, mode, &st, &cause) < 0)
		UNIT_FAIL("store_open %s: %s", dir, cause);
	return st;
}

static void
set_ok(struct store *st, const char *name, const char *value)
{
	char *cause = NULL;

	if (config_set(st, SEC, name, value, &cause) < 0)
		UNIT_FAIL("config_set %s: %s", name, cause);
}

static int64_t
commit_ok(struct store *st, const char *comment)
{
	char *cause = NULL;
	int64_t id = -1;

	if (config_commit(st, "tester", comment, &id, &cause) < 0)
		UNIT_FAIL("config_commit: %s", cause);
	return id;
}

/* get_is - config_get gives want */
static void
get_is(struct store *st, const char *name, const char *want)
{
	char *v = NULL, *cause = NULL;

	if (config_get(st, SEC, name, &v, &cause) < 0)
		UNIT_FAIL("config_get %s: %s", name, cause);
	CHECK_STR(v, want);
	free(v);
}

/* A change list as a text "key:old>new;" with NULL as "-". */
static int
collect(const char *section, const char *key, const char *o, const char *n, void *arg)
{
	char **acc = arg, *s = str_printf("%s%s:%s>%s;", *acc, key, o ? o : "-", n ? n : "-");

	(void)section;
	free(*acc);
	*acc = s;
	return 0;
}

/* ------------------------------------------------------------- sealing */

static void
test_round_trip(void)
{
	char *a = seal(key1, SEC, NAME, "pass word\twith tab"), *b, *clear = NULL, *cause = NULL;
	char *big = xmalloc(70000), *sb;

	CHECK(strncmp(a, SECRET_PREFIX, strlen(SECRET_PREFIX)) == 0);
	CHECK(strstr(a, "pass") == NULL);
	CHECK_INT(secret_decrypt(key1, SEC, NAME, a, &clear, &cause), 0);
	CHECK_STR(clear, "pass word\twith tab");
	free(clear);
	/* a fresh nonce each time: the same value never reads the same twice */
	b = seal(key1, SEC, NAME, "pass word\twith tab");
	CHECK(strcmp(a, b) != 0);
	CHECK(strncmp(a, b, strlen(SECRET_PREFIX) + 16) != 0);
	/* "not set" stays "" */
	free(b);
	b = seal(key1, SEC, NAME, "");
	CHECK_STR(b, "");
	CHECK_INT(secret_decrypt(key1, SEC, NAME, "", &clear, &cause), 0);
	CHECK_STR(clear, "");
	free(clear);
	/* a PEM key's size, with newlines */
	for (int i = 0; i < 69999; i++)
		big[i] = i % 65 == 64 ? '\n' : (char)('A' + i % 26);
	big[69999] = '\0';
	sb = seal(key1, SEC, "tls.server_key", big);
	CHECK_INT(secret_decrypt(key1, SEC, "tls.server_key", sb, &clear, &cause), 0);
	CHECK_STR(clear, big);
	free(clear);
	free(sb);
	free(big);
	free(a);
	free(b);
}

static void
test_tampered(void)
{
	char *a = seal(key1, SEC, NAME, "the-secret-value-0123456789"), *t;
	size_t p = strlen(SECRET_PREFIX), n = strlen(a), last = n - 1;

	while (a[last] == '=')
		last--;
	/* the nonce (bytes 0-11: base64 characters 0-15) */
	t = flip(a, p + 3);
	refused(key1, SEC, NAME, t, "does not decrypt");
	free(t);
	/* the ciphertext (after the nonce) */
	t = flip(a, p + 20);
	refused(key1, SEC, NAME, t, "does not decrypt");
	free(t);
	/* the tag (the last 16 bytes) */
	t = flip(a, last - 2);
	refused(key1, SEC, NAME, t, "does not decrypt");
	free(t);
	/* cut short: a quantum less */
	t = str_ndup(a, n - 4);
	refused(key1, SEC, NAME, t, "does not decrypt");
	free(t);
	/* the associated data: another setting, another section */
	refused(key1, SEC, "tdc.api_key", a, "does not decrypt");
	refused(key1, "listener", NAME, a, "does not decrypt");
	/* another key */
	refused(key2, SEC, NAME, a, "does not decrypt");
	/* not the encrypted form at all */
	refused(key1, SEC, NAME, "enc:v1:not base64!", "damaged");
	refused(key1, SEC, NAME, "enc:v1:QUJD", "damaged");
	refused(key1, SEC, NAME, "enc:v1:", "damaged");
	refused(key1, SEC, NAME, "enc:v9:QUJDRA==", "not in a format");
	/* the right key, item and text still open it */
	{
		char *clear = NULL, *cause = NULL;

		CHECK_INT(secret_decrypt(key1, SEC, NAME, a, &clear, &cause), 0);
		CHECK_STR(clear, "the-secret-value-0123456789");
		free(clear);
	}
	free(a);
}

/* ------------------------------------------------------------ key file */

/* key_refused - secret_key_load must refuse DIR's key with a cause containing want */
static void
key_refused(const char *dir, const char *want)
{
	unsigned char k[SECRET_KEY_LEN];
	char *cause = NULL;

	if (secret_key_load(dir, k, &cause) == 0)
		UNIT_FAIL("the key file was accepted (want: %s)", want);
	if (strstr(cause, want) == NULL)
		UNIT_FAIL("cause '%s' does not say '%s'", cause, want);
	free(cause);
}

static void
test_key_file(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	char *path = str_printf("%s/%s", dir, SECRET_KEY_FILE), *other, *cause = NULL;
	unsigned char k[SECRET_KEY_LEN], k2[SECRET_KEY_LEN];
	struct store *st;
	struct stat sb;
	int fd;

	st = open_ok(dir, STORE_SESSION);
	store_close(st);
	CHECK_INT(lstat(path, &sb), 0);
	CHECK(S_ISREG(sb.st_mode));
	CHECK_INT(sb.st_mode & 07777, 0600);
	CHECK_INT(sb.st_size, SECRET_KEY_LEN);
	CHECK_INT(secret_key_load(dir, k, &cause), 0);
	/* the next open keeps it */
	st = open_ok(dir, STORE_RUNNING);
	store_close(st);
	CHECK_INT(secret_key_load(dir, k2, &cause), 0);
	CHECK(memcmp(k, k2, sizeof(k)) == 0);

	CHECK_INT(chmod(path, 0644), 0);
	key_refused(dir, "has mode 0644");
	CHECK_INT(chmod(path, 0600), 0);
	CHECK_INT(truncate(path, 31), 0);
	key_refused(dir, "is 31 bytes long, not 32");
	/* a link to a good key is still refused */
	other = str_printf("%s/elsewhere.key", unit_tmpdir());
	fd = open(other, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, k, sizeof(k)) == (ssize_t)sizeof(k));
	close(fd);
	CHECK_INT(unlink(path), 0);
	CHECK_INT(symlink(other, path), 0);
	key_refused(dir, "symbolic link");
	CHECK_INT(unlink(path), 0);
	CHECK_INT(mkfifo(path, 0600), 0);
	key_refused(dir, "not a regular file");
	CHECK_INT(unlink(path), 0);
	key_refused(dir, "is missing");
	free(other);
	free(path);
	free(dir);
}

/* ------------------------------------------------------------ in a store */

static void
test_store_secrets(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *acc, *cause = NULL;
	struct store *st = open_ok(dir, STORE_SESSION), *r;
	int64_t c1, c2;

	set_ok(st, NAME, "first-Secret-7f3a");
	set_ok(st, "tdc.client_id", "cid");
	get_is(st, NAME, "first-Secret-7f3a");
	acc = str_dup("");
	CHECK_INT(config_pending_list(st, collect, &acc, &cause), 0);
	CHECK_STR(acc, "tdc.client_id:->cid;tdc.client_secret:->changed;");
	free(acc);
	c1 = commit_ok(st, "one");
	CHECK(!dir_holds(dir, "first-Secret-7f3a"));

	/* the same value again is no change: the two encryptions differ */
	set_ok(st, NAME, "first-Secret-7f3a");
	CHECK_INT(config_pending(st), 0);

	set_ok(st, NAME, "second-Secret-9c1d");
	c2 = commit_ok(st, "two");
	acc = str_dup("");
	CHECK_INT(config_commit_changes(st, c1, collect, &acc, &cause), 0);
	CHECK_STR(acc, "tdc.client_id:->cid;tdc.client_secret:->changed;");
	free(acc);
	acc = str_dup("");
	CHECK_INT(config_commit_changes(st, c2, collect, &acc, &cause), 0);
	CHECK_STR(acc, "tdc.client_secret:changed>changed;");
	free(acc);

	/* the daemon's reading */
	r = open_ok(dir, STORE_RUNNING);
	{
		char *v = NULL;

		CHECK_INT(settings_read(r, NAME, &v, &cause), 0);
		CHECK_STR(v, "second-Secret-9c1d");
		free(v);
	}
	store_close(r);

	/* rollback to commit 1 brings back the first value */
	CHECK_INT(config_stage_rollback(st, c1, &cause), 0);
	CHECK_INT(config_pending(st), 1);
	commit_ok(st, "back");
	get_is(st, NAME, "first-Secret-7f3a");
	/* and to before any commit: it had none */
	CHECK_INT(config_stage_rollback(st, 0, &cause), 0);
	{
		char *v = (char *)"x";

		CHECK_INT(config_get(st, SEC, NAME, &v, &cause), 0);
		CHECK(v == NULL);
	}
	CHECK_INT(config_clear(st, &cause), 0);
	store_close(st);
	CHECK(!dir_holds(dir, "first-Secret-7f3a"));
	CHECK(!dir_holds(dir, "second-Secret-9c1d"));
	free(dir);
}

static void
test_missing_key(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	char *path = str_printf("%s/%s", dir, SECRET_KEY_FILE), *v = NULL, *cause = NULL;
	struct store *st = open_ok(dir, STORE_SESSION);

	set_ok(st, NAME, "kept-Secret-1");
	set_ok(st, "tdc.api_key", "kept-ApiKey-1");
	set_ok(st, "tdc.client_id", "cid-9");
	commit_ok(st, "one");
	store_close(st);
	CHECK_INT(unlink(path), 0);
	/* the store opens, makes no new key, and a secret read is an error */
	st = open_ok(dir, STORE_SESSION);
	CHECK(access(path, F_OK) != 0 && errno == ENOENT);
	CHECK_INT(config_get(st, SEC, NAME, &v, &cause), -1);
	CHECK(v == NULL);
	CHECK(strstr(cause, "secret.key is missing") != NULL);
	CHECK(strstr(cause, NAME) != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(settings_read(st, NAME, &v, &cause), -1);
	free(cause);
	cause = NULL;
	/* an item that is no secret is read as before */
	get_is(st, "tdc.client_id", "cid-9");
	store_close(st);
	free(path);
	free(dir);
}


/* key_absent - the key file does not exist */
static int
key_absent(const char *dir)
{
	char *path = str_printf("%s/%s", dir, SECRET_KEY_FILE);
	int absent = access(path, F_OK) != 0 && errno == ENOENT;

	free(path);
	return absent;
}

static void
test_lost_key_recovery(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	char *path = str_printf("%s/%s", dir, SECRET_KEY_FILE), *cause = NULL;
	struct store *st = open_ok(dir, STORE_SESSION);
	char *v = NULL;
	int64_t c1;

	set_ok(st, NAME, "lost-Secret-1");
	set_ok(st, "tdc.api_key", "lost-ApiKey-1");
	set_ok(st, "tls.server_key", "lost-ServerKey-1");
	c1 = commit_ok(st, "one");
	store_close(st);
	CHECK_INT(unlink(path), 0);

	st = open_ok(dir, STORE_SESSION);
	CHECK(key_absent(dir));
	/*
	 * an operator entering a secret again makes a new key at once; the
	 * values that needed the lost one stay unreadable, and say so
	 */
	set_ok(st, "tls.server_key", "new-ServerKey-1");
	CHECK(!key_absent(dir));
	get_is(st, "tls.server_key", "new-ServerKey-1");
	CHECK_INT(config_get(st, SEC, "tdc.api_key", &v, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "does not decrypt") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(config_clear(st, &cause), 0);
	/* clearing and deleting need no key */
	if (config_set(st, SEC, NAME, "", &cause) < 0)
		UNIT_FAIL("clearing %s without the key: %s", NAME, cause);
	if (config_delete(st, SEC, "tdc.api_key", &cause) < 0)
		UNIT_FAIL("deleting tdc.api_key without the key: %s", cause);
	CHECK_INT(config_pending(st), 2);
	set_ok(st, "tls.server_key", "");
	commit_ok(st, "cleared");
	store_close(st);
	CHECK(unlink(path) == 0 || errno == ENOENT);

	/* nothing running needs the old key: the next open makes a new one */
	st = open_ok(dir, STORE_SESSION);
	CHECK(!key_absent(dir));
	set_ok(st, NAME, "new-Secret-2");
	set_ok(st, "tls.server_key", "new-ServerKey-2");
	commit_ok(st, "entered again");
	get_is(st, NAME, "new-Secret-2");
	get_is(st, "tls.server_key", "new-ServerKey-2");

	/* a value of the history under the lost key: refused, named */
	CHECK_INT(config_stage_rollback(st, c1, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "cannot be restored") != NULL &&
	    strstr(cause, "tdc.api_key") != NULL && strstr(cause, SECRET_KEY_FILE) != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(config_clear(st, &cause), 0);
	store_close(st);
	free(path);
	free(dir);
}

static void
test_lost_key_in_session(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	char *path = str_printf("%s/%s", dir, SECRET_KEY_FILE);
	struct store *st = open_ok(dir, STORE_SESSION);

	set_ok(st, NAME, "lost-Secret-1");
	commit_ok(st, "one");
	CHECK_INT(unlink(path), 0);
	/* cleared and committed in the session that goes on: a key when next sealing */
	set_ok(st, NAME, "");
	commit_ok(st, "cleared");
	CHECK(key_absent(dir));
	set_ok(st, NAME, "new-Secret-3");
	CHECK(!key_absent(dir));
	commit_ok(st, "entered again");
	get_is(st, NAME, "new-Secret-3");
	store_close(st);
	free(path);
	free(dir);
}

static void
test_lost_key_replace(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	char *path = str_printf("%s/%s", dir, SECRET_KEY_FILE);
	struct store *st = open_ok(dir, STORE_SESSION);

	set_ok(st, NAME, "lost-Secret-1");
	set_ok(st, "tls.server_key", "lost-ServerKey-1");
	commit_ok(st, "one");
	CHECK_INT(unlink(path), 0);
	/* the other secret cleared in the candidate: this one can be entered again */
	set_ok(st, NAME, "");
	CHECK(key_absent(dir));
	set_ok(st, "tls.server_key", "new-ServerKey-2");
	CHECK(!key_absent(dir));
	commit_ok(st, "replaced");
	get_is(st, "tls.server_key", "new-ServerKey-2");
	get_is(st, NAME, "");
	store_close(st);
	free(path);
	free(dir);
}

static void
test_other_key_replace(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	char *path = str_printf("%s/%s", dir, SECRET_KEY_FILE), *cause = NULL, *v = NULL;
	struct store *st = open_ok(dir, STORE_SESSION);
	int fd;

	set_ok(st, NAME, "old-Secret-1");
	commit_ok(st, "one");
	/* another key in its place: the running value does not open with it */
	CHECK_INT(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, key2, sizeof(key2)) == (ssize_t)sizeof(key2));
	close(fd);
	CHECK_INT(config_get(st, SEC, NAME, &v, &cause), -1);
	free(cause);
	cause = NULL;
	/* replacing it needs only the key that seals the new value */
	set_ok(st, NAME, "new-Secret-2");
	CHECK_INT(config_pending(st), 1);
	commit_ok(st, "replaced");
	get_is(st, NAME, "new-Secret-2");
	store_close(st);
	free(path);
	free(dir);
}

/* ------------------------------------------------------------- upgrade */

/* exec_ok - run SQL on a private connection */
static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		UNIT_FAIL("%s: %s", sql, err);
}

static void
test_upgrade(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *path, *cause = NULL;
	struct store *st;
	sqlite3 *raw;

	CHECK_INT(fs_mkdirs(dir, 0700), 0);
	path = str_printf("%s/config.db", dir);
	CHECK_INT(sqlite3_open(path, &raw), SQLITE_OK);
	/* schema 1 as mxgate wrote it, with its secrets in clear, rotated once */
	exec_ok(raw,
	    "PRAGMA journal_mode=WAL;"
	    "CREATE TABLE config (section TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
	    "  rev INTEGER NOT NULL, PRIMARY KEY (section, key)) WITHOUT ROWID;"
	    "CREATE TABLE commits (id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	    "  user TEXT NOT NULL, comment TEXT NOT NULL);"
	    "CREATE TABLE commit_changes (commit_id INTEGER NOT NULL REFERENCES commits(id),"
	    "  section TEXT NOT NULL, key TEXT NOT NULL, old TEXT, new TEXT,"
	    "  PRIMARY KEY (commit_id, section, key));"
	    "CREATE INDEX commit_changes_item ON commit_changes(section, key, commit_id);"
	    "PRAGMA user_version = 1;"
	    "INSERT INTO commits VALUES (1, 0, 'a', 'one'), (2, 0, 'a', 'two');"
	    "INSERT INTO config VALUES ('setting', 'tdc.client_secret', 'OldPlain-One', 1);"
	    "INSERT INTO config VALUES ('setting', 'tdc.api_key', 'OldPlainKey-A', 1);"
	    "INSERT INTO config VALUES ('setting', 'tdc.client_id', 'cid', 1);"
	    "INSERT INTO commit_changes VALUES (1, 'setting', 'tdc.client_secret', NULL,"
	    "  'OldPlain-One'), (1, 'setting', 'tdc.api_key', NULL, 'OldPlainKey-A'),"
	    "  (1, 'setting', 'tdc.client_id', NULL, 'cid');"
	    "UPDATE config SET value = 'OldPlain-Two', rev = 2 WHERE key = 'tdc.client_secret';"
	    "INSERT INTO commit_changes VALUES (2, 'setting', 'tdc.client_secret',"
	    "  'OldPlain-One', 'OldPlain-Two');");
	sqlite3_close(raw);
	CHECK(file_holds(path, "OldPlain-One"));	/* so the checks below mean something */

	st = open_ok(dir, STORE_SESSION);
	CHECK(!dir_holds(dir, "OldPlain-One"));
	CHECK(!dir_holds(dir, "OldPlain-Two"));
	CHECK(!dir_holds(dir, "OldPlainKey-A"));
	get_is(st, NAME, "OldPlain-Two");
	get_is(st, "tdc.api_key", "OldPlainKey-A");
	get_is(st, "tdc.client_id", "cid");
	{
		char *acc = str_dup("");

		CHECK_INT(config_commit_changes(st, 2, collect, &acc, &cause), 0);
		CHECK_STR(acc, "tdc.client_secret:changed>changed;");
		free(acc);
	}
	/* the history was moved, not lost: rollback restores the first value */
	CHECK_INT(config_stage_rollback(st, 1, &cause), 0);
	commit_ok(st, "back");
	get_is(st, NAME, "OldPlain-One");
	store_close(st);
	CHECK(!dir_holds(dir, "OldPlain-One"));
	CHECK_INT(sqlite3_open(path, &raw), SQLITE_OK);
	{
		sqlite3_stmt *s = NULL;

		CHECK_INT(sqlite3_prepare_v2(raw, "SELECT count(*) FROM secret_history WHERE "
						  "old LIKE 'enc:v1:%'", -1, &s, NULL), SQLITE_OK);
		CHECK_INT(sqlite3_step(s), SQLITE_ROW);
		CHECK_INT(sqlite3_column_int(s, 0), 2);	/* commit 2's and the rollback's */
		sqlite3_finalize(s);
	}
	sqlite3_close(raw);
	free(path);
	free(dir);
}


/* marker_rows - rows of secret_scrub (-1: no such table) */
static int
marker_rows(sqlite3 *raw)
{
	sqlite3_stmt *s = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(raw, "SELECT count(*) FROM secret_scrub", -1, &s, NULL) ==
	    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void
test_scrub_retried(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *path;
	struct store *st;
	sqlite3 *raw;

	CHECK_INT(fs_mkdirs(dir, 0700), 0);
	path = str_printf("%s/config.db", dir);
	CHECK_INT(sqlite3_open(path, &raw), SQLITE_OK);
	exec_ok(raw,
	    "PRAGMA journal_mode=WAL;"
	    "CREATE TABLE config (section TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
	    "  rev INTEGER NOT NULL, PRIMARY KEY (section, key)) WITHOUT ROWID;"
	    "CREATE TABLE commits (id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	    "  user TEXT NOT NULL, comment TEXT NOT NULL);"
	    "CREATE TABLE commit_changes (commit_id INTEGER NOT NULL REFERENCES commits(id),"
	    "  section TEXT NOT NULL, key TEXT NOT NULL, old TEXT, new TEXT,"
	    "  PRIMARY KEY (commit_id, section, key));"
	    "CREATE INDEX commit_changes_item ON commit_changes(section, key, commit_id);"
	    "PRAGMA user_version = 1;"
	    "INSERT INTO commits VALUES (1, 0, 'a', 'one');"
	    "INSERT INTO config VALUES ('setting', 'tdc.client_secret', 'Scrub-Plain-1', 1);"
	    "INSERT INTO commit_changes VALUES (1, 'setting', 'tdc.client_secret', NULL,"
	    "  'Scrub-Plain-1');");
	sqlite3_close(raw);

	/* the upgrade: encrypted, cleaned, and the marker cleared */
	st = open_ok(dir, STORE_SESSION);
	store_close(st);
	CHECK(!dir_holds(dir, "Scrub-Plain-1"));
	CHECK_INT(sqlite3_open(path, &raw), SQLITE_OK);
	CHECK_INT(marker_rows(raw), 0);

	/*
	 * As if the process had died after the upgrade's COMMIT: the marker
	 * set, and plaintext left in free pages (secure_delete off here)
	 */
	exec_ok(raw,
	    "PRAGMA secure_delete = OFF;"
	    "CREATE TABLE junk (t TEXT);"
	    "INSERT INTO junk VALUES ('Scrub-Leftover-' || hex(randomblob(2000)));"
	    "INSERT INTO junk VALUES ('Scrub-Leftover-2');"
	    "DROP TABLE junk;"
	    "INSERT INTO secret_scrub (pending) VALUES (1);"
	    "PRAGMA wal_checkpoint(TRUNCATE);");
	CHECK_INT(marker_rows(raw), 1);
	sqlite3_close(raw);
	CHECK(file_holds(path, "Scrub-Leftover-2"));	/* so the check below means something */

	/* the next open vacuums and clears it */
	st = open_ok(dir, STORE_RUNNING);
	CHECK(!dir_holds(dir, "Scrub-Leftover-2"));
	store_close(st);
	CHECK_INT(sqlite3_open(path, &raw), SQLITE_OK);
	CHECK_INT(marker_rows(raw), 0);
	sqlite3_close(raw);
	free(path);
	free(dir);
}

/*
 * config_count_atleast's count, kept by stage(), must not outlive the
 * edit a refused group (config_end, keep 0) rolls back (store/config.c)
 */
static void
test_count_after_rollback(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	struct store *st = open_ok(dir, STORE_SESSION);
	int reached = -1;

	CHECK_INT(config_count_atleast(st, "route", 1, &reached, &cause), 0);
	CHECK_INT(reached, 0);
	CHECK_INT(config_begin(st, &cause), 0);
	CHECK_INT(config_set(st, "route", "a.test", "[10.0.0.1]", &cause), 0);
	CHECK_INT(config_count_atleast(st, "route", 1, &reached, &cause), 0);
	CHECK_INT(reached, 1);
	CHECK_INT(config_end(st, 0, &cause), 0);
	CHECK_INT(config_pending(st), 0);
	CHECK_INT(config_count_atleast(st, "route", 1, &reached, &cause), 0);
	CHECK_INT(reached, 0);
	store_close(st);
	free(dir);
}

static const struct unit_case cases[] = {
	{ "round_trip", test_round_trip },
	{ "tampered", test_tampered },
	{ "key_file", test_key_file },
	{ "store_secrets", test_store_secrets },
	{ "missing_key", test_missing_key },
	{ "upgrade", test_upgrade },
	{ "lost_key_recovery", test_lost_key_recovery },
	{ "lost_key_in_session", test_lost_key_in_session },
	{ "lost_key_replace", test_lost_key_replace },
	{ "other_key_replace", test_other_key_replace },
	{ "scrub_retried", test_scrub_retried },
	{ "count_after_rollback", test_count_after_rollback },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("secret", cases, argc, argv);
}
