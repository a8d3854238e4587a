/*
 * filter.h - the message filter language (AsyncOS message and content
 * filters): parse, check references, evaluate, and apply the header
 * actions. Pure functions: no I/O; DNS answers (dnslist) and address
 * list matches (SDR exception lists) come from the caller's callbacks.
 *
 * A script holds one or more filters:
 *
 *   name: if (condition) { action; ... } [else { action; ... }]
 *
 * conditions: rule, NOT c, c AND c, c OR c, (c), true. Rules:
 *   sdr-reputation(['awful','poor'], "list")     ('bad' = 'awful')
 *   sdr-age("days"|"weeks"|"months"|"years"|"unknown", op, N, "list")
 *   sdr-unscannable("list")
 *   mail-from == "regex", rcpt-to == "regex", subject == "regex",
 *   header('X') == "regex", header('X') (present), remote-ip == "ip/cidr",
 *   recv-listener == "name", body-contains("regex"),
 *   attachment-filename == "regex", dnslist('zone')
 *   (== and != for the comparison rules; regexes are PCRE2, caseless)
 * actions: drop(), bounce(), deliver(), quarantine("name"),
 *   duplicate-quarantine("name"), log-entry("text"),
 *   insert-header('X', 'value'), strip-header('X'),
 *   edit-header-text('X', 'regex', 'replacement'), alt-rcpt-to('addr'),
 *   alt-mailhost('host'), bcc('addr'), notify('addr'), skip-filters()
 * drop, bounce, deliver and quarantine are final: they end the
 * processing of the message by all filters after the one that ran them
 * (skip-filters too, without a disposition).
 *
 * Bounds: a script is at most FILTER_SCRIPT_MAX bytes, nesting at most
 * FILTER_DEPTH_MAX, FILTER_MAX_NODES nodes per filter; a regex compiles
 * to at most FILTER_RE_SIZE_MAX bytes (code and JIT code each), the
 * regexes of one filter to FILTER_RE_TOTAL_MAX in all. Evaluation is
 * linear: every regex match of one filter_eval call (and of one
 * filter_edit_headers call) draws on one budget of FILTER_RE_BUDGET
 * PCRE2 match steps, so one call does at most O(FILTER_RE_BUDGET) regex
 * work, plus work linear in the script, the message (headers walked and
 * unfolded once, MIME walked once, body-contains reading at most
 * FILTER_BODY_MAX bytes of it) and the recipients. When the budget runs
 * out, every further match is "no match" and the outcome says so
 * (exhausted).
 *
 * Header values and attachment names are matched as written and, when
 * they hold RFC 2047 encoded-words (or RFC 2231 parameters), decoded to
 * UTF-8 as well (ISO-8859-1 and Windows-1252 are converted; the bytes of
 * other charsets are matched as they are, next to the raw text).
 * attachment-filename sees the parts of attached messages (message/rfc822)
 * too, within the same depth and part bounds.
 */
#ifndef MAIL_FILTER_H
#define MAIL_FILTER_H

#include <stddef.h>

#include "mail/sdr.h"

#define FILTER_NAME_MAX 63
#define FILTER_SCRIPT_MAX (64 * 1024)
#define FILTER_DEPTH_MAX 64
#define FILTER_MAX_NODES 4096
#define FILTER_BODY_MAX (1024 * 1024)
#define FILTER_MAX_ACTIONS 256		/* actions gathered for one message */
#define FILTER_RE_BUDGET 50000000L	/* PCRE2 match steps per evaluation or edit (~0.3 s) */
#define FILTER_RE_SIZE_MAX (32 * 1024)	/* one compiled regex, bytes (code; JIT code) */
#define FILTER_RE_TOTAL_MAX (1024 * 1024)	/* all compiled regexes of one filter, bytes */

struct filter;				/* one parsed filter */

/* A syntax error: where (1-based) and why. */
struct filter_error {
	int line, col;
	char msg[200];			/* "expected ')' after the rule's arguments" */
};

/*
 * filter_parse - every filter of text[0..len); *out gets an array of
 * *n filters (free with filter_free_all). -1 with *err on the first
 * syntax error: nothing is returned then. Names must start with a
 * letter or '_' (then letters, digits, '_', '-', '.'); duplicates in one
 * script are an error ("Duplicate filter name").
 */
int filter_parse(const char *text, size_t len, struct filter ***out, int *n,
    struct filter_error *err);

/* filter_free, filter_free_all */
void filter_free(struct filter *f);
void filter_free_all(struct filter **fs, int n);

/* filter_name - its name; filter_text - its source text exactly as parsed (one filter) */
const char *filter_name(const struct filter *f);
const char *filter_text(const struct filter *f);

/*
 * filter_refs - the address lists and quarantines a filter names, for
 * validity checks: cb(kind, name, arg) for each, kind "list" or
 * "quarantine"; a non-zero return stops the walk and is returned
 */
int filter_refs(const struct filter *f, int (*cb)(const char *kind, const char *name, void *arg),
    void *arg);

/*
 * filter_dnslists - the zones a filter's dnslist() rules ask, cb once per
 * rule (the caller looks them up before evaluating)
 */
void filter_dnslists(const struct filter *f, void (*cb)(const char *zone, void *arg), void *arg);

/* What a message looks like to a filter. */
struct filter_msg {
	const char *sender;		/* envelope sender, "" for <> */
	const char *const *rcpts;	/* envelope recipients */
	int nrcpts;
	const char *client_ip;
	const char *listener;		/* recv-listener */
	const char *data;		/* the message, CRLF lines */
	size_t len;
	const struct sdr_result *sdr;	/* NULL: no verdict (SDR off or skipped) */
	/* dnslist(zone): 1 listed, 0 not (or not asked) */
	int (*dnslist)(const char *zone, void *arg);
	/* exception(list): 1 when the message's SDR domains match address list `list` */
	int (*exception)(const char *list, void *arg);
	void *arg;
};

enum filter_action_kind {
	FA_DELIVER = 0, FA_DROP, FA_BOUNCE, FA_QUARANTINE,	/* final */
	FA_DUP_QUARANTINE, FA_LOG, FA_INSERT_HEADER, FA_STRIP_HEADER, FA_EDIT_HEADER,
	FA_ALT_RCPT, FA_ALT_MAILHOST, FA_BCC, FA_NOTIFY, FA_SKIP,
};

/* One action to carry out, in order. Strings point into the filter (valid while it lives). */
struct filter_action {
	enum filter_action_kind kind;
	const char *filter;		/* the filter that ran it */
	const char *a, *b, *c;		/* its arguments (NULL when fewer) */
};

struct filter_outcome {
	int nactions;
	struct filter_action actions[FILTER_MAX_ACTIONS];
	int final;			/* 1: a final action (or skip-filters) ended processing */
	int exhausted;			/* 1: the regex budget (FILTER_RE_BUDGET) ran out, later
					 * matches counted as no match: the verdict may be wrong */
	int partial;			/* 1: the header section was not all read (more than
					 * HEADER_MAX_COUNT headers, or one longer than
					 * HEADER_MAX_LEN): header rules saw only the first ones */
	long re_steps;			/* PCRE2 match steps charged to the budget(s) */
};

/*
 * filter_eval - run filters fs[0..n) (in order; the caller passes only
 * active, valid ones) over m, appending actions to *out (zero it first;
 * message filters then content filters may share one outcome). Stops at
 * a final action. Returns the number of filters whose condition held.
 */
int filter_eval(struct filter *const *fs, int n, const struct filter_msg *m,
    struct filter_outcome *out);

/*
 * filter_edit_headers - apply the header actions of out (insert, strip,
 * edit-header-text) to msg[0..len): a new malloc'd message in *res,
 * *rlen. Returns the number of changes (0: *res NULL, keep msg).
 */
int filter_edit_headers(const struct filter_outcome *out, const char *msg, size_t len,
    char **res, size_t *rlen);

#endif
