/*
 * cfgio.c - the whole running configuration at once (store/cfgio.h).
 *
 * Reading takes one read transaction, so a file never holds half of a
 * commit that lands meanwhile, and opens each secret (store/secret.c) as
 * config_list does. Staging goes through config_set and settings_set, so
 * secrets are sealed and settings checked exactly as the commands do, in
 * one config_begin/config_end group.
 *
 * A file saved at an older schema gets the migrations of store/db.c,
 * replayed over its items in a private in-memory database: a migration
 * that renames or rewrites items does so for a file as it did for the
 * config.db the file was saved from. Secrets stay out of that database
 * (SQLite's pages and heap are freed without being cleansed): a
 * stand-in naming the item's index goes in, the value comes back.
 *
 * DIAGNOSTICS: see cfgio.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/cfgio.h"
#include "store/config.h"
#include "store/secret.h"
#include "store/settings.h"
#include "store/store_int.h"
#include "util/str.h"

int
cfgio_running(struct store *st, enum cfgio_secrets how, cfgio_item_cb cb, void *arg,
    int64_t *commit, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;

	if (store_read_begin(st, cause) < 0)
		return -1;
	if (commit) {
		s = store_prepare(st, "SELECT ifnull(max(id), 0) FROM main.commits", cause);
		if (s == NULL)
			goto out;
		if (sqlite3_step(s) != SQLITE_ROW) {
			store_err(st, cause, "cannot read the commit number");
			goto out;
		}
		*commit = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	s = store_prepare(st, "SELECT section, key, value FROM main.config ORDER BY section, key",
	    cause);
	if (s == NULL)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *section = store_col_text(s, 0), *key = store_col_text(s, 1);
		const char *value = store_col_text(s, 2);
		int secret = secret_item(section, key), stop;
		char *clear = NULL;

		if (secret && how == CFGIO_SEALED)
			value = value[0] ? SETTINGS_MASK : "";
		else if (secret && secret_unseal(st, section, key, value, &clear, cause) < 0)
			goto out;
		stop = cb(section, key, clear ? clear : value, secret, arg);
		secret_drop(clear);
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		store_err(st, cause, "cannot read the configuration");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	store_read_end(st);
	return ret;
}

/* item_cmp - order of cfgio_item by (section, key) */
static int
item_cmp(const void *a, const void *b)
{
	const struct cfgio_item *x = a, *y = b;
	int r = strcmp(x->section, y->section);

	return r ? r : strcmp(x->key, y->key);
}

/*
 * The stand-in that goes into the in-memory database for the secret of
 * items[N]: "\001" (no setting holds a control character), a token drawn
 * for this call (a file's own value cannot forge it), '-', then N.
 */
struct standin {
	char prefix[48];	/* "\001" + token + "-" */
	size_t len;		/* of prefix */
};

/* standin_index - N of a stand-in value (in the range of n), or -1 */
static long
standin_index(const struct standin *p, const char *value, size_t n)
{
	long v;

	if (strncmp(value, p->prefix, p->len) != 0 ||
	    str_to_long(value + p->len, 0, (long)n - 1, &v) < 0)
		return -1;
	return v;
}

/* current - items at this build's schema: in order through cb, nothing copied */
static int
current(const struct cfgio_item *items, size_t n, cfgio_item_cb cb, void *arg)
{
	struct cfgio_item *sorted = xcalloc(n + 1, sizeof(*sorted));

	memcpy(sorted, items, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), item_cmp);
	for (size_t i = 0; i < n; i++)
		if (cb(sorted[i].section, sorted[i].key, sorted[i].value,
		    secret_item(sorted[i].section, sorted[i].key), arg))
			break;
	free(sorted);
	return 0;
}

int
cfgio_migrate(int schema, const struct cfgio_item *items, size_t n, cfgio_item_cb cb,
    void *arg, char **cause)
{
	struct store m = { 0 };
	struct standin ph = { 0 };
	unsigned char token[16];
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;

	if (schema < 1 || schema > STORE_SCHEMA_VERSION) {
		*cause = str_printf("configuration schema %d is not one this mxgate knows (1 to %d)",
		    schema, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (schema == STORE_SCHEMA_VERSION)
		return current(items, n, cb, arg);
	m.dir = str_dup("(the file)");
	m.mode = STORE_RUNNING;
	if (sqlite3_open_v2(":memory:", &m.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL) != SQLITE_OK) {
		*cause = str_dup("cannot open an in-memory database to migrate the file");
		goto out;
	}
	if (store_migrate_to(&m, schema, cause) < 0)
		goto out;
	sqlite3_randomness(sizeof(token), token);
	ph.prefix[0] = '\001';
	for (size_t i = 0; i < sizeof(token); i++)
		snprintf(ph.prefix + 1 + 2 * i, 3, "%02x", token[i]);
	ph.prefix[1 + 2 * sizeof(token)] = '-';
	ph.len = 2 + 2 * sizeof(token);
	s = store_prepare(&m, "INSERT INTO config (section, key, value, rev) VALUES (?1, ?2, ?3, 0)",
	    cause);
	if (s == NULL || store_exec(&m, "BEGIN", cause) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char held[sizeof(ph.prefix) + 24];

		sqlite3_reset(s);
		store_bind_text(s, 1, items[i].section);
		store_bind_text(s, 2, items[i].key);
		if (secret_item(items[i].section, items[i].key)) {
			snprintf(held, sizeof(held), "%s%zu", ph.prefix, i);
			store_bind_text(s, 3, held);
		} else {
			store_bind_text(s, 3, items[i].value);
		}
		if (sqlite3_step(s) != SQLITE_DONE) {
			store_err(&m, cause, "cannot migrate the file's items");
			store_exec(&m, "ROLLBACK", NULL);
			goto out;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	if (store_exec(&m, "COMMIT", cause) < 0 ||
	    store_migrate_to(&m, STORE_SCHEMA_VERSION, cause) < 0)
		goto out;
	s = store_prepare(&m, "SELECT section, key, value FROM config ORDER BY section, key",
	    cause);
	if (s == NULL)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *section = store_col_text(s, 0), *key = store_col_text(s, 1);
		const char *value = store_col_text(s, 2);
		long ix = standin_index(&ph, value, n);

		/* a secret's own value, wherever a migration moved its item */
		if (ix >= 0)
			value = items[ix].value;
		if (cb(section, key, value, secret_item(section, key), arg)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		store_err(&m, cause, "cannot read the migrated items");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	if (m.db)
		sqlite3_close(m.db);
	free(m.dir);
	return ret;
}

/* The running items that a staging deletes. */
struct doomed {
	const struct cfgio_item *sorted;	/* the items kept, sorted; NULL: none kept */
	size_t n;				/* how many */
	char **sections, **keys;		/* the items to delete */
	size_t ndel, cap;
};

/* collect - cfgio_item_cb: note a running item that is not among the kept ones */
static int
collect(const char *section, const char *key, const char *value, int secret, void *arg)
{
	struct doomed *d = arg;
	struct cfgio_item k = { section, key, NULL };

	if (d->sorted && bsearch(&k, d->sorted, d->n, sizeof(k), item_cmp) != NULL)
		return 0;
	if (d->ndel == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->sections = xrealloc(d->sections, d->cap * sizeof(char *));
		d->keys = xrealloc(d->keys, d->cap * sizeof(char *));
	}
	d->sections[d->ndel] = str_dup(section);
	d->keys[d->ndel++] = str_dup(key);
	return 0;
}

/* doomed_free - the list collect made */
static void
doomed_free(struct doomed *d)
{
	for (size_t i = 0; i < d->ndel; i++) {
		free(d->sections[i]);
		free(d->keys[i]);
	}
	free(d->sections);
	free(d->keys);
}

/* running_keys - which running items are not in d->sorted (no secret opened) */
static int
running_keys(struct store *st, struct doomed *d, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = store_prepare(st, "SELECT section, key FROM main.config ORDER BY section, key", cause);
	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		collect(store_col_text(s, 0), store_col_text(s, 1), NULL, 0, d);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot read the configuration");
	return 0;
}

/* stage_all - the group's body: deletions, then the items */
static int
stage_all(struct store *st, const struct cfgio_item *items, size_t n, struct doomed *d,
    long *bad, char **cause)
{
	for (size_t i = 0; i < d->ndel; i++)
		if (config_delete(st, d->sections[i], d->keys[i], cause) < 0)
			return -1;
	for (size_t i = 0; i < n; i++) {
		const struct cfgio_item *it = &items[i];
		int rc;

		/*
		 * the mask showconfig and saveconfig print stands for a value they
		 * did not show: taken as a value it would replace the real secret
		 */
		if (secret_item(it->section, it->key) && strcmp(it->value, SETTINGS_MASK) == 0) {
			if (bad)
				*bad = (long)i;
			*cause = str_printf("a secret cannot be \"%s\"", SETTINGS_MASK);
			return -1;
		}
		/* a setting is checked against its declaration, as the commands check it */
		if (strcmp(it->section, SETTINGS_SECTION) == 0)
			rc = settings_set(st, it->key, it->value, cause);
		else
			rc = config_set(st, it->section, it->key, it->value, cause);
		if (rc < 0) {
			if (bad)
				*bad = (long)i;
			return -1;
		}
	}
	return 0;
}

int
cfgio_stage(struct store *st, const struct cfgio_item *items, size_t n,
    config_check_cb check, void *arg, long *bad, char **cause)
{
	struct doomed d = { 0 };
	struct cfgio_item *sorted = NULL;
	int pending = config_pending(st), ret = -1;

	if (bad)
		*bad = -1;
	if (pending != 0) {
		*cause = pending < 0 ? str_dup("cannot read the pending changes") :
		    str_printf("%d change%s pending: commit or clear them first", pending,
			pending == 1 ? " is" : "s are");
		return -1;
	}
	if (n > 0) {
		sorted = xcalloc(n, sizeof(*sorted));
		memcpy(sorted, items, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), item_cmp);
		for (size_t i = 1; i < n; i++)
			if (item_cmp(&sorted[i - 1], &sorted[i]) == 0) {
				*cause = str_printf("%s %s is given twice", sorted[i].section,
				    sorted[i].key);
				free(sorted);
				return -1;
			}
	}
	d.sorted = sorted;
	d.n = n;
	if (config_begin(st, cause) < 0)
		goto out;
	if (running_keys(st, &d, cause) < 0 || stage_all(st, items, n, &d, bad, cause) < 0 ||
	    (check && check(st, arg, cause) < 0)) {
		char *ignored = NULL;

		config_end(st, 0, &ignored);
		free(ignored);
		goto out;
	}
	if (config_end(st, 1, cause) < 0)
		goto out;
	ret = 0;
out:
	doomed_free(&d);
	free(sorted);
	return ret;
}

int
cfgio_stage_reset(struct store *st, char **cause)
{
	return cfgio_stage(st, NULL, 0, NULL, NULL, NULL, cause);
}
