/*
 * config.h - configuration items, the per-session candidate, commits,
 * history and rollback.
 *
 * An item is (section, key) -> value text. Reads in a session see the
 * running items with the session's pending edits laid over them. An edit
 * records the revision the item had when first touched; commit applies
 * all edits in one BEGIN IMMEDIATE transaction and refuses, naming the
 * item, if any of them changed underneath (another session committed).
 */
#ifndef STORE_CONFIG_H
#define STORE_CONFIG_H

#include <stdint.h>
#include <time.h>

#include "store/store.h"

/* config_item_cb - one item; return non-zero to stop the walk */
typedef int (*config_item_cb)(const char *section, const char *key, const char *value, void *arg);

/* config_change_cb - one change: old or new may be NULL (created / deleted) */
typedef int (*config_change_cb)(const char *section, const char *key, const char *oldv,
    const char *newv, void *arg);

struct config_commit {
	int64_t id;		/* commit number, increasing */
	time_t when;		/* commit time */
	char user[64];		/* who committed */
	char comment[256];	/* operator's comment */
	int nchanges;		/* items changed */
};

/* config_commit_cb - one history entry */
typedef int (*config_commit_cb)(const struct config_commit *c, void *arg);

/* config_get - value of an item as this session sees it; *value NULL if absent */
int config_get(struct store *st, const char *section, const char *key, char **value, char **cause);

/* config_get_running - committed value of an item, ignoring the candidate */
int config_get_running(struct store *st, const char *section, const char *key, char **value,
    char **cause);

/* config_has_running - is an item committed? 1, 0, -1; a secret is not decrypted */
int config_has_running(struct store *st, const char *section, const char *key, char **cause);

/* config_list - items of a section as this session sees them, ordered by key */
int config_list(struct store *st, const char *section, config_item_cb cb, void *arg, char **cause);

/* config_count_atleast - *reached: a section has limit items or more, as this session sees it */
int config_count_atleast(struct store *st, const char *section, long long limit, int *reached,
    char **cause);

/* config_set - stage a new value in the candidate */
int config_set(struct store *st, const char *section, const char *key, const char *value,
    char **cause);

/* config_delete - stage the removal of an item */
int config_delete(struct store *st, const char *section, const char *key, char **cause);

/* config_set_if - config_set unless the item already has this value (nothing staged then) */
int config_set_if(struct store *st, const char *section, const char *key, const char *value,
    char **cause);

/* config_delete_if - config_delete of an item that is there; 1 (nothing staged) if it is not */
int config_delete_if(struct store *st, const char *section, const char *key, char **cause);

/*
 * config_begin, config_end - group edits so that they are staged all or
 * none: config_end(st, 1) keeps the edits made since config_begin,
 * config_end(st, 0) undoes them (a SAVEPOINT on the candidate). Groups do
 * not nest; a command that stages several items calls them around its
 * writes so that a store error half-way leaves nothing half-staged.
 */
int config_begin(struct store *st, char **cause);
int config_end(struct store *st, int keep, char **cause);

/* config_pending - number of staged changes (0 if none, -1 on error) */
int config_pending(struct store *st);

/* config_pending_list - staged changes, old = running value */
int config_pending_list(struct store *st, config_change_cb cb, void *arg, char **cause);

/* config_clear - discard the candidate */
int config_clear(struct store *st, char **cause);

/* config_commit - apply the candidate atomically; *id gets the commit number */
int config_commit(struct store *st, const char *user, const char *comment, int64_t *id,
    char **cause);

/*
 * config_check_cb - a whole-configuration check run by commit inside its
 * write transaction, after the candidate is applied: every read through st
 * sees the merged result (running configuration + candidate) and no other
 * commit can land meanwhile. 0 to go on; -1 with a malloc'd *cause refuses
 * the commit. The callback only reads.
 */
typedef int (*config_check_cb)(struct store *st, void *arg, char **cause);

/*
 * config_commit_check - config_commit, refused with check's cause (nothing
 * applied, the candidate kept) when check fails on the merged result;
 * check NULL: none. The store knows no rules: the caller supplies them
 * (commands/cmd_commit.c passes mail/confcheck.c's).
 */
int config_commit_check(struct store *st, const char *user, const char *comment,
    config_check_cb check, void *arg, int64_t *id, char **cause);

/* config_history - the latest commits, newest first, at most limit */
int config_history(struct store *st, int limit, config_commit_cb cb, void *arg, char **cause);

/* config_commit_get - one commit's header; 0 found, 1 not found, -1 error */
int config_commit_get(struct store *st, int64_t id, struct config_commit *c, char **cause);

/* config_commit_changes - what one commit changed */
int config_commit_changes(struct store *st, int64_t id, config_change_cb cb, void *arg,
    char **cause);

/* config_stage_rollback - stage the changes that restore the state after commit id */
int config_stage_rollback(struct store *st, int64_t id, char **cause);

/* config_version - number of the latest commit (0 before any); cheap, for polling */
int64_t config_version(struct store *st);

#endif
