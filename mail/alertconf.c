/*
 * alertconf.c - alert recipients: parsing, the stored form, loading a
 * snapshot's list, and the text of an alert mail (mail/alertconf.h).
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause; the stored form is
 * written only by alertconf_encode, so a value that does not decode is a
 * damaged item and fails the snapshot with the item named.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/alertconf.h"
#include "mail/mailfmt.h"
#include "store/alert.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/syntax.h"

#define SUBJECT_TEXT_CUT 200	/* bytes of alert text in the Subject (the body has it all) */
#define BODY_WIDTH 76		/* the body's text is wrapped at blanks before this column */

/* A name operators type, the bit, and the name shown. */
struct name_bit {
	const char *word;	/* typed (any case) */
	unsigned bit;
	const char *shown;	/* printed; also the class gw_alert uses */
};

static const struct name_bit class_names[] = {
	{ "system", ALERTCONF_C_SYSTEM, "System" },
	{ "queue", ALERTCONF_C_QUEUE, "Queue" },
	{ "listener", ALERTCONF_C_LISTENER, "Listener" },
	{ "tdc", ALERTCONF_C_TDC, "Threat Defense Connector" },
	{ NULL, 0, NULL },
};

static const struct name_bit sev_names[] = {
	{ "critical", ALERTCONF_S_CRITICAL, "Critical" },
	{ "warning", ALERTCONF_S_WARNING, "Warning" },
	{ "information", ALERTCONF_S_INFO, "Information" },
	{ "info", ALERTCONF_S_INFO, "Information" },
	{ NULL, 0, NULL },
};

/* parse_list - "all" or a comma list of words of names into *mask */
static int
parse_list(const char *in, const struct name_bit *names, unsigned all, const char *what,
    const char *allowed, unsigned *mask, char **cause)
{
	char **v;
	unsigned m = 0;
	int n, bad = -1;

	v = str_split(in, ',', &n);
	for (int i = 0; i < n && bad < 0; i++) {
		char *w = str_trim(v[i]);
		int j;

		if (strcasecmp(w, "all") == 0) {
			m |= all;
			continue;
		}
		for (j = 0; names[j].word; j++)
			if (strcasecmp(w, names[j].word) == 0 ||
			    strcasecmp(w, names[j].shown) == 0)
				break;
		if (names[j].word == NULL || *w == '\0')
			bad = i;
		else
			m |= names[j].bit;
	}
	if (bad >= 0 || m == 0) {
		*cause = str_printf("Invalid %s '%.100s': use all or a comma list of %s.", what,
		    bad >= 0 ? str_trim(v[bad]) : in, allowed);
		str_split_free(v);
		return -1;
	}
	str_split_free(v);
	*mask = m;
	return 0;
}

/* list_text - "All" or the shown names of the bits in mask */
static const char *
list_text(unsigned mask, const struct name_bit *names, unsigned all, char *buf, size_t size)
{
	size_t used = 0;

	if ((mask & all) == all) {
		str_copy(buf, "All", size);
		return buf;
	}
	buf[0] = '\0';
	for (int i = 0; names[i].word; i++) {
		if (!(mask & names[i].bit) || (i > 0 && names[i].bit == names[i - 1].bit))
			continue;
		str_fmt(buf + used, size - used, "%s%s", used ? ", " : "", names[i].shown);
		used = strlen(buf);
	}
	return buf;
}

int
alertconf_parse_addr(const char *in, char *out, size_t size, char **cause)
{
	if (!syntax_email(in) || strlen(in) >= size) {
		*cause = str_printf("Invalid address '%.100s': an email address is a localname, "
				    "'@' and a domain, like admin@example.com.", in);
		return -1;
	}
	str_copy(out, in, size);
	str_lower(strrchr(out, '@') + 1);
	return 0;
}

int
alertconf_parse_classes(const char *in, unsigned *mask, char **cause)
{
	return parse_list(in, class_names, ALERTCONF_C_ALL, "alert class",
	    "system, queue, listener, tdc", mask, cause);
}

int
alertconf_parse_severities(const char *in, unsigned *mask, char **cause)
{
	return parse_list(in, sev_names, ALERTCONF_S_ALL, "severity",
	    "critical, warning, information", mask, cause);
}

const char *
alertconf_classes_text(unsigned mask, char *buf, size_t size)
{
	return list_text(mask, class_names, ALERTCONF_C_ALL, buf, size);
}

const char *
alertconf_severities_text(unsigned mask, char *buf, size_t size)
{
	return list_text(mask, sev_names, ALERTCONF_S_ALL, buf, size);
}

/* words - the typed words of mask ("all" or "system,queue") into buf */
static void
words(unsigned mask, const struct name_bit *names, unsigned all, char *buf, size_t size)
{
	size_t used = 0;

	if ((mask & all) == all) {
		str_copy(buf, "all", size);
		return;
	}
	buf[0] = '\0';
	for (int i = 0; names[i].word; i++) {
		if (!(mask & names[i].bit) || (i > 0 && names[i].bit == names[i - 1].bit))
			continue;
		str_fmt(buf + used, size - used, "%s%s", used ? "," : "", names[i].word);
		used = strlen(buf);
	}
}

char *
alertconf_encode(unsigned classes, unsigned severities)
{
	char c[128], s[64];

	words(classes, class_names, ALERTCONF_C_ALL, c, sizeof(c));
	words(severities, sev_names, ALERTCONF_S_ALL, s, sizeof(s));
	return str_printf("classes=%s severities=%s", c, s);
}

int
alertconf_decode(const char *value, struct alert_rcpt *r, char **cause)
{
	const char *c = strstr(value, "classes="), *s = strstr(value, " severities=");
	char *cl;
	int rc;

	if (c != value || s == NULL) {
		*cause = str_printf("damaged alert recipient value '%.100s'", value);
		return -1;
	}
	cl = str_ndup(c + 8, (size_t)(s - c - 8));
	rc = alertconf_parse_classes(cl, &r->classes, cause);
	free(cl);
	if (rc < 0)
		return -1;
	return alertconf_parse_severities(s + 12, &r->severities, cause);
}

unsigned
alertconf_class_bit(const char *aclass)
{
	for (int i = 0; class_names[i].word; i++)
		if (strcasecmp(aclass, class_names[i].shown) == 0)
			return class_names[i].bit;
	return ALERTCONF_C_OTHER;
}

int
alertconf_wants(const struct alert_rcpt *r, int severity, const char *aclass)
{
	if (severity < 0 || severity > 2 || !(r->severities & (1u << severity)))
		return 0;
	return (r->classes & alertconf_class_bit(aclass)) != 0;
}

/* ---------------------------------------------------------- loading */

struct loadctx {
	struct alert_conf *ac;
	char *cause;
};

/* add_rcpt - config_item_cb for section alert.rcpt */
static int
add_rcpt(const char *section, const char *key, const char *value, void *arg)
{
	struct loadctx *lc = arg;
	struct alert_conf *ac = lc->ac;
	struct alert_rcpt r = { 0 };
	char *cause = NULL;

	(void)section;
	if (alertconf_parse_addr(key, r.addr, sizeof(r.addr), &cause) < 0 ||
	    alertconf_decode(value, &r, &cause) < 0) {
		lc->cause = str_printf("alert recipient %.100s: %s", key, cause);
		free(cause);
		return 1;
	}
	ac->r = xrealloc(ac->r, sizeof(*ac->r) * (size_t)(ac->n + 1));
	ac->r[ac->n++] = r;
	return 0;
}

int
alertconf_load(struct store *st, struct alert_conf *ac, char **cause)
{
	struct loadctx lc = { ac, NULL };
	char *v = NULL;
	long n;

	memset(ac, 0, sizeof(*ac));
	if (config_list(st, ALERTCONF_SECTION, add_rcpt, &lc, cause) < 0)
		return -1;
	if (lc.cause) {
		*cause = lc.cause;
		return -1;
	}
	if (settings_read(st, "alert.from", &v, cause) < 0)
		return -1;
	str_copy(ac->from, v, sizeof(ac->from));
	free(v);
	if (settings_read(st, "alert.dup_interval", &v, cause) < 0)
		return -1;
	if (str_to_long(v, 0, 86400 * 7, &n) < 0) {
		*cause = str_printf("setting alert.dup_interval: '%.100s' is not a number", v);
		free(v);
		return -1;
	}
	free(v);
	ac->dup_interval = (int)n;
	return 0;
}

void
alertconf_free(struct alert_conf *ac)
{
	free(ac->r);
	ac->r = NULL;
	ac->n = 0;
}

/* ---------------------------------------------------------- the mail */

/* ascii_line - s as one header-safe US-ASCII line, at most cut bytes, into b */
static void
ascii_line(struct buf *b, const char *s, size_t cut)
{
	size_t i;

	for (i = 0; s[i] && i < cut; i++) {
		unsigned char ch = (unsigned char)s[i];

		buf_addch(b, ch < 32 || ch == 127 ? ' ' : ch > 127 ? '?' : (char)ch);
	}
	if (s[i])
		buf_addstr(b, "...");
}

/* fold - a header line, folded at blanks so that lines stay under 78 columns */
static void
fold(struct buf *out, const char *line)
{
	size_t col = 0, len = strlen(line), i = 0;

	while (i < len) {
		size_t w = i;

		while (w < len && line[w] != ' ')
			w++;
		/* a word [i, w) and the blank before it */
		if (col > 0 && col + (w - i) + 1 > 76) {
			buf_addstr(out, "\r\n ");
			col = 1;
		} else if (i > 0) {
			buf_addch(out, ' ');
			col++;
		}
		buf_add(out, line + i, w - i);
		col += w - i;
		i = w;
		while (i < len && line[i] == ' ')
			i++;
	}
	buf_addstr(out, "\r\n");
}

/* wrap - body text (UTF-8 kept), controls as blanks, wrapped at blanks */
static void
wrap(struct buf *out, const char *s)
{
	size_t len = strlen(s), i = 0, col = 0;

	while (i < len) {
		size_t w = i;

		while (w < len && s[w] != ' ')
			w++;
		if (col > 0 && col + (w - i) + 1 > BODY_WIDTH) {
			buf_addstr(out, "\r\n");
			col = 0;
		} else if (col > 0) {
			buf_addch(out, ' ');
			col++;
		}
		for (size_t k = i; k < w; k++) {
			unsigned char ch = (unsigned char)s[k];

			buf_addch(out, ch < 32 || ch == 127 ? ' ' : (char)ch);
			/* a word longer than a line is cut (RFC 5322 2.1.1: 998) */
			if (++col >= 900) {
				buf_addstr(out, "\r\n");
				col = 0;
			}
		}
		i = w;
		while (i < len && s[i] == ' ')
			i++;
	}
	buf_addstr(out, "\r\n");
}

char *
alertconf_build(const struct alertmail_in *in, size_t *len)
{
	struct buf b, subj;
	char date[64], when[64];
	const char *sev = alert_severity_name((enum alert_severity)in->severity);

	mailfmt_date(in->when, date, sizeof(date));
	buf_init(&b, 0);
	buf_addstr(&b, "From: <");
	mailfmt_clean(&b, in->from);
	buf_addstr(&b, ">\r\nTo: ");
	for (int i = 0; i < in->nto; i++) {
		buf_addstr(&b, i ? ",\r\n <" : "<");
		mailfmt_clean(&b, in->to[i]);
		buf_addch(&b, '>');
	}
	buf_addstr(&b, "\r\n");
	/* AsyncOS: "Subject: [severity]-[hostname]: ([class]) short message" */
	buf_init(&subj, 0);
	buf_addstr(&subj, "Subject: ");
	ascii_line(&subj, sev, 32);
	buf_addch(&subj, '-');
	ascii_line(&subj, in->hostname, 255);
	buf_addstr(&subj, ": (");
	ascii_line(&subj, in->aclass, ALERT_CLASS_MAX);
	buf_addstr(&subj, ") ");
	ascii_line(&subj, in->text, SUBJECT_TEXT_CUT);
	buf_addch(&subj, '\0');
	fold(&b, subj.data);
	buf_free(&subj);
	buf_printf(&b, "Date: %s\r\n", date);
	buf_printf(&b, "Message-ID: <alert.%lld.%lld@", (long long)in->alert_id,
	    (long long)in->mid);
	mailfmt_clean(&b, in->hostname);
	buf_addstr(&b, ">\r\nAuto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
		       "Content-Type: text/plain; charset=utf-8\r\n"
		       "Content-Transfer-Encoding: 8bit\r\n\r\n");

	buf_addstr(&b, "The gateway ");
	mailfmt_clean(&b, in->hostname);
	buf_addstr(&b, " raised this alert.\r\n\r\n");
	buf_printf(&b, "Time:     %s\r\n", date);
	buf_addstr(&b, "Host:     ");
	mailfmt_clean(&b, in->hostname);
	buf_addstr(&b, "\r\nClass:    ");
	mailfmt_clean(&b, in->aclass);
	buf_printf(&b, "\r\nSeverity: %s\r\n", sev);
	buf_printf(&b, "Alert:    %lld\r\n", (long long)in->alert_id);
	buf_addstr(&b, "Version:  mxgate ");
	mailfmt_clean(&b, in->version);
	buf_addstr(&b, "\r\n\r\n");
	wrap(&b, in->text);
	if (in->suppressed > 0) {
		char *t;

		mailfmt_date(in->suppressed_since, when, sizeof(when));
		t = str_printf("This alert was raised %lld more time%s since %s that %s not "
			       "mailed (duplicates within the alert interval).",
		    (long long)in->suppressed, in->suppressed == 1 ? "" : "s", when,
		    in->suppressed == 1 ? "was" : "were");
		buf_addstr(&b, "\r\n");
		wrap(&b, t);
		free(t);
	}
	buf_addstr(&b, "\r\nDisplay every alert with the displayalerts command.\r\n");
	*len = b.len;
	return buf_steal(&b);
}
