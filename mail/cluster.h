/*
 * cluster.h - a cluster of gateways on etcd (issue 15): the layout of the
 * cluster's keys, the records kept there, and the operations the shell
 * and mxgated share (both link it). store/cluster.h keeps the local side.
 *
 * KEYS, under P = "/mxgate/CLUSTER/" (names: store/cluster.h
 * cluster_name_ok; S and K percent-encoded: '%', '/', and bytes outside
 * 0x21..0x7e as %XX):
 *   P meta                      {"name","created","by","keycheck"}: keycheck
 *                               is cluster_seal of "mxgate-cluster" under
 *                               ("cluster","keycheck"): a join proves the key
 *   P cfg/cluster/S/K           an item at the cluster level
 *   P cfg/group/G/S/K           an item at group G's level
 *                               value {"section","key","value"} (a secret's
 *                               value sealed with the cluster key)
 *   P commit/cluster            the last commit record of a level, written in
 *   P commit/group/G            the same transaction as its items: {"user",
 *                               "comment","host","time","changes":[{"section",
 *                               "key","old","new"}]} (secrets: "changed")
 *   P groups/G                  {"created"}; "Main_Group" made by create
 *   P members/M                 {"machine","group","serial","joined"}
 *   P alive/M                   {"machine","group","applied","digest","pid",
 *                               "since"}, on M's lease: gone = unreachable
 *   P primary                   {"machine","serial","since"} on the holder's
 *                               lease: the ETD polling primary (election: a
 *                               txn creating it only if create_revision == 0)
 *   P primary_pin               a machine name: only it may hold primary
 *   P etd/window                the end (UTC seconds) of the last ETD window
 *                               fully taken, written by the holder only
 *   P etd/seen/ID               the machine that took ETD id ID, written by the
 *                               holder only, before it queues the remediation
 *
 * A cluster or group commit is one etcd transaction comparing each
 * changed item's mod_revision with the one the session saw (0: absent):
 * two operators who change one item cannot both win; the loser is told
 * the item and the revision. The commit record goes in the same
 * transaction, so every machine's history of that level is the same.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause; CLUS_EUNREACH when etcd
 * cannot be reached (the cause says so and names the endpoint);
 * CLUS_ECONFLICT when a commit lost to another one; CLUS_EUNKNOWN when
 * etcd received a commit and never confirmed it (it may still land).
 */
#ifndef MAIL_CLUSTER_H
#define MAIL_CLUSTER_H

#include <stdint.h>
#include <time.h>

#include "net/etcd.h"
#include "store/cluster.h"
#include "store/config.h"
#include "store/store.h"

#define CLUS_EUNREACH -2
#define CLUS_ECONFLICT -4
#define CLUS_EUNKNOWN -5	/* etcd took a commit without confirming it: it may land */
#define CLUS_TIMEOUT_MS 5000	/* one etcd request */
#define CLUS_MAIN_GROUP "Main_Group"

/* A connection to this machine's cluster. */
struct clus {
	struct cluster_member m;	/* this machine's membership */
	struct etcd *etcd;
	char prefix[CLUSTER_NAME_MAX + 16];	/* "/mxgate/NAME/" */
};

/* clus_open - from the membership in st; 1: not in a cluster (*out NULL) */
int clus_open(struct store *st, struct clus **out, char **cause);
void clus_close(struct clus *c);

/* clus_key - P + rest (malloc'd); clus_item_key - the key of an item at a level */
char *clus_key(const struct clus *c, const char *rest);
char *clus_item_key(const struct clus *c, const char *level, const char *section,
    const char *key);

/* clus_pct, clus_unpct - the percent-encoding of key parts (malloc'd; unpct NULL if malformed) */
char *clus_pct(const char *s);
char *clus_unpct(const char *s, size_t len);

/*
 * clus_parse_item_key - level, section and key of an item key under
 * prefix (malloc'd); -1 if it is not one
 */
int clus_parse_item_key(const char *prefix, const char *k, char **level, char **section,
    char **key);

/* ------------------------------------------------------------- create, join */

struct clus_params {
	const char *cluster, *machine, *group;	/* group NULL: CLUS_MAIN_GROUP */
	const char *endpoints;
	const char *ca_pem, *cert_pem, *key_pem;
	const char *key_b64;	/* join: the cluster key (base64) */
	const char *serial;	/* this machine's serial (store/remed.h remed_serial); NULL: "" */
};

/*
 * clus_create - a new cluster from this machine: refused if P meta
 * exists; meta, the main group, this member and every cluster_export
 * item at the cluster level in one transaction; then the membership
 * here, the machine marks (cluster_mark_local) and a snapshot.
 * *key_b64 (malloc'd) is the cluster key to give to joining machines.
 */
int clus_create(struct store *st, const struct clus_params *p, const char *user,
    char **key_b64, char **cause);

/*
 * clus_join - join an existing cluster: the key checked against meta's
 * keycheck, the group must exist, the machine name unused (or this
 * machine's own serial: a rejoin); then the member record, the
 * membership here, the marks and a snapshot (cluster items replace this
 * machine's; machine items stay)
 */
int clus_join(struct store *st, const struct clus_params *p, const char *user, char **cause);

/*
 * clus_leave - cluster_leave here first, then the member and alive
 * records go from etcd (if reachable: *warning says when not); the
 * effective configuration stays
 */
int clus_leave(struct store *st, char **warning, char **cause);

/* ---------------------------------------------------------------- levels */

/* clus_commit - the candidate of a cluster or group session, to etcd; *rev the revision */
int clus_commit(struct clus *c, struct store *st, const char *user, const char *comment,
    int64_t *rev, char **cause);

/*
 * clus_sync - read the cluster's levels and records (one range read at
 * one revision) and cluster_snapshot them; also follows a group change
 * of this machine's member record. *rev the revision read.
 */
int clus_sync(struct clus *c, struct store *st, int64_t *rev, char **cause);
/* clus_sync_count - clus_sync, also telling how many items it read (mxgated's log line) */
int clus_sync_count(struct clus *c, struct store *st, int64_t *rev, int *nitems, char **cause);

/*
 * clus_apply_events - one revision of the watch on P: items and commit
 * records to cluster_apply, this member's group change to
 * cluster_group_set; other keys ignored. *main_commit as cluster_apply.
 * 1 (after applying the rest) when this machine's member record was
 * deleted: someone removed it from the cluster (the caller logs it).
 */
int clus_apply_events(struct clus *c, struct store *st, int64_t revision,
    const struct etcd_event *ev, int n, int64_t *main_commit, char **cause);

/* ------------------------------------------------------- members, groups */

struct clus_machine {
	char machine[CLUSTER_NAME_MAX], group[CLUSTER_NAME_MAX], serial[32];
	time_t joined;
	int alive;		/* its alive key is there */
	int64_t applied;	/* the revision it has applied (alive) */
	char digest[65];	/* its cluster_digest (alive) */
	time_t since;		/* alive since */
};

int clus_machines(struct clus *c, struct clus_machine **out, int *n, int64_t *rev,
    char **cause);
int clus_groups(struct clus *c, char ***names, int *n, char **cause);
int clus_group_add(struct clus *c, const char *group, char **cause);
/* clus_group_delete - refused while a machine is in it or it holds items */
int clus_group_delete(struct clus *c, const char *group, char **cause);
/* clus_machine_move - set a member's group (it applies the change itself) */
int clus_machine_move(struct clus *c, const char *machine, const char *group, char **cause);

/* ------------------------------------------------------- polling primary */

struct clus_primary {
	char machine[CLUSTER_NAME_MAX], serial[32];
	time_t since;
	int64_t create_rev;	/* the term: create_revision of P primary */
	char pin[CLUSTER_NAME_MAX];	/* P primary_pin, "" automatic */
};

/* clus_primary_get - who holds P primary (machine "" if nobody) and the pin */
int clus_primary_get(struct clus *c, struct clus_primary *p, char **cause);

/* clus_primary_pin - pin the primary to machine (NULL or "": automatic) */
int clus_primary_pin(struct clus *c, const char *machine, char **cause);

/* record JSON (for the daemon's alive and primary keys; malloc'd) */
char *clus_alive_json(const char *machine, const char *group, int64_t applied,
    const char *digest, long pid, time_t since);
char *clus_primary_json(const char *machine, const char *serial, time_t since);
int clus_primary_parse(const char *json, struct clus_primary *p);

#endif
