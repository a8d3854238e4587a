/*
 * cluster.c - what config.db keeps of a cluster (issue 15): the
 * membership, the cluster and group levels mirrored from etcd, the
 * machine items, the session's level views, and the recomputation of
 * main.config (the effective configuration) as the levels change.
 *
 * Values in lvl_config are stored as main.config stores them: a secret
 * sealed with this machine's secret.key under the same (section, key),
 * so a level's value is copied into main.config as it is, and the
 * session views let store/config.c open it unchanged.
 *
 * Every write to the levels and main.config here runs with the session's
 * views laid off (views_off / views_on), so that the unqualified names of
 * store/config.c and store/secret.c (secret_record) mean the machine's own
 * tables meanwhile: the daemon's handle has no views, the shell's may.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause; never a clear secret.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "store/cluster.h"
#include "store/secret.h"
#include "store/settings.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/str.h"

/* The section the listeners are kept in (mail/listener.h LISTENER_SECTION; store/ may not include mail/). */
#define LOCAL_LISTENER_SECTION "listener"

/* ------------------------------------------------------------ helpers */

/* An item name, collected before writing the table it was read from. */
struct itemref {
	char *section, *key;
};

struct itemlist {
	struct itemref *v;
	int n, cap;
};

static void
items_add(struct itemlist *l, const char *section, const char *key)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = xrealloc(l->v, (size_t)l->cap * sizeof(*l->v));
	}
	l->v[l->n].section = str_dup(section);
	l->v[l->n].key = str_dup(key);
	l->n++;
}

static void
items_free(struct itemlist *l)
{
	for (int i = 0; i < l->n; i++) {
		free(l->v[i].section);
		free(l->v[i].key);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* col_dup - column i as a malloc'd string, NULL for SQL NULL */
static char *
col_dup(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NULL : str_dup(store_col_text(s, i));
}

/* exec1 - prepare, bind up to 4 texts (NULL binds NULL; n of them), step once */
static int
exec_texts(struct store *st, const char *sql, int n, const char *a, const char *b,
    const char *c, const char *d, char **cause)
{
	const char *v[4] = { a, b, c, d };
	sqlite3_stmt *s = store_prepare(st, sql, cause);
	int rc;

	if (s == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		store_bind_text(s, i + 1, v[i]);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_err(st, cause, "cannot update the cluster tables");
	return 0;
}

/* group_level - "group:NAME" for group (bare or "group:NAME"); NULL for none */
static char *
group_level(const char *group)
{
	if (group == NULL || *group == '\0')
		return NULL;
	if (strncmp(group, "group:", 6) == 0)
		return str_dup(group);
	return str_printf("group:%s", group);
}

/* level_ok - "cluster" or "group:NAME" with a valid name */
static int
level_ok(const char *level)
{
	if (level == NULL)
		return 0;
	if (strcmp(level, "cluster") == 0)
		return 1;
	return strncmp(level, "group:", 6) == 0 && cluster_name_ok(level + 6);
}

int
cluster_name_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n < 1 || n >= CLUSTER_NAME_MAX)
		return 0;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return 0;
	return 1;
}

/* -------------------------------------------------------------- views */

static const char SQL_VIEWS_ON[] =
    "CREATE TEMP TABLE IF NOT EXISTS cur_level (level TEXT NOT NULL);"
    "CREATE TEMP VIEW IF NOT EXISTS config AS SELECT section, key, value, rev "
    " FROM main.lvl_config WHERE level = (SELECT level FROM temp.cur_level);"
    "CREATE TEMP VIEW IF NOT EXISTS commits AS SELECT id, time, user, comment "
    " FROM main.lvl_commits WHERE level = (SELECT level FROM temp.cur_level);"
    "CREATE TEMP VIEW IF NOT EXISTS commit_changes AS SELECT commit_id, section, key, old, new "
    " FROM main.lvl_commit_changes WHERE level = (SELECT level FROM temp.cur_level);"
    "CREATE TEMP VIEW IF NOT EXISTS secret_history AS SELECT commit_id, section, key, old "
    " FROM main.lvl_secret_history WHERE level = (SELECT level FROM temp.cur_level);";

static const char SQL_VIEWS_OFF[] =
    "DROP VIEW IF EXISTS temp.config;"
    "DROP VIEW IF EXISTS temp.commits;"
    "DROP VIEW IF EXISTS temp.commit_changes;"
    "DROP VIEW IF EXISTS temp.secret_history;";

/* forget_count - config_count_atleast's cached count meant the other level */
static void
forget_count(struct store *st)
{
	free(st->count_section);
	st->count_section = NULL;
}

/* views_set - lay the views of level over the session (NULL: drop them) */
static int
views_set(struct store *st, const char *level, char **cause)
{
	forget_count(st);
	if (level == NULL)
		return store_exec(st, SQL_VIEWS_OFF, cause);
	if (store_exec(st, SQL_VIEWS_ON, cause) < 0 ||
	    store_exec(st, "DELETE FROM temp.cur_level", cause) < 0)
		return -1;
	return exec_texts(st, "INSERT INTO temp.cur_level (level) VALUES (?1)", 1, level, NULL,
	    NULL, NULL, cause);
}

/* views_off - drop the views for a write; st->level stays for views_on */
static int
views_off(struct store *st, char **cause)
{
	if (st->level == NULL)
		return 0;
	return views_set(st, NULL, cause);
}

/* views_on - put back the views of st->level */
static void
views_on(struct store *st)
{
	char *ignored = NULL;

	if (st->level != NULL && views_set(st, st->level, &ignored) < 0) {
		/* the session cannot stay half-way: it falls back to the machine level */
		free(ignored);
		ignored = NULL;
		views_set(st, NULL, &ignored);
		free(st->level);
		st->level = NULL;
	}
	free(ignored);
}

/* read_clustered - st->clustered from cluster_member */
static int
read_clustered(struct store *st, char **cause)
{
	sqlite3_stmt *s = store_prepare(st, "SELECT count(*) FROM main.cluster_member", cause);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		st->clustered = sqlite3_column_int(s, 0) > 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_err(st, cause, "cannot read the cluster membership");
	return 0;
}

/* cluster_open - see store_int.h */
int
cluster_open(struct store *st, char **cause)
{
	return read_clustered(st, cause);
}

int
cluster_session_level(struct store *st, const char *level, char **cause)
{
	int n;

	/* a candidate staged at one level must not be committed at another */
	if (strcmp(cluster_session_current(st), level ? level : "machine") != 0 &&
	    (n = config_pending(st)) != 0) {
		*cause = str_dup(n < 0 ? "cannot count the pending changes" :
		    "Please commit or clear your pending changes before changing mode.");
		return -1;
	}
	if (level == NULL || strcmp(level, "machine") == 0) {
		if (views_set(st, NULL, cause) < 0)
			return -1;
		free(st->level);
		st->level = NULL;
		return read_clustered(st, cause);
	}
	if (!level_ok(level)) {
		*cause = str_printf("%.80s is not a level (cluster, group:NAME or machine)", level);
		return -1;
	}
	if (read_clustered(st, cause) < 0)
		return -1;
	if (!st->clustered) {
		*cause = str_dup("This machine is not in a cluster.");
		return -1;
	}
	if (views_set(st, level, cause) < 0) {
		char *ignored = NULL;

		views_set(st, NULL, &ignored);
		free(ignored);
		free(st->level);
		st->level = NULL;
		return -1;
	}
	free(st->level);
	st->level = str_dup(level);
	return 0;
}

const char *
cluster_session_current(const struct store *st)
{
	return st->level ? st->level : "machine";
}

/* --------------------------------------------------------- membership */

/* b64 - base64 of n bytes (malloc'd) */
static char *
b64(const unsigned char *p, int n)
{
	char *out = xmalloc((size_t)(4 * ((n + 2) / 3) + 1));

	EVP_EncodeBlock((unsigned char *)out, p, n);
	return out;
}

int
cluster_member_get(struct store *st, struct cluster_member *m, char **cause)
{
	sqlite3_stmt *s;
	char *keyb64 = NULL, *why = NULL;
	unsigned char raw[CLUSTER_KEY_LEN + 3];
	int rc, n, ret = -1;

	memset(m, 0, sizeof(*m));
	s = store_prepare(st,
	    "SELECT cluster, machine, grp, endpoints, ca_pem, cert_pem, key_pem, ckey, joined "
	    "FROM main.cluster_member WHERE id = 1",
	    cause);
	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(s);
		return 1;
	}
	if (rc != SQLITE_ROW) {
		store_err(st, cause, "cannot read the cluster membership");
		sqlite3_finalize(s);
		return -1;
	}
	str_copy(m->cluster, store_col_text(s, 0), sizeof(m->cluster));
	str_copy(m->machine, store_col_text(s, 1), sizeof(m->machine));
	str_copy(m->group, store_col_text(s, 2), sizeof(m->group));
	str_copy(m->endpoints, store_col_text(s, 3), sizeof(m->endpoints));
	m->ca_pem = str_dup(store_col_text(s, 4));
	m->cert_pem = str_dup(store_col_text(s, 5));
	m->joined = (time_t)sqlite3_column_int64(s, 8);
	if (secret_unseal(st, "cluster", "tls_key", store_col_text(s, 6), &m->key_pem, &why) < 0) {
		*cause = str_printf("cannot open the cluster's TLS key: %s", why);
		goto out;
	}
	if (secret_unseal(st, "cluster", "key", store_col_text(s, 7), &keyb64, &why) < 0) {
		*cause = str_printf("cannot open the cluster key: %s", why);
		goto out;
	}
	if (strlen(keyb64) != 4 * ((CLUSTER_KEY_LEN + 2) / 3) ||
	    (n = EVP_DecodeBlock(raw, (const unsigned char *)keyb64, (int)strlen(keyb64))) < 0 ||
	    n - (keyb64[strlen(keyb64) - 1] == '=') - (keyb64[strlen(keyb64) - 2] == '=') !=
	    CLUSTER_KEY_LEN) {
		*cause = str_dup("the cluster key kept in config.db is damaged");
		goto out;
	}
	memcpy(m->key, raw, CLUSTER_KEY_LEN);
	ret = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	secret_drop(keyb64);
	free(why);
	sqlite3_finalize(s);
	if (ret < 0)
		cluster_member_free(m);
	return ret;
}

int
cluster_member_set(struct store *st, const struct cluster_member *m, char **cause)
{
	sqlite3_stmt *s;
	char *key_sealed = NULL, *ckey_sealed = NULL, *keyb64;
	int rc;

	if (!cluster_name_ok(m->cluster) || !cluster_name_ok(m->machine) ||
	    (m->group[0] != '\0' && !cluster_name_ok(m->group))) {
		*cause = str_dup("cluster, machine and group names are 1 to 63 letters, digits, "
				 "'.', '_' or '-'");
		return -1;
	}
	keyb64 = b64(m->key, CLUSTER_KEY_LEN);
	rc = secret_seal(st, "cluster", "tls_key", m->key_pem ? m->key_pem : "", &key_sealed,
	    cause);
	if (rc == 0)
		rc = secret_seal(st, "cluster", "key", keyb64, &ckey_sealed, cause);
	secret_drop(keyb64);
	if (rc < 0) {
		free(key_sealed);
		return -1;
	}
	s = store_prepare(st,
	    "INSERT OR REPLACE INTO main.cluster_member (id, cluster, machine, grp, endpoints, "
	    "ca_pem, cert_pem, key_pem, ckey, joined) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	    cause);
	if (s != NULL) {
		store_bind_text(s, 1, m->cluster);
		store_bind_text(s, 2, m->machine);
		store_bind_text(s, 3, m->group);
		store_bind_text(s, 4, m->endpoints);
		store_bind_text(s, 5, m->ca_pem ? m->ca_pem : "");
		store_bind_text(s, 6, m->cert_pem ? m->cert_pem : "");
		store_bind_text(s, 7, key_sealed);
		store_bind_text(s, 8, ckey_sealed);
		sqlite3_bind_int64(s, 9, (sqlite3_int64)(m->joined ? m->joined : time(NULL)));
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_err(st, cause,
		    "cannot record the cluster membership");
		sqlite3_finalize(s);
	} else {
		rc = -1;
	}
	free(key_sealed);
	free(ckey_sealed);
	if (rc == 0)
		st->clustered = 1;
	return rc;
}

void
cluster_member_free(struct cluster_member *m)
{
	if (m == NULL)
		return;
	secret_drop(m->key_pem);
	free(m->ca_pem);
	free(m->cert_pem);
	m->key_pem = m->ca_pem = m->cert_pem = NULL;
	OPENSSL_cleanse(m->key, sizeof(m->key));
}

int
cluster_leave(struct store *st, char **cause)
{
	if (views_set(st, NULL, cause) < 0)
		return -1;
	free(st->level);
	st->level = NULL;
	if (store_exec(st, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	if (store_exec(st,
		"DELETE FROM main.cluster_member;"
		"DELETE FROM main.cluster_state;"
		"DELETE FROM main.cluster_machine_items;"
		"DELETE FROM main.lvl_config;"
		"DELETE FROM main.lvl_commits;"
		"DELETE FROM main.lvl_commit_changes;"
		"DELETE FROM main.lvl_secret_history;"
		"COMMIT",
		cause) < 0) {
		store_exec(st, "ROLLBACK", NULL);
		return -1;
	}
	st->clustered = 0;
	return 0;
}

/* member_group - this machine's group level ("group:NAME", malloc'd) or NULL */
static char *
member_group(struct store *st)
{
	sqlite3_stmt *s = store_prepare(st, "SELECT grp FROM main.cluster_member WHERE id = 1",
	    NULL);
	char *g = NULL;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		g = group_level(store_col_text(s, 0));
	sqlite3_finalize(s);
	return g;
}

/* ------------------------------------------------------------- state */

char *
cluster_state_get(struct store *st, const char *name)
{
	sqlite3_stmt *s = store_prepare(st, "SELECT value FROM main.cluster_state WHERE name = ?1",
	    NULL);
	char *v = NULL;

	if (s == NULL)
		return NULL;
	store_bind_text(s, 1, name);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = str_dup(store_col_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

int
cluster_state_set(struct store *st, const char *name, const char *value, char **cause)
{
	if (value == NULL)
		return exec_texts(st, "DELETE FROM main.cluster_state WHERE name = ?1", 1, name,
		    NULL, NULL, NULL, cause);
	return exec_texts(st,
	    "INSERT INTO main.cluster_state (name, value) VALUES (?1, ?2) "
	    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
	    2, name, value, NULL, NULL, cause);
}

int64_t
cluster_applied_rev(struct store *st)
{
	sqlite3_stmt *s = store_prepare(st,
	    "SELECT value FROM main.cluster_state WHERE name = 'applied_rev'", NULL);
	int64_t v = -1;
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		v = strtoll(store_col_text(s, 0), NULL, 10);
	else if (rc == SQLITE_DONE)
		v = 0;
	sqlite3_finalize(s);
	return v;
}

/* set_applied - inside a transaction: the applied revision */
static int
set_applied(struct store *st, int64_t rev, char **cause)
{
	char buf[32];

	str_fmt(buf, sizeof(buf), "%lld", (long long)rev);
	return cluster_state_set(st, "applied_rev", buf, cause);
}

/* ---------------------------------------------------- effective values */

/* level_value - the stored value the group's level, else the cluster, gives an item (NULL: none) */
static int
level_value(struct store *st, const char *glevel, const char *section, const char *key,
    char **value, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*value = NULL;
	s = store_prepare(st,
	    "SELECT value FROM main.lvl_config WHERE section = ?1 AND key = ?2 AND "
	    "(level = 'cluster' OR level = ?3) ORDER BY level = 'cluster' LIMIT 1",
	    cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, section);
	store_bind_text(s, 2, key);
	store_bind_text(s, 3, glevel ? glevel : "");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value = str_dup(store_col_text(s, 0));
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(st, cause, "cannot read the cluster levels");
	return 0;
}

/* main_value - main.config's stored value of an item (NULL: none) */
static int
main_value(struct store *st, const char *section, const char *key, char **value, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*value = NULL;
	s = store_prepare(st, "SELECT value FROM main.config WHERE section = ?1 AND key = ?2",
	    cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, section);
	store_bind_text(s, 2, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value = str_dup(store_col_text(s, 0));
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(st, cause, "cannot read configuration");
	return 0;
}

int
cluster_is_machine_item(struct store *st, const char *section, const char *key)
{
	sqlite3_stmt *s = store_prepare(st,
	    "SELECT 1 FROM main.cluster_machine_items WHERE section = ?1 AND key = ?2", NULL);
	int rc;

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, section);
	store_bind_text(s, 2, key);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

/* main_put - main.config's item becomes value (NULL: deleted), as of commit id */
static int
main_put(struct store *st, int64_t id, const char *section, const char *key, const char *value,
    char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (value == NULL)
		return exec_texts(st, "DELETE FROM main.config WHERE section = ?1 AND key = ?2", 2,
		    section, key, NULL, NULL, cause);
	s = store_prepare(st,
	    "INSERT INTO main.config (section, key, value, rev) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (section, key) DO UPDATE SET value = excluded.value, rev = excluded.rev",
	    cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, section);
	store_bind_text(s, 2, key);
	store_bind_text(s, 3, value);
	sqlite3_bind_int64(s, 4, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot apply change");
	return 0;
}

/* A main commit made by the recomputation, begun at its first change. */
struct main_commit {
	const char *user;
	char *comment;
	int64_t id;		/* 0: not yet */
};

/* commit_start - the main.commits row, once */
static int
commit_start(struct store *st, struct main_commit *mc, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (mc->id != 0)
		return 0;
	s = store_prepare(st, "INSERT INTO main.commits (time, user, comment) VALUES (?1, ?2, ?3)",
	    cause);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)time(NULL));
	store_bind_text(s, 2, mc->user && *mc->user ? mc->user : "cluster");
	store_bind_text(s, 3, mc->comment ? mc->comment : "");
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot record commit");
	mc->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* record_change - main.commit_changes (and secret_history) for one item of commit id */
static int
record_change(struct store *st, int64_t id, const char *section, const char *key,
    const char *oldv, const char *newv, char **cause)
{
	sqlite3_stmt *s;
	int secret = secret_item(section, key), rc;

	s = store_prepare(st,
	    "INSERT INTO main.commit_changes (commit_id, section, key, old, new) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (commit_id, section, key) "
	    "DO UPDATE SET new = excluded.new",
	    cause);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, section);
	store_bind_text(s, 3, key);
	store_bind_text(s, 4, secret && oldv ? SECRET_CHANGED : oldv);
	store_bind_text(s, 5, secret && newv ? SECRET_CHANGED : newv);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot record change");
	if (secret && secret_record(st, id, section, key, oldv, cause) < 0)
		return -1;
	return 0;
}

/* same_value - do two stored values of an item hold the same value? */
static int
same_value(struct store *st, const char *section, const char *key, const char *a,
    const char *b, char **cause)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (strcmp(a, b) == 0)
		return 1;
	if (!secret_item(section, key))
		return 0;
	return secret_same(st, section, key, a, b, cause);
}

/* recompute - put the levels' values of items into main.config (machine items kept) */
static int
recompute(struct store *st, const char *glevel, const struct itemlist *l, struct main_commit *mc,
    char **cause)
{
	for (int i = 0; i < l->n; i++) {
		const char *section = l->v[i].section, *key = l->v[i].key;
		char *eff = NULL, *cur = NULL;
		int mine, same, rc = -1;

		/* a name twice in the list is recomputed once: the second finds it done */
		if ((mine = cluster_is_machine_item(st, section, key)) < 0)
			return store_err(st, cause, "cannot read the machine items");
		if (mine)
			continue;
		if (level_value(st, glevel, section, key, &eff, cause) < 0)
			return -1;
		if (main_value(st, section, key, &cur, cause) < 0) {
			free(eff);
			return -1;
		}
		same = same_value(st, section, key, eff, cur, cause);
		if (same == 0)
			rc = commit_start(st, mc, cause) < 0 ||
			    record_change(st, mc->id, section, key, cur, eff, cause) < 0 ||
			    main_put(st, mc->id, section, key, eff, cause) < 0 ? -1 : 0;
		else if (same == 1)
			rc = 0;
		free(eff);
		free(cur);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* all_items - every item main.config or the two levels have, machine items aside */
static int
all_items(struct store *st, const char *glevel, struct itemlist *l, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = store_prepare(st,
	    "SELECT section, key FROM main.config UNION "
	    "SELECT section, key FROM main.lvl_config WHERE level = 'cluster' OR level = ?1 "
	    "ORDER BY 1, 2",
	    cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, glevel ? glevel : "");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		items_add(l, store_col_text(s, 0), store_col_text(s, 1));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot list configuration");
	return 0;
}

/* cluster_commit_marks - see store_int.h */
int
cluster_commit_marks(struct store *st, int64_t id, char **cause)
{
	sqlite3_stmt *s;
	struct itemlist set = { 0 }, del = { 0 };
	char *glevel = NULL;
	int rc, ret = -1;

	s = store_prepare(st,
	    "SELECT section, key, value IS NULL FROM temp.candidate ORDER BY section, key", cause);
	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		items_add(sqlite3_column_int(s, 2) ? &del : &set, store_col_text(s, 0),
		    store_col_text(s, 1));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_err(st, cause, "cannot read candidate");
		goto out;
	}
	for (int i = 0; i < set.n; i++)
		if (exec_texts(st,
			"INSERT OR IGNORE INTO main.cluster_machine_items (section, key) "
			"VALUES (?1, ?2)",
			2, set.v[i].section, set.v[i].key, NULL, NULL, cause) < 0)
			goto out;
	glevel = member_group(st);
	for (int i = 0; i < del.n; i++) {
		char *eff = NULL;

		if (exec_texts(st,
			"DELETE FROM main.cluster_machine_items WHERE section = ?1 AND key = ?2", 2,
			del.v[i].section, del.v[i].key, NULL, NULL, cause) < 0 ||
		    level_value(st, glevel, del.v[i].section, del.v[i].key, &eff, cause) < 0)
			goto out;
		if (eff == NULL)
			continue;
		/* the commit's change becomes "old -> the level's value" */
		rc = main_put(st, id, del.v[i].section, del.v[i].key, eff, cause) < 0;
		if (rc == 0) {
			sqlite3_stmt *u = store_prepare(st,
			    "UPDATE main.commit_changes SET new = ?4 WHERE commit_id = ?1 AND "
			    "section = ?2 AND key = ?3",
			    cause);

			if (u == NULL)
				rc = 1;
			else {
				sqlite3_bind_int64(u, 1, id);
				store_bind_text(u, 2, del.v[i].section);
				store_bind_text(u, 3, del.v[i].key);
				store_bind_text(u, 4, secret_item(del.v[i].section, del.v[i].key) ?
				    SECRET_CHANGED : eff);
				if (sqlite3_step(u) != SQLITE_DONE)
					rc = store_err(st, cause, "cannot record change") != 0;
				sqlite3_finalize(u);
			}
		}
		free(eff);
		if (rc)
			goto out;
	}
	ret = 0;
out:
	free(glevel);
	items_free(&set);
	items_free(&del);
	return ret;
}

/* ----------------------------------------------------------- from etcd */

/* level_put - an item of a level (value clear; NULL: deleted); history: keep a secret's old */
static int
level_put(struct store *st, const struct cluster_item *it, int history, char **cause)
{
	sqlite3_stmt *s;
	char *sealed = NULL, *old = NULL;
	int secret = secret_item(it->section, it->key), rc;

	if (!level_ok(it->level) || it->section == NULL || *it->section == '\0' ||
	    it->key == NULL || *it->key == '\0') {
		*cause = str_printf("cluster item of level %.80s has no valid level or name",
		    it->level ? it->level : "(none)");
		return -1;
	}
	if (secret && history) {
		s = store_prepare(st, "SELECT value FROM main.lvl_config WHERE level = ?1 AND "
				      "section = ?2 AND key = ?3", cause);
		if (s == NULL)
			return -1;
		store_bind_text(s, 1, it->level);
		store_bind_text(s, 2, it->section);
		store_bind_text(s, 3, it->key);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			old = str_dup(store_col_text(s, 0));
		sqlite3_finalize(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_err(st, cause, "cannot read the cluster levels");
		s = store_prepare(st,
		    "INSERT OR IGNORE INTO main.lvl_secret_history (level, commit_id, section, key, "
		    "old) VALUES (?1, ?2, ?3, ?4, ?5)",
		    cause);
		if (s == NULL) {
			free(old);
			return -1;
		}
		store_bind_text(s, 1, it->level);
		sqlite3_bind_int64(s, 2, it->rev);
		store_bind_text(s, 3, it->section);
		store_bind_text(s, 4, it->key);
		store_bind_text(s, 5, old);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		free(old);
		if (rc != SQLITE_DONE)
			return store_err(st, cause, "cannot record the secret's history");
	}
	if (it->value == NULL)
		return exec_texts(st, "DELETE FROM main.lvl_config WHERE level = ?1 AND section = ?2 "
				      "AND key = ?3", 3, it->level, it->section, it->key, NULL, cause);
	if (secret && secret_seal(st, it->section, it->key, it->value, &sealed, cause) < 0)
		return -1;
	s = store_prepare(st,
	    "INSERT INTO main.lvl_config (level, section, key, value, rev) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (level, section, key) DO UPDATE SET value = excluded.value, "
	    "rev = excluded.rev",
	    cause);
	if (s == NULL) {
		free(sealed);
		return -1;
	}
	store_bind_text(s, 1, it->level);
	store_bind_text(s, 2, it->section);
	store_bind_text(s, 3, it->key);
	store_bind_text(s, 4, sealed ? sealed : it->value);
	sqlite3_bind_int64(s, 5, it->rev);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	free(sealed);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot update the cluster levels");
	return 0;
}

/* rec_put - a commit record of a level (known ones are kept as they are) */
static int
rec_put(struct store *st, const struct cluster_commit_rec *r, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (!level_ok(r->level)) {
		*cause = str_printf("cluster commit record %lld has no valid level", (long long)r->rev);
		return -1;
	}
	s = store_prepare(st,
	    "INSERT OR IGNORE INTO main.lvl_commits (level, id, time, user, comment, host) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	    cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, r->level);
	sqlite3_bind_int64(s, 2, r->rev);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->when);
	store_bind_text(s, 4, r->user ? r->user : "");
	store_bind_text(s, 5, r->comment ? r->comment : "");
	store_bind_text(s, 6, r->host ? r->host : "");
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot record the cluster commit");
	s = store_prepare(st,
	    "INSERT OR IGNORE INTO main.lvl_commit_changes (level, commit_id, section, key, old, "
	    "new) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	    cause);
	if (s == NULL)
		return -1;
	for (int i = 0; i < r->nchanges; i++) {
		const struct cluster_rec_change *c = &r->changes[i];
		int secret;

		if (c->section == NULL || c->key == NULL)
			continue;
		secret = secret_item(c->section, c->key);
		sqlite3_reset(s);
		store_bind_text(s, 1, r->level);
		sqlite3_bind_int64(s, 2, r->rev);
		store_bind_text(s, 3, c->section);
		store_bind_text(s, 4, c->key);
		/* never a secret's value, whatever the record holds */
		store_bind_text(s, 5, secret && c->old ? SECRET_CHANGED : c->old);
		store_bind_text(s, 6, secret && c->new ? SECRET_CHANGED : c->new);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_finalize(s);
			return store_err(st, cause, "cannot record the cluster commit");
		}
	}
	sqlite3_finalize(s);
	return 0;
}

/* begin_write - views off, BEGIN IMMEDIATE; *skip when revision is not above the applied one */
static int
begin_write(struct store *st, int64_t revision, int strict, int *skip, char **cause)
{
	int64_t applied;

	*skip = 0;
	if (views_off(st, cause) < 0)
		return -1;
	if (store_exec(st, "BEGIN IMMEDIATE", cause) < 0) {
		views_on(st);
		return -1;
	}
	if (revision < 0)
		return 0;
	/* read under the write lock: another process may have applied it meanwhile */
	applied = cluster_applied_rev(st);
	if (applied < 0) {
		store_err(st, cause, "cannot read the applied cluster revision");
		store_exec(st, "ROLLBACK", NULL);
		views_on(st);
		return -1;
	}
	if (strict ? revision <= applied : revision < applied) {
		store_exec(st, "ROLLBACK", NULL);
		views_on(st);
		*skip = 1;
	}
	return 0;
}

/* end_write - COMMIT (or ROLLBACK when failed), views back on */
static int
end_write(struct store *st, int failed, char **cause)
{
	if (!failed && store_exec(st, "COMMIT", cause) < 0)
		failed = 1;
	if (failed)
		store_exec(st, "ROLLBACK", NULL);
	views_on(st);
	return failed ? -1 : 0;
}

/* concerns - does a level make this machine's configuration (cluster, its group)? */
static int
concerns(const char *level, const char *glevel)
{
	return strcmp(level, "cluster") == 0 || (glevel && strcmp(level, glevel) == 0);
}

int
cluster_apply(struct store *st, int64_t revision, const struct cluster_item *items,
    int nitems, const struct cluster_commit_rec *recs, int nrecs, const char *group,
    int64_t *main_commit, char **cause)
{
	struct itemlist touched = { 0 };
	struct main_commit mc = { 0 };
	const struct cluster_commit_rec *r = NULL;
	char *glevel = group_level(group);
	int skip, failed = 1;

	*main_commit = 0;
	if (begin_write(st, revision, 1, &skip, cause) < 0 || skip) {
		free(glevel);
		return skip ? 0 : -1;
	}
	for (int i = 0; i < nitems; i++) {
		if (level_put(st, &items[i], 1, cause) < 0)
			goto out;
		if (concerns(items[i].level, glevel))
			items_add(&touched, items[i].section, items[i].key);
	}
	for (int i = 0; i < nrecs; i++) {
		if (rec_put(st, &recs[i], cause) < 0)
			goto out;
		/* the main commit names the first record that concerns this machine */
		if (r == NULL || (!concerns(r->level, glevel) && concerns(recs[i].level, glevel)))
			r = &recs[i];
	}
	mc.user = r && r->user && *r->user ? r->user : "cluster";
	mc.comment = r && r->comment && *r->comment ?
	    str_printf("cluster revision %lld: %s", (long long)revision, r->comment) :
	    str_printf("cluster revision %lld", (long long)revision);
	if (recompute(st, glevel, &touched, &mc, cause) < 0 ||
	    set_applied(st, revision, cause) < 0)
		goto out;
	failed = 0;
out:
	if ((failed = end_write(st, failed, cause) < 0) == 0)
		*main_commit = mc.id;
	free(mc.comment);
	free(glevel);
	items_free(&touched);
	return failed ? -1 : 0;
}

int
cluster_snapshot(struct store *st, int64_t revision, const struct cluster_item *items,
    int nitems, const struct cluster_commit_rec *recs, int nrecs, const char *group,
    int64_t *main_commit, char **cause)
{
	struct itemlist all = { 0 };
	struct main_commit mc = { 0 };
	char *glevel = group_level(group);
	int skip, failed = 1;

	*main_commit = 0;
	if (begin_write(st, revision, 0, &skip, cause) < 0 || skip) {
		free(glevel);
		return skip ? 0 : -1;
	}
	if (store_exec(st, "DELETE FROM main.lvl_config", cause) < 0)
		goto out;
	for (int i = 0; i < nitems; i++)
		if (items[i].value != NULL && level_put(st, &items[i], 0, cause) < 0)
			goto out;
	for (int i = 0; i < nrecs; i++)
		if (rec_put(st, &recs[i], cause) < 0)
			goto out;
	mc.user = "cluster";
	mc.comment = str_printf("cluster snapshot at revision %lld", (long long)revision);
	if (all_items(st, glevel, &all, cause) < 0 ||
	    recompute(st, glevel, &all, &mc, cause) < 0 ||
	    set_applied(st, revision, cause) < 0)
		goto out;
	failed = 0;
out:
	if ((failed = end_write(st, failed, cause) < 0) == 0)
		*main_commit = mc.id;
	free(mc.comment);
	free(glevel);
	items_free(&all);
	return failed ? -1 : 0;
}

int
cluster_group_set(struct store *st, const char *group, const char *user,
    int64_t *main_commit, char **cause)
{
	struct itemlist all = { 0 };
	struct main_commit mc = { 0 };
	char *glevel = group_level(group);
	const char *bare = glevel ? glevel + 6 : "";
	int skip, failed = 1;

	*main_commit = 0;
	if (glevel && !cluster_name_ok(bare)) {
		*cause = str_printf("%.80s is not a valid group name", bare);
		free(glevel);
		return -1;
	}
	if (begin_write(st, -1, 0, &skip, cause) < 0) {
		free(glevel);
		return -1;
	}
	if (exec_texts(st, "UPDATE main.cluster_member SET grp = ?1", 1, bare, NULL, NULL, NULL,
		cause) < 0)
		goto out;
	mc.user = user && *user ? user : "cluster";
	mc.comment = str_printf("cluster group changed to %s", glevel ? bare : "(none)");
	if (all_items(st, glevel, &all, cause) < 0 ||
	    recompute(st, glevel, &all, &mc, cause) < 0)
		goto out;
	failed = 0;
out:
	if ((failed = end_write(st, failed, cause) < 0) == 0)
		*main_commit = mc.id;
	free(mc.comment);
	free(glevel);
	items_free(&all);
	return failed ? -1 : 0;
}

/* ------------------------------------------------------------ sessions */

int
cluster_candidate(struct store *st, struct cluster_change **ch, int *n, char **cause)
{
	sqlite3_stmt *s;
	struct cluster_change *v = NULL;
	int cap = 0, rc, ret = -1;

	*ch = NULL;
	*n = 0;
	if (st->mode != STORE_SESSION) {
		*cause = str_dup("this store handle has no candidate (opened read-only)");
		return -1;
	}
	s = store_prepare(st,
	    "SELECT c.section, c.key, c.value, c.base_rev, r.value FROM temp.candidate c "
	    "LEFT JOIN config r ON r.section = c.section AND r.key = c.key "
	    "ORDER BY c.section, c.key",
	    cause);
	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct cluster_change *c;

		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, (size_t)cap * sizeof(*v));
		}
		c = &v[(*n)++];
		memset(c, 0, sizeof(*c));
		c->section = str_dup(store_col_text(s, 0));
		c->key = str_dup(store_col_text(s, 1));
		c->base_rev = sqlite3_column_int64(s, 3);
		c->secret = secret_item(c->section, c->key);
		c->value = col_dup(s, 2);
		c->old = col_dup(s, 4);
		if (c->secret) {
			char *clear = NULL;

			if (c->value) {
				if (secret_unseal(st, c->section, c->key, c->value, &clear,
					cause) < 0)
					goto out;
				free(c->value);
				c->value = clear;
			}
			if (c->old) {
				if (secret_unseal(st, c->section, c->key, c->old, &clear,
					cause) < 0)
					goto out;
				free(c->old);
				c->old = clear;
			}
		}
	}
	if (rc != SQLITE_DONE) {
		store_err(st, cause, "cannot read candidate");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	if (ret < 0) {
		cluster_changes_free(v, *n);
		v = NULL;
		*n = 0;
	}
	*ch = v;
	return ret;
}

void
cluster_changes_free(struct cluster_change *ch, int n)
{
	if (ch == NULL)
		return;
	for (int i = 0; i < n; i++) {
		free(ch[i].section);
		free(ch[i].key);
		/* the values may be a secret's clear one */
		secret_drop(ch[i].value);
		secret_drop(ch[i].old);
	}
	free(ch);
}

/* has_level_item - does level have the item? 1, 0, -1 */
static int
has_level_item(struct store *st, const char *level, const char *section, const char *key)
{
	sqlite3_stmt *s = store_prepare(st, "SELECT 1 FROM main.lvl_config WHERE level = ?1 AND "
					    "section = ?2 AND key = ?3", NULL);
	int rc;

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, level);
	store_bind_text(s, 2, section);
	store_bind_text(s, 3, key);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * as_effective - inside check_effective's transaction: turn the level's
 * candidate into what it would change in main.config here (a machine
 * item, another group's change, a cluster change under a group value:
 * nothing; a group's delete: the cluster's value). Undone by the ROLLBACK.
 */
static int
as_effective(struct store *st, const char *level, char **cause)
{
	sqlite3_stmt *s;
	struct itemlist l = { 0 };
	char *glevel = member_group(st);
	int rc, ret = -1;

	s = store_prepare(st, "SELECT section, key FROM temp.candidate ORDER BY section, key",
	    cause);
	if (s == NULL)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		items_add(&l, store_col_text(s, 0), store_col_text(s, 1));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_err(st, cause, "cannot read candidate");
		goto out;
	}
	for (int i = 0; i < l.n; i++) {
		const char *section = l.v[i].section, *key = l.v[i].key;
		char *cv = NULL;
		int mine = cluster_is_machine_item(st, section, key), drop, r;

		if (mine < 0) {
			store_err(st, cause, "cannot read the machine items");
			goto out;
		}
		drop = mine || !concerns(level, glevel);
		/* the group's own value wins over a cluster change */
		if (!drop && strcmp(level, "cluster") == 0 && glevel) {
			if ((r = has_level_item(st, glevel, section, key)) < 0) {
				store_err(st, cause, "cannot read the cluster levels");
				goto out;
			}
			drop = r;
		}
		if (drop) {
			r = exec_texts(st, "DELETE FROM temp.candidate WHERE section = ?1 AND key = ?2",
			    2, section, key, NULL, NULL, cause);
		} else if (strcmp(level, "cluster") != 0) {
			/* a group's delete falls back to the cluster's value */
			if (level_value(st, NULL, section, key, &cv, cause) < 0)
				goto out;
			r = cv == NULL ? 0 : exec_texts(st,
			    "UPDATE temp.candidate SET value = ?3 WHERE section = ?1 AND key = ?2 "
			    "AND value IS NULL", 3, section, key, cv, NULL, cause);
			free(cv);
		} else {
			r = 0;
		}
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	free(glevel);
	items_free(&l);
	return ret;
}

int
cluster_check_effective(struct store *st, config_check_cb check, void *arg, char **cause)
{
	char *level = st->level ? str_dup(st->level) : NULL;
	int rc = -1;

	if (check == NULL) {
		free(level);
		return 0;
	}
	if (views_off(st, cause) < 0) {
		free(level);
		return -1;
	}
	/* one read transaction: the check sees main.config + the candidate, as of one commit */
	if (store_exec(st, "BEGIN", cause) < 0) {
		views_on(st);
		free(level);
		return -1;
	}
	*cause = NULL;
	if (level == NULL || as_effective(st, level, cause) == 0) {
		rc = check(st, arg, cause);
		if (rc < 0 && *cause == NULL)
			*cause = str_dup("the configuration check refused the commit");
	}
	/* ROLLBACK: as_effective's edits of the candidate go with it */
	store_exec(st, "ROLLBACK", NULL);
	forget_count(st);
	views_on(st);
	free(level);
	return rc < 0 ? -1 : 0;
}

/* --------------------------------------------------- create, join, check */

/* The settings that are the machine's own: its name and the API's interface. */
static const char *const local_settings[] = {
	"system.hostname",
	"api.http", "api.http_port", "api.https", "api.https_port", "api.address",
	NULL
};

int
cluster_item_local(const char *section, const char *key)
{
	if (strcmp(section, LOCAL_LISTENER_SECTION) == 0)
		return 1;	/* a listener's addresses and ports are the machine's */
	if (strcmp(section, SETTINGS_SECTION) != 0)
		return 0;
	for (int i = 0; local_settings[i]; i++)
		if (strcmp(key, local_settings[i]) == 0)
			return 1;
	return 0;
}

int
cluster_export(struct store *st, config_item_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	s = store_prepare(st, "SELECT section, key, value FROM main.config ORDER BY section, key",
	    cause);
	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *section = store_col_text(s, 0), *key = store_col_text(s, 1);
		char *clear = NULL;
		int stop;

		if (cluster_item_local(section, key))
			continue;
		if (secret_item(section, key) &&
		    secret_unseal(st, section, key, store_col_text(s, 2), &clear, cause) < 0) {
			sqlite3_finalize(s);
			return -1;
		}
		stop = cb(section, key, clear ? clear : store_col_text(s, 2), arg);
		secret_drop(clear);
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

int
cluster_mark_local(struct store *st, char **cause)
{
	sqlite3_stmt *s;
	struct itemlist l = { 0 };
	int rc, ret = -1;

	s = store_prepare(st, "SELECT section, key FROM main.config ORDER BY section, key", cause);
	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cluster_item_local(store_col_text(s, 0), store_col_text(s, 1)))
			items_add(&l, store_col_text(s, 0), store_col_text(s, 1));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_err(st, cause, "cannot list configuration");
		goto out;
	}
	if (store_exec(st, "BEGIN IMMEDIATE", cause) < 0)
		goto out;
	for (int i = 0; i < l.n; i++)
		if (exec_texts(st, "INSERT OR IGNORE INTO main.cluster_machine_items (section, key) "
				   "VALUES (?1, ?2)", 2, l.v[i].section, l.v[i].key, NULL, NULL,
			cause) < 0) {
			store_exec(st, "ROLLBACK", NULL);
			goto out;
		}
	if (store_exec(st, "COMMIT", cause) < 0) {
		store_exec(st, "ROLLBACK", NULL);
		goto out;
	}
	ret = 0;
out:
	items_free(&l);
	return ret;
}

/* hex - n bytes as lowercase hex into out (2n + 1) */
static void
hex(const unsigned char *p, unsigned n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
cluster_digest(struct store *st, const char *group, char out[65], char **cause)
{
	sqlite3_stmt *s;
	EVP_MD_CTX *ctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char *glevel = group ? group_level(group) : member_group(st);
	int rc, ret = -1;

	out[0] = '\0';
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		*cause = str_dup("cannot compute the configuration digest (OpenSSL)");
		EVP_MD_CTX_free(ctx);
		free(glevel);
		return -1;
	}
	s = store_prepare(st,
	    "SELECT level, section, key, value FROM main.lvl_config "
	    "WHERE level = 'cluster' OR level = ?1 ORDER BY level, section, key",
	    cause);
	if (s == NULL)
		goto out;
	store_bind_text(s, 1, glevel ? glevel : "");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *section = store_col_text(s, 1), *key = store_col_text(s, 2);
		const char *value = store_col_text(s, 3);
		char vh[65];

		/* a secret by its clear value's hash: two sealings of one value differ */
		if (secret_item(section, key)) {
			char *clear = NULL;
			unsigned char h[EVP_MAX_MD_SIZE];
			unsigned hl = 0;

			if (secret_unseal(st, section, key, value, &clear, cause) < 0)
				goto out;
			if (EVP_Digest(clear, strlen(clear), h, &hl, EVP_sha256(), NULL) != 1) {
				secret_drop(clear);
				*cause = str_dup("cannot compute the configuration digest (OpenSSL)");
				goto out;
			}
			secret_drop(clear);
			hex(h, hl, vh);
			value = vh;
		}
		for (int i = 0; i < 3; i++) {
			const char *t = store_col_text(s, i);

			EVP_DigestUpdate(ctx, t, strlen(t) + 1);
		}
		EVP_DigestUpdate(ctx, value, strlen(value) + 1);
	}
	if (rc != SQLITE_DONE) {
		store_err(st, cause, "cannot read the cluster levels");
		goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		*cause = str_dup("cannot compute the configuration digest (OpenSSL)");
		goto out;
	}
	hex(md, mdlen, out);
	ret = 0;
out:
	sqlite3_finalize(s);
	EVP_MD_CTX_free(ctx);
	free(glevel);
	return ret;
}

/* ---------------------------------------------------------------- keys */

int
cluster_seal(const unsigned char key[CLUSTER_KEY_LEN], const char *section,
    const char *name, const char *clear, char **sealed, char **cause)
{
	*sealed = NULL;
	if (clear == NULL || *clear == '\0') {
		*sealed = str_dup("");
		return 0;
	}
	return secret_encrypt(key, section, name, clear, sealed, cause);
}

int
cluster_unseal(const unsigned char key[CLUSTER_KEY_LEN], const char *section,
    const char *name, const char *sealed, char **clear, char **cause)
{
	*clear = NULL;
	if (sealed == NULL || *sealed == '\0') {
		*clear = str_dup("");
		return 0;
	}
	return secret_decrypt(key, section, name, sealed, clear, cause);
}
