/*
 * mailbox.c - acting on one user's mailbox for remediation (see mailbox.h).
 *
 * IMAP speaks through one libcurl easy handle per session, reset and set
 * up again for every command, so that libcurl keeps the connection (and
 * the mailbox it selected) between the calls on one mailbox. Commands
 * that libcurl has no URL form for go as CURLOPT_CUSTOMREQUEST, whose
 * untagged answers libcurl hands to the write callback.
 *
 * IMAP's SEARCH HEADER matches a substring (RFC 3501 6.4.4): a sender can
 * make any number of messages whose Message-ID holds the wanted one, so
 * every hit (up to MBX_SEARCH_MAX, then an error, never a silent miss) is
 * checked, MBX_BATCH at a time, with one UID FETCH (BODY.PEEK[HEADER.FIELDS
 * (MESSAGE-ID)]) each. PEEK leaves \Seen alone (RFC 3501 6.4.5): the check
 * changes no flag, so a message the user opens meanwhile stays read and a
 * crash leaves nothing marked. libcurl (7.x, and 8.x for a UID set) hands
 * only a custom FETCH answer's first line to the write callback, not the
 * literal that follows (curl issues #536, #1150, #18847), so the check
 * reads the server's bytes from the debug callback and parses the literals
 * by their {n} counts. The partial <0.MBX_HEADER_MAX> keeps every literal
 * line short of libcurl's line limit; libcurl's "Excessive server
 * response line" note, should one come, fails the command.
 *
 * A message fetched for a forward goes by its URL (.../;UID=n): libcurl
 * frames that literal itself, where a custom FETCH of a whole message
 * would let a line of its content that looks like the command's tagged
 * answer end the command (curl issue #22865). That fetch sets \Seen, so
 * it is put back on a message that did not have it.
 *
 * Microsoft Graph (v1.0) goes through net/hreq.c, one request at a time,
 * with a client-credentials token cached in the session. A next page
 * link is followed only when it points under the profile's Graph base:
 * the bearer token goes nowhere else.
 *
 * Everything the servers say is untrusted: answers are bounded, parsed
 * defensively and put in causes only through printable_copy.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause naming the mailbox or
 * the login; the password and the token never appear in one.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "net/hreq.h"
#include "net/mailbox.h"
#include "util/buf.h"
#include "util/printable.h"
#include "util/str.h"

#define MBX_SEARCH_MAX 10000		/* SEARCH hits checked for the exact Message-ID */
#define MBX_BATCH 50			/* hits whose Message-ID one FETCH reads (then fewer) */
#define MBX_HEADER_MAX 8192		/* bytes of a hit's Message-ID fields read */
#define MBX_IMAP_BUFFER (512L * 1024)	/* libcurl's buffer: a line up to half of it is kept */
#define MBX_IMAP_TIMEOUT 60L		/* seconds for one IMAP command (a fetch: 300) */
#define MBX_IMAP_CONNECT 15L
#define MBX_GRAPH_TIMEOUT 30000		/* ms for one Graph request */
#define MBX_GRAPH_PAGES 10		/* @odata.nextLink pages followed */
#define MBX_GRAPH_BASE "https://graph.microsoft.com/v1.0"
#define MBX_GRAPH_SCOPE "https://graph.microsoft.com/.default"
#define MBX_ANSWER_MAX (1024 * 1024)	/* untagged IMAP answers kept for one command */

struct mbx {
	enum remed_backend backend;
	char name[REMEDCONF_NAME_MAX + 1];	/* the profile's, for causes */
	char server[1024];		/* the profile's URL without a trailing '/' */
	char folder[256];		/* "" delete, else move there */
	char user[256];			/* Graph client id */
	char *secret;			/* Graph client secret */
	char token_url[1024];		/* Graph token endpoint (from tenant when unset) */
	int verify;			/* check the server's certificate */
	char *ca_pem;			/* NULL: the system's bundle */
	/* IMAP */
	CURL *curl;			/* the session's handle: its connection persists */
	char mailbox[256];		/* the last mbx_find's mailbox */
	char *login, *password;		/* and its credentials */
	char lastline[512];		/* the server's last tagged answer */
	struct buf *capture;		/* NULL, or where the server's bytes go (imap_debug) */
	int clipped;			/* libcurl cut a line of the answer short */
	int passing;			/* the last failure may not recur (mbx_passing) */
	volatile int *abort;		/* NULL, or set by another thread: stop now */
	/* Graph */
	char *token;			/* bearer token */
	time_t token_until;		/* refreshed from then on */
};

/* ------------------------------------------------------------ helpers */

/* safe - printable text for a cause */
static const char *
safe(char *dst, size_t size, const char *s, size_t n)
{
	printable_copy(dst, size, s, n, 200);
	return dst;
}

/* bad_text - text that must not go into a protocol line: control bytes, non-ASCII */
static int
bad_text(const char *s, const char *also)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f || (also != NULL && strchr(also, *p) != NULL))
			return 1;
	return 0;
}

/* pct - s percent-encoded (RFC 3986 unreserved kept) onto b */
static void
pct(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			buf_addch(b, (char)*p);
		} else {
			buf_addch(b, '%');
			buf_addch(b, hex[*p >> 4]);
			buf_addch(b, hex[*p & 15]);
		}
	}
}

/* strip_slash - the URL without trailing '/' into dst */
static void
strip_slash(char *dst, size_t size, const char *url)
{
	size_t n;

	str_copy(dst, url, size);
	n = strlen(dst);
	while (n > 0 && dst[n - 1] == '/')
		dst[--n] = '\0';
}

struct mbx *
mbx_open(const struct remed_profile *p, const char *ca_pem)
{
	struct mbx *m = xcalloc(1, sizeof(*m));

	m->backend = p->backend;
	str_copy(m->name, p->name, sizeof(m->name));
	strip_slash(m->server, sizeof(m->server),
	    p->backend == REMED_GRAPH && p->server[0] == '\0' ? MBX_GRAPH_BASE : p->server);
	str_copy(m->folder, p->folder, sizeof(m->folder));
	str_copy(m->user, p->user, sizeof(m->user));
	m->secret = str_dup(p->password ? p->password : "");
	if (p->token_url[0] != '\0')
		str_copy(m->token_url, p->token_url, sizeof(m->token_url));
	else if (p->tenant[0] != '\0')
		str_fmt(m->token_url, sizeof(m->token_url),
		    "https://login.microsoftonline.com/%s/oauth2/v2.0/token", p->tenant);
	m->verify = p->verify;
	if (ca_pem != NULL && ca_pem[0] != '\0')
		m->ca_pem = str_dup(ca_pem);
	return m;
}

/* wipe - free a secret after clearing it */
static void
wipe(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
mbx_close(struct mbx *m)
{
	if (m == NULL)
		return;
	if (m->curl != NULL)
		curl_easy_cleanup(m->curl);
	wipe(m->secret);
	wipe(m->password);
	wipe(m->token);
	free(m->login);
	free(m->ca_pem);
	free(m);
}

/* ------------------------------------------------------------ IMAP */

struct isink {
	struct buf b;			/* what libcurl wrote */
};

/* imap_write - CURLOPT_WRITEFUNCTION: refused past the buffer's limit */
static size_t
imap_write(char *p, size_t size, size_t n, void *arg)
{
	struct isink *k = arg;

	return buf_add(&k->b, p, size * n) < 0 ? 0 : size * n;
}

/*
 * imap_debug - keeps the server's last tagged refusal, and copies what the
 * server sends into m->capture when set (never what we send: LOGIN carries
 * the password)
 */
static int
imap_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct mbx *m = arg;
	size_t n;

	(void)h;
	if (type == CURLINFO_TEXT && size >= 30 &&
	    strncmp(data, "Excessive server response line", 30) == 0)
		m->clipped = 1;
	/* everything the server says, in order: lines (HEADER_IN) and literals a libcurl reads as data */
	if (m->capture != NULL && (type == CURLINFO_HEADER_IN || type == CURLINFO_DATA_IN))
		buf_add(m->capture, data, size);
	if (type != CURLINFO_HEADER_IN || size < 2 || (data[0] == '*' && data[1] == ' ') ||
	    data[0] == '+')
		return 0;
	n = size;
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	/* without the tag: "A003 NO [TRYCREATE] ..." -> "NO [TRYCREATE] ..." */
	for (size_t i = 0; i < n; i++) {
		if (data[i] == ' ') {
			data += i + 1;
			n -= i + 1;
			break;
		}
	}
	/* a refusal only: the LOGOUT libcurl sends after one answers OK */
	if (!(n >= 3 && strncmp(data, "NO ", 3) == 0) && !(n >= 4 && strncmp(data, "BAD ", 4) == 0))
		return 0;
	printable_copy(m->lastline, sizeof(m->lastline), data, n, 200);
	return 0;
}

/*
 * imap_cmd - one IMAP exchange: path is appended to the server's URL
 * ("/INBOX" or "/INBOX/;UID=5"), custom the command (NULL: the URL's
 * fetch); the answer (untagged lines, or the fetched bytes) into *out
 * when out is not NULL. what names the step in a cause.
 */
static int
imap_cmd(struct mbx *m, const char *path, const char *custom, size_t max, long timeout,
    struct buf *out, const char *what, char **cause)
{
	char errbuf[CURL_ERROR_SIZE] = "", url[1400], s[256];
	struct isink k;
	CURLcode rc = CURLE_OK;

	if (str_fmt(url, sizeof(url), "%s%s", m->server, path) < 0) {
		*cause = str_printf("IMAP server URL of profile %s is too long", m->name);
		return -1;
	}
	if (m->curl == NULL && (m->curl = curl_easy_init()) == NULL) {
		*cause = str_printf("IMAP %s: libcurl cannot make a handle", what);
		return -1;
	}
	curl_easy_reset(m->curl);
	buf_init(&k.b, max);
	m->lastline[0] = '\0';
	m->clipped = 0;
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(m->curl, opt, val); } while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "imap,imaps");
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, MBX_IMAP_CONNECT);
	SET(CURLOPT_TIMEOUT, timeout);
	/* libcurl keeps a server's line up to half its buffer: a long SEARCH answer */
	if (custom != NULL && strncmp(custom, "UID SEARCH", 10) == 0)
		SET(CURLOPT_BUFFERSIZE, MBX_IMAP_BUFFER);
	SET(CURLOPT_USERNAME, m->login);
	SET(CURLOPT_PASSWORD, m->password);
	/* imap:// only with STARTTLS: a password never crosses in the clear */
	SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_SSL_VERIFYPEER, m->verify ? 1L : 0L);
	SET(CURLOPT_SSL_VERIFYHOST, m->verify ? 2L : 0L);
	if (m->ca_pem != NULL) {
		struct curl_blob blob = { m->ca_pem, strlen(m->ca_pem), CURL_BLOB_COPY };

		SET(CURLOPT_CAINFO_BLOB, &blob);
	}
	SET(CURLOPT_WRITEFUNCTION, imap_write);
	SET(CURLOPT_WRITEDATA, (void *)&k);
	SET(CURLOPT_DEBUGFUNCTION, imap_debug);
	SET(CURLOPT_DEBUGDATA, (void *)m);
	SET(CURLOPT_VERBOSE, 1L);
	if (custom != NULL)
		SET(CURLOPT_CUSTOMREQUEST, custom);
	if (m->abort != NULL) {
		SET(CURLOPT_NOPROGRESS, 0L);
		SET(CURLOPT_XFERINFOFUNCTION, hreq_abort_cb);
		SET(CURLOPT_XFERINFODATA, (void *)m->abort);
	}
#undef SET
	if (rc == CURLE_OK)
		rc = curl_easy_perform(m->curl);
	/* no leftovers from the set-up: the handle is reset next time anyway */
	curl_easy_setopt(m->curl, CURLOPT_PASSWORD, "");
	if (rc == CURLE_OK && (m->clipped || (m->capture != NULL && m->capture->toobig))) {
		*cause = m->clipped && strcmp(what, "SEARCH") == 0 ?
		    str_printf("IMAP SEARCH in mailbox %s: more messages match than the %d that "
		    "are checked; nothing was done", m->mailbox, MBX_SEARCH_MAX) :
		    m->clipped ?
		    str_printf("IMAP %s in mailbox %s failed: the server sent a line longer than %ld "
		    "bytes", what, m->mailbox, MBX_IMAP_BUFFER / 2) :
		    str_printf("IMAP %s in mailbox %s failed: the answer is larger than %zu bytes",
		    what, m->mailbox, m->capture->max);
		buf_free(&k.b);
		return -1;
	}
	if (rc == CURLE_OK) {
		if (out != NULL) {
			buf_add(out, k.b.data, k.b.len);
		}
		buf_free(&k.b);
		return 0;
	}
	m->passing = hreq_passing(rc) && !k.b.toobig;
	if (k.b.toobig || rc == CURLE_WRITE_ERROR)
		*cause = str_printf("IMAP %s in mailbox %s failed: the answer is larger than %zu bytes",
		    what, m->mailbox, max);
	else if (rc == CURLE_LOGIN_DENIED && strstr(errbuf, "elect") != NULL)
		*cause = str_printf("IMAP %s in mailbox %s failed: the server cannot open INBOX: %s",
		    what, m->mailbox, m->lastline[0] ? m->lastline : errbuf);
	else if (rc == CURLE_LOGIN_DENIED)
		*cause = str_printf("IMAP login as %s failed: %s", safe(s, sizeof(s), m->login,
		    strlen(m->login)), m->lastline[0] ? m->lastline : errbuf);
	else if (rc == CURLE_QUOTE_ERROR && m->lastline[0] != '\0')
		*cause = str_printf("IMAP %s in mailbox %s failed: %s", what, m->mailbox,
		    m->lastline);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		*cause = str_printf("IMAP %s in mailbox %s failed: %s: no answer within %ld seconds",
		    what, m->mailbox, m->server, timeout);
	else
		*cause = str_printf("IMAP %s in mailbox %s failed: %s: %s", what, m->mailbox,
		    m->server, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	buf_free(&k.b);
	return -1;
}

/* uid_ok - a UID as text: 1..4294967295 */
static int
uid_ok(const char *id)
{
	unsigned long long v;

	return str_to_ullong(id, &v) == 0 && v >= 1 && v <= 4294967295ULL && id[0] != '0';
}

/* imap_seen - which of the UIDs (comma list) carry \Seen: seen[i] for uids[i] */
static int
imap_seen(struct mbx *m, unsigned long *uids, int n, int *seen, char **cause)
{
	struct buf cmd, out;
	char *line, *next;
	int rc;

	buf_init(&cmd, 0);
	buf_addstr(&cmd, "UID FETCH ");
	for (int i = 0; i < n; i++) {
		buf_printf(&cmd, "%s%lu", i ? "," : "", uids[i]);
		seen[i] = 1;	/* a message the answer does not name is left alone */
	}
	buf_addstr(&cmd, " (FLAGS)");
	buf_init(&out, MBX_ANSWER_MAX);
	rc = imap_cmd(m, "/INBOX", cmd.data, MBX_ANSWER_MAX, MBX_IMAP_TIMEOUT, &out,
	    "FETCH FLAGS", cause);
	buf_free(&cmd);
	if (rc < 0) {
		buf_free(&out);
		return -1;
	}
	/* "* 3 FETCH (UID 5 FLAGS (\Seen \Recent))", in either order */
	for (line = out.data; line != NULL && *line != '\0'; line = next) {
		char *u, *f, *end;
		unsigned long long v;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if ((u = strstr(line, "UID ")) == NULL || (f = strstr(line, "FLAGS (")) == NULL)
			continue;
		v = strtoull(u + 4, &end, 10);
		if (end == u + 4)
			continue;
		if ((end = strchr(f + 7, ')')) != NULL)
			*end = '\0';
		for (int i = 0; i < n; i++)
			if (uids[i] == v)
				seen[i] = strcasestr(f, "\\Seen") != NULL;
	}
	buf_free(&out);
	return 0;
}

/* imap_unseen - take \Seen off again where our fetch set it */
static int
imap_unseen(struct mbx *m, unsigned long *uids, int n, const int *seen, char **cause)
{
	struct buf cmd;
	int any = 0, rc;

	buf_init(&cmd, 0);
	buf_addstr(&cmd, "UID STORE ");
	for (int i = 0; i < n; i++) {
		if (seen[i])
			continue;
		buf_printf(&cmd, "%s%lu", any ? "," : "", uids[i]);
		any = 1;
	}
	buf_addstr(&cmd, " -FLAGS.SILENT (\\Seen)");
	rc = any ? imap_cmd(m, "/INBOX", cmd.data, MBX_ANSWER_MAX, MBX_IMAP_TIMEOUT, NULL,
	    "STORE -FLAGS \\Seen", cause) : 0;
	buf_free(&cmd);
	return rc;
}

/* header_is - does the header block's first Message-ID field equal want? */
static int
header_is(char *h, const char *want)
{
	char *p, *w, *v = NULL;

	/* unfold (RFC 5322 2.2.3) in place */
	for (p = w = h; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n' && (p[1] == ' ' || p[1] == '\t'))
			continue;
		*w++ = *p;
	}
	*w = '\0';
	for (p = h; p != NULL && *p != '\0'; p = w) {
		if ((w = strchr(p, '\n')) != NULL)
			*w++ = '\0';
		if (strncasecmp(p, "Message-ID:", 11) == 0) {
			v = str_trim(p + 11);
			break;
		}
	}
	return v != NULL && strcmp(v, want) == 0;
}

/* ------------------------------------------------------------ the FETCH answer */

/*
 * An IMAP answer as the server sent it (RFC 3501 7.4.2, 4.3): what is
 * parsed is "* N FETCH (NAME VALUE ...)" where a VALUE is an atom or
 * number, NIL, a quoted string, a literal {n}CRLF followed by n bytes, or
 * a parenthesized list of these. Every other answer is skipped line by
 * line, literals by their count. A bad answer is an error, not a miss.
 */
struct iparse {
	const char *p, *end;		/* the unread bytes */
};

/* ip_literal - at "{n}\r\n": n bytes follow; *v, *vlen; 0, or -1 */
static int
ip_literal(struct iparse *x, const char **v, size_t *vlen)
{
	unsigned long long n = 0;
	const char *q = x->p + 1;

	if (q >= x->end || !isdigit((unsigned char)*q))
		return -1;
	while (q < x->end && isdigit((unsigned char)*q)) {
		n = n * 10 + (unsigned long long)(*q++ - '0');
		if (n > (unsigned long long)(x->end - x->p))
			return -1;
	}
	if (q < x->end && *q == '}')
		q++;
	else
		return -1;
	/* libcurl's debug data keeps the server's CRLF; a bare LF is taken too */
	if (q < x->end && *q == '\r')
		q++;
	if (q >= x->end || *q++ != '\n' || n > (unsigned long long)(x->end - q))
		return -1;
	*v = q;
	*vlen = (size_t)n;
	x->p = q + n;
	return 0;
}

/* ip_value - one VALUE (see above) into *v, *vlen (a string's bytes, else the token's); 0 or -1 */
static int
ip_value(struct iparse *x, const char **v, size_t *vlen, int depth)
{
	const char *start = x->p;

	if (x->p >= x->end || depth > 8)
		return -1;
	if (*x->p == '{')
		return ip_literal(x, v, vlen);
	if (*x->p == '"') {
		for (x->p++; x->p < x->end && *x->p != '"'; x->p++) {
			if (*x->p == '\\')
				x->p++;
			if (x->p >= x->end || *x->p == '\r' || *x->p == '\n')
				return -1;
		}
		if (x->p >= x->end)
			return -1;
		*v = start + 1;
		*vlen = (size_t)(x->p - start - 1);	/* escapes kept: only literals are compared */
		x->p++;
		return 0;
	}
	if (*x->p == '(') {
		const char *iv;
		size_t il;

		for (x->p++;;) {
			while (x->p < x->end && *x->p == ' ')
				x->p++;
			if (x->p >= x->end)
				return -1;
			if (*x->p == ')')
				break;
			if (ip_value(x, &iv, &il, depth + 1) < 0)
				return -1;
		}
		x->p++;
		*v = start;
		*vlen = (size_t)(x->p - start);
		return 0;
	}
	/* an atom or number; a section name brings its [...] (spaces inside) and <origin> */
	for (int br = 0; x->p < x->end; x->p++) {
		if (*x->p == '[')
			br++;
		else if (*x->p == ']' && br > 0)
			br--;
		else if (br == 0 && (*x->p == ' ' || *x->p == ')' || *x->p == '(' ||
		    *x->p == '\r' || *x->p == '\n' || *x->p == '{' || *x->p == '"'))
			break;
		else if (*x->p == '\r' || *x->p == '\n')
			return -1;
	}
	if (x->p == start)
		return -1;
	*v = start;
	*vlen = (size_t)(x->p - start);
	return 0;
}

/* ip_eol - past the rest of the line (CRLF, or a bare LF); -1 when other bytes are left on it */
static int
ip_eol(struct iparse *x)
{
	if (x->p < x->end && *x->p == '\r')
		x->p++;
	if (x->p >= x->end || *x->p != '\n')
		return -1;
	x->p++;
	return 0;
}

/* ip_skip - past one answer that is not a FETCH: its lines, each literal by its count */
static int
ip_skip(struct iparse *x)
{
	for (;;) {
		const char *nl = memchr(x->p, '\n', (size_t)(x->end - x->p)), *q, *v;
		size_t vl;

		if (nl == NULL) {
			x->p = x->end;
			return 0;
		}
		/* a line that ends "{n}" goes on after n bytes */
		q = nl;
		if (q > x->p && q[-1] == '\r')
			q--;
		if (q > x->p && q[-1] == '}') {
			const char *o = q - 1;

			while (o > x->p && isdigit((unsigned char)o[-1]))
				o--;
			if (o > x->p && o[-1] == '{' && o < q - 1) {
				x->p = o - 1;
				if (ip_literal(x, &v, &vl) < 0)
					return -1;
				continue;
			}
		}
		x->p = nl + 1;
		return 0;
	}
}

struct ihit {
	unsigned long uid;		/* a candidate */
	int state;			/* 0 not answered, 1 answered, 2 its Message-ID is the one */
};

/*
 * fetch_answer - mark the candidates (hits, n) whose Message-ID field is
 * want from the bytes of one UID FETCH (BODY.PEEK[HEADER.FIELDS
 * (MESSAGE-ID)]<0.MBX_HEADER_MAX>); an answer for a UID not asked about is
 * left alone. 0, or -1 when the answer cannot be read.
 */
static int
fetch_answer(const char *data, size_t len, struct ihit *hits, int n, const char *want)
{
	struct iparse x = { data, data + len };

	while (x.p < x.end) {
		const char *q = x.p, *name, *v, *hv = NULL;
		size_t nl, vl, hl = 0;
		unsigned long long uid = 0;
		int have_uid = 0;

		/* "* N FETCH (" */
		if (x.end - q < 2 || q[0] != '*' || q[1] != ' ')
			goto other;
		for (q += 2; q < x.end && isdigit((unsigned char)*q); q++)
			;
		if (q == x.p + 2 || x.end - q < 8 || strncasecmp(q, " FETCH (", 8) != 0)
			goto other;
		x.p = q + 8;
		for (;;) {
			while (x.p < x.end && *x.p == ' ')
				x.p++;
			if (x.p < x.end && *x.p == ')') {
				x.p++;
				break;
			}
			if (ip_value(&x, &name, &nl, 0) < 0 || x.p >= x.end || *x.p != ' ')
				return -1;
			x.p++;
			if (ip_value(&x, &v, &vl, 0) < 0)
				return -1;
			if (nl == 3 && strncasecmp(name, "UID", 3) == 0) {
				char num[16];

				if (vl == 0 || vl >= sizeof(num))
					return -1;
				memcpy(num, v, vl);
				num[vl] = '\0';
				if (str_to_ullong(num, &uid) < 0)
					return -1;
				have_uid = 1;
			} else if (nl > 18 && strncasecmp(name, "BODY[HEADER.FIELDS", 18) == 0 &&
			    !(vl == 3 && strncasecmp(v, "NIL", 3) == 0)) {
				hv = v;
				hl = vl;
			}
		}
		if (ip_eol(&x) < 0)
			return -1;
		if (!have_uid)
			continue;	/* an unsolicited FETCH (FLAGS) */
		for (int i = 0; i < n; i++) {
			char *h;
			size_t keep = hl;

			if (hits[i].uid != uid)
				continue;
			hits[i].state = 1;
			if (hv == NULL)
				break;
			/*
			 * A field cut at MBX_HEADER_MAX is judged on the
			 * fields that end before the cut: a line break then a
			 * byte that starts no continuation (RFC 5322 2.2.3).
			 */
			if (hl >= MBX_HEADER_MAX) {
				for (keep = hl - 1; keep > 0; keep--)
					if (hv[keep - 1] == '\n' && hv[keep] != ' ' && hv[keep] != '\t')
						break;
			}
			h = xmalloc(keep + 1);
			memcpy(h, hv, keep);
			h[keep] = '\0';
			/* a NUL in the field ends it: no exact match then */
			if (strlen(h) == keep && header_is(h, want))
				hits[i].state = 2;
			free(h);
			break;
		}
		continue;
other:
		if (ip_skip(&x) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ IMAP actions */

/* uid_cmp - qsort: ascending UIDs */
static int
uid_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct ihit *)a)->uid, y = ((const struct ihit *)b)->uid;

	return x < y ? -1 : x > y;
}

/* imap_check - which of hits (n) carry exactly message_id: one FETCH per MBX_BATCH */
static int
imap_check(struct mbx *m, struct ihit *hits, int n, const char *message_id, char ids[][256],
    char **cause)
{
	struct buf cmd, cap;
	int found = 0;

	buf_init(&cmd, 0);
	buf_init(&cap, (size_t)MBX_BATCH * (MBX_HEADER_MAX + 256) + 256 * 1024);
	for (int b = 0, bs = MBX_BATCH; b < n && found < MBX_MAX_HITS; b += bs) {
		int k = n - b < bs ? n - b : bs, rc;

		buf_reset(&cmd);
		buf_addstr(&cmd, "UID FETCH ");
		for (int i = 0; i < k; i++)
			buf_printf(&cmd, "%s%lu", i ? "," : "", hits[b + i].uid);
		buf_printf(&cmd, " (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]<0.%d>)",
		    MBX_HEADER_MAX);
		buf_reset(&cap);
		m->capture = &cap;
		rc = imap_cmd(m, "/INBOX", cmd.data, MBX_ANSWER_MAX, MBX_IMAP_TIMEOUT, NULL,
		    "FETCH Message-ID", cause);
		m->capture = NULL;
		/*
		 * libcurl counts the lines of one answer against its limit of
		 * 300 KB of "headers", some of them again for every untagged
		 * answer: fewer hits a FETCH, down to one, when big headers
		 * pass it.
		 */
		if (rc < 0 && k > 1 && strstr(*cause, "Too large response headers") != NULL) {
			free(*cause);
			*cause = NULL;
			bs = k / 2;
			b -= bs;	/* the same hits again */
			continue;
		}
		if (rc < 0)
			goto fail;
		if (fetch_answer(cap.data, cap.len, hits + b, k, message_id) < 0) {
			*cause = str_printf("IMAP FETCH Message-ID in mailbox %s failed: the server's "
			    "answer cannot be read", m->mailbox);
			goto fail;
		}
		/* a hit not answered was expunged meanwhile: nothing to act on */
		for (int i = 0; i < k && found < MBX_MAX_HITS; i++)
			if (hits[b + i].state == 2)
				str_fmt(ids[found++], 256, "%lu", hits[b + i].uid);
	}
	buf_free(&cmd);
	buf_free(&cap);
	return found;
fail:
	buf_free(&cmd);
	buf_free(&cap);
	return -1;
}

/* imap_find - see mbx_find */
static int
imap_find(struct mbx *m, const char *message_id, char ids[][256], char **cause)
{
	struct buf cmd, out;
	struct ihit *hits = NULL;
	int n = 0, total = 0, rc = -1;
	char *line, *next, s[256];

	/*
	 * The value goes in a quoted string (RFC 3501 4.3): no '"' or '\'
	 * and no CR/LF in it, so nothing can end the command early. libcurl
	 * URL-decodes a custom request: '%' is sent as %25.
	 */
	if (message_id[0] == '\0' || strlen(message_id) > 998 || bad_text(message_id, "\"\\")) {
		*cause = str_printf("IMAP search in mailbox %s refused: the Message-ID holds a quote, "
		    "backslash, control or non-ASCII character, or is empty or too long", m->mailbox);
		return -1;
	}
	buf_init(&cmd, 0);
	buf_addstr(&cmd, "UID SEARCH HEADER Message-ID \"");
	for (const char *p = message_id; *p != '\0'; p++) {
		if (*p == '%')
			buf_addstr(&cmd, "%25");
		else
			buf_addch(&cmd, *p);
	}
	buf_addch(&cmd, '"');
	buf_init(&out, MBX_ANSWER_MAX);
	if (imap_cmd(m, "/INBOX", cmd.data, MBX_ANSWER_MAX, MBX_IMAP_TIMEOUT, &out, "SEARCH",
	    cause) < 0)
		goto done;
	hits = xcalloc(MBX_SEARCH_MAX, sizeof(*hits));
	for (line = out.data; line != NULL && *line != '\0'; line = next) {
		char *p, *end;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncasecmp(line, "* SEARCH", 8) != 0)
			continue;
		for (p = line + 8;;) {
			unsigned long long v;

			while (*p == ' ')
				p++;
			if (!isdigit((unsigned char)*p))
				break;
			v = strtoull(p, &end, 10);
			if (v == 0 || v > 4294967295ULL)
				break;
			if (n < MBX_SEARCH_MAX)
				hits[n++].uid = (unsigned long)v;
			total++;
			p = end;
		}
	}
	if (total > MBX_SEARCH_MAX) {
		/* checking them all would take too long: say so, never miss one silently */
		*cause = str_printf("IMAP search in mailbox %s: %d messages have a Message-ID "
		    "holding %s, more than the %d that are checked for it; nothing was done",
		    m->mailbox, total, safe(s, sizeof(s), message_id, strlen(message_id)),
		    MBX_SEARCH_MAX);
		goto done;
	}
	qsort(hits, (size_t)n, sizeof(*hits), uid_cmp);
	rc = n == 0 ? 0 : imap_check(m, hits, n, message_id, ids, cause);
done:
	free(hits);
	buf_free(&cmd);
	buf_free(&out);
	return rc;
}

/* imap_fetch - see mbx_fetch */
static int
imap_fetch(struct mbx *m, const char *id, char **data, size_t *len, char **cause)
{
	unsigned long uid = strtoul(id, NULL, 10);
	int seen = 1;
	char path[64];
	struct buf b;

	if (imap_seen(m, &uid, 1, &seen, cause) < 0)
		return -1;
	str_fmt(path, sizeof(path), "/INBOX/;UID=%lu", uid);
	buf_init(&b, MBX_MAX_MESSAGE);
	if (imap_cmd(m, path, NULL, MBX_MAX_MESSAGE, 300L, &b, "FETCH", cause) < 0) {
		buf_free(&b);
		return -1;
	}
	if (b.len == 0) {
		buf_free(&b);
		*cause = str_printf("IMAP FETCH in mailbox %s: message UID %lu is gone", m->mailbox,
		    uid);
		return -1;
	}
	if (imap_unseen(m, &uid, 1, &seen, cause) < 0) {
		buf_free(&b);
		return -1;
	}
	*len = b.len;
	*data = buf_steal(&b);
	return 0;
}

/* imap_delete - see mbx_delete */
static int
imap_delete(struct mbx *m, const char *id, char **cause)
{
	char cmd[400];

	if (m->folder[0] != '\0') {
		/* UID MOVE (RFC 6851) into the folder, a quoted string; '%' as %25 for libcurl */
		struct buf c;
		int rc;

		if (bad_text(m->folder, "\"\\")) {
			*cause = str_printf("IMAP MOVE in mailbox %s refused: the folder name of "
			    "profile %s holds a quote, backslash, control or non-ASCII character",
			    m->mailbox, m->name);
			return -1;
		}
		buf_init(&c, 0);
		buf_printf(&c, "UID MOVE %s \"", id);
		for (const char *p = m->folder; *p != '\0'; p++) {
			if (*p == '%')
				buf_addstr(&c, "%25");
			else
				buf_addch(&c, *p);
		}
		buf_addch(&c, '"');
		rc = imap_cmd(m, "/INBOX", c.data, MBX_ANSWER_MAX, MBX_IMAP_TIMEOUT, NULL,
		    "MOVE", cause);
		buf_free(&c);
		return rc;
	}
	/* \Deleted, then UID EXPUNGE (RFC 4315) of that message only */
	str_fmt(cmd, sizeof(cmd), "UID STORE %s +FLAGS.SILENT (\\Deleted)", id);
	if (imap_cmd(m, "/INBOX", cmd, MBX_ANSWER_MAX, MBX_IMAP_TIMEOUT, NULL, "STORE \\Deleted",
	    cause) < 0)
		return -1;
	str_fmt(cmd, sizeof(cmd), "UID EXPUNGE %s", id);
	return imap_cmd(m, "/INBOX", cmd, MBX_ANSWER_MAX, MBX_IMAP_TIMEOUT, NULL, "EXPUNGE",
	    cause);
}

/* ------------------------------------------------------------ Graph */

/* status_passes - an HTTP status a later try may not get (busy, down, too many requests) */
static int
status_passes(int status)
{
	return status >= 500 || status == 429 || status == 408;
}

/* graph_error - "HTTP 404 ErrorItemNotFound: The specified object was not found" */
static char *
graph_error(const struct hresp *rs)
{
	char code[128] = "", msg[256] = "";
	cJSON *j = cJSON_ParseWithLength(rs->body, rs->len), *e, *c = NULL, *d = NULL;

	if (j != NULL) {
		e = cJSON_GetObjectItemCaseSensitive(j, "error");
		if (cJSON_IsObject(e)) {
			c = cJSON_GetObjectItemCaseSensitive(e, "code");
			d = cJSON_GetObjectItemCaseSensitive(e, "message");
		} else if (cJSON_IsString(e)) {
			/* the token endpoint: {"error":"invalid_client","error_description":...} */
			c = e;
			d = cJSON_GetObjectItemCaseSensitive(j, "error_description");
		}
		if (cJSON_IsString(c))
			safe(code, sizeof(code), c->valuestring, strlen(c->valuestring));
		if (cJSON_IsString(d)) {
			/* the first line only: Azure appends trace and correlation ids */
			safe(msg, sizeof(msg), d->valuestring, strcspn(d->valuestring, "\r\n"));
		}
	}
	cJSON_Delete(j);
	return str_printf("HTTP %d%s%s%s%s", rs->status, code[0] ? " " : "", code,
	    msg[0] ? ": " : "", msg);
}

/* graph_token - a bearer token, fetched when there is none or it is due (or force) */
static int
graph_token(struct mbx *m, int force, char **cause)
{
	struct hreq rq = {};
	struct hresp rs;
	struct buf form;
	cJSON *j, *t, *e;
	char *err, s[256];
	time_t now = time(NULL);
	double exp;
	int rc;

	if (!force && m->token != NULL && now < m->token_until)
		return 0;
	if (m->token_url[0] == '\0') {
		*cause = str_printf("Graph profile %s has neither a tenant nor a token URL", m->name);
		return -1;
	}
	buf_init(&form, 0);
	buf_addstr(&form, "client_id=");
	pct(&form, m->user);
	buf_addstr(&form, "&client_secret=");
	pct(&form, m->secret);
	buf_addstr(&form, "&scope=");
	pct(&form, MBX_GRAPH_SCOPE);
	buf_addstr(&form, "&grant_type=client_credentials");
	rq.method = "POST";
	rq.url = m->token_url;
	rq.headers[0] = "Accept: application/json";
	rq.body = form.data;
	rq.body_len = form.len;
	rq.content_type = "application/x-www-form-urlencoded";
	rq.timeout_ms = MBX_GRAPH_TIMEOUT;
	rq.abort = m->abort;
	rq.max_body = 256 * 1024;
	rq.verify = m->verify;
	rq.ca_pem = m->ca_pem;
	if ((rc = hreq_do(&rq, &rs, &err)) < 0) {
		m->passing = rc == HREQ_PASSING;
		explicit_bzero(form.data, form.len);
		buf_free(&form);
		*cause = str_printf("Graph token request for client %s failed: %s",
		    safe(s, sizeof(s), m->user, strlen(m->user)), err);
		free(err);
		return -1;
	}
	explicit_bzero(form.data, form.len);
	buf_free(&form);
	if (rs.status != 200) {
		m->passing = status_passes(rs.status);
		err = graph_error(&rs);
		*cause = str_printf("Graph token request for client %s failed: %s%s",
		    safe(s, sizeof(s), m->user, strlen(m->user)), err,
		    rs.status == 400 || rs.status == 401 ?
		    " (check the tenant, client ID and client secret)" : "");
		free(err);
		hresp_free(&rs);
		return -1;
	}
	j = cJSON_ParseWithLength(rs.body, rs.len);
	t = cJSON_GetObjectItemCaseSensitive(j, "access_token");
	e = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
	if (!cJSON_IsString(t) || t->valuestring[0] == '\0' || bad_text(t->valuestring, NULL) ||
	    strlen(t->valuestring) > 16384) {
		*cause = str_printf("Graph token request for client %s: the answer holds no usable "
		    "access_token", safe(s, sizeof(s), m->user, strlen(m->user)));
		cJSON_Delete(j);
		hresp_free(&rs);
		return -1;
	}
	/* expires_in is a number, or a string of one from some endpoints */
	exp = cJSON_IsNumber(e) ? e->valuedouble :
	    cJSON_IsString(e) ? strtod(e->valuestring, NULL) : 3600;
	if (!(exp > 0) || exp > 86400)
		exp = 3600;
	wipe(m->token);
	m->token = str_dup(t->valuestring);
	m->token_until = now + (time_t)(exp > 120 ? exp - 60 : exp / 2);
	cJSON_Delete(j);
	hresp_free(&rs);
	return 0;
}

/*
 * graph_call - one Graph request with the token: a 401 gets a new token
 * and one more try, a 429 or 503 waits Retry-After (at most MBX_MAX_WAIT)
 * and one more try. 0 with *rs (any status), or -1.
 */
static int
graph_call(struct mbx *m, const char *method, const char *url, const char *body,
    size_t max, struct hresp *rs, const char *what, char **cause)
{
	struct hreq rq = {};
	char auth[16500], *err;
	int refreshed = 0, waited = 0, rc;

	for (;;) {
		if (graph_token(m, 0, cause) < 0)
			return -1;
		str_fmt(auth, sizeof(auth), "Authorization: Bearer %s", m->token);
		rq.method = method;
		rq.url = url;
		rq.headers[0] = auth;
		rq.headers[1] = "Accept: application/json";
		rq.body = body;
		rq.body_len = body ? strlen(body) : 0;
		rq.timeout_ms = MBX_GRAPH_TIMEOUT;
		rq.abort = m->abort;
		rq.max_body = max;
		rq.verify = m->verify;
		rq.ca_pem = m->ca_pem;
		if ((rc = hreq_do(&rq, rs, &err)) < 0) {
			m->passing = rc == HREQ_PASSING;
			explicit_bzero(auth, sizeof(auth));
			*cause = str_printf("Graph %s in mailbox %s failed: %s", what, m->mailbox, err);
			free(err);
			return -1;
		}
		explicit_bzero(auth, sizeof(auth));
		if (rs->status == 401 && !refreshed) {
			refreshed = 1;
			hresp_free(rs);
			wipe(m->token);
			m->token = NULL;
			continue;
		}
		if ((rs->status == 429 || rs->status == 503) && !waited) {
			int w = rs->retry_after < 0 ? 2 : rs->retry_after;

			waited = 1;
			hresp_free(rs);
			if (w > MBX_MAX_WAIT)
				w = MBX_MAX_WAIT;
			/* in fifths of a second, so that a stop does not wait it out */
			for (int i = 0; i < w * 5 && !(m->abort != NULL && *m->abort); i++)
				usleep(200000);
			continue;
		}
		return 0;
	}
}

/* graph_msg_url - BASE/users/UPN/messages[/ID[TAIL]] */
static void
graph_msg_url(struct mbx *m, struct buf *u, const char *mailbox, const char *id, const char *tail)
{
	buf_addstr(u, m->server);
	buf_addstr(u, "/users/");
	pct(u, mailbox);
	buf_addstr(u, "/messages");
	if (id != NULL) {
		buf_addch(u, '/');
		pct(u, id);
		buf_addstr(u, tail);
	}
}

/* graph_fail - the cause of an unexpected status */
static int
graph_fail(struct mbx *m, struct hresp *rs, const char *what, char **cause)
{
	char *e = graph_error(rs);

	m->passing = status_passes(rs->status);
	*cause = str_printf("Graph %s in mailbox %s failed: %s", what, m->mailbox, e);
	free(e);
	hresp_free(rs);
	return -1;
}

/* graph_find - see mbx_find */
static int
graph_find(struct mbx *m, const char *message_id, char ids[][256], char **cause)
{
	struct buf url, f;
	struct hresp rs;
	char prefix[1100];
	int found = 0;

	if (message_id[0] == '\0' || strlen(message_id) > 998 || bad_text(message_id, NULL)) {
		*cause = str_printf("Graph search in mailbox %s refused: the Message-ID holds a "
		    "control or non-ASCII character, or is empty or too long", m->mailbox);
		return -1;
	}
	/* OData string literal: a single quote is doubled */
	buf_init(&f, 0);
	buf_addstr(&f, "internetMessageId eq '");
	for (const char *p = message_id; *p != '\0'; p++) {
		if (*p == '\'')
			buf_addch(&f, '\'');
		buf_addch(&f, *p);
	}
	buf_addch(&f, '\'');
	buf_init(&url, 0);
	graph_msg_url(m, &url, m->mailbox, NULL, "");
	buf_addstr(&url, "?$filter=");
	pct(&url, f.data);
	buf_addstr(&url, "&$select=id");
	buf_free(&f);
	str_fmt(prefix, sizeof(prefix), "%s/", m->server);
	for (int page = 0; page < MBX_GRAPH_PAGES && found < MBX_MAX_HITS; page++) {
		cJSON *j, *v, *it, *next;

		if (graph_call(m, "GET", url.data, NULL, 4u * 1024 * 1024, &rs, "search", cause) < 0) {
			buf_free(&url);
			return -1;
		}
		if (rs.status != 200) {
			buf_free(&url);
			return graph_fail(m, &rs, "search", cause);
		}
		j = cJSON_ParseWithLength(rs.body, rs.len);
		v = cJSON_GetObjectItemCaseSensitive(j, "value");
		if (!cJSON_IsArray(v)) {
			cJSON_Delete(j);
			hresp_free(&rs);
			buf_free(&url);
			*cause = str_printf("Graph search in mailbox %s: the answer is not a message list",
			    m->mailbox);
			return -1;
		}
		cJSON_ArrayForEach(it, v) {
			cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");

			if (found >= MBX_MAX_HITS)
				break;
			if (!cJSON_IsString(id) || id->valuestring[0] == '\0' ||
			    strlen(id->valuestring) > 255 || bad_text(id->valuestring, NULL))
				continue;
			str_copy(ids[found++], id->valuestring, 256);
		}
		next = cJSON_GetObjectItemCaseSensitive(j, "@odata.nextLink");
		buf_reset(&url);
		/* the token goes to the Graph base only */
		if (cJSON_IsString(next) && strncmp(next->valuestring, prefix, strlen(prefix)) == 0 &&
		    !bad_text(next->valuestring, NULL))
			buf_addstr(&url, next->valuestring);
		cJSON_Delete(j);
		hresp_free(&rs);
		if (url.len == 0)
			break;
	}
	buf_free(&url);
	return found;
}

/* graph_fetch - the message's MIME content (.../messages/ID/$value) */
static int
graph_fetch(struct mbx *m, const char *id, char **data, size_t *len, char **cause)
{
	struct buf url;
	struct hresp rs;
	int rc;

	buf_init(&url, 0);
	graph_msg_url(m, &url, m->mailbox, id, "/$value");
	rc = graph_call(m, "GET", url.data, NULL, MBX_MAX_MESSAGE, &rs, "fetch", cause);
	buf_free(&url);
	if (rc < 0)
		return -1;
	if (rs.status != 200)
		return graph_fail(m, &rs, "fetch", cause);
	*data = rs.body;
	*len = rs.len;
	return 0;
}

/* graph_post - POST a JSON body to .../messages/ID/TAIL, expecting status want */
static int
graph_post(struct mbx *m, const char *id, const char *tail, cJSON *body, int want,
    const char *what, char **cause)
{
	struct buf url;
	struct hresp rs;
	char *text = cJSON_PrintUnformatted(body);
	int rc;

	if (text == NULL)
		abort();
	buf_init(&url, 0);
	graph_msg_url(m, &url, m->mailbox, id, tail);
	rc = graph_call(m, "POST", url.data, text, 256 * 1024, &rs, what, cause);
	buf_free(&url);
	free(text);
	if (rc < 0)
		return -1;
	if (rs.status != want && !(want == 201 && rs.status == 200))
		return graph_fail(m, &rs, what, cause);
	hresp_free(&rs);
	return 0;
}

/* graph_delete - see mbx_delete */
static int
graph_delete(struct mbx *m, const char *id, char **cause)
{
	struct buf url;
	struct hresp rs;
	cJSON *b;
	int rc;

	if (m->folder[0] != '\0') {
		b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "destinationId", m->folder);
		rc = graph_post(m, id, "/move", b, 201, "move", cause);
		cJSON_Delete(b);
		return rc;
	}
	buf_init(&url, 0);
	graph_msg_url(m, &url, m->mailbox, id, "");
	rc = graph_call(m, "DELETE", url.data, NULL, 256 * 1024, &rs, "delete", cause);
	buf_free(&url);
	if (rc < 0)
		return -1;
	if (rs.status != 204 && rs.status != 200)
		return graph_fail(m, &rs, "delete", cause);
	hresp_free(&rs);
	return 0;
}

/* graph_forward - see mbx_forward */
static int
graph_forward(struct mbx *m, const char *id, const char *to, const char *comment, char **cause)
{
	cJSON *b = cJSON_CreateObject(), *r, *e, *a;
	int rc;

	if (b == NULL)
		abort();
	cJSON_AddStringToObject(b, "comment", comment ? comment : "");
	r = cJSON_AddArrayToObject(b, "toRecipients");
	e = cJSON_CreateObject();
	a = cJSON_AddObjectToObject(e, "emailAddress");
	cJSON_AddStringToObject(a, "address", to);
	cJSON_AddItemToArray(r, e);
	rc = graph_post(m, id, "/forward", b, 202, "forward", cause);
	cJSON_Delete(b);
	return rc;
}

/* ------------------------------------------------------------ the API */

/* id_check - an id from mbx_find, in a session that has found */
static int
id_check(struct mbx *m, const char *mailbox, const char *id, const char *what, char **cause)
{
	if (strcmp(m->mailbox, mailbox) != 0) {
		*cause = str_printf("%s in mailbox %s: no search was made in that mailbox first",
		    what, mailbox);
		return -1;
	}
	if (m->backend == REMED_IMAP ? !uid_ok(id) : id[0] == '\0' || bad_text(id, NULL)) {
		*cause = str_printf("%s in mailbox %s: not a message id of this server", what, mailbox);
		return -1;
	}
	return 0;
}

int
mbx_find(struct mbx *m, const char *mailbox, const char *login, const char *password,
    const char *message_id, char ids[][256], char **cause)
{
	m->passing = 0;
	if (mailbox[0] == '\0' || bad_text(mailbox, NULL) ||
	    str_copy(m->mailbox, mailbox, sizeof(m->mailbox)) < 0) {
		m->mailbox[0] = '\0';
		*cause = str_printf("mailbox name refused: empty, too long or with control characters");
		return -1;
	}
	if (m->backend == REMED_GRAPH)
		return graph_find(m, message_id, ids, cause);
	if (m->backend != REMED_IMAP) {
		*cause = str_printf("profile %s has no known backend", m->name);
		return -1;
	}
	if (strncmp(m->server, "imaps://", 8) != 0 && strncmp(m->server, "imap://", 7) != 0) {
		*cause = str_printf("IMAP server of profile %s is not an imaps:// or imap:// URL",
		    m->name);
		return -1;
	}
	if (login == NULL || login[0] == '\0' || bad_text(login, NULL) ||
	    password == NULL || strpbrk(password, "\r\n") != NULL) {
		*cause = str_printf("IMAP login for mailbox %s refused: no login or password, or one "
		    "with control characters", mailbox);
		return -1;
	}
	if (m->login == NULL || strcmp(m->login, login) != 0) {
		free(m->login);
		m->login = str_dup(login);
	}
	wipe(m->password);
	m->password = str_dup(password);
	return imap_find(m, message_id, ids, cause);
}

int
mbx_fetch(struct mbx *m, const char *mailbox, const char *id, char **data, size_t *len,
    char **cause)
{
	m->passing = 0;
	if (id_check(m, mailbox, id, m->backend == REMED_IMAP ? "IMAP FETCH" : "Graph fetch",
	    cause) < 0)
		return -1;
	if (m->backend == REMED_GRAPH)
		return graph_fetch(m, id, data, len, cause);
	return imap_fetch(m, id, data, len, cause);
}

int
mbx_forward(struct mbx *m, const char *mailbox, const char *id, const char *to,
    const char *comment, char **cause)
{
	m->passing = 0;
	if (m->backend != REMED_GRAPH)
		return 1;
	if (id_check(m, mailbox, id, "Graph forward", cause) < 0)
		return -1;
	if (to == NULL || to[0] == '\0' || bad_text(to, NULL) || strchr(to, '@') == NULL) {
		*cause = str_printf("Graph forward from mailbox %s refused: no forward address",
		    mailbox);
		return -1;
	}
	return graph_forward(m, id, to, comment, cause);
}

int
mbx_delete(struct mbx *m, const char *mailbox, const char *id, char **cause)
{
	m->passing = 0;
	if (id_check(m, mailbox, id, m->backend == REMED_IMAP ? "IMAP delete" : "Graph delete",
	    cause) < 0)
		return -1;
	if (m->backend == REMED_GRAPH)
		return graph_delete(m, id, cause);
	return imap_delete(m, id, cause);
}

int
mbx_passing(const struct mbx *m)
{
	return m->passing;
}

void
mbx_set_abort(struct mbx *m, volatile int *flag)
{
	m->abort = flag;
}
