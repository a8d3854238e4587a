/*
 * users.c - operator accounts, their SSH keys and password history, the
 * shell sessions that are open, and the login record (config.db tables
 * users, user_keys, pw_history, sessions, logins; migration 3).
 *
 * Accounts are written at once, outside the candidate: a commit or a
 * rollback never touches them. Every change that reads before it writes
 * runs in one transaction (BEGIN IMMEDIATE, or a savepoint when the
 * caller already holds a transaction), so two shells changing one
 * account never lose an update: a failed-login count, a history push.
 *
 * Lists are read whole before the callback runs, so a callback may
 * change the tables it is shown (who prunes the sessions it lists).
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause an operator can act on
 * ("User bob does not exist.") or naming the SQLite error.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/store_int.h"
#include "store/users.h"
#include "util/printable.h"
#include "util/pwhash.h"
#include "util/str.h"

static const char *const role_names[ROLE_COUNT] = {
	[ROLE_ADMIN] = "admin",
	[ROLE_OPERATOR] = "operator",
	[ROLE_READONLY] = "readonly",
	[ROLE_GUEST] = "guest",
	[ROLE_TECHNICIAN] = "technician",
};

/* users_role_name - see users.h */
const char *
users_role_name(enum user_role r)
{
	if ((int)r < 0 || r >= ROLE_COUNT)
		return "unknown";
	return role_names[r];
}

/* users_role_parse - see users.h */
int
users_role_parse(const char *s)
{
	for (int r = 0; s && r < ROLE_COUNT; r++)
		if (strcasecmp(s, role_names[r]) == 0)
			return r;
	return -1;
}

/* shown - name made safe to echo in a cause (printable, bounded) */
static const char *
shown(const char *name, char *buf, size_t size)
{
	printable_copy(buf, size, name ? name : "", (size_t)-1, 64);
	return buf;
}

/* users_name_ok - see users.h */
int
users_name_ok(const char *name, char **cause)
{
	char b[80];
	size_t n = strlen(name);

	if (n == 0) {
		*cause = str_dup("User name '' is empty: use 1 to 32 of a-z, 0-9, '_', '.' and "
				 "'-', starting with a letter.");
		return -1;
	}
	if (n > USER_NAME_MAX) {
		*cause = str_printf("User name '%s' is longer than %d characters.",
		    shown(name, b, sizeof(b)), USER_NAME_MAX);
		return -1;
	}
	if (name[0] < 'a' || name[0] > 'z') {
		*cause = str_printf("User name '%s' must start with a lower-case letter (a-z).",
		    shown(name, b, sizeof(b)));
		return -1;
	}
	for (const char *p = name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		    *p == '.' || *p == '-')
			continue;
		*cause = str_printf("User name '%s' may contain only a-z, 0-9, '_', '.' and '-'.",
		    shown(name, b, sizeof(b)));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ helpers */

/*
 * tx_begin - start a write transaction; inside the caller's own
 * transaction (store_read_begin), a savepoint of it
 */
static int
tx_begin(struct store *st, int *nested, char **cause)
{
	*nested = !sqlite3_get_autocommit(st->db);
	return store_exec(st, *nested ? "SAVEPOINT users_tx" : "BEGIN IMMEDIATE", cause);
}

/* tx_end - commit (ok) or undo what tx_begin started; -1 if the commit fails */
static int
tx_end(struct store *st, int nested, int ok, char **cause)
{
	if (ok) {
		if (store_exec(st, nested ? "RELEASE users_tx" : "COMMIT", cause) == 0)
			return 0;
	}
	if (nested) {
		store_exec(st, "ROLLBACK TO users_tx", NULL);
		store_exec(st, "RELEASE users_tx", NULL);
	} else {
		store_exec(st, "ROLLBACK", NULL);
	}
	return ok ? -1 : 0;
}

/* not_found - the cause for an account that is not there */
static int
not_found(const char *name, char **cause)
{
	char b[80];

	*cause = str_printf("User %s does not exist.", shown(name, b, sizeof(b)));
	return -1;
}

/* text_ok - no control characters (C0, DEL) in s */
static int
text_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* run1 - step a prepared statement that returns no row and finalize it */
static int
run1(struct store *st, sqlite3_stmt *s, const char *what, char **cause)
{
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_err(st, cause, what);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

/* exec_name - run sql with the name as ?1 (and an optional integer as ?2) */
static int
exec_name(struct store *st, const char *sql, const char *name, int64_t n, const char *what,
    char **cause)
{
	sqlite3_stmt *s = store_prepare(st, sql, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, n);
	return run1(st, s, what, cause);
}

/* count_where - one integer from sql with the name as ?1 (if it has one) */
static int
count_where(struct store *st, const char *sql, const char *name, long long *n, char **cause)
{
	sqlite3_stmt *s = store_prepare(st, sql, cause);
	int rc;

	if (s == NULL)
		return -1;
	if (sqlite3_bind_parameter_count(s) >= 1)
		store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_err(st, cause, "cannot read the accounts");
	return 0;
}

/* fullname_ok, hash_ok - what users_add and users_update store */
static int
fullname_ok(const char *fullname, char **cause)
{
	if (strlen(fullname) > USER_FULL_MAX) {
		*cause = str_printf("The full name is longer than %d bytes.", USER_FULL_MAX);
		return -1;
	}
	if (!text_ok(fullname)) {
		*cause = str_dup("The full name must not contain control characters.");
		return -1;
	}
	return 0;
}

static int
hash_ok(const char *hash, char **cause)
{
	if (hash == NULL)
		return 0;
	if (strncmp(hash, "$argon2", 7) != 0 || strlen(hash) >= PWHASH_MAX || !text_ok(hash)) {
		*cause = str_dup("internal error: not a password hash (crypto_pwhash_str)");
		return -1;
	}
	return 0;
}

static int
role_ok(enum user_role role, char **cause)
{
	if ((int)role < 0 || role >= ROLE_COUNT) {
		*cause = str_printf("Unknown role %d.", (int)role);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ accounts */

#define SQL_USER_COLS \
	"SELECT u.name, u.fullname, u.role, u.hash IS NOT NULL, u.locked, u.failures, " \
	"u.created, u.pw_changed, u.last_login, " \
	"(SELECT count(*) FROM user_keys k WHERE k.name = u.name) FROM users u "

/* fill_user - a struct user from a SQL_USER_COLS row */
static void
fill_user(sqlite3_stmt *s, struct user *u)
{
	*u = (struct user){ 0 };
	str_copy(u->name, store_col_text(s, 0), sizeof(u->name));
	str_copy(u->fullname, store_col_text(s, 1), sizeof(u->fullname));
	u->role = (enum user_role)sqlite3_column_int(s, 2);
	u->has_password = sqlite3_column_int(s, 3);
	u->locked = sqlite3_column_int(s, 4);
	u->failures = sqlite3_column_int(s, 5);
	u->created = (time_t)sqlite3_column_int64(s, 6);
	u->pw_changed = (time_t)sqlite3_column_int64(s, 7);
	u->last_login = (time_t)sqlite3_column_int64(s, 8);
	u->nkeys = sqlite3_column_int(s, 9);
}

/* users_get - see users.h */
int
users_get(struct store *st, const char *name, struct user *u, char **cause)
{
	sqlite3_stmt *s = store_prepare(st, SQL_USER_COLS "WHERE u.name = ?1", cause);
	int rc;

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		fill_user(s, u);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	return store_err(st, cause, "cannot read the account");
}

/* users_list - see users.h */
int
users_list(struct store *st, users_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s = store_prepare(st, SQL_USER_COLS "ORDER BY u.name", cause);
	struct user *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		fill_user(s, &v[n++]);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_err(st, cause, "cannot list the accounts");
	}
	for (size_t i = 0; i < n; i++)
		if (cb(&v[i], arg) != 0)
			break;
	free(v);
	return 0;
}

/* user_role_of - role of an existing account: 0, 1 not found, -1 error */
static int
user_role_of(struct store *st, const char *name, int *role, char **cause)
{
	sqlite3_stmt *s = store_prepare(st, "SELECT role FROM users WHERE name = ?1", cause);
	int rc;

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*role = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	return store_err(st, cause, "cannot read the account");
}

/* last_admin - would taking name's admin role leave no administrator? 1 yes, 0 no, -1 */
static int
last_admin(struct store *st, const char *name, char **cause)
{
	long long others = 0;

	if (count_where(st, "SELECT count(*) FROM users WHERE role = 0 AND name != ?1", name,
		&others, cause) < 0)
		return -1;
	return others == 0;
}

/* users_add - see users.h */
int
users_add(struct store *st, const char *name, const char *fullname, enum user_role role,
    const char *hash, char **cause)
{
	sqlite3_stmt *s;
	long long n = 0;
	int nested, role_now, rc;

	if (users_name_ok(name, cause) < 0 || fullname_ok(fullname, cause) < 0 ||
	    role_ok(role, cause) < 0 || hash_ok(hash, cause) < 0)
		return -1;
	if (tx_begin(st, &nested, cause) < 0)
		return -1;
	rc = user_role_of(st, name, &role_now, cause);
	if (rc == 0) {
		*cause = str_printf("User %s already exists.", name);
		goto fail;
	}
	if (rc < 0 || count_where(st, "SELECT count(*) FROM users", NULL, &n, cause) < 0)
		goto fail;
	if (n >= USERS_MAX) {
		*cause = str_printf("There are already %d accounts.", USERS_MAX);
		goto fail;
	}
	s = store_prepare(st,
	    "INSERT INTO users (name, fullname, role, hash, locked, failures, created, "
	    "pw_changed, last_login) VALUES (?1, ?2, ?3, ?4, 0, 0, ?5, ?6, 0)",
	    cause);
	if (s == NULL)
		goto fail;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, fullname);
	sqlite3_bind_int(s, 3, (int)role);
	store_bind_text(s, 4, hash);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(s, 6, hash ? (sqlite3_int64)time(NULL) : 0);
	if (run1(st, s, "cannot add the account", cause) < 0)
		goto fail;
	return tx_end(st, nested, 1, cause);
fail:
	tx_end(st, nested, 0, NULL);
	return -1;
}

/* users_update - see users.h */
int
users_update(struct store *st, const char *name, const char *fullname, enum user_role role,
    char **cause)
{
	sqlite3_stmt *s;
	int nested, cur, rc;

	if (fullname_ok(fullname, cause) < 0 || role_ok(role, cause) < 0)
		return -1;
	if (strcmp(name, USER_BUILTIN) == 0 && role != ROLE_ADMIN) {
		*cause = str_dup("The account " USER_BUILTIN " is always an administrator.");
		return -1;
	}
	if (tx_begin(st, &nested, cause) < 0)
		return -1;
	rc = user_role_of(st, name, &cur, cause);
	if (rc == 1)
		not_found(name, cause);
	if (rc != 0)
		goto fail;
	if (cur == ROLE_ADMIN && role != ROLE_ADMIN) {
		rc = last_admin(st, name, cause);
		if (rc == 1)
			*cause = str_printf("The account %s is the last administrator; make another "
					    "account an administrator first.",
			    name);
		if (rc != 0)
			goto fail;
	}
	s = store_prepare(st, "UPDATE users SET fullname = ?2, role = ?3 WHERE name = ?1", cause);
	if (s == NULL)
		goto fail;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, fullname);
	sqlite3_bind_int(s, 3, (int)role);
	if (run1(st, s, "cannot change the account", cause) < 0)
		goto fail;
	return tx_end(st, nested, 1, cause);
fail:
	tx_end(st, nested, 0, NULL);
	return -1;
}

/* users_delete - see users.h; the login record keeps the account's lines */
int
users_delete(struct store *st, const char *name, char **cause)
{
	static const char *const sql[] = {
		"DELETE FROM user_keys WHERE name = ?1",
		"DELETE FROM pw_history WHERE name = ?1",
		"DELETE FROM sessions WHERE user = ?1",
		"DELETE FROM users WHERE name = ?1",
	};
	int nested, cur, rc;

	if (strcmp(name, USER_BUILTIN) == 0) {
		*cause = str_dup("The account " USER_BUILTIN " cannot be deleted.");
		return -1;
	}
	if (tx_begin(st, &nested, cause) < 0)
		return -1;
	rc = user_role_of(st, name, &cur, cause);
	if (rc == 1)
		not_found(name, cause);
	if (rc != 0)
		goto fail;
	if (cur == ROLE_ADMIN) {
		rc = last_admin(st, name, cause);
		if (rc == 1)
			*cause = str_printf("The account %s is the last administrator; make another "
					    "account an administrator first.",
			    name);
		if (rc != 0)
			goto fail;
	}
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if (exec_name(st, sql[i], name, 0, "cannot delete the account", cause) < 0)
			goto fail;
	return tx_end(st, nested, 1, cause);
fail:
	tx_end(st, nested, 0, NULL);
	return -1;
}

/* ------------------------------------------------------------ passwords */

/* users_set_password - see users.h */
int
users_set_password(struct store *st, const char *name, const char *hash, int keep_history,
    char **cause)
{
	sqlite3_stmt *s;
	char *old = NULL;
	int nested;

	if (hash_ok(hash, cause) < 0)
		return -1;
	if (keep_history < 0)
		keep_history = 0;
	if (tx_begin(st, &nested, cause) < 0)
		return -1;
	if (users_get_hash(st, name, &old, cause) < 0)
		goto fail;
	if (old) {
		s = store_prepare(st, "INSERT INTO pw_history (name, hash, time) VALUES (?1, ?2, ?3)",
		    cause);
		if (s == NULL)
			goto fail;
		store_bind_text(s, 1, name);
		store_bind_text(s, 2, old);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
		if (run1(st, s, "cannot record the old password", cause) < 0)
			goto fail;
	}
	/* the newest keep_history stay; rowids grow, so they order the pushes */
	if (exec_name(st,
		"DELETE FROM pw_history WHERE name = ?1 AND rowid NOT IN (SELECT rowid FROM "
		"pw_history WHERE name = ?1 ORDER BY rowid DESC LIMIT ?2)",
		name, keep_history, "cannot trim the password history", cause) < 0)
		goto fail;
	s = store_prepare(st,
	    "UPDATE users SET hash = ?2, pw_changed = ?3, failures = 0 WHERE name = ?1", cause);
	if (s == NULL)
		goto fail;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, hash);
	sqlite3_bind_int64(s, 3, hash ? (sqlite3_int64)time(NULL) : 0);
	if (run1(st, s, "cannot set the password", cause) < 0)
		goto fail;
	free(old);
	return tx_end(st, nested, 1, cause);
fail:
	free(old);
	tx_end(st, nested, 0, NULL);
	return -1;
}

/* users_get_hash - see users.h; an account that does not exist is an error */
int
users_get_hash(struct store *st, const char *name, char **hash, char **cause)
{
	sqlite3_stmt *s = store_prepare(st, "SELECT hash FROM users WHERE name = ?1", cause);
	int rc;

	*hash = NULL;
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*hash = str_dup(store_col_text(s, 0));
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return not_found(name, cause);
	return store_err(st, cause, "cannot read the password");
}

/* users_history - see users.h */
int
users_history(struct store *st, const char *name, int n, users_hash_cb cb, void *arg,
    char **cause)
{
	sqlite3_stmt *s;
	char **v = NULL;
	size_t count = 0, cap = 0;
	int rc;

	if (n <= 0)
		return 0;
	s = store_prepare(st,
	    "SELECT hash FROM pw_history WHERE name = ?1 ORDER BY rowid DESC LIMIT ?2", cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	sqlite3_bind_int(s, 2, n);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[count++] = str_dup(store_col_text(s, 0));
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE) {
		for (size_t i = 0; i < count; i++)
			if (cb(v[i], arg) != 0)
				break;
	}
	for (size_t i = 0; i < count; i++)
		free(v[i]);
	free(v);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot read the password history");
	return 0;
}

/* update_one - an UPDATE of one account (?1 the name); not found is an error */
static int
update_one(struct store *st, const char *sql, const char *name, int64_t n, char **cause)
{
	if (exec_name(st, sql, name, n, "cannot change the account", cause) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return not_found(name, cause);
	return 0;
}

/* users_set_locked - see users.h */
int
users_set_locked(struct store *st, const char *name, int locked, char **cause)
{
	if (locked)
		return update_one(st, "UPDATE users SET locked = 1 WHERE name = ?1", name, 0, cause);
	return update_one(st, "UPDATE users SET locked = 0, failures = 0 WHERE name = ?1", name, 0,
	    cause);
}

/* users_login_failed - see users.h */
int
users_login_failed(struct store *st, const char *name, int lockout, int *locked_now,
    char **cause)
{
	sqlite3_stmt *s;
	int nested, rc, failures = 0, locked = 0, lock;

	*locked_now = 0;
	if (tx_begin(st, &nested, cause) < 0)
		return -1;
	s = store_prepare(st, "SELECT failures, locked FROM users WHERE name = ?1", cause);
	if (s == NULL)
		goto fail;
	store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		failures = sqlite3_column_int(s, 0);
		locked = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		not_found(name, cause);
	else if (rc != SQLITE_ROW)
		store_err(st, cause, "cannot read the account");
	if (rc != SQLITE_ROW)
		goto fail;
	if (failures < 1000000)
		failures++;
	lock = !locked && lockout > 0 && failures >= lockout;
	s = store_prepare(st, "UPDATE users SET failures = ?2, locked = locked OR ?3 WHERE name = ?1",
	    cause);
	if (s == NULL)
		goto fail;
	store_bind_text(s, 1, name);
	sqlite3_bind_int(s, 2, failures);
	sqlite3_bind_int(s, 3, lock);
	if (run1(st, s, "cannot count the failed login", cause) < 0)
		goto fail;
	if (tx_end(st, nested, 1, cause) < 0)
		return -1;
	*locked_now = lock;
	return 0;
fail:
	tx_end(st, nested, 0, NULL);
	return -1;
}

/* users_login_ok - see users.h */
int
users_login_ok(struct store *st, const char *name, char **cause)
{
	return update_one(st, "UPDATE users SET failures = 0, last_login = ?2 WHERE name = ?1", name,
	    (int64_t)time(NULL), cause);
}

/* ------------------------------------------------------------ SSH keys */

/* The key types sshd accepts from an AuthorizedKeysCommand line (no certificates). */
static const char *const key_types[] = {
	"ssh-ed25519",
	"ssh-rsa",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
};

#define KEY_FORMAT_HELP "a public key line as in id_ed25519.pub: TYPE BASE64 [comment], " \
	"without options"

/* b64val - value of a base64 digit, or -1 */
static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * blob_names_type - does the base64 text s[n] decode (RFC 4648, padded)
 * to an SSH public key blob whose first field (RFC 4253 6.6: uint32 length
 * and the name) is type? Only the head is decoded; the rest is checked.
 */
static int
blob_names_type(const char *s, size_t n, const char *type)
{
	unsigned char head[4 + 64];
	size_t tlen = strlen(type), want = 4 + tlen, got = 0, pad = 0;
	unsigned int acc = 0;
	int bits = 0;

	if (n == 0 || n % 4 != 0 || want > sizeof(head))
		return 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);

		if (s[i] == '=') {
			if (i < n - 2)
				return 0;
			pad++;
			continue;
		}
		if (v < 0 || pad > 0)
			return 0;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (got < want)
				head[got] = (unsigned char)(acc >> bits);
			got++;
			acc &= (1u << bits) - 1;
		}
	}
	if (got < want + 1)	/* the type, and at least one byte of key after it */
		return 0;
	if (head[0] != 0 || head[1] != 0 || head[2] != 0 || head[3] != tlen)
		return 0;
	return memcmp(head + 4, type, tlen) == 0;
}

/*
 * key_parse - check an authorized_keys line and write its normal form
 * "TYPE BASE64[ comment]" into *norm (malloc'd); *id_len is the length
 * of "TYPE BASE64", what tells two keys apart (the comment does not)
 */
static int
key_parse(const char *line, char **norm, size_t *id_len, char **cause)
{
	const char *p = line, *type, *blob, *comment;
	size_t tlen, blen, clen;
	int known = 0;

	*norm = NULL;
	if (strlen(line) > USER_KEY_MAX) {
		*cause = str_printf("The key is longer than %d bytes.", USER_KEY_MAX);
		return -1;
	}
	if (!text_ok(line)) {
		*cause = str_dup("The key must be one line, without control characters: "
				 KEY_FORMAT_HELP ".");
		return -1;
	}
	while (*p == ' ')
		p++;
	type = p;
	tlen = strcspn(p, " ");
	p += tlen;
	while (*p == ' ')
		p++;
	blob = p;
	blen = strcspn(p, " ");
	p += blen;
	while (*p == ' ')
		p++;
	comment = p;
	clen = strlen(comment);
	while (clen > 0 && comment[clen - 1] == ' ')
		clen--;
	for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strlen(key_types[i]) == tlen && memcmp(key_types[i], type, tlen) == 0)
			known = 1;
	if (tlen == 0) {
		*cause = str_dup("The key is empty: give " KEY_FORMAT_HELP ".");
		return -1;
	}
	if (!known) {
		char b[80], t[80];

		if (memchr(type, '=', tlen) || memchr(type, ',', tlen) || memchr(type, '"', tlen)) {
			*cause = str_dup("Key options (from=, command=, ...) are not allowed: give "
					 "the key alone, starting with its type.");
			return -1;
		}
		str_copy(t, type, tlen + 1 < sizeof(t) ? tlen + 1 : sizeof(t));
		*cause = str_printf("Unknown key type '%s': use ssh-ed25519, ssh-rsa, "
				    "ecdsa-sha2-nistp256/384/521 or an sk- security key type.",
		    shown(t, b, sizeof(b)));
		return -1;
	}
	{
		char t[64];

		str_copy(t, type, tlen + 1);
		if (blen == 0) {
			*cause = str_printf("The %s key has no key data after its type.", t);
			return -1;
		}
		if (!blob_names_type(blob, blen, t)) {
			*cause = str_printf("The key data is not a valid %s public key (base64).", t);
			return -1;
		}
	}
	*id_len = tlen + 1 + blen;
	*norm = str_printf("%.*s %.*s%s%.*s", (int)tlen, type, (int)blen, blob, clen ? " " : "",
	    (int)clen, comment);
	return 0;
}

/* users_key_check - see users.h */
int
users_key_check(const char *line, char **norm, char **cause)
{
	size_t id_len;

	return key_parse(line, norm, &id_len, cause);
}

/* key_list - the account's keys in order (malloc'd array of malloc'd lines) */
static int
key_list(struct store *st, const char *name, char ***keys, int *n, char **cause)
{
	sqlite3_stmt *s = store_prepare(st,
	    "SELECT key FROM user_keys WHERE name = ?1 ORDER BY seq", cause);
	int rc, cap = 0;

	*keys = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*keys = xrealloc(*keys, (size_t)cap * sizeof(**keys));
		}
		(*keys)[(*n)++] = str_dup(store_col_text(s, 0));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot read the keys");
	return 0;
}

static void
key_list_free(char **keys, int n)
{
	for (int i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* users_key_add - see users.h */
int
users_key_add(struct store *st, const char *name, const char *key, char **cause)
{
	sqlite3_stmt *s;
	char *norm = NULL, **keys = NULL;
	size_t id_len;
	int nested, n = 0, role, rc;

	if (key_parse(key, &norm, &id_len, cause) < 0)
		return -1;
	if (tx_begin(st, &nested, cause) < 0) {
		free(norm);
		return -1;
	}
	rc = user_role_of(st, name, &role, cause);
	if (rc == 1)
		not_found(name, cause);
	if (rc != 0 || key_list(st, name, &keys, &n, cause) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		if (strncmp(keys[i], norm, id_len) == 0 &&
		    (keys[i][id_len] == '\0' || keys[i][id_len] == ' ')) {
			*cause = str_printf("The account %s already has this key (key %d).", name,
			    i + 1);
			goto fail;
		}
	}
	if (n >= USER_KEYS_MAX) {
		*cause = str_printf("The account %s already has %d keys; delete one first.", name,
		    USER_KEYS_MAX);
		goto fail;
	}
	s = store_prepare(st,
	    "INSERT INTO user_keys (name, seq, key) VALUES (?1, "
	    "(SELECT ifnull(max(seq), 0) + 1 FROM user_keys WHERE name = ?1), ?2)",
	    cause);
	if (s == NULL)
		goto fail;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, norm);
	if (run1(st, s, "cannot add the key", cause) < 0)
		goto fail;
	key_list_free(keys, n);
	free(norm);
	return tx_end(st, nested, 1, cause);
fail:
	key_list_free(keys, n);
	free(norm);
	tx_end(st, nested, 0, NULL);
	return -1;
}

/* users_key_delete - see users.h */
int
users_key_delete(struct store *st, const char *name, int index, char **cause)
{
	long long n = 0;
	int nested, role, rc;

	if (tx_begin(st, &nested, cause) < 0)
		return -1;
	rc = user_role_of(st, name, &role, cause);
	if (rc == 1)
		not_found(name, cause);
	if (rc != 0 || count_where(st, "SELECT count(*) FROM user_keys WHERE name = ?1", name, &n,
			   cause) < 0)
		goto fail;
	if (index < 1 || index > n) {
		if (n == 0)
			*cause = str_printf("The account %s has no keys.", name);
		else
			*cause = str_printf("There is no key %d: the account %s has %lld key%s "
					    "(1-%lld).",
			    index, name, n, n == 1 ? "" : "s", n);
		goto fail;
	}
	if (exec_name(st,
		"DELETE FROM user_keys WHERE name = ?1 AND seq = (SELECT seq FROM user_keys "
		"WHERE name = ?1 ORDER BY seq LIMIT 1 OFFSET ?2)",
		name, index - 1, "cannot delete the key", cause) < 0)
		goto fail;
	return tx_end(st, nested, 1, cause);
fail:
	tx_end(st, nested, 0, NULL);
	return -1;
}

/* users_keys - see users.h; an account with no keys calls cb never */
int
users_keys(struct store *st, const char *name, users_key_cb cb, void *arg, char **cause)
{
	char **keys;
	int n;

	if (key_list(st, name, &keys, &n, cause) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (cb(i + 1, keys[i], arg) != 0)
			break;
	key_list_free(keys, n);
	return 0;
}

/* ------------------------------------------------------------ sessions */

/* users_session_open - see users.h; started and active become now */
int
users_session_open(struct store *st, struct user_session *us, char **cause)
{
	sqlite3_stmt *s;
	time_t now = time(NULL);

	if (us->user[0] == '\0') {
		*cause = str_dup("internal error: a session without a user");
		return -1;
	}
	s = store_prepare(st,
	    "INSERT INTO sessions (user, pid, pid_start, origin, tty, kind, started, active) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
	    cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, us->user);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)us->pid);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)us->pid_start);
	store_bind_text(s, 4, us->origin);
	store_bind_text(s, 5, us->tty);
	store_bind_text(s, 6, us->kind);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)now);
	if (run1(st, s, "cannot record the session", cause) < 0)
		return -1;
	us->id = sqlite3_last_insert_rowid(st->db);
	us->started = us->active = now;
	return 0;
}

/* users_session_touch - see users.h; a row gone (pruned, account deleted) is no error */
int
users_session_touch(struct store *st, int64_t id, char **cause)
{
	sqlite3_stmt *s = store_prepare(st, "UPDATE sessions SET active = ?2 WHERE id = ?1", cause);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL));
	return run1(st, s, "cannot update the session", cause);
}

/* delete_session - the row of session id, if it is still there */
static int
delete_session(struct store *st, int64_t id, char **cause)
{
	sqlite3_stmt *s = store_prepare(st, "DELETE FROM sessions WHERE id = ?1", cause);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return run1(st, s, "cannot remove the session", cause);
}

/* users_session_close - see users.h: the login record keeps what happened */
int
users_session_close(struct store *st, int64_t id, char **cause)
{
	return delete_session(st, id, cause);
}

/* users_session_prune - see users.h: whether the process is gone is the caller's finding */
int
users_session_prune(struct store *st, int64_t id, char **cause)
{
	return delete_session(st, id, cause);
}

/* users_sessions - see users.h; oldest first */
int
users_sessions(struct store *st, users_session_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s = store_prepare(st,
	    "SELECT id, user, pid, pid_start, origin, tty, kind, started, active FROM sessions "
	    "ORDER BY id",
	    cause);
	struct user_session *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct user_session *u;

		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		u = &v[n++];
		*u = (struct user_session){ 0 };
		u->id = sqlite3_column_int64(s, 0);
		str_copy(u->user, store_col_text(s, 1), sizeof(u->user));
		u->pid = (pid_t)sqlite3_column_int64(s, 2);
		u->pid_start = (unsigned long long)sqlite3_column_int64(s, 3);
		str_copy(u->origin, store_col_text(s, 4), sizeof(u->origin));
		str_copy(u->tty, store_col_text(s, 5), sizeof(u->tty));
		str_copy(u->kind, store_col_text(s, 6), sizeof(u->kind));
		u->started = (time_t)sqlite3_column_int64(s, 7);
		u->active = (time_t)sqlite3_column_int64(s, 8);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_err(st, cause, "cannot list the sessions");
	}
	for (size_t i = 0; i < n; i++)
		if (cb(&v[i], arg) != 0)
			break;
	free(v);
	return 0;
}

/* ------------------------------------------------------------ login record */

/* users_login_record - see users.h; when 0 means now */
int
users_login_record(struct store *st, const struct user_login *l, char **cause)
{
	sqlite3_stmt *s;
	int nested;

	if (tx_begin(st, &nested, cause) < 0)
		return -1;
	s = store_prepare(st,
	    "INSERT INTO logins (time, user, event, origin, method, session, detail) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	    cause);
	if (s == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)(l->when ? l->when : time(NULL)));
	store_bind_text(s, 2, l->user);
	store_bind_text(s, 3, l->event);
	store_bind_text(s, 4, l->origin);
	store_bind_text(s, 5, l->method);
	sqlite3_bind_int64(s, 6, l->session);
	store_bind_text(s, 7, l->detail);
	if (run1(st, s, "cannot record the login", cause) < 0)
		goto fail;
	/* ids grow (AUTOINCREMENT): all but the newest USERS_LOGINS_KEEP go */
	s = store_prepare(st,
	    "DELETE FROM logins WHERE id <= (SELECT id FROM logins ORDER BY id DESC "
	    "LIMIT 1 OFFSET ?1)",
	    cause);
	if (s == NULL)
		goto fail;
	sqlite3_bind_int(s, 1, USERS_LOGINS_KEEP);
	if (run1(st, s, "cannot trim the login record", cause) < 0)
		goto fail;
	return tx_end(st, nested, 1, cause);
fail:
	tx_end(st, nested, 0, NULL);
	return -1;
}

/* users_logins - see users.h; limit <= 0: all of them */
int
users_logins(struct store *st, int limit, users_login_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s = store_prepare(st,
	    "SELECT id, time, user, event, origin, method, session, detail FROM logins "
	    "ORDER BY id DESC LIMIT ?1",
	    cause);
	struct user_login *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int(s, 1, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct user_login *l;

		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		l = &v[n++];
		*l = (struct user_login){ 0 };
		l->id = sqlite3_column_int64(s, 0);
		l->when = (time_t)sqlite3_column_int64(s, 1);
		str_copy(l->user, store_col_text(s, 2), sizeof(l->user));
		str_copy(l->event, store_col_text(s, 3), sizeof(l->event));
		str_copy(l->origin, store_col_text(s, 4), sizeof(l->origin));
		str_copy(l->method, store_col_text(s, 5), sizeof(l->method));
		l->session = sqlite3_column_int64(s, 6);
		str_copy(l->detail, store_col_text(s, 7), sizeof(l->detail));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_err(st, cause, "cannot read the login record");
	}
	for (size_t i = 0; i < n; i++)
		if (cb(&v[i], arg) != 0)
			break;
	free(v);
	return 0;
}
