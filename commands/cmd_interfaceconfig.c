/*
 * cmd_interfaceconfig.c - `interfaceconfig`: the Management interface's
 * AsyncOS API (issue 12, daemon/apid.c): HTTP and HTTPS on or off, their
 * ports, and the address they listen on.
 *
 *   interfaceconfig                  the dialogue
 *   interfaceconfig print
 *   interfaceconfig api [http=yes|no] [http_port=N] [https=yes|no] [https_port=N]
 *                       [address=IP]
 *
 * The values as the line makes them are checked together before any is
 * staged: the two ports differ, neither is a listener's port
 * (listenerconfig), HTTPS needs the certconfig certificate (the API
 * serves the gateway's certificate), the address is an IPv4 or IPv6
 * literal. Like every configuration command the changes are pending
 * until commit; the daemon opens or closes the ports then.
 *
 * DIAGNOSTICS: one error line per refusal; a refused line stages nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "mail/listener.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"
#include "util/syntax.h"

extern const struct cmd_entry cmd_interfaceconfig_entry;

/* The API settings, as text. */
struct api_vals {
	char http[4], https[4];		/* "yes" / "no" */
	char http_port[8], https_port[8];
	char address[65];
};

static const char *const names[] = { "api.http", "api.http_port", "api.https",
	"api.https_port", "api.address" };

/* field - the text of setting i in v */
static char *
field(struct api_vals *v, int i, size_t *size)
{
	switch (i) {
	case 0: *size = sizeof(v->http); return v->http;
	case 1: *size = sizeof(v->http_port); return v->http_port;
	case 2: *size = sizeof(v->https); return v->https;
	case 3: *size = sizeof(v->https_port); return v->https_port;
	default: *size = sizeof(v->address); return v->address;
	}
}

/* load - the values as this session sees them; error printed */
static int
load(struct cli *c, struct api_vals *v)
{
	for (int i = 0; i < 5; i++) {
		char *s = NULL, *cause = NULL, *out;
		size_t size;

		if (settings_read(c->st, names[i], &s, &cause) < 0) {
			cli_error(c, "Cannot read %s: %s", names[i], cause);
			free(cause);
			return -1;
		}
		out = field(v, i, &size);
		str_copy(out, s, size);
		free(s);
	}
	return 0;
}

/* print_vals - the settings */
static void
print_vals(struct cli *c, const struct api_vals *v)
{
	cli_printf(c, "Management interface: AsyncOS API\n");
	cli_printf(c, "  %-24s %s, port %s\n", "AsyncOS API over HTTP:",
	    strcmp(v->http, "yes") == 0 ? "Enabled" : "Disabled", v->http_port);
	cli_printf(c, "  %-24s %s, port %s\n", "AsyncOS API over HTTPS:",
	    strcmp(v->https, "yes") == 0 ? "Enabled" : "Disabled", v->https_port);
	cli_printf(c, "  %-24s %s\n", "Listening address:", v->address);
}

static enum cmd_ret
print(struct cli *c)
{
	struct api_vals v;

	if (load(c, &v) < 0)
		return CMD_ERROR;
	print_vals(c, &v);
	return CMD_OK;
}

/* What listener_port looks for. */
struct port_ctx {
	int port;
	char name[LISTENER_NAME_MAX + 1];	/* the listener on it, "" none */
};

/* listener_port - config_list callback: a listener on the port */
static int
listener_port(const char *section, const char *key, const char *value, void *arg)
{
	struct port_ctx *x = arg;
	struct listener_conf *l = xmalloc(sizeof(*l));
	char *cause = NULL;
	int found = 0;

	(void)section;
	if (listener_decode(key, value, l, &cause) == 0 && l->port == x->port) {
		str_copy(x->name, l->name, sizeof(x->name));
		found = 1;
	}
	free(cause);
	free(l);
	return found;
}

/* check - every rule on the values as they will be; error printed */
static int
check(struct cli *c, const struct api_vals *v)
{
	const char *ports[2] = { v->http_port, v->https_port };
	const char *on[2] = { v->http, v->https };
	char *cert, *cause = NULL;
	int empty;

	if (!syntax_ipv4(v->address) && !syntax_ipv6(v->address)) {
		cli_error(c, "Invalid address '%.100s': an IPv4 or IPv6 address such as 0.0.0.0 "
			     "or ::.",
		    v->address);
		return -1;
	}
	if (strcmp(v->http_port, v->https_port) == 0) {
		cli_error(c, "The HTTP and HTTPS API cannot both use port %s.", v->http_port);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		struct port_ctx x = { 0, "" };
		long n;

		if (strcmp(on[i], "yes") != 0)
			continue;
		if (str_to_long(ports[i], 1, 65535, &n) < 0)
			return -1;	/* checked by the key */
		x.port = (int)n;
		if (config_list(c->st, LISTENER_SECTION, listener_port, &x, &cause) < 0) {
			cli_error(c, "Cannot read the listeners: %s", cause);
			free(cause);
			return -1;
		}
		if (x.name[0]) {
			cli_error(c, "Port %s is the listener %s's (listenerconfig): choose another "
				     "port for the %s API.",
			    ports[i], x.name, i ? "HTTPS" : "HTTP");
			return -1;
		}
	}
	if (strcmp(v->https, "yes") == 0) {
		cert = settings_get(c->st, "tls.server_cert");
		empty = cert == NULL || cert[0] == '\0';
		free(cert);
		if (empty) {
			cli_error(c, "The HTTPS API needs the gateway's certificate: import one with "
				     "certconfig first.");
			return -1;
		}
	}
	return 0;
}

/* save - check, then stage what changed, all or nothing; error printed */
static enum cmd_ret
save(struct cli *c, const struct api_vals *cur, struct api_vals *v)
{
	char *cause = NULL;
	int ok = 1;

	if (check(c, v) < 0)
		return CMD_ERROR;
	if (config_begin(c->st, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	for (int i = 0; i < 5 && ok; i++) {
		size_t size;
		const char *a = field((struct api_vals *)cur, i, &size), *b = field(v, i, &size);

		if (strcmp(a, b) != 0 && settings_stage(c->st, names[i], b, &cause) < 0) {
			cli_error(c, "Cannot stage %s: %s", names[i], cause);
			free(cause);
			cause = NULL;
			ok = 0;
		}
	}
	if (config_end(c->st, ok, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return ok ? CMD_OK : CMD_ERROR;
}

/* set - cmd_keyset.set: the value (checked by the key) into its field */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct api_vals *v = obj;
	size_t size;

	for (int i = 0; i < 5; i++)
		if (strcmp(names[i] + 4, k->name) == 0) {
			char *out = field(v, i, &size);

			if (str_copy(out, value, size) == 0)
				return 0;
			break;
		}
	*cause = str_printf("Invalid %s '%.100s'.", k->name, value);
	return -1;
}

static const struct cmd_key api_keys[] = {
	{ .name = "http", .type = CMD_KEY_YESNO, .check = cmd_keys_yesno,
	    .help = "serve the AsyncOS API over HTTP" },
	{ .name = "http_port", .type = CMD_KEY_INT, .min = 1, .max = 65535,
	    .check = cmd_keys_int, .help = "TCP port of the HTTP API (default 6080)" },
	{ .name = "https", .type = CMD_KEY_YESNO, .check = cmd_keys_yesno,
	    .help = "serve the AsyncOS API over HTTPS (needs the certconfig certificate)" },
	{ .name = "https_port", .type = CMD_KEY_INT, .min = 1, .max = 65535,
	    .check = cmd_keys_int, .help = "TCP port of the HTTPS API (default 6443)" },
	{ .name = "address", .type = CMD_KEY_TEXT,
	    .help = "IPv4 or IPv6 address to listen on (default 0.0.0.0)" },
	{ .name = NULL },
};

static const struct cmd_keyset api_keyset = { .keys = api_keys, .set = set };

static enum cmd_ret
b_print(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return print(c);
}

static enum cmd_ret
b_api(struct cli *c, const struct cmd_call *call)
{
	struct api_vals cur, v;

	if (load(c, &cur) < 0)
		return CMD_ERROR;
	v = cur;
	if (cmd_keys_apply(c, call, &v, NULL) < 0)
		return CMD_ERROR;
	return save(c, &cur, &v);
}

/* ---------------------------------------------------------- dialogue */

/* ask_api - the questions of API: each protocol on or off, its port, the address */
static enum ask_ret
ask_api(struct cli *c, int *failed)
{
	struct api_vals cur, v;
	enum ask_ret a;
	int yes;
	long port;
	char buf[128];

	if (load(c, &cur) < 0) {
		*failed = 1;
		return ASK_BACK;
	}
	v = cur;
	if ((a = cli_ask_yesno(c, "Do you want to enable the AsyncOS API over HTTP?",
	    strcmp(cur.http, "yes") == 0, &yes)) != ASK_OK)
		return a;
	str_copy(v.http, yes ? "yes" : "no", sizeof(v.http));
	if (yes) {
		if (str_to_long(cur.http_port, 1, 65535, &port) < 0)
			port = 6080;
		if ((a = cli_ask_number(c, "Which port do you want to use for the HTTP API?",
		    port, 1, 65535, &port)) != ASK_OK)
			return a;
		str_fmt(v.http_port, sizeof(v.http_port), "%ld", port);
	}
	if ((a = cli_ask_yesno(c, "Do you want to enable the AsyncOS API over HTTPS?",
	    strcmp(cur.https, "yes") == 0, &yes)) != ASK_OK)
		return a;
	str_copy(v.https, yes ? "yes" : "no", sizeof(v.https));
	if (yes) {
		if (str_to_long(cur.https_port, 1, 65535, &port) < 0)
			port = 6443;
		if ((a = cli_ask_number(c, "Which port do you want to use for the HTTPS API?",
		    port, 1, 65535, &port)) != ASK_OK)
			return a;
		str_fmt(v.https_port, sizeof(v.https_port), "%ld", port);
	}
	if ((a = cli_ask(c, "Enter the IP address the API listens on.", cur.address, buf,
	    sizeof(buf))) != ASK_OK)
		return a;
	str_copy(v.address, buf, sizeof(v.address));
	if (save(c, &cur, &v) != CMD_OK)
		*failed = 1;
	return ASK_OK;
}

/* dialog - the settings and the menu, until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "API", "Configure the AsyncOS API of the Management interface (HTTP, HTTPS)." },
	};
	enum ask_ret a;
	int op, failed = 0;

	for (;;) {
		cli_printf(c, "\n");
		if (print(c) != CMD_OK)
			return CMD_ERROR;
		a = cli_ask_menu(c, NULL, ops, 1, &op);
		if (a == ASK_OK) {
			a = ask_api(c, &failed);
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return failed ? CMD_ERROR : CMD_OK;
	}
}

/* ---------------------------------------------------------- table entry */

static const struct cmd_sub interfaceconfig_subs[] = {
	{ .name = "print", .help = "Display the AsyncOS API settings of the Management interface.",
	    .exec = b_print },
	{ .name = "api", .help = "Change the AsyncOS API settings: key=value...",
	    .keys = &api_keyset, .exec = b_api },
	{ .exec = NULL },
};

/* interfaceconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
interfaceconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_interfaceconfig_entry, argc, argv);
}

const struct cmd_entry cmd_interfaceconfig_entry = {
	.name = "interfaceconfig",
	.usage = "interfaceconfig\n"
		 "interfaceconfig print\n"
		 "interfaceconfig api [http=yes|no] [http_port=PORT] [https=yes|no] "
		 "[https_port=PORT] [address=IP]",
	.help = "Configure the Management interface's AsyncOS API (HTTP and HTTPS ports).",
	.flags = CMD_F_CONFIG,
	.subs = interfaceconfig_subs,
	.exec = interfaceconfig_exec,
};
