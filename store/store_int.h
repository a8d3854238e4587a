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
};

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

/*
 * store_file_open - create DIR (0700) and DIR/NAME (0600) if absent and
 * return *path; with the data directory flocked in *lockfd, so that the
 * caller's first open, journal-mode switch and migrations run one process
 * at a time. SQLite gives up at once, without its busy handler, when two
 * connections race to switch a new file to WAL, which a busy timeout
 * cannot cure. Release with store_file_unlock after the migrations.
 */
int store_file_open(const char *dir, const char *name, char **path, int *lockfd,
    char **cause);

/* store_file_unlock - release the lock store_file_open took */
void store_file_unlock(int lockfd);

#endif
