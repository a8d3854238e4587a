/*
 * fuzz_smtpprobe.c - libFuzzer harness for net/smtpprobe.c, the client
 * side of mxsh smtptest/tlsverify: what a server sends is untrusted.
 *
 * The input is everything "the server" says, written into one end of a
 * socketpair that is then shut for writing; smtpprobe_session reads it
 * from the other end (banner, EHLO reply, STARTTLS reply, and whatever
 * follows as a TLS handshake). The input's first byte chooses the TLS
 * mode. The reply-line parser, the EHLO keyword check and the target
 * parser get the input directly too. Besides the sanitizers' checks,
 * invariants are asserted with abort(): every reported line is
 * NUL-terminated, without CR, LF or other control characters, and no
 * longer than the cut; a failure has a one-line cause; success needs the
 * whole dialogue (a 220 banner and a 250 EHLO).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/smtpprobe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) naming the invariant that failed */
#define check(ok) do { \
	if (!(ok)) { \
		fprintf(stderr, "fuzz_smtpprobe: %s failed (line %d)\n", #ok, __LINE__); \
		abort(); \
	} \
} while (0)

struct seen {
	int replies;	/* reply lines reported */
};

static void
on_report(void *arg, enum smtpprobe_kind kind, const char *line)
{
	struct seen *s = arg;
	size_t n = strlen(line);

	check(n < SMTPPROBE_LINE_MAX + 256);
	for (const char *p = line; *p; p++)
		check((unsigned char)*p >= 32 && (unsigned char)*p != 127);
	if (kind == SMTPPROBE_REPLY)
		s->replies++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum smtpprobe_tls modes[] = {
		SMTPPROBE_TLS_NO, SMTPPROBE_TLS_OFFERED, SMTPPROBE_TLS_REQUIRED,
	};
	struct seen s = { 0 };
	struct smtpprobe p = {
		.host = "127.0.0.1", .port = 25, .helo = "fuzz.test", .timeout_ms = 2000,
		.report = on_report, .arg = &s,
	};
	struct smtpprobe_result res;
	char *text, *cause = NULL, host[256];
	int sv[2], code, more, port, rc;
	int bufsz = 1 << 20;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (smtpprobe_reply_line(text, size, &code, &more) == 0)
		check(code >= 200 && code <= 599 && (more == 0 || more == 1));
	(void)smtpprobe_ehlo_has(text, "STARTTLS");
	if (smtpprobe_target(text, 25, host, sizeof(host), &port, &cause) == 0) {
		check(port >= 1 && port <= 65535 && host[0] != '-' && smtpprobe_host_ok(host));
	} else {
		check(cause != NULL && strchr(cause, '\n') == NULL);
		free(cause);
		cause = NULL;
	}
	free(text);

	if (size == 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return 0;
	p.tls = modes[data[0] % 3];
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	if (write(sv[1], data + 1, size - 1) == (ssize_t)(size - 1)) {
		shutdown(sv[1], SHUT_WR);
		memset(&res, 0, sizeof(res));
		rc = smtpprobe_session(&p, sv[0], &res, &cause);
		if (rc < 0) {
			check(cause != NULL && strchr(cause, '\n') == NULL);
			free(cause);
		} else {
			check(cause == NULL && s.replies >= 2);
		}
	}
	close(sv[0]);
	close(sv[1]);
	return 0;
}
