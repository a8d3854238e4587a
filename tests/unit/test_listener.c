/*
 * test_listener.c - the listener and destination-control models:
 * field parsing and normalisation, whole-object validation, the JSON
 * round trip, accepted domains, relay lists (IPv4, IPv6, CIDR, mapped
 * addresses) and destconf rows looked up through the store.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "mail/destconf.h"
#include "mail/listener.h"
#include "store/config.h"
#include "tests/unit/unit.h"

/* set_ok - listener_set that must succeed */
static void
set_ok(struct listener_conf *l, const char *key, const char *value)
{
	char *cause = NULL;

	if (listener_set(l, key, value, &cause) < 0)
		UNIT_FAIL("listener_set %s=%s: %s", key, value, cause);
}

/* set_bad - listener_set that must fail with a one-line cause */
static void
set_bad(struct listener_conf *l, const char *key, const char *value)
{
	char *cause = NULL;

	if (listener_set(l, key, value, &cause) == 0)
		UNIT_FAIL("listener_set %s=%s accepted", key, value);
	if (cause == NULL || *cause == '\0' || strchr(cause, '\n'))
		UNIT_FAIL("listener_set %s=%s: no one-line cause", key, value);
	free(cause);
}

/* public_listener - a valid public listener for @a.test and @.b.test */
static void
public_listener(struct listener_conf *l)
{
	listener_defaults(l, "inbound");
	set_ok(l, "ip", "127.0.0.1");
	set_ok(l, "port", "2525");
	set_ok(l, "type", "public");
	set_ok(l, "domains", "@A.Test, @.b.test");
}

/* private_listener - a valid private listener with relay entries */
static void
private_listener(struct listener_conf *l, const char *relay)
{
	listener_defaults(l, "outbound");
	set_ok(l, "ip", "::1");
	set_ok(l, "port", "587");
	set_ok(l, "type", "private");
	set_ok(l, "relay", relay);
}

/* test_defaults - listener_defaults and the name functions */
static void
test_defaults(void)
{
	struct listener_conf l;

	listener_defaults(&l, "x");
	CHECK_STR(l.name, "x");
	CHECK_INT(l.max_size, 10485760);
	CHECK_INT(l.max_rcpts, 1000);
	CHECK_INT(l.max_conns, 1000);
	CHECK_INT(l.tls, LISTENER_TLS_NO);
	CHECK_INT(l.type, LISTENER_PUBLIC);
	CHECK_STR(listener_type_name(LISTENER_PRIVATE), "private");
	CHECK_STR(listener_tls_name(LISTENER_TLS_PREFERRED), "preferred");
}

/* test_set_values - every key: refused values, accepted and normalised ones */
static void
test_set_values(void)
{
	static const struct {
		const char *key, *value;
	} bad[] = {
		{ "ip", "" }, { "ip", "localhost" }, { "ip", "1.2.3" }, { "ip", "1.2.3.4/8" },
		{ "port", "0" }, { "port", "65536" }, { "port", "25x" }, { "port", "-1" },
		{ "port", "+25" }, { "type", "open" }, { "tls", "yes" },
		{ "max_size", "100" }, { "max_size", "2G" }, { "max_size", "10X" },
		{ "max_size", "-5" }, { "max_rcpts", "0" }, { "max_rcpts", "100001" },
		{ "max_conns", "0" }, { "max_conns", "abc" },
		{ "domains", "user@a.test" }, { "domains", "@a..test" },
		{ "domains", "@a.test,,@b.test" },
		{ "domains", "@a.test,@A.TEST" }, { "domains", "@-a.test" },
		{ "relay", "10.0.0.0/33" }, { "relay", "::1/129" }, { "relay", "10.0.0.0/" },
		{ "relay", "host.test" }, { "relay", "10.0.0.1,10.0.0.1" },
		{ "relay", "1.2.3.4/+8" },
		{ "colour", "red" },
	};
	struct listener_conf l;

	listener_defaults(&l, "x");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		set_bad(&l, bad[i].key, bad[i].value);

	set_ok(&l, "ip", "2001:DB8:0:0::1");
	CHECK_STR(l.ip, "2001:db8::1");
	set_ok(&l, "ip", "0.0.0.0");
	CHECK_STR(l.ip, "0.0.0.0");
	set_ok(&l, "type", "PRIVATE");
	CHECK_INT(l.type, LISTENER_PRIVATE);
	set_ok(&l, "tls", "Required");
	CHECK_INT(l.tls, LISTENER_TLS_REQUIRED);
	set_ok(&l, "max_size", "20M");
	CHECK_INT(l.max_size, 20971520);
	set_ok(&l, "max_size", "1024");
	CHECK_INT(l.max_size, 1024);
	set_ok(&l, "max_size", "1G");
	CHECK_INT(l.max_size, 1073741824);
	set_ok(&l, "max_rcpts", "100000");
	CHECK_INT(l.max_rcpts, 100000);

	/* lists are normalised: lower case, '@' added, host bits cleared, /32 dropped */
	set_ok(&l, "domains", " Example.TEST , .Sub.Example.test., @x.test ");
	CHECK_STR(l.domains, "@example.test,@.sub.example.test,@x.test");
	set_ok(&l, "domains", "");
	CHECK_STR(l.domains, "");
	set_ok(&l, "relay", "10.1.2.3/8, 192.0.2.7/32, 2001:DB8::5/32, ::ffff:192.0.2.0/120, ::1");
	CHECK_STR(l.relay, "10.0.0.0/8,192.0.2.7,2001:db8::/32,192.0.2.0/24,::1");
	set_ok(&l, "relay", "0.0.0.0/0");
	CHECK_STR(l.relay, "0.0.0.0/0");
}

/* test_validate - whole-object rules: lists by type, name, address */
static void
test_validate(void)
{
	struct listener_conf l;
	char *cause = NULL;

	public_listener(&l);
	CHECK(listener_validate(&l, &cause) == 0);

	/* public without domains, or with a relay list */
	set_ok(&l, "domains", "");
	CHECK(listener_validate(&l, &cause) < 0);
	CHECK(strstr(cause, "domains=") != NULL);
	free(cause);
	set_ok(&l, "domains", "@a.test");
	set_ok(&l, "relay", "10.0.0.0/8");
	CHECK(listener_validate(&l, &cause) < 0);
	free(cause);

	/* private without relay, or with domains */
	private_listener(&l, "10.0.0.0/8");
	CHECK(listener_validate(&l, &cause) == 0);
	set_ok(&l, "relay", "");
	CHECK(listener_validate(&l, &cause) < 0);
	CHECK(strstr(cause, "relay=") != NULL);
	free(cause);
	set_ok(&l, "relay", "::1");
	set_ok(&l, "domains", "@a.test");
	CHECK(listener_validate(&l, &cause) < 0);
	free(cause);

	/* names and missing IP */
	public_listener(&l);
	listener_defaults(&l, "bad name");
	set_ok(&l, "ip", "127.0.0.1");
	set_ok(&l, "domains", "@a.test");
	CHECK(listener_validate(&l, &cause) < 0);
	free(cause);
	listener_defaults(&l, "");
	set_ok(&l, "ip", "127.0.0.1");
	set_ok(&l, "domains", "@a.test");
	CHECK(listener_validate(&l, &cause) < 0);
	free(cause);
	listener_defaults(&l, "ok_name-1.x");
	set_ok(&l, "domains", "@a.test");
	CHECK(listener_validate(&l, &cause) < 0);	/* no ip */
	free(cause);
	set_ok(&l, "ip", "::");
	CHECK(listener_validate(&l, &cause) == 0);
}

/* test_json_roundtrip - encode/decode give the same listener; bad JSON refused */
static void
test_json_roundtrip(void)
{
	struct listener_conf a, b;
	char *json, *json2, *cause = NULL;

	public_listener(&a);
	set_ok(&a, "tls", "preferred");
	set_ok(&a, "max_size", "5M");
	set_ok(&a, "max_rcpts", "50");
	set_ok(&a, "max_conns", "20");
	json = listener_encode(&a);
	CHECK(strstr(json, "\"domains\":[\"@a.test\",\"@.b.test\"]") != NULL);
	CHECK(listener_decode("inbound", json, &b, &cause) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0 || (strcmp(a.name, b.name) == 0 &&
	    strcmp(a.ip, b.ip) == 0 && a.port == b.port && a.type == b.type &&
	    strcmp(a.domains, b.domains) == 0 && strcmp(a.relay, b.relay) == 0 &&
	    a.max_size == b.max_size && a.max_rcpts == b.max_rcpts &&
	    a.max_conns == b.max_conns && a.tls == b.tls));
	json2 = listener_encode(&b);
	CHECK_STR(json2, json);
	free(json);
	free(json2);

	private_listener(&a, "10.0.0.0/8,2001:db8::/32");
	json = listener_encode(&a);
	CHECK(listener_decode("outbound", json, &b, &cause) == 0);
	CHECK_STR(b.relay, "10.0.0.0/8,2001:db8::/32");
	CHECK_STR(b.ip, "::1");
	CHECK_INT(b.type, LISTENER_PRIVATE);
	free(json);

	/* unknown members are ignored; missing optional ones take defaults */
	CHECK(listener_decode("x", "{\"ip\":\"127.0.0.1\",\"port\":25,\"type\":\"public\","
				   "\"domains\":[\"@a.test\"],\"future\":1}", &b, &cause) == 0);
	CHECK_INT(b.max_size, 10485760);
	CHECK_INT(b.tls, LISTENER_TLS_NO);

	/* malformed stored values are refused with a cause */
	static const char *const bad[] = {
		"", "[]", "not json", "{\"port\":25,\"type\":\"public\",\"domains\":[\"@a.test\"]}",
		"{\"ip\":\"127.0.0.1\",\"port\":\"x\",\"type\":\"public\","
		"\"domains\":[\"@a.test\"]}",
		"{\"ip\":\"127.0.0.1\",\"port\":25.5,\"type\":\"public\","
		"\"domains\":[\"@a.test\"]}",
		"{\"ip\":\"127.0.0.1\",\"port\":25,\"type\":\"public\",\"domains\":[1]}",
		"{\"ip\":\"127.0.0.1\",\"port\":25,\"type\":\"public\",\"domains\":[\"@a,@b\"]}",
		"{\"ip\":\"127.0.0.1\",\"port\":25,\"type\":\"public\",\"domains\":[]}",
		"{\"ip\":\"127.0.0.1\",\"port\":25,\"type\":\"private\",\"relay\":[\"x\"]}",
		NULL,
	};
	for (int i = 0; bad[i]; i++) {
		cause = NULL;
		if (listener_decode("x", bad[i], &b, &cause) == 0)
			UNIT_FAIL("decoded %s", bad[i]);
		CHECK(cause != NULL);
		free(cause);
	}
	cause = NULL;
	CHECK(listener_decode("bad name", "{\"ip\":\"127.0.0.1\",\"port\":25,\"type\":\"public\","
					  "\"domains\":[\"@a.test\"]}", &b, &cause) < 0);
	free(cause);
}

/* test_accepts_domain - @domain exact, @.domain strict subdomains, any case */
static void
test_accepts_domain(void)
{
	static const struct {
		const char *domain;
		int ok;
	} cases[] = {
		{ "a.test", 1 }, { "A.TEST", 1 }, { "a.test.", 1 }, { "sub.a.test", 0 },
		{ "xa.test", 0 }, { "b.test", 0 }, { "sub.b.test", 1 }, { "SUB.B.Test", 1 },
		{ "x.y.b.test", 1 }, { "xb.test", 0 }, { ".b.test", 0 }, { "", 0 },
		{ "test", 0 }, { "a.test.evil", 0 }, { "b.test.evil", 0 },
	};
	struct listener_conf l;

	public_listener(&l);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (listener_accepts_domain(&l, cases[i].domain) != cases[i].ok)
			UNIT_FAIL("accepts_domain(%s) != %d", cases[i].domain, cases[i].ok);
	/* a private listener relays for any domain: the relay list decides */
	private_listener(&l, "10.0.0.0/8");
	CHECK(listener_accepts_domain(&l, "anything.test"));
}

/* relay - listener_relay_allowed for an address in text form */
static int
relay(const struct listener_conf *l, const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			UNIT_FAIL("bad test address %s", ip);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		if (inet_pton(AF_INET, ip, &s4->sin_addr) != 1)
			UNIT_FAIL("bad test address %s", ip);
	}
	return listener_relay_allowed(l, (struct sockaddr *)&ss);
}

/* test_relay_allowed - IPv4, IPv6, CIDR, mapped addresses, other families */
static void
test_relay_allowed(void)
{
	static const struct {
		const char *ip;
		int ok;
	} cases[] = {
		{ "192.0.2.7", 1 }, { "192.0.2.8", 0 }, { "10.0.0.1", 1 }, { "10.255.255.255", 1 },
		{ "11.0.0.0", 0 }, { "9.255.255.255", 0 }, { "172.16.0.1", 1 },
		{ "172.31.255.254", 1 },
		{ "172.32.0.1", 0 }, { "::ffff:10.1.2.3", 1 }, { "::ffff:11.1.2.3", 0 },
		{ "2001:db8::1", 1 }, { "2001:db8:ffff::1", 1 }, { "2001:db9::1", 0 }, { "::1", 1 },
		{ "::2", 0 }, { "fe80::1", 0 }, { "fd00:1:2:3::9", 1 }, { "fd00:1:2:4::9", 0 },
		{ "203.0.113.128", 1 }, { "203.0.113.191", 1 }, { "203.0.113.192", 0 },
		{ "203.0.113.127", 0 }, { "0.0.0.0", 0 }, { "198.51.100.9", 1 },
		{ "198.51.100.10", 0 },
	};
	struct listener_conf l;
	struct sockaddr_un un;

	private_listener(&l, "192.0.2.7, 10.0.0.0/8, 172.16.0.0/12, 2001:db8::/32, ::1, "
			     "fd00:1:2:3::/64, 203.0.113.130/26, 198.51.100.8/31");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (relay(&l, cases[i].ip) != cases[i].ok)
			UNIT_FAIL("relay_allowed(%s) != %d", cases[i].ip, cases[i].ok);
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	CHECK(!listener_relay_allowed(&l, (struct sockaddr *)&un));
	CHECK(!listener_relay_allowed(&l, NULL));

	/* everything, per family */
	private_listener(&l, "0.0.0.0/0");
	CHECK(relay(&l, "198.51.100.1"));
	CHECK(relay(&l, "::ffff:198.51.100.1"));
	CHECK(!relay(&l, "2001:db8::1"));
	private_listener(&l, "::/0");
	CHECK(relay(&l, "2001:db8::1"));
	CHECK(!relay(&l, "198.51.100.1"));

	/* a public listener relays for nobody */
	public_listener(&l);
	CHECK(!relay(&l, "127.0.0.1"));
}

/* test_destconf - destconf fields and JSON */
static void
test_destconf(void)
{
	struct destconf d;
	char *json, *cause = NULL;

	destconf_defaults(&d, DESTCONF_DEFAULT);
	CHECK_STR(d.domain, "default");
	CHECK_INT(d.tls, DESTCONF_TLS_PREFERRED);
	CHECK_INT(d.max_conns, 0);
	CHECK(destconf_set(&d, "tls", "REQUIRED_VERIFY", &cause) == 0);
	CHECK_INT(d.tls, DESTCONF_TLS_REQUIRED_VERIFY);
	CHECK(destconf_set(&d, "max_conns", "1000", &cause) == 0);
	CHECK_INT(d.max_conns, 1000);
	CHECK(destconf_set(&d, "max_conns", "1001", &cause) < 0);
	free(cause);
	CHECK(destconf_set(&d, "max_conns", "-1", &cause) < 0);
	free(cause);
	CHECK(destconf_set(&d, "tls", "maybe", &cause) < 0);
	free(cause);
	CHECK(destconf_set(&d, "colour", "red", &cause) < 0);
	free(cause);
	CHECK_STR(destconf_tls_name(DESTCONF_TLS_NO), "no");
	CHECK_STR(destconf_tls_name(DESTCONF_TLS_REQUIRED), "required");

	json = destconf_encode(&d);
	CHECK_STR(json, "{\"tls\":\"required_verify\",\"max_conns\":1000}");
	destconf_defaults(&d, "x");
	CHECK(destconf_decode("example.test", json, &d, &cause) == 0);
	CHECK_STR(d.domain, "example.test");
	CHECK_INT(d.tls, DESTCONF_TLS_REQUIRED_VERIFY);
	CHECK_INT(d.max_conns, 1000);
	free(json);
	CHECK(destconf_decode("x.test", "{}", &d, &cause) == 0);
	CHECK_INT(d.tls, DESTCONF_TLS_PREFERRED);
	CHECK(destconf_decode("x.test", "{\"tls\":1}", &d, &cause) < 0);
	free(cause);
	CHECK(destconf_decode("x.test", "{\"max_conns\":5000}", &d, &cause) < 0);
	free(cause);
	CHECK(destconf_decode("bad domain", "{}", &d, &cause) < 0);
	free(cause);
	CHECK(destconf_decode("x.test", "nope", &d, &cause) < 0);
	free(cause);
}

/* test_destconf_lookup - exact row, default row, built-in default, errors */
static void
test_destconf_lookup(void)
{
	struct store *st;
	struct destconf d;
	char *cause = NULL;

	CHECK(store_open(unit_tmpdir(), STORE_SESSION, &st, &cause) == 0);
	/* nothing stored: the built-in default */
	CHECK(destconf_lookup(st, "example.test", &d) == 0);
	CHECK_STR(d.domain, "default");
	CHECK_INT(d.tls, DESTCONF_TLS_PREFERRED);

	CHECK(config_set(st, DESTCONF_SECTION, "default", "{\"tls\":\"no\",\"max_conns\":3}",
	    &cause) == 0);
	CHECK(config_set(st, DESTCONF_SECTION, "example.test",
	    "{\"tls\":\"required\",\"max_conns\":7}", &cause) == 0);
	CHECK(destconf_lookup(st, "Example.TEST.", &d) == 0);
	CHECK_STR(d.domain, "example.test");
	CHECK_INT(d.tls, DESTCONF_TLS_REQUIRED);
	CHECK_INT(d.max_conns, 7);
	/* exact match only: subdomains take the default row */
	CHECK(destconf_lookup(st, "sub.example.test", &d) == 0);
	CHECK_STR(d.domain, "default");
	CHECK_INT(d.tls, DESTCONF_TLS_NO);
	CHECK_INT(d.max_conns, 3);

	/* a broken row reports an error and still yields the default */
	CHECK(config_set(st, DESTCONF_SECTION, "broken.test", "{", &cause) == 0);
	CHECK(destconf_lookup(st, "broken.test", &d) < 0);
	CHECK_STR(d.domain, "default");
	CHECK_INT(d.tls, DESTCONF_TLS_NO);
	store_close(st);
}

static const struct unit_case cases[] = {
	{ "defaults", test_defaults },
	{ "set_values", test_set_values },
	{ "validate", test_validate },
	{ "json_roundtrip", test_json_roundtrip },
	{ "accepts_domain", test_accepts_domain },
	{ "relay_allowed", test_relay_allowed },
	{ "destconf", test_destconf },
	{ "destconf_lookup", test_destconf_lookup },
	{ NULL, NULL },
};

/* main - run the cases (or the one named) */
int
main(int argc, char **argv)
{
	return unit_main("listener", cases, argc, argv);
}
