/*
 * secret.c - secrets at rest: the key file, AES-256-GCM sealing of the
 * SECRET settings, their history for rollback, and the upgrade of a
 * store written before they were encrypted (issue 9, item 4).
 *
 * Why a key file beside config.db rather than a key in it: a copy of
 * config.db alone (a backup, a support bundle, `sqlite3 .dump`) must
 * reveal no secret, old or new. The key file is made once, under the
 * data directory's lock (store_file_open), as a temporary file created
 * with O_CREAT|O_EXCL|O_NOFOLLOW and linked into place complete, so a
 * crash leaves no short key and two programs never make two keys. It is
 * read through a descriptor of the data directory with O_NOFOLLOW, and
 * refused unless it is a regular file of mode 0600 and 32 bytes, owned
 * by this user or the data directory's owner (the daemon account): a
 * planted link or a file someone else could read or have chosen is
 * never used as the key.
 *
 * A key file that is missing while the running configuration holds
 * encrypted values is never replaced by a new one: that would turn every
 * secret into an error for good. Reads then fail with a cause telling
 * the operator to restore it. To go on without it, the operator clears
 * or enters again each secret that is still encrypted and commits:
 * staging "" or a delete never needs the key (secret_same), and a new
 * key is made once no running value needs the old one, at the next
 * open or at the next secret sealed (key_make). The values the history
 * keeps (secret_history) do not hold the key back: a rollback to one of
 * them fails to decrypt it, naming the setting and the key file.
 *
 * The history. commit_changes keeps SECRET_CHANGED for a secret's old
 * and new values (NULL still means created / deleted), so showchanges,
 * commitdetail and any query of the history show that it changed and
 * nothing more. Rollback must still restore the secret that was running
 * after the commit chosen, or a certificate would come back without its
 * key; so the value each commit replaced is kept, encrypted as it was
 * stored, in secret_history (owned by this file), which only
 * config_stage_rollback reads. Without secret.key those values are as
 * opaque as the running ones.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause naming the setting and
 * what is wrong (the key file and why, or a value that does not
 * authenticate); no cause holds a clear value.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "store/secret.h"
#include "store/settings.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/str.h"

#define NONCE_LEN 12		/* the GCM nonce size NIST SP 800-38D recommends */
#define TAG_LEN 16
#define KEY_TMP SECRET_KEY_FILE ".new"
/* the longest clear value sealed: far above any setting's maximum */
#define CLEAR_MAX (64 * 1024 * 1024)

int
secret_item(const char *section, const char *key)
{
	/*
	 * every item of remediation.secret (mail/remedconf.h names it; store/
	 * may not include mail/): the remediation profiles' passwords
	 */
	if (strcmp(section, "remediation.secret") == 0)
		return 1;
	return settings_is_secret(section, key);
}

/* ------------------------------------------------------------ sealing */

/* aad - the associated data binding a value to its item: "mxgate-secret-v1\0section\0key" */
static unsigned char *
aad(const char *section, const char *name, int *len)
{
	static const char tag[] = "mxgate-secret-v1";
	size_t ls = strlen(section), ln = strlen(name), n = sizeof(tag) + ls + 1 + ln;
	unsigned char *a = xmalloc(n);

	memcpy(a, tag, sizeof(tag));
	memcpy(a + sizeof(tag), section, ls + 1);
	memcpy(a + sizeof(tag) + ls + 1, name, ln);
	*len = (int)n;
	return a;
}

int
secret_encrypt(const unsigned char key[SECRET_KEY_LEN], const char *section, const char *name,
    const char *clear, char **stored, char **cause)
{
	size_t len = strlen(clear), rawlen, plen = strlen(SECRET_PREFIX);
	unsigned char *raw, *ad;
	EVP_CIPHER_CTX *ctx;
	int adlen, n, fin, ok;

	*stored = NULL;
	if (len == 0) {
		*stored = str_dup("");	/* "not set" is no secret */
		return 0;
	}
	if (len > CLEAR_MAX) {
		*cause = str_printf("setting %s: the value is too long to encrypt", name);
		return -1;
	}
	rawlen = NONCE_LEN + len + TAG_LEN;
	raw = xmalloc(rawlen);
	if (RAND_bytes(raw, NONCE_LEN) != 1) {
		free(raw);
		*cause = str_printf("setting %s: no random bytes for the nonce", name);
		return -1;
	}
	ad = aad(section, name, &adlen);
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx != NULL &&
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, raw) == 1 &&
	    EVP_EncryptUpdate(ctx, NULL, &n, ad, adlen) == 1 &&
	    EVP_EncryptUpdate(ctx, raw + NONCE_LEN, &n, (const unsigned char *)clear,
		(int)len) == 1 &&
	    (size_t)n == len &&
	    EVP_EncryptFinal_ex(ctx, raw + NONCE_LEN + n, &fin) == 1 && fin == 0 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, raw + NONCE_LEN + len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	free(ad);
	if (!ok) {
		free(raw);
		*cause = str_printf("setting %s: the value cannot be encrypted (OpenSSL)", name);
		return -1;
	}
	*stored = xmalloc(plen + 4 * ((rawlen + 2) / 3) + 1);
	memcpy(*stored, SECRET_PREFIX, plen);
	EVP_EncodeBlock((unsigned char *)*stored + plen, raw, (int)rawlen);
	free(raw);
	return 0;
}

/* b64_ok - strict base64: whole quanta, the alphabet, '=' only as the last one or two */
static int
b64_ok(const char *s, size_t n)
{
	if (n == 0 || n % 4 != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '=') {
			if (i < n - 2 || (i == n - 2 && s[n - 1] != '='))
				return 0;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			       (c >= '0' && c <= '9') || c == '+' || c == '/')) {
			return 0;
		}
	}
	return 1;
}

int
secret_decrypt(const unsigned char key[SECRET_KEY_LEN], const char *section, const char *name,
    const char *stored, char **clear, char **cause)
{
	size_t plen = strlen(SECRET_PREFIX), n, rawlen, len;
	const char *b64;
	unsigned char *raw, *ad, *out;
	EVP_CIPHER_CTX *ctx;
	int adlen, m, fin = 0, ok, dec;

	*clear = NULL;
	if (*stored == '\0') {
		*clear = str_dup("");
		return 0;
	}
	if (strncmp(stored, SECRET_PREFIX, plen) != 0) {
		*cause = str_printf("setting %s: the stored value is not in a format this mxgate "
				    "can decrypt (it knows %s)",
		    name, SECRET_PREFIX);
		return -1;
	}
	b64 = stored + plen;
	n = strlen(b64);
	if (!b64_ok(b64, n) || n / 4 * 3 < NONCE_LEN + TAG_LEN || n > (size_t)INT_MAX) {
		*cause = str_printf("setting %s: the stored value is damaged (not the encrypted "
				    "form)",
		    name);
		return -1;
	}
	raw = xmalloc(n / 4 * 3 + 1);
	dec = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
	rawlen = dec < 0 ? 0 : (size_t)dec - (b64[n - 1] == '=') - (b64[n - 2] == '=');
	if (dec < 0 || rawlen < NONCE_LEN + TAG_LEN) {
		free(raw);
		*cause = str_printf("setting %s: the stored value is damaged (not the encrypted "
				    "form)",
		    name);
		return -1;
	}
	len = rawlen - NONCE_LEN - TAG_LEN;
	out = xmalloc(len + 1);
	ad = aad(section, name, &adlen);
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx != NULL &&
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, raw) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &m, ad, adlen) == 1 &&
	    EVP_DecryptUpdate(ctx, out, &m, raw + NONCE_LEN, (int)len) == 1 && (size_t)m == len &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, raw + NONCE_LEN + len) == 1 &&
	    EVP_DecryptFinal_ex(ctx, out + m, &fin) == 1 && fin == 0;
	EVP_CIPHER_CTX_free(ctx);
	free(ad);
	free(raw);
	/* a clear value was a C string: a NUL in it is damage the tag cannot miss, but say so */
	if (ok && memchr(out, '\0', len) != NULL)
		ok = 0;
	if (!ok) {
		OPENSSL_cleanse(out, len);
		free(out);
		*cause = str_printf("setting %s: the stored value does not decrypt: it is damaged, "
				    "was copied from another setting, or %s is not the key it was "
				    "encrypted with",
		    name, SECRET_KEY_FILE);
		return -1;
	}
	out[len] = '\0';
	*clear = (char *)out;
	return 0;
}

/* ----------------------------------------------------------- the key */

/* read_all - exactly n bytes from fd; -1 (errno set, or 0 for a short file) */
static int
read_all(int fd, unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* key_read - secret_key_load; *missing set when the file does not exist */
static int
key_read(const char *dir, unsigned char key[SECRET_KEY_LEN], int *missing, char **cause)
{
	struct stat ds, ks;
	int dfd, fd;

	*missing = 0;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &ds) < 0) {
		*cause = str_printf("cannot open the data directory %s: %s", dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	/* O_NONBLOCK: a FIFO planted in its place must not hang the open */
	fd = openat(dfd, SECRET_KEY_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		if (errno == ENOENT) {
			*missing = 1;
			*cause = str_printf("%s/%s is missing: the secrets in config.db cannot be "
					    "read without it; restore it from a backup of the data "
					    "directory",
			    dir, SECRET_KEY_FILE);
		} else if (errno == ELOOP) {
			*cause = str_printf("%s/%s is a symbolic link; the key must be a regular "
					    "file: refusing it",
			    dir, SECRET_KEY_FILE);
		} else {
			*cause = str_printf("cannot open %s/%s: %s", dir, SECRET_KEY_FILE,
			    strerror(errno));
		}
		return -1;
	}
	if (fstat(fd, &ks) < 0) {
		*cause = str_printf("cannot stat %s/%s: %s", dir, SECRET_KEY_FILE, strerror(errno));
	} else if (!S_ISREG(ks.st_mode)) {
		*cause = str_printf("%s/%s is not a regular file: refusing it as the key", dir,
		    SECRET_KEY_FILE);
	} else if (ks.st_uid != geteuid() && ks.st_uid != ds.st_uid) {
		*cause = str_printf("%s/%s belongs to uid %u, neither this user nor the owner of "
				    "the data directory: refusing it as the key",
		    dir, SECRET_KEY_FILE, (unsigned)ks.st_uid);
	} else if ((ks.st_mode & 07777) != 0600) {
		*cause = str_printf("%s/%s has mode %04o; the key file must be 0600 (readable by "
				    "the daemon account only): refusing it",
		    dir, SECRET_KEY_FILE, (unsigned)(ks.st_mode & 07777));
	} else if (ks.st_size != SECRET_KEY_LEN) {
		*cause = str_printf("%s/%s is %lld bytes long, not %d: the key file is damaged",
		    dir, SECRET_KEY_FILE, (long long)ks.st_size, SECRET_KEY_LEN);
	} else if (read_all(fd, key, SECRET_KEY_LEN) < 0) {
		*cause = str_printf("cannot read %s/%s: %s", dir, SECRET_KEY_FILE,
		    errno ? strerror(errno) : "the file is shorter than it says");
	} else {
		close(fd);
		return 0;
	}
	close(fd);
	OPENSSL_cleanse(key, SECRET_KEY_LEN);
	return -1;
}

int
secret_key_load(const char *dir, unsigned char key[SECRET_KEY_LEN], char **cause)
{
	int missing;

	return key_read(dir, key, &missing, cause);
}

/*
 * key_create - a new key file: written whole under a temporary name made
 * with O_EXCL|O_NOFOLLOW, then linked to its name, which fails if the
 * name exists (then the other file is the key). Root hands it to the
 * data directory's owner through the descriptor, never by path.
 */
static int
key_create(const char *dir, char **cause)
{
	unsigned char key[SECRET_KEY_LEN];
	struct stat ds;
	int dfd, fd = -1, rc = -1;
	const char *what = "create";

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &ds) < 0) {
		*cause = str_printf("cannot open the data directory %s: %s", dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	if (RAND_bytes(key, sizeof(key)) != 1) {
		*cause = str_printf("cannot make %s/%s: no random bytes", dir, SECRET_KEY_FILE);
		close(dfd);
		return -1;
	}
	/* a temporary file left by a crash: ours to remove (the directory is locked) */
	if (unlinkat(dfd, KEY_TMP, 0) < 0 && errno != ENOENT)
		goto fail;
	fd = openat(dfd, KEY_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	what = "write";
	if (fchmod(fd, 0600) < 0 ||
	    (geteuid() == 0 && ds.st_uid != 0 && fchown(fd, ds.st_uid, ds.st_gid) < 0) ||
	    write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) || fsync(fd) < 0)
		goto fail;
	what = "install";
	if (linkat(dfd, KEY_TMP, dfd, SECRET_KEY_FILE, 0) < 0 && errno != EEXIST)
		goto fail;
	unlinkat(dfd, KEY_TMP, 0);
	fsync(dfd);
	rc = 0;
	goto out;
fail:
	*cause = str_printf("cannot %s %s/%s: %s", what, dir, SECRET_KEY_FILE, strerror(errno));
	if (fd >= 0)
		unlinkat(dfd, KEY_TMP, 0);
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

/*
 * Does a running value need the key? (Then a missing key file is a loss,
 * not a first start.) The history's values do not count: they are only
 * read by a rollback, which names the setting when one cannot be opened.
 */
static const char SQL_ENCRYPTED[] =
    "SELECT count(*) FROM config WHERE section = ?1 AND key = ?2 AND "
    "substr(value, 1, 4) = 'enc:'";

static int64_t secrets_where(struct store *st, const char *sql, char **cause);

/*
 * key_make - a new key file when there is none: at open (replacing NULL)
 * only if no running value needs one, so that opening a store never
 * replaces a lost key; when an operator enters a secret (replacing: its
 * name) in any case, for that is how the secrets of a lost key are
 * entered again (the values that needed the old key stay unreadable, and
 * each use of one says so). 0 also when the key file is there, damaged,
 * or lost at open, -1 on error. In a session the data directory's lock is
 * taken here, as store_open holds it around secret_open, so two programs
 * never make two keys.
 */
static int
key_make(struct store *st, const char *replacing, char **cause)
{
	unsigned char k[SECRET_KEY_LEN];
	char *why = NULL;
	int lfd = -1, missing, rc = 0;
	int64_t n;

	if (replacing) {
		lfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		while (lfd >= 0 && flock(lfd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				close(lfd);
				lfd = -1;
			}
		}
		if (lfd < 0) {
			*cause = str_printf("cannot lock data directory %s: %s", st->dir,
			    strerror(errno));
			return -1;
		}
	}
	if (key_read(st->dir, k, &missing, &why) == 0) {
		OPENSSL_cleanse(k, sizeof(k));
	} else if (missing) {
		n = replacing ? 0 : secrets_where(st, SQL_ENCRYPTED, cause);
		if (n < 0)
			rc = -1;
		else if (n == 0)
			rc = key_create(st->dir, cause);
	}
	free(why);
	if (lfd >= 0)
		close(lfd);
	return rc;
}

/* ------------------------------------------------- sealing in a store */

/*
 * use_key - the key into k for doing (encrypt, decrypt) setting key; -1
 * with a cause naming the setting. Sealing a secret with no key file
 * makes one first (key_make): that is how an operator enters the secrets
 * of a lost key again; never while store_open holds the lock, for the
 * key is there then.
 */
static int
use_key(struct store *st, const char *doing, const char *key, int sealing,
    unsigned char k[SECRET_KEY_LEN], char **cause)
{
	char *why = NULL;
	int missing;

	if (key_read(st->dir, k, &missing, &why) == 0)
		return 0;
	if (sealing && missing) {
		free(why);
		why = NULL;
		if (key_make(st, key, cause) < 0)
			return -1;
		if (key_read(st->dir, k, &missing, &why) == 0)
			return 0;
	}
	*cause = str_printf("cannot %s setting %s: %s", doing, key, why);
	free(why);
	return -1;
}

int
secret_seal(struct store *st, const char *section, const char *key, const char *clear,
    char **stored, char **cause)
{
	unsigned char k[SECRET_KEY_LEN];
	int rc;

	*stored = NULL;
	if (*clear == '\0') {
		*stored = str_dup("");
		return 0;
	}
	if (use_key(st, "encrypt", key, 1, k, cause) < 0)
		return -1;
	rc = secret_encrypt(k, section, key, clear, stored, cause);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

int
secret_unseal(struct store *st, const char *section, const char *key, const char *stored,
    char **clear, char **cause)
{
	unsigned char k[SECRET_KEY_LEN];
	int rc;

	*clear = NULL;
	/* "" is not set; a value without "enc:" was stored before encryption */
	if (strncmp(stored, "enc:", 4) != 0) {
		*clear = str_dup(stored);
		return 0;
	}
	if (use_key(st, "decrypt", key, 0, k, cause) < 0)
		return -1;
	rc = secret_decrypt(k, section, key, stored, clear, cause);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

void
secret_drop(char *clear)
{
	if (clear) {
		OPENSSL_cleanse(clear, strlen(clear));
		free(clear);
	}
}

int
secret_same(struct store *st, const char *section, const char *key, const char *a,
    const char *b, char **cause)
{
	char *ca = NULL, *cb = NULL, *why = NULL;
	int rc;

	if (a == NULL || b == NULL)
		return a == b;
	if (strcmp(a, b) == 0)
		return 1;
	/* "" is no ciphertext: clearing a secret never needs the key (a lost key) */
	if (*a == '\0' || *b == '\0')
		return 0;
	if (secret_unseal(st, section, key, a, &ca, cause) < 0)
		return -1;
	/* a value the key cannot open is not the one it just opened: a replacement */
	if (secret_unseal(st, section, key, b, &cb, &why) < 0) {
		free(why);
		secret_drop(ca);
		return 0;
	}
	rc = strcmp(ca, cb) == 0;
	secret_drop(ca);
	secret_drop(cb);
	return rc;
}

/* ------------------------------------------------------------ history */

/* is_plain - a stored value written before encryption (not "", not "enc:...") */
static int
is_plain(const char *v)
{
	return v && *v && strncmp(v, "enc:", 4) != 0;
}

int
secret_record(struct store *st, int64_t id, const char *section, const char *key,
    const char *old, char **cause)
{
	sqlite3_stmt *s;
	char *sealed = NULL;
	int rc;

	/* a value from before encryption is never copied in clear */
	if (is_plain(old) && secret_seal(st, section, key, old, &sealed, cause) < 0)
		return -1;
	s = store_prepare(st,
	    "INSERT INTO secret_history (commit_id, section, key, old) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (commit_id, section, key) DO NOTHING",
	    cause);
	if (s == NULL) {
		free(sealed);
		return -1;
	}
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, section);
	store_bind_text(s, 3, key);
	store_bind_text(s, 4, sealed ? sealed : old);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	free(sealed);
	if (rc != SQLITE_DONE)
		return store_err(st, cause, "cannot record the secret's history");
	return 0;
}

int
secret_before(struct store *st, int64_t id, const char *section, const char *key, char **old,
    char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*old = NULL;
	s = store_prepare(st,
	    "SELECT old FROM secret_history WHERE commit_id = ?1 AND section = ?2 AND key = ?3",
	    cause);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, section);
	store_bind_text(s, 3, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*old = str_dup(store_col_text(s, 0));
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	return store_err(st, cause, "cannot read the secret's history");
}

/* ------------------------------------------- upgrading an older store */

/*
 * count - the integer a query returns for one setting (?2), in section
 * setting (?1), with SECRET_CHANGED as ?3 where the query uses it; -1 on
 * error
 */
static int64_t
count(struct store *st, const char *sql, const char *name, char **cause)
{
	sqlite3_stmt *s = store_prepare(st, sql, cause);
	int64_t n = -1;

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, SETTINGS_SECTION);
	store_bind_text(s, 2, name);
	if (sqlite3_bind_parameter_count(s) >= 3)
		store_bind_text(s, 3, SECRET_CHANGED);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		store_err(st, cause, "cannot read configuration");
	sqlite3_finalize(s);
	return n;
}

/* Is any secret in clear, in the running configuration or the history? */
static const char SQL_PLAIN[] =
    "SELECT (SELECT count(*) FROM config WHERE section = ?1 AND key = ?2 AND value <> '' AND "
    "  substr(value, 1, 4) <> 'enc:') + "
    " (SELECT count(*) FROM commit_changes WHERE section = ?1 AND key = ?2 AND "
    "  (ifnull(old, ?3) <> ?3 OR ifnull(new, ?3) <> ?3))";

/* secrets_where - sum of a count query over every SECRET setting; -1 on error */
static int64_t
secrets_where(struct store *st, const char *sql, char **cause)
{
	int64_t total = 0;

	for (const struct setting_def *d = settings_table; d->name; d++) {
		int64_t n;

		if (!(d->flags & SETTING_SECRET))
			continue;
		if ((n = count(st, sql, d->name, cause)) < 0)
			return -1;
		total += n;
	}
	return total;
}

/* A commit_changes row of a secret that still holds a value. */
struct plain_row {
	int64_t id;	/* commit */
	char *old;	/* the value before it (NULL: none) */
};

/* scrub_item - encrypt one secret setting's running value; move its history values aside */
static int
scrub_item(struct store *st, const char *name, char **cause)
{
	sqlite3_stmt *s;
	struct plain_row *rows = NULL;
	char *v = NULL, *sealed = NULL;
	int n = 0, rc, ret = -1;

	/* the running value */
	s = store_prepare(st, "SELECT value FROM config WHERE section = ?1 AND key = ?2", cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, SETTINGS_SECTION);
	store_bind_text(s, 2, name);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = str_dup(store_col_text(s, 0));
	sqlite3_finalize(s);
	if (is_plain(v)) {
		if (secret_seal(st, SETTINGS_SECTION, name, v, &sealed, cause) < 0)
			goto out;
		s = store_prepare(st, "UPDATE config SET value = ?3 WHERE section = ?1 AND key = ?2",
		    cause);
		if (s == NULL)
			goto out;
		store_bind_text(s, 1, SETTINGS_SECTION);
		store_bind_text(s, 2, name);
		store_bind_text(s, 3, sealed);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			store_err(st, cause, "cannot encrypt a secret");
			goto out;
		}
	}

	/* the history: each value a commit replaced goes, encrypted, to secret_history */
	s = store_prepare(st,
	    "SELECT commit_id, old FROM commit_changes WHERE section = ?1 AND key = ?2 AND "
	    "(ifnull(old, ?3) <> ?3 OR ifnull(new, ?3) <> ?3) ORDER BY commit_id",
	    cause);
	if (s == NULL)
		goto out;
	store_bind_text(s, 1, SETTINGS_SECTION);
	store_bind_text(s, 2, name);
	store_bind_text(s, 3, SECRET_CHANGED);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rows = xrealloc(rows, sizeof(*rows) * (size_t)(n + 1));
		rows[n].id = sqlite3_column_int64(s, 0);
		rows[n].old = sqlite3_column_type(s, 1) == SQLITE_NULL ? NULL :
		    str_dup(store_col_text(s, 1));
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_err(st, cause, "cannot read the history");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		/* an old value already scrubbed has its row in secret_history */
		if (rows[i].old && strcmp(rows[i].old, SECRET_CHANGED) == 0)
			continue;
		if (secret_record(st, rows[i].id, SETTINGS_SECTION, name, rows[i].old, cause) < 0)
			goto out;
	}
	s = store_prepare(st,
	    "UPDATE commit_changes SET old = CASE WHEN old IS NULL THEN NULL ELSE ?3 END, "
	    "new = CASE WHEN new IS NULL THEN NULL ELSE ?3 END WHERE section = ?1 AND key = ?2",
	    cause);
	if (s == NULL)
		goto out;
	store_bind_text(s, 1, SETTINGS_SECTION);
	store_bind_text(s, 2, name);
	store_bind_text(s, 3, SECRET_CHANGED);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_err(st, cause, "cannot scrub the history");
		goto out;
	}
	ret = 0;
out:
	for (int i = 0; i < n; i++)
		secret_drop(rows[i].old);
	free(rows);
	secret_drop(v);
	free(sealed);
	return ret;
}

/*
 * The upgrade's cleanup, VACUUM and a TRUNCATE checkpoint, runs after
 * the transaction that encrypted the secrets, and can fail (a full disk,
 * a reader in the way) or never run (the process dies first): the old
 * plaintext would stay in free pages for good. So that transaction also
 * sets a marker, a row of secret_scrub (owned by this file), which only
 * a cleanup that did both clears, and every open retries while it is
 * set.
 */
static const char SQL_MARK_TABLE[] =
    "CREATE TABLE IF NOT EXISTS secret_scrub (pending INTEGER PRIMARY KEY CHECK (pending = 1))";

/* scrub_pending - is the marker set? 1, 0, -1 */
static int
scrub_pending(struct store *st, char **cause)
{
	sqlite3_stmt *s;
	int rc, n = 0;

	s = store_prepare(st,
	    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'secret_scrub'",
	    cause);
	if (s == NULL)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_err(st, cause, "cannot read the schema");
	if (n == 0)
		return 0;
	s = store_prepare(st, "SELECT count(*) FROM secret_scrub", cause);
	if (s == NULL)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_err(st, cause, "cannot read the upgrade's marker");
	return n > 0;
}

/*
 * scrub_cleanup - VACUUM (a fresh file: no free page or unused cell
 * holds an old page's bytes) and a TRUNCATE checkpoint (the WAL, which
 * held the old pages, emptied), then the marker cleared. Whatever fails
 * is a warning on stderr, not a failed open: the store is sound, only
 * not yet clean, and the next open tries again.
 */
static void
scrub_cleanup(struct store *st)
{
	sqlite3_stmt *s;
	char *why = NULL;
	int busy = 1;

	if (store_exec(st, "VACUUM", &why) < 0)
		goto warn;
	/*
	 * A reader of an older snapshot (a program from before this version
	 * still running) keeps the WAL from being emptied: retried later.
	 */
	for (int i = 0; i < 3 && busy; i++) {
		s = store_prepare(st, "PRAGMA wal_checkpoint(TRUNCATE)", &why);
		if (s == NULL)
			goto warn;
		if (sqlite3_step(s) == SQLITE_ROW)
			busy = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	if (busy) {
		why = str_dup("another program is reading config.db, so its WAL cannot be "
			      "emptied yet");
		goto warn;
	}
	if (store_exec(st, "DELETE FROM secret_scrub", &why) == 0)
		return;
warn:
	fprintf(stderr, "mxgate: warning: %s/config.db may still hold the plaintext secrets "
			"of before their encryption in unused space: %s; cleaning it is "
			"retried at the next start\n",
	    st->dir, why ? why : "unknown error");
	free(why);
}

/* scrub - encrypt every plaintext secret, and set the marker, in one transaction; then clean */
static int
scrub(struct store *st, char **cause)
{
	if (store_exec(st, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	for (const struct setting_def *d = settings_table; d->name; d++) {
		if (!(d->flags & SETTING_SECRET))
			continue;
		if (scrub_item(st, d->name, cause) < 0) {
			store_exec(st, "ROLLBACK", NULL);
			return -1;
		}
	}
	if (store_exec(st, SQL_MARK_TABLE, cause) < 0 ||
	    store_exec(st, "INSERT OR IGNORE INTO secret_scrub (pending) VALUES (1)", cause) < 0 ||
	    store_exec(st, "COMMIT", cause) < 0) {
		store_exec(st, "ROLLBACK", NULL);
		return -1;
	}
	scrub_cleanup(st);
	return 0;
}

int
secret_open(struct store *st, char **cause)
{
	unsigned char k[SECRET_KEY_LEN];
	char *why = NULL;
	int64_t n;
	int missing, pending;

	/* from now on a deleted or overwritten value is zeroed in the file */
	if (store_exec(st, "PRAGMA secure_delete = ON", cause) < 0)
		return -1;
	/* an upgrade's cleanup that failed or never ran */
	if ((pending = scrub_pending(st, cause)) < 0)
		return -1;
	if (pending)
		scrub_cleanup(st);
	if (key_make(st, NULL, cause) < 0)
		return -1;
	if (key_read(st->dir, k, &missing, &why) < 0) {
		free(why);
		return 0;	/* damaged or lost: every use of a secret says why */
	}
	OPENSSL_cleanse(k, sizeof(k));
	if ((n = secrets_where(st, SQL_PLAIN, cause)) < 0)
		return -1;
	return n > 0 ? scrub(st, cause) : 0;
}

char *
secret_lost(struct store *st, char **why)
{
	struct buf names;
	char *out = NULL;

	*why = NULL;
	buf_init(&names, 0);
	for (const struct setting_def *d = settings_table; d->name; d++) {
		sqlite3_stmt *s;
		char *v = NULL, *clear = NULL, *cause = NULL;

		if (!(d->flags & SETTING_SECRET))
			continue;
		s = store_prepare(st, "SELECT value FROM config WHERE section = ?1 AND key = ?2",
		    NULL);
		if (s == NULL)
			continue;
		store_bind_text(s, 1, SETTINGS_SECTION);
		store_bind_text(s, 2, d->name);
		if (sqlite3_step(s) == SQLITE_ROW)
			v = str_dup(store_col_text(s, 0));
		sqlite3_finalize(s);
		if (v && secret_unseal(st, SETTINGS_SECTION, d->name, v, &clear, &cause) < 0) {
			buf_printf(&names, "%s%s", names.len ? ", " : "", d->name);
			if (*why == NULL)
				*why = cause;
			else
				free(cause);
		}
		secret_drop(clear);
		free(v);
	}
	if (names.len > 0)
		out = str_dup(names.data);
	buf_free(&names);
	return out;
}
