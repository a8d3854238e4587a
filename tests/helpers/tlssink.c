/*
 * tlssink.c - a fast SMTP sink that insists on STARTTLS, for benchmarks
 * and tests (Postfix's smtp-sink has no TLS).
 *
 * usage: tlssink -p PORT -c CERT.pem -k KEY.pem [-n N] [-o COUNTFILE]
 *
 * Listens on 127.0.0.1:PORT. Greets 220; EHLO offers PIPELINING, SIZE,
 * 8BITMIME, STARTTLS (until TLS is on) and ENHANCEDSTATUSCODES. MAIL,
 * RCPT and DATA get 530 until STARTTLS has succeeded; TLS 1.2 is the
 * least version accepted. Commands are answered one per line in the
 * order received, so pipelined groups work (RFC 2920); anything sent
 * after STARTTLS in the same packet is discarded (RFC 3207 section 5,
 * the "STARTTLS command injection" problem). Bodies are read until
 * CRLF.CRLF and discarded.
 *
 * Every accepted message bumps a counter, written after each message to
 * COUNTFILE as a fixed-width decimal line at offset 0 (one pwrite, so a
 * reader always sees a whole number), or else to standard output as one
 * line per message (flushed every 100 messages, when the loop goes idle
 * and at exit). With -n N the sink exits once N messages have been
 * accepted and their 250 replies have left (or after 2 more seconds).
 *
 * One thread, libevent; clients that vanish, stall (300 s) or send a
 * command line over 4096 bytes lose their session and nothing else.
 *
 * Diagnostics on stderr: TLS errors (the first 10, one line each with
 * OpenSSL's reason) and a summary line at exit: "N messages, N
 * connections, N TLS, N TLS failed, S s CPU". Exit status: 0 after -n N or
 * SIGTERM/SIGINT, 1 for a bad certificate, key or port, 64 for usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define LINE_MAX_LEN	4096	/* longest command line, CRLF included */
#define IDLE_SECONDS	300	/* drop a client silent this long */
#define EXIT_GRACE_MS	2000	/* -n: most we wait for the last replies */
#define ERRORS_SHOWN	10	/* TLS errors logged; the rest only counted */

/* One SMTP session. */
struct sess {
	struct bufferevent *bev;	/* plain socket, later the TLS one */
	struct evbuffer *outq;		/* replies to one read, sent together */
	evutil_socket_t fd;		/* the socket, ours to close while plain */
	int tls;			/* STARTTLS done */
	int tls_pending;		/* 220 for STARTTLS queued, not yet sent */
	int handshake_done;		/* the TLS handshake completed */
	int mail;			/* MAIL accepted in this transaction */
	int rcpts;			/* RCPTs accepted in this transaction */
	int data;			/* inside DATA, reading the body */
	int bol;			/* DATA: at the start of a body line */
	int closing;			/* QUIT answered or fatal error: close once flushed */
	struct sess *prev, *next;	/* all sessions, for the -n exit */
};

static struct event_base *base;
static struct evconnlistener *listener;
static SSL_CTX *ssl_ctx;
static struct sess *sessions;		/* list head */
static unsigned long count;		/* messages accepted */
static unsigned long limit;		/* -n, 0 for none */
static unsigned long conns;		/* sessions accepted */
static unsigned long tls_ok;		/* STARTTLS handshakes completed */
static unsigned long tls_fail;		/* STARTTLS handshakes failed */
static unsigned long tls_errors;	/* TLS errors seen (ERRORS_SHOWN logged) */
static int count_fd = -1;		/* -o COUNTFILE, else -1: stdout */
static unsigned long unflushed;		/* stdout lines not yet flushed */
static int done;			/* -n reached: exit when flushed */
static struct event *idle_ev;		/* flushes stdout when the loop is idle */
static struct event *grace_ev;		/* -n: exit even if a reply is stuck */

static void sess_read(struct bufferevent *, void *);
static void sess_write(struct bufferevent *, void *);
static void sess_event(struct bufferevent *, short, void *);

static void
usage(void)
{
	fprintf(stderr, "usage: tlssink -p PORT -c CERT.pem -k KEY.pem [-n N] [-o COUNTFILE]\n");
	exit(64);
}

/* number_arg - a decimal option value in [min, max], or usage() */
static unsigned long
number_arg(const char *s, unsigned long min, unsigned long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 ||
	    (unsigned long long)v < min || (unsigned long long)v > max)
		usage();
	return (unsigned long)v;
}

/* ssl_errors - OpenSSL's queued reasons as one short line (and cleared) */
static const char *
ssl_errors(char *buf, size_t size)
{
	unsigned long e;
	size_t n = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		if (n + 2 < size) {
			if (n > 0) {
				buf[n++] = ';';
				buf[n] = '\0';
			}
			ERR_error_string_n(e, buf + n, size - n);
			n = strlen(buf);
		}
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "connection closed");
	return buf;
}

/* ---------------------------------------------------------------- counting */

/* count_write - publish the count: pwrite to COUNTFILE, or a stdout line */
static void
count_write(void)
{
	char line[32];
	int n;

	if (count_fd >= 0) {
		/* fixed width: each write covers the previous one exactly */
		n = snprintf(line, sizeof(line), "%20lu\n", count);
		if (pwrite(count_fd, line, (size_t)n, 0) != n)
			fprintf(stderr, "tlssink: count file: %s\n", strerror(errno));
		return;
	}
	printf("%lu\n", count);
	if (++unflushed >= 100) {
		fflush(stdout);
		unflushed = 0;
	} else if (!evtimer_pending(idle_ev, NULL)) {
		/* a zero timeout runs after the events now ready: "idle" */
		struct timeval tv = { 0, 0 };

		evtimer_add(idle_ev, &tv);
	}
}

static void
idle_flush(evutil_socket_t fd, short what, void *arg)
{
	fflush(stdout);
	unflushed = 0;
}

/* ---------------------------------------------------------------- sessions */

/* output_pending - bytes of this session not yet handed to the kernel */
static size_t
output_pending(const struct sess *s)
{
	return evbuffer_get_length(bufferevent_get_output(s->bev));
}

/* maybe_exit - after -n N: leave the loop once every reply has gone */
static void
maybe_exit(void)
{
	const struct sess *s;

	if (!done)
		return;
	for (s = sessions; s != NULL; s = s->next)
		if (output_pending(s) > 0)
			return;
	event_base_loopexit(base, NULL);
}

static void
sess_free(struct sess *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	if (s->tls && !s->handshake_done)
		tls_fail++;
	if (s->bev != NULL)		/* NULL if start_tls failed */
		bufferevent_free(s->bev);
	evbuffer_free(s->outq);
	if (!s->tls)			/* the TLS bufferevent closes its own */
		evutil_closesocket(s->fd);
	free(s);
	maybe_exit();
}

/* reply - queue one reply line (CRLF added) until flush() */
static void reply(struct sess *, const char *, ...) __attribute__((format(printf, 2, 3)));
static void
reply(struct sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(s->outq, fmt, ap);
	va_end(ap);
	evbuffer_add(s->outq, "\r\n", 2);
}

/*
 * flush - hand the queued replies to the bufferevent in one piece. Each
 * addition to a bufferevent_openssl output is an SSL_write (libevent 2.1
 * writes at once), so adding line by line would send a TLS record, and
 * a write(2), per reply line instead of one per pipelined group.
 */
static void
flush(struct sess *s)
{
	if (evbuffer_get_length(s->outq) > 0)
		evbuffer_add_buffer(bufferevent_get_output(s->bev), s->outq);
}

/* sess_setup - callbacks, timeouts and reading on the session's bufferevent */
static void
sess_setup(struct sess *s)
{
	struct timeval idle = { IDLE_SECONDS, 0 };

	bufferevent_setcb(s->bev, sess_read, sess_write, sess_event, s);
	bufferevent_set_timeouts(s->bev, &idle, &idle);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

/* start_tls - the 220 has gone: replace the plain bufferevent by a TLS one */
static int
start_tls(struct sess *s)
{
	SSL *ssl = SSL_new(ssl_ctx);

	if (ssl == NULL)
		return -1;
	bufferevent_free(s->bev);	/* no CLOSE_ON_FREE: fd stays open */
	s->bev = bufferevent_openssl_socket_new(base, s->fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL)	/* ssl: libevent may have freed it; leak, not double free */
		return -1;
	/* a peer that closes without close_notify is plain EOF to us */
	bufferevent_openssl_set_allow_dirty_shutdown(s->bev, 1);
	s->tls = 1;
	s->tls_pending = 0;
	/* RFC 3207 section 4.2: back to the state after the greeting */
	s->mail = 0;
	s->rcpts = 0;
	sess_setup(s);
	return 0;
}

/* verb_is - the line starts with VERB followed by end of line or a space */
static int
verb_is(const char *line, const char *verb)
{
	size_t n = strlen(verb);

	return strncasecmp(line, verb, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

/* command - answer one command line (CRLF stripped) */
static void
command(struct sess *s, const char *line)
{
	if (verb_is(line, "EHLO")) {
		reply(s, "250-tlssink.test\r\n250-PIPELINING\r\n250-SIZE 1000000000\r\n"
		    "250-8BITMIME\r\n%s250 ENHANCEDSTATUSCODES",
		    s->tls ? "" : "250-STARTTLS\r\n");
		s->mail = 0;
		s->rcpts = 0;
	} else if (verb_is(line, "HELO")) {
		reply(s, "250 tlssink.test");
		s->mail = 0;
		s->rcpts = 0;
	} else if (verb_is(line, "STARTTLS")) {
		if (s->tls) {
			reply(s, "503 5.5.1 Error: TLS already active");
			return;
		}
		reply(s, "220 2.0.0 Ready to start TLS");
		s->tls_pending = 1;
	} else if (verb_is(line, "MAIL")) {
		if (!s->tls)
			reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		else if (s->mail)
			reply(s, "503 5.5.1 Error: nested MAIL command");
		else {
			s->mail = 1;
			reply(s, "250 2.1.0 Ok");
		}
	} else if (verb_is(line, "RCPT")) {
		if (!s->tls)
			reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		else if (!s->mail)
			reply(s, "503 5.5.1 Error: need MAIL command");
		else {
			s->rcpts++;
			reply(s, "250 2.1.5 Ok");
		}
	} else if (verb_is(line, "DATA")) {
		if (!s->tls)
			reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		else if (s->rcpts == 0)
			reply(s, "503 5.5.1 Error: need RCPT command");
		else {
			s->data = 1;
			s->bol = 1;
			reply(s, "354 End data with <CR><LF>.<CR><LF>");
		}
	} else if (verb_is(line, "RSET")) {
		s->mail = 0;
		s->rcpts = 0;
		reply(s, "250 2.0.0 Ok");
	} else if (verb_is(line, "NOOP")) {
		reply(s, "250 2.0.0 Ok");
	} else if (verb_is(line, "QUIT")) {
		reply(s, "221 2.0.0 Bye");
		s->closing = 1;
	} else {
		reply(s, "502 5.5.2 Error: command not recognized");
	}
}

/* body - consume DATA lines; 1 once the lone "." has been read, else 0 */
static int
body(struct sess *s, struct evbuffer *in)
{
	struct evbuffer_ptr eol;
	size_t len, eol_len;
	char head[3];

	for (;;) {
		len = evbuffer_get_length(in);
		if (len == 0)
			return 0;
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			/* no line end yet: a "." line could still be arriving */
			if (s->bol && len < 3)
				return 0;
			evbuffer_drain(in, len);
			s->bol = 0;
			return 0;
		}
		if (s->bol && (eol.pos == 1 || eol.pos == 2)) {
			evbuffer_copyout(in, head, (size_t)eol.pos);
			if (head[0] == '.' && (eol.pos == 1 || head[1] == '\r')) {
				evbuffer_drain(in, (size_t)eol.pos + 1);
				return 1;
			}
		}
		evbuffer_drain(in, (size_t)eol.pos + 1);
		s->bol = 1;
	}
}

static void
sess_read(struct bufferevent *bev, void *arg)
{
	struct sess *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	size_t eol_len;
	char line[LINE_MAX_LEN + 1];

	while (!s->closing && !s->tls_pending) {
		if (s->data) {
			if (!body(s, in))
				break;
			s->data = 0;
			s->mail = 0;
			s->rcpts = 0;
			count++;
			reply(s, "250 2.0.0 Ok: queued as %lu", count);
			count_write();
			if (limit > 0 && count >= limit && !done) {
				struct timeval grace = { EXIT_GRACE_MS / 1000,
				    (EXIT_GRACE_MS % 1000) * 1000 };

				done = 1;
				evconnlistener_disable(listener);
				evtimer_add(grace_ev, &grace);
			}
			continue;
		}
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) > LINE_MAX_LEN) {
				reply(s, "500 5.5.0 Error: line too long");
				s->closing = 1;
			}
			break;
		}
		if ((size_t)eol.pos + 1 > LINE_MAX_LEN) {
			reply(s, "500 5.5.0 Error: line too long");
			s->closing = 1;
			break;
		}
		evbuffer_remove(in, line, (size_t)eol.pos + 1);
		line[eol.pos] = '\0';
		if (eol.pos > 0 && line[eol.pos - 1] == '\r')
			line[eol.pos - 1] = '\0';
		command(s, line);
	}
	flush(s);
	if (s->tls_pending) {
		/* RFC 3207 section 5: nothing pipelined after STARTTLS counts */
		evbuffer_drain(in, evbuffer_get_length(in));
		bufferevent_disable(bev, EV_READ);
	}
	if (s->closing)
		bufferevent_disable(bev, EV_READ);
	/* the write callback runs only if there is something to write */
	if ((s->tls_pending || s->closing) && output_pending(s) == 0)
		sess_write(bev, s);
}

/* sess_write - the output buffer is empty: finish STARTTLS or QUIT */
static void
sess_write(struct bufferevent *bev, void *arg)
{
	struct sess *s = arg;

	if (s->closing) {
		sess_free(s);
		return;
	}
	if (s->tls_pending && start_tls(s) < 0) {
		fprintf(stderr, "tlssink: cannot start TLS\n");
		sess_free(s);
		return;
	}
	maybe_exit();
}

static void
sess_event(struct bufferevent *bev, short what, void *arg)
{
	struct sess *s = arg;
	char why[512];

	if (what & BEV_EVENT_CONNECTED) {	/* TLS handshake done */
		s->handshake_done = 1;
		tls_ok++;
		return;
	}
	if ((what & BEV_EVENT_ERROR) && s->tls) {
		unsigned long e = bufferevent_get_openssl_error(bev);

		if (e != 0 && tls_errors++ < ERRORS_SHOWN) {
			ERR_error_string_n(e, why, sizeof(why));
			fprintf(stderr, "tlssink: TLS error: %s%s\n", why,
			    tls_errors == ERRORS_SHOWN ? " (no more shown)" : "");
		}
		ERR_clear_error();
	}
	/* EOF, error or timeout: the client is gone either way */
	sess_free(s);
}

static void
accept_conn(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct sess *s = calloc(1, sizeof(*s));
	int one = 1;

	if (s == NULL) {
		evutil_closesocket(fd);
		return;
	}
	/*
	 * Replies are small and each is awaited by the client: Nagle would
	 * hold one back until the last is acknowledged, and delayed ACKs
	 * make that 40 ms (the sink, not the client, would be measured).
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->fd = fd;
	s->outq = evbuffer_new();
	s->bev = bufferevent_socket_new(base, fd, 0);
	if (s->bev == NULL || s->outq == NULL) {
		if (s->bev != NULL)
			bufferevent_free(s->bev);
		if (s->outq != NULL)
			evbuffer_free(s->outq);
		free(s);
		evutil_closesocket(fd);
		return;
	}
	s->next = sessions;
	if (sessions != NULL)
		sessions->prev = s;
	sessions = s;
	conns++;
	sess_setup(s);
	reply(s, "220 tlssink.test ESMTP tlssink");
	flush(s);
}

static void
accept_error(struct evconnlistener *l, void *arg)
{
	/* EMFILE and friends: keep serving the sessions we have */
	fprintf(stderr, "tlssink: accept: %s\n", strerror(errno));
}

static void
stop(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(base, NULL);
}

static void
grace_over(evutil_socket_t fd, short what, void *arg)
{
	fprintf(stderr, "tlssink: exiting with replies unsent\n");
	event_base_loopexit(base, NULL);
}

int
main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *countfile = NULL;
	unsigned long port = 0;
	struct sockaddr_in sin = { 0 };
	struct event *sigterm, *sigint;
	struct rusage ru;
	char why[512];
	int ch;

	while ((ch = getopt(argc, argv, "p:c:k:n:o:")) != -1) {
		switch (ch) {
		case 'p':
			port = number_arg(optarg, 1, 65535);
			break;
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'n':
			limit = number_arg(optarg, 1, LONG_MAX);
			break;
		case 'o':
			countfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || port == 0 || cert == NULL || key == NULL)
		usage();
	signal(SIGPIPE, SIG_IGN);

	ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (ssl_ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ssl_ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ssl_ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ssl_ctx) != 1) {
		fprintf(stderr, "tlssink: %s, %s: %s\n", cert, key, ssl_errors(why, sizeof(why)));
		return 1;
	}
	/* server-side session cache: resumption needs an id context */
	SSL_CTX_set_session_id_context(ssl_ctx, (const unsigned char *)"tlssink", 7);

	if (countfile != NULL) {
		count_fd = open(countfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (count_fd < 0) {
			fprintf(stderr, "tlssink: %s: %s\n", countfile, strerror(errno));
			return 1;
		}
	}

	base = event_base_new();
	if (base == NULL) {
		fprintf(stderr, "tlssink: no event base\n");
		return 1;
	}
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = evconnlistener_new_bind(base, accept_conn, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
	    (struct sockaddr *)&sin, sizeof(sin));
	if (listener == NULL) {
		fprintf(stderr, "tlssink: 127.0.0.1:%lu: %s\n", port, strerror(errno));
		return 1;
	}
	evconnlistener_set_error_cb(listener, accept_error);
	idle_ev = evtimer_new(base, idle_flush, NULL);
	grace_ev = evtimer_new(base, grace_over, NULL);
	sigterm = evsignal_new(base, SIGTERM, stop, NULL);
	sigint = evsignal_new(base, SIGINT, stop, NULL);
	if (idle_ev == NULL || grace_ev == NULL || sigterm == NULL || sigint == NULL ||
	    evsignal_add(sigterm, NULL) < 0 || evsignal_add(sigint, NULL) < 0) {
		fprintf(stderr, "tlssink: no events\n");
		return 1;
	}
	if (count_fd >= 0)
		count_write();		/* "0": a reader finds a number from the start */

	event_base_dispatch(base);

	if (count_fd < 0)
		fflush(stdout);
	else
		close(count_fd);
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "tlssink: %lu messages, %lu connections, %lu TLS, %lu TLS failed, "
	    "%.2f s CPU\n", count, conns, tls_ok, tls_fail,
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return 0;
}
