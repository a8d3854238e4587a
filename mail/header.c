/*
 * header.c - walk and read the header section of an RFC 5322 message.
 *
 * The daemon uses this on the bytes it has just received to log
 * Message-ID and Subject and to find the end of the headers; the input
 * is hostile. Everything here is bounded: HEADER_MAX_COUNT headers of
 * at most HEADER_MAX_LEN bytes each, and each memchr() is limited to
 * what one header may still take, so a message with a 50 MB first line
 * costs 64 KiB of scanning, not 50 MB.
 *
 * Where RFC 5322 and real mail disagree we do what Postfix cleanup does:
 * bare LF line ends are line ends, white space before the colon is
 * accepted (RFC 5322 4.5.1 obs-optional), and the first line that is
 * neither a header nor a continuation starts the body even without the
 * empty line.
 *
 * DIAGNOSTICS: header_walk() returns -1 when a limit is reached; nothing
 * here allocates, logs or aborts.
 */
#include <string.h>
#include <strings.h>

#include "mail/header.h"

/* is_wsp - SP or HTAB (RFC 5322 WSP) */
static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* is_fws - WSP or a line-end byte: what folding white space is made of */
static int
is_fws(int c)
{
	return is_wsp(c) || c == '\r' || c == '\n';
}

/* header_walk - call cb for each header of the header section */
int
header_walk(const char *msg, size_t len,
    int (*cb)(const char *name, size_t nlen, const char *value, size_t vlen, void *arg),
    void *arg, size_t *body_off)
{
	size_t off = 0;
	int count = 0;

	for (;;) {
		size_t i, lim, name_end, vstart, vend, next;
		const char *nl;

		*body_off = off;
		if (off >= len) {
			*body_off = len;
			return count;
		}
		/* the empty line ends the header section */
		if (msg[off] == '\n') {
			*body_off = off + 1;
			return count;
		}
		if (msg[off] == '\r' && off + 1 < len && msg[off + 1] == '\n') {
			*body_off = off + 2;
			return count;
		}
		/* everything of this header must lie in msg[off..lim) */
		lim = len - off > HEADER_MAX_LEN ? off + HEADER_MAX_LEN : len;
		/* field-name: printable US-ASCII except ':' (RFC 5322 2.2) */
		for (i = off; i < lim && msg[i] > 32 && msg[i] < 127 && msg[i] != ':'; i++)
			;
		name_end = i;
		while (i < lim && is_wsp((unsigned char)msg[i]))
			i++;
		if (i == lim && lim < len)
			return -1;	/* a name or padding of 64 KiB */
		if (name_end == off || i == lim || msg[i] != ':')
			return count;	/* not a header: the body starts here */
		if (count == HEADER_MAX_COUNT)
			return -1;
		vstart = i + 1;
		while (vstart < lim && is_wsp((unsigned char)msg[vstart]))
			vstart++;
		/* find the last line of this header: continuations start with WSP */
		for (i = vstart;; i = next) {
			nl = memchr(msg + i, '\n', lim - i);
			if (nl == NULL) {
				if (lim < len)
					return -1;	/* longer than HEADER_MAX_LEN */
				vend = next = len;	/* the input ends inside this header */
				break;
			}
			next = (size_t)(nl - msg) + 1;
			if (next < len && is_wsp((unsigned char)msg[next]))
				continue;
			vend = next - 1;
			break;
		}
		if (vend > vstart && msg[vend - 1] == '\r')
			vend--;
		count++;
		if (cb != NULL &&
		    cb(msg + off, name_end - off, msg + vstart, vend - vstart, arg) != 0) {
			*body_off = next;
			return count;
		}
		off = next;
	}
}

/* header_unfold - copy an unfolded, trimmed value into out[size] */
size_t
header_unfold(const char *value, size_t vlen, char *out, size_t size)
{
	size_t i = 0, n = 0;

	if (size == 0)
		return 0;
	while (i < vlen && is_fws((unsigned char)value[i]))
		i++;
	while (vlen > i && is_fws((unsigned char)value[vlen - 1]))
		vlen--;
	while (i < vlen) {
		unsigned char c = (unsigned char)value[i];
		size_t j = i;
		int fold = 0;

		while (j < vlen && is_fws((unsigned char)value[j])) {
			fold |= value[j] == '\r' || value[j] == '\n';
			j++;
		}
		if (j > i && fold) {
			/* RFC 5322 2.2.3 unfolding, collapsed as log readers expect */
			if (n + 1 >= size)
				break;
			out[n++] = ' ';
			i = j;
			continue;
		}
		if (n + 1 >= size) {
			if ((c & 0xC0) == 0x80) {
				/* cut before the character the next byte belongs to */
				while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
					n--;
				if (n > 0 && (unsigned char)out[n - 1] >= 0xC0)
					n--;
			}
			break;
		}
		out[n++] = c == '\0' ? '?' : (char)c;
		i++;
	}
	/* truncation may have left white space at the end */
	while (n > 0 && is_wsp((unsigned char)out[n - 1]))
		n--;
	out[n] = '\0';
	return n;
}

/* name_is - is the n-byte field name equal to want, ignoring case? */
static int
name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* scan_cb - header_walk callback for header_scan */
static int
scan_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct header_info *hi = arg;

	hi->nheaders++;
	if (name_is(name, nlen, "Received"))
		hi->nreceived++;
	else if (!hi->has_message_id && name_is(name, nlen, "Message-ID")) {
		header_unfold(value, vlen, hi->message_id, sizeof(hi->message_id));
		hi->has_message_id = 1;
	} else if (!hi->has_subject && name_is(name, nlen, "Subject")) {
		header_unfold(value, vlen, hi->subject, sizeof(hi->subject));
		hi->has_subject = 1;
	} else if (!hi->has_from && name_is(name, nlen, "From")) {
		header_unfold(value, vlen, hi->from, sizeof(hi->from));
		hi->has_from = 1;
	} else if (!hi->has_date && name_is(name, nlen, "Date")) {
		header_unfold(value, vlen, hi->date, sizeof(hi->date));
		hi->has_date = 1;
	}
	return 0;
}

/* header_scan - the headers mail_logs and policies want, first occurrence each */
int
header_scan(const char *msg, size_t len, struct header_info *hi)
{
	memset(hi, 0, sizeof(*hi));
	return header_walk(msg, len, scan_cb, hi, &hi->body_off);
}

struct find_arg {
	const char *name;	/* wanted field name */
	char *out;		/* caller's buffer */
	size_t size;		/* its size */
	int found;		/* set when the header was seen */
};

/* find_cb - header_walk callback for header_find: stop at the first match */
static int
find_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct find_arg *fa = arg;

	if (!name_is(name, nlen, fa->name))
		return 0;
	header_unfold(value, vlen, fa->out, fa->size);
	fa->found = 1;
	return 1;
}

/* header_find - the unfolded value of the first header with this name */
int
header_find(const char *msg, size_t len, const char *name, char *out, size_t size)
{
	struct find_arg fa = { name, out, size, 0 };
	size_t body_off;

	if (size > 0)
		out[0] = '\0';
	header_walk(msg, len, find_cb, &fa, &body_off);
	return fa.found;
}
