/*
 * store.h - the data directory and its SQLite configuration store.
 *
 * DIR/config.db holds the running configuration as items (section, key,
 * value), the commit history, and nothing else. A shell session edits a
 * candidate kept in a TEMP table of its own connection, so other sessions
 * and the daemon see only committed items. store/ is the only place that
 * speaks SQL; every statement is prepared with bound parameters.
 *
 * Lower layers never exit: failures return -1 with a malloc'd *cause.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdint.h>
#include <time.h>

struct store;

/* Schema version written by this build; newer databases are refused. */
#define STORE_SCHEMA_VERSION 5

enum store_mode {
	STORE_SESSION = 0,	/* a shell: reads overlay its own candidate */
	STORE_RUNNING,		/* the daemon: running configuration only */
};

/* store_open - create DIR (0700) and open/migrate DIR/config.db (0600) */
int store_open(const char *dir, enum store_mode mode, struct store **out, char **cause);

/*
 * store_check - PRAGMA quick_check of config.db (the daemon's start, before
 * anything is applied): -1 with a one-line cause if the file is damaged
 */
int store_check(struct store *st, char **cause);

/* store_close - close the database; pending candidate changes are lost */
void store_close(struct store *st);

/* store_dir - the data directory */
const char *store_dir(const struct store *st);

/* store_schema_version - PRAGMA user_version of the open database */
int store_schema_version(struct store *st);

/* store_migrate_to - run migrations up to version (tests); see store_open */
int store_migrate_to(struct store *st, int version, char **cause);

/*
 * store_read_begin, store_read_end - a read transaction: every read in
 * between sees the same commit (SQLite WAL snapshot), so a reader never
 * sees half of a commit that lands meanwhile
 */
int store_read_begin(struct store *st, char **cause);
void store_read_end(struct store *st);

/*
 * store_set_readonly - from now on this handle cannot change the
 * configuration: config_set, config_delete, config_commit(_check) and
 * config_stage_rollback fail with "the ROLE role cannot change the
 * configuration" (role_name, e.g. "readonly"). A second guard behind the
 * shell's role table, for sessions whose role may only look. Reads,
 * config_clear and the accounts (store/users.h) are not affected. There
 * is no way back: a session keeps its role.
 */
void store_set_readonly(struct store *st, const char *role_name);

/* store_dump - every row of the persistent tables as text, for comparisons */
char *store_dump(struct store *st);

#endif
