/*
 * pwhash.h - password hashing with libsodium's crypto_pwhash_str
 * (Argon2id, the "interactive" limits), and the password rules.
 *
 * The hash string carries its own algorithm, salt and limits, so a
 * stored hash stays verifiable when the limits change.
 */
#ifndef UTIL_PWHASH_H
#define UTIL_PWHASH_H

#include <stddef.h>

#define PWHASH_MAX	128	/* bytes of a hash string with its NUL (crypto_pwhash_STRBYTES) */
#define PASSWORD_MAX	128	/* bytes of a password */

/* pwhash_init - sodium_init once; -1 when libsodium cannot start */
int pwhash_init(void);

/* pwhash_make - hash pw into out[PWHASH_MAX]; -1 with *cause (out of memory) */
int pwhash_make(const char *pw, char *out, char **cause);

/* pwhash_verify - 1 if pw matches hash, 0 if not (or hash is malformed) */
int pwhash_verify(const char *hash, const char *pw);

struct pw_policy {
	int min_length;		/* bytes, 6-128 */
	int min_classes;	/* of: lower case, upper case, digits, others; 0-4 */
	int history;		/* previous passwords that may not be reused, 0-20 */
	int max_age_days;	/* 0: never expires */
	int lockout;		/* failed logins that lock the account, 0: never */
};

/*
 * pw_check - does pw follow the rules (length, classes, not the user
 * name, printable)? 0, or -1 with a one-line *cause for the operator
 * ("The password must be at least 8 characters long.").
 */
int pw_check(const struct pw_policy *p, const char *user, const char *pw, char **cause);

#endif
