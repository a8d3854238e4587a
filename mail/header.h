/*
 * header.h - walk and read the header section of an RFC 5322 message.
 *
 * Pure functions over raw bytes (CRLF or bare LF line ends): no I/O, no
 * allocation. Every header and the number of headers are bounded; what
 * is beyond the bounds is reported, never read.
 */
#ifndef MAIL_HEADER_H
#define MAIL_HEADER_H

#include <stddef.h>

#define HEADER_MAX_COUNT 1000		/* headers in one message */
#define HEADER_MAX_LEN (64 * 1024)	/* one header, name to final line end */

/*
 * header_walk - call cb(name, nlen, value, vlen, arg) for each header of
 * msg[0..len). name is the field name without the colon (and without
 * obsolete white space before it); value is the raw, still folded value
 * after the colon and SP/HTAB, without the final line end. The walk ends
 * at the empty line (*body_off: the first body byte, len if none), at a
 * line that is neither a header nor a continuation (*body_off: that line,
 * which belongs to the body, as in Postfix), or at the end of the input
 * (*body_off = len). Returns the number of headers; -1 with *body_off at
 * the offending header when there are more than HEADER_MAX_COUNT or one
 * is longer than HEADER_MAX_LEN. A non-zero cb result stops the walk:
 * the count includes that header and *body_off is just past it.
 */
int header_walk(const char *msg, size_t len,
    int (*cb)(const char *name, size_t nlen, const char *value, size_t vlen, void *arg),
    void *arg, size_t *body_off);

/*
 * header_unfold - copy a raw value into out[size]: leading and trailing
 * white space trimmed, each run of white space containing a line break
 * (a fold, or a stray CR or LF) replaced by one space, NUL bytes by '?'.
 * Other white space is kept. Truncates at a UTF-8 character boundary;
 * returns the length written (always NUL-terminated when size > 0).
 */
size_t header_unfold(const char *value, size_t vlen, char *out, size_t size);

struct header_info {
	char message_id[1000];	/* Message-ID as written, <> included */
	char subject[1000];	/* Subject, unfolded, MIME words left encoded */
	char from[1000];	/* From */
	char date[200];		/* Date */
	int has_message_id;	/* a Message-ID header was present */
	int has_date;		/* a Date header was present */
	int has_from;		/* a From header was present */
	int has_subject;	/* a Subject header was present */
	int nheaders;		/* headers walked */
	int nreceived;		/* Received: headers among them (hops so far) */
	size_t body_off;	/* from header_walk */
};

/*
 * header_scan - fill *hi from the first occurrence of each header
 * (unfolded; missing ones are ""). Returns header_walk's result; on -1
 * *hi holds what came before the bad header.
 */
int header_scan(const char *msg, size_t len, struct header_info *hi);

/*
 * header_find - the first header named name (case-insensitive): returns
 * 1 with its unfolded value in out[size], or 0 (also when the walk stops
 * at a limit before finding it).
 */
int header_find(const char *msg, size_t len, const char *name, char *out, size_t size);

#endif
