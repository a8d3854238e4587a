/*
 * pwhash.c - password hashing with libsodium (crypto_pwhash_str_alg,
 * Argon2id, the "interactive" limits: about 64 MiB and a tenth of a
 * second a hash), and the password rules operators are held to.
 *
 * Nothing here keeps or logs a password; callers wipe theirs.
 *
 * DIAGNOSTICS: pwhash_make fails only when libsodium cannot start or the
 * memory the hash needs cannot be had; pwhash_verify says no to any hash
 * it cannot read; pw_check returns one line an operator can act on.
 */
#include <sodium.h>
#include <string.h>

#include "util/pwhash.h"
#include "util/str.h"

_Static_assert(PWHASH_MAX == crypto_pwhash_STRBYTES, "PWHASH_MAX is crypto_pwhash_STRBYTES");

/* pwhash_init - see pwhash.h; sodium_init is safe to call again */
int
pwhash_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* pwhash_make - see pwhash.h */
int
pwhash_make(const char *pw, char *out, char **cause)
{
	if (pwhash_init() < 0) {
		*cause = str_dup("cannot hash the password: libsodium cannot start");
		return -1;
	}
	if (crypto_pwhash_str_alg(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
		crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		*cause = str_dup("cannot hash the password: out of memory");
		return -1;
	}
	return 0;
}

/* pwhash_verify - see pwhash.h */
int
pwhash_verify(const char *hash, const char *pw)
{
	char h[PWHASH_MAX] = { 0 };

	if (hash == NULL || pw == NULL || pwhash_init() < 0)
		return 0;
	/* libsodium reads its argument as a PWHASH_MAX buffer: give it one, terminated */
	if (str_copy(h, hash, sizeof(h)) < 0)
		return 0;
	return crypto_pwhash_str_verify(h, pw, strlen(pw)) == 0;
}

/* utf8_next - length of the UTF-8 sequence at p (1-4), or 0 if it is not one */
static size_t
utf8_next(const unsigned char *p, unsigned int *cp)
{
	size_t n;
	unsigned int c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates and beyond U+10FFFF are not text */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* contains_name - is user (ASCII) in pw, case-insensitively? */
static int
contains_name(const char *pw, const char *user)
{
	size_t n = strlen(user), m = strlen(pw);

	if (n == 0 || n > m)
		return 0;
	for (size_t i = 0; i + n <= m; i++) {
		size_t j = 0;

		while (j < n) {
			unsigned char a = (unsigned char)pw[i + j], b = (unsigned char)user[j];

			if (a >= 'A' && a <= 'Z')
				a = (unsigned char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (unsigned char)(b - 'A' + 'a');
			if (a != b)
				break;
			j++;
		}
		if (j == n)
			return 1;
	}
	return 0;
}

/* pw_check - see pwhash.h; min_length counts characters (UTF-8), not bytes */
int
pw_check(const struct pw_policy *p, const char *user, const char *pw, char **cause)
{
	const unsigned char *s = (const unsigned char *)pw;
	int lower = 0, upper = 0, digit = 0, other = 0, classes;
	size_t chars = 0;

	if (strlen(pw) > PASSWORD_MAX) {
		*cause = str_printf("The password must be at most %d bytes long.", PASSWORD_MAX);
		return -1;
	}
	while (*s) {
		unsigned int c;
		size_t n = utf8_next(s, &c);

		if (n == 0) {
			*cause = str_dup("The password is not valid UTF-8 text; type it in a "
					 "UTF-8 terminal.");
			return -1;
		}
		if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
			*cause = str_dup("The password must not contain control characters.");
			return -1;
		}
		if (c >= 'a' && c <= 'z')
			lower = 1;
		else if (c >= 'A' && c <= 'Z')
			upper = 1;
		else if (c >= '0' && c <= '9')
			digit = 1;
		else
			other = 1;
		chars++;
		s += n;
	}
	if (chars < (size_t)p->min_length) {
		*cause = str_printf("The password must be at least %d characters long.",
		    p->min_length);
		return -1;
	}
	classes = lower + upper + digit + other;
	if (classes < p->min_classes) {
		*cause = str_printf("The password must contain at least %d of these kinds of "
				    "characters: lower case letters, upper case letters, digits, "
				    "others.",
		    p->min_classes);
		return -1;
	}
	if (user && contains_name(pw, user)) {
		*cause = str_dup("The password must not contain the user name.");
		return -1;
	}
	return 0;
}
