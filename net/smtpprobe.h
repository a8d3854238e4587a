/*
 * smtpprobe.h - a blocking SMTP probe for the operator's diagnostics
 * (mxsh smtptest and tlsverify): connect with a timeout, read the
 * banner, EHLO, STARTTLS, a TLS handshake (TLS 1.2 at least) verified
 * against the certconfig CA bundle, the peer's chain, QUIT.
 *
 * Every step is reported through a callback as it happens, one line at
 * a time, so a person sees where a session stalls. Everything the server
 * sends is untrusted: reply lines are cut and escaped (util/printable.h)
 * before they reach the callback.
 *
 * DIAGNOSTICS: smtpprobe_run returns -1 with a one-line *cause (refused,
 * timed out, no STARTTLS offered when it is required, handshake failure,
 * a rejected command, stopped by the caller).
 */
#ifndef NET_SMTPPROBE_H
#define NET_SMTPPROBE_H

#include <stddef.h>
#include <sys/socket.h>

/* Longest reply line kept (RFC 5321 4.5.3.1.5 says 512; servers send more). */
#define SMTPPROBE_LINE_MAX 2048
/* Most lines of one reply read before the reply is refused. */
#define SMTPPROBE_REPLY_LINES 100

enum smtpprobe_tls {
	SMTPPROBE_TLS_NO = 0,		/* never send STARTTLS */
	SMTPPROBE_TLS_OFFERED,		/* STARTTLS when the server offers it */
	SMTPPROBE_TLS_REQUIRED,		/* STARTTLS or fail */
};

enum smtpprobe_kind {
	SMTPPROBE_STEP = 0,	/* what the probe does now ("Connecting to ...") */
	SMTPPROBE_SENT,		/* a command sent ("EHLO gw.example.com") */
	SMTPPROBE_REPLY,	/* one reply line of the server, made printable */
	SMTPPROBE_TLS,		/* the TLS part: protocol, cipher, chain, verdicts */
};

struct smtpprobe {
	const char *host;	/* the name or address asked for; also the name checked */
	int port;		/* TCP port */
	/*
	 * addrs - the addresses of host, tried in order (the caller resolves
	 * the name: probecmd.c asks dnsconfig's servers as mxgated does);
	 * their ports are ignored. naddr 0: host must be an IP address.
	 */
	const struct sockaddr_storage *addrs;
	int naddr;
	enum smtpprobe_tls tls;	/* whether STARTTLS is tried */
	const char *helo;	/* the EHLO name */
	const char *ca_pem;	/* CA bundle as PEM text (certconfig's import), or NULL/"" */
	const char *cafile;	/* else this file, or NULL/"": the system's bundle */
	int timeout_ms;		/* ceiling of each step (connect, each reply, handshake) */
	/* stop - 1 when the caller wants to stop (Ctrl-C); NULL: never */
	int (*stop)(void *arg);
	/* report - one line of progress of the given kind (no newline) */
	void (*report)(void *arg, enum smtpprobe_kind kind, const char *line);
	void *arg;		/* for stop and report */
};

struct smtpprobe_result {
	int connected;		/* the TCP connection was made */
	int tls;		/* the TLS handshake completed */
	int verified;		/* the chain verified against the bundle */
	int name_ok;		/* the certificate names the host asked for */
	long verify_code;	/* OpenSSL's X509_V_* result */
	char verify_reason[160];	/* its text ("ok", "self-signed certificate", ...) */
};

/*
 * smtpprobe_run - one probe session; 0 when it ran to QUIT (whatever the
 * verification said: see res), -1 with *cause
 */
int smtpprobe_run(const struct smtpprobe *p, struct smtpprobe_result *res, char **cause);

/*
 * smtpprobe_session - the session from the banner on, on a connected
 * non-blocking socket the caller closes (smtpprobe_run's second half; for
 * tests and the fuzz harness). res must be zeroed and *cause NULL.
 */
int smtpprobe_session(const struct smtpprobe *p, int fd, struct smtpprobe_result *res,
    char **cause);

/*
 * smtpprobe_connect - a TCP connection to p->port on p->addrs (or the
 * address p->host): every address in turn, each within p->timeout_ms,
 * reported as STEP lines (one refused or timed out, the next is tried,
 * as mxgated does): a non-blocking socket, or -1 with *cause (which must
 * be NULL on entry; the last address's failure, or Ctrl-C)
 */
int smtpprobe_connect(const struct smtpprobe *p, char **cause);

/*
 * smtpprobe_reply_line - parse one reply line (without CRLF): *code the
 * three digits, *more 1 for a "250-" continuation; -1 when it is not a
 * reply line (RFC 5321 4.2)
 */
int smtpprobe_reply_line(const char *line, size_t len, int *code, int *more);

/*
 * smtpprobe_ehlo_has - does an EHLO reply line (after the code and the
 * separator) name the keyword (case-insensitive, RFC 5321 4.1.1.1)?
 */
int smtpprobe_ehlo_has(const char *text, const char *keyword);

/*
 * smtpprobe_host_ok - a host name (letters, digits, '-', '.', labels of
 * 1-63, at most 253) or an IPv4/IPv6 address; never a word starting with
 * '-'. 1 if so, 0 if not.
 */
int smtpprobe_host_ok(const char *host);

/*
 * smtpprobe_target - split HOST[:PORT] or [IPv6]:PORT into host and port
 * (def when absent); -1 with a one-line *cause
 */
int smtpprobe_target(const char *s, int def, char *host, size_t size, int *port, char **cause);

#endif
