/*
 * db.c - open the data directory and DIR/config.db, and migrate its schema.
 *
 * Schema changes are numbered migrations; migration N brings the database
 * from PRAGMA user_version N-1 to N in one transaction. A database newer
 * than this build is refused rather than guessed at. So is a store file
 * that is empty, not a plain file, or (store_check, at the daemon's
 * start) fails PRAGMA quick_check: a damaged store is never re-created
 * or trusted behind the operator's back.
 *
 * DIAGNOSTICS: every failure returns -1 with a malloc'd cause that names
 * the file and the SQLite message (and errno's reason: a full disk).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/secret.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/str.h"

/* How long a writer waits for another process's transaction. */
#define STORE_BUSY_TIMEOUT_MS 10000

/*
 * migrations[i] takes user_version i to i+1. Never edit a released entry:
 * add a new one.
 */
static const char *const migrations[] = {
	/* 1: configuration items and commit history */
	"CREATE TABLE config ("
	"  section TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  rev INTEGER NOT NULL,"		/* commit that last wrote it */
	"  PRIMARY KEY (section, key)) WITHOUT ROWID;"
	"CREATE TABLE commits ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  user TEXT NOT NULL,"
	"  comment TEXT NOT NULL);"
	"CREATE TABLE commit_changes ("
	"  commit_id INTEGER NOT NULL REFERENCES commits(id),"
	"  section TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  old TEXT,"				/* NULL: item was created */
	"  new TEXT,"				/* NULL: item was deleted */
	"  PRIMARY KEY (commit_id, section, key));"
	"CREATE INDEX commit_changes_item ON commit_changes(section, key, commit_id);"
	"PRAGMA user_version = 1;",
	/* 2: the values secret settings had before each commit, encrypted (store/secret.c) */
	"CREATE TABLE secret_history ("
	"  commit_id INTEGER NOT NULL REFERENCES commits(id),"
	"  section TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  old TEXT,"				/* NULL: the item did not exist */
	"  PRIMARY KEY (commit_id, section, key)) WITHOUT ROWID;"
	"PRAGMA user_version = 2;",
	/*
	 * 3: operator accounts (store/users.c), which take effect at once and
	 * are never part of a commit; the built-in account admin, with no
	 * password and no key until root sets one at the console
	 */
	"CREATE TABLE users ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  fullname TEXT NOT NULL,"
	"  role INTEGER NOT NULL,"		/* enum user_role */
	"  hash TEXT,"				/* crypto_pwhash_str; NULL: no password */
	"  locked INTEGER NOT NULL DEFAULT 0,"
	"  failures INTEGER NOT NULL DEFAULT 0,"	/* failed logins since the last success */
	"  created INTEGER NOT NULL,"
	"  pw_changed INTEGER NOT NULL DEFAULT 0,"	/* 0: never */
	"  last_login INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE user_keys ("
	"  name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"		/* order of addition */
	"  key TEXT NOT NULL,"			/* one authorized_keys line, no options */
	"  PRIMARY KEY (name, seq),"
	"  UNIQUE (name, key));"
	"CREATE TABLE pw_history ("
	"  name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
	"  hash TEXT NOT NULL,"			/* a previous password's */
	"  time INTEGER NOT NULL);"		/* when it was replaced */
	"CREATE INDEX pw_history_name ON pw_history(name);"
	"CREATE TABLE sessions ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"	/* never reused: logs name it */
	"  user TEXT NOT NULL,"			/* an account, or root at the console */
	"  pid INTEGER NOT NULL,"
	"  pid_start INTEGER NOT NULL,"		/* /proc/PID/stat starttime */
	"  origin TEXT NOT NULL,"
	"  tty TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"			/* ssh, console */
	"  started INTEGER NOT NULL,"
	"  active INTEGER NOT NULL);"
	"CREATE TABLE logins ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time INTEGER NOT NULL,"
	"  user TEXT NOT NULL,"
	"  event TEXT NOT NULL,"		/* login, logout, failed, locked */
	"  origin TEXT NOT NULL,"
	"  method TEXT NOT NULL,"
	"  session INTEGER NOT NULL,"		/* 0: none */
	"  detail TEXT NOT NULL);"
	"INSERT INTO users (name, fullname, role, hash, created) "	/* role 0: ROLE_ADMIN */
	"  VALUES ('admin', 'Administrator', 0, NULL, CAST(strftime('%s', 'now') AS INTEGER));"
	"PRAGMA user_version = 3;",
	/*
	 * 4: the registration with the Cisco Cloud Service (store/cloud.c):
	 * the cloud's state, not configuration; one row at most
	 */
	"CREATE TABLE cloud_registration ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  server TEXT NOT NULL,"		/* region name or https:// URL */
	"  device_id TEXT NOT NULL,"
	"  client_id TEXT NOT NULL,"
	"  client_secret TEXT NOT NULL,"	/* sealed (store/secret.c), "" none */
	"  account_id TEXT NOT NULL,"
	"  virtual_account TEXT NOT NULL,"
	"  jwks TEXT NOT NULL,"			/* the platform's keys, JSON */
	"  registered INTEGER NOT NULL,"
	"  reregistered INTEGER NOT NULL,"	/* 0: never */
	"  last_contact INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL,"		/* "" none */
	"  last_error_at INTEGER NOT NULL);"
	"PRAGMA user_version = 4;",
	/*
	 * 5: clusters (issue 15, store/cluster.c): this machine's membership,
	 * the cluster's small state, the items set at the machine level, and
	 * the cluster and group levels mirrored from etcd (revisions as rev
	 * and commit ids)
	 */
	"CREATE TABLE cluster_member ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  cluster TEXT NOT NULL,"
	"  machine TEXT NOT NULL,"
	"  grp TEXT NOT NULL,"
	"  endpoints TEXT NOT NULL,"		/* https://HOST:PORT,... */
	"  ca_pem TEXT NOT NULL,"
	"  cert_pem TEXT NOT NULL,"
	"  key_pem TEXT NOT NULL,"		/* sealed (store/secret.c: cluster tls_key) */
	"  ckey TEXT NOT NULL,"			/* cluster key, base64, sealed (cluster key) */
	"  joined INTEGER NOT NULL);"
	"CREATE TABLE cluster_state ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE cluster_machine_items ("
	"  section TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  PRIMARY KEY (section, key)) WITHOUT ROWID;"
	"CREATE TABLE lvl_config ("
	"  level TEXT NOT NULL,"		/* cluster, group:NAME */
	"  section TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"		/* a secret sealed with secret.key */
	"  rev INTEGER NOT NULL,"		/* etcd mod_revision */
	"  PRIMARY KEY (level, section, key)) WITHOUT ROWID;"
	"CREATE TABLE lvl_commits ("
	"  level TEXT NOT NULL,"
	"  id INTEGER NOT NULL,"		/* etcd revision */
	"  time INTEGER NOT NULL,"
	"  user TEXT NOT NULL,"
	"  comment TEXT NOT NULL,"
	"  host TEXT NOT NULL,"			/* the machine it was made on */
	"  PRIMARY KEY (level, id)) WITHOUT ROWID;"
	"CREATE TABLE lvl_commit_changes ("
	"  level TEXT NOT NULL,"
	"  commit_id INTEGER NOT NULL,"
	"  section TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  old TEXT,"
	"  new TEXT,"
	"  PRIMARY KEY (level, commit_id, section, key)) WITHOUT ROWID;"
	"CREATE INDEX lvl_commit_changes_item ON lvl_commit_changes(level, section, key, commit_id);"
	"CREATE TABLE lvl_secret_history ("
	"  level TEXT NOT NULL,"
	"  commit_id INTEGER NOT NULL,"
	"  section TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  old TEXT,"
	"  PRIMARY KEY (level, commit_id, section, key)) WITHOUT ROWID;"
	"PRAGMA user_version = 5;",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
store_err(struct store *st, char **cause, const char *what)
{
	if (cause)
		*cause = str_printf("%s: %s", what, sqlite3_errmsg(st->db));
	return -1;
}

sqlite3_stmt *
store_prepare(struct store *st, const char *sql, char **cause)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_err(st, cause, "cannot prepare statement");
		return NULL;
	}
	return s;
}

int
store_exec(struct store *st, const char *sql, char **cause)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		if (cause)
			*cause = str_printf("database error: %s", err ? err : "unknown");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

void
store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

const char *
store_col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

int
store_schema_version(struct store *st)
{
	sqlite3_stmt *s = store_prepare(st, "PRAGMA user_version", NULL);
	int v = -1;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
store_read_begin(struct store *st, char **cause)
{
	return store_exec(st, "BEGIN", cause);
}

void
store_read_end(struct store *st)
{
	store_exec(st, "COMMIT", NULL);
}

int
store_migrate_to(struct store *st, int version, char **cause)
{
	int cur;

	if (version > NMIGRATIONS)
		version = NMIGRATIONS;
	/* IMMEDIATE: two processes opening a fresh store must not both migrate */
	if (store_exec(st, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	cur = store_schema_version(st);
	if (cur < 0) {
		store_exec(st, "ROLLBACK", NULL);
		return store_err(st, cause, "cannot read schema version");
	}
	if (cur > NMIGRATIONS) {
		store_exec(st, "ROLLBACK", NULL);
		*cause = str_printf("%s/config.db has schema version %d, newer than this "
				    "mxgate understands (%d); refusing to open it",
		    st->dir, cur, NMIGRATIONS);
		return -1;
	}
	/* an existing store is checked before a migration writes into it (issue 9) */
	if (cur > 0 && cur < version) {
		char *path = str_printf("%s/config.db", st->dir);
		int bad = store_quick_check(st->db, path, "configuration", cause);

		free(path);
		if (bad < 0) {
			store_exec(st, "ROLLBACK", NULL);
			return -1;
		}
	}
	for (; cur < version; cur++) {
		if (store_exec(st, migrations[cur], cause) < 0) {
			char *c = *cause;

			store_exec(st, "ROLLBACK", NULL);
			*cause = str_printf("migration %d failed: %s", cur + 1, c);
			free(c);
			return -1;
		}
	}
	return store_exec(st, "COMMIT", cause);
}

/*
 * store_file_open - see store_int.h.
 *
 * The file is created only when it does not exist: closing any descriptor
 * of a database file drops every POSIX lock this process holds on it
 * (fcntl semantics), so opening and closing an existing database behind
 * SQLite's back would let another process delete its live WAL. A file that
 * does not exist cannot be open in this process. The lock is flock(2) on
 * the directory itself, which SQLite's fcntl locks never see.
 *
 * An existing file is only looked at (lstat), never opened here. It is
 * never empty in a working store: the first opener writes the header
 * while it holds the lock (WAL mode is set before the lock is released),
 * so 0 bytes means the file was truncated, and SQLite would take it for a
 * new database and lose what it held without a word (issue 9, item 3).
 */
int
store_file_open(const char *dir, const char *name, const char *what, char **path,
    int *lockfd, int *created, char **cause)
{
	struct stat sb;
	const char *bad = NULL;
	char *why = NULL;
	int fd;

	*path = NULL;
	*lockfd = -1;
	*created = 0;
	if (fs_mkdirs(dir, 0700) < 0) {
		*cause = str_printf("cannot create data directory %s: %s", dir, strerror(errno));
		return -1;
	}
	*lockfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*lockfd < 0 || flock(*lockfd, LOCK_EX) < 0) {
		*cause = str_printf("cannot lock data directory %s: %s", dir, strerror(errno));
		store_file_unlock(*lockfd);
		*lockfd = -1;
		return -1;
	}
	*path = str_printf("%s/%s", dir, name);
	if (lstat(*path, &sb) == 0) {
		if (S_ISLNK(sb.st_mode))
			bad = "is a symbolic link, which mxgate does not follow; put the database "
			      "file itself there";
		else if (S_ISDIR(sb.st_mode))
			bad = "is a directory, not a database file; move it out of the way";
		else if (!S_ISREG(sb.st_mode))
			bad = "is not a regular file; move it out of the way";
		if (bad)
			why = str_printf("%s %s", *path, bad);
		else if (sb.st_size == 0)
			why = str_printf("%s is empty (0 bytes): the %s it held is lost (or its "
					 "first start was cut short); restore it from a backup, or "
					 "remove it to start with an empty %s",
			    *path, what, what);
	} else if (errno != ENOENT) {
		why = str_printf("cannot examine %s: %s", *path, strerror(errno));
	} else {
		fd = open(*path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			why = str_printf("cannot create %s: %s", *path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			*created = 1;
		}
	}
	if (why) {
		*cause = why;
		free(*path);
		*path = NULL;
		store_file_unlock(*lockfd);
		*lockfd = -1;
		return -1;
	}
	return 0;
}

/* store_file_unlock - see store_int.h */
void
store_file_unlock(int lockfd)
{
	if (lockfd >= 0)
		close(lockfd);
}

/* store_file_abandon - see store_int.h */
void
store_file_abandon(char *path, int lockfd, int created)
{
	static const char *const sidecars[] = { "-wal", "-shm" };

	if (created && path) {
		/* made by this call under the lock: nobody else has it open */
		for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++) {
			char *p = str_printf("%s%s", path, sidecars[i]);

			unlink(p);
			free(p);
		}
		unlink(path);
	}
	free(path);
	store_file_unlock(lockfd);
}

/* store_file_cause - see store_int.h */
void
store_file_cause(sqlite3 *db, const char *path, char **cause)
{
	char *old = *cause;
	int code = db ? sqlite3_errcode(db) : SQLITE_OK;
	int sys = db ? sqlite3_system_errno(db) : 0;
	const char *sep = old && strstr(old, path) ? "" : ": ";	/* named already? */

	if (sys != 0 && (code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN))
		*cause = str_printf("%s%s%s (%s)", *sep ? path : "", sep, old ? old : "error",
		    strerror(sys));
	else
		*cause = str_printf("%s%s%s", *sep ? path : "", sep, old ? old : "error");
	free(old);
}

/* store_quick_check - see store_int.h */
int
store_quick_check(sqlite3 *db, const char *path, const char *what, char **cause)
{
	sqlite3_stmt *s = NULL;
	char fault[200] = "";
	int rc;

	/* the first fault is enough to refuse; quick_check(1) stops there */
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL) != SQLITE_OK) {
		str_copy(fault, sqlite3_errmsg(db), sizeof(fault));
	} else {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(s, 0);

			if (t == NULL || strcmp((const char *)t, "ok") != 0)
				str_copy(fault, t ? (const char *)t : "no verdict", sizeof(fault));
		} else {
			str_copy(fault, sqlite3_errmsg(db), sizeof(fault));
		}
	}
	sqlite3_finalize(s);
	if (fault[0] == '\0')
		return 0;
	for (char *p = fault; *p; p++)	/* one line, whatever SQLite said */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	*cause = str_printf("%s is damaged (PRAGMA quick_check: %s); the %s in it cannot be "
			    "trusted: restore it from a backup",
	    path, fault, what);
	return -1;
}

int
store_open(const char *dir, enum store_mode mode, struct store **out, char **cause)
{
	struct store *st;
	char *path;
	int lockfd, created;

	*out = NULL;
	if (store_file_open(dir, "config.db", "configuration", &path, &lockfd, &created,
		cause) < 0)
		return -1;
	st = xcalloc(1, sizeof(*st));
	st->dir = str_dup(dir);
	st->mode = mode;
	if (sqlite3_open_v2(path, &st->db, STORE_OPEN_FLAGS, NULL) != SQLITE_OK) {
		*cause = str_dup(st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_file_cause(st->db, path, cause);
		store_close(st);
		store_file_abandon(path, lockfd, created);
		return -1;
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	if (store_exec(st, "PRAGMA journal_mode=WAL", cause) < 0 ||
	    store_exec(st, "PRAGMA synchronous=FULL", cause) < 0 ||
	    store_exec(st, "PRAGMA foreign_keys=ON", cause) < 0 ||
	    store_migrate_to(st, NMIGRATIONS, cause) < 0 ||
	    secret_open(st, cause) < 0 || cluster_open(st, cause) < 0) {
		store_file_cause(st->db, path, cause);
		store_close(st);
		store_file_abandon(path, lockfd, created);
		return -1;
	}
	free(path);
	store_file_unlock(lockfd);
	if (mode == STORE_SESSION &&
	    store_exec(st,
		"CREATE TEMP TABLE candidate ("
		"  section TEXT NOT NULL,"
		"  key TEXT NOT NULL,"
		"  value TEXT,"			/* NULL: delete */
		"  base_rev INTEGER NOT NULL,"	/* running rev when first edited; 0 absent */
		"  PRIMARY KEY (section, key))",
		cause) < 0) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

/* store_check - see store.h */
int
store_check(struct store *st, char **cause)
{
	char *path = str_printf("%s/config.db", st->dir);
	int rc = store_quick_check(st->db, path, "configuration", cause);

	free(path);
	return rc;
}

/* store_set_readonly - see store.h */
void
store_set_readonly(struct store *st, const char *role_name)
{
	free(st->readonly_role);
	st->readonly_role = str_dup(role_name && *role_name ? role_name : "readonly");
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->db)
		sqlite3_close(st->db);
	free(st->dir);
	free(st->readonly_role);
	free(st->count_section);
	free(st->level);
	free(st);
}

const char *
store_dir(const struct store *st)
{
	return st->dir;
}

char *
store_dump(struct store *st)
{
	static const char *const queries[] = {
		"SELECT 'config', section, key, value, rev FROM main.config ORDER BY 2, 3",
		"SELECT 'commits', id, time, user, comment FROM main.commits ORDER BY 2",
		"SELECT 'change', commit_id, section, key, ifnull(old, '<null>') || ' -> ' || "
		"ifnull(new, '<null>') FROM main.commit_changes ORDER BY 2, 3, 4",
	};
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		sqlite3_stmt *s = store_prepare(st, queries[i], NULL);

		while (s && sqlite3_step(s) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(s); c++)
				buf_printf(&b, "%s%s", c ? "|" : "", store_col_text(s, c));
			buf_addch(&b, '\n');
		}
		sqlite3_finalize(s);
	}
	return buf_steal(&b);
}
