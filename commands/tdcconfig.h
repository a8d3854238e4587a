/*
 * tdcconfig.h - the shell's side of the Threat Defense Connector settings
 * (tdcconfig.c), shared by `tdcconfig` (cmd_tdcconfig.c) and the
 * per-policy TDC setting of `policyconfig` (policyconfig.c).
 *
 * The values and the rules that tie them together are mail/tdcrules.c's
 * (they are checked again on the whole configuration at commit,
 * mail/confcheck.c); this file reads them as the session sees them,
 * prints the rules' causes as one-line errors and stages changes, so that
 * every front end refuses the same things with the same words.
 */
#ifndef COMMANDS_TDCCONFIG_H
#define COMMANDS_TDCCONFIG_H

#include "commands/cmd.h"
#include "mail/tdcrules.h"

/* tdcconfig_load - the values as this session sees them (pending changes included); error printed */
int tdcconfig_load(struct cli *c, struct tdcrules_vals *v);

/*
 * tdcconfig_value - tdcrules_value, error printed (an error about a
 * secret never shows the value)
 */
int tdcconfig_value(struct cli *c, const struct tdcrules_vals *cur, enum tdcrules_key k,
    const char *in, char *out);

/*
 * tdcconfig_check - do the values v (a change of cur) follow every rule,
 * the incoming policies' custom addresses included? error printed
 */
int tdcconfig_check(struct cli *c, const struct tdcrules_vals *cur,
    const struct tdcrules_vals *v);

/*
 * tdcconfig_stage - stage the values of v that differ from this session's
 * view (a value back at an unstored default drops the pending edit).
 * Callers group it with config_begin/config_end. Error printed.
 */
int tdcconfig_stage(struct cli *c, const struct tdcrules_vals *v);

/* tdcconfig_save - tdcconfig_stage, all or nothing */
enum cmd_ret tdcconfig_save(struct cli *c, const struct tdcrules_vals *v);

/*
 * tdcconfig_save_api - tdcconfig_save, and with it (issue 12): the
 * verdicts remediated when polling (verdicts, NULL: unchanged); the
 * AsyncOS API over HTTP and HTTPS when v turns the Email Threat Defense
 * API on (it needs API_HTTPD and API_HTTPSD); tdc.polling_primary = this
 * gateway's serial when v turns polling on (or it is on with none). One
 * line says what was also turned on. All or nothing; error printed.
 */
enum cmd_ret tdcconfig_save_api(struct cli *c, const struct tdcrules_vals *cur,
    const struct tdcrules_vals *v, const char *verdicts);

/*
 * tdcconfig_verdicts - a comma list of ETD verdicts (spam, malicious,
 * phishing, graymail, neutral, bec, scam, noVerdict; any case) in its
 * stored form into out: canonical spelling, no repeats; -1 with *cause
 */
int tdcconfig_verdicts(const char *in, char *out, size_t size, char **cause);

/*
 * tdcconfig_primary - how print shows the polling primary: "this gateway
 * is the polling primary", "polling primary: SERIAL" or "no polling
 * primary", into out
 */
void tdcconfig_primary(struct cli *c, char *out, size_t size);

/* tdcconfig_also_off - "Also disabled: ..." for the bits tdcrules_cascade returned */
void tdcconfig_also_off(struct cli *c, unsigned off);

/*
 * tdcconfig_policy_value - tdcrules_policy_value against the global
 * intake address this session sees, into out (320 bytes); error printed
 */
int tdcconfig_policy_value(struct cli *c, int is_default, const char *in, char *out,
    size_t size);

/* tdcconfig_need_global - is a global intake address set (custom ones need it)? error printed */
int tdcconfig_need_global(struct cli *c);

/* tdcconfig_check_custom - is a custom intake address valid and in the global domain? */
int tdcconfig_check_custom(struct cli *c, const char *addr);

/* tdcconfig_domain - the domain of the global intake address as this session sees it, or "" */
void tdcconfig_domain(struct cli *c, char *out, size_t size);

#endif
