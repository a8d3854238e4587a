/*
 * sdrconfig.h - the shell's side of Sender Domain Reputation, shared by
 * its commands: sdradvancedconfig's operations (sdrconfig.c), each run
 * from the batch form and from the dialogue with the same checks and
 * words, and the status and "explain" reports (cmd_sdrstatus.c) that
 * sdrstatus and sdrdiagnostics both print.
 *
 * Every operation checks everything before it stages anything, and
 * stages all of it or nothing (config_begin/config_end); the values are
 * mail/sdrconf.c's and mail/sdr.c's to judge. DIAGNOSTICS: one error
 * line per refusal; the operation then returns CMD_ERROR.
 */
#ifndef COMMANDS_SDRCONFIG_H
#define COMMANDS_SDRCONFIG_H

#include <stddef.h>

#include "commands/cmd.h"
#include "mail/addrlist.h"
#include "mail/sdrconf.h"

/* Largest local reputation CSV file `local import` reads. */
#define SDRCONFIG_CSV_MAX (32 * 1024 * 1024)
/* Largest RDAP bootstrap file (the sdr.rdap_bootstrap row's limit). */
#define SDRCONFIG_BOOTSTRAP_MAX (4 * 1024 * 1024)
/* The directory under the data directory that exports are written to. */
#define SDRCONFIG_EXPORT_DIR "configuration"

/* sdrconfig_load - the SDR configuration as this session sees it; error printed */
int sdrconfig_load(struct cli *c, struct sdr_conf *conf);

/*
 * sdrconfig_stage - stage settings names[i] = values[i] (NULL: skip),
 * all or nothing; a value back at an unstored default drops the pending
 * edit. Error printed.
 */
enum cmd_ret sdrconfig_stage(struct cli *c, const char *const *names, const char *const *values,
    int n);

/* ---------------------------------------------------------- values (causes, not printed) */

/*
 * sdrconfig_exception_list - in names a domain-only address list (any
 * case) or is empty (none); its stored name into out. -1 with *cause.
 */
int sdrconfig_exception_list(struct cli *c, const char *in, char *out, size_t size,
    char **cause);

/* sdrconfig_rdap_url - "" or an http(s) URL, given a trailing '/', into out; -1 with *cause */
int sdrconfig_rdap_url(const char *in, char *out, size_t size, char **cause);

/*
 * sdrconfig_bootstrap - the text of the RDAP bootstrap file path (read
 * with the operator's rights), checked to be RFC 9224 dns.json; malloc'd,
 * or NULL with *cause
 */
char *sdrconfig_bootstrap(struct cli *c, const char *path, char **cause);

/* ---------------------------------------------------------- operations (errors printed) */

/* sdrconfig_print_settings - the sdradvancedconfig settings and a summary of the sources */
enum cmd_ret sdrconfig_print_settings(struct cli *c);

/* sdrconfig_blocklist_put - blocklist new (edit 0) or edit (edit 1) ZONE with codes */
enum cmd_ret sdrconfig_blocklist_put(struct cli *c, const char *zone, const char *codes, int edit);
enum cmd_ret sdrconfig_blocklist_delete(struct cli *c, const char *zone);
enum cmd_ret sdrconfig_blocklist_print(struct cli *c);

/* sdrconfig_local_add - one entry, "VERDICT" or "VERDICT/CATEGORY"; replaces the domain's */
enum cmd_ret sdrconfig_local_add(struct cli *c, const char *domain, const char *spec);
enum cmd_ret sdrconfig_local_delete(struct cli *c, const char *domain);
/* sdrconfig_local_import - a CSV file: all of it, or nothing ("line N: why") */
enum cmd_ret sdrconfig_local_import(struct cli *c, const char *path);
/* sdrconfig_local_export - DIR/configuration/NAME, new unless force */
enum cmd_ret sdrconfig_local_export(struct cli *c, const char *name, int force);
enum cmd_ret sdrconfig_local_print(struct cli *c);

/* sdrconfig_feed_new - a TAXII collection to poll */
enum cmd_ret sdrconfig_feed_new(struct cli *c, const char *name, const char *url);
enum cmd_ret sdrconfig_feed_delete(struct cli *c, const char *name);
enum cmd_ret sdrconfig_feed_print(struct cli *c);

/* ---------------------------------------------------------- reports (cmd_sdrstatus.c) */

/* sdrstatus_print - enabled, the sources, the feeds' state, mxgated's gauges */
enum cmd_ret sdrstatus_print(struct cli *c);

/* sdrstatus_feeds - each configured feed with its polling state (queue.db) */
enum cmd_ret sdrstatus_feeds(struct cli *c);

/*
 * sdrstatus_explain - what every source says about domain now: asked of
 * mxgated (request sdrexplain), or from the local table and the stored
 * feed indicators when it is not running
 */
enum cmd_ret sdrstatus_explain(struct cli *c, const char *domain);

#endif
