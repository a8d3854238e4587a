/*
 * secret.h - secrets at rest: the SECRET settings are kept encrypted in
 * config.db under a key that is not in it (issue 9, item 4).
 *
 * The key is DIR/secret.key: 32 random bytes, a regular file of mode
 * 0600, made by whichever program opens the store first (secret_open).
 * A secret item's stored value is "" (not set) or
 *
 *     enc:v1:BASE64(nonce[12] || ciphertext || tag[16])
 *
 * AES-256-GCM with a fresh nonce per value and "section\0key" as
 * associated data, so a value cannot be moved to another setting. The
 * config layer (store/config.c) seals on staging and opens on reading,
 * so no command and no other layer sees a stored form; the history keeps
 * "changed" in place of a secret's values (SECRET_CHANGED), and the
 * encrypted value an item had before each commit goes to the table
 * secret_history, which only rollback reads.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause naming the setting and
 * what is wrong with the key file or the value; a clear value is never
 * in a cause.
 */
#ifndef STORE_SECRET_H
#define STORE_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define SECRET_KEY_FILE "secret.key"
#define SECRET_KEY_LEN 32		/* AES-256 */
#define SECRET_PREFIX "enc:v1:"
/* What commit_changes holds for a secret instead of a value (NULL stays NULL). */
#define SECRET_CHANGED "changed"

/* secret_item - is (section, key) a secret item (a SETTING_SECRET setting)? */
int secret_item(const char *section, const char *key);

/*
 * secret_encrypt, secret_decrypt - one value under key, bound to
 * (section, name); the stored form as above. "" is stored as "". Decrypt
 * refuses a value that was altered, moved from another item or sealed
 * under another key. Exposed for the unit tests; the store uses
 * secret_seal and secret_unseal.
 */
int secret_encrypt(const unsigned char key[SECRET_KEY_LEN], const char *section,
    const char *name, const char *clear, char **stored, char **cause);
int secret_decrypt(const unsigned char key[SECRET_KEY_LEN], const char *section,
    const char *name, const char *stored, char **clear, char **cause);

/* secret_key_load - read DIR/secret.key, refusing anything but a 0600 regular file of 32 bytes */
int secret_key_load(const char *dir, unsigned char key[SECRET_KEY_LEN], char **cause);

/* secret_seal - the stored form of a clear value of a secret item (malloc'd) */
int secret_seal(struct store *st, const char *section, const char *key, const char *clear,
    char **stored, char **cause);

/*
 * secret_unseal - the clear value of a stored one (malloc'd); a value
 * without the prefix is one written before encryption and is returned
 * as it is (secret_open encrypts those at the next open)
 */
int secret_unseal(struct store *st, const char *section, const char *key, const char *stored,
    char **clear, char **cause);

/* secret_drop - cleanse and free a clear value (NULL: nothing) */
void secret_drop(char *clear);

/*
 * secret_same - do a, a value being staged, and b, the running one (NULL:
 * none), hold the same clear value? 1, 0, -1 when a cannot be opened.
 * "" or NULL on either side is compared without the key (clearing a
 * secret whose key is lost), and a b the key cannot open is another
 * value (replacing it).
 */
int secret_same(struct store *st, const char *section, const char *key, const char *a,
    const char *b, char **cause);

/*
 * secret_record - inside commit's transaction: keep old, the stored value
 * the item had before commit id (NULL: it had none), for rollback
 */
int secret_record(struct store *st, int64_t id, const char *section, const char *key,
    const char *old, char **cause);

/*
 * secret_before - the stored value an item had before commit id: 0 and
 * *old (NULL: it had none), 1 when it is not kept, -1 on error
 */
int secret_before(struct store *st, int64_t id, const char *section, const char *key,
    char **old, char **cause);

/*
 * secret_open - after the migrations, with the data directory locked:
 * secure_delete on, the key file made if there is none and no running
 * value is encrypted, and a store from before encryption upgraded: its
 * plaintext secrets encrypted, their values in the history moved
 * (encrypted) to secret_history, then the file vacuumed and the WAL
 * emptied so that no copy of the plaintext is left in either (retried at
 * every open until both have succeeded; a failure is a warning on
 * stderr, not a failed open)
 */
int secret_open(struct store *st, char **cause);

/*
 * secret_lost - the secret settings whose running value cannot be
 * decrypted, as "name, name" (malloc'd), with the first one's cause in
 * *why (malloc'd); NULL when there is none
 */
char *secret_lost(struct store *st, char **why);

#endif
