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
 *
 * The commands check each item they write; a configuration file
 * (loadconfig) writes items nobody checked. confcheck_items reads every
 * section mxgated reads with the parsers mxgated builds its snapshot
 * with (daemon/conf.c conf_load), so a file that mxgated could not apply
 * is refused when it is loaded, not at commit. A section is known when
 * it has a row in confcheck.c's sections[]: a feature that adds a
 * section adds its row there and its loader to conf_load.
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

/* confcheck_rules - the rules of confcheck_commit, -1 with the bare one-line *cause */
int confcheck_rules(struct store *st, char **cause);

/* Which item a failed confcheck_items blames. */
struct confcheck_where {
	char section[64];	/* its section ("" when none) */
	char key[256];		/* its key ("" when the section as a whole is read) */
};

/* confcheck_section_known - 1 if mxgated reads section (or it is a setting), else 0 */
int confcheck_section_known(const char *section);

/*
 * confcheck_items - every known section as st sees it (a session: the
 * candidate over the running items) read with mxgated's own parsers;
 * message and content filters must also parse (one filter of the item's
 * name: a filter that only names a list or quarantine that is missing is
 * kept invalid, as commit keeps it). Settings are not read: the store
 * checks each one as it is written (store/settings.h). -1 with a
 * one-line *cause and w naming the section and, when one item is to
 * blame, its key.
 */
int confcheck_items(struct store *st, struct confcheck_where *w, char **cause);

#endif
