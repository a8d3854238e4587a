/*
 * policyconfig.h - the operations behind `policyconfig` (policyconfig.c),
 * used by its batch forms and its dialogue (cmd_policyconfig.c).
 *
 * Every operation takes the direction and the policy's name, prints its
 * own output and its one-line errors through the cli, and either stages
 * the whole change (CMD_OK) or nothing (CMD_ERROR).
 */
#ifndef COMMANDS_POLICYCONFIG_H
#define COMMANDS_POLICYCONFIG_H

#include "commands/cmd.h"
#include "mail/policy.h"

/* The refusal of tdc= and tdc_polling= on an outgoing policy. */
#define POLICYCONFIG_NO_OUTGOING_TDC \
	"Outgoing mail policies have no Threat Defense Connector setting: only incoming mail " \
	"is journaled."

/* The refusal of content_filters= on an outgoing policy. */
#define POLICYCONFIG_NO_OUTGOING_CFILTERS \
	"Outgoing mail policies have no content filters: they apply to incoming mail."

/* The two member lists of a policy. */
enum policyconfig_side { POLICYCONFIG_RCPT = 0, POLICYCONFIG_SENDER = 1 };

/* policyconfig_primary - the side a direction's policies are chosen by */
enum policyconfig_side policyconfig_primary(enum policy_dir dir);

/* policyconfig_side_key - "recipients" / "senders" (the batch key without '=') */
const char *policyconfig_side_key(enum policyconfig_side s);

/* policyconfig_side_one - "recipient" / "sender" */
const char *policyconfig_side_one(enum policyconfig_side s);

/* policyconfig_members - a policy's member list on one side; *n its length */
char *const *policyconfig_members(const struct policy *p, enum policyconfig_side s, int *n);

/* policyconfig_check_members - is text a valid member list? error printed */
int policyconfig_check_members(struct cli *c, const char *text);

/* policyconfig_check_address - a full address (search); error printed */
int policyconfig_check_address(struct cli *c, const char *addr);

/* policyconfig_load - the table as this session sees it; error printed */
int policyconfig_load(struct cli *c, enum policy_dir dir, struct policy_table *t);

/* policyconfig_print_table - "Incoming Mail Policy Configuration" and a row per policy */
void policyconfig_print_table(struct cli *c, const struct policy_table *t);

/* policyconfig_print_details - one policy in full */
void policyconfig_print_details(struct cli *c, const struct policy_table *t, int i);

/*
 * policyconfig_new - a new policy just above DEFAULT; rcpts/senders:
 * member lists or NULL; tdc: its tdc= value (incoming only) or NULL;
 * cfilters: its content_filters= value (incoming only) or NULL
 */
enum cmd_ret policyconfig_new(struct cli *c, enum policy_dir dir, const char *name,
    const char *rcpts, const char *senders, const char *tdc, const char *cfilters);

/*
 * policyconfig_edit - apply n key=value changes to one policy (name,
 * recipients, senders; incoming also tdc, content_filters, and on
 * DEFAULT tdc_polling)
 */
enum cmd_ret policyconfig_edit(struct cli *c, enum policy_dir dir, const char *name, int n,
    char *const *keys, char *const *vals);

/* policyconfig_add_members - append a member list to one side */
enum cmd_ret policyconfig_add_members(struct cli *c, enum policy_dir dir, const char *name,
    enum policyconfig_side s, const char *text);

/* policyconfig_remove_member - drop one member from one side */
enum cmd_ret policyconfig_remove_member(struct cli *c, enum policy_dir dir, const char *name,
    enum policyconfig_side s, const char *member);

/* policyconfig_delete - remove a policy (not DEFAULT) */
enum cmd_ret policyconfig_delete(struct cli *c, enum policy_dir dir, const char *name);

/* policyconfig_move - put a policy at a 1-based position above DEFAULT */
enum cmd_ret policyconfig_move(struct cli *c, enum policy_dir dir, const char *name,
    const char *pos_text);

/* policyconfig_clear - remove every policy but DEFAULT */
enum cmd_ret policyconfig_clear(struct cli *c, enum policy_dir dir);

/* policyconfig_print - the summary table (name NULL) or one policy */
enum cmd_ret policyconfig_print(struct cli *c, enum policy_dir dir, const char *name);

/*
 * policyconfig_search - the policies with a member matching addr, then
 * the first match for mail to (incoming) or from (outgoing) addr; other
 * is the address on the other side, or NULL if unknown
 */
enum cmd_ret policyconfig_search(struct cli *c, enum policy_dir dir, const char *addr,
    const char *other);

#endif
