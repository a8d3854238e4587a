/*
 * fuzz_sdr.c - libFuzzer harness for mail/sdr's parsers.
 *
 * One input goes to every parser of hostile text: RDAP objects and
 * bootstrap files, TAXII envelopes, tracker tokens, blocklist return
 * codes, local table lines, and a message's SDR inputs (up to three
 * NUL-terminated prefixes are the reverse DNS host, the HELO name and the
 * envelope sender; the rest is the message). The JSON parsers get the
 * input unterminated, so ASan catches any read past its length. Then the
 * invariants: what a parser accepts is normalised (valid lower-case
 * domains, printable names), the return-code normal form parses to
 * itself, and the answers built from the message's domains consolidate,
 * log as single printable lines and survive the tracker token's round
 * trip. Failed invariants abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/sdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant fails */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* printable_line - printable ASCII only, no line break */
static int
printable_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* domain_ok - s is already a valid, normalised domain */
static int
domain_ok(const char *s)
{
	char copy[SDR_DOMAIN_MAX + 1];

	if (strlen(s) > SDR_DOMAIN_MAX)
		return 0;
	memcpy(copy, s, strlen(s) + 1);
	return sdr_domain_valid(copy) && strcmp(copy, s) == 0;
}

/* ind_cb - every indicator handed out is a usable one */
static void
ind_cb(const struct sdr_indicator *ind, void *arg)
{
	int *n = arg;

	check(domain_ok(ind->domain));
	check(strlen(ind->id) < sizeof(ind->id) && ind->id[0] != '\0');
	check((int)ind->verdict >= 0 && ind->verdict < SDR_NVERDICTS);
	check(ind->category[0] != '\0');
	check(ind->revoked == 0 || ind->revoked == 1);
	(*n)++;
}

/* text_parsers - the parsers of one line of text */
static void
text_parsers(const char *s)
{
	static char out[65536];
	struct sdr_codes c;
	char dom[SDR_DOMAIN_MAX + 1], cat[SDR_CATEGORY_MAX + 1], norm[2048], again[2048];
	enum sdr_verdict v;
	char *cause = NULL;
	int ret;

	ret = sdr_tracker_decode(s, out, sizeof(out), &cause);
	check(ret >= -1 && ret <= SDR_MAX_ANSWERS);
	check((ret < 0) == (cause != NULL));
	if (ret >= 0)
		for (const char *p = out; *p; p++)
			check(*p == '\n' || ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f));
	else
		check(out[0] == '\0' && printable_line(cause));
	free(cause);
	cause = NULL;

	memset(&c, 0, sizeof(c));
	ret = sdr_codes_parse(s, &c, &cause);
	check(ret == 0 || ret == -1);
	if (ret == 0) {
		struct sdr_codes c2;

		check(c.n >= 1 && c.n <= SDR_MAX_CODES);
		for (int i = 0; i < c.n; i++)
			check(c.addr[i] >> 24 == 127 && !sdr_code_is_error(c.addr[i]) &&
			    sdr_codes_find(&c, c.addr[i]) == i);
		check(sdr_codes_format(&c, norm, sizeof(norm)) != NULL);
		check(sdr_codes_parse(norm, &c2, NULL) == 0);
		check(sdr_codes_format(&c2, again, sizeof(again)) != NULL);
		check(strcmp(norm, again) == 0);
	} else
		check(cause != NULL && printable_line(cause));
	free(cause);
	cause = NULL;

	ret = sdr_local_parse_line(s, dom, sizeof(dom), &v, cat, sizeof(cat), &cause);
	check(ret >= -1 && ret <= 1);
	if (ret == 1) {
		check(domain_ok(dom));
		check((int)v >= 0 && v < SDR_NVERDICTS);
		check(strlen(cat) <= SDR_CATEGORY_MAX && printable_line(cat));
	} else if (ret == -1)
		check(cause != NULL && printable_line(cause));
	free(cause);

	if (sdr_registered_domain(s, dom, sizeof(dom)) != NULL)
		check(domain_ok(dom));
}

/* json_parsers - the JSON parsers over data[0..size), unterminated */
static void
json_parsers(const char *data, size_t size, const char *domain)
{
	char url[1024], next[256];
	char *cause = NULL;
	time_t when;
	int ret, more, skipped, n = 0;

	ret = sdr_rdap_registration(data, size, &when, &cause);
	check(ret >= -1 && ret <= 1 && (ret < 0) == (cause != NULL));
	free(cause);
	cause = NULL;

	ret = sdr_rdap_bootstrap(data, size, domain, url, sizeof(url), &cause);
	check(ret >= -1 && ret <= 1 && (ret < 0) == (cause != NULL));
	if (ret == 1)
		check(strlen(url) > 7 && url[strlen(url) - 1] == '/');
	else
		check(url[0] == '\0');
	free(cause);
	cause = NULL;

	ret = sdr_stix_envelope(data, size, ind_cb, &n, &more, next, sizeof(next), &skipped, &cause);
	check(ret == 0 || ret == -1);
	check((ret < 0) == (cause != NULL));
	if (ret < 0)
		check(n == 0);
	else
		check(skipped >= 0 && (more == 0 || more == 1) && strlen(next) < sizeof(next));
	free(cause);
}

/* message - the SDR inputs of the message, and a verdict on made-up answers about them */
static void
message(const uint8_t *data, size_t size)
{
	static struct sdr_result r;
	static char tok[4096], out[65536];
	const char *part[3] = { NULL, NULL, NULL }, *d[SDR_NINPUTS];
	const char *msg = (const char *)data;
	size_t len = size;
	struct sdr_inputs in;
	char line[2048];
	int nd, ret;

	for (int i = 0; i < 3; i++) {
		const char *z = memchr(msg, '\0', len);

		if (z == NULL)
			break;
		part[i] = msg;
		len -= (size_t)(z + 1 - msg);
		msg = z + 1;
	}
	sdr_inputs_fill(&in, part[0], part[1], "192.0.2.1", part[2], msg, len);
	for (int i = 0; i < SDR_NINPUTS; i++)
		check(in.dom[i][0] == '\0' || domain_ok(in.dom[i]));
	check(strlen(in.from_name) < sizeof(in.from_name));
	check(strlen(in.replyto_name) < sizeof(in.replyto_name));
	for (const char *p = in.from_name; *p; p++)
		check((unsigned char)*p >= 0x20 && *p != 0x7f);
	check(printable_line(sdr_log_domains(&in, line, sizeof(line))));

	/* answers about those domains, their kinds and verdicts from the input bytes */
	memset(&r, 0, sizeof(r));
	nd = sdr_domains(&in, d, SDR_NINPUTS);
	for (int i = 0; i < nd; i++)
		for (int k = 0; k < 4; k++) {
			struct sdr_answer a;
			unsigned b = size ? data[(size_t)(i * 4 + k) % size] : 0;

			memset(&a, 0, sizeof(a));
			a.kind = (enum sdr_source_kind)(b & 3);
			snprintf(a.source, sizeof(a.source), "%s", a.kind == SDR_SRC_LOCAL ? "local" : "z.test");
			memcpy(a.domain, d[i], strlen(d[i]) + 1);
			a.status = (enum sdr_answer_status)((b >> 2) % 5);
			a.verdict = (enum sdr_verdict)((b >> 4) % SDR_NVERDICTS);
			if (b & 0x80)
				memcpy(a.category, "Spam", 5);
			a.registered = (time_t)b * 86400 * 7;
			memcpy(a.detail, in.from_name, strlen(in.from_name) < 100 ? strlen(in.from_name) : 0);
			sdr_result_add(&r, &a);
		}
	sdr_consolidate(&r, (time_t)86400 * 365 * 3);
	check((int)r.verdict >= 0 && r.verdict < SDR_NVERDICTS);
	check(r.unscannable == 0 || r.unscannable == 1);
	check(printable_line(sdr_log_verdict(&r, line, sizeof(line))));
	check(sdr_tracker_encode(&r, 1000, tok, sizeof(tok)) != NULL);
	check(strlen(tok) <= 4000);
	ret = sdr_tracker_decode(tok, out, sizeof(out), NULL);
	check(ret >= 0 && ret <= r.nanswers);
	json_parsers((const char *)data, size, in.dom[SDR_IN_HFROM][0] ? in.dom[SDR_IN_HFROM] :
	    "a.b.co.uk");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	text_parsers(s);
	free(s);
	message(data, size);
	return 0;
}
