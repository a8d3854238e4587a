/*
 * gw.c - what every part of mxgated uses: persistent IDs, mail_logs lines
 * (written to every subscription of type mail_logs whose level takes them,
 * mail/logsub.c), alerts (recorded, and mailed by daemon/alertmail.c) and
 * the TLS contexts.
 *
 * DIAGNOSTICS: failures to reserve IDs or load TLS material are logged to
 * mail_logs; none of these functions exits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "daemon/alertmail.h"
#include "daemon/gw.h"
#include "store/queue.h"
#include "util/printable.h"
#include "util/str.h"

#define ID_BLOCK 1000		/* IDs reserved per trip to the queue: each trip waits for
				 * the writer's lock and an fsync on the loop thread */

static const char *const id_names[] = { "icid", "mid", "dcid" };

int64_t
gw_id(struct gw *gw, enum gw_id which)
{
	char *cause = NULL;
	int64_t first;

	if (gw->id_next[which] >= gw->id_end[which]) {
		/* a crash skips the rest of a block: IDs stay unique and increasing */
		if (queue_id_reserve(gw->q, id_names[which], ID_BLOCK, &first, &cause) < 0) {
			gw_logl(gw, LOGFILE_CRITICAL, "cannot reserve IDs: %s", cause);
			free(cause);
			return ++gw->id_next[which];
		}
		gw->id_next[which] = first;
		gw->id_end[which] = first + ID_BLOCK;
	}
	return gw->id_next[which]++;
}

void
gw_logl(struct gw *gw, enum logfile_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logsub_out_vwrite(gw->logs, level, fmt, ap);
	va_end(ap);
}

void
gw_log(struct gw *gw, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logsub_out_vwrite(gw->logs, LOGFILE_INFO, fmt, ap);
	va_end(ap);
}

void
gw_alert(struct gw *gw, enum alert_severity severity, const char *aclass, int64_t commit,
    const char *fmt, ...)
{
	static const enum logfile_level level[] = { LOGFILE_CRITICAL, LOGFILE_WARNING,
		LOGFILE_INFO };
	char text[ALERT_TEXT_MAX], *cause = NULL;
	int64_t id = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	gw_logl(gw, level[severity], "%s", text);
	if (alert_raise(gw->q, severity, aclass, text, commit, &id, &cause) < 0) {
		gw_logl(gw, LOGFILE_CRITICAL, "cannot record the alert: %s", cause);
		free(cause);
	}
	/* recorded or not, the recipients of alertconfig hear of it */
	alertmail_alert(gw, severity, aclass, text, id);
}

/* gw_log_wants - does any mail_logs-type subscription take this level? */
int
gw_log_wants(struct gw *gw, enum logfile_level level)
{
	return logsub_out_wants(gw->logs, level);
}

const char *
gw_safe(const char *s, char *buf, size_t size)
{
	printable_copy(buf, size, s ? s : "", s ? strlen(s) : 0, 200);
	return buf;
}

/* ---------------------------------------------------------- deferred log writing */

static struct event *logs_ev;	/* writes the lines a loop turn made */

/* on_logs - the turn's other callbacks have run: write their log lines */
static void
on_logs(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	logfile_flush_all();
}

/* logs_pending - a first line waits: write it once this turn's callbacks are done */
static void
logs_pending(void *arg)
{
	(void)arg;
	event_active(logs_ev, EV_TIMEOUT, 0);
}

/*
 * gw_logs_defer - log lines of one loop turn are written together
 * (util/logfile.c): the event runs after the callbacks already active,
 * before the loop waits again. on 0: write through, as before the loop.
 */
void
gw_logs_defer(struct gw *gw, int on)
{
	if (on && logs_ev == NULL) {
		logs_ev = event_new(gw->base, -1, 0, on_logs, NULL);
		logfile_defer(logs_pending, NULL);
	} else if (!on && logs_ev != NULL) {
		logfile_defer(NULL, NULL);
		event_free(logs_ev);
		logs_ev = NULL;
	}
}

/* ---------------------------------------------------------- TLS contexts */

/* new_ctx - an SSL_CTX with our floor: TLS 1.2 */
static SSL_CTX *
new_ctx(const SSL_METHOD *m)
{
	SSL_CTX *ctx = SSL_CTX_new(m);

	if (ctx) {
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
		SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	}
	return ctx;
}

/* load_pem_server - certificate chain and key from PEM text */
static int
load_pem_server(SSL_CTX *ctx, const char *cert, const char *key, char **cause)
{
	BIO *b = BIO_new_mem_buf(cert, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	EVP_PKEY *pk;
	int ok = 0;

	if (x && SSL_CTX_use_certificate(ctx, x) == 1) {
		X509 *extra;

		while ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
			if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1)
				X509_free(extra);
		ERR_clear_error();
		ok = 1;
	}
	X509_free(x);
	BIO_free(b);
	if (!ok) {
		*cause = str_dup("the listener certificate cannot be loaded");
		return -1;
	}
	b = BIO_new_mem_buf(key, -1);
	pk = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (pk == NULL || SSL_CTX_use_PrivateKey(ctx, pk) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		EVP_PKEY_free(pk);
		*cause = str_dup("the listener private key cannot be loaded or does not match");
		return -1;
	}
	EVP_PKEY_free(pk);
	return 0;
}

/*
 * load_pem_ca - the CA bundle certconfig imported into the store, into
 * the verifying context's trust store (issue 8, defect 13: the daemon
 * runs without root and must not depend on reading the operator's file)
 */
static int
load_pem_ca(SSL_CTX *ctx, const char *pem, char **cause)
{
	X509_STORE *xs = SSL_CTX_get_cert_store(ctx);
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x;
	int n = 0, ok = 1;

	while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(xs, x) == 1)
			n++;
		else
			ok = 0;
		X509_free(x);
	}
	BIO_free(b);
	ERR_clear_error();	/* the end of the text shows as an error */
	if (!ok || n == 0) {
		*cause = str_dup("cannot load the CA bundle imported by certconfig");
		return -1;
	}
	return 0;
}

int
gw_tls_reload(struct gw *gw, char **cause)
{
	SSL_CTX *server = NULL, *client, *verify;
	const struct conf *c = gw->conf;

	if (c->server_cert[0] && c->server_key[0]) {
		server = new_ctx(TLS_server_method());
		if (server == NULL || load_pem_server(server, c->server_cert, c->server_key,
					  cause) < 0) {
			SSL_CTX_free(server);
			return -1;
		}
	}
	client = new_ctx(TLS_client_method());
	verify = new_ctx(TLS_client_method());
	if (client == NULL || verify == NULL) {
		SSL_CTX_free(server);
		SSL_CTX_free(client);
		SSL_CTX_free(verify);
		*cause = str_dup("cannot create TLS contexts");
		return -1;
	}
	SSL_CTX_set_verify(client, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_verify(verify, SSL_VERIFY_PEER, NULL);
	/* the imported bundle; a path alone is a configuration from before imports */
	if (c->ca_pem && c->ca_pem[0] ? load_pem_ca(verify, c->ca_pem, cause) < 0 :
	    c->cafile[0] ? SSL_CTX_load_verify_locations(verify, c->cafile, NULL) != 1 :
			   SSL_CTX_set_default_verify_paths(verify) != 1) {
		SSL_CTX_free(server);
		SSL_CTX_free(client);
		SSL_CTX_free(verify);
		if (!(c->ca_pem && c->ca_pem[0]))
			*cause = str_printf("cannot load the CA bundle %s",
			    c->cafile[0] ? c->cafile : "(system)");
		return -1;
	}
	SSL_CTX_free(gw->server_ctx);
	SSL_CTX_free(gw->client_ctx);
	SSL_CTX_free(gw->client_ctx_verify);
	gw->server_ctx = server;
	gw->client_ctx = client;
	gw->client_ctx_verify = verify;
	return 0;
}

