/*
 * test_route.c - SMTP routes (mail/route.c): domain and destination
 * parsing and normalisation, the written form of a destination, and the
 * choice of route for a recipient domain.
 */
#include "mail/route.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* check_cause - a failure must come with a one-line cause; frees it */
static void
check_cause(const char *what, const char *in, char *cause, const char *piece)
{
	if (cause == NULL || *cause == '\0')
		UNIT_FAIL("%s '%.60s': refused without a cause", what, in);
	if (strchr(cause, '\n'))
		UNIT_FAIL("%s '%.60s': cause has several lines: %s", what, in, cause);
	if (piece && strstr(cause, piece) == NULL)
		UNIT_FAIL("%s '%.60s': cause '%s' lacks '%s'", what, in, cause, piece);
	free(cause);
}

/* repeat - n copies of c (malloc'd) */
static char *
repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ------------------------------------------------------------ domains */

struct domain_case {
	const char *in;
	const char *out;	/* NULL: refused */
};

static const struct domain_case domain_cases[] = {
	{ "example.com", "example.com" },
	{ ".example.com", ".example.com" },
	{ "ALL", "ALL" },
	{ "all", "ALL" },
	{ "All", "ALL" },
	{ "Example.COM", "example.com" },
	{ ".Sub.Example.Com", ".sub.example.com" },
	{ "localhost", "localhost" },
	{ "a-b.example.com", "a-b.example.com" },
	{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
	{ "1.2.3.4", "1.2.3.4" },
	{ ".all", ".all" },		/* a partial domain, not the default route */
	{ "all.example.com", "all.example.com" },
	{ "bad..domain", NULL },
	{ "", NULL },
	{ ".", NULL },
	{ "..", NULL },
	{ "..example.com", NULL },
	{ "-a.com", NULL },
	{ "a-.com", NULL },
	{ "a.-b.com", NULL },
	{ "a b", NULL },
	{ " example.com", NULL },
	{ "example.com ", NULL },
	{ "example.com.", NULL },
	{ "user@example.com", NULL },
	{ "example.com:25", NULL },
	{ "[1.2.3.4]", NULL },
	{ "*.example.com", NULL },
	{ "ALL.", NULL },
	{ "exa\tmple.com", NULL },
	{ "ex\xc3\xa4mple.com", NULL },
};

static void
test_domain_table(void)
{
	for (size_t i = 0; i < sizeof(domain_cases) / sizeof(domain_cases[0]); i++) {
		const struct domain_case *t = &domain_cases[i];
		char out[256], again[256], *cause = NULL;
		int r;

		memset(out, 'Z', sizeof(out));
		r = route_parse_domain(t->in, out, sizeof(out), &cause);
		if (t->out) {
			if (r != 0)
				UNIT_FAIL("domain '%s' refused: %s", t->in, cause);
			CHECK(cause == NULL);
			if (strcmp(out, t->out) != 0)
				UNIT_FAIL("domain '%s' -> '%s', expected '%s'", t->in, out, t->out);
			/* the normal form is a fixed point */
			CHECK(route_parse_domain(out, again, sizeof(again), &cause) == 0);
			CHECK_STR(again, t->out);
		} else {
			if (r != -1)
				UNIT_FAIL("domain '%s' accepted as '%s'", t->in, out);
			check_cause("domain", t->in, cause, "Invalid domain");
		}
	}
}

static void
test_domain_lengths(void)
{
	char out[512], *cause = NULL;
	char *label63 = repeat('a', 63), *label64 = repeat('a', 64);
	char *name, *big = repeat('x', 300);

	/* a 300-character name */
	CHECK(route_parse_domain(big, out, sizeof(out), &cause) == -1);
	check_cause("domain", "300 x", cause, NULL);
	cause = NULL;
	free(big);

	/* labels of 63 are fine, 64 is not */
	name = str_printf("%s.example.com", label63);
	CHECK(route_parse_domain(name, out, sizeof(out), &cause) == 0);
	CHECK_STR(out, name);
	free(name);
	name = str_printf(".%s.example.com", label64);
	CHECK(route_parse_domain(name, out, sizeof(out), &cause) == -1);
	check_cause("domain", name, cause, NULL);
	cause = NULL;
	free(name);

	/* 253 characters in all, and 254 */
	name = str_printf("%s.%s.%s.%s", label63, label63, label63, label63 + 2);	/* 253 */
	CHECK_INT(strlen(name), 253);
	CHECK(route_parse_domain(name, out, sizeof(out), &cause) == 0);
	free(name);
	name = str_printf("%s.%s.%s.%s", label63, label63, label63, label63 + 1);	/* 254 */
	CHECK(route_parse_domain(name, out, sizeof(out), &cause) == -1);
	check_cause("domain", "254 chars", cause, NULL);
	cause = NULL;
	free(name);

	/* an output buffer too small is refused, never overrun */
	CHECK(route_parse_domain("example.com", out, 11, &cause) == -1);
	check_cause("domain", "small buffer", cause, NULL);
	cause = NULL;
	CHECK(route_parse_domain("example.com", out, 12, &cause) == 0);
	CHECK_STR(out, "example.com");
	CHECK(route_parse_domain("all", out, 4, &cause) == 0);
	CHECK_STR(out, "ALL");
	CHECK(route_parse_domain("all", out, 3, &cause) == -1);
	check_cause("domain", "ALL in small buffer", cause, NULL);
	free(label63);
	free(label64);
}

/* ------------------------------------------------------------ destinations */

struct dest_case {
	const char *in;
	const char *out;	/* NULL: refused */
	const char *cause;	/* for refusals: a piece of the cause, or NULL */
};

static const struct dest_case dest_cases[] = {
	{ "mail.example.com", "mail.example.com", NULL },
	{ "Mail.Example.COM", "mail.example.com", NULL },
	{ "mail.example.com:2525", "mail.example.com:2525", NULL },
	{ "mx:1", "mx:1", NULL },
	{ "mx:65535", "mx:65535", NULL },
	{ "[1.2.3.4]:25", "1.2.3.4:25", NULL },
	{ "[1.2.3.4]", "1.2.3.4", NULL },
	{ "1.2.3.4", "1.2.3.4", NULL },
	{ "1.2.3.4:587", "1.2.3.4:587", NULL },
	{ "[IPv6:::1]:25", "[IPv6:::1]:25", NULL },
	{ "[ipv6:2001:DB8::1]", "[IPv6:2001:DB8::1]", NULL },
	{ "[::1]:2525", "[IPv6:::1]:2525", NULL },
	{ "USEDNS", "USEDNS", NULL },
	{ "usedns", "USEDNS", NULL },
	{ "/dev/null", "/dev/null", NULL },
	{ "a.com,b.com", "a.com,b.com", NULL },
	{ " a.com , B.com:26 ,[10.0.0.1]:25 ", "a.com,b.com:26,10.0.0.1:25", NULL },
	{ "a.com,a.com:26", "a.com,a.com:26", NULL },	/* same host, other port */
	{ "a.com:25,a.com", "a.com:25,a.com", NULL },	/* explicit port is kept */

	/* ports */
	{ "a.com:0", NULL, "between 1 and 65535" },
	{ "a.com:65536", NULL, "between 1 and 65535" },
	{ "a.com:abc", NULL, "between 1 and 65535" },
	{ "a.com:", NULL, "port" },
	{ "a.com:-1", NULL, "port" },
	{ "a.com: 25", NULL, "port" },
	{ "a.com:25x", NULL, "port" },
	{ "a.com:99999999999999999999", NULL, "port" },
	{ "[1.2.3.4]:0", NULL, "port" },
	{ "[1.2.3.4]:", NULL, "port" },
	{ "[IPv6:::1]:65536", NULL, "port" },

	/* USEDNS and /dev/null stand alone */
	{ "USEDNS,a.com", NULL, "only destination" },
	{ "a.com,usedns", NULL, "only destination" },
	{ "a.com,/dev/null", NULL, "only destination" },
	{ "/dev/null,USEDNS", NULL, "only destination" },

	/* duplicates, after normalisation */
	{ "a.com,a.com", NULL, "twice" },
	{ "a.com,A.COM", NULL, "twice" },
	{ "a.com:25,b.com,a.com:25", NULL, "twice" },
	{ "[1.2.3.4],1.2.3.4", NULL, "twice" },
	{ "[IPv6:::1],[::1]", NULL, "twice" },
	{ "USEDNS,USEDNS", NULL, NULL },

	/* empty elements */
	{ "a,,b", NULL, "Empty destination" },
	{ ",a", NULL, "Empty destination" },
	{ "a,", NULL, "Empty destination" },
	{ "a, ,b", NULL, "Empty destination" },
	{ "", NULL, "Empty destination" },
	{ " ", NULL, "Empty destination" },
	{ ",", NULL, "Empty destination" },

	/* malformed */
	{ "bad..host", NULL, "Invalid destination" },
	{ "-a.com", NULL, "Invalid destination" },
	{ "a b.com", NULL, "Invalid destination" },
	{ "host/path", NULL, "Invalid destination" },
	{ "/dev/zero", NULL, "Invalid destination" },
	{ "::1", NULL, "Invalid destination" },		/* bare IPv6 needs brackets */
	{ "2001:db8::1:25", NULL, "Invalid destination" },
	{ "a.com:25:26", NULL, "Invalid destination" },
	{ "[1.2.3.4", NULL, "Invalid destination" },
	{ "[]", NULL, "Invalid destination" },
	{ "[]:25", NULL, "Invalid destination" },
	{ "[mail.example.com]", NULL, "Invalid destination" },
	{ "[1.2.3.4]x", NULL, "Invalid destination" },
	{ "[1.2.3.4]]", NULL, "Invalid destination" },
	{ "[1.2.3.256]", NULL, "Invalid destination" },
	{ "[IPv6:]", NULL, "Invalid destination" },
	{ ":25", NULL, "Invalid destination" },
	{ "user@a.com", NULL, "Invalid destination" },
};

static void
test_dest_table(void)
{
	for (size_t i = 0; i < sizeof(dest_cases) / sizeof(dest_cases[0]); i++) {
		const struct dest_case *t = &dest_cases[i];
		char out[1024], again[1024], *cause = NULL;
		int r;

		memset(out, 'Z', sizeof(out));
		r = route_parse_dests(t->in, out, sizeof(out), &cause);
		if (t->out) {
			if (r != 0)
				UNIT_FAIL("dests '%s' refused: %s", t->in, cause);
			CHECK(cause == NULL);
			if (strcmp(out, t->out) != 0)
				UNIT_FAIL("dests '%s' -> '%s', expected '%s'", t->in, out, t->out);
			/* the normal form is a fixed point */
			CHECK(route_parse_dests(out, again, sizeof(again), &cause) == 0);
			CHECK_STR(again, out);
		} else {
			if (r != -1)
				UNIT_FAIL("dests '%s' accepted as '%s'", t->in, out);
			check_cause("dests", t->in, cause, t->cause);
		}
	}
}

/* one destination: its kind, host and port */
struct one_case {
	const char *in;
	enum route_kind kind;
	const char *host;
	int port;
};

static const struct one_case one_cases[] = {
	{ "Mail.Example.com", ROUTE_HOST, "mail.example.com", 0 },
	{ "mail.example.com:2525", ROUTE_HOST, "mail.example.com", 2525 },
	{ "[1.2.3.4]:25", ROUTE_ADDR, "1.2.3.4", 25 },
	{ "1.2.3.4", ROUTE_ADDR, "1.2.3.4", 0 },
	{ "[IPv6:::1]:25", ROUTE_ADDR, "::1", 25 },
	{ "[IPv6:2001:db8::1]", ROUTE_ADDR, "2001:db8::1", 0 },
	{ "[::ffff:1.2.3.4]", ROUTE_ADDR, "::ffff:1.2.3.4", 0 },
	{ "USEDNS", ROUTE_USEDNS, "", 0 },
	{ "UseDns", ROUTE_USEDNS, "", 0 },
	{ "/dev/null", ROUTE_DEVNULL, "", 0 },
};

static void
test_dest_one(void)
{
	for (size_t i = 0; i < sizeof(one_cases) / sizeof(one_cases[0]); i++) {
		const struct one_case *t = &one_cases[i];
		struct route_dest d;
		char *cause = NULL;

		memset(&d, 0x55, sizeof(d));
		if (route_parse_dest(t->in, &d, &cause) < 0)
			UNIT_FAIL("dest '%s' refused: %s", t->in, cause);
		if (d.kind != t->kind || strcmp(d.host, t->host) != 0 || d.port != t->port)
			UNIT_FAIL("dest '%s' -> kind %d host '%s' port %d", t->in, (int)d.kind,
			    d.host, d.port);
	}
}

/* route_format_dest then route_parse_dest gives the same destination */
static void
test_format_roundtrip(void)
{
	static const char *const ins[] = {
		"mx.example.com", "mx.example.com:1", "MX.EXAMPLE.COM:65535", "1.2.3.4",
		"[1.2.3.4]", "[1.2.3.4]:25", "0.0.0.0:2525", "[IPv6:::1]", "[IPv6:::1]:25",
		"[::]", "[IPv6:2001:db8:0:0:0:0:0:1]:587", "[IPv6:fe80::1%25]", "USEDNS",
		"usedns", "/dev/null", "localhost:25",
	};
	static const struct {
		struct route_dest d;
		const char *text;
	} formats[] = {
		{ { ROUTE_HOST, "mx.example.com", 0 }, "mx.example.com" },
		{ { ROUTE_HOST, "mx.example.com", 26 }, "mx.example.com:26" },
		{ { ROUTE_ADDR, "10.1.2.3", 0 }, "10.1.2.3" },
		{ { ROUTE_ADDR, "10.1.2.3", 25 }, "10.1.2.3:25" },
		{ { ROUTE_ADDR, "2001:db8::1", 0 }, "[IPv6:2001:db8::1]" },
		{ { ROUTE_ADDR, "2001:db8::1", 2525 }, "[IPv6:2001:db8::1]:2525" },
		{ { ROUTE_USEDNS, "", 0 }, "USEDNS" },
		{ { ROUTE_DEVNULL, "", 0 }, "/dev/null" },
	};
	char *cause = NULL;

	for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		struct route_dest a, b;
		char text[300], text2[300];

		if (route_parse_dest(ins[i], &a, &cause) < 0) {
			/* only the scoped address may be refused */
			CHECK(strchr(ins[i], '%') != NULL);
			free(cause);
			cause = NULL;
			continue;
		}
		route_format_dest(&a, text, sizeof(text));
		if (route_parse_dest(text, &b, &cause) < 0)
			UNIT_FAIL("'%s' formatted as '%s', which is refused: %s", ins[i], text, cause);
		if (a.kind != b.kind || strcmp(a.host, b.host) != 0 || a.port != b.port)
			UNIT_FAIL("'%s' -> '%s' -> kind %d host '%s' port %d", ins[i], text,
			    (int)b.kind, b.host, b.port);
		route_format_dest(&b, text2, sizeof(text2));
		CHECK_STR(text2, text);
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char text[300];
		struct route_dest b;

		route_format_dest(&formats[i].d, text, sizeof(text));
		CHECK_STR(text, formats[i].text);
		CHECK(route_parse_dest(text, &b, &cause) == 0);
		CHECK_INT(b.kind, formats[i].d.kind);
		CHECK_STR(b.host, formats[i].d.host);
		CHECK_INT(b.port, formats[i].d.port);
	}
	/* a small buffer truncates, never overruns */
	{
		char small[8];

		memset(small, 'Z', sizeof(small));
		route_format_dest(&formats[1].d, small, 6);
		CHECK(strlen(small) < 6);
		CHECK(small[7] == 'Z');
	}
}

/* the limit on destinations, and on the written list */
static void
test_dest_limits(void)
{
	char in[4096], out[4096], *cause = NULL;
	size_t n = 0;
	struct route_dest v[ROUTE_MAX_DESTS + 1];

	/* exactly ROUTE_MAX_DESTS is fine */
	in[0] = '\0';
	for (int i = 0; i < ROUTE_MAX_DESTS; i++) {
		CHECK(str_fmt(in + n, sizeof(in) - n, "%smx%d.example.com", i ? "," : "", i) == 0);
		n = strlen(in);
	}
	CHECK(route_parse_dests(in, out, sizeof(out), &cause) == 0);
	CHECK_STR(out, in);
	CHECK_INT(route_dests(out, v, ROUTE_MAX_DESTS + 1), ROUTE_MAX_DESTS);
	CHECK_STR(v[0].host, "mx0.example.com");
	CHECK_STR(v[ROUTE_MAX_DESTS - 1].host, "mx31.example.com");
	/* route_dests stops at max */
	CHECK_INT(route_dests(out, v, 3), 3);
	CHECK_STR(v[2].host, "mx2.example.com");

	/* one more is refused */
	CHECK(str_fmt(in + n, sizeof(in) - n, ",mx%d.example.com", ROUTE_MAX_DESTS) == 0);
	CHECK(route_parse_dests(in, out, sizeof(out), &cause) == -1);
	{
		char want[16];

		str_fmt(want, sizeof(want), "%d", ROUTE_MAX_DESTS);
		check_cause("dests", "33 destinations", cause, want);
		cause = NULL;
	}

	/* a normalised list that does not fit the output is refused */
	CHECK(route_parse_dests("a.com,b.com", out, 11, &cause) == -1);
	check_cause("dests", "small buffer", cause, "too long");
	cause = NULL;
	CHECK(route_parse_dests("a.com,b.com", out, 12, &cause) == 0);
	CHECK_STR(out, "a.com,b.com");

	/* route_dests skips what it cannot parse */
	CHECK_INT(route_dests("a.com,bad..x,[1.2.3.4]:26,USEDNS", v, 10), 3);
	CHECK_INT(v[0].kind, ROUTE_HOST);
	CHECK_INT(v[1].kind, ROUTE_ADDR);
	CHECK_INT(v[1].port, 26);
	CHECK_INT(v[2].kind, ROUTE_USEDNS);
}

/* ------------------------------------------------------------ matching */

struct match_case {
	const char *domain;
	const char *keys[8];	/* NULL-terminated */
	int want;		/* index, or -1 */
};

static const struct match_case match_cases[] = {
	/* exact beats partial, wherever it is in the table */
	{ "a.example.com", { ".example.com", "a.example.com", NULL }, 1 },
	{ "a.example.com", { "a.example.com", ".example.com", NULL }, 0 },
	{ "a.example.com", { "ALL", ".example.com", "a.example.com", NULL }, 2 },
	/* the longest partial wins, in either order */
	{ "x.sub.example.com", { ".example.com", ".sub.example.com", NULL }, 1 },
	{ "x.sub.example.com", { ".sub.example.com", ".example.com", NULL }, 0 },
	{ "sub.example.com", { ".example.com", ".sub.example.com", NULL }, 0 },
	{ "a.b.c.example.com", { ".com", ".example.com", ".c.example.com", "ALL", NULL }, 2 },
	/* a partial domain matches subdomains only */
	{ "example.com", { ".example.com", NULL }, -1 },
	{ "example.com", { ".example.com", "ALL", NULL }, 1 },
	{ "notexample.com", { ".example.com", "ALL", NULL }, 1 },
	{ "example.com.evil.org", { ".example.com", NULL }, -1 },
	{ "example.com", { "example.com", ".example.com", NULL }, 0 },
	/* ALL is the fallback only */
	{ "other.org", { "ALL", "example.com", ".example.com", NULL }, 0 },
	{ "example.com", { "ALL", "example.com", NULL }, 1 },
	/* case does not matter */
	{ "EXAMPLE.com", { "example.com", NULL }, 0 },
	{ "A.Example.COM", { ".example.com", NULL }, 0 },
	/* no exact, no partial, no ALL */
	{ "other.org", { "example.com", ".example.com", NULL }, -1 },
	{ "other.org", { NULL }, -1 },
	/* a key "all" that is not the normal form is a domain */
	{ "all", { "all", NULL }, 0 },
	{ "x.org", { "all", NULL }, -1 },
};

static void
test_match(void)
{
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *t = &match_cases[i];
		int n = 0, got;

		while (t->keys[n])
			n++;
		got = route_match(t->domain, t->keys, n);
		if (got != t->want)
			UNIT_FAIL("case %zu: route_match(%s) = %d, expected %d", i, t->domain, got,
			    t->want);
	}
	/* nkeys limits the table */
	{
		const char *const keys[] = { "example.com", "ALL" };

		CHECK_INT(route_match("x.org", keys, 1), -1);
		CHECK_INT(route_match("x.org", keys, 2), 1);
		CHECK_INT(route_match("example.com", keys, 0), -1);
	}
}

/* parse then match: what an operator types selects the route it means */
static void
test_parse_then_match(void)
{
	static const char *const typed[] = { "All", ".EXAMPLE.com", "Mail.Example.com" };
	char norm[3][256], *cause = NULL;
	const char *keys[3];

	for (int i = 0; i < 3; i++) {
		CHECK(route_parse_domain(typed[i], norm[i], sizeof(norm[i]), &cause) == 0);
		keys[i] = norm[i];
	}
	CHECK_INT(route_match("mail.example.com", keys, 3), 2);
	CHECK_INT(route_match("smtp.example.com", keys, 3), 1);
	CHECK_INT(route_match("example.com", keys, 3), 0);
	CHECK_INT(route_match("example.org", keys, 3), 0);
}

static const struct unit_case cases[] = {
	{ "domain_table", test_domain_table },
	{ "domain_lengths", test_domain_lengths },
	{ "dest_table", test_dest_table },
	{ "dest_one", test_dest_one },
	{ "format_roundtrip", test_format_roundtrip },
	{ "dest_limits", test_dest_limits },
	{ "match", test_match },
	{ "parse_then_match", test_parse_then_match },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("route", cases, argc, argv);
}
