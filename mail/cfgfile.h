/*
 * cfgfile.h - the configuration file of saveconfig, showconfig and
 * loadconfig (issue 13): every running item in one JSON document.
 *
 *     {"format": 1, "product": "mxgate", "version": "0.1.0",
 *      "hostname": "gw.example.com", "saved": "2026-12-07T05:36:17Z",
 *      "schema": 3, "commit": 12, "secrets": "masked" | "encrypted",
 *      "kdf": {"alg": "argon2id13", "salt": B64, "opslimit": N,
 *              "memlimit": N, "check": B64},          (encrypted only)
 *      "items": [{"section": S, "key": K, "value": V},
 *                {"section": S, "key": K, "secret": "*****" | B64}]}
 *
 * A secret item (store/secret.h secret_item) is written masked
 * (CFGFILE_MASK) or sealed under a key derived from the operator's
 * passphrase: crypto_pwhash (Argon2id, salt and limits in "kdf"), then
 * crypto_secretbox per value, nonce first, with "section\0key\0" before
 * the clear value so that a sealed value cannot be moved to another item.
 * "check" is the sealed text CFGFILE_CHECK, so a wrong passphrase is
 * refused even by a file without secrets. Accounts are not in the file:
 * they are not configuration items (store/users.h), take effect at once
 * and are never part of a commit; a file carries no password hash.
 *
 * Pure: no file or store access; the commands decide where files go.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause. A file that cannot be
 * taken is reported "line L, column C: WHAT" (1-based), for malformed
 * JSON and for a field of the wrong kind alike; a wrong passphrase is
 * "the passphrase is not the one the file was saved with".
 */
#ifndef MAIL_CFGFILE_H
#define MAIL_CFGFILE_H

#include <stddef.h>

#define CFGFILE_FORMAT	1		/* the format this build writes */
#define CFGFILE_PRODUCT	"mxgate"
#define CFGFILE_MASK	"*****"		/* a masked secret */
#define CFGFILE_CHECK	"mxgate configuration file"
#define CFGFILE_MAX	(64u * 1024 * 1024)	/* bytes of a file loadconfig reads */
#define CFGFILE_ITEMS_MAX 200000	/* items of one file */

enum cfgfile_secrets {
	CFGFILE_MASKED = 0,	/* secrets written as CFGFILE_MASK */
	CFGFILE_ENCRYPTED,	/* secrets sealed under the passphrase */
};

struct cfgfile_item {
	char *section;		/* configuration section */
	char *key;		/* item key */
	char *value;		/* clear value; a secret's sealed or masked form until opened */
	int secret;		/* a secret item */
	size_t line, column;	/* where the item starts in a parsed file (0: built) */
};

struct cfgfile {
	int format;		/* file format version */
	char *version;		/* mxgate version that wrote it */
	char *hostname;		/* host it was saved on */
	char *saved;		/* ISO 8601 time of the save */
	int schema;		/* config.db user_version when saved */
	long long commit;	/* commit number it was saved at */
	enum cfgfile_secrets secrets;	/* how secrets are written */
	int sealed;		/* secret values still in their file form */
	/* encrypted files: the key derivation */
	unsigned char salt[16];	/* crypto_pwhash_SALTBYTES */
	unsigned long long opslimit;	/* crypto_pwhash opslimit */
	size_t memlimit;	/* crypto_pwhash memlimit */
	char *check;		/* sealed CFGFILE_CHECK, base64 */
	struct cfgfile_item *items;	/* in file order */
	size_t n, cap;		/* items used, allocated */
};

/* cfgfile_init, cfgfile_free - an empty file; free cleanses secret values */
void cfgfile_init(struct cfgfile *f);
void cfgfile_free(struct cfgfile *f);

/* cfgfile_add - append an item (copied); secret: a secret item, value in clear */
void cfgfile_add(struct cfgfile *f, const char *section, const char *key, const char *value,
    int secret);

/*
 * cfgfile_write - the JSON text (malloc'd) of f's header fields and items:
 * passphrase NULL masks the secrets, otherwise seals them under it (a new
 * salt each time). f's items hold clear values.
 */
char *cfgfile_write(struct cfgfile *f, const char *passphrase, char **cause);

/*
 * cfgfile_parse - read text (len bytes) into f (initialised here). Refused
 * with "line L, column C: WHAT": malformed JSON, a missing or mistyped
 * field, a format other than CFGFILE_FORMAT, an item without section/key
 * or with both or neither of value/secret, an item given twice, a kdf
 * outside the limits this build accepts. Secrets stay sealed (f->sealed).
 */
int cfgfile_parse(const char *text, size_t len, struct cfgfile *f, char **cause);

/* cfgfile_masked - how many secret items of a parsed masked file have a value that was masked */
size_t cfgfile_masked(const struct cfgfile *f);

/*
 * cfgfile_unseal - open the secrets of a parsed encrypted file with
 * passphrase, in place; nothing changes on failure
 */
int cfgfile_unseal(struct cfgfile *f, const char *passphrase, char **cause);

/* cfgfile_position - line and column (1-based) of offset off in text */
void cfgfile_position(const char *text, size_t off, size_t *line, size_t *column);

#endif
