/*
 * findevent.h - message tracking over a mail log's files (findevent,
 * spec/asyncos-cli.md §4): every line of one message's life, and the
 * messages whose envelope sender, recipient or Subject matches a
 * regular expression.
 *
 * A message's lines are, in file order and each once:
 *   - every line naming one of its MIDs (up to its "Message finished"),
 *     the MIDs being the message's and, recursively, those derived from
 *     it (policy splits, journal copies, bounces, rewrites);
 *   - the lines of its inbound connection (ICID) and of the delivery
 *     connections (DCID) that carried it: lines that name the connection
 *     and no MID, from its first line up to its "close" (lines before the
 *     message appeared on the connection included).
 * A connection is the message's once a line of the message names it.
 *
 * Two ways give the same answers: the index (mail/logindex.h), used when
 * it can be kept in DIR/.index, and a scan of every line (FINDEVENT_SCAN,
 * or when the index cannot be written). The index answers are checked
 * against the lines they point to; a damaged index is rebuilt.
 */
#ifndef MAIL_FINDEVENT_H
#define MAIL_FINDEVENT_H

#include <stddef.h>

#include "mail/maillog.h"
#include "util/logset.h"

#define FINDEVENT_SCAN	0x01	/* read every line: no index */

struct findevent;
struct findevent_re;

/* A line: which file of the set, and where in it. */
struct findevent_pos {
	int file;		/* index in the set given to findevent_open */
	long long off;		/* byte offset of the line */
};

/* A message found by a search. */
struct findevent_hit {
	long long mid;
	struct findevent_pos pos;	/* its first matching line */
	char when[40];			/* that line's timestamp */
	char *value;			/* the matching value (malloc'd, NUL-terminated) */
	size_t vlen;			/* its length */
};

/*
 * findevent_open - open the files of set (a log in dir, oldest first).
 * Unless FINDEVENT_SCAN, the index is brought up to date (this is where
 * a first use indexes the files). 0; 1 if a file of the set has gone (a
 * rollover in between: list the files again); -1 with *cause.
 */
int findevent_open(const char *dir, const char *prefix, const struct logset *set, int flags,
    struct findevent **out, char **cause);

/* findevent_close - close the files, unmap the index */
void findevent_close(struct findevent *fe);

/* findevent_indexed - is the index serving this session? (0: scanning) */
int findevent_indexed(const struct findevent *fe);

/*
 * findevent_mid - the lines of message mid and its derived messages, in
 * file order: *pos malloc'd, *n of them. 0, or -1 with *cause.
 */
int findevent_mid(struct findevent *fe, long long mid, struct findevent_pos **pos, size_t *n,
    char **cause);

/* findevent_re_new - compile a PCRE2 pattern; NULL with a one-line *cause */
struct findevent_re *findevent_re_new(const char *pattern, int caseless, char **cause);

/* findevent_re_free - release a pattern */
void findevent_re_free(struct findevent_re *re);

/*
 * findevent_search - the messages with a value of this kind (From, To,
 * Subject) that re matches: one hit per MID (its first match in file
 * order), sorted by MID; *hits malloc'd. 0, or -1 with *cause.
 */
int findevent_search(struct findevent *fe, enum maillog_val kind, const struct findevent_re *re,
    struct findevent_hit **hits, size_t *n, char **cause);

/* findevent_hits_free - release search results */
void findevent_hits_free(struct findevent_hit *hits, size_t n);

/*
 * findevent_line - the text of the line at pos into buf (cap at least
 * LINEREAD_MAX + 1); 0 with *len, or -1 on a read error
 */
int findevent_line(struct findevent *fe, const struct findevent_pos *pos, char *buf, size_t cap,
    size_t *len);

#endif
