/*
 * rfc2047.c - RFC 2047 encoded-words ("=?utf-8?B?...?=") decoded to
 * UTF-8, for the filters (filter_eval.c) and the shell's listings
 * (showrecipients, showmessage); and the charset and digit helpers the
 * filters' RFC 2231, base64 and quoted-printable decoders share.
 *
 * Pure: no I/O. Charsets: UTF-8 and ASCII (and any unknown one, whose
 * bytes are kept as they are), ISO-8859-1, Windows-1252. A malformed
 * encoded-word is left as written.
 *
 * DIAGNOSTICS: none; allocation failure aborts (util/buf.c).
 */
#include <string.h>
#include <strings.h>

#include "mail/rfc2047.h"

/* rfc2047_hexval - a hex digit's value or -1 */
int
rfc2047_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* rfc2047_b64val - a base64 digit's value, -2 for '=', -1 for anything else */
int
rfc2047_b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return c == '=' ? -2 : -1;
}

/* Windows-1252's 0x80..0x9F (0: as ISO-8859-1) */
static const unsigned short cp1252[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
	0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* rfc2047_charset - 0 UTF-8 or ASCII (or unknown: bytes as they are), 1 ISO-8859-1, 2 Windows-1252 */
int
rfc2047_charset(const char *cs, size_t n)
{
	static const char *const latin1[] = { "iso-8859-1", "iso8859-1", "latin1", "latin-1",
		"l1", "us-ascii", "ascii" };
	static const char *const win[] = { "windows-1252", "cp1252", "x-cp1252" };

	for (size_t i = 0; i < sizeof(latin1) / sizeof(latin1[0]); i++)
		if (strlen(latin1[i]) == n && strncasecmp(cs, latin1[i], n) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(win) / sizeof(win[0]); i++)
		if (strlen(win[i]) == n && strncasecmp(cs, win[i], n) == 0)
			return 2;
	return 0;
}

/* rfc2047_to_utf8 - append s[0..n) in charset kind k (rfc2047_charset) as UTF-8 */
void
rfc2047_to_utf8(struct buf *o, const char *s, size_t n, int k)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned int u = c;

		if (k == 0 || c < 0x80) {
			buf_addch(o, (char)c);
			continue;
		}
		if (k == 2 && c < 0xA0 && cp1252[c - 0x80] != 0)
			u = cp1252[c - 0x80];
		if (u < 0x800) {
			buf_addch(o, (char)(0xC0 | (u >> 6)));
		} else {
			buf_addch(o, (char)(0xE0 | (u >> 12)));
			buf_addch(o, (char)(0x80 | ((u >> 6) & 0x3F)));
		}
		buf_addch(o, (char)(0x80 | (u & 0x3F)));
	}
}

/*
 * ew_len - the length of the RFC 2047 encoded-word "=?cs?E?text?=" at
 * s[0..n), 0 if there is none; *cs, *cslen its charset (without an RFC
 * 2231 "*lang"), *enc 'B' or 'Q', *txt, *tlen its text
 */
static size_t
ew_len(const char *s, size_t n, const char **cs, size_t *cslen, char *enc, const char **txt,
    size_t *tlen)
{
	size_t i = 2, j;

	if (n < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	while (i < n && s[i] != '?' && s[i] != ' ' && s[i] != '\t' && (unsigned char)s[i] > 0x20 &&
	    i < 80)
		i++;
	if (i == 2 || i + 3 >= n || s[i] != '?' || s[i + 2] != '?')
		return 0;
	*cs = s + 2;
	*cslen = i - 2;
	for (j = 0; j < *cslen && (*cs)[j] != '*'; j++)
		;
	*cslen = j;
	*enc = (char)(s[i + 1] == 'b' || s[i + 1] == 'B' ? 'B' : s[i + 1] == 'q' || s[i + 1] == 'Q' ?
	    'Q' : 0);
	if (*enc == 0)
		return 0;
	*txt = s + i + 3;
	for (j = i + 3; j + 1 < n; j++) {
		if (s[j] == '\r' || s[j] == '\n')
			return 0;
		if (s[j] == '?' && s[j + 1] == '=') {
			*tlen = j - (i + 3);
			return j + 2;
		}
	}
	return 0;
}

/* ew_decode - append the decoded text of one encoded-word, as UTF-8 */
static void
ew_decode(struct buf *o, const char *cs, size_t cslen, char enc, const char *t, size_t n)
{
	struct buf raw;
	unsigned int acc = 0;
	int bits = 0;

	buf_init(&raw, 0);
	for (size_t i = 0; i < n; i++) {
		int v, h, l;

		if (enc == 'B') {
			if ((v = rfc2047_b64val((unsigned char)t[i])) == -2)
				break;
			if (v < 0)
				continue;
			acc = (acc << 6) | (unsigned int)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				buf_addch(&raw, (char)((acc >> bits) & 0xFF));
			}
		} else if (t[i] == '_') {
			buf_addch(&raw, ' ');
		} else if (t[i] == '=' && i + 2 < n && (h = rfc2047_hexval((unsigned char)t[i + 1])) >= 0 &&
		    (l = rfc2047_hexval((unsigned char)t[i + 2])) >= 0) {
			buf_addch(&raw, (char)(h * 16 + l));
			i += 2;
		} else {
			buf_addch(&raw, t[i]);
		}
	}
	rfc2047_to_utf8(o, (raw.data != NULL ? raw.data : ""), raw.len, rfc2047_charset(cs, cslen));
	buf_free(&raw);
}

/*
 * rfc2047_decode - s[0..n) with its encoded-words decoded (RFC 2047 6.2: white
 * space between two encoded-words goes) into o; 1 if there was one
 */
int
rfc2047_decode(const char *s, size_t n, struct buf *o)
{
	const char *cs, *t;
	size_t cslen, tlen, l, i = 0;
	char enc;
	int prev = 0, any = 0;

	buf_reset(o);
	while (i < n) {
		if ((l = ew_len(s + i, n - i, &cs, &cslen, &enc, &t, &tlen)) > 0) {
			ew_decode(o, cs, cslen, enc, t, tlen);
			i += l;
			prev = any = 1;
			continue;
		}
		if (s[i] == ' ' || s[i] == '\t') {
			size_t j = i;

			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (!(prev && ew_len(s + j, n - j, &cs, &cslen, &enc, &t, &tlen) > 0))
				buf_add(o, s + i, j - i);
			i = j;
			continue;
		}
		buf_addch(o, s[i++]);
		prev = 0;
	}
	buf_addstr(o, "");
	return any;
}
