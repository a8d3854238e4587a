/*
 * config.c - configuration items, the session candidate, commit, history
 * and rollback.
 *
 * The candidate is a TEMP table of the session's own connection, so it is
 * invisible to every other process and vanishes with the session. Each
 * staged row remembers base_rev, the running revision of the item when the
 * session first touched it (0: the item did not exist). Commit runs under
 * BEGIN IMMEDIATE, so two committers serialize on SQLite's write lock; the
 * second one re-checks every base_rev and refuses, naming the item, when
 * the first one changed it. Nothing is lost and nothing is half-applied.
 * A caller's check (config_commit_check) then reads the merged result in
 * the same transaction: the candidate rows equal the running ones by
 * then, so the session's overlay reads see exactly what would be
 * committed, and a refusal rolls everything back, keeping the candidate.
 *
 * Secret items (store/secret.h) are sealed here, as they are staged, and
 * opened here, as they are read: the candidate, the running items and
 * every copy SQLite makes of them hold only the encrypted form, and no
 * caller sees it. The history records SECRET_CHANGED instead of their
 * values, and the value each commit replaced in secret_history, which
 * only rollback reads; the pending list shows SECRET_CHANGED too.
 *
 * The tables config, commits, commit_changes and secret_history are named
 * unqualified on purpose: a session at a cluster or group level (issue
 * 15, store/cluster.c) lays TEMP views of those names over that level's
 * rows, so everything here reads, stages, lists history and stages
 * rollbacks at that level unchanged; commit is refused there (it goes to
 * etcd), and at the machine level of a machine in a cluster it marks the
 * machine items in the same transaction (cluster_commit_marks).
 *
 * DIAGNOSTICS: -1 with a malloc'd cause; a conflict is reported as
 * "<section> <key> was changed by <user> in commit N; ...". A secret
 * that cannot be decrypted is an error naming it and the key file's
 * trouble, never an empty value.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/config.h"
#include "store/secret.h"
#include "store/store_int.h"
#include "util/str.h"

/* A running item with the session's pending edits laid over it. */
static const char SQL_GET[] =
    "SELECT value, 1 FROM temp.candidate WHERE section = ?1 AND key = ?2 "
    "UNION ALL "
    "SELECT value, 0 FROM config WHERE section = ?1 AND key = ?2 "
    "ORDER BY 2 DESC LIMIT 1";

static const char SQL_GET_RUNNING[] =
    "SELECT value FROM config WHERE section = ?1 AND key = ?2";

static const char SQL_LIST[] =
    "SELECT key, value FROM ("
    "  SELECT key, value FROM temp.candidate WHERE section = ?1"
    "  UNION ALL"
    "  SELECT r.key, r.value FROM config r WHERE r.section = ?1 AND NOT EXISTS"
    "   (SELECT 1 FROM temp.candidate c WHERE c.section = r.section AND c.key = r.key)"
    ") WHERE value IS NOT NULL ORDER BY key";

static const char SQL_LIST_RUNNING[] =
    "SELECT key, value FROM config WHERE section = ?1 ORDER BY key";

/* reveal - *value as callers see it: a secret item's clear value; on error *value is NULL */
static int
reveal(struct store *st, const char *section, const char *key, char **value, char **cause)
{
	char *clear = NULL;
	int rc;

	if (*value == NULL || !secret_item(section, key))
		return 0;
	rc = secret_unseal(st, section, key, *value, &clear, cause);
	free(*value);
	*value = clear;
	return rc;
}

/* check_session - candidate operations need a session store */
static int
check_session(struct store *st, char **cause)
{
	if (st->mode != STORE_SESSION) {
		*cause = str_dup("this store handle has no candidate (opened read-only)");
		return -1;
	}
	return 0;
}

/* check_writable - a session made read-only (store_set_readonly) changes nothing */
static int
check_writable(struct store *st, char **cause)
{
	if (st->readonly_role != NULL) {
		*cause = str_printf("the %s role cannot change the configuration",
		    st->readonly_role);
		return -1;
	}
	return 0;
}

int
config_get(struct store *st, const char *section, const char *key, char **value, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*value = NULL;
	s = store_prepare(st, st->mode == STORE_SESSION ? SQL_GET : SQL_GET_RUNNING, cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, section);
	store_bind_text(s, 2, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*value = str_dup(store_col_text(s, 0));
	} else if (rc != SQLITE_DONE) {
		store_err(st, cause, "cannot read configuration");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return reveal(st, section, key, value, cause);
}

/* running_item - running value (malloc'd or NULL, as stored) and revision of an item */
static int
running_item(struct store *st, const char *section, const char *key, char **value,
    int64_t *rev, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*value = NULL;
	*rev = 0;
	s = store_prepare(st, "SELECT value, rev FROM config WHERE section = ?1 AND key = ?2",
	    cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, section);
	store_bind_text(s, 2, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*value = str_dup(store_col_text(s, 0));
		*rev = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(st, cause, "cannot read configuration");
	return 0;
}

int
config_get_running(struct store *st, const char *section, const char *key, char **value,
    char **cause)
{
	int64_t rev;

	if (running_item(st, section, key, value, &rev, cause) < 0)
		return -1;
	return reveal(st, section, key, value, cause);
}

int
config_has_running(struct store *st, const char *section, const char *key, char **cause)
{
	char *v;
	int64_t rev;
	int rc;

	if (running_item(st, section, key, &v, &rev, cause) < 0)
		return -1;
	rc = v != NULL;
	free(v);	/* as stored: a secret's is its encrypted form */
	return rc;
}

int
config_list(struct store *st, const char *section, config_item_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = store_prepare(st, st->mode == STORE_SESSION ? SQL_LIST : SQL_LIST_RUNNING, cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, section);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = store_col_text(s, 0);
		char *v = NULL;
		int stop;

		/* a secret item (a setting) is opened for the callback; the rest as stored */
		if (secret_item(section, key)) {
			v = str_dup(store_col_text(s, 1));
			if (reveal(st, section, key, &v, cause) < 0) {
				sqlite3_finalize(s);
				return -1;
			}
		}
		stop = cb(section, key, v ? v : store_col_text(s, 1), arg);
		secret_drop(v);
		if (stop != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot list configuration");
	return 0;
}

/* stage - record value (NULL: delete) for an item in the candidate */
static int
stage(struct store *st, const char *section, const char *key, const char *value, char **cause)
{
	sqlite3_stmt *s;
	char *running;
	int64_t rev, base_rev;
	int rc, have, same, was;
	long long before = sqlite3_total_changes64(st->db);

	if (check_session(st, cause) < 0)
		return -1;
	if (running_item(st, section, key, &running, &rev, cause) < 0)
		return -1;

	/* keep the base revision of the first edit */
	s = store_prepare(st,
	    "SELECT base_rev, value IS NOT NULL FROM temp.candidate WHERE section = ?1 AND key = ?2",
	    cause);
	if (s == NULL) {
		free(running);
		return -1;
	}
	store_bind_text(s, 1, section);
	store_bind_text(s, 2, key);
	have = sqlite3_step(s) == SQLITE_ROW;
	base_rev = have ? sqlite3_column_int64(s, 0) : rev;
	was = have ? sqlite3_column_int(s, 1) : running != NULL;	/* the item, as seen so far */
	sqlite3_finalize(s);

	/* an edit that returns the item to its running value is no change */
	same = (value == NULL && running == NULL) ||
	    (value != NULL && running != NULL && strcmp(value, running) == 0);
	/*
	 * two encryptions of one secret differ: compare the clear values
	 * (without the key when either is "": clearing a secret whose key
	 * is lost; see secret_same)
	 */
	if (!same && value != NULL && running != NULL && secret_item(section, key) &&
	    (same = secret_same(st, section, key, value, running, cause)) < 0) {
		free(running);
		return -1;
	}
	if (same) {
		free(running);
		if (base_rev != rev)
			goto keep;	/* it moved underneath: let commit report it */
		s = store_prepare(st, "DELETE FROM temp.candidate WHERE section = ?1 AND key = ?2",
		    cause);
		if (s == NULL)
			return -1;
		store_bind_text(s, 1, section);
		store_bind_text(s, 2, key);
		goto run;
	}
	free(running);
keep:
	s = store_prepare(st,
	    "INSERT INTO temp.candidate (section, key, value, base_rev) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (section, key) DO UPDATE SET value = excluded.value",
	    cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, section);
	store_bind_text(s, 2, key);
	store_bind_text(s, 3, value);
	sqlite3_bind_int64(s, 4, base_rev);
run:
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot stage change");
	/* keep config_count_atleast's count of this section true without a recount */
	if (st->count_section && strcmp(st->count_section, section) == 0 &&
	    st->count_changes == before) {
		st->count_n += (value != NULL) - was;
		st->count_changes = sqlite3_total_changes64(st->db);
	}
	return 0;
}

/* config_set - a secret item's value is sealed first: the candidate never holds it in clear */
int
config_set(struct store *st, const char *section, const char *key, const char *value,
    char **cause)
{
	char *sealed = NULL;
	int rc;

	if (check_writable(st, cause) < 0)
		return -1;
	if (!secret_item(section, key))
		return stage(st, section, key, value, cause);
	if (check_session(st, cause) < 0 ||
	    secret_seal(st, section, key, value, &sealed, cause) < 0)
		return -1;
	rc = stage(st, section, key, sealed, cause);
	free(sealed);
	return rc;
}

int
config_delete(struct store *st, const char *section, const char *key, char **cause)
{
	if (check_writable(st, cause) < 0)
		return -1;
	return stage(st, section, key, NULL, cause);
}

int
config_set_if(struct store *st, const char *section, const char *key, const char *value,
    char **cause)
{
	char *cur = NULL;
	int rc;

	if (config_get(st, section, key, &cur, cause) < 0)
		return -1;
	rc = cur && strcmp(cur, value) == 0 ? 0 : config_set(st, section, key, value, cause);
	secret_drop(cur);	/* the item may be a secret */
	return rc;
}

int
config_delete_if(struct store *st, const char *section, const char *key, char **cause)
{
	char *cur = NULL;

	if (config_get(st, section, key, &cur, cause) < 0)
		return -1;
	if (cur == NULL)
		return 1;
	secret_drop(cur);
	return config_delete(st, section, key, cause);
}

/*
 * The savepoint covers temp.candidate; it also holds a read snapshot of
 * config until config_end, so the reads inside a group agree.
 */
int
config_begin(struct store *st, char **cause)
{
	if (check_session(st, cause) < 0)
		return -1;
	return store_exec(st, "SAVEPOINT stage_group", cause);
}

int
config_end(struct store *st, int keep, char **cause)
{
	if (check_session(st, cause) < 0)
		return -1;
	/*
	 * The rollback undoes stage()'s edits, and with them its updates of
	 * config_count_atleast's count, but not total_changes, by which the
	 * count is known to be current: forget it.
	 */
	if (!keep) {
		free(st->count_section);
		st->count_section = NULL;
	}
	if (!keep && store_exec(st, "ROLLBACK TO stage_group", cause) < 0) {
		char *ignored = NULL;

		store_exec(st, "RELEASE stage_group", &ignored);
		free(ignored);
		return -1;
	}
	return store_exec(st, "RELEASE stage_group", cause);
}

int
config_pending(struct store *st)
{
	sqlite3_stmt *s;
	int n = -1;

	if (st->mode != STORE_SESSION)
		return 0;
	s = store_prepare(st, "SELECT count(*) FROM temp.candidate", NULL);
	if (s && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

int
config_pending_list(struct store *st, config_change_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (check_session(st, cause) < 0)
		return -1;
	s = store_prepare(st,
	    "SELECT c.section, c.key, r.value, c.value FROM temp.candidate c "
	    "LEFT JOIN config r ON r.section = c.section AND r.key = c.key "
	    "ORDER BY c.section, c.key",
	    cause);
	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *section = store_col_text(s, 0), *key = store_col_text(s, 1);
		const char *o = sqlite3_column_type(s, 2) == SQLITE_NULL ? NULL : store_col_text(s, 2);
		const char *n = sqlite3_column_type(s, 3) == SQLITE_NULL ? NULL : store_col_text(s, 3);

		/* a secret: that it changes, never a value, clear or encrypted */
		if (secret_item(section, key)) {
			o = o ? SECRET_CHANGED : NULL;
			n = n ? SECRET_CHANGED : NULL;
		}
		if (cb(section, key, o, n, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot list pending changes");
	return 0;
}

int
config_clear(struct store *st, char **cause)
{
	if (check_session(st, cause) < 0)
		return -1;
	return store_exec(st, "DELETE FROM temp.candidate", cause);
}

/* conflict_cause - describe who changed an item since the session read it */
static char *
conflict_cause(struct store *st, const char *section, const char *key, int64_t rev)
{
	struct config_commit c;
	char *err = NULL;

	if (rev > 0 && config_commit_get(st, rev, &c, &err) == 0)
		return str_printf("%s %s was changed by %s in commit %lld since you began "
				  "editing it; your changes are kept: review them with "
				  "showchanges, then clear and redo them",
		    section, key, c.user, (long long)rev);
	free(err);
	return str_printf("%s %s was changed by another session since you began editing it; "
			  "your changes are kept: review them with showchanges, then clear "
			  "and redo them",
	    section, key);
}

/* apply_candidate - inside the write transaction: check, record, apply */
static int
apply_candidate(struct store *st, int64_t id, char **cause)
{
	sqlite3_stmt *sel, *rec = NULL, *up = NULL, *del = NULL;
	int rc, ret = -1;

	sel = store_prepare(st,
	    "SELECT c.section, c.key, c.value, c.base_rev, r.value, ifnull(r.rev, 0) "
	    "FROM temp.candidate c LEFT JOIN config r "
	    "ON r.section = c.section AND r.key = c.key ORDER BY c.section, c.key",
	    cause);
	rec = store_prepare(st,
	    "INSERT INTO commit_changes (commit_id, section, key, old, new) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	    cause);
	up = store_prepare(st,
	    "INSERT INTO config (section, key, value, rev) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (section, key) DO UPDATE SET value = excluded.value, rev = excluded.rev",
	    cause);
	del = store_prepare(st, "DELETE FROM config WHERE section = ?1 AND key = ?2", cause);
	if (sel == NULL || rec == NULL || up == NULL || del == NULL)
		goto out;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		const char *section = store_col_text(sel, 0), *key = store_col_text(sel, 1);
		const char *newv = sqlite3_column_type(sel, 2) == SQLITE_NULL ? NULL :
		    store_col_text(sel, 2);
		const char *oldv = sqlite3_column_type(sel, 4) == SQLITE_NULL ? NULL :
		    store_col_text(sel, 4);
		int64_t base = sqlite3_column_int64(sel, 3), cur = sqlite3_column_int64(sel, 5);
		int secret = secret_item(section, key);

		if (base != cur) {
			*cause = conflict_cause(st, section, key, cur);
			goto out;
		}
		/* a secret's history: "changed"; the value replaced, encrypted, for rollback */
		sqlite3_reset(rec);
		sqlite3_bind_int64(rec, 1, id);
		store_bind_text(rec, 2, section);
		store_bind_text(rec, 3, key);
		store_bind_text(rec, 4, secret && oldv ? SECRET_CHANGED : oldv);
		store_bind_text(rec, 5, secret && newv ? SECRET_CHANGED : newv);
		if (sqlite3_step(rec) != SQLITE_DONE) {
			store_err(st, cause, "cannot record change");
			goto out;
		}
		if (secret && secret_record(st, id, section, key, oldv, cause) < 0)
			goto out;
		if (newv) {
			sqlite3_reset(up);
			store_bind_text(up, 1, section);
			store_bind_text(up, 2, key);
			store_bind_text(up, 3, newv);
			sqlite3_bind_int64(up, 4, id);
			rc = sqlite3_step(up);
		} else {
			sqlite3_reset(del);
			store_bind_text(del, 1, section);
			store_bind_text(del, 2, key);
			rc = sqlite3_step(del);
		}
		if (rc != SQLITE_DONE) {
			store_err(st, cause, "cannot apply change");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		store_err(st, cause, "cannot read candidate");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(rec);
	sqlite3_finalize(up);
	sqlite3_finalize(del);
	return ret;
}

int
config_commit(struct store *st, const char *user, const char *comment, int64_t *id,
    char **cause)
{
	return config_commit_check(st, user, comment, NULL, NULL, id, cause);
}

int
config_commit_check(struct store *st, const char *user, const char *comment,
    config_check_cb check, void *arg, int64_t *id, char **cause)
{
	sqlite3_stmt *s;
	int64_t cid;

	if (check_session(st, cause) < 0 || check_writable(st, cause) < 0)
		return -1;
	/* the views of a level are read-only: those commits go to etcd (mail/cluster.c) */
	if (st->level != NULL) {
		*cause = str_printf("a cluster or group commit goes to etcd, not to this "
				    "machine's store (level %s)", st->level);
		return -1;
	}
	if (store_exec(st, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	/*
	 * membership as of this transaction: another session may have joined
	 * or left since this one opened (a stale "not clustered" would leave
	 * machine items unmarked, for the next apply to overwrite; a stale
	 * "clustered" would mark items for a later join)
	 */
	if (cluster_open(st, cause) < 0)
		goto fail;
	s = store_prepare(st, "INSERT INTO commits (time, user, comment) VALUES (?1, ?2, ?3)",
	    cause);
	if (s == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)time(NULL));
	store_bind_text(s, 2, user);
	store_bind_text(s, 3, comment ? comment : "");
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlite3_finalize(s);
		store_err(st, cause, "cannot record commit");
		goto fail;
	}
	sqlite3_finalize(s);
	cid = sqlite3_last_insert_rowid(st->db);
	if (apply_candidate(st, cid, cause) < 0)
		goto fail;
	/* in a cluster: mark the machine items, put back the levels' values of deleted ones */
	if (st->clustered && cluster_commit_marks(st, cid, cause) < 0)
		goto fail;
	/* the rules on the merged result, with the write lock still held */
	if (check) {
		*cause = NULL;
		if (check(st, arg, cause) < 0) {
			if (*cause == NULL)
				*cause = str_dup("the configuration check refused the commit");
			goto fail;
		}
	}
	if (store_exec(st, "COMMIT", cause) < 0)
		goto fail;
	/* the candidate is now running; a failure here only leaves no-op rows */
	store_exec(st, "DELETE FROM temp.candidate", NULL);
	if (id)
		*id = cid;
	return 0;
fail:
	store_exec(st, "ROLLBACK", NULL);
	return -1;
}

/* fill_commit - read a commits row (id, time, user, comment, nchanges) */
static void
fill_commit(sqlite3_stmt *s, struct config_commit *c)
{
	c->id = sqlite3_column_int64(s, 0);
	c->when = (time_t)sqlite3_column_int64(s, 1);
	str_copy(c->user, store_col_text(s, 2), sizeof(c->user));
	str_copy(c->comment, store_col_text(s, 3), sizeof(c->comment));
	c->nchanges = sqlite3_column_int(s, 4);
}

#define SQL_COMMIT_COLS \
	"SELECT id, time, user, comment, " \
	"(SELECT count(*) FROM commit_changes WHERE commit_id = id) FROM commits "

int
config_history(struct store *st, int limit, config_commit_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s;
	struct config_commit c;
	int rc;

	s = store_prepare(st, SQL_COMMIT_COLS "ORDER BY id DESC LIMIT ?1", cause);
	if (s == NULL)
		return -1;
	sqlite3_bind_int(s, 1, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		fill_commit(s, &c);
		if (cb(&c, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot read commit history");
	return 0;
}

int
config_commit_get(struct store *st, int64_t id, struct config_commit *c, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = store_prepare(st, SQL_COMMIT_COLS "WHERE id = ?1", cause);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		fill_commit(s, c);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	return store_err(st, cause, "cannot read commit");
}

int
config_commit_changes(struct store *st, int64_t id, config_change_cb cb, void *arg,
    char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = store_prepare(st,
	    "SELECT section, key, old, new FROM commit_changes WHERE commit_id = ?1 "
	    "ORDER BY section, key",
	    cause);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *o = sqlite3_column_type(s, 2) == SQLITE_NULL ? NULL : store_col_text(s, 2);
		const char *n = sqlite3_column_type(s, 3) == SQLITE_NULL ? NULL : store_col_text(s, 3);

		if (cb(store_col_text(s, 0), store_col_text(s, 1), o, n, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot read commit changes");
	return 0;
}

int
config_stage_rollback(struct store *st, int64_t id, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (check_session(st, cause) < 0 || check_writable(st, cause) < 0)
		return -1;
	/*
	 * The state after commit id: every item touched later goes back to
	 * the old value of the first later change to it. A secret's is in
	 * secret_history, as it was stored (encrypted), and is staged so.
	 */
	s = store_prepare(st,
	    "SELECT section, key, old, commit_id FROM commit_changes c WHERE commit_id > ?1 AND "
	    "commit_id = (SELECT min(commit_id) FROM commit_changes d "
	    "WHERE d.section = c.section AND d.key = c.key AND d.commit_id > ?1) "
	    "ORDER BY section, key",
	    cause);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *section = str_dup(store_col_text(s, 0)), *key = str_dup(store_col_text(s, 1));
		char *old = sqlite3_column_type(s, 2) == SQLITE_NULL ? NULL :
		    str_dup(store_col_text(s, 2));
		int64_t later = sqlite3_column_int64(s, 3);
		int r = 0;

		if (secret_item(section, key)) {
			free(old);
			r = secret_before(st, later, section, key, &old, cause);
			if (r == 1) {
				*cause = str_printf("%s %s cannot be restored: the value it had "
						    "before commit %lld is not kept",
				    section, key, (long long)later);
				r = -1;
			}
			/* one sealed under a key since lost or replaced is refused now, named */
			if (r == 0 && old != NULL && *old != '\0') {
				char *clear = NULL, *why = NULL;

				if (secret_unseal(st, section, key, old, &clear, &why) < 0) {
					*cause = str_printf("%s %s cannot be restored: %s", section,
					    key, why);
					free(why);
					r = -1;
				}
				secret_drop(clear);
			}
		}
		if (r == 0)
			r = stage(st, section, key, old, cause);

		free(section);
		free(key);
		free(old);
		if (r < 0) {
			sqlite3_finalize(s);
			return -1;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot read commit history");
	return 0;
}

int64_t
config_version(struct store *st)
{
	sqlite3_stmt *s = store_prepare(st, "SELECT ifnull(max(id), 0) FROM commits", NULL);
	int64_t v = -1;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * The items of a section as the session sees them, counted without
 * reading them: running items, plus the candidate's additions, less its
 * deletions of running items. The count is a join over the candidate, so
 * it is kept (count_*) while neither this session (total changes) nor
 * another (data_version) has written, and stage() keeps it true: a script
 * staging thousands of items does not count once a line (issue 9: staging
 * was quadratic).
 */
static const char SQL_COUNT[] =
    "SELECT (SELECT count(*) FROM config WHERE section = ?1)"
    " + (SELECT count(*) FROM temp.candidate c WHERE c.section = ?1 AND c.value IS NOT NULL"
    "    AND NOT EXISTS (SELECT 1 FROM config r WHERE r.section = c.section"
    "                    AND r.key = c.key))"
    " - (SELECT count(*) FROM temp.candidate c WHERE c.section = ?1 AND c.value IS NULL"
    "    AND EXISTS (SELECT 1 FROM config r WHERE r.section = c.section"
    "                AND r.key = c.key))";

/* count - one number from a query with the section as ?1 (if it has one) */
static int
count(struct store *st, const char *sql, const char *section, long long *n, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = store_prepare(st, sql, cause);
	if (s == NULL)
		return -1;
	if (sqlite3_bind_parameter_count(s) > 0)
		store_bind_text(s, 1, section);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_err(st, cause, "cannot count configuration items");
	return 0;
}

int
config_count_atleast(struct store *st, const char *section, long long limit, int *reached,
    char **cause)
{
	long long n = 0, changes, version = -1;

	*reached = 0;
	if (st->mode != STORE_SESSION) {
		if (count(st, "SELECT count(*) FROM config WHERE section = ?1", section, &n,
			cause) < 0)
			return -1;
		*reached = n >= limit;
		return 0;
	}
	changes = sqlite3_total_changes64(st->db);
	if (count(st, "PRAGMA data_version", section, &version, cause) < 0)
		return -1;
	if (st->count_section && strcmp(st->count_section, section) == 0 &&
	    st->count_changes == changes && st->count_version == version) {
		n = st->count_n;
	} else {
		if (count(st, SQL_COUNT, section, &n, cause) < 0)
			return -1;
		free(st->count_section);
		st->count_section = str_dup(section);
		st->count_n = n;
		st->count_changes = changes;
		st->count_version = version;
	}
	*reached = n >= limit;
	return 0;
}
