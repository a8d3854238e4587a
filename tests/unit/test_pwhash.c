/*
 * test_pwhash.c - password hashing (util/pwhash.c): a hash verifies its
 * password and no other, a malformed or foreign hash verifies nothing,
 * and pw_check's rules and the one line each refusal prints.
 */
#include <sodium.h>

#include "util/pwhash.h"
#include "util/str.h"
#include "tests/unit/unit.h"

static void
test_make_verify(void)
{
	char h1[PWHASH_MAX], h2[PWHASH_MAX], *cause = NULL;

	CHECK_INT(pwhash_init(), 0);
	CHECK_INT(pwhash_init(), 0);	/* again: fine */
	if (pwhash_make("Correct Horse 1", h1, &cause) < 0)
		UNIT_FAIL("pwhash_make: %s", cause);
	/* Argon2id, the interactive limits, in the string itself */
	if (strncmp(h1, "$argon2id$v=19$m=65536,t=2,p=1$", 31) != 0)
		UNIT_FAIL("unexpected hash: %s", h1);
	CHECK(strlen(h1) < PWHASH_MAX);
	CHECK_INT(pwhash_verify(h1, "Correct Horse 1"), 1);
	CHECK_INT(pwhash_verify(h1, "correct Horse 1"), 0);
	CHECK_INT(pwhash_verify(h1, "Correct Horse 1 "), 0);
	CHECK_INT(pwhash_verify(h1, "Correct Horse "), 0);
	CHECK_INT(pwhash_verify(h1, ""), 0);
	/* a fresh salt each time: the same password, another string, both verify */
	CHECK_INT(pwhash_make("Correct Horse 1", h2, &cause), 0);
	CHECK(strcmp(h1, h2) != 0);
	CHECK_INT(pwhash_verify(h2, "Correct Horse 1"), 1);
	/* UTF-8 passwords are bytes like any other */
	CHECK_INT(pwhash_make("p\xc3\xa4ssw\xc3\xb6rd", h2, &cause), 0);
	CHECK_INT(pwhash_verify(h2, "p\xc3\xa4ssw\xc3\xb6rd"), 1);
	CHECK_INT(pwhash_verify(h2, "passw\xc3\xb6rd"), 0);
}

/* a hash from elsewhere with other limits (libsodium's own, argon2i) still verifies */
static void
test_foreign_limits(void)
{
	char h[crypto_pwhash_STRBYTES];

	CHECK_INT(pwhash_init(), 0);
	CHECK_INT(crypto_pwhash_str_alg(h, "Other Limits 9", 14, crypto_pwhash_OPSLIMIT_MIN + 2,
	    crypto_pwhash_MEMLIMIT_MIN * 4, crypto_pwhash_ALG_ARGON2I13), 0);
	CHECK(strncmp(h, "$argon2i$", 9) == 0);
	CHECK_INT(pwhash_verify(h, "Other Limits 9"), 1);
	CHECK_INT(pwhash_verify(h, "Other Limits 8"), 0);
}

static void
test_malformed(void)
{
	char h[PWHASH_MAX], bad[PWHASH_MAX], longer[PWHASH_MAX + 40], *cause = NULL;
	size_t n;

	CHECK_INT(pwhash_make("Right 123", h, &cause), 0);
	n = strlen(h);
	CHECK_INT(pwhash_verify(NULL, "Right 123"), 0);
	CHECK_INT(pwhash_verify(h, NULL), 0);
	CHECK_INT(pwhash_verify("", "Right 123"), 0);
	CHECK_INT(pwhash_verify("", ""), 0);
	CHECK_INT(pwhash_verify("Right 123", "Right 123"), 0);	/* a password stored in clear */
	CHECK_INT(pwhash_verify("$argon2id$", "Right 123"), 0);
	CHECK_INT(pwhash_verify("$1$abc$def", "Right 123"), 0);	/* crypt(3) MD5 */
	/* cut short */
	str_copy(bad, h, sizeof(bad));
	bad[n - 5] = '\0';
	CHECK_INT(pwhash_verify(bad, "Right 123"), 0);
	/* one character of the digest changed */
	str_copy(bad, h, sizeof(bad));
	bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
	CHECK_INT(pwhash_verify(bad, "Right 123"), 0);
	/* the salt changed */
	str_copy(bad, h, sizeof(bad));
	bad[33] = bad[33] == 'A' ? 'B' : 'A';
	CHECK_INT(pwhash_verify(bad, "Right 123"), 0);
	/* limits made absurd */
	CHECK_INT(pwhash_verify("$argon2id$v=19$m=99999999999,t=2,p=1$c2FsdHNhbHQ$"
				"aGFzaGhhc2hoYXNoaGFzaA", "Right 123"), 0);
	/* longer than a hash can be: refused without reading past it */
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer, h, n);
	CHECK_INT(pwhash_verify(longer, "Right 123"), 0);
	/* trailing junk after a good hash */
	str_fmt(longer, sizeof(longer), "%s$x", h);
	CHECK_INT(pwhash_verify(longer, "Right 123"), 0);
	CHECK_INT(pwhash_verify(h, "Right 123"), 1);
}

static void
test_pw_check(void)
{
	static const struct pw_policy def = { 8, 3, 3, 0, 5 };
	static const struct pw_policy lax = { 6, 0, 0, 0, 0 };
	static const struct pw_policy all4 = { 10, 4, 0, 0, 0 };
	static const struct {
		const struct pw_policy *p;
		const char *user, *pw, *cause;	/* cause NULL: accepted */
	} cases[] = {
		{ &def, "bob", "Abcdef12", NULL },
		{ &def, "bob", "abcdef1!", NULL },
		{ &def, "bob", "ABCDEF1!", NULL },
		{ &def, "bob", "Abc 1234", NULL },	/* a space is an "other" */
		{ &def, "bob", "Abcdef1", "The password must be at least 8 characters long." },
		{ &def, "bob", "", "The password must be at least 8 characters long." },
		{ &def, "bob", "abcdefgh", "The password must contain at least 3 of these kinds of "
		    "characters: lower case letters, upper case letters, digits, others." },
		{ &def, "bob", "abcd1234", "The password must contain at least 3 of these kinds of "
		    "characters: lower case letters, upper case letters, digits, others." },
		{ &def, "bob", "xBoB12345", "The password must not contain the user name." },
		{ &def, "bob", "BOB!12345", "The password must not contain the user name." },
		{ &def, "bob", "Bo b12345", NULL },
		{ &def, NULL, "Bob12345", NULL },
		{ &def, "", "Bob12345", NULL },
		{ &def, "bob", "Abcdef1\t", "The password must not contain control characters." },
		{ &def, "bob", "Abcdef12\n", "The password must not contain control characters." },
		{ &def, "bob", "Abcdef12\x7f", "The password must not contain control characters." },
		{ &def, "bob", "Abcdef12\xc2\x85", "The password must not contain control characters." },
		{ &def, "bob", "Abcdef12\xff", "The password is not valid UTF-8 text; type it in a "
		    "UTF-8 terminal." },
		{ &def, "bob", "Abcdef12\xc3", "The password is not valid UTF-8 text; type it in a "
		    "UTF-8 terminal." },
		{ &def, "bob", "Abcdef12\xc0\xaf", "The password is not valid UTF-8 text; type it "
		    "in a UTF-8 terminal." },	/* overlong '/' */
		{ &def, "bob", "Abcdef12\xed\xa0\x80", "The password is not valid UTF-8 text; type "
		    "it in a UTF-8 terminal." },	/* a surrogate */
		/* length in characters: 7 characters in 14 bytes are too few */
		{ &def, "bob", "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4" "A",
		    "The password must be at least 8 characters long." },
		/* 8 characters, non-ASCII letters are "others" */
		{ &def, "bob", "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4" "A1", NULL },
		{ &def, "bob", "\xf0\x9f\x94\x91xY1abcd", NULL },
		{ &lax, "bob", "aaaaaa", NULL },
		{ &lax, "bob", "aaaaa", "The password must be at least 6 characters long." },
		{ &lax, "bob", "bobbobbob", "The password must not contain the user name." },
		{ &all4, "bob", "Abcdefgh12", "The password must contain at least 4 of these kinds "
		    "of characters: lower case letters, upper case letters, digits, others." },
		{ &all4, "bob", "Abcdefg1-2", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *cause = NULL;
		int rc = pw_check(cases[i].p, cases[i].user, cases[i].pw, &cause);

		if (cases[i].cause == NULL) {
			if (rc != 0)
				UNIT_FAIL("case %zu refused: %s", i, cause);
			CHECK(cause == NULL);
		} else {
			if (rc != -1)
				UNIT_FAIL("case %zu accepted, expected: %s", i, cases[i].cause);
			CHECK_STR(cause, cases[i].cause);
			free(cause);
		}
	}
	/* PASSWORD_MAX bytes, and one more */
	{
		char pw[PASSWORD_MAX + 2], *cause = NULL;

		memset(pw, 'a', sizeof(pw));
		memcpy(pw, "Aa1", 3);
		pw[PASSWORD_MAX] = '\0';
		CHECK_INT(pw_check(&def, "bob", pw, &cause), 0);
		pw[PASSWORD_MAX] = 'a';
		pw[PASSWORD_MAX + 1] = '\0';
		CHECK_INT(pw_check(&def, "bob", pw, &cause), -1);
		CHECK_STR(cause, "The password must be at most 128 bytes long.");
		free(cause);
	}
}

static const struct unit_case cases[] = {
	{ "make_verify", test_make_verify },
	{ "foreign_limits", test_foreign_limits },
	{ "malformed", test_malformed },
	{ "pw_check", test_pw_check },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("pwhash", cases, argc, argv);
}
