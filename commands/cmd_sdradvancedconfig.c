/*
 * cmd_sdradvancedconfig.c - `sdradvancedconfig`: the Sender Domain
 * Reputation query timeout, the domain exception list and how it
 * matches, and the sources: DNS domain blocklists with their return
 * codes, the local reputation table (CSV import and export), external
 * threat feeds (TAXII 2.1 collections) and RDAP for domain ages.
 *
 *   sdradvancedconfig                         the dialogue
 *   sdradvancedconfig key=value...            timeout= exception_list=
 *                                             exception_envfrom_only= rdap_url=
 *                                             rdap_bootstrap= cache_ttl= verify_peer=
 *                                             feed_interval=
 *                                             (host= debug_rpc_server=
 *                                             debug_http_client=: noted, ignored)
 *   sdradvancedconfig print
 *   sdradvancedconfig blocklist new|edit ZONE codes=ANSWER:VERDICT[/CATEGORY],...
 *   sdradvancedconfig blocklist delete ZONE | print
 *   sdradvancedconfig local add DOMAIN VERDICT[/CATEGORY] | delete DOMAIN
 *   sdradvancedconfig local import FILE | export FILE [force] | print
 *   sdradvancedconfig feed new NAME url=URL | delete NAME | print
 *
 * The dialogue asks AsyncOS's questions first (the query timeout, "Do
 * you want exception list matches based on envelope-from domain?", the
 * exception list), stages those answers together, then offers the
 * sources menu. The operations themselves are sdrconfig.c's, shared by
 * both front ends; the key=value words are checked one by one and all
 * of them before any is staged.
 *
 * AsyncOS's batch form also names the vendor's SDR service and its
 * debug levels (host=, debug_rpc_server=, debug_http_client=). A gateway
 * on open signals has no such service, so those words are accepted, so
 * that AsyncOS scripts run, with one line saying they do not apply;
 * nothing is staged for them (verify_peer= is sdr.verify_peer).
 *
 * DIAGNOSTICS: one error line per refusal; nothing is staged by a
 * refused line. A dialogue in which an operation was refused fails.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/sdrconfig.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"

extern const struct cmd_entry cmd_sdradvancedconfig_entry;

/* Longest answer: a URL, a path or a line of return codes. */
#define ANSWER_MAX 4096

/* ---------------------------------------------------------- settings keys */

/* The settings of the nameless sub-command, in key order (keys[] below). */
static const char *const key_settings[] = {
	"sdr.timeout", "sdr.exception_list", "sdr.exception_envfrom_only", "sdr.rdap_url",
	"sdr.rdap_bootstrap", "sdr.cache_ttl", "sdr.verify_peer", "sdr.feed_interval",
};
#define NKEYS ((int)(sizeof(key_settings) / sizeof(key_settings[0])))
enum { K_TIMEOUT, K_LIST, K_ENVFROM, K_RDAP_URL, K_BOOTSTRAP, K_TTL, K_VERIFY, K_INTERVAL };

/* AsyncOS's keys for its vendor service, after the settings' in adv_keys: accepted, not staged. */
static const char *const vendor_keys[] = { "host", "debug_rpc_server", "debug_http_client" };
#define NVENDOR ((int)(sizeof(vendor_keys) / sizeof(vendor_keys[0])))

/* The values a key=value line gives. */
struct adv_vals {
	struct cli *c;
	char *v[NKEYS];		/* malloc'd, NULL when not given */
	int vendor[NVENDOR];	/* vendor_keys[i] was given */
};

static const struct cmd_key adv_keys[] = {
	{ .name = "timeout", .type = CMD_KEY_INT, .setting = "sdr.timeout",
	    .check = cmd_keys_setting,
	    .help = "seconds for all lookups of one message, 1-10 (default 2)" },
	{ .name = "exception_list", .type = CMD_KEY_TEXT,
	    .help = "the global domain exception list: a domain-only address list (empty: none)" },
	{ .name = "exception_envfrom_only", .type = CMD_KEY_YESNO, .check = cmd_keys_yesno,
	    .help = "yes: exception lists match the envelope-from domain only (default no)" },
	{ .name = "rdap_url", .type = CMD_KEY_TEXT,
	    .help = "RDAP base URL for domain ages, http(s)://.../ (empty: none)" },
	{ .name = "rdap_bootstrap", .type = CMD_KEY_TEXT,
	    .help = "import an RDAP bootstrap file (RFC 9224 dns.json; empty: remove it)" },
	{ .name = "cache_ttl", .type = CMD_KEY_INT, .setting = "sdr.cache_ttl",
	    .check = cmd_keys_setting,
	    .help = "longest time an answer is cached, 10-604800 seconds (default 3600)" },
	{ .name = "verify_peer", .type = CMD_KEY_YESNO, .check = cmd_keys_yesno,
	    .help = "verify RDAP and TAXII server certificates (default yes)" },
	{ .name = "feed_interval", .type = CMD_KEY_INT, .setting = "sdr.feed_interval",
	    .check = cmd_keys_setting,
	    .help = "seconds between polls of the threat feeds, 60-604800 (default 3600)" },
	/* vendor_keys, in its order */
	{ .name = "host", .type = CMD_KEY_TEXT,
	    .help = "AsyncOS's SDR service host: does not apply here (ignored)" },
	{ .name = "debug_rpc_server", .type = CMD_KEY_TEXT,
	    .help = "AsyncOS's SDR service log level: does not apply here (ignored)" },
	{ .name = "debug_http_client", .type = CMD_KEY_TEXT,
	    .help = "AsyncOS's SDR service log level: does not apply here (ignored)" },
	{ .name = NULL },
};

/* adv_set - cmd_keyset.set: the values that need more than the settings row */
static int
adv_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct adv_vals *a = obj;
	/* k is an element of adv_keys, which lists the keys in key_settings' order */
	int i = (int)(k - adv_keys);
	char out[SDRCONF_URL_MAX + 2];

	switch (i) {
	case K_LIST:
		if (sdrconfig_exception_list(a->c, value, out, sizeof(out), cause) < 0)
			return -1;
		a->v[i] = str_dup(out);
		return 0;
	case K_RDAP_URL:
		if (sdrconfig_rdap_url(value, out, sizeof(out), cause) < 0)
			return -1;
		a->v[i] = str_dup(out);
		return 0;
	case K_BOOTSTRAP:
		a->v[i] = *value ? sdrconfig_bootstrap(a->c, value, cause) : str_dup("");
		return a->v[i] ? 0 : -1;
	default:
		if (i >= NKEYS && i < NKEYS + NVENDOR) {
			a->vendor[i - NKEYS] = 1;
			return 0;
		}
		if (i >= NKEYS) {
			*cause = str_printf("The key %s has no setting.", k->name);
			return -1;
		}
		a->v[i] = str_dup(value);
		return 0;
	}
}

static const struct cmd_keyset adv_keyset = { .keys = adv_keys, .set = adv_set };

/* note_vendor - one line naming the vendor keys given, which nothing stages */
static void
note_vendor(struct cli *c, const struct adv_vals *a)
{
	struct buf b;
	int n = 0;

	buf_init(&b, 0);
	buf_addstr(&b, "");
	for (int i = 0; i < NVENDOR; i++)
		if (a->vendor[i]) {
			buf_addstr(&b, n++ ? ", " : "");
			buf_addstr(&b, vendor_keys[i]);
		}
	if (n > 0)
		cli_printf(c, "Note: %s %s ignored: this gateway has no Sender Domain Reputation "
			      "service to connect to (its verdicts come from its own sources).\n",
		    b.data, n == 1 ? "was" : "were");
	buf_free(&b);
}

/* b_settings - sdradvancedconfig key=value... : all checked, then staged together */
static enum cmd_ret
b_settings(struct cli *c, const struct cmd_call *call)
{
	struct adv_vals a = { .c = c };
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, &a, NULL) == 0)
		r = sdrconfig_stage(c, key_settings, (const char *const *)a.v, NKEYS);
	if (r == CMD_OK)
		note_vendor(c, &a);
	for (int i = 0; i < NKEYS; i++)
		free(a.v[i]);
	return r;
}

/* ---------------------------------------------------------- dialogue */

/* A dialogue in progress. */
struct dlg {
	struct cli *c;
	int failed;		/* an operation was refused */
};

/* note - remember a refused operation (the command then fails) */
static void
note(struct dlg *d, enum cmd_ret r)
{
	if (r != CMD_OK)
		d->failed = 1;
}

/* is_none - the answer that clears a value */
static int
is_none(const char *s)
{
	return strcasecmp(s, "none") == 0;
}

/* ask_list - the exception list, asked again until it names a domain-only list or none */
static enum ask_ret
ask_list(struct cli *c, const char *cur, char *out, size_t size)
{
	char in[ADDRLIST_NAME_MAX + 64], *cause = NULL;
	enum ask_ret a;

	for (;;) {
		/*
		 * with no list set, an empty answer is "none" (AsyncOS's
		 * question); with one set, it keeps it and NONE clears it
		 */
		if (*cur == '\0')
			a = cli_ask(c, "Enter the name of the domain exception list (an address "
				       "list of domains; empty for none)",
			    NULL, in, sizeof(in));
		else
			a = cli_ask(c, "Enter the name of the domain exception list (an address "
				       "list of domains; NONE for none)",
			    cur, in, sizeof(in));
		if (a == ASK_BACK && *cur == '\0') {
			in[0] = '\0';
			a = ASK_OK;
		}
		if (a != ASK_OK)
			return a;
		if (is_none(in))
			in[0] = '\0';
		if (sdrconfig_exception_list(c, in, out, size, &cause) == 0)
			return ASK_OK;
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
	}
}

/* dlg_first - AsyncOS's questions: timeout, envelope-from matching, exception list */
static enum ask_ret
dlg_first(struct dlg *d)
{
	struct cli *c = d->c;
	struct sdr_conf conf;
	char list[ADDRLIST_NAME_MAX + 1], timeout[16];
	const char *vals[NKEYS] = { NULL };
	enum ask_ret a;
	long t;
	int envfrom;

	if (sdrconfig_load(c, &conf) < 0) {
		d->failed = 1;
		return ASK_BACK;
	}
	a = cli_ask_number(c, "Enter the Sender Domain Reputation query timeout (1-10 seconds)",
	    conf.timeout, 1, 10, &t);
	if (a == ASK_OK)
		a = cli_ask_yesno(c, "Do you want exception list matches based on envelope-from "
				     "domain?",
		    conf.envfrom_only, &envfrom);
	if (a == ASK_OK)
		a = ask_list(c, conf.exception_list, list, sizeof(list));
	sdrconf_free(&conf);
	if (a != ASK_OK)
		return a;
	str_fmt(timeout, sizeof(timeout), "%ld", t);
	vals[K_TIMEOUT] = timeout;
	vals[K_ENVFROM] = envfrom ? "yes" : "no";
	vals[K_LIST] = list;
	note(d, sdrconfig_stage(c, key_settings, vals, NKEYS));
	return ASK_OK;
}

/*
 * ask_checked - a free-text answer, asked again until check accepts it
 * (check prints nothing: its cause is printed here); def NULL: none, an
 * empty answer goes back
 */
static enum ask_ret
ask_checked(struct cli *c, const char *question, const char *def, char *out, size_t size,
    int (*check)(const char *in, char **cause))
{
	char *cause = NULL;
	enum ask_ret a;

	for (;;) {
		a = cli_ask(c, question, def, out, size);
		if (a != ASK_OK || check == NULL || check(out, &cause) == 0)
			return a;
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
		question = NULL;
	}
}

/* check_zone, check_codes, check_feed_name, check_feed_url - ask_checked's checks */
static int
check_zone(const char *in, char **cause)
{
	char zone[256];

	return sdrconf_zone_parse(in, zone, sizeof(zone), cause);
}

static int
check_codes(const char *in, char **cause)
{
	struct sdr_codes codes;
	char *why = NULL;

	if (sdr_codes_parse(in, &codes, &why) == 0)
		return 0;
	*cause = str_printf("Invalid codes '%.100s': %s.", in, why);
	free(why);
	return -1;
}

static int
check_feed_name(const char *in, char **cause)
{
	return sdrconf_feed_name_valid(in, cause);
}

static int
check_feed_url(const char *in, char **cause)
{
	return sdrconf_feed_url_check(in, cause);
}

/* pick - one of n names as a numbered list; ASK_BACK when there is none */
static enum ask_ret
pick(struct cli *c, const char *question, const char *none, const char *const *names, int n,
    int *out)
{
	if (n == 0) {
		cli_printf(c, "%s\n", none);
		return ASK_BACK;
	}
	return cli_ask_list(c, question, names, n, 0, out);
}

#define FEED_URL_QUESTION \
	"Enter the objects URL of the TAXII 2.1 collection " \
	"(http(s)://HOST/API-ROOT/collections/ID/objects/)"

#define CODES_QUESTION \
	"Enter the return codes, ANSWER:VERDICT[/CATEGORY] separated by commas\n" \
	"(verdicts: Awful, Poor, Tainted, Weak, Unknown, Neutral, Good; for example " \
	"127.0.1.2:Awful/Spam,127.0.1.4:Poor/Phishing)"

/* dlg_blocklist - BLOCKLIST: NEW, EDIT, DELETE, PRINT until an empty answer */
static enum ask_ret
dlg_blocklist(struct dlg *d)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Add a DNS domain blocklist." },
		{ "EDIT", "Change the return codes of a blocklist." },
		{ "DELETE", "Remove a blocklist." },
		{ "PRINT", "Display the blocklists." },
	};
	struct cli *c = d->c;
	char zone[300], *codes = xmalloc(ANSWER_MAX);
	enum ask_ret a;
	int op, k;

	for (;;) {
		struct sdr_conf conf;
		const char *names[SDRCONF_MAX_BLOCKLISTS];
		char cur[ANSWER_MAX];

		a = cli_ask_menu(c, NULL, ops, 4, &op);
		if (a != ASK_OK)
			break;
		if (op == 0) {
			a = ask_checked(c, "Enter the blocklist zone (a domain name such as "
					   "dbl.example.net)",
			    NULL, zone, sizeof(zone), check_zone);
			if (a == ASK_OK)
				a = ask_checked(c, CODES_QUESTION, NULL, codes, ANSWER_MAX,
				    check_codes);
			if (a == ASK_OK)
				note(d, sdrconfig_blocklist_put(c, zone, codes, 0));
		} else if (op == 3) {
			note(d, sdrconfig_blocklist_print(c));
		} else {
			if (sdrconfig_load(c, &conf) < 0) {
				d->failed = 1;
				continue;
			}
			for (int i = 0; i < conf.nblocklists; i++)
				names[i] = conf.blocklists[i].zone;
			a = pick(c, op == 1 ? "Choose the blocklist to edit:" :
					      "Choose the blocklist to delete:",
			    "No DNS blocklists are configured.", names, conf.nblocklists, &k);
			if (a == ASK_OK) {
				str_copy(zone, conf.blocklists[k].zone, sizeof(zone));
				sdr_codes_format(&conf.blocklists[k].codes, cur, sizeof(cur));
			}
			sdrconf_free(&conf);
			if (a == ASK_OK && op == 1)
				a = ask_checked(c, CODES_QUESTION, cur, codes, ANSWER_MAX,
				    check_codes);
			if (a == ASK_OK)
				note(d, op == 1 ? sdrconfig_blocklist_put(c, zone, codes, 1) :
						  sdrconfig_blocklist_delete(c, zone));
		}
		if (a == ASK_ABORT)
			break;
	}
	free(codes);
	return a == ASK_ABORT ? ASK_ABORT : ASK_OK;
}

/* dlg_local_add - LOCAL > ADD: domain, verdict, category */
static enum ask_ret
dlg_local_add(struct dlg *d)
{
	const char *verdicts[SDR_NVERDICTS];
	char domain[SDR_DOMAIN_MAX + 2], cat[SDR_CATEGORY_MAX + 2], spec[80];
	enum ask_ret a;
	int v;

	for (int i = 0; i < SDR_NVERDICTS; i++)
		verdicts[i] = sdr_verdict_name((enum sdr_verdict)i);
	a = cli_ask(d->c, "Enter the domain", NULL, domain, sizeof(domain));
	if (a == ASK_OK)
		a = cli_ask_list(d->c, "Choose the verdict for this domain:", verdicts,
		    SDR_NVERDICTS, 0, &v);
	if (a == ASK_OK) {
		a = cli_ask(d->c, "Enter the threat category (such as Spam, Malware or Phishing; "
				  "empty for none)",
		    NULL, cat, sizeof(cat));
		if (a == ASK_BACK) {
			cat[0] = '\0';
			a = ASK_OK;
		}
	}
	if (a != ASK_OK)
		return a;
	str_fmt(spec, sizeof(spec), "%s%s%s", verdicts[v], cat[0] ? "/" : "", cat);
	note(d, sdrconfig_local_add(d->c, domain, spec));
	return ASK_OK;
}

/* dlg_local - LOCAL: ADD, DELETE, IMPORT, EXPORT, PRINT until an empty answer */
static enum ask_ret
dlg_local(struct dlg *d)
{
	static const struct cli_choice ops[] = {
		{ "ADD", "Add or replace the entry of a domain." },
		{ "DELETE", "Remove the entry of a domain." },
		{ "IMPORT", "Add the entries of a CSV file (domain,verdict[,category])." },
		{ "EXPORT", "Write the table to a CSV file in the configuration directory." },
		{ "PRINT", "Display the local reputation table." },
	};
	struct cli *c = d->c;
	char *in = xmalloc(ANSWER_MAX);
	enum ask_ret a;
	int op, force;

	for (;;) {
		a = cli_ask_menu(c, NULL, ops, 5, &op);
		if (a != ASK_OK)
			break;
		switch (op) {
		case 0:
			a = dlg_local_add(d);
			break;
		case 1:
			a = cli_ask(c, "Enter the domain to remove from the local reputation table",
			    NULL, in, ANSWER_MAX);
			if (a == ASK_OK)
				note(d, sdrconfig_local_delete(c, in));
			break;
		case 2:
			a = cli_ask(c, "Enter the path of the CSV file to import", NULL, in,
			    ANSWER_MAX);
			if (a == ASK_OK)
				note(d, sdrconfig_local_import(c, in));
			break;
		case 3:
			a = cli_ask(c, "Enter the name of the file to write in the configuration "
				       "directory",
			    NULL, in, ANSWER_MAX);
			if (a == ASK_OK)
				a = cli_ask_yesno(c, "Replace the file if it exists?", 0, &force);
			if (a == ASK_OK)
				note(d, sdrconfig_local_export(c, in, force));
			break;
		default:
			note(d, sdrconfig_local_print(c));
			break;
		}
		if (a == ASK_ABORT)
			break;
	}
	free(in);
	return a == ASK_ABORT ? ASK_ABORT : ASK_OK;
}

/* dlg_feed - FEED: NEW, DELETE, PRINT until an empty answer */
static enum ask_ret
dlg_feed(struct dlg *d)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Add a TAXII 2.1 collection to poll." },
		{ "DELETE", "Remove a feed." },
		{ "PRINT", "Display the feeds." },
	};
	struct cli *c = d->c;
	char name[SDRCONF_FEED_NAME_MAX + 2], *url = xmalloc(ANSWER_MAX);
	enum ask_ret a;
	int op, k;

	for (;;) {
		struct sdr_conf conf;
		const char *names[SDRCONF_MAX_FEEDS];

		a = cli_ask_menu(c, NULL, ops, 3, &op);
		if (a != ASK_OK)
			break;
		if (op == 0) {
			a = ask_checked(c, "Enter a name for the feed", NULL, name, sizeof(name),
			    check_feed_name);
			if (a == ASK_OK)
				a = ask_checked(c, FEED_URL_QUESTION, NULL, url, ANSWER_MAX,
				    check_feed_url);
			if (a == ASK_OK)
				note(d, sdrconfig_feed_new(c, name, url));
		} else if (op == 1) {
			if (sdrconfig_load(c, &conf) < 0) {
				d->failed = 1;
				continue;
			}
			for (int i = 0; i < conf.nfeeds; i++)
				names[i] = conf.feeds[i].name;
			a = pick(c, "Choose the feed to delete:",
			    "No external threat feeds are configured.", names, conf.nfeeds, &k);
			if (a == ASK_OK)
				str_copy(name, conf.feeds[k].name, sizeof(name));
			sdrconf_free(&conf);
			if (a == ASK_OK)
				note(d, sdrconfig_feed_delete(c, name));
		} else {
			note(d, sdrconfig_feed_print(c));
		}
		if (a == ASK_ABORT)
			break;
	}
	free(url);
	return a == ASK_ABORT ? ASK_ABORT : ASK_OK;
}

/* dlg_rdap - RDAP: URL, BOOTSTRAP, CLEAR until an empty answer */
static enum ask_ret
dlg_rdap(struct dlg *d)
{
	static const struct cli_choice ops[] = {
		{ "URL", "Set the RDAP base URL asked for domain ages." },
		{ "BOOTSTRAP", "Import an RDAP bootstrap file (RFC 9224 dns.json)." },
		{ "CLEAR", "Remove the base URL and the bootstrap file." },
	};
	struct cli *c = d->c;
	char *in = xmalloc(ANSWER_MAX), out[SDRCONF_URL_MAX + 2], *cause = NULL, *text;
	const char *vals[NKEYS];
	enum ask_ret a;
	int op;

	for (;;) {
		struct sdr_conf conf;

		if (sdrconfig_load(c, &conf) < 0) {
			a = ASK_BACK;
			d->failed = 1;
			break;
		}
		cli_printf(c, "\nRDAP base URL:        %s\n",
		    conf.rdap_url[0] ? conf.rdap_url : "none");
		cli_printf(c, "RDAP bootstrap file:  %s\n",
		    conf.rdap_bootstrap[0] ? "imported" : "none");
		op = -1;
		a = cli_ask_menu(c, NULL, ops, 3, &op);
		if (a != ASK_OK)
			op = -1;
		memset(vals, 0, sizeof(vals));
		if (a == ASK_OK && op == 0) {
			for (;;) {
				a = cli_ask(c, "Enter the RDAP base URL (http:// or https://; "
					       "NONE for none)",
				    conf.rdap_url[0] ? conf.rdap_url : "none", in, ANSWER_MAX);
				if (a != ASK_OK)
					break;
				if (sdrconfig_rdap_url(is_none(in) ? "" : in, out, sizeof(out),
				    &cause) == 0)
					break;
				cli_error(c, "%s", cause);
				free(cause);
				cause = NULL;
			}
			vals[K_RDAP_URL] = out;
			if (a == ASK_OK)
				note(d, sdrconfig_stage(c, key_settings, vals, NKEYS));
		} else if (a == ASK_OK && op == 1) {
			a = cli_ask(c, "Enter the path of the RDAP bootstrap file to import",
			    NULL, in, ANSWER_MAX);
			if (a == ASK_OK && (text = sdrconfig_bootstrap(c, in, &cause)) == NULL) {
				cli_error(c, "%s", cause);
				free(cause);
				cause = NULL;
				d->failed = 1;
			} else if (a == ASK_OK) {
				vals[K_BOOTSTRAP] = text;
				note(d, sdrconfig_stage(c, key_settings, vals, NKEYS));
				free(text);
			}
		} else if (a == ASK_OK) {
			vals[K_RDAP_URL] = "";
			vals[K_BOOTSTRAP] = "";
			note(d, sdrconfig_stage(c, key_settings, vals, NKEYS));
		}
		sdrconf_free(&conf);
		if (a == ASK_ABORT || (a == ASK_BACK && op < 0))
			break;
	}
	free(in);
	return a == ASK_ABORT ? ASK_ABORT : ASK_OK;
}

/* dlg_options - OPTIONS: cache time, certificate checks, poll interval */
static enum ask_ret
dlg_options(struct dlg *d)
{
	struct sdr_conf conf;
	const char *vals[NKEYS] = { NULL };
	char ttl[16], interval[16];
	enum ask_ret a;
	long t, iv;
	int verify;

	if (sdrconfig_load(d->c, &conf) < 0) {
		d->failed = 1;
		return ASK_BACK;
	}
	a = cli_ask_number(d->c, "Enter the longest time in seconds an answer is cached "
				 "(10-604800)",
	    conf.cache_ttl, 10, 604800, &t);
	if (a == ASK_OK)
		a = cli_ask_yesno(d->c, "Do you want to verify the certificates of RDAP and TAXII "
					"servers?",
		    conf.verify_peer, &verify);
	if (a == ASK_OK)
		a = cli_ask_number(d->c, "Enter the number of seconds between polls of the "
					 "external threat feeds (60-604800)",
		    conf.feed_interval, 60, 604800, &iv);
	sdrconf_free(&conf);
	if (a != ASK_OK)
		return a;
	str_fmt(ttl, sizeof(ttl), "%ld", t);
	str_fmt(interval, sizeof(interval), "%ld", iv);
	vals[K_TTL] = ttl;
	vals[K_VERIFY] = verify ? "yes" : "no";
	vals[K_INTERVAL] = interval;
	note(d, sdrconfig_stage(d->c, key_settings, vals, NKEYS));
	return ASK_OK;
}

/* dialog - the first questions, then the sources menu until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "BLOCKLIST", "Configure the DNS domain blocklists." },
		{ "LOCAL", "Configure the local reputation table." },
		{ "FEED", "Configure the external threat feeds (STIX/TAXII)." },
		{ "RDAP", "Configure the domain age lookups (RDAP)." },
		{ "OPTIONS", "Set the answer cache time, certificate checks and feed poll "
			     "interval." },
	};
	struct dlg d = { c, 0 };
	enum ask_ret a;
	int op;

	a = dlg_first(&d);
	while (a == ASK_OK || a == ASK_BACK) {
		cli_printf(c, "\n");
		if (sdrconfig_print_settings(c) != CMD_OK)
			return CMD_ERROR;
		a = cli_ask_menu(c, NULL, ops, 5, &op);
		if (a != ASK_OK)
			break;
		switch (op) {
		case 0:
			a = dlg_blocklist(&d);
			break;
		case 1:
			a = dlg_local(&d);
			break;
		case 2:
			a = dlg_feed(&d);
			break;
		case 3:
			a = dlg_rdap(&d);
			break;
		default:
			a = dlg_options(&d);
			break;
		}
	}
	if (a == ASK_ABORT)
		return CMD_ABORTED;
	return d.failed ? CMD_ERROR : CMD_OK;
}

/* ---------------------------------------------------------- batch sources */

/* b_print - sdradvancedconfig print */
static enum cmd_ret
b_print(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return sdrconfig_print_settings(c);
}

/* The codes= of blocklist new|edit. */
struct codes_val {
	char *codes;		/* malloc'd */
};

/* codes_set - cmd_keyset.set: keep the text; sdrconfig_blocklist_put judges it */
static int
codes_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct codes_val *v = obj;

	(void)k;
	(void)cause;
	free(v->codes);
	v->codes = str_dup(value);
	return 0;
}

static const struct cmd_key codes_keys[] = {
	{ .name = "codes", .type = CMD_KEY_LIST,
	    .help = "ANSWER:VERDICT[/CATEGORY],... e.g. 127.0.1.2:Awful/Spam,127.0.1.4:Poor" },
	{ .name = NULL },
};

static const struct cmd_keyset codes_keyset = { .keys = codes_keys, .set = codes_set };
static const char *const codes_required[] = { "codes", NULL };

/* b_blocklist_put - blocklist new|edit ZONE codes=... */
static enum cmd_ret
b_blocklist_put(struct cli *c, const struct cmd_call *call)
{
	struct codes_val v = { NULL };
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, &v, NULL) == 0)
		r = sdrconfig_blocklist_put(c, call->argv[0], v.codes,
		    strcmp(call->sub->name, "edit") == 0);
	free(v.codes);
	return r;
}

static enum cmd_ret
b_blocklist_delete(struct cli *c, const struct cmd_call *call)
{
	return sdrconfig_blocklist_delete(c, call->argv[0]);
}

static enum cmd_ret
b_blocklist_print(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return sdrconfig_blocklist_print(c);
}

static enum cmd_ret
b_local_add(struct cli *c, const struct cmd_call *call)
{
	return sdrconfig_local_add(c, call->argv[0], call->argv[1]);
}

static enum cmd_ret
b_local_delete(struct cli *c, const struct cmd_call *call)
{
	return sdrconfig_local_delete(c, call->argv[0]);
}

static enum cmd_ret
b_local_import(struct cli *c, const struct cmd_call *call)
{
	return sdrconfig_local_import(c, call->argv[0]);
}

static enum cmd_ret
b_local_export(struct cli *c, const struct cmd_call *call)
{
	return sdrconfig_local_export(c, call->argv[0], call->argc == 2);
}

static enum cmd_ret
b_local_print(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return sdrconfig_local_print(c);
}

/* The url= of feed new. */
static int
url_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	char **url = obj;

	(void)k;
	(void)cause;
	free(*url);
	*url = str_dup(value);
	return 0;
}

static const struct cmd_key url_keys[] = {
	{ .name = "url", .type = CMD_KEY_TEXT,
	    .help = "the collection's objects URL, http(s)://HOST/ROOT/collections/ID/objects/" },
	{ .name = NULL },
};

static const struct cmd_keyset url_keyset = { .keys = url_keys, .set = url_set };
static const char *const url_required[] = { "url", NULL };

static enum cmd_ret
b_feed_new(struct cli *c, const struct cmd_call *call)
{
	char *url = NULL;
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, &url, NULL) == 0)
		r = sdrconfig_feed_new(c, call->argv[0], url);
	free(url);
	return r;
}

static enum cmd_ret
b_feed_delete(struct cli *c, const struct cmd_call *call)
{
	return sdrconfig_feed_delete(c, call->argv[0]);
}

static enum cmd_ret
b_feed_print(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return sdrconfig_feed_print(c);
}

/* ---------------------------------------------------------- the table */

static const struct cmd_word zone_word[] = {
	{ "<ZONE>", "a blocklist zone, such as dbl.example.net", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word verdict_word[] = {
	{ "<VERDICT>", "Awful, Poor, Tainted, Weak, Unknown, Neutral or Good, then /CATEGORY if "
		       "you like", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word domain_verdict[] = {
	{ "<DOMAIN>", "the domain (its subdomains are other entries)", verdict_word },
	{ NULL, NULL, NULL },
};

static const struct cmd_word domain_word[] = {
	{ "<DOMAIN>", "a domain of the local reputation table", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word file_word[] = {
	{ "<FILE>", "the CSV file to read: domain,verdict[,category] per line", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word force_word[] = {
	{ "force", "Replace the file if it exists.", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word export_word[] = {
	{ "<FILE>", "a file name in the data directory's configuration directory", force_word },
	{ NULL, NULL, NULL },
};

static const struct cmd_word feed_word[] = {
	{ "<NAME>", "the feed's name: a letter, then letters, digits, '_', '-', '.'", NULL },
	{ NULL, NULL, NULL },
};

#define BLOCKLIST_USAGE \
	"sdradvancedconfig blocklist new|edit ZONE codes=ANSWER:VERDICT[/CATEGORY],..."

static const struct cmd_sub blocklist_subs[] = {
	{ .name = "new", .help = "Add a DNS domain blocklist with its return codes.",
	    .args = zone_word, .min_args = 1, .keys = &codes_keyset, .required = codes_required,
	    .needs = "a blocklist needs its return codes, such as codes=127.0.1.2:Awful/Spam",
	    .usage = BLOCKLIST_USAGE,
	    .exec = b_blocklist_put },
	{ .name = "edit", .help = "Replace the return codes of a blocklist.", .args = zone_word,
	    .min_args = 1, .keys = &codes_keyset, .required = codes_required,
	    .needs = "give the new return codes, such as codes=127.0.1.2:Awful/Spam",
	    .usage = BLOCKLIST_USAGE,
	    .exec = b_blocklist_put },
	{ .name = "delete", .help = "Remove a blocklist.", .args = zone_word, .min_args = 1,
	    .max_args = 1,
	    .usage = "sdradvancedconfig blocklist delete ZONE", .exec = b_blocklist_delete },
	{ .name = "print", .help = "Display the blocklists.", .exec = b_blocklist_print },
	{ .exec = NULL },
};

static const struct cmd_sub local_subs[] = {
	{ .name = "add", .help = "Add or replace the entry of a domain.", .args = domain_verdict,
	    .min_args = 2, .max_args = 2,
	    .usage = "sdradvancedconfig local add DOMAIN VERDICT[/CATEGORY]", .exec = b_local_add },
	{ .name = "delete", .help = "Remove the entry of a domain.", .args = domain_word,
	    .min_args = 1, .max_args = 1,
	    .usage = "sdradvancedconfig local delete DOMAIN", .exec = b_local_delete },
	{ .name = "import", .help = "Add the entries of a CSV file (all of them or none).",
	    .args = file_word, .min_args = 1, .max_args = 1,
	    .usage = "sdradvancedconfig local import FILE", .exec = b_local_import },
	{ .name = "export", .help = "Write the table to a CSV file under the data directory.",
	    .args = export_word, .min_args = 1, .max_args = 2,
	    .usage = "sdradvancedconfig local export FILE [force]", .exec = b_local_export },
	{ .name = "print", .help = "Display the local reputation table.", .exec = b_local_print },
	{ .exec = NULL },
};

static const struct cmd_sub feed_subs[] = {
	{ .name = "new", .help = "Add a TAXII 2.1 collection to poll.", .args = feed_word,
	    .min_args = 1, .keys = &url_keyset, .required = url_required,
	    .needs = "a feed needs the objects URL of its TAXII collection",
	    .usage = "sdradvancedconfig feed new NAME url=URL",
	    .exec = b_feed_new },
	{ .name = "delete", .help = "Remove a feed.", .args = feed_word, .min_args = 1,
	    .max_args = 1,
	    .usage = "sdradvancedconfig feed delete NAME", .exec = b_feed_delete },
	{ .name = "print", .help = "Display the feeds.", .exec = b_feed_print },
	{ .exec = NULL },
};

static const struct cmd_sub sdradvancedconfig_subs[] = {
	{ .name = NULL, .help = "Change settings: key=value...", .keys = &adv_keyset,
	    .exec = b_settings },
	{ .name = "print", .help = "Display the settings and a summary of the sources.",
	    .exec = b_print },
	{ .name = "blocklist", .help = "DNS domain blocklists: new, edit, delete, print.",
	    .subs = blocklist_subs, .exec = b_blocklist_print },
	{ .name = "local", .help = "The local reputation table: add, delete, import, export, "
				   "print.",
	    .subs = local_subs, .exec = b_local_print },
	{ .name = "feed", .help = "External threat feeds (TAXII 2.1): new, delete, print.",
	    .subs = feed_subs, .exec = b_feed_print },
	{ .exec = NULL },
};

/* sdradvancedconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
sdradvancedconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_sdradvancedconfig_entry, argc, argv);
}

const struct cmd_entry cmd_sdradvancedconfig_entry = {
	.name = "sdradvancedconfig",
	.usage = "sdradvancedconfig\n"
		 "sdradvancedconfig timeout=SECONDS [host=HOST] [verify_peer=yes|no] "
		 "[debug_rpc_server=LEVEL] [debug_http_client=LEVEL]\n"
		 "sdradvancedconfig exception_list=[LIST] [exception_envfrom_only=yes|no]\n"
		 "sdradvancedconfig rdap_url=[URL] [rdap_bootstrap=[FILE]]\n"
		 "sdradvancedconfig cache_ttl=SECONDS [verify_peer=yes|no] "
		 "[feed_interval=SECONDS]\n"
		 "sdradvancedconfig print\n"
		 "sdradvancedconfig blocklist new|edit ZONE codes=ANSWER:VERDICT[/CATEGORY],...\n"
		 "sdradvancedconfig blocklist delete ZONE\n"
		 "sdradvancedconfig blocklist print\n"
		 "sdradvancedconfig local add DOMAIN VERDICT[/CATEGORY]\n"
		 "sdradvancedconfig local delete DOMAIN\n"
		 "sdradvancedconfig local import FILE\n"
		 "sdradvancedconfig local export FILE [force]\n"
		 "sdradvancedconfig local print\n"
		 "sdradvancedconfig feed new NAME url=URL\n"
		 "sdradvancedconfig feed delete NAME\n"
		 "sdradvancedconfig feed print",
	.help = "Configure Sender Domain Reputation: timeout, exception list and sources.",
	.flags = CMD_F_CONFIG,
	.subs = sdradvancedconfig_subs,
	.exec = sdradvancedconfig_exec,
};
