/*
 * rfc2047.h - RFC 2047 encoded-words in header values, decoded to UTF-8
 * (rfc2047.c), and the charset and digit helpers MIME decoding shares.
 */
#ifndef MAIL_RFC2047_H
#define MAIL_RFC2047_H

#include <stddef.h>

#include "util/buf.h"

/*
 * rfc2047_decode - s[0..n) with its encoded-words decoded into o (reset
 * first, NUL-terminated; RFC 2047 6.2: white space between two
 * encoded-words goes); 1 if there was one, 0 if o holds s as it was
 */
int rfc2047_decode(const char *s, size_t n, struct buf *o);

/* rfc2047_charset - 0 UTF-8 or ASCII (or unknown: bytes as they are), 1 ISO-8859-1, 2 Windows-1252 */
int rfc2047_charset(const char *cs, size_t n);

/* rfc2047_to_utf8 - append s[0..n) in charset kind k (rfc2047_charset) to o as UTF-8 */
void rfc2047_to_utf8(struct buf *o, const char *s, size_t n, int k);

/* rfc2047_hexval - a hex digit's value or -1 (Q encoding, quoted-printable, RFC 2231 %XX) */
int rfc2047_hexval(int c);

/* rfc2047_b64val - a base64 digit's value, -2 for '=', -1 for anything else */
int rfc2047_b64val(unsigned char c);

#endif
