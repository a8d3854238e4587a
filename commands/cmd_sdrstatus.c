/*
 * cmd_sdrstatus.c - `sdrstatus [-d DOMAIN]`: whether Sender Domain
 * Reputation is on, its sources (blocklists with their return codes, the
 * local table, RDAP, the feeds with their polling state from queue.db),
 * and mxgated's gauges; with -d, what every source says about one domain
 * now ("explain").
 *
 * Explain asks mxgated (request "sdrexplain", arg "ID DOMAIN"), which
 * asks every source as it would for a message and writes the answers as
 * text into queue state "sdr.explain.ID"; the shell waits for that row
 * (SDRSTATUS_EXPLAIN_MS at most, Ctrl-C stops), prints it and deletes
 * it. ID is a random positive number the shell chooses: the request's
 * own row id is not known before the row is written, and the daemon only
 * needs a name for its answer that no other shell uses. Without mxgated
 * the shell says what it can read itself: the local table and the stored
 * feed indicators, and that DNS blocklists and RDAP were not asked.
 *
 * sdrstatus_print and sdrstatus_explain serve sdrdiagnostics too.
 *
 * DIAGNOSTICS: one error line: a domain that is not a domain name,
 * queue.db that cannot be read, mxgated not answering in time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/sdrconfig.h"
#include "store/queue.h"
#include "store/sdrfeed.h"
#include "util/str.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_sdrstatus_entry;

/* How long explain waits for mxgated's answer (every source's timeout, and some). */
#define SDRSTATUS_EXPLAIN_MS 15000
/* How often it looks. */
#define SDRSTATUS_POLL_MS 50

/* ---------------------------------------------------------- status */

/* The feeds' states, gathered from queue.db. */
struct states {
	int n;
	struct sdrfeed_state *s;
};

/* state_one - sdrfeed_list callback */
static int
state_one(const struct sdrfeed_state *st, void *arg)
{
	struct states *ss = arg;

	ss->s = xrealloc(ss->s, ((size_t)ss->n + 1) * sizeof(*st));
	ss->s[ss->n++] = *st;
	return 0;
}

/* when - "never" or the ctime form */
static const char *
when(time_t t, char *buf, size_t size)
{
	if (t == 0)
		str_copy(buf, "never", size);
	else
		timefmt_ctime(t, buf, size);
	return buf;
}

/* print_feeds - each configured feed with its polling state (queue.db); -1 error printed */
static int
print_feeds(struct cli *c, const struct sdr_conf *conf)
{
	struct states ss = { 0, NULL };
	struct queue *q;
	char *cause = NULL, t[64];

	cli_printf(c, "External threat feeds:          %d\n", conf->nfeeds);
	if (conf->nfeeds == 0)
		return 0;
	q = cmd_queue(c);
	if (q == NULL)
		return -1;	/* error printed */
	if (sdrfeed_list(q, state_one, &ss, &cause) < 0) {
		cli_error(c, "Cannot read the feeds' state: %s", cause);
		free(cause);
		return -1;
	}
	for (int i = 0; i < conf->nfeeds; i++) {
		const struct sdrfeed_state *st = NULL;

		for (int j = 0; j < ss.n && st == NULL; j++)
			if (strcmp(ss.s[j].feed, conf->feeds[i].name) == 0)
				st = &ss.s[j];
		cli_printf(c, "  %s\n", conf->feeds[i].name);
		cli_printf(c, "    URL:                        %s\n", conf->feeds[i].url);
		cli_printf(c, "    Last poll:                  %s\n",
		    when(st ? st->last_poll : 0, t, sizeof(t)));
		cli_printf(c, "    Last success:               %s\n",
		    when(st ? st->last_ok : 0, t, sizeof(t)));
		cli_printf(c, "    Indicators stored:          %lld\n",
		    st ? (long long)st->indicators : 0LL);
		cli_printf(c, "    Last error:                 %s\n",
		    st && st->last_error[0] ? st->last_error : "none");
	}
	free(ss.s);
	return 0;
}

enum cmd_ret
sdrstatus_feeds(struct cli *c)
{
	struct sdr_conf conf;
	int rc;

	if (sdrconfig_load(c, &conf) < 0)
		return CMD_ERROR;
	rc = print_feeds(c, &conf);
	sdrconf_free(&conf);
	return rc < 0 ? CMD_ERROR : CMD_OK;
}

/* gauge - the value of "key=N" in the daemon's "sdr" state line, or 0 */
static long long
gauge(const char *line, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = line; p && *p;) {
		unsigned long long v;
		char num[32];
		size_t k = 0;

		while (*p == ' ')
			p++;
		if (strncmp(p, key, n) == 0 && p[n] == '=') {
			for (p += n + 1; p[k] >= '0' && p[k] <= '9' && k + 1 < sizeof(num); k++)
				num[k] = p[k];
			num[k] = '\0';
			return str_to_ullong(num, &v) == 0 ? (long long)v : 0;
		}
		p = strchr(p, ' ');
	}
	return 0;
}

enum cmd_ret
sdrstatus_print(struct cli *c)
{
	struct sdr_conf conf;
	struct queue *q;
	char codes[SDR_MAX_CODES * 80], *line;
	int rc;

	if (sdrconfig_load(c, &conf) < 0)
		return CMD_ERROR;
	cli_printf(c, "Sender Domain Reputation:       %s\n",
	    conf.enabled ? "Enabled" : "Disabled");
	cli_printf(c, "Include additional attributes:  %s\n",
	    conf.share_extended ? "Enabled" : "Disabled");
	cli_printf(c, "Query timeout:                  %d seconds\n", conf.timeout);
	cli_printf(c, "Domain exception list:          %s\n",
	    conf.exception_list[0] ? conf.exception_list : "none");
	cli_printf(c, "Local reputation table:         %d entr%s\n", conf.nlocal,
	    conf.nlocal == 1 ? "y" : "ies");
	cli_printf(c, "DNS blocklists:                 %d\n", conf.nblocklists);
	for (int i = 0; i < conf.nblocklists; i++)
		cli_printf(c, "  %-29s %s\n", conf.blocklists[i].zone,
		    sdr_codes_format(&conf.blocklists[i].codes, codes, sizeof(codes)));
	cli_printf(c, "RDAP base URL:                  %s\n",
	    conf.rdap_url[0] ? conf.rdap_url : "none");
	cli_printf(c, "RDAP bootstrap file:            %s\n",
	    conf.rdap_bootstrap[0] ? "imported" : "none");
	rc = print_feeds(c, &conf);
	sdrconf_free(&conf);
	if (rc < 0)
		return CMD_ERROR;
	if (!cmd_daemon_running(c)) {
		cli_printf(c, "mxgated is not running.\n");
		return CMD_OK;
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	line = queue_state_get(q, "sdr");
	cli_printf(c, "Lookups:                        %lld\n", gauge(line, "lookups"));
	cli_printf(c, "Unscannable messages:           %lld\n", gauge(line, "unscannable"));
	cli_printf(c, "Cached answers:                 %lld\n", gauge(line, "cache"));
	cli_printf(c, "Timeouts:                       %lld\n", gauge(line, "timeouts"));
	free(line);
	return CMD_OK;
}

/* ---------------------------------------------------------- explain */

/* The feeds the offline explain has printed an indicator for. */
struct offline {
	struct cli *c;
	int n;			/* names in feeds */
	char (*feeds)[64];	/* each feed once */
};

/* offline_ind - sdrfeed_lookup callback: one stored indicator, as mxgated words it */
static void
offline_ind(const struct sdr_indicator *ind, const char *feed, void *arg)
{
	struct offline *o = arg;
	int seen = 0;

	cli_printf(o->c, "feed %s: %s, Threat Category: %s (%s)\n", feed,
	    sdr_verdict_name(ind->verdict), ind->category[0] ? ind->category : "N/A", ind->id);
	for (int i = 0; i < o->n && !seen; i++)
		seen = strcmp(o->feeds[i], feed) == 0;
	if (!seen) {
		o->feeds = xrealloc(o->feeds, ((size_t)o->n + 1) * sizeof(*o->feeds));
		str_copy(o->feeds[o->n++], feed, sizeof(o->feeds[0]));
	}
}

/*
 * explain_offline - what this shell can read itself: the local table and
 * the indicators stored for the feeds (in mxgated's words, sdrd.c)
 */
static enum cmd_ret
explain_offline(struct cli *c, const char *domain)
{
	struct offline o = { c, 0, NULL };
	struct sdr_conf conf;
	const struct sdr_local *e;
	struct queue *q;
	char *cause = NULL;
	enum cmd_ret r = CMD_ERROR;

	if (sdrconfig_load(c, &conf) < 0)
		return CMD_ERROR;
	e = sdrconf_local_find(&conf, domain);
	if (e)
		cli_printf(c, "local table: %s, Threat Category: %s\n",
		    sdr_verdict_name(e->verdict), e->category[0] ? e->category : "N/A");
	else
		cli_printf(c, "local table: no entry\n");
	if ((q = cmd_queue(c)) == NULL)
		goto out;
	if (sdrfeed_lookup(q, domain, time(NULL), offline_ind, &o, &cause) < 0) {
		cli_error(c, "Cannot read the feeds' indicators: %s", cause);
		free(cause);
		goto out;
	}
	for (int i = 0; i < conf.nfeeds; i++) {
		int seen = 0;

		for (int j = 0; j < o.n && !seen; j++)
			seen = strcmp(o.feeds[j], conf.feeds[i].name) == 0;
		if (!seen)
			cli_printf(c, "feed %s: not listed\n", conf.feeds[i].name);
	}
	cli_printf(c, "mxgated is not running: DNS blocklists and RDAP were not asked\n");
	r = CMD_OK;
out:
	free(o.feeds);
	sdrconf_free(&conf);
	return r;
}

/* explain_id - a random positive 62-bit name for the answer's state row */
static int64_t
explain_id(void)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
	return (int64_t)(r >> 2) + 1;
}

/* sleep_ms - a short pause */
static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

enum cmd_ret
sdrstatus_explain(struct cli *c, const char *domain_in)
{
	char domain[SDR_DOMAIN_MAX + 2], name[64], *arg, *cause = NULL, *answer = NULL;
	struct queue *q;
	int64_t id = explain_id(), rid;
	size_t n;

	int ok = str_copy(domain, domain_in, sizeof(domain)) == 0;

	if (ok && (n = strlen(domain)) > 1 && domain[n - 1] == '.')
		domain[n - 1] = '\0';	/* "example.com." is example.com */
	if (!ok || !sdr_domain_valid(domain)) {
		cli_error(c, "Invalid domain '%.100s': give a domain name such as example.com.",
		    domain_in);
		return CMD_ERROR;
	}
	cli_printf(c, "Domain: %s\n", domain);
	if (!cmd_daemon_running(c))
		return explain_offline(c, domain);
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	arg = str_printf("%lld %s", (long long)id, domain);
	if (queue_request_add_id(q, "sdrexplain", arg, &rid, &cause) < 0) {
		free(arg);
		cli_error(c, "Cannot ask mxgated: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	free(arg);
	str_fmt(name, sizeof(name), "sdr.explain.%lld", (long long)id);
	for (int waited = 0; waited < SDRSTATUS_EXPLAIN_MS && !cli_interrupted(c);
	     waited += SDRSTATUS_POLL_MS) {
		if ((answer = queue_state_get(q, name)) != NULL)
			break;
		sleep_ms(SDRSTATUS_POLL_MS);
	}
	if (answer == NULL) {
		if (cli_interrupted(c))
			return CMD_ABORTED;
		cli_error(c, "mxgated did not answer within %d seconds.",
		    SDRSTATUS_EXPLAIN_MS / 1000);
		return CMD_ERROR;
	}
	n = strlen(answer);
	cli_printf(c, "%s%s", answer, n && answer[n - 1] == '\n' ? "" : "\n");
	free(answer);
	if (queue_state_delete(q, name, &cause) < 0) {
		/* the answer is printed; a row left behind is only clutter */
		free(cause);
	}
	return CMD_OK;
}

/* ---------------------------------------------------------- the command */

static enum cmd_ret
sdrstatus_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return sdrstatus_print(c);
	if (argc == 2 && strcmp(argv[0], "-d") == 0)
		return sdrstatus_explain(c, argv[1]);
	return cmd_usage_error(c, &cmd_sdrstatus_entry, "sdrstatus");
}

static const struct cmd_word domain_word[] = {
	{ "<DOMAIN>", "the domain every source is asked about", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word sdrstatus_words[] = {
	{ "-d", "Show what every source says about a domain now.", domain_word },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_sdrstatus_entry = {
	.name = "sdrstatus",
	.usage = "sdrstatus\n"
		 "sdrstatus -d DOMAIN",
	.help = "Display the Sender Domain Reputation status, or explain a domain's verdict.",
	.words = sdrstatus_words,
	.exec = sdrstatus_exec,
};
