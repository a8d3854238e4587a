/*
 * confcheck.h - the rules that span several configuration items, checked
 * on the whole configuration inside commit (confcheck.c).
 *
 * A command checks its own change when it stages it, against what its
 * session sees. Two sessions can each stage a change that is fine alone
 * and wrong together (session 1 gives policy P a custom intake address
 * in the global address's domain and commits; session 2, which staged a
 * new global address in another domain earlier, commits after it). So
 * commit runs confcheck_commit on the merged result (running
 * configuration + this session's candidate) inside its write transaction,
 * where no other commit can land, and refuses the commit if a rule breaks.
 *
 * The rules: the Threat Defense Connector's (tdcrules.c); the content
 * filters an incoming policy names exist; the SDR exception list exists
 * and holds only domains (confcheck.c).
 *
 * Layers: store/ must not call mail/, so the store takes the check as a
 * callback (config_commit_check in store/config.h); commands/cmd_commit.c
 * passes this one.
 */
#ifndef MAIL_CONFCHECK_H
#define MAIL_CONFCHECK_H

#include "store/store.h"

/*
 * confcheck_commit - a config_check_cb: every cross-item rule on the
 * configuration as st sees it. -1 with a one-line *cause naming the rule
 * that breaks. arg is unused.
 */
int confcheck_commit(struct store *st, void *arg, char **cause);

#endif
