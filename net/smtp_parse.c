/*
 * smtp_parse.c - pure SMTP parsers for the server and client state
 * machines: command lines, MAIL/RCPT paths and parameters, replies and
 * EHLO capabilities.
 *
 * Everything here is a function of its arguments: no I/O, no globals
 * besides constant tables, no allocation. Each loop is bounded by the
 * input length or an RFC 5321 4.5.3 limit, and every copy is checked
 * against the destination size, so the fuzz harness (tests/fuzz/
 * fuzz_smtp.c) exercises exactly what the daemon runs.
 *
 * The server side is strict where the RFC grammar is unambiguous (angle
 * brackets are required, local parts are dot-atoms or quoted strings,
 * 8-bit bytes are refused because we do not offer SMTPUTF8) and lenient
 * where Postfix is lenient for interoperability (a space after "FROM:",
 * SP or HTAB between parameters, trailing white space).
 *
 * DIAGNOSTICS: parsers return -1 on bad input. The server-side ones set
 * a static reply string (see smtp_parse.h); none of them echoes peer
 * text, so a reply can go straight to the wire.
 */
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "net/smtp_parse.h"
#include "util/syntax.h"

/* ------------------------------------------------------------------ replies */

#define R_LINE_TOO_LONG "500 5.5.2 Line too long"
#define R_NUL "500 5.5.2 Syntax error, NUL byte in command"
#define R_UNRECOGNIZED "500 5.5.2 Syntax error, command unrecognized"
#define R_MAIL_SYNTAX "501 5.5.4 Syntax: MAIL FROM:<address>"
#define R_RCPT_SYNTAX "501 5.5.4 Syntax: RCPT TO:<address>"
#define R_BAD_SENDER "501 5.1.7 Bad sender address syntax"
#define R_BAD_RCPT "501 5.1.3 Bad recipient address syntax"
#define R_SENDER_TOO_LONG "501 5.1.7 Path too long"
#define R_RCPT_TOO_LONG "501 5.1.3 Path too long"
#define R_SENDER_LOCAL_LONG "501 5.1.7 Local part too long"
#define R_RCPT_LOCAL_LONG "501 5.1.3 Local part too long"
#define R_PARAM_SYNTAX "501 5.5.4 Syntax error in parameters"
#define R_PARAM_MANY "501 5.5.4 Too many parameters"
#define R_PARAM_DUP "501 5.5.4 Duplicate parameter"
#define R_SIZE_SYNTAX "501 5.5.4 Bad message size syntax"
#define R_SIZE_HUGE "552 5.3.4 Message size exceeds fixed maximum message size"
#define R_BODY "501 5.5.4 Bad BODY keyword value"
#define R_UNSUPPORTED "555 5.5.4 Unsupported option"

/* ------------------------------------------------------------------ commands */

static const struct {
	const char *name;	/* upper case */
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", SMTP_V_HELO },
	{ "EHLO", SMTP_V_EHLO },
	{ "MAIL", SMTP_V_MAIL },
	{ "RCPT", SMTP_V_RCPT },
	{ "DATA", SMTP_V_DATA },
	{ "BDAT", SMTP_V_BDAT },
	{ "RSET", SMTP_V_RSET },
	{ "NOOP", SMTP_V_NOOP },
	{ "QUIT", SMTP_V_QUIT },
	{ "VRFY", SMTP_V_VRFY },
	{ "EXPN", SMTP_V_EXPN },
	{ "HELP", SMTP_V_HELP },
	{ "STARTTLS", SMTP_V_STARTTLS },
	{ "AUTH", SMTP_V_AUTH },
};

/* is_wsp - SP or HTAB: the separators we accept inside a command line */
static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* smtp_parse_command - split one command line into verb and argument */
int
smtp_parse_command(const char *line, size_t len, struct smtp_cmd *cmd)
{
	size_t n, i;

	cmd->verb = SMTP_V_UNKNOWN;
	cmd->arg = "";
	cmd->arglen = 0;
	cmd->reply = NULL;
	/* RFC 5321 4.5.3.1.4: 1000 octets including the CRLF we do not see */
	if (len > SMTP_LINE_MAX - 2) {
		cmd->reply = R_LINE_TOO_LONG;
		return -1;
	}
	/* a NUL would cut the argument short for every C-string consumer */
	if (memchr(line, '\0', len) != NULL) {
		cmd->reply = R_NUL;
		return -1;
	}
	for (n = 0; n < len && !is_wsp((unsigned char)line[n]); n++)
		;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].name) == n && strncasecmp(line, verbs[i].name, n) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0])) {
		cmd->reply = R_UNRECOGNIZED;
		return -1;
	}
	cmd->verb = verbs[i].verb;
	while (n < len && is_wsp((unsigned char)line[n]))
		n++;
	if (n < len) {
		cmd->arg = line + n;
		cmd->arglen = len - n;
		while (cmd->arglen > 0 && is_wsp((unsigned char)cmd->arg[cmd->arglen - 1]))
			cmd->arglen--;
	}
	return 0;
}

/* smtp_parse_verb_name - upper-case name of a verb, for logs */
const char *
smtp_parse_verb_name(enum smtp_verb verb)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == verb)
			return verbs[i].name;
	return "UNKNOWN";
}

/* ------------------------------------------------------------------ domains */

/* alnum - ASCII letter or digit, whatever the locale says */
static int
alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* domain_char - what may appear in a host name; the grammar is checked later */
static int
domain_char(int c)
{
	return alnum(c) || c == '-' || c == '.' || c == '_';
}

/* literal_valid - "[...]" of n bytes at s: IPv4 or "IPv6:" address literal */
static int
literal_valid(const char *s, size_t n)
{
	char buf[64];
	size_t in;

	if (n < 3 || s[0] != '[' || s[n - 1] != ']')
		return 0;
	s++;
	in = n - 2;
	/* RFC 5321 4.1.3: only the IPv6 tag is standardised; others are refused */
	if (in > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		if (in - 5 >= sizeof(buf))
			return 0;
		memcpy(buf, s + 5, in - 5);
		buf[in - 5] = '\0';
		return syntax_ipv6(buf);
	}
	if (in >= sizeof(buf))
		return 0;
	memcpy(buf, s, in);
	buf[in] = '\0';
	/* inet_pton refuses what the Snum grammar refuses: 1.2.3, 01.2.3.4 */
	return syntax_ipv4(buf);
}

/* smtp_domain_valid - host name or address literal */
int
smtp_domain_valid(const char *s)
{
	size_t len;
	const char *last;

	if (s == NULL)
		return 0;
	len = strnlen(s, SMTP_DOMAIN_MAX + 1);
	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return 0;
	if (s[0] == '[')
		return literal_valid(s, len);
	/* ASCII only, whatever the locale's isalnum() thinks of 8-bit bytes */
	for (size_t i = 0; i < len; i++)
		if (!domain_char((unsigned char)s[i]))
			return 0;
	if (!syntax_hostname(s))
		return 0;
	/*
	 * An all-numeric last label is an IP address written without
	 * brackets ("1.2.3.4"); no top-level domain is numeric, and RFC 5321
	 * 4.1.3 wants the literal form.
	 */
	last = strrchr(s, '.');
	last = last ? last + 1 : s;
	for (; *last; last++)
		if (!isdigit((unsigned char)*last))
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ paths */

enum path_err {
	PATH_OK,
	PATH_SYNTAX,	/* outside the grammar */
	PATH_TOOLONG,	/* > SMTP_PATH_MAX */
	PATH_LOCALLONG,	/* local part > SMTP_LOCAL_MAX */
};

/* atext - RFC 5322 3.2.3 atext (Atom in RFC 5321 4.1.2) */
static int
atext(int c)
{
	return alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* domain_span - validate the n-byte domain or address literal at s */
static int
domain_span(const char *s, size_t n)
{
	char buf[SMTP_DOMAIN_MAX + 1];

	if (n == 0 || n > SMTP_DOMAIN_MAX)
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return smtp_domain_valid(buf);
}

/* domain_end - end of a domain or address literal starting at p */
static const char *
domain_end(const char *p)
{
	if (*p == '[') {
		/* dcontent (RFC 5321 4.1.3) is %d33-90 / %d94-126 */
		for (p++; *p && *p != ']' && *p != '[' && *p > 32 && *p < 127; p++)
			;
		return *p == ']' ? p + 1 : p;
	}
	while (domain_char((unsigned char)*p))
		p++;
	return p;
}

/*
 * parse_path - parse "<...>" at s (RFC 5321 4.1.2 Path / Reverse-path).
 * Source routes are checked and dropped (4.1.2: "SHOULD ignore"). rcpt
 * allows "<Postmaster>" without a domain (4.1.1.3). Returns a pointer
 * just past '>' or NULL with *err set. A null path is not refused here.
 */
static const char *
parse_path(const char *s, int rcpt, struct smtp_path *path, enum path_err *err)
{
	const char *p = s, *local, *dom, *q;
	size_t llen, dlen;
	int routed = 0;

	*err = PATH_SYNTAX;
	if (*p++ != '<')
		return NULL;
	if (*p == '>') {
		path->null_path = 1;
		*err = PATH_OK;
		return p + 1;
	}
	if (*p == '@') {
		/* A-d-l ":" : "@one,@two:" */
		routed = 1;
		for (;;) {
			dom = ++p;
			p = domain_end(p);
			if (!domain_span(dom, (size_t)(p - dom)))
				return NULL;
			if (*p == ':')
				break;
			if (*p != ',' || p[1] != '@')
				return NULL;
			p++;
		}
		p++;
	}
	local = p;
	if (*p == '"') {
		/*
		 * Quoted-string: qtextSMTP %d32-33 / %d35-91 / %d93-126,
		 * quoted-pairSMTP "\" %d32-126
		 */
		for (p++; *p != '"'; p++) {
			if (*p == '\\')
				p++;
			if (*p < 32 || *p > 126)
				return NULL;
		}
		p++;
		if (p - local == 2)
			return NULL;	/* "" is not a local part we can deliver */
	} else {
		/* Dot-string: Atom *("." Atom) */
		char prev = '.';

		for (; *p != '@' && *p != '>'; p++) {
			if (*p == '.' ? prev == '.' : !atext((unsigned char)*p))
				return NULL;
			prev = *p;
		}
		if (p == local || prev == '.')
			return NULL;
	}
	llen = (size_t)(p - local);
	if (*p == '>') {
		/* "<Postmaster>": the one mailbox without a domain */
		if (!rcpt || routed || llen != 10 || strncasecmp(local, "postmaster", 10) != 0)
			return NULL;
		dom = p;
		dlen = 0;
	} else {
		if (*p++ != '@')
			return NULL;
		dom = p;
		p = domain_end(p);
		dlen = (size_t)(p - dom);
		if (*p != '>' || dlen == 0)
			return NULL;
	}
	q = p + 1;
	/* RFC 5321 4.5.3.1.3 counts the whole path, brackets and route included */
	if (q - s > SMTP_PATH_MAX) {
		*err = PATH_TOOLONG;
		return NULL;
	}
	if (llen > SMTP_LOCAL_MAX) {
		*err = PATH_LOCALLONG;
		return NULL;
	}
	if (dlen > 0 && !domain_span(dom, dlen))
		return NULL;
	/* lengths are within the buffers: path <= 256 bounds each part */
	memcpy(path->local, local, llen);
	path->local[llen] = '\0';
	memcpy(path->addr, local, (size_t)(p - local));
	path->addr[p - local] = '\0';
	for (size_t i = 0; i < dlen; i++)
		path->domain[i] = (char)tolower((unsigned char)dom[i]);
	path->domain[dlen] = '\0';
	*err = PATH_OK;
	return q;
}

/* kw_is - is the n-byte keyword at k equal to name, ignoring case? */
static int
kw_is(const char *k, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(k, name, n) == 0;
}

/* esmtp_value_char - RFC 5321 4.1.2 esmtp-value: %d33-60 / %d62-126 */
static int
esmtp_value_char(int c)
{
	return c >= 33 && c <= 126 && c != '=';
}

/*
 * parse_params - Mail-parameters / Rcpt-parameters: SP-separated
 * esmtp-keyword ["=" esmtp-value]. MAIL knows SIZE (RFC 1870), BODY
 * (RFC 6152) and AUTH (RFC 4954 5: a server offering AUTH must take it);
 * RCPT knows none. Unknown keywords are counted and refused with 555
 * after the whole list has been checked for syntax.
 */
static int
parse_params(const char *p, int mail, struct smtp_params *params, const char **reply)
{
	int n = 0, seen_body = 0;

	for (;;) {
		const char *kw, *val = NULL;
		size_t kwlen, vlen = 0;

		while (is_wsp((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		kw = p;
		if (!alnum((unsigned char)*p)) {
			*reply = R_PARAM_SYNTAX;
			return -1;
		}
		while (alnum((unsigned char)*p) || *p == '-')
			p++;
		kwlen = (size_t)(p - kw);
		if (*p == '=') {
			val = ++p;
			while (esmtp_value_char((unsigned char)*p))
				p++;
			vlen = (size_t)(p - val);
		}
		if ((*p != '\0' && !is_wsp((unsigned char)*p)) || (val != NULL && vlen == 0)) {
			*reply = R_PARAM_SYNTAX;
			return -1;
		}
		if (++n > SMTP_MAX_PARAMS) {
			*reply = R_PARAM_MANY;
			return -1;
		}
		if (mail && kw_is(kw, kwlen, "SIZE")) {
			unsigned long long v = 0;

			if (params->have_size) {
				*reply = R_PARAM_DUP;
				return -1;
			}
			if (val == NULL) {
				*reply = R_SIZE_SYNTAX;
				return -1;
			}
			/* digits only; a length without a terminator rules out str_to_ullong */
			for (size_t i = 0; i < vlen; i++) {
				unsigned d = (unsigned)(val[i] - '0');

				if (!isdigit((unsigned char)val[i])) {
					*reply = R_SIZE_SYNTAX;
					return -1;
				}
				if (v > (ULLONG_MAX - d) / 10) {
					/* larger than any limit we could have */
					*reply = R_SIZE_HUGE;
					return -1;
				}
				v = v * 10 + d;
			}
			params->size = v;
			params->have_size = 1;
		} else if (mail && kw_is(kw, kwlen, "BODY")) {
			if (seen_body) {
				*reply = R_PARAM_DUP;
				return -1;
			}
			seen_body = 1;
			if (val != NULL && kw_is(val, vlen, "8BITMIME")) {
				params->body_8bit = 1;
			} else if (val == NULL || !kw_is(val, vlen, "7BIT")) {
				*reply = R_BODY;
				return -1;
			}
		} else if (mail && kw_is(kw, kwlen, "AUTH") && val != NULL) {
			params->have_auth = 1;
		} else if (params->nunknown++ == 0) {
			size_t c = sizeof(params->unknown) - 1;

			if (kwlen < c)
				c = kwlen;

			memcpy(params->unknown, kw, c);
			params->unknown[c] = '\0';
		}
	}
	if (params->nunknown > 0) {
		*reply = R_UNSUPPORTED;
		return -1;
	}
	return 0;
}

/* parse_mail_rcpt - the common part of MAIL and RCPT */
static int
parse_mail_rcpt(const char *arg, int rcpt, struct smtp_path *path,
    struct smtp_params *params, const char **reply)
{
	const char *prefix = rcpt ? "TO:" : "FROM:", *p;
	size_t plen = strlen(prefix);
	enum path_err err;

	memset(path, 0, sizeof(*path));
	memset(params, 0, sizeof(*params));
	*reply = NULL;
	if (strncasecmp(arg, prefix, plen) != 0) {
		*reply = rcpt ? R_RCPT_SYNTAX : R_MAIL_SYNTAX;
		return -1;
	}
	p = arg + plen;
	/* "MAIL FROM: <a@b>": RFC 5321 forbids the space; Postfix and others allow it */
	while (is_wsp((unsigned char)*p))
		p++;
	if (*p != '<') {
		*reply = rcpt ? R_RCPT_SYNTAX : R_MAIL_SYNTAX;
		return -1;
	}
	p = parse_path(p, rcpt, path, &err);
	if (p != NULL && rcpt && path->null_path) {
		/* RFC 5321 4.1.1.3: a forward-path is never null */
		p = NULL;
		err = PATH_SYNTAX;
	}
	if (p != NULL && *p != '\0' && !is_wsp((unsigned char)*p)) {
		p = NULL;	/* "<a@b>>" or "<a@b>SIZE=1" */
		err = PATH_SYNTAX;
	}
	if (p == NULL) {
		switch (err) {
		case PATH_TOOLONG:
			*reply = rcpt ? R_RCPT_TOO_LONG : R_SENDER_TOO_LONG;
			break;
		case PATH_LOCALLONG:
			*reply = rcpt ? R_RCPT_LOCAL_LONG : R_SENDER_LOCAL_LONG;
			break;
		default:
			*reply = rcpt ? R_BAD_RCPT : R_BAD_SENDER;
			break;
		}
		memset(path, 0, sizeof(*path));
		return -1;
	}
	return parse_params(p, !rcpt, params, reply);
}

/* smtp_parse_mail - parse the argument of MAIL */
int
smtp_parse_mail(const char *arg, struct smtp_path *path, struct smtp_params *params,
    const char **reply)
{
	return parse_mail_rcpt(arg, 0, path, params, reply);
}

/* smtp_parse_rcpt - parse the argument of RCPT */
int
smtp_parse_rcpt(const char *arg, struct smtp_path *path, struct smtp_params *params,
    const char **reply)
{
	return parse_mail_rcpt(arg, 1, path, params, reply);
}

/* ------------------------------------------------------------------ replies */

/*
 * code_prefix_ok - can the n bytes at l (a whole line if complete) start
 * a reply line with this code (0: first line)? Checked on partial lines
 * too, so garbage is refused before the peer sends a line end.
 */
static int
code_prefix_ok(const char *l, size_t n, int complete, int code)
{
	for (size_t i = 0; i < 3 && i < n; i++)
		if (!isdigit((unsigned char)l[i]))
			return 0;
	/* RFC 5321 4.2.1: the first digit is 2, 3, 4 or 5 */
	if (n >= 1 && (l[0] < '2' || l[0] > '5'))
		return 0;
	if (n >= 3 && code != 0 && (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0') != code)
		return 0;
	if (complete)
		return n == 3 || (n > 3 && (l[3] == ' ' || l[3] == '-'));
	/* a CR at the fourth byte may be the start of the CRLF of "250\r\n" */
	return n <= 3 || l[3] == ' ' || l[3] == '-' || (n == 4 && l[3] == '\r');
}

/*
 * enhanced_len - length of an RFC 3463 status code "c.sss.ddd" at t[0..n)
 * with class cls, followed by SP or the end; 0 if there is none
 */
static size_t
enhanced_len(const char *t, size_t n, char cls)
{
	size_t i, d;

	if (n < 5 || t[0] != cls || t[1] != '.')
		return 0;
	for (i = 2, d = 0; i < n && d < 3 && isdigit((unsigned char)t[i]); i++, d++)
		;
	if (d == 0 || i >= n || t[i] != '.')
		return 0;
	for (i++, d = 0; i < n && d < 3 && isdigit((unsigned char)t[i]); i++, d++)
		;
	if (d == 0 || (i < n && t[i] != ' '))
		return 0;
	return i;
}

/* text_append - add n bytes to r->text, controls as '?', cutting at a UTF-8 boundary */
static void
text_append(struct smtp_reply *r, size_t *tlen, const char *s, size_t n)
{
	size_t t = *tlen, i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (t + 1 >= sizeof(r->text)) {
			r->truncated = 1;
			if ((c & 0xC0) == 0x80) {
				/* do not leave half a UTF-8 sequence at the end */
				while (t > 0 && ((unsigned char)r->text[t - 1] & 0xC0) == 0x80)
					t--;
				if (t > 0 && (unsigned char)r->text[t - 1] >= 0xC0)
					t--;
			}
			break;
		}
		r->text[t++] = (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f ? '?' : (char)c;
	}
	r->text[t] = '\0';
	*tlen = t;
}

/* smtp_reply_parse - parse one complete reply at the start of buf */
int
smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *r, size_t *consumed)
{
	size_t off = 0, tlen = 0;

	r->code = 0;
	r->enhanced[0] = '\0';
	r->text[0] = '\0';
	r->nlines = 0;
	r->truncated = 0;
	*consumed = 0;
	for (;;) {
		const char *line = buf + off, *nl, *t;
		size_t avail = len - off, lim = SMTP_REPLY_LINE_MAX + 2, n, tn, e;

		nl = memchr(line, '\n', avail < lim ? avail : lim);
		if (nl == NULL) {
			/* refuse what cannot become valid without waiting for more */
			if (avail >= lim || (avail == lim - 1 && line[avail - 1] != '\r') ||
			    !code_prefix_ok(line, avail, 0, r->code) ||
			    (avail > 0 && r->nlines == SMTP_REPLY_LINES_MAX))
				return -1;
			return 0;
		}
		n = (size_t)(nl - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > SMTP_REPLY_LINE_MAX || !code_prefix_ok(line, n, 1, r->code))
			return -1;
		if (r->nlines == SMTP_REPLY_LINES_MAX)
			return -1;
		if (r->nlines++ == 0)
			r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		t = n > 4 ? line + 4 : line + n;
		tn = n > 4 ? n - 4 : 0;
		/* servers offering ENHANCEDSTATUSCODES prefix every line (RFC 2034) */
		e = enhanced_len(t, tn, line[0]);
		if (r->nlines == 1 && e > 0) {
			memcpy(r->enhanced, t, e);
			r->enhanced[e] = '\0';
		}
		if (e > 0 && r->enhanced[0] != '\0') {
			t += e;
			tn -= e;
			if (tn > 0) {
				t++;
				tn--;
			}
		}
		if (r->nlines > 1)
			text_append(r, &tlen, "\n", 1);
		text_append(r, &tlen, t, tn);
		off += (size_t)(nl - line) + 1;
		if (n == 3 || line[3] == ' ') {
			*consumed = off;
			return 1;
		}
	}
}

/* ------------------------------------------------------------------ EHLO */

/* smtp_ehlo_caps - capabilities from the lines after the first of a 250 EHLO reply */
void
smtp_ehlo_caps(const struct smtp_reply *r, struct smtp_caps *caps)
{
	const char *p, *end;

	memset(caps, 0, sizeof(*caps));
	if (r->code != 250)
		return;
	p = memchr(r->text, '\n', strnlen(r->text, sizeof(r->text)));
	while (p != NULL) {
		const char *kw = ++p;
		size_t n;

		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		for (n = 0; kw + n < end && kw[n] != ' '; n++)
			;
		if (kw_is(kw, n, "STARTTLS")) {
			caps->starttls = 1;
		} else if (kw_is(kw, n, "PIPELINING")) {
			caps->pipelining = 1;
		} else if (kw_is(kw, n, "8BITMIME")) {
			caps->eightbitmime = 1;
		} else if (kw_is(kw, n, "ENHANCEDSTATUSCODES")) {
			caps->enhancedstatuscodes = 1;
		} else if (kw_is(kw, n, "CHUNKING")) {
			caps->chunking = 1;
		} else if (kw_is(kw, n, "SMTPUTF8")) {
			caps->smtputf8 = 1;
		} else if (kw_is(kw, n, "SIZE")) {
			/* RFC 1870: "SIZE" or "SIZE 0" declare no limit */
			unsigned long long v = 0;
			const char *q = kw + n;

			caps->size = 1;
			while (q < end && *q == ' ')
				q++;
			for (; q < end && isdigit((unsigned char)*q); q++) {
				unsigned d = (unsigned)(*q - '0');

				v = v > (ULLONG_MAX - d) / 10 ? ULLONG_MAX : v * 10 + d;
			}
			while (q < end && *q == ' ')
				q++;
			caps->max_size = q == end ? v : 0;
		}
		p = *end ? end : NULL;
	}
}
