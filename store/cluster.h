/*
 * cluster.h - what config.db keeps of a cluster (issue 15).
 *
 * LEVELS. A setting lives at the cluster level, at a group's level or at
 * the machine level; the most specific wins. Names: "cluster",
 * "group:NAME", "machine". etcd holds the cluster and group levels;
 * config.db mirrors them (tables lvl_config, lvl_commits,
 * lvl_commit_changes, lvl_secret_history: the same columns as config,
 * commits, commit_changes, secret_history plus a level column), as
 * applied from etcd in revision order: an item's rev and a commit's id
 * at those levels are etcd revisions. The machine level is main.config
 * itself, with the items set at the machine level marked (table
 * cluster_machine_items): every other item of main.config is the copy of
 * the group's or the cluster's value, rewritten by cluster_apply,
 * cluster_snapshot and cluster_set_group as the levels change (a main
 * commit each time, so mxgated applies it as any commit). main.config
 * stays the configuration mxgated reads; it works while etcd is down.
 *
 * SESSIONS. cluster_session_level(st, "cluster" | "group:NAME") lays
 * TEMP views named config, commits, commit_changes and secret_history
 * over the lvl_* rows of that level, so the whole of store/config.c
 * (which names those tables unqualified) reads, stages, shows history
 * and stages rollbacks at that level unchanged; "machine" drops the
 * views. The candidate must be empty to switch (the caller checks:
 * config_pending). config_commit_check refuses at a cluster or group
 * level (those commits go to etcd: mail/cluster.c clus_commit, which
 * takes the candidate with cluster_candidate, then clears it with
 * config_clear once etcd took it). At the machine level of a machine in
 * a cluster, config_commit_check marks what it sets as machine items
 * and, for what it deletes, puts back the group's or cluster's value
 * (or leaves it deleted if no level has it), in the same transaction.
 *
 * SECRETS. At rest here every secret is sealed with this machine's
 * secret.key (store/secret.h) as everywhere else; in etcd with the
 * cluster key (32 bytes made at creation, kept here sealed with
 * secret.key): cluster_seal / cluster_unseal. Items passed to
 * cluster_apply and cluster_snapshot, and given by cluster_candidate and
 * cluster_export, carry clear values; never log them.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause.
 */
#ifndef STORE_CLUSTER_H
#define STORE_CLUSTER_H

#include <stdint.h>
#include <time.h>

#include "store/config.h"
#include "store/store.h"

#define CLUSTER_KEY_LEN 32
#define CLUSTER_NAME_MAX 64	/* cluster, machine and group names: [A-Za-z0-9._-]{1,63} */

/* This machine's membership: table cluster_member, one row or none. */
struct cluster_member {
	char cluster[CLUSTER_NAME_MAX];
	char machine[CLUSTER_NAME_MAX];
	char group[CLUSTER_NAME_MAX];
	char endpoints[1024];		/* "https://127.0.0.1:2379,..." */
	char *ca_pem, *cert_pem, *key_pem;	/* etcd TLS (key clear here; sealed at rest) */
	unsigned char key[CLUSTER_KEY_LEN];	/* the cluster key (clear here; sealed at rest) */
	time_t joined;
};

/* cluster_name_ok - is s a valid cluster, group or machine name? */
int cluster_name_ok(const char *s);

/* cluster_member_get - 0 and *m filled; 1 not in a cluster; -1 error. Free with cluster_member_free */
int cluster_member_get(struct store *st, struct cluster_member *m, char **cause);

/* cluster_member_set - record (replace) this machine's membership */
int cluster_member_set(struct store *st, const struct cluster_member *m, char **cause);

/* cluster_member_free - cleanse the secrets and free the PEM texts (not m) */
void cluster_member_free(struct cluster_member *m);

/*
 * cluster_leave - no longer in a cluster: membership, the lvl_* rows,
 * the machine marks and the state go; main.config (the effective
 * configuration) stays as it is
 */
int cluster_leave(struct store *st, char **cause);

/* cluster_group_set - this machine's group changed: recompute main.config (*main_commit, 0: none) */
int cluster_group_set(struct store *st, const char *group, const char *user,
    int64_t *main_commit, char **cause);

/* ------------------------------------------------------------- sessions */

/* cluster_session_level - see above: "cluster", "group:NAME" or "machine" */
int cluster_session_level(struct store *st, const char *level, char **cause);

/* cluster_session_current - the session's level; "machine" when none was set */
const char *cluster_session_current(const struct store *st);

/* A change the candidate holds, at the session's level. */
struct cluster_change {
	char *section, *key;
	char *value;		/* the new value, clear for a secret; NULL: delete */
	char *old;		/* the level's value now, clear; NULL: absent */
	int64_t base_rev;	/* the level's rev of the item when first staged (0: absent) */
	int secret;		/* secret_item(section, key) */
};

/* cluster_candidate - the candidate's changes, ordered by section, key */
int cluster_candidate(struct store *st, struct cluster_change **ch, int *n, char **cause);
void cluster_changes_free(struct cluster_change *ch, int n);

/*
 * cluster_check_effective - run check (mail/confcheck.c's) on this
 * machine's configuration with the candidate laid over it, as a cluster
 * or group commit would make it here (views off for the duration, inside
 * one read transaction)
 */
int cluster_check_effective(struct store *st, config_check_cb check, void *arg, char **cause);

/* ------------------------------------------------------------ from etcd */

/* An item of a level as etcd has it; value clear; NULL: deleted. */
struct cluster_item {
	const char *level;	/* "cluster" or "group:NAME" */
	const char *section, *key;
	const char *value;
	int64_t rev;		/* its mod_revision */
};

/* A change in a commit record (old/new: "changed" for secrets, NULL absent). */
struct cluster_rec_change {
	const char *section, *key, *old, *new;
};

/* A commit record: who committed what at a level, at revision rev. */
struct cluster_commit_rec {
	const char *level;
	int64_t rev;
	time_t when;
	const char *user, *comment, *host;	/* host: the machine it was made on */
	const struct cluster_rec_change *changes;
	int nchanges;
};

/*
 * cluster_apply - one etcd revision, in one transaction: the lvl_* rows
 * (secret history too), then main.config for every item whose effective
 * value changed here (levels "cluster" and "group:" the machine's group;
 * machine items untouched): one main commit by the record's user with
 * comment "cluster revision R: COMMENT" (*main_commit; 0 when nothing
 * effective changed), and the applied revision. A revision at or below
 * the applied one changes nothing (idempotent). group: this machine's.
 */
int cluster_apply(struct store *st, int64_t revision, const struct cluster_item *items,
    int nitems, const struct cluster_commit_rec *recs, int nrecs, const char *group,
    int64_t *main_commit, char **cause);

/*
 * cluster_snapshot - the whole of the cluster and group levels as of
 * revision (a range read): replaces every lvl_config row of those
 * levels, adds the commit records not yet known, recomputes main.config
 * (one main commit by "cluster", comment "cluster snapshot at revision
 * R") and sets the applied revision. Below the applied revision: nothing.
 */
int cluster_snapshot(struct store *st, int64_t revision, const struct cluster_item *items,
    int nitems, const struct cluster_commit_rec *recs, int nrecs, const char *group,
    int64_t *main_commit, char **cause);

/* cluster_applied_rev - the last etcd revision applied (0: none; -1 error) */
int64_t cluster_applied_rev(struct store *st);

/* cluster_state_get/set - small named values kept with the membership (primary, etc.) */
char *cluster_state_get(struct store *st, const char *name);
int cluster_state_set(struct store *st, const char *name, const char *value, char **cause);

/* --------------------------------------------------- create, join, check */

/*
 * cluster_item_local - is this item machine-level by default (kept at
 * the machine level by create and join): the host name, the listeners
 * (their addresses and ports are the machine's), the API's interfaces
 */
int cluster_item_local(const char *section, const char *key);

/*
 * cluster_export - the running items that are not cluster_item_local,
 * secrets clear (what clusterconfig create puts at the cluster level)
 */
int cluster_export(struct store *st, config_item_cb cb, void *arg, char **cause);

/*
 * cluster_mark_local - mark every cluster_item_local item of main.config
 * as a machine item (create and join, before the first snapshot)
 */
int cluster_mark_local(struct store *st, char **cause);

/* cluster_is_machine_item - 1 if the item is set at the machine level */
int cluster_is_machine_item(struct store *st, const char *section, const char *key);

/*
 * cluster_digest - SHA-256 (hex) of the cluster level and the group's
 * level as applied here (section, key, value; a secret by its clear
 * value's hash), so machines can be compared without their values
 */
int cluster_digest(struct store *st, const char *group, char out[65], char **cause);

/* ---------------------------------------------------------------- keys */

/* cluster_seal, cluster_unseal - a secret item's value under the cluster key ("" stays "") */
int cluster_seal(const unsigned char key[CLUSTER_KEY_LEN], const char *section,
    const char *name, const char *clear, char **sealed, char **cause);
int cluster_unseal(const unsigned char key[CLUSTER_KEY_LEN], const char *section,
    const char *name, const char *sealed, char **clear, char **cause);

#endif
