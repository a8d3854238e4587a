/*
 * test_http.c - net/http.c against an HTTP(S) server this test starts on
 * 127.0.0.1 (never the network).
 *
 * The server is a forked process answering by path, one forked handler
 * per connection (so a slow answer holds up nobody else):
 *
 *	/ok		200 "hello", X-TAXII-Date-Added-Last and X-Other headers
 *	/echo		200, the request's head as the body
 *	/status404	404 "nope"
 *	/big		200 with Content-Length: 2000
 *	/bigchunked	200, chunked, 1800 bytes and no length
 *	/slow		200 after 3 s
 *	/redir-ok	302 to /ok;  /redir-ftp  302 to ftp://127.0.0.1/x
 *
 * and, with TLS, the same over https with a certificate for IP 127.0.0.1
 * signed by a CA made for the case with the openssl command. Each case
 * runs its body in a child with a time limit, checked for leaks with
 * LeakSanitizer when built with SAN=1, and kills the server afterwards.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/http.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* generous: a ceiling for answers that come, never a margin */
#define ANSWER_MS 20000

extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static struct event_base *base;		/* the body's loop */
static pid_t server_pid;		/* the server, killed when the case ends */
static int port, tls_port;		/* where it listens */
static char dir[256];			/* the case's files (certificates) */
static char *ca_pem, *other_ca_pem;	/* the test CA, and one that signed nothing here */

/* ---------------------------------------------------------------- the server */

struct conn {
	int fd;
	SSL *ssl;
};

static void
put(struct conn *c, const char *s, size_t n)
{
	if (c->ssl != NULL)
		SSL_write(c->ssl, s, (int)n);
	else if (write(c->fd, s, n) < 0)
		_exit(1);
}

static void
puts_(struct conn *c, const char *s)
{
	put(c, s, strlen(s));
}

/* respond - read one request head, answer by path */
static void
respond(struct conn *c)
{
	char req[8192], path[256], out[4096];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(req) - 1) {
		n = c->ssl ? SSL_read(c->ssl, req + len, (int)(sizeof(req) - 1 - len)) :
		    read(c->fd, req + len, sizeof(req) - 1 - len);
		if (n <= 0)
			return;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if (sscanf(req, "GET %255s HTTP/1.1", path) != 1) {
		puts_(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
		return;
	}
	if (strcmp(path, "/ok") == 0) {
		puts_(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n"
		    "X-TAXII-Date-Added-Last: 2024-01-02T03:04:05.000Z\r\nX-Other:  other \r\n\r\nhello");
	} else if (strcmp(path, "/echo") == 0) {
		str_fmt(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n", strlen(req));
		puts_(c, out);
		puts_(c, req);
	} else if (strcmp(path, "/status404") == 0) {
		puts_(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope");
	} else if (strcmp(path, "/big") == 0) {
		char body[2000];

		memset(body, 'x', sizeof(body));
		puts_(c, "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\nConnection: close\r\n\r\n");
		put(c, body, sizeof(body));
	} else if (strcmp(path, "/bigchunked") == 0) {
		char chunk[600];

		memset(chunk, 'y', sizeof(chunk));
		puts_(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
		for (int i = 0; i < 3; i++) {
			puts_(c, "258\r\n");
			put(c, chunk, sizeof(chunk));
			puts_(c, "\r\n");
		}
		puts_(c, "0\r\n\r\n");
	} else if (strcmp(path, "/slow") == 0) {
		sleep(3);
		puts_(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow");
	} else if (strcmp(path, "/redir-ok") == 0) {
		puts_(c, "HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n"
		    "X-TAXII-Date-Added-Last: not-this-one\r\nConnection: close\r\n\r\n");
	} else if (strcmp(path, "/redir-ftp") == 0) {
		puts_(c, "HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/x\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
	} else {
		puts_(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	}
}

/* listen_any - a listening socket on 127.0.0.1 with a free port */
static int
listen_any(int *p)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) < 0)
		UNIT_FAIL("cannot listen on 127.0.0.1: %s", strerror(errno));
	*p = ntohs(sin.sin_port);
	return fd;
}

/* serve - accept on fd (TLS with ctx) for ever, a handler per connection */
static void
serve(int fd, SSL_CTX *ctx)
{
	signal(SIGCHLD, SIG_IGN);	/* handlers reap themselves */
	for (;;) {
		struct conn c = { -1, NULL };
		pid_t pid;

		if ((c.fd = accept(fd, NULL, NULL)) < 0)
			continue;
		if ((pid = fork()) == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (ctx != NULL) {
				c.ssl = SSL_new(ctx);
				SSL_set_fd(c.ssl, c.fd);
				if (SSL_accept(c.ssl) != 1)
					_exit(0);
			}
			respond(&c);
			if (c.ssl != NULL)
				SSL_shutdown(c.ssl);
			shutdown(c.fd, SHUT_WR);
			/* let the client read it all before the close */
			{
				char junk[256];

				while (read(c.fd, junk, sizeof(junk)) > 0)
					;
			}
			_exit(0);
		}
		close(c.fd);
	}
}

/* sh - run a shell command quietly; fail the case if it fails */
static void
sh(const char *cmd)
{
	char full[2048];

	str_fmt(full, sizeof(full), "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
	if (system(full) != 0)
		UNIT_FAIL("setup command failed: %s", cmd);
}

/* slurp - a file of dir, malloc'd */
static char *
slurp(const char *name)
{
	char path[512], *s;
	FILE *f;
	long n;

	str_fmt(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0)
		UNIT_FAIL("cannot read %s", path);
	rewind(f);
	s = xcalloc(1, (size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		UNIT_FAIL("cannot read %s", path);
	fclose(f);
	return s;
}

/* certs - a CA, a server certificate for IP 127.0.0.1 it signed, another CA */
static void
certs(void)
{
	static const char *const ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
	char cmd[1024];

	str_fmt(cmd, sizeof(cmd), "openssl req -x509 %s -subj /CN=http-test-CA -days 2 "
	    "-keyout ca.key -out ca.pem", ec);
	sh(cmd);
	str_fmt(cmd, sizeof(cmd), "openssl req -x509 %s -subj /CN=other-CA -days 2 "
	    "-keyout other.key -out other.pem", ec);
	sh(cmd);
	str_fmt(cmd, sizeof(cmd), "openssl req %s -subj /CN=127.0.0.1 -keyout srv.key "
	    "-out srv.csr", ec);
	sh(cmd);
	sh("printf 'subjectAltName=IP:127.0.0.1\\n' >srv.ext");
	sh("openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
	   "-extfile srv.ext -out srv.pem");
	ca_pem = slurp("ca.pem");
	other_ca_pem = slurp("other.pem");
}

/* server_start - the server on port (and tls_port when tls) */
static void
server_start(int tls)
{
	SSL_CTX *ctx = NULL;
	char cert[512], key[512];
	int fd = listen_any(&port), tfd = -1;

	if (tls) {
		str_copy(dir, unit_tmpdir(), sizeof(dir));
		certs();
		tfd = listen_any(&tls_port);
		str_fmt(cert, sizeof(cert), "%s/srv.pem", dir);
		str_fmt(key, sizeof(key), "%s/srv.key", dir);
		if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
		    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
			UNIT_FAIL("cannot load the server certificate");
	}
	fflush(NULL);
	if ((server_pid = fork()) < 0)
		UNIT_FAIL("fork: %s", strerror(errno));
	if (server_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (tls && fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			serve(tfd, ctx);
		}
		serve(fd, NULL);
	}
	close(fd);
	if (tfd >= 0)
		close(tfd);
	SSL_CTX_free(ctx);
}

/* run - body in a child with a time limit; then stop the server */
static void
run(void (*body)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) < 0)
		UNIT_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		alarm(40);
		if ((base = event_base_new()) == NULL)
			UNIT_FAIL("event_base_new");
		body();
		event_base_free(base);
		free(ca_pem);
		free(other_ca_pem);
		if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check() != 0)
			UNIT_FAIL("memory leaked");
		fflush(NULL);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		UNIT_FAIL("body failed (%s %d)", WIFSIGNALED(status) ? "signal" : "exit",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* ---------------------------------------------------------------- the client side */

struct res {
	int called;
	int status;
	char error[512];	/* "" when none */
	char body[4096];
	size_t len;
	char header[HTTP_MAX_CAPTURE][HTTP_HEADER_VALUE_MAX];
};

static int total_calls;

static void
res_cb(const struct http_response *r, void *arg)
{
	struct res *x = arg;

	if (r->body == NULL || r->url == NULL || (r->error != NULL && r->len != 0))
		UNIT_FAIL("response: body %p url %p error %s len %zu", (const void *)r->body,
		    (const void *)r->url, r->error ? r->error : "-", r->len);
	x->called++;
	total_calls++;
	x->status = r->status;
	str_copy(x->error, r->error ? r->error : "", sizeof(x->error));
	str_copy(x->body, r->body, sizeof(x->body));
	x->len = r->len;
	for (int i = 0; i < HTTP_MAX_CAPTURE; i++)
		str_copy(x->header[i], r->header[i], sizeof(x->header[i]));
}

static void
loop_until(const int *count, int want)
{
	while (*count < want)
		if (event_base_loop(base, EVLOOP_ONCE) != 0)
			break;
	CHECK_INT(*count, want);
}

/* rq_init - a request for path on the plain server */
static void
rq_init(struct http_request *rq, const char *path)
{
	static char url[512];

	memset(rq, 0, sizeof(*rq));
	str_fmt(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	rq->url = url;
	rq->timeout_ms = ANSWER_MS;
}

/* get - one request, waited for; the callback came once, from the loop */
static void
get(struct http *h, const struct http_request *rq, struct res *x)
{
	memset(x, 0, sizeof(*x));
	http_get(h, rq, res_cb, x);
	CHECK_INT(x->called, 0);	/* never from inside http_get */
	loop_until(&x->called, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(x->called, 1);
}

static struct http *
client(void)
{
	char *cause = NULL;
	struct http *h = http_new(base, &cause);

	if (h == NULL)
		UNIT_FAIL("http_new: %s", cause);
	return h;
}

/* ---------------------------------------------------------------- cases */

static void
get_body(void)
{
	struct http *h = client();
	struct http_request rq;
	struct res x;

	rq_init(&rq, "/ok");
	rq.capture[0] = "x-taxii-date-added-last";
	rq.capture[1] = "X-Missing";
	rq.capture[2] = "x-other";
	get(h, &rq, &x);
	CHECK_STR(x.error, "");
	CHECK_INT(x.status, 200);
	CHECK_STR(x.body, "hello");
	CHECK_INT(x.len, 5);
	CHECK_STR(x.header[0], "2024-01-02T03:04:05.000Z");
	CHECK_STR(x.header[1], "");
	CHECK_STR(x.header[2], "other");
	CHECK_STR(x.header[3], "");
	/* a status is not an error: the caller judges it */
	rq_init(&rq, "/status404");
	get(h, &rq, &x);
	CHECK_STR(x.error, "");
	CHECK_INT(x.status, 404);
	CHECK_STR(x.body, "nope");
	/* a redirect within http is followed; the last response's headers count */
	rq_init(&rq, "/redir-ok");
	rq.capture[0] = "X-TAXII-Date-Added-Last";
	get(h, &rq, &x);
	CHECK_STR(x.error, "");
	CHECK_INT(x.status, 200);
	CHECK_STR(x.body, "hello");
	CHECK_STR(x.header[0], "2024-01-02T03:04:05.000Z");
	CHECK_INT(http_active(h), 0);
	http_free(h);
}

static void
test_get(void)
{
	server_start(0);
	run(get_body);
}

static void
headers_body(void)
{
	struct http *h = client();
	struct http_request rq;
	struct res x;

	rq_init(&rq, "/echo");
	rq.accept = "application/taxii+json;version=2.1";
	rq.headers[0] = "X-Test: one";
	rq.headers[1] = "X-Two: 2";
	rq.user = "u";
	rq.password = "p";
	get(h, &rq, &x);
	CHECK_STR(x.error, "");
	CHECK(strstr(x.body, "GET /echo HTTP/1.1\r\n") == x.body);
	CHECK(strstr(x.body, "\r\nAccept: application/taxii+json;version=2.1\r\n") != NULL);
	CHECK(strstr(x.body, "\r\nX-Test: one\r\n") != NULL);
	CHECK(strstr(x.body, "\r\nX-Two: 2\r\n") != NULL);
	CHECK(strstr(x.body, "\r\nAuthorization: Basic dTpw\r\n") != NULL);	/* "u:p" */
	CHECK(strstr(x.body, "\r\nUser-Agent: mxgate/") != NULL);
	/* without: no Accept of ours, no credentials */
	rq_init(&rq, "/echo");
	get(h, &rq, &x);
	CHECK(strstr(x.body, "application/taxii") == NULL);
	CHECK(strstr(x.body, "Authorization") == NULL);
	/* a header that is not one line is refused, from the loop */
	rq_init(&rq, "/echo");
	rq.headers[0] = "X-Evil: a\r\nX-Injected: b";
	get(h, &rq, &x);
	CHECK(strstr(x.error, "Name: value") != NULL);
	CHECK_INT(x.status, 0);
	http_free(h);
}

static void
test_headers(void)
{
	server_start(0);
	run(headers_body);
}

static struct timespec t0;

static long
elapsed_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
}

static void
limits_body(void)
{
	struct http *h = client();
	struct http_request rq;
	struct res x;

	/* announced too big, and found too big while reading */
	rq_init(&rq, "/big");
	rq.max_body = 1000;
	get(h, &rq, &x);
	CHECK_STR(x.error, "response larger than 1000 bytes");
	CHECK_STR(x.body, "");
	rq_init(&rq, "/bigchunked");
	rq.max_body = 1000;
	get(h, &rq, &x);
	CHECK_STR(x.error, "response larger than 1000 bytes");
	/* just fits */
	rq_init(&rq, "/big");
	rq.max_body = 2000;
	get(h, &rq, &x);
	CHECK_STR(x.error, "");
	CHECK_INT(x.len, 2000);
	/* too slow: the time limit, not the server's 3 s */
	rq_init(&rq, "/slow");
	rq.timeout_ms = 500;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	get(h, &rq, &x);
	CHECK_STR(x.error, "no answer within 500 ms");
	CHECK(elapsed_ms() >= 490 && elapsed_ms() < 2900);
	/* bad time limits and no URL: refused, from the loop */
	rq_init(&rq, "/ok");
	rq.timeout_ms = 0;
	get(h, &rq, &x);
	CHECK_STR(x.error, "invalid time limit");
	rq_init(&rq, "/ok");
	rq.url = NULL;
	get(h, &rq, &x);
	CHECK_STR(x.error, "no URL");
	http_free(h);
}

static void
test_limits(void)
{
	server_start(0);
	run(limits_body);
}

static void
protocols_body(void)
{
	struct http *h = client();
	struct http_request rq;
	struct res x;
	char url[128];
	int dead, fd;

	rq_init(&rq, "/redir-ftp");
	get(h, &rq, &x);
	CHECK(strstr(x.error, "only http:// and https://") == x.error);
	rq_init(&rq, "");
	rq.url = "ftp://127.0.0.1/x";
	get(h, &rq, &x);
	CHECK(strstr(x.error, "only http:// and https://") == x.error);
	rq.url = "file:///etc/passwd";
	get(h, &rq, &x);
	CHECK(strstr(x.error, "only http:// and https://") == x.error);
	CHECK_STR(x.body, "");
	rq.url = "not a url";
	get(h, &rq, &x);
	CHECK(x.error[0] != '\0');
	/* nobody listens: an error, no status */
	fd = listen_any(&dead);
	close(fd);
	str_fmt(url, sizeof(url), "http://127.0.0.1:%d/ok", dead);
	rq.url = url;
	get(h, &rq, &x);
	CHECK(x.error[0] != '\0');
	CHECK(strchr(x.error, '\n') == NULL);
	CHECK_INT(x.status, 0);
	http_free(h);
}

static void
test_protocols(void)
{
	server_start(0);
	run(protocols_body);
}

static void
tls_body(void)
{
	struct http *h = client();
	struct http_request rq;
	struct res x;
	char url[128];

	str_fmt(url, sizeof(url), "https://127.0.0.1:%d/ok", tls_port);
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.timeout_ms = ANSWER_MS;
	/* the CA given as PEM text in memory */
	rq.verify = 1;
	rq.ca_pem = ca_pem;
	get(h, &rq, &x);
	CHECK_STR(x.error, "");
	CHECK_STR(x.body, "hello");
	/* another CA, or the system's bundle: refused */
	rq.ca_pem = other_ca_pem;
	get(h, &rq, &x);
	CHECK(x.error[0] != '\0');
	CHECK_INT(x.status, 0);
	rq.ca_pem = NULL;
	get(h, &rq, &x);
	CHECK(x.error[0] != '\0');
	rq.ca_pem = "";
	get(h, &rq, &x);
	CHECK(x.error[0] != '\0');
	/* verification off: accepted whoever signed it */
	rq.verify = 0;
	rq.ca_pem = other_ca_pem;
	get(h, &rq, &x);
	CHECK_STR(x.error, "");
	CHECK_STR(x.body, "hello");
	http_free(h);
}

static void
test_tls(void)
{
	server_start(1);
	run(tls_body);
}

static struct http *victim;
static struct res chained;

static void
restart_cb(const struct http_response *r, void *arg)
{
	struct http_request rq;

	res_cb(r, arg);
	/* a request started from a callback run by http_free: cancelled too, once */
	rq_init(&rq, "/ok");
	http_get(victim, &rq, res_cb, &chained);
}

static void
free_body(void)
{
	struct http_request rq;
	struct res x[4], fast;
	int before;

	victim = client();
	memset(x, 0, sizeof(x));
	memset(&fast, 0, sizeof(fast));
	memset(&chained, 0, sizeof(chained));
	rq_init(&rq, "/slow");
	for (int i = 0; i < 3; i++)
		http_get(victim, &rq, res_cb, &x[i]);
	http_get(victim, &rq, restart_cb, &x[3]);
	rq_init(&rq, "/ok");
	http_get(victim, &rq, res_cb, &fast);
	loop_until(&fast.called, 1);
	CHECK_STR(fast.error, "");
	CHECK_INT(http_active(victim), 4);
	before = total_calls;
	http_free(victim);
	for (int i = 0; i < 4; i++) {
		CHECK_INT(x[i].called, 1);
		CHECK_STR(x[i].error, "cancelled");
	}
	CHECK_INT(chained.called, 1);
	CHECK_STR(chained.error, "cancelled");
	CHECK_INT(total_calls - before, 5);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(total_calls - before, 5);
	CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == 0);
}

static void
test_free(void)
{
	server_start(0);
	run(free_body);
}

static struct res inner[2];

static void
free_inside_cb(const struct http_response *r, void *arg)
{
	res_cb(r, arg);
	http_free(victim);
	CHECK_INT(inner[0].called, 1);
	CHECK_STR(inner[0].error, "cancelled");
}

static void
free_inside_body(void)
{
	struct http_request rq;
	struct res first;

	victim = client();
	memset(inner, 0, sizeof(inner));
	memset(&first, 0, sizeof(first));
	rq_init(&rq, "/slow");
	http_get(victim, &rq, res_cb, &inner[0]);
	rq_init(&rq, "/ok");
	http_get(victim, &rq, free_inside_cb, &first);
	loop_until(&first.called, 1);
	CHECK_STR(first.error, "");
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == 0);
}

static void
test_free_in_callback(void)
{
	server_start(0);
	run(free_inside_body);
}

static void
many_body(void)
{
	enum { N = 40 };
	static struct res x[N];
	struct http *h = client();
	struct http_request rq;
	int want = total_calls + N;

	rq_init(&rq, "/ok");
	for (int i = 0; i < N; i++)
		http_get(h, &rq, res_cb, &x[i]);
	CHECK_INT(http_active(h), N);
	loop_until(&total_calls, want);
	for (int i = 0; i < N; i++) {
		CHECK_INT(x[i].called, 1);
		CHECK_STR(x[i].error, "");
		CHECK_STR(x[i].body, "hello");
	}
	http_free(h);
	CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == 0);
}

static void
test_many(void)
{
	server_start(0);
	run(many_body);
}

static void
test_escape(void)
{
	char out[64];

	CHECK(http_query_escape("2024-01-02T03:04:05.000Z", out, sizeof(out)) == 0);
	CHECK_STR(out, "2024-01-02T03%3A04%3A05.000Z");
	CHECK(http_query_escape("a b&c=d/é~_", out, sizeof(out)) == 0);
	CHECK_STR(out, "a%20b%26c%3Dd%2F%C3%A9~_");
	CHECK(http_query_escape("", out, sizeof(out)) == 0);
	CHECK_STR(out, "");
	CHECK(http_query_escape("abc", out, 4) == 0);
	CHECK(http_query_escape("abcd", out, 4) == -1);
	CHECK(http_query_escape(":", out, 3) == -1);
	CHECK(http_query_escape(":", out, 4) == 0);
}

static const struct unit_case cases[] = {
	{ "get", test_get },
	{ "headers", test_headers },
	{ "limits", test_limits },
	{ "protocols", test_protocols },
	{ "tls", test_tls },
	{ "free", test_free },
	{ "free_in_callback", test_free_in_callback },
	{ "many", test_many },
	{ "escape", test_escape },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("http", cases, argc, argv);
}
