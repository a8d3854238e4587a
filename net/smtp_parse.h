/*
 * smtp_parse.h - pure SMTP parsers: command lines, MAIL/RCPT paths and
 * parameters (RFC 5321, 1870, 6152), replies and EHLO capabilities.
 *
 * Nothing here does I/O, allocates or keeps state. Input is bounded by
 * the RFC 5321 4.5.3 limits below; output goes into caller-owned
 * fixed-size structures. Server-side parsers answer with a static,
 * complete SMTP reply that never echoes peer text.
 */
#ifndef NET_SMTP_PARSE_H
#define NET_SMTP_PARSE_H

#include <stddef.h>

#define SMTP_LINE_MAX 1000	/* RFC 5321 4.5.3.1.4: command line incl. CRLF */
#define SMTP_LOCAL_MAX 64	/* RFC 5321 4.5.3.1.1: local part */
#define SMTP_DOMAIN_MAX 255	/* RFC 5321 4.5.3.1.2: domain */
#define SMTP_PATH_MAX 256	/* RFC 5321 4.5.3.1.3: path incl. "<" and ">" */
#define SMTP_REPLY_LINE_MAX (SMTP_LINE_MAX * 4)	/* longest reply line we take */
#define SMTP_REPLY_LINES_MAX 100	/* most lines in one reply */

enum smtp_verb {
	SMTP_V_UNKNOWN = 0,	/* not a command we know (or a refused line) */
	SMTP_V_HELO,
	SMTP_V_EHLO,
	SMTP_V_MAIL,
	SMTP_V_RCPT,
	SMTP_V_DATA,
	SMTP_V_BDAT,
	SMTP_V_RSET,
	SMTP_V_NOOP,
	SMTP_V_QUIT,
	SMTP_V_VRFY,
	SMTP_V_EXPN,
	SMTP_V_HELP,
	SMTP_V_STARTTLS,
	SMTP_V_AUTH,
};

struct smtp_cmd {
	enum smtp_verb verb;	/* SMTP_V_UNKNOWN when refused */
	const char *arg;	/* into the line after "VERB" and its white space, or "" */
	size_t arglen;		/* bytes of arg to the line end, less trailing SP/HTAB */
	const char *reply;	/* on -1: static reply to send ("500 5.5.2 ..."), else NULL */
};

/*
 * smtp_parse_command - split one command line (without CRLF, len bytes)
 * into verb and argument. Verbs are case-insensitive and end at SP/HTAB
 * or the line end ("MAIL FROM:<>" is MAIL with arg "FROM:<>"). Returns 0
 * for a known verb; -1 with verb UNKNOWN and cmd->reply set for an
 * unknown verb, a line longer than SMTP_LINE_MAX - 2 or one containing
 * NUL bytes. arg is a C string only if line[len] == '\0'.
 */
int smtp_parse_command(const char *line, size_t len, struct smtp_cmd *cmd);

/* smtp_parse_verb_name - upper-case name of a verb ("UNKNOWN" for others), for logs */
const char *smtp_parse_verb_name(enum smtp_verb verb);

struct smtp_path {
	int null_path;			/* "<>" */
	char addr[SMTP_PATH_MAX + 1];	/* local@domain as written, no <> or route */
	char local[SMTP_LOCAL_MAX + 1];	/* local part as written (quotes kept) */
	char domain[SMTP_DOMAIN_MAX + 1];	/* lower-cased; "" for <> and <postmaster> */
};

#define SMTP_MAX_PARAMS 8		/* ESMTP parameters on one MAIL/RCPT */

struct smtp_params {
	unsigned long long size;	/* SIZE= (RFC 1870), 0 if absent */
	int body_8bit;			/* BODY=8BITMIME (RFC 6152) */
	int have_size;			/* SIZE= was given */
	int have_auth;			/* AUTH= (RFC 4954 5) was given; value ignored */
	int nunknown;			/* parameters we do not implement */
	char unknown[64];		/* first of them, [A-Za-z0-9-] only, for the 555 reply */
};

/*
 * smtp_parse_mail - parse the argument of MAIL: "FROM:<a@b.c> SIZE=123
 * BODY=8BITMIME". Accepts a space after the colon (as Postfix does),
 * drops source routes (RFC 5321 4.1.2), keeps quoted local parts and
 * address literals. Returns 0, or -1 with *reply set to one of:
 *   "501 5.5.4 Syntax: MAIL FROM:<address>"   no FROM:, no "<"
 *   "501 5.1.7 Bad sender address syntax"     anything wrong inside <...>
 *   "501 5.1.7 Path too long"                 path > SMTP_PATH_MAX
 *   "501 5.1.7 Local part too long"           local part > SMTP_LOCAL_MAX
 *   "501 5.5.4 Syntax error in parameters"    malformed keyword[=value]
 *   "501 5.5.4 Too many parameters"           more than SMTP_MAX_PARAMS
 *   "501 5.5.4 Duplicate parameter"           SIZE or BODY twice
 *   "501 5.5.4 Bad message size syntax"       SIZE without a decimal number
 *   "552 5.3.4 Message size exceeds fixed maximum message size"  SIZE overflow
 *   "501 5.5.4 Bad BODY keyword value"        BODY other than 7BIT/8BITMIME
 *   "555 5.5.4 Unsupported option"            params->unknown names it
 */
int smtp_parse_mail(const char *arg, struct smtp_path *path, struct smtp_params *params,
    const char **reply);

/*
 * smtp_parse_rcpt - parse the argument of RCPT: "TO:<a@b>". "<>" is
 * refused; "<postmaster>" (any case, RFC 5321 4.5.1) is accepted with
 * domain "". No RCPT parameters are implemented. Replies as for MAIL
 * with "Syntax: RCPT TO:<address>", 5.1.3 and "Bad recipient address syntax".
 */
int smtp_parse_rcpt(const char *arg, struct smtp_path *path, struct smtp_params *params,
    const char **reply);

#define SMTP_REPLY_TEXT_MAX 2048

struct smtp_reply {
	int code;			/* 200..599 */
	char enhanced[16];		/* RFC 3463 code of the first line ("2.0.0"), or "" */
	char text[SMTP_REPLY_TEXT_MAX];	/* lines joined by "\n", codes cut, controls '?' */
	int nlines;			/* lines in the reply */
	int truncated;			/* text was cut to fit */
};

/*
 * smtp_reply_parse - parse one complete, possibly multi-line reply at the
 * start of buf (CRLF or bare LF line ends). Returns 1 and sets *consumed,
 * 0 when more bytes are needed (never for a prefix that cannot become a
 * valid reply), or -1 on a malformed reply: a code that is not [2-5]DD,
 * different codes on different lines, a fourth character other than SP
 * or "-", a line longer than SMTP_REPLY_LINE_MAX or more than
 * SMTP_REPLY_LINES_MAX lines. *r is only meaningful after 1.
 */
int smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *r, size_t *consumed);

struct smtp_caps {
	int starttls;		/* RFC 3207 */
	int pipelining;		/* RFC 2920 */
	int size;		/* RFC 1870 */
	int eightbitmime;	/* RFC 6152 */
	int enhancedstatuscodes;	/* RFC 2034 */
	int chunking;		/* RFC 3030 */
	int smtputf8;		/* RFC 6531 */
	unsigned long long max_size;	/* SIZE argument; 0: none declared */
};

/* smtp_ehlo_caps - capabilities from the lines after the first of a 250 EHLO reply */
void smtp_ehlo_caps(const struct smtp_reply *r, struct smtp_caps *caps);

/*
 * smtp_domain_valid - a HELO/EHLO argument or address domain: a host name
 * (util/syntax.h rules, last label not all digits, <= SMTP_DOMAIN_MAX)
 * or an address literal "[1.2.3.4]" / "[IPv6:...]" (RFC 5321 4.1.3).
 */
int smtp_domain_valid(const char *s);

#endif
