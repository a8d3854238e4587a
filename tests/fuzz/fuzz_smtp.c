/*
 * fuzz_smtp.c - libFuzzer harness for net/smtp_parse.
 *
 * Each input is used four ways: as one command line (and, for MAIL and
 * RCPT, its argument), directly as a MAIL and a RCPT argument, as a
 * stream of pipelined server replies (each fed to smtp_ehlo_caps), and
 * as a domain. Besides the sanitizers' checks, the invariants the daemon
 * relies on are asserted with abort(): outputs NUL-terminated within
 * their arrays, lengths within the RFC 5321 limits, a reply on every
 * failure, consumed <= len, and no prefix of a complete reply refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/smtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant fails */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* check_reply_string - a server reply: "DDD D.D.D text", printable, no CR/LF */
static void
check_reply_string(const char *reply)
{
	check(reply != NULL);
	check(strlen(reply) > 10 && strlen(reply) < 200);
	check(reply[0] >= '4' && reply[0] <= '5' && reply[3] == ' ' && reply[5] == '.');
	for (const char *p = reply; *p; p++)
		check(*p >= 32 && *p < 127);
}

/* check_path - invariants of a parsed MAIL/RCPT argument */
static void
check_path(int ret, const struct smtp_path *path, const struct smtp_params *params,
    const char *reply, int rcpt)
{
	size_t alen = strnlen(path->addr, sizeof(path->addr));
	size_t llen = strnlen(path->local, sizeof(path->local));
	size_t dlen = strnlen(path->domain, sizeof(path->domain));

	check(alen < sizeof(path->addr) && alen <= SMTP_PATH_MAX - 2);
	check(llen < sizeof(path->local) && llen <= SMTP_LOCAL_MAX);
	check(dlen < sizeof(path->domain) && dlen <= SMTP_DOMAIN_MAX);
	check(strnlen(params->unknown, sizeof(params->unknown)) < sizeof(params->unknown));
	check(params->nunknown >= 0 && params->nunknown <= SMTP_MAX_PARAMS);
	if (ret != 0) {
		check(ret == -1);
		check_reply_string(reply);
		return;
	}
	check(reply == NULL);
	check(params->nunknown == 0);
	if (path->null_path) {
		check(!rcpt && alen == 0 && dlen == 0);
		return;
	}
	check(alen > 0 && llen > 0 && llen <= alen);
	check(strncmp(path->addr, path->local, llen) == 0);
	if (dlen == 0) {
		/* only <postmaster> has no domain */
		check(rcpt && alen == 10 && path->addr[llen] == '\0');
		return;
	}
	check(path->addr[llen] == '@' && llen + 1 + dlen == alen);
	check(strncasecmp(path->addr + llen + 1, path->domain, dlen) == 0);
	check(smtp_domain_valid(path->domain));
	for (size_t i = 0; i < alen; i++)
		check(path->addr[i] >= 32 && path->addr[i] < 127);
	for (size_t i = 0; i < dlen; i++)
		check(!(path->domain[i] >= 'A' && path->domain[i] <= 'Z'));
}

/* fuzz_command - the input as a command line */
static void
fuzz_command(const char *s, size_t size)
{
	struct smtp_cmd cmd;
	struct smtp_path path;
	struct smtp_params params;
	const char *reply;
	int ret;

	ret = smtp_parse_command(s, size, &cmd);
	check(cmd.arg != NULL);
	check(smtp_parse_verb_name(cmd.verb) != NULL);
	if (ret != 0) {
		check(ret == -1 && cmd.verb == SMTP_V_UNKNOWN);
		check_reply_string(cmd.reply);
		return;
	}
	check(cmd.verb != SMTP_V_UNKNOWN && cmd.reply == NULL);
	check(size <= SMTP_LINE_MAX - 2);
	check(cmd.arglen == 0 || (cmd.arg > s && cmd.arg + cmd.arglen <= s + size));
	check(memchr(cmd.arg, '\0', cmd.arglen) == NULL);
	if (cmd.verb == SMTP_V_MAIL) {
		ret = smtp_parse_mail(cmd.arg, &path, &params, &reply);
		check_path(ret, &path, &params, reply, 0);
	} else if (cmd.verb == SMTP_V_RCPT) {
		ret = smtp_parse_rcpt(cmd.arg, &path, &params, &reply);
		check_path(ret, &path, &params, reply, 1);
	}
}

/* fuzz_replies - the input as a stream of server replies */
static void
fuzz_replies(const char *buf, size_t len)
{
	struct smtp_reply r, r2;
	struct smtp_caps caps;
	size_t off = 0, consumed, c2;
	int ret;

	while (off < len) {
		ret = smtp_reply_parse(buf + off, len - off, &r, &consumed);
		check(ret >= -1 && ret <= 1);
		if (ret != 1) {
			check(consumed == 0);
			return;
		}
		check(consumed > 0 && consumed <= len - off);
		check(buf[off + consumed - 1] == '\n');
		check(r.code >= 200 && r.code <= 599);
		check(r.nlines >= 1 && r.nlines <= SMTP_REPLY_LINES_MAX);
		check(strnlen(r.text, sizeof(r.text)) < sizeof(r.text));
		check(strnlen(r.enhanced, sizeof(r.enhanced)) < sizeof(r.enhanced));
		check(r.enhanced[0] == '\0' || r.enhanced[0] == '0' + r.code / 100);
		for (const char *p = r.text; *p; p++)
			check(((unsigned char)*p >= 32 || *p == '\t' || *p == '\n') &&
			    (unsigned char)*p != 0x7f);
		/* the reply alone parses the same; each prefix asks for more */
		check(smtp_reply_parse(buf + off, consumed, &r2, &c2) == 1);
		check(c2 == consumed && r2.code == r.code && r2.nlines == r.nlines);
		check(strcmp(r2.text, r.text) == 0);
		check(smtp_reply_parse(buf + off, consumed - 1, &r2, &c2) == 0);
		check(smtp_reply_parse(buf + off, consumed / 2, &r2, &c2) == 0);
		smtp_ehlo_caps(&r, &caps);
		check(caps.starttls <= 1 && caps.pipelining <= 1 && caps.size <= 1);
		check(caps.max_size == 0 || caps.size);
		check(r.code == 250 || (!caps.starttls && !caps.size && !caps.chunking));
		off += consumed;
	}
}

/* fuzz_domain - the input as a domain */
static void
fuzz_domain(const char *s)
{
	if (smtp_domain_valid(s)) {
		size_t n = strlen(s);

		check(n > 0 && n <= SMTP_DOMAIN_MAX);
		check(s[n - 1] != '.');
		for (size_t i = 0; i < n; i++)
			check(s[i] > 32 && (unsigned char)s[i] < 127);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_path path;
	struct smtp_params params;
	const char *reply;
	char *s;
	int ret;

	/* a NUL-terminated copy, as the daemon's line buffer is */
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	fuzz_command(s, size);
	ret = smtp_parse_mail(s, &path, &params, &reply);
	check_path(ret, &path, &params, reply, 0);
	ret = smtp_parse_rcpt(s, &path, &params, &reply);
	check_path(ret, &path, &params, reply, 1);
	fuzz_replies(s, size);
	fuzz_domain(s);

	free(s);
	return 0;
}
