/*
 * sdr.h - Sender Domain Reputation on open signals: the pure part (no
 * I/O). What a message claims to come from (its SDR inputs), what each
 * source said about each domain (answers), the one consolidated verdict,
 * the mail_logs lines of seed 003, the tracker token that lets an
 * operator see every answer again (sdrdiagnostics), and the parsers of
 * the sources' formats: blocklist return-code maps, the local reputation
 * table (CSV), RDAP domain objects and bootstrap files (RFC 9083, 9224),
 * STIX 2.1 indicators in TAXII 2.1 envelopes.
 *
 * The daemon side (daemon/sdrd.c) asks the sources asynchronously and
 * fills a struct sdr_result; message and content filters (mail/filter.h)
 * read it.
 */
#ifndef MAIL_SDR_H
#define MAIL_SDR_H

#include <stddef.h>
#include <time.h>

/* The seed's scale, worst first. Order matters: a lower value is worse. */
enum sdr_verdict {
	SDR_AWFUL = 0,
	SDR_POOR,
	SDR_TAINTED,
	SDR_WEAK,
	SDR_UNKNOWN,
	SDR_NEUTRAL,
	SDR_GOOD,
	SDR_NVERDICTS
};

#define SDR_DOMAIN_MAX 255
#define SDR_CATEGORY_MAX 31		/* "Spam", "Malware", "Phishing", ... or "N/A" */
#define SDR_SOURCE_MAX 127		/* "local", "blocklist dbl.test", "rdap", "feed NAME" */
#define SDR_MAX_ANSWERS 136		/* answers kept per message (see SDRCONF_MAX_BLOCKLISTS) */

/* sdr_verdict_name - "Awful" ... "Good" */
const char *sdr_verdict_name(enum sdr_verdict v);

/*
 * sdr_verdict_parse - a verdict by name, case-insensitively; "bad" is
 * another name for Awful (seed 003 writes it so) and "intained" for
 * Tainted (the seed's typo); -1 if none
 */
int sdr_verdict_parse(const char *name);

/* The domains a message claims (seed 003's log line names them). "" = Not Present. */
enum sdr_input {
	SDR_IN_RDNS = 0,	/* the client's verified reverse DNS host */
	SDR_IN_HELO,		/* HELO/EHLO name (not an address literal) */
	SDR_IN_ENVFROM,		/* envelope sender's domain */
	SDR_IN_HFROM,		/* From: header's domain */
	SDR_IN_REPLYTO,		/* Reply-To: header's domain */
	SDR_NINPUTS
};

struct sdr_inputs {
	char dom[SDR_NINPUTS][SDR_DOMAIN_MAX + 1];	/* lower case, no trailing dot */
	/* "include additional attributes" (sdr.share_extended_info) */
	char from_name[128];		/* From: display name, "" if none */
	char replyto_name[128];		/* Reply-To: display name */
	char client_ip[64];
};

/* sdr_input_name - "reverse DNS host", "helo", "env-from", "header-from", "reply-to" */
const char *sdr_input_name(enum sdr_input i);

/*
 * sdr_inputs_fill - the inputs of one message: rdns may be NULL or "" (no
 * verified name), helo as the client gave it, sender the envelope sender
 * ("" for <>), msg[0..len) the message (headers are read, bounded).
 */
void sdr_inputs_fill(struct sdr_inputs *in, const char *rdns, const char *helo,
    const char *client_ip, const char *sender, const char *msg, size_t len);

/*
 * sdr_domains - the distinct domains of in (each once, in input order),
 * into out[max]; returns how many
 */
int sdr_domains(const struct sdr_inputs *in, const char *out[], int max);

/* What one source said about one domain. */
enum sdr_answer_status {
	SDR_ANS_LISTED = 0,	/* a verdict (and category) */
	SDR_ANS_CLEAN,		/* asked, and it knows nothing against the domain */
	SDR_ANS_AGE,		/* a registration date (RDAP) */
	SDR_ANS_NOAGE,		/* RDAP answered without a registration event */
	SDR_ANS_ERROR,		/* no answer: timeout, server error, refused code */
};

enum sdr_source_kind {
	SDR_SRC_LOCAL = 0,	/* the operator's own table: it overrides the others */
	SDR_SRC_BLOCKLIST,	/* a DNS domain blocklist zone */
	SDR_SRC_RDAP,		/* domain age */
	SDR_SRC_FEED,		/* a STIX/TAXII feed */
};

struct sdr_answer {
	enum sdr_source_kind kind;
	char source[SDR_SOURCE_MAX + 1];	/* "local", "dbl.test", "rdap", feed name */
	char domain[SDR_DOMAIN_MAX + 1];
	enum sdr_answer_status status;
	enum sdr_verdict verdict;		/* LISTED */
	char category[SDR_CATEGORY_MAX + 1];	/* LISTED: "" = N/A */
	time_t registered;			/* AGE */
	char detail[128];			/* "127.0.1.2", "timeout", "HTTP 404", ... */
};

/* The consolidated result of one message. */
struct sdr_result {
	int unscannable;			/* every lookup failed or timed out */
	enum sdr_verdict verdict;		/* consolidated (Unknown when nothing known) */
	char category[SDR_CATEGORY_MAX + 1];	/* of the deciding answer; "N/A" if none */
	char suspected[512];			/* "a.test, b.test" or "N/A" */
	long age_days;				/* youngest domain's age in days; -1 unknown */
	char age_domain[SDR_DOMAIN_MAX + 1];	/* that domain ("" when unknown) */
	int nanswers;
	struct sdr_answer answers[SDR_MAX_ANSWERS];
};

/* sdr_result_add - append an answer (ignored past SDR_MAX_ANSWERS) */
void sdr_result_add(struct sdr_result *r, const struct sdr_answer *a);

/*
 * sdr_consolidate - from r->answers, the verdict (documented in
 * man/man1/sdrconfig.1, CONSOLIDATION): a local table entry for a domain
 * decides that domain alone (it overrides every other source, Good
 * included); otherwise the worst LISTED verdict of any source for any
 * domain wins; a message with no listing is Neutral when at least one
 * source answered for it, Unknown when none did; unscannable when there
 * was at least one lookup and every one was an ERROR. The category is the
 * deciding answer's; suspected names every domain with a verdict below
 * Neutral; the age is the youngest RDAP registration, now taken as the
 * present (a domain registered in the future counts as 0 days).
 */
void sdr_consolidate(struct sdr_result *r, time_t now);

/* sdr_age_text - "1 day", "21 days", "6 months 29 days", "2 years 3 months", "unknown" */
const char *sdr_age_text(long days, char *buf, size_t size);

/*
 * The mail_logs lines of seed 003 (without "MID n "):
 * "SDR: Domains for which SDR is requested: reverse DNS host: X, helo: X,
 *  env-from: X, header-from: X, reply-to: X" (Not Present for "")
 * "SDR: Consolidated Sender Reputation: V, Threat Category: C, Suspected
 *  Domain(s) : S. Youngest Domain Age: A for domain: D"
 * "SDR: Tracker Header : TOKEN"
 */
const char *sdr_log_domains(const struct sdr_inputs *in, char *buf, size_t size);
const char *sdr_log_verdict(const struct sdr_result *r, char *buf, size_t size);

/*
 * sdr_tracker_encode - a printable token (base64url, no spaces) holding
 * every answer of r; sdr_tracker_decode - the answers back, as lines
 * "DOMAIN SOURCE: what it said" into buf; -1 with *cause for a token that
 * is not one of ours (damaged, cut, from another product).
 */
const char *sdr_tracker_encode(const struct sdr_result *r, time_t when, char *buf, size_t size);
int sdr_tracker_decode(const char *token, char *buf, size_t size, char **cause);

/*
 * Blocklist return codes: "127.0.1.2:Awful/Spam,127.0.1.3:Poor/Malware"
 * (an IPv4 answer, a verdict, an optional "/Category"). Spamhaus's and
 * URIBL's refusal / error answers (127.255.255.252-255, 127.0.0.1 for
 * URIBL) are never listings: a code given here for them is refused.
 * Answers not in the map count as no answer.
 */
#define SDR_MAX_CODES 32
struct sdr_codes {
	int n;
	unsigned int addr[SDR_MAX_CODES];	/* host order */
	enum sdr_verdict verdict[SDR_MAX_CODES];
	char category[SDR_MAX_CODES][SDR_CATEGORY_MAX + 1];
};
int sdr_codes_parse(const char *text, struct sdr_codes *c, char **cause);
/* sdr_codes_format - the normal form of a map (what the store keeps) */
const char *sdr_codes_format(const struct sdr_codes *c, char *buf, size_t size);
/* sdr_codes_find - index of an answer in the map, or -1 */
int sdr_codes_find(const struct sdr_codes *c, unsigned int addr);
/* sdr_code_is_error - an answer that means "query refused / error", never a listing */
int sdr_code_is_error(unsigned int addr);

/*
 * The local reputation table, one CSV line: "domain,verdict[,category]"
 * (quotes allowed, # comments and blank lines skipped by the caller).
 * Returns 1 for an entry, 0 for a blank/comment line, -1 with *cause.
 */
int sdr_local_parse_line(const char *line, char *domain, size_t dsize, enum sdr_verdict *v,
    char *category, size_t csize, char **cause);

/* sdr_domain_valid - an LDH domain name, normalised to lower case in place */
int sdr_domain_valid(char *domain);

/*
 * sdr_registered_domain - the name a registry knows (what RDAP is asked
 * for): the last two labels, or three when the last is a two-letter
 * country code and the one before it a common second level (co, com,
 * net, org, ac, gov, edu, ne, or: "a.b.co.uk" -> "b.co.uk"). No public
 * suffix list: documented as a heuristic.
 */
const char *sdr_registered_domain(const char *domain, char *out, size_t size);

/*
 * RDAP (RFC 9083): the registration date of a domain object;
 * 1 found, 0 none (the answer is a domain object without it), -1 not an
 * RDAP domain object (*cause)
 */
int sdr_rdap_registration(const char *json, size_t len, time_t *when, char **cause);

/*
 * RDAP bootstrap (RFC 9224 dns.json): the base URL serving domain's TLD
 * (longest label match), into url[size]; 1 found, 0 no service, -1 not a
 * bootstrap file
 */
int sdr_rdap_bootstrap(const char *json, size_t len, const char *domain, char *url, size_t size,
    char **cause);

/*
 * The same file parsed once (mxgated asks it for every message): its
 * labels sorted, each with the URL sdr_rdap_bootstrap would give (ending
 * in '/'; for a label listed twice, the first service's).
 */
struct sdr_bootstrap_entry {
	char *label;			/* normalised: "com", "co.uk" */
	char *url;
};
struct sdr_bootstrap {
	int n;
	struct sdr_bootstrap_entry *e;	/* sorted by label, each label once */
};

/* sdr_bootstrap_build - t from a dns.json: 0, or -1 not a bootstrap file (*cause, t empty) */
int sdr_bootstrap_build(const char *json, size_t len, struct sdr_bootstrap *t, char **cause);

/* sdr_bootstrap_find - as sdr_rdap_bootstrap, from t (longest label match): 1, 0 none, -1 */
int sdr_bootstrap_find(const struct sdr_bootstrap *t, const char *domain, char *url, size_t size,
    char **cause);

/* sdr_bootstrap_free - release t's entries (t stays usable, empty) */
void sdr_bootstrap_free(struct sdr_bootstrap *t);

/*
 * STIX 2.1 in a TAXII 2.1 envelope {"more","next","objects":[...]}: cb
 * for each indicator whose pattern is one comparison
 * "[domain-name:value = 'x']" (others are skipped and counted in
 * *skipped), not revoked; valid_until 0 when absent. *more and next
 * (size nsize) from the envelope. -1 with *cause if not an envelope.
 */
struct sdr_indicator {
	char id[128];			/* indicator--uuid */
	char domain[SDR_DOMAIN_MAX + 1];
	enum sdr_verdict verdict;	/* from confidence / indicator_types (man page) */
	char category[SDR_CATEGORY_MAX + 1];	/* from indicator_types: "Malware", "Phishing", ... */
	time_t valid_from, valid_until;
	int revoked;
};
typedef void (*sdr_indicator_cb)(const struct sdr_indicator *ind, void *arg);
int sdr_stix_envelope(const char *json, size_t len, sdr_indicator_cb cb, void *arg, int *more,
    char *next, size_t nsize, int *skipped, char **cause);

#endif
