/*
 * store_int.h - what the store's own files share; not for other layers.
 */
#ifndef STORE_STORE_INT_H
#define STORE_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

struct store {
	sqlite3 *db;		/* DIR/config.db */
	char *dir;		/* data directory */
	enum store_mode mode;	/* session (candidate overlay) or running */
	char *readonly_role;	/* store_set_readonly's role: no configuration writes; or NULL */
	/* config_count_atleast's last exact count, while nothing has changed */
	char *count_section;
	long long count_n;
	long long count_changes, count_version;
	char *level;		/* the session's cluster level ("cluster", "group:NAME"); NULL: machine */
	int clustered;		/* cluster_member has a row (store/cluster.c) */
};

/*
 * cluster_commit_marks - inside config_commit_check's transaction, at the
 * machine level of a machine in a cluster: mark what commit id sets as
 * machine items; for what it deletes, unmark and put back the group's or
 * the cluster's value (store/cluster.c)
 */
int cluster_commit_marks(struct store *st, int64_t id, char **cause);

/* cluster_open - at store_open, after the migrations: st->clustered */
int cluster_open(struct store *st, char **cause);

/* store_err - set *cause from the connection's last error */
int store_err(struct store *st, char **cause, const char *what);

/* store_prepare - prepare a statement or set *cause */
sqlite3_stmt *store_prepare(struct store *st, const char *sql, char **cause);

/* store_exec - run SQL without results (fixed text only, never built) */
int store_exec(struct store *st, const char *sql, char **cause);

/* store_bind_text - bind a C string or NULL */
void store_bind_text(sqlite3_stmt *s, int i, const char *v);

/* store_col_text - column as C string ("" for NULL); valid until next step */
const char *store_col_text(sqlite3_stmt *s, int i);

/* Flags for sqlite3_open_v2: never through a symbolic link planted in DIR. */
#define STORE_OPEN_FLAGS (SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW)

/*
 * store_file_open - create DIR (0700) and DIR/NAME (0600) if absent and
 * return *path; with the data directory flocked in *lockfd, so that the
 * caller's first open, journal-mode switch and migrations run one process
 * at a time. SQLite gives up at once, without its busy handler, when two
 * connections race to switch a new file to WAL, which a busy timeout
 * cannot cure. Release with store_file_unlock after the migrations.
 *
 * A DIR/NAME that exists but is not a regular file, or is empty, is
 * refused rather than (re)created: it is a store that was lost (a
 * truncation), and SQLite would silently make a new empty one of it. what
 * says what the file holds ("configuration", "mail queue") for the cause.
 * *created tells whether this call made the file: if the caller's open or
 * migrations then fail, store_file_abandon removes it again, so a failed
 * first start (a full disk) leaves no empty file to be refused next time.
 */
int store_file_open(const char *dir, const char *name, const char *what, char **path,
    int *lockfd, int *created, char **cause);

/* store_file_unlock - release the lock store_file_open took */
void store_file_unlock(int lockfd);

/*
 * store_file_abandon - after a failed open: remove DIR/NAME (and its WAL
 * and shared-memory files) if store_file_open created it, release the
 * lock, free path
 */
void store_file_abandon(char *path, int lockfd, int created);

/*
 * store_file_cause - *cause becomes "PATH: CAUSE (system error)": which
 * file failed, and errno's reason when SQLite had one (a full disk shows
 * as "disk I/O error (No space left on device)"); frees the old cause
 */
void store_file_cause(sqlite3 *db, const char *path, char **cause);

/*
 * store_quick_check - PRAGMA quick_check on db (the file at path, holding
 * what): -1 with a one-line cause naming the file, the first fault and the
 * remedy when the file is damaged
 */
int store_quick_check(sqlite3 *db, const char *path, const char *what, char **cause);

#endif
