/*
 * test_cloud.c - the Cisco Cloud Service registration record
 * (store/cloud.c, migration 4 of config.db): put, get, replace, delete,
 * contact; the client secret sealed at rest (its clear bytes in neither
 * config.db nor its WAL); a put that fails (the key file unusable, the
 * write refused inside the transaction) leaves the old row as it was.
 *
 * The raw sqlite3 API is used only to plant a failing trigger.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "store/cloud.h"
#include "store/secret.h"
#include "util/str.h"
#include "tests/unit/unit.h"

#define SECRET1 "cs-first-9f8e7d6c5b4a39281706"
#define SECRET2 "cs-second-0a1b2c3d4e5f60718293"

static struct store *
open_ok(const char *dir)
{
	struct store *st = NULL;
	char *cause = NULL;

	if (store_open(dir, STORE_SESSION, &st, &cause) < 0)
		UNIT_FAIL("store_open %s: %s", dir, cause ? cause : "(no cause)");
	return st;
}

/* reg - a registration as the cloud might give it */
static struct cloud_reg
reg(const char *dev, const char *secret, time_t registered, time_t reregistered)
{
	struct cloud_reg r = { 0 };

	str_copy(r.server, "eu", sizeof(r.server));
	str_copy(r.device_id, dev, sizeof(r.device_id));
	str_copy(r.client_id, "client-1", sizeof(r.client_id));
	r.client_secret = (char *)secret;
	str_copy(r.account_id, "acct-7", sizeof(r.account_id));
	str_copy(r.virtual_account, "va-7", sizeof(r.virtual_account));
	r.jwks = (char *)"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\"}]}";
	r.registered = registered;
	r.reregistered = reregistered;
	return r;
}

/* file_has - does the file hold the bytes of s? (0 when there is no file) */
static int
file_has(const char *path, const char *s)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;
	int found = 0;

	if (f == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n)
		UNIT_FAIL("cannot read %s", path);
	fclose(f);
	found = memmem(data, (size_t)n, s, strlen(s)) != NULL;
	free(data);
	return found;
}

static void
put_ok(struct store *st, const struct cloud_reg *r)
{
	char *cause = NULL;

	if (cloud_put(st, r, &cause) < 0)
		UNIT_FAIL("cloud_put: %s", cause);
}

static void
test_empty(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	struct store *st = open_ok(dir);
	struct cloud_reg r;

	CHECK_INT(store_schema_version(st), STORE_SCHEMA_VERSION);
	CHECK_INT(cloud_get(st, &r, &cause), 0);
	CHECK(r.client_secret == NULL && r.jwks == NULL);
	/* nothing to delete or record: not an error */
	CHECK_INT(cloud_delete(st, &cause), 0);
	CHECK_INT(cloud_contact(st, 100, NULL, &cause), 0);
	CHECK_INT(cloud_get(st, &r, &cause), 0);
	store_close(st);
	free(dir);
}

static void
test_put_get_replace_delete(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	struct store *st = open_ok(dir);
	struct cloud_reg a = reg("dev-1", SECRET1, 1000, 0), b = reg("dev-2", SECRET2, 1000, 2000);
	struct cloud_reg r;

	put_ok(st, &a);
	CHECK_INT(cloud_get(st, &r, &cause), 1);
	CHECK_STR(r.server, "eu");
	CHECK_STR(r.device_id, "dev-1");
	CHECK_STR(r.client_id, "client-1");
	CHECK_STR(r.client_secret, SECRET1);
	CHECK_STR(r.account_id, "acct-7");
	CHECK_STR(r.virtual_account, "va-7");
	CHECK_STR(r.jwks, a.jwks);
	CHECK_INT(r.registered, 1000);
	CHECK_INT(r.reregistered, 0);
	CHECK_INT(r.last_contact, 1000);
	CHECK_STR(r.last_error, "");
	cloud_reg_free(&r);
	CHECK(r.client_secret == NULL && r.jwks == NULL);

	/* another connection (mxgated) sees it: it is in the file */
	{
		struct store *other = open_ok(dir);

		CHECK_INT(cloud_get(other, &r, &cause), 1);
		CHECK_STR(r.client_secret, SECRET1);
		cloud_reg_free(&r);
		store_close(other);
	}

	/* an error, then a re-registration: replaced, error cleared, contact = reregistered */
	CHECK_INT(cloud_contact(st, 1500, "cannot reach the cloud", &cause), 0);
	put_ok(st, &b);
	CHECK_INT(cloud_get(st, &r, &cause), 1);
	CHECK_STR(r.device_id, "dev-2");
	CHECK_STR(r.client_secret, SECRET2);
	CHECK_INT(r.registered, 1000);
	CHECK_INT(r.reregistered, 2000);
	CHECK_INT(r.last_contact, 2000);
	CHECK_STR(r.last_error, "");
	CHECK_INT(r.last_error_at, 0);
	cloud_reg_free(&r);

	CHECK_INT(cloud_delete(st, &cause), 0);
	CHECK_INT(cloud_get(st, &r, &cause), 0);
	store_close(st);
	free(dir);
}

static void
test_contact(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	struct store *st = open_ok(dir);
	struct cloud_reg a = reg("dev-1", SECRET1, 1000, 0), r;
	char longer[2000];

	put_ok(st, &a);
	CHECK_INT(cloud_contact(st, 3000, NULL, &cause), 0);
	CHECK_INT(cloud_contact(st, 3100, "HTTP 503", &cause), 0);
	CHECK_INT(cloud_get(st, &r, &cause), 1);
	CHECK_INT(r.last_contact, 3000);
	CHECK_STR(r.last_error, "HTTP 503");
	CHECK_INT(r.last_error_at, 3100);
	CHECK_STR(r.device_id, "dev-1");
	CHECK_STR(r.client_secret, SECRET1);
	cloud_reg_free(&r);
	/* a later success keeps the last error (its time says it is older) */
	CHECK_INT(cloud_contact(st, 3200, NULL, &cause), 0);
	/* an error longer than the field is kept cut, not refused */
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	CHECK_INT(cloud_contact(st, 3300, longer, &cause), 0);
	CHECK_INT(cloud_get(st, &r, &cause), 1);
	CHECK_INT(r.last_contact, 3200);
	CHECK_INT(r.last_error_at, 3300);
	CHECK_INT(strlen(r.last_error), sizeof(r.last_error) - 1);
	cloud_reg_free(&r);
	store_close(st);
	free(dir);
}

static void
test_sealed_at_rest(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	char *db = str_printf("%s/config.db", dir), *wal = str_printf("%s/config.db-wal", dir);
	struct store *st = open_ok(dir);
	struct cloud_reg a = reg("dev-1", SECRET1, 1000, 0), r;

	put_ok(st, &a);
	CHECK(!file_has(db, SECRET1));
	CHECK(!file_has(wal, SECRET1));
	/* but the device ID is there: the search does find what is stored clear */
	CHECK(file_has(db, "dev-1") || file_has(wal, "dev-1"));
	store_close(st);
	CHECK(!file_has(db, SECRET1));
	CHECK(!file_has(wal, SECRET1));
	/* and it opens again from the file */
	st = open_ok(dir);
	CHECK_INT(cloud_get(st, &r, &cause), 1);
	CHECK_STR(r.client_secret, SECRET1);
	cloud_reg_free(&r);
	store_close(st);
	free(db);
	free(wal);
	free(dir);
}

/* A failed put (the write refused in the transaction, the key unusable) leaves the old row. */
static void
test_failed_put_keeps_old(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	char *key = str_printf("%s/%s", dir, SECRET_KEY_FILE);
	struct store *st = open_ok(dir);
	struct cloud_reg a = reg("dev-1", SECRET1, 1000, 0), b = reg("dev-2", SECRET2, 1000, 2000);
	struct cloud_reg r;
	sqlite3 *raw = NULL;
	char *db = str_printf("%s/config.db", dir);

	put_ok(st, &a);
	/* the write refused inside the transaction */
	if (sqlite3_open_v2(db, &raw, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(raw, "CREATE TRIGGER no_put BEFORE INSERT ON cloud_registration "
			      "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
		NULL, NULL, NULL) != SQLITE_OK)
		UNIT_FAIL("cannot plant the trigger");
	CHECK_INT(cloud_put(st, &b, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "refused by the test") != NULL);
	CHECK(strstr(cause, SECRET2) == NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(cloud_get(st, &r, &cause), 1);
	CHECK_STR(r.device_id, "dev-1");
	CHECK_STR(r.client_secret, SECRET1);
	cloud_reg_free(&r);
	if (sqlite3_exec(raw, "DROP TRIGGER no_put;", NULL, NULL, NULL) != SQLITE_OK)
		UNIT_FAIL("cannot drop the trigger");
	sqlite3_close(raw);

	/* the key file unusable (not 0600): sealing fails, nothing written */
	CHECK_INT(chmod(key, 0644), 0);
	CHECK_INT(cloud_put(st, &b, &cause), -1);
	CHECK(cause != NULL && strstr(cause, SECRET2) == NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(chmod(key, 0600), 0);
	CHECK_INT(cloud_get(st, &r, &cause), 1);
	CHECK_STR(r.device_id, "dev-1");
	CHECK_STR(r.client_secret, SECRET1);
	cloud_reg_free(&r);

	/* a put without a device ID is refused */
	b.device_id[0] = '\0';
	CHECK_INT(cloud_put(st, &b, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(cloud_get(st, &r, &cause), 1);
	CHECK_STR(r.device_id, "dev-1");
	cloud_reg_free(&r);
	store_close(st);
	free(db);
	free(key);
	free(dir);
}

/* A secret sealed for the cloud cannot be opened as another item (bound to ("cloud", "client_secret")). */
static void
test_bound(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL, *stored = NULL;
	char *clear = NULL;
	struct store *st = open_ok(dir);
	struct cloud_reg a = reg("dev-1", SECRET1, 1000, 0);

	put_ok(st, &a);
	CHECK_INT(secret_seal(st, "cloud", "client_secret", SECRET1, &stored, &cause), 0);
	CHECK_INT(secret_unseal(st, "settings", "client_secret", stored, &clear, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(secret_unseal(st, "cloud", "client_secret", stored, &clear, &cause), 0);
	CHECK_STR(clear, SECRET1);
	secret_drop(clear);
	free(stored);
	store_close(st);
	free(dir);
}

/*
 * A secret that cannot be unsealed (secret.key replaced) does not hide
 * the row: it comes back with client_secret NULL and secret_unreadable,
 * and can be forgotten or replaced (review finding 3).
 */
static void
test_secret_unreadable(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	char *key = str_printf("%s/%s", dir, SECRET_KEY_FILE);
	struct store *st = open_ok(dir);
	struct cloud_reg a = reg("dev-1", SECRET1, 1000, 0), b = reg("dev-2", SECRET2, 3000, 0);
	struct cloud_reg r;
	unsigned char other[SECRET_KEY_LEN];
	int fd;

	put_ok(st, &a);
	store_close(st);
	/* another key, same file (mode and owner kept) */
	memset(other, 0x5a, sizeof(other));
	fd = open(key, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, other, sizeof(other)) != (ssize_t)sizeof(other))
		UNIT_FAIL("cannot replace %s", key);
	close(fd);
	st = open_ok(dir);
	CHECK_INT(cloud_get(st, &r, &cause), 1);
	CHECK(r.client_secret == NULL);
	CHECK_INT(r.secret_unreadable, 1);
	CHECK_STR(r.device_id, "dev-1");
	CHECK_STR(r.client_id, "client-1");
	CHECK(r.jwks != NULL && strstr(r.jwks, "k1") != NULL);
	CHECK_INT((int)r.registered, 1000);
	cloud_reg_free(&r);
	/* a failure can be recorded on it, also without a cause pointer */
	CHECK_INT(cloud_contact(st, 2000, "cannot reach eu", NULL), 0);
	CHECK_INT(cloud_get(st, &r, &cause), 1);
	CHECK_STR(r.last_error, "cannot reach eu");
	cloud_reg_free(&r);
	/* a new registration replaces it, sealed under the key now in place */
	put_ok(st, &b);
	CHECK_INT(cloud_get(st, &r, &cause), 1);
	CHECK_INT(r.secret_unreadable, 0);
	CHECK_STR(r.client_secret, SECRET2);
	cloud_reg_free(&r);
	/* and it can be forgotten */
	CHECK_INT(cloud_delete(st, &cause), 0);
	CHECK_INT(cloud_get(st, &r, &cause), 0);
	/* a refused put with no cause pointer does not crash */
	b.device_id[0] = '\0';
	CHECK_INT(cloud_put(st, &b, NULL), -1);
	store_close(st);
	free(key);
	free(dir);
}

static const struct unit_case cases[] = {
	{ "secret_unreadable", test_secret_unreadable },
	{ "empty", test_empty },
	{ "put_get_replace_delete", test_put_get_replace_delete },
	{ "contact", test_contact },
	{ "sealed_at_rest", test_sealed_at_rest },
	{ "failed_put_keeps_old", test_failed_put_keeps_old },
	{ "bound", test_bound },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("cloud", cases, argc, argv);
}
