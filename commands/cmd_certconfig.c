/*
 * cmd_certconfig.c - `certconfig`: the certificate and private key the
 * listeners offer with STARTTLS, and the CA bundle used to verify peers.
 *
 *   certconfig server cert=PATH key=PATH
 *   certconfig cafile PATH|system
 *   certconfig print
 *
 * Interactive: a summary, then the menu SETUP, CAFILE, PRINT.
 *
 * The PEM files are read when the command runs, not when the daemon
 * starts: the certificate (with any chain after it) must parse, the key
 * must parse without a passphrase and must match the certificate
 * (X509_check_private_key). Both are then staged re-encoded as PEM in the
 * settings tls.server_cert and tls.server_key, so the daemon needs no
 * access to the operator's files. The key is SECRET: no output, error or
 * log line of this command contains it, its buffers are cleansed after
 * use, and showchanges shows it as *****; the store keeps it encrypted
 * (store/secret.h). The CA bundle is imported the
 * same way: its certificates must all parse, and are staged re-encoded in
 * tls.ca_pem, with the file's absolute path in tls.cafile for print
 * (both empty: the system bundle). So the daemon, which drops root, never
 * needs to read the operator's file, and a commit cannot leave it with a
 * bundle it cannot load (issue 8, defect 13).
 *
 * The PEM text holds newlines, which the generic settings_set refuses
 * for string settings (and its buffer is smaller than a certificate
 * chain), so the three PEM settings are checked here against their row
 * in settings_table.c (length) and staged with config_set.
 *
 * DIAGNOSTICS: one error line per refused command; nothing is staged.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "store/config.h"
#include "store/secret.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/str.h"

extern const struct cmd_entry cmd_certconfig_entry;

#define CERT_SETTING "tls.server_cert"
#define KEY_SETTING "tls.server_key"
#define CAFILE_SETTING "tls.cafile"
#define CA_PEM_SETTING "tls.ca_pem"
#define PEM_FILE_MAX 65536		/* certificate or key file */
#define CAFILE_MAX (16 * 1024 * 1024)	/* a CA bundle */

/* no_passphrase - pem_password_cb: never prompt; encrypted keys fail */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* read_pem - a whole file; error printed naming what and where */
static char *
read_pem(struct cli *c, const char *what, const char *path, size_t max, size_t *len)
{
	int fd = cli_open_file(c, path);
	char *text = fd < 0 ? NULL : fs_read_fd(fd, max, len);

	if (text == NULL)
		cli_error(c, "Cannot read the %s file %.200s: %s.", what, path,
		    errno == EFBIG ? "the file is too large" :
		    errno == ENXIO ? "not a regular file" : strerror(errno));
	return text;
}

/* read_certs - every PEM certificate in text; returns the stack (possibly empty) */
static STACK_OF(X509) *
read_certs(const char *text, size_t len)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b = BIO_new_mem_buf(text, (int)len);
	X509 *x;

	if (sk == NULL || b == NULL)
		abort();	/* only allocation fails here */
	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) != NULL)
		if (sk_X509_push(sk, x) <= 0)
			abort();
	BIO_free(b);
	ERR_clear_error();	/* the end of the input shows as an error */
	return sk;
}

/* bio_text - the contents of a memory BIO as a malloc'd string */
static char *
bio_text(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	return str_ndup(data, n > 0 ? (size_t)n : 0);
}

/* name_text - a certificate name in RFC 2253 form, control characters escaped */
static char *
name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s;

	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
	s = bio_text(b);
	BIO_free(b);
	return s;
}

/* time_text - an ASN.1 time as OpenSSL shows it ("Jan  1 00:00:00 2027 GMT") */
static char *
time_text(const ASN1_TIME *t)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s;

	ASN1_TIME_print(b, t);
	s = bio_text(b);
	BIO_free(b);
	return s;
}

/* fingerprint - SHA-256 of the DER certificate as colon-separated hex */
static void
fingerprint(X509 *x, char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct buf b;

	buf_init(&b, 0);
	buf_addstr(&b, "");
	if (X509_digest(x, EVP_sha256(), md, &n) == 1)
		for (unsigned int i = 0; i < n; i++)
			buf_printf(&b, "%s%02X", i ? ":" : "", md[i]);
	str_copy(out, b.data, size);
	buf_free(&b);
}

/* stage_pem - check a PEM value against its settings row, then stage it */
static int
stage_pem(struct cli *c, const char *name, const char *pem)
{
	const struct setting_def *d = settings_find(name);
	char *cause = NULL;

	if (d == NULL || (d->max > 0 && strlen(pem) > (size_t)d->max)) {
		cli_error(c, "The %s is too large to store (at most %ld bytes of PEM).",
		    strcmp(name, KEY_SETTING) == 0 ? "private key" : "certificate chain",
		    d ? d->max : 0L);
		return -1;
	}
	if (config_set(c->st, SETTINGS_SECTION, name, pem, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- operations */

/* server_import - read, check and stage a certificate and its key */
static enum cmd_ret
server_import(struct cli *c, const char *cert_path, const char *key_path)
{
	char *cert_text = NULL, *key_text = NULL, *cert_pem = NULL, *key_pem = NULL;
	size_t cert_len = 0, key_len = 0;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *b = NULL;
	X509 *leaf;
	enum cmd_ret ret = CMD_ERROR;

	cert_text = read_pem(c, "certificate", cert_path, PEM_FILE_MAX, &cert_len);
	if (cert_text == NULL)
		goto out;
	key_text = read_pem(c, "private key", key_path, PEM_FILE_MAX, &key_len);
	if (key_text == NULL)
		goto out;
	chain = read_certs(cert_text, cert_len);
	if (sk_X509_num(chain) == 0) {
		cli_error(c, "The file %.200s holds no PEM certificate (-----BEGIN "
			     "CERTIFICATE-----).",
		    cert_path);
		goto out;
	}
	leaf = sk_X509_value(chain, 0);
	b = BIO_new_mem_buf(key_text, (int)key_len);
	pkey = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	b = NULL;
	ERR_clear_error();
	if (pkey == NULL) {
		cli_error(c, "The file %.200s holds no readable PEM private key; the key must "
			     "not be protected by a passphrase.",
		    key_path);
		goto out;
	}
	if (X509_check_private_key(leaf, pkey) != 1) {
		ERR_clear_error();
		cli_error(c, "The private key in %.200s does not match the certificate in "
			     "%.200s.",
		    key_path, cert_path);
		goto out;
	}

	/* re-encode: only the certificates and the key itself are kept */
	b = BIO_new(BIO_s_mem());
	for (int i = 0; i < sk_X509_num(chain); i++)
		PEM_write_bio_X509(b, sk_X509_value(chain, i));
	cert_pem = bio_text(b);
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	if (PEM_write_bio_PrivateKey(b, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		ERR_clear_error();
		cli_error(c, "The private key in %.200s cannot be encoded.", key_path);
		goto out;
	}
	key_pem = bio_text(b);

	if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
		char *t = time_text(X509_get0_notAfter(leaf));

		cli_printf(c, "Warning: the certificate expired on %s.\n", t);
		free(t);
	} else if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
		char *t = time_text(X509_get0_notBefore(leaf));

		cli_printf(c, "Warning: the certificate is not valid before %s.\n", t);
		free(t);
	}
	if (strlen(cert_pem) > PEM_FILE_MAX || strlen(key_pem) > PEM_FILE_MAX) {
		cli_error(c, "The certificate or key is too large to store.");
		goto out;
	}
	if (stage_pem(c, CERT_SETTING, cert_pem) == 0 && stage_pem(c, KEY_SETTING, key_pem) == 0)
		ret = CMD_OK;
out:
	if (key_text) {
		OPENSSL_cleanse(key_text, key_len);
		free(key_text);
	}
	if (key_pem) {
		OPENSSL_cleanse(key_pem, strlen(key_pem));
		free(key_pem);
	}
	BIO_free(b);	/* the key's memory BIO, if any */
	free(cert_text);
	free(cert_pem);
	EVP_PKEY_free(pkey);
	if (chain)
		sk_X509_pop_free(chain, X509_free);
	return ret;
}

/*
 * read_ca_certs - every certificate of a CA bundle; *bad set when a
 * block that should be a certificate does not parse (rather than the
 * bundle silently losing the certificates after it)
 */
static STACK_OF(X509) *
read_ca_certs(const char *text, size_t len, int *bad)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b = BIO_new_mem_buf(text, (int)len);
	unsigned long e;
	X509 *x;

	if (sk == NULL || b == NULL)
		abort();	/* only allocation fails here */
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) != NULL)
		if (sk_X509_push(sk, x) <= 0)
			abort();
	/* the end of the input shows as "no start line"; anything else is damage */
	e = ERR_peek_last_error();
	*bad = e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
	ERR_clear_error();
	BIO_free(b);
	return sk;
}

/*
 * stage_setting - stage value, or drop the edit when it goes back to an
 * unstored "". Whether the item is stored is all it asks: a secret's
 * running value is not decrypted, so one whose key is lost can still be
 * cleared or replaced.
 */
static int
stage_setting(struct cli *c, const char *name, const char *value)
{
	char *cause = NULL;
	int rc, stored;

	if ((stored = config_has_running(c->st, SETTINGS_SECTION, name, &cause)) < 0) {
		cli_error(c, "Cannot read %s: %s", name, cause);
		free(cause);
		return -1;
	}
	rc = !stored && *value == '\0' ?
	    config_delete(c->st, SETTINGS_SECTION, name, &cause) :
	    config_set(c->st, SETTINGS_SECTION, name, value, &cause);
	if (rc < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
	}
	return rc;
}

/*
 * cafile_set - a bundle file with at least one certificate, or "system".
 * The bundle is imported now (issue 8, defect 13): its certificates,
 * re-encoded as PEM, go to tls.ca_pem, and its absolute path to
 * tls.cafile for print. mxgated then verifies peers with the stored text,
 * so a file it cannot read (it drops root) or that is gone later changes
 * nothing; a file this command cannot read, or that holds no certificate
 * or a damaged one, is refused and nothing is staged.
 */
static enum cmd_ret
cafile_set(struct cli *c, const char *path)
{
	const struct setting_def *d = settings_find(CA_PEM_SETTING);
	char abs[PATH_MAX], *text, *pem = NULL, *cause = NULL;
	STACK_OF(X509) *sk;
	size_t len;
	int n, bad, ok;
	BIO *b;

	if (strcasecmp(path, "system") == 0) {
		abs[0] = '\0';
		pem = str_dup("");
	} else {
		text = read_pem(c, "CA bundle", path, CAFILE_MAX, &len);
		if (text == NULL)
			return CMD_ERROR;
		sk = read_ca_certs(text, len, &bad);
		free(text);
		n = sk_X509_num(sk);
		if (n == 0 || bad) {
			if (bad)
				cli_error(c, "The file %.200s holds a certificate that cannot be "
					     "read (after %d good one%s); a CA bundle is one or "
					     "more -----BEGIN CERTIFICATE----- blocks.",
				    path, n, n == 1 ? "" : "s");
			else
				cli_error(c, "The file %.200s holds no PEM certificate; a CA "
					     "bundle is one or more -----BEGIN CERTIFICATE----- "
					     "blocks.",
				    path);
			sk_X509_pop_free(sk, X509_free);
			return CMD_ERROR;
		}
		/* re-encode: only the certificates are kept */
		b = BIO_new(BIO_s_mem());
		for (int i = 0; i < n; i++)
			PEM_write_bio_X509(b, sk_X509_value(sk, i));
		pem = bio_text(b);
		BIO_free(b);
		sk_X509_pop_free(sk, X509_free);
		if (d == NULL || (d->max > 0 && strlen(pem) > (size_t)d->max)) {
			cli_error(c, "The CA bundle %.200s is too large to store (at most %ld bytes "
				     "of PEM).",
			    path, d ? d->max : 0L);
			free(pem);
			return CMD_ERROR;
		}
		/* the informational path: absolute, as the daemon's directory differs */
		if (realpath(path, abs) == NULL) {
			cli_error(c, "Cannot resolve the path %.200s: %s.", path, strerror(errno));
			free(pem);
			return CMD_ERROR;
		}
	}
	if (config_begin(c->st, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		free(pem);
		return CMD_ERROR;
	}
	ok = stage_setting(c, CA_PEM_SETTING, pem) == 0 &&
	    stage_setting(c, CAFILE_SETTING, abs) == 0;
	free(pem);
	if (config_end(c->st, ok, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return ok ? CMD_OK : CMD_ERROR;
}

/* cafile_text - how the CA bundle setting reads (malloc'd) */
static char *
cafile_text(struct cli *c)
{
	char *path = settings_get(c->st, CAFILE_SETTING), *pem, *s;
	STACK_OF(X509) *sk;
	int n;

	if (*path == '\0') {
		free(path);
		return str_dup("the system bundle");
	}
	pem = settings_get(c->st, CA_PEM_SETTING);
	if (*pem == '\0') {
		/* configured before bundles were imported: mxgated reads the file */
		s = str_printf("%s (not imported: 'certconfig cafile %s' imports it)", path,
		    path);
	} else {
		sk = read_certs(pem, strlen(pem));
		n = sk_X509_num(sk);
		sk_X509_pop_free(sk, X509_free);
		s = str_printf("%s (%d certificate%s)", path, n, n == 1 ? "" : "s");
	}
	free(pem);
	free(path);
	return s;
}

/* server_chain - the staged or running certificate chain; NULL if none */
static STACK_OF(X509) *
server_chain(struct cli *c)
{
	char *pem = settings_get(c->st, CERT_SETTING);
	STACK_OF(X509) *sk = NULL;

	if (*pem)
		sk = read_certs(pem, strlen(pem));
	free(pem);
	if (sk && sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		sk = NULL;
	}
	return sk;
}

/*
 * key_set - is a private key configured? 1 or 0; -1 with the error
 * printed when it cannot be decrypted (store/secret.h), which must not
 * read as "not set". Its value is never shown.
 */
static int
key_set(struct cli *c)
{
	char *k = NULL, *cause = NULL;
	int set;

	if (settings_read(c->st, KEY_SETTING, &k, &cause) < 0) {
		cli_error(c, "Cannot read the private key: %s", cause);
		free(cause);
		return -1;
	}
	set = *k != '\0';
	secret_drop(k);
	return set;
}

/* cert_print - every setting */
static enum cmd_ret
cert_print(struct cli *c)
{
	STACK_OF(X509) *sk = server_chain(c);
	char *ca = cafile_text(c);
	int set;

	if (sk == NULL) {
		cli_printf(c, "Server certificate:     not set\n");
	} else {
		X509 *x = sk_X509_value(sk, 0);
		char *sub = name_text(X509_get_subject_name(x));
		char *iss = name_text(X509_get_issuer_name(x));
		char *nb = time_text(X509_get0_notBefore(x));
		char *na = time_text(X509_get0_notAfter(x));
		char fp[128];

		fingerprint(x, fp, sizeof(fp));
		cli_printf(c, "Server certificate:\n");
		cli_printf(c, "    Subject:             %s\n", sub);
		cli_printf(c, "    Issuer:              %s\n", iss);
		cli_printf(c, "    Not valid before:    %s\n", nb);
		cli_printf(c, "    Not valid after:     %s%s\n", na,
		    X509_cmp_current_time(X509_get0_notAfter(x)) < 0 ? " (expired)" : "");
		cli_printf(c, "    SHA-256 fingerprint: %s\n", fp);
		if (sk_X509_num(sk) > 1)
			cli_printf(c, "    Chain:               %d more certificate%s\n",
			    sk_X509_num(sk) - 1, sk_X509_num(sk) == 2 ? "" : "s");
		free(sub);
		free(iss);
		free(nb);
		free(na);
		sk_X509_pop_free(sk, X509_free);
	}
	if ((set = key_set(c)) >= 0)
		cli_printf(c, "Private key:            %s\n", set ? SETTINGS_MASK : "not set");
	cli_printf(c, "CA bundle:              %s\n", ca);
	free(ca);
	return set < 0 ? CMD_ERROR : CMD_OK;
}

/* ---------------------------------------------------------- dialogue */

/* summary - the lines above the menu */
static void
summary(struct cli *c)
{
	STACK_OF(X509) *sk = server_chain(c);
	char *ca = cafile_text(c);

	if (sk == NULL) {
		cli_printf(c, "Server certificate: not set\n");
	} else {
		X509 *x = sk_X509_value(sk, 0);
		char *sub = name_text(X509_get_subject_name(x));
		char *na = time_text(X509_get0_notAfter(x));

		cli_printf(c, "Server certificate: %s, valid until %s\n", sub, na);
		free(sub);
		free(na);
		sk_X509_pop_free(sk, X509_free);
	}
	cli_printf(c, "CA bundle: %s\n", ca);
	free(ca);
}

/* dialog_setup - SETUP: both paths, then the same checks as the batch form */
static enum ask_ret
dialog_setup(struct cli *c)
{
	char cert[PATH_MAX], key[PATH_MAX];
	enum ask_ret a;

	a = cli_ask_required(c, "Enter the path of the certificate file (PEM; the server "
				"certificate first, then any intermediate certificates).",
	    cert, sizeof(cert));
	if (a != ASK_OK)
		return a;
	a = cli_ask_required(c, "Enter the path of the private key file (PEM, without a "
				"passphrase).",
	    key, sizeof(key));
	if (a != ASK_OK)
		return a;
	server_import(c, cert, key);
	return ASK_OK;
}

/* dialog_cafile - CAFILE */
static enum ask_ret
dialog_cafile(struct cli *c)
{
	char *cur = settings_get(c->st, CAFILE_SETTING), path[PATH_MAX];
	enum ask_ret a;

	a = cli_ask(c, "Enter the path of the CA bundle (PEM) used to verify peers, or SYSTEM "
		       "for the system bundle.",
	    *cur ? cur : "system", path, sizeof(path));
	free(cur);
	if (a == ASK_OK)
		cafile_set(c, path);
	return a;
}

/* dialog - summary and menu, until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "SETUP", "Import the listener certificate and private key (PEM files)." },
		{ "CAFILE", "Choose the CA bundle used to verify peers." },
		{ "PRINT", "Display the certificate settings." },
	};
	enum ask_ret a;
	int op;

	for (;;) {
		cli_printf(c, "\n");
		summary(c);
		a = cli_ask_menu(c, NULL, ops, 3, &op);
		if (a == ASK_OK) {
			switch (op) {
			case 0:
				a = dialog_setup(c);
				break;
			case 1:
				a = dialog_cafile(c);
				break;
			case 2:
				cli_printf(c, "\n");
				cert_print(c);
				break;
			}
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return CMD_OK;
	}
}

/* ---------------------------------------------------------- table entry */

/* The paths a batch "server" line gives. */
struct paths {
	char *cert;		/* cert=PATH (malloc'd) */
	char *key;		/* key=PATH (malloc'd) */
};

/* set - cmd_keyset.set: remember a path; server_import reads and checks it */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct paths *p = obj;
	char **slot = strcmp(k->name, "cert") == 0 ? &p->cert : &p->key;

	(void)cause;
	free(*slot);
	*slot = str_dup(value);
	return 0;
}

static const struct cmd_key server_keys[] = {
	{ .name = "cert", .type = CMD_KEY_TEXT,
	    .help = "PEM file: the server certificate, then any intermediates" },
	{ .name = "key", .type = CMD_KEY_TEXT, .help = "PEM file: the private key (no passphrase)" },
	{ .name = NULL },
};

#define SERVER_SYNTAX "certconfig server takes cert=PATH and key=PATH"

/* a stray word is never echoed: it may be the key's path or worse */
static const struct cmd_keyset server_keyset = {
	.keys = server_keys,
	.set = set,
	.syntax = SERVER_SYNTAX,
	.unknown = SERVER_SYNTAX,
	.flags = CMD_KEYS_NO_ECHO,
};

static const char *const server_required[] = { "cert", "key", NULL };

/* server - batch "server cert=PATH key=PATH": the keys, then the import */
static enum cmd_ret
server(struct cli *c, const struct cmd_call *call)
{
	struct paths p = { NULL, NULL };
	enum cmd_ret ret = CMD_ERROR;

	if (cmd_keys_apply(c, call, &p, NULL) == 0)
		ret = server_import(c, p.cert, p.key);
	free(p.cert);
	free(p.key);
	return ret;
}

/* cafile - batch "cafile PATH|system" */
static enum cmd_ret
cafile(struct cli *c, const struct cmd_call *call)
{
	return cafile_set(c, call->argv[0]);
}

/* print - batch "print" */
static enum cmd_ret
print(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return cert_print(c);
}

static const struct cmd_word cafile_words[] = {
	{ "system", "use the system CA bundle", NULL },
	{ "<PATH>", "PEM file with one or more CA certificates", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_sub certconfig_subs[] = {
	{ .name = "server", .help = "Import the listener certificate and private key.",
	    .keys = &server_keyset, .required = server_required,
	    .needs = "certconfig server needs cert=PATH and key=PATH", .exec = server },
	{ .name = "cafile", .help = "Choose the CA bundle used to verify peers.",
	    .args = cafile_words, .min_args = 1, .max_args = 1, .exec = cafile },
	{ .name = "print", .help = "Display the certificate settings.", .exec = print },
	{ .exec = NULL },
};

/* certconfig_exec - the menu, or one batch operation */
static enum cmd_ret
certconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_certconfig_entry, argc, argv);
}

const struct cmd_entry cmd_certconfig_entry = {
	.name = "certconfig",
	.usage = "certconfig server cert=PATH key=PATH\n"
		 "certconfig cafile PATH|system\n"
		 "certconfig print",
	.help = "Configure the listener certificate and the CA bundle for verifying peers.",
	.flags = CMD_F_CONFIG,
	.subs = certconfig_subs,
	.exec = certconfig_exec,
};
