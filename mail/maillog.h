/*
 * maillog.h - what one mail_logs line says about IDs: the MIDs, ICID and
 * DCID it names, the message it derives from another, the end of a
 * message or a connection, and the envelope and Subject values that
 * findevent searches (spec/asyncos-cli.md §4, §12).
 *
 * IDs are read only from the structured head of a line: the scan stops
 * at the first quote, '<', '(' or '[', at the first "word:" after an ID,
 * after 6 words without an ID and 4 words after the last one, so text a
 * peer controls (a Subject, an address, a server reply, a TLS error) can
 * never make a line name a message it is not about.
 */
#ifndef MAIL_MAILLOG_H
#define MAIL_MAILLOG_H

#include <stddef.h>

#define MAILLOG_MAX_MIDS 4

enum maillog_val {
	MAILLOG_VAL_NONE = 0,
	MAILLOG_VAL_FROM,	/* "MID n ICID i From: <addr>", i != 0 */
	MAILLOG_VAL_TO,		/* "MID n ICID i RID r To: <addr>", i != 0 */
	MAILLOG_VAL_SUBJECT,	/* "MID n Subject 'text'" (or "text") */
};
#define MAILLOG_NVALS 4

struct maillog_line {
	size_t ts_len;			/* the timestamp is line[0, ts_len) */
	int nmid;			/* MIDs named, in order, without repeats */
	long long mid[MAILLOG_MAX_MIDS];
	long long icid;			/* ICID named (0: none, or ICID 0) */
	long long dcid;			/* DCID named (0: none, or DCID 0) */
	long long parent, child;	/* "child derives from parent" (split, copy, bounce, rewrite) */
	long long finished;		/* "Message finished MID n done" (or aborted): n */
	long long start0;		/* "Start MID n ICID 0": n (a generated message) */
	int close;			/* "ICID n close" / "DCID n close" */
	int late;			/* an event after the message's life: "TDC: MID n
					 * remediation ...", "MID c was generated based on
					 * MID n by remediation r" (issue 12) */
	enum maillog_val vkind;		/* a findevent value on this line */
	long long vmid;			/* its MID */
	const char *val;		/* the value: address without <>, or Subject text */
	size_t vlen;
};

/*
 * maillog_parse - classify one line (without its newline). 0, or -1 when
 * the line has no "Www Mmm dd hh:mm:ss yyyy Level: " prefix (such lines
 * belong to no message). Pointers in out point into line.
 */
int maillog_parse(const char *line, size_t len, struct maillog_line *out);

#endif
