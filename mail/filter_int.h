/*
 * filter_int.h - what the parts of the filter language share (not for
 * other modules): the parsed form of a filter, the regex settings and
 * the limits. filter.c parses, filter_eval.c evaluates, filter_edit.c
 * applies the header actions.
 */
#ifndef MAIL_FILTER_INT_H
#define MAIL_FILTER_INT_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stddef.h>

#include "mail/filter.h"

#define FILTER_RE_MATCH_LIMIT 1000000	/* PCRE2 steps per match call, at most */
#define FILTER_RE_STEP0 1000		/* a call's first limit, plus its subject's length */
#define FILTER_RE_GROW 8		/* a call that hits its limit is run again with this times more */
#define FILTER_RE_DEPTH_LIMIT 10000	/* PCRE2 backtracking depth (interpreter) */
#define FILTER_RE_HEAP_LIMIT (32 * 1024)	/* PCRE2 heap, KiB (interpreter) */
#define FILTER_RE_JIT_STACK (512 * 1024)	/* JIT stack, bytes */
#define FILTER_RE_GROUPS 10		/* \0 .. \9 in a replacement */

/*
 * What running filter regexes needs: one per evaluation or edit. The
 * budget is shared by every match of that evaluation or edit: each
 * pcre2_match call runs with its match limit set to at most what is left,
 * first FILTER_RE_STEP0 plus the subject's length, then FILTER_RE_GROW
 * times more each time it hits that limit (up to FILTER_RE_MATCH_LIMIT),
 * and every limit it ran under is charged. A call that completes used no
 * more than its last limit, so what is charged is never less than the
 * work PCRE2 counted, and never more than FILTER_RE_GROW times it plus
 * the first limit. Once the budget is spent every match is "no match".
 */
struct filter_rx {
	pcre2_match_data *md;		/* FILTER_RE_GROUPS groups */
	pcre2_match_context *mc;	/* the limits */
	pcre2_jit_stack *js;		/* NULL: JIT's default stack */
	long budget;			/* match steps left (FILTER_RE_BUDGET at init) */
	long charged;			/* match steps charged so far */
	long calls;			/* pcre2_match calls made */
	int exhausted;			/* the budget ran out: matches since then failed */
};

/* What a condition node is: an operator, true, or one rule. */
enum filter_node_kind {
	FN_TRUE, FN_AND, FN_OR, FN_NOT,
	FN_SDR_REP, FN_SDR_AGE, FN_SDR_UNSCAN,
	FN_MAIL_FROM, FN_RCPT_TO, FN_SUBJECT, FN_HEADER, FN_HEADER_PRESENT,
	FN_REMOTE_IP, FN_LISTENER, FN_BODY, FN_ATTACH, FN_DNSLIST,
};

/* sdr-age's unit and operator */
enum filter_age_unit { FAGE_DAYS, FAGE_WEEKS, FAGE_MONTHS, FAGE_YEARS, FAGE_UNKNOWN };
enum filter_cmp_op { FOP_LT, FOP_LE, FOP_GT, FOP_GE, FOP_EQ, FOP_NE };

/* An IP address or network (remote-ip). */
struct filter_ipnet {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network order; 4 bytes used for IPv4 */
	int bits;			/* prefix length */
};

/* One node of a condition. */
struct filter_node {
	enum filter_node_kind kind;
	int neg;			/* the comparison was != */
	int first, next;		/* first child, next sibling (indices, -1 none) */
	char *str;			/* header name, listener, zone or exception list ("" none) */
	pcre2_code *re;			/* compiled regex of a comparison */
	unsigned int verdicts;		/* sdr-reputation: bit per enum sdr_verdict */
	enum filter_age_unit unit;	/* sdr-age */
	enum filter_cmp_op op;		/* sdr-age */
	long n;				/* sdr-age */
	struct filter_ipnet ip;		/* remote-ip */
};

/* One action as written. */
struct filter_act {
	enum filter_action_kind kind;
	char *arg[3];			/* its arguments, NULL past the last */
};

/* One parsed filter. */
struct filter {
	char name[FILTER_NAME_MAX + 1];
	char *text;			/* the source, name to closing brace */
	struct filter_node *nodes;	/* the condition, nodes[root]; children by index */
	int nnodes, capnodes, root;
	struct filter_act *acts;	/* the then-actions, then the else-actions */
	int nthen, nelse, capacts;
};

/*
 * filter_re_compile - a filter regex: PCRE2, caseless, multi-line, UTF-8
 * (invalid UTF-8 in subjects allowed); NULL with PCRE2's message in
 * msg[size]
 */
pcre2_code *filter_re_compile(const char *pat, char *msg, size_t size);
#define FILTER_RE_TOOBIG "regular expression too large"	/* filter_re_compile's message, size */

/*
 * filter_re_size - the memory a compiled regex holds: its code plus its
 * JIT code (bounded per regex by FILTER_RE_SIZE_MAX, per filter by
 * FILTER_RE_TOTAL_MAX at parse time)
 */
size_t filter_re_size(const pcre2_code *re);

/* filter_rx_init, filter_rx_free - match data and context with the filter limits and budget */
void filter_rx_init(struct filter_rx *rx);
void filter_rx_free(struct filter_rx *rx);

/*
 * filter_rx_match - re on s[0..n) from start: PCRE2's result; a limit
 * hit, a spent budget (rx->exhausted set) or an error is < 0 like no
 * match
 */
int filter_rx_match(struct filter_rx *rx, const pcre2_code *re, const char *s, size_t n,
    size_t start);

/* filter_ipnet_parse - "1.2.3.4", "10.0.0.0/8", "2001:db8::1", "2001:db8::/32" */
int filter_ipnet_parse(const char *s, struct filter_ipnet *ip);

/* filter_action_final - deliver, drop, bounce, quarantine */
int filter_action_final(enum filter_action_kind k);

/* filter_hname_eq - is the n-byte header name equal to want, ignoring case? */
int filter_hname_eq(const char *name, size_t n, const char *want);

#endif
