/*
 * smtpprobe.c - see smtpprobe.h.
 *
 * One blocking session on a non-blocking socket: every wait is a poll(2)
 * in slices of POLL_SLICE_MS so that the caller's stop (Ctrl-C) is seen
 * within a fraction of a second, and each step has its own ceiling
 * (p->timeout_ms). The TLS context is made per probe with the daemon's
 * floor (TLS 1.2) and the CA bundle certconfig imported (the caller reads
 * tls.ca_pem / tls.cafile from the store, the settings mxgated verifies
 * with). The handshake itself does not verify: the chain's verdict and
 * the name check are reported separately, so the operator sees both.
 *
 * Input read from the server is bounded: a reply line is cut at
 * SMTPPROBE_LINE_MAX (the rest skipped to the next newline, Postfix
 * smtp_get's SKIP), a reply at SMTPPROBE_REPLY_LINES lines. Plaintext
 * that arrives after the server's answer to STARTTLS is dropped, never
 * read as if it came through TLS (CVE-2011-0411, seen from the client).
 *
 * DIAGNOSTICS: -1 with a one-line *cause.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net/smtpprobe.h"
#include "util/printable.h"
#include "util/str.h"
#include "util/syntax.h"

/* How often a wait looks at the caller's stop. */
#define POLL_SLICE_MS 200
/* Input buffer: a line longer than this is cut and the rest skipped. */
#define IN_MAX 4096

struct conn {
	const struct smtpprobe *p;	/* the probe's parameters */
	int fd;				/* the socket */
	SSL *ssl;			/* after STARTTLS, else NULL */
	char in[IN_MAX];		/* input read, not yet a line */
	size_t len;			/* bytes in in */
	int skip;			/* dropping the rest of a cut line */
};

/* now_ms - monotonic milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* report - one line to the caller */
static void
report(const struct smtpprobe *p, enum smtpprobe_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
report(const struct smtpprobe *p, enum smtpprobe_kind kind, const char *fmt, ...)
{
	char line[SMTPPROBE_LINE_MAX + 256];
	va_list ap;

	if (p->report == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->report(p->arg, kind, line);
}

/*
 * wait_fd - until fd is ready for ev: 1 ready, -1 with *cause on the
 * deadline or the caller's stop
 */
static int
wait_fd(const struct smtpprobe *p, int fd, short ev, long long deadline, const char *what,
    char **cause)
{
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = ev };
		long long left = deadline - now_ms();
		int n;

		if (p->stop != NULL && p->stop(p->arg)) {
			*cause = str_dup("Stopped by Ctrl-C.");
			return -1;
		}
		if (left <= 0) {
			int secs = (p->timeout_ms + 999) / 1000;

			*cause = str_printf("Timed out after %d second%s %s.", secs,
			    secs == 1 ? "" : "s", what);
			return -1;
		}
		n = poll(&pf, 1, left < POLL_SLICE_MS ? (int)left : POLL_SLICE_MS);
		if (n < 0 && errno != EINTR) {
			*cause = str_printf("poll: %s", strerror(errno));
			return -1;
		}
		if (n > 0)
			return 1;
	}
}

/* ssl_why - the last OpenSSL error as text, or fallback */
static void
ssl_why(char *buf, size_t size, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	str_copy(buf, r ? r : fallback, size);
	ERR_clear_error();
}

/*
 * ssl_wait - after an SSL call returned rc: 1 retry (waited for the
 * socket), 0 the peer closed, -1 with *cause
 */
static int
ssl_wait(struct conn *c, int rc, long long deadline, const char *what, char **cause)
{
	int e = SSL_get_error(c->ssl, rc);
	char why[160];

	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c->p, c->fd, POLLIN, deadline, what, cause);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c->p, c->fd, POLLOUT, deadline, what, cause);
	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0))
		return 0;
	ssl_why(why, sizeof(why), "TLS error");
	*cause = str_printf("TLS error %s: %s.", what, why);
	return -1;
}

/* conn_read - some bytes into the input buffer: 1, 0 at end of input, -1 */
static int
conn_read(struct conn *c, long long deadline, char **cause)
{
	size_t room = sizeof(c->in) - c->len;

	for (;;) {
		if (c->ssl != NULL) {
			int n = SSL_read(c->ssl, c->in + c->len, (int)room), w;

			if (n > 0) {
				c->len += (size_t)n;
				return 1;
			}
			if ((w = ssl_wait(c, n, deadline, "waiting for the server's reply",
				 cause)) <= 0)
				return w;
		} else {
			ssize_t n = read(c->fd, c->in + c->len, room);

			if (n > 0) {
				c->len += (size_t)n;
				return 1;
			}
			if (n == 0)
				return 0;
			if (errno == ECONNRESET)
				return 0;
			if (errno != EAGAIN && errno != EINTR) {
				*cause = str_printf("Reading from the server: %s.", strerror(errno));
				return -1;
			}
			if (wait_fd(c->p, c->fd, POLLIN, deadline, "waiting for the server's reply",
				cause) < 0)
				return -1;
		}
	}
}

/*
 * read_line - the next input line, printable, without CRLF, cut at
 * SMTPPROBE_LINE_MAX: 1, 0 the server closed, -1 with *cause
 */
static int
read_line(struct conn *c, char *line, size_t size, size_t *len, long long deadline,
    char **cause)
{
	for (;;) {
		char *nl = memchr(c->in, '\n', c->len);
		size_t n, take;
		int r;

		if (nl == NULL && c->len == sizeof(c->in)) {
			/* too long: keep the start, skip to the newline */
			if (!c->skip) {
				take = c->len < size - 1 ? c->len : size - 1;
				memcpy(line, c->in, take);
				line[take] = '\0';
				*len = take;
				c->len = 0;
				c->skip = 1;
				return 1;
			}
			c->len = 0;
			continue;
		}
		if (nl != NULL) {
			n = (size_t)(nl - c->in);
			take = n;
			if (take > 0 && c->in[take - 1] == '\r')
				take--;
			if (take > size - 1)
				take = size - 1;
			memcpy(line, c->in, take);
			line[take] = '\0';
			*len = take;
			memmove(c->in, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			if (c->skip) {
				c->skip = 0;
				continue;
			}
			return 1;
		}
		if ((r = conn_read(c, deadline, cause)) <= 0)
			return r;
	}
}

/* conn_write - all of s: 0, -1 with *cause */
static int
conn_write(struct conn *c, const char *s, size_t n, long long deadline, char **cause)
{
	while (n > 0) {
		if (c->ssl != NULL) {
			int w = SSL_write(c->ssl, s, (int)n), r;

			if (w > 0) {
				s += w;
				n -= (size_t)w;
				continue;
			}
			if ((r = ssl_wait(c, w, deadline, "sending to the server", cause)) < 0)
				return -1;
			if (r == 0) {
				*cause = str_dup("The server closed the connection.");
				return -1;
			}
		} else {
			ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);

			if (w > 0) {
				s += w;
				n -= (size_t)w;
				continue;
			}
			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				*cause = str_printf("Sending to the server: %s.", strerror(errno));
				return -1;
			}
			if (wait_fd(c->p, c->fd, POLLOUT, deadline, "sending to the server",
				cause) < 0)
				return -1;
		}
	}
	return 0;
}

/* send_cmd - one command line, reported */
static int
send_cmd(struct conn *c, const char *cmd, char **cause)
{
	char line[600];

	report(c->p, SMTPPROBE_SENT, "%s", cmd);
	str_fmt(line, sizeof(line), "%s\r\n", cmd);
	return conn_write(c, line, strlen(line), now_ms() + c->p->timeout_ms, cause);
}

int
smtpprobe_reply_line(const char *line, size_t len, int *code, int *more)
{
	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
	    line[2] < '0' || line[2] > '9')
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	*more = len > 3 && line[3] == '-';
	return 0;
}

int
smtpprobe_ehlo_has(const char *text, const char *keyword)
{
	size_t k = strlen(keyword);

	while (*text == ' ')
		text++;
	return strncasecmp(text, keyword, k) == 0 && (text[k] == '\0' || text[k] == ' ');
}

/*
 * read_reply - one whole reply, each line reported: its code, or -1
 * with *cause. starttls, when not NULL, is set when an EHLO reply offers
 * STARTTLS.
 */
static int
read_reply(struct conn *c, int *starttls, char **cause)
{
	char raw[SMTPPROBE_LINE_MAX + 1], shown[SMTPPROBE_LINE_MAX + 1];
	long long deadline = now_ms() + c->p->timeout_ms;
	int code = 0, first = -1, more = 1, r;
	size_t len;

	if (starttls != NULL)
		*starttls = 0;
	for (int i = 0; more; i++) {
		if (i == SMTPPROBE_REPLY_LINES) {
			*cause = str_printf("The server's reply is longer than %d lines.",
			    SMTPPROBE_REPLY_LINES);
			return -1;
		}
		if ((r = read_line(c, raw, sizeof(raw), &len, deadline, cause)) < 0)
			return -1;
		if (r == 0) {
			*cause = str_dup("The server closed the connection.");
			return -1;
		}
		printable_copy(shown, sizeof(shown), raw, len, 512);
		report(c->p, SMTPPROBE_REPLY, "%s", shown);
		if (smtpprobe_reply_line(raw, len, &code, &more) < 0) {
			*cause = str_printf("The server's reply is not SMTP: %.100s", shown);
			return -1;
		}
		if (first < 0)
			first = code;
		else if (code != first) {
			*cause = str_printf("The server's reply mixes codes %d and %d.", first, code);
			return -1;
		}
		if (starttls != NULL && i > 0 && len > 4 && smtpprobe_ehlo_has(raw + 4, "STARTTLS"))
			*starttls = 1;
	}
	return code;
}

/* ---------------------------------------------------------- connecting */

/*
 * try_connect - one address: the socket, or -1 with *err (ETIMEDOUT on
 * the step's ceiling), or with *cause when the caller stopped
 */
static int
try_connect(const struct smtpprobe *p, const struct sockaddr_storage *ss, int *err,
    char **cause)
{
	long long deadline = now_ms() + p->timeout_ms;
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						   sizeof(struct sockaddr_in);
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	socklen_t sl = sizeof(*err);
	char *why = NULL;

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)ss, len) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*err = errno;
		close(fd);
		return -1;
	}
	if (wait_fd(p, fd, POLLOUT, deadline, "connecting", &why) < 0) {
		close(fd);
		if (p->stop != NULL && p->stop(p->arg)) {
			*cause = why;
			return -1;
		}
		free(why);
		*err = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &sl) < 0)
		*err = errno;
	if (*err != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* err_text - a connect error as the operator reads it */
static const char *
err_text(const struct smtpprobe *p, int err, char *buf, size_t size)
{
	int secs = (p->timeout_ms + 999) / 1000;

	if (err == ECONNREFUSED)
		return "connection refused";
	if (err == ETIMEDOUT) {
		str_fmt(buf, size, "timed out after %d second%s", secs, secs == 1 ? "" : "s");
		return buf;
	}
	return strerror(err);
}

int
smtpprobe_connect(const struct smtpprobe *p, char **cause)
{
	struct sockaddr_storage one, *list;
	char addr[INET6_ADDRSTRLEN], why[80];
	int fd = -1, err = 0, n = p->naddr;

	memset(&one, 0, sizeof(one));
	if (n <= 0) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&one;
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&one;

		if (inet_pton(AF_INET, p->host, &s4->sin_addr) == 1)
			one.ss_family = AF_INET;
		else if (inet_pton(AF_INET6, p->host, &s6->sin6_addr) == 1)
			one.ss_family = AF_INET6;
		else {
			*cause = str_printf("Cannot connect to %s: the name is not resolved.",
			    p->host);
			return -1;
		}
		n = 1;
	}
	list = xcalloc((size_t)n, sizeof(*list));
	if (p->naddr > 0)
		memcpy(list, p->addrs, (size_t)n * sizeof(*list));
	else
		list[0] = one;
	for (int i = 0; i < n && fd < 0; i++) {
		struct sockaddr_storage *ss = &list[i];
		const void *a;

		if (ss->ss_family == AF_INET6) {
			((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons((uint16_t)p->port);
			a = &((struct sockaddr_in6 *)(void *)ss)->sin6_addr;
		} else {
			((struct sockaddr_in *)(void *)ss)->sin_port = htons((uint16_t)p->port);
			a = &((struct sockaddr_in *)(void *)ss)->sin_addr;
		}
		if (inet_ntop(ss->ss_family, a, addr, sizeof(addr)) == NULL)
			str_copy(addr, "?", sizeof(addr));
		report(p, SMTPPROBE_STEP, "Connecting to %s port %d...", addr, p->port);
		fd = try_connect(p, ss, &err, cause);
		if (fd < 0 && *cause != NULL)	/* stopped: not the next one */
			break;
		if (fd < 0 && i + 1 < n)	/* the last one's is the cause */
			report(p, SMTPPROBE_STEP, "Connection to %s port %d failed: %s.", addr,
			    p->port, err_text(p, err, why, sizeof(why)));
		else if (fd >= 0)
			report(p, SMTPPROBE_STEP, "Connected to %s port %d.", addr, p->port);
	}
	free(list);
	if (fd < 0 && *cause == NULL)
		*cause = str_printf("Cannot connect to %s port %d: %s.", p->host, p->port,
		    err_text(p, err, why, sizeof(why)));
	return fd;
}

/* ---------------------------------------------------------- TLS */

/* load_ca - the bundle into ctx's trust store: 0, -1 with *cause */
static int
load_ca(SSL_CTX *ctx, const struct smtpprobe *p, char **cause)
{
	if (p->ca_pem != NULL && p->ca_pem[0] != '\0') {
		X509_STORE *xs = SSL_CTX_get_cert_store(ctx);
		BIO *b = BIO_new_mem_buf(p->ca_pem, -1);
		X509 *x;
		int n = 0;

		while (b != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
			if (X509_STORE_add_cert(xs, x) == 1)
				n++;
			X509_free(x);
		}
		BIO_free(b);
		ERR_clear_error();	/* the end of the text shows as an error */
		if (n == 0) {
			*cause = str_dup("Cannot load the CA bundle imported by certconfig.");
			return -1;
		}
		return 0;
	}
	if (p->cafile != NULL && p->cafile[0] != '\0') {
		if (SSL_CTX_load_verify_locations(ctx, p->cafile, NULL) != 1) {
			ERR_clear_error();
			*cause = str_printf("Cannot load the CA bundle %s.", p->cafile);
			return -1;
		}
		return 0;
	}
	if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		ERR_clear_error();
		*cause = str_dup("Cannot load the system's CA bundle.");
		return -1;
	}
	return 0;
}

/* name_text - an X509 name on one line, printable */
static void
name_text(X509_NAME *n, char *out, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;

	str_copy(out, "?", size);
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (len = BIO_get_mem_data(b, &data)) > 0)
		printable_copy(out, size, data, (size_t)len, 300);
	BIO_free(b);
}

/* time_text - an ASN1 time as OpenSSL prints it ("Dec  7 05:36:17 2026 GMT") */
static void
time_text(const ASN1_TIME *t, char *out, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;

	str_copy(out, "?", size);
	if (b == NULL)
		return;
	if (ASN1_TIME_print(b, t) == 1 && (len = BIO_get_mem_data(b, &data)) > 0)
		printable_copy(out, size, data, (size_t)len, 64);
	BIO_free(b);
}

/* show_chain - each certificate the server sent, then the verdicts */
static void
show_chain(struct conn *c, struct smtpprobe_result *res)
{
	const struct smtpprobe *p = c->p;
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c->ssl);
	X509 *leaf = SSL_get1_peer_certificate(c->ssl);
	struct in6_addr a6;
	struct in_addr a4;
	int n = chain ? sk_X509_num(chain) : 0, isip;

	if (leaf == NULL) {
		report(p, SMTPPROBE_TLS, "The server sent no certificate.");
		str_copy(res->verify_reason, "no certificate", sizeof(res->verify_reason));
		res->verify_code = X509_V_ERR_UNSPECIFIED;
		return;
	}
	report(p, SMTPPROBE_TLS, "Certificate chain (%d certificate%s):", n, n == 1 ? "" : "s");
	for (int i = 0; i < n; i++) {
		X509 *x = sk_X509_value(chain, i);
		char subj[320], iss[320], from[80], to[80];

		name_text(X509_get_subject_name(x), subj, sizeof(subj));
		name_text(X509_get_issuer_name(x), iss, sizeof(iss));
		time_text(X509_get0_notBefore(x), from, sizeof(from));
		time_text(X509_get0_notAfter(x), to, sizeof(to));
		report(p, SMTPPROBE_TLS, " %d subject: %s", i, subj);
		report(p, SMTPPROBE_TLS, "   issuer:  %s", iss);
		report(p, SMTPPROBE_TLS, "   valid:   %s to %s", from, to);
	}
	res->verify_code = SSL_get_verify_result(c->ssl);
	res->verified = res->verify_code == X509_V_OK;
	str_copy(res->verify_reason, X509_verify_cert_error_string(res->verify_code),
	    sizeof(res->verify_reason));
	if (res->verified)
		report(p, SMTPPROBE_TLS, "Certificate verification: OK");
	else
		report(p, SMTPPROBE_TLS, "Certificate verification failed: %s.",
		    res->verify_reason);
	isip = inet_pton(AF_INET, p->host, &a4) == 1 || inet_pton(AF_INET6, p->host, &a6) == 1;
	res->name_ok = isip ? X509_check_ip_asc(leaf, p->host, 0) == 1 :
			      X509_check_host(leaf, p->host, 0, 0, NULL) == 1;
	report(p, SMTPPROBE_TLS, "Certificate name: %s %s.",
	    res->name_ok ? "matches" : "does not match", p->host);
	X509_free(leaf);
}

/* start_tls - the handshake on the connection: 0, -1 with *cause */
static int
start_tls(struct conn *c, struct smtpprobe_result *res, char **cause)
{
	const struct smtpprobe *p = c->p;
	long long deadline = now_ms() + p->timeout_ms;
	struct in6_addr a6;
	struct in_addr a4;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int rc, w;

	if (ctx == NULL) {
		*cause = str_dup("Cannot create a TLS context.");
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);	/* verdict reported, not enforced */
	if (load_ca(ctx, p, cause) < 0) {
		SSL_CTX_free(ctx);
		return -1;
	}
	c->ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);	/* the SSL holds its reference */
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		*cause = str_dup("Cannot create a TLS session.");
		return -1;
	}
	if (inet_pton(AF_INET, p->host, &a4) != 1 && inet_pton(AF_INET6, p->host, &a6) != 1)
		SSL_set_tlsext_host_name(c->ssl, p->host);	/* SNI: names only (RFC 6066 3) */
	report(p, SMTPPROBE_STEP, "Starting the TLS handshake...");
	while ((rc = SSL_connect(c->ssl)) != 1) {
		char *why = NULL;

		if ((w = ssl_wait(c, rc, deadline, "in the TLS handshake", &why)) > 0)
			continue;
		if (w == 0)
			*cause = str_dup("TLS handshake failed: the server closed the connection.");
		else if (strncmp(why, "TLS error in the TLS handshake: ", 32) == 0)
			*cause = str_printf("TLS handshake failed: %s", why + 32);
		else
			*cause = str_dup(why);
		free(why);
		return -1;
	}
	res->tls = 1;
	report(p, SMTPPROBE_TLS, "TLS connection established: protocol %s, cipher %s.",
	    SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
	show_chain(c, res);
	return 0;
}

/* ---------------------------------------------------------- the session */

/* quit - QUIT and its reply, best effort (the session already said what it had to) */
static void
quit(struct conn *c)
{
	char *cause = NULL;

	if (send_cmd(c, "QUIT", &cause) == 0)
		(void)read_reply(c, NULL, &cause);
	free(cause);
}

/* session - banner to QUIT on a connected socket */
static int
session(struct conn *c, struct smtpprobe_result *res, char **cause)
{
	const struct smtpprobe *p = c->p;
	char ehlo[300];
	int code, offered = 0;

	str_fmt(ehlo, sizeof(ehlo), "EHLO %s", p->helo && p->helo[0] ? p->helo : "localhost");
	if ((code = read_reply(c, NULL, cause)) < 0)
		return -1;
	if (code != 220) {
		*cause = str_printf("The server did not accept the session (%d).", code);
		quit(c);
		return -1;
	}
	if (send_cmd(c, ehlo, cause) < 0 || (code = read_reply(c, &offered, cause)) < 0)
		return -1;
	if (code != 250) {
		*cause = str_printf("The server refused EHLO (%d).", code);
		quit(c);
		return -1;
	}
	if (p->tls != SMTPPROBE_TLS_NO && !offered) {
		if (p->tls == SMTPPROBE_TLS_REQUIRED) {
			*cause = str_dup("The server does not offer STARTTLS.");
			quit(c);
			return -1;
		}
		report(p, SMTPPROBE_STEP, "The server does not offer STARTTLS.");
	}
	if (p->tls != SMTPPROBE_TLS_NO && offered) {
		if (send_cmd(c, "STARTTLS", cause) < 0 || (code = read_reply(c, NULL, cause)) < 0)
			return -1;
		if (code != 220) {
			*cause = str_printf("The server refused STARTTLS (%d).", code);
			quit(c);
			return -1;
		}
		if (c->len > 0) {
			report(p, SMTPPROBE_STEP, "Dropped %zu bytes the server sent in plain text "
			    "after its STARTTLS reply.", c->len);
			c->len = 0;
		}
		if (start_tls(c, res, cause) < 0)
			return -1;
		/* RFC 3207 4.2: forget what was learnt before; ask again */
		if (send_cmd(c, ehlo, cause) < 0 || (code = read_reply(c, NULL, cause)) < 0)
			return -1;
		if (code != 250) {
			*cause = str_printf("The server refused EHLO after STARTTLS (%d).", code);
			quit(c);
			return -1;
		}
	}
	quit(c);
	return 0;
}

int
smtpprobe_session(const struct smtpprobe *p, int fd, struct smtpprobe_result *res, char **cause)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	int rc;

	c->p = p;
	c->fd = fd;
	res->connected = 1;
	rc = session(c, res, cause);
	if (c->ssl != NULL) {
		(void)SSL_shutdown(c->ssl);	/* one close_notify, no wait for the answer */
		SSL_free(c->ssl);
	}
	ERR_clear_error();
	free(c);
	return rc;
}

int
smtpprobe_run(const struct smtpprobe *p, struct smtpprobe_result *res, char **cause)
{
	int fd, rc;

	memset(res, 0, sizeof(*res));
	*cause = NULL;
	if (p->timeout_ms <= 0 || p->port < 1 || p->port > 65535 || !smtpprobe_host_ok(p->host)) {
		*cause = str_dup("Invalid probe target.");
		return -1;
	}
	if ((fd = smtpprobe_connect(p, cause)) < 0)
		return -1;
	rc = smtpprobe_session(p, fd, res, cause);
	close(fd);
	return rc;
}

/* ---------------------------------------------------------- arguments */

int
smtpprobe_host_ok(const char *host)
{
	if (host == NULL || host[0] == '\0' || host[0] == '-')
		return 0;	/* never an option for a tool */
	return syntax_hostname(host) || syntax_ipv4(host) || syntax_ipv6(host);
}

int
smtpprobe_target(const char *s, int def, char *host, size_t size, int *port, char **cause)
{
	const char *colon = NULL, *h = s;
	char shown[128];
	size_t hl;
	long v;

	*port = def;
	printable_copy(shown, sizeof(shown), s, strlen(s), 100);	/* echoed in causes */
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
			*cause = str_printf("'%s' is not HOST[:PORT] or [IPv6]:PORT.", shown);
			return -1;
		}
		h = s + 1;
		hl = (size_t)(end - h);
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;	/* a bare IPv6 address: no port */
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= size) {
		*cause = str_printf("'%s' is not a host name or IP address.", shown);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (!smtpprobe_host_ok(host)) {
		printable_copy(shown, sizeof(shown), host, hl, 100);
		*cause = str_printf("'%s' is not a host name or IP address.", shown);
		return -1;
	}
	if (colon != NULL) {
		if (str_to_long(colon + 1, 1, 65535, &v) < 0) {
			printable_copy(shown, sizeof(shown), colon + 1, strlen(colon + 1), 100);
			*cause = str_printf("'%s' is not a port (1-65535).", shown);
			return -1;
		}
		*port = (int)v;
	}
	return 0;
}
