/*
 * sdr_parse.c - Sender Domain Reputation on open signals: the parsers of
 * the sources' formats (the rest of mail/sdr.h is in sdr.c).
 *
 * Blocklist return-code maps ("127.0.1.2:Awful/Spam,..."), lines of the
 * local reputation table (CSV), RDAP domain objects and bootstrap files
 * (RFC 9083, RFC 9224), STIX 2.1 indicators in TAXII 2.1 envelopes (how
 * indicators map to verdicts: sdr.c's CONSOLIDATION block). No I/O; every
 * input is hostile and bounded: JSON documents by SDR_JSON_MAX, what is
 * echoed in a cause made printable and cut (sdr_safe_text).
 *
 * DIAGNOSTICS: parsers return -1 with a malloc'd one-line *cause (when
 * cause is not NULL); nothing here logs, exits or keeps state.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mail/sdr.h"
#include "mail/sdr_int.h"
#include "util/str.h"

#define SDR_JSON_MAX (16 * 1024 * 1024)	/* RDAP, bootstrap and TAXII documents */

/* ================================================================ blocklist codes */

/* category_ok - letters, digits, '-' and '_', 1..SDR_CATEGORY_MAX */
static int
category_ok(const char *s, size_t n)
{
	if (n == 0 || n > SDR_CATEGORY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

/* trim - s[*start..*end) without surrounding blanks */
static void
trim(const char *s, size_t *start, size_t *end)
{
	while (*start < *end && isspace((unsigned char)s[*start]))
		(*start)++;
	while (*end > *start && isspace((unsigned char)s[*end - 1]))
		(*end)--;
}

/* sdr_code_is_error - an answer that means "query refused / error", never a listing */
int
sdr_code_is_error(unsigned int addr)
{
	/*
	 * Spamhaus: 127.255.255.252 typing error, .254 public resolver, .255
	 * excessive queries, 127.0.1.255 an IP asked of a domain list; URIBL:
	 * 127.0.0.1 query refused (external-apis.md 4.2)
	 */
	return addr >= 0x7FFFFFFCu || addr == 0x7F0001FFu || addr == 0x7F000001u;
}

/* sdr_codes_find - index of an answer in the map, or -1 */
int
sdr_codes_find(const struct sdr_codes *c, unsigned int addr)
{
	for (int i = 0; i < c->n && i < SDR_MAX_CODES; i++)
		if (c->addr[i] == addr)
			return i;
	return -1;
}

/* sdr_codes_parse - "127.0.1.2:Awful/Spam,127.0.1.3:Poor" into *c; nothing changes on error */
int
sdr_codes_parse(const char *text, struct sdr_codes *c, char **cause)
{
	struct sdr_codes t;
	size_t len, pos = 0;

	memset(&t, 0, sizeof(t));
	if (text == NULL)
		text = "";
	len = strlen(text);
	{
		size_t a = 0, e = len;

		trim(text, &a, &e);
		if (a == e) {
			sdr_set_cause(cause, "no return codes given: write "
			    "ADDRESS:VERDICT[/CATEGORY], e.g. 127.0.1.2:Awful/Spam,127.0.1.3:Poor");
			return -1;
		}
	}
	for (;;) {
		const char *comma = memchr(text + pos, ',', len - pos);
		size_t s = pos, e = comma ? (size_t)(comma - text) : len, colon, slash;
		size_t vs, ve, cs, ce, as, ae;
		char item[80], addr[20], vname[20];
		struct in_addr ia;
		unsigned int a;
		int v;

		trim(text, &s, &e);
		sdr_safe_text(text + s, e - s, item, sizeof(item));
		if (s == e) {
			sdr_set_cause(cause, "an empty return code in the list (two commas, or one at an end)");
			return -1;
		}
		if (t.n == SDR_MAX_CODES) {
			sdr_set_cause(cause, "more than %d return codes", SDR_MAX_CODES);
			return -1;
		}
		for (colon = s; colon < e && text[colon] != ':'; colon++)
			;
		if (colon == e) {
			sdr_set_cause(cause, "return code \"%s\": write ADDRESS:VERDICT[/CATEGORY]", item);
			return -1;
		}
		as = s;
		ae = colon;
		trim(text, &as, &ae);
		if (ae - as >= sizeof(addr) || (memcpy(addr, text + as, ae - as), addr[ae - as] = '\0',
		    inet_pton(AF_INET, addr, &ia) != 1)) {
			sdr_set_cause(cause, "return code \"%s\": the address is not an IPv4 address", item);
			return -1;
		}
		a = ntohl(ia.s_addr);
		if (a >> 24 != 127) {
			sdr_set_cause(cause, "return code \"%s\": blocklist answers are in 127.0.0.0/8", item);
			return -1;
		}
		if (sdr_code_is_error(a)) {
			sdr_set_cause(cause, "return code \"%s\": %s means the query was refused "
			    "or in error, never a listing", item, addr);
			return -1;
		}
		if (sdr_codes_find(&t, a) >= 0) {
			sdr_set_cause(cause, "return code \"%s\": %s is given twice", item, addr);
			return -1;
		}
		for (slash = colon + 1; slash < e && text[slash] != '/'; slash++)
			;
		vs = colon + 1;
		ve = slash;
		trim(text, &vs, &ve);
		v = -1;
		if (ve - vs < sizeof(vname)) {
			memcpy(vname, text + vs, ve - vs);
			vname[ve - vs] = '\0';
			v = sdr_verdict_parse(vname);
		}
		if (v < 0) {
			sdr_set_cause(cause, "return code \"%s\": the verdict is not one of Awful, Poor, "
			    "Tainted, Weak, Unknown, Neutral, Good", item);
			return -1;
		}
		if (slash < e) {
			cs = slash + 1;
			ce = e;
			trim(text, &cs, &ce);
			if (!category_ok(text + cs, ce - cs)) {
				sdr_set_cause(cause, "return code \"%s\": a category is 1 to %d letters, "
				    "digits, '-' or '_'", item, SDR_CATEGORY_MAX);
				return -1;
			}
			memcpy(t.category[t.n], text + cs, ce - cs);
			t.category[t.n][ce - cs] = '\0';
		}
		t.addr[t.n] = a;
		t.verdict[t.n] = (enum sdr_verdict)v;
		t.n++;
		if (comma == NULL)
			break;
		pos = (size_t)(comma - text) + 1;
	}
	*c = t;
	return 0;
}

/* sdr_codes_format - the normal form of a map; NULL if buf is too small (2048 always fits) */
const char *
sdr_codes_format(const struct sdr_codes *c, char *buf, size_t size)
{
	size_t off = 0;

	if (size == 0)
		return NULL;
	buf[0] = '\0';
	for (int i = 0; i < c->n && i < SDR_MAX_CODES; i++) {
		unsigned int a = c->addr[i];
		int w;

		w = snprintf(buf + off, size - off, "%s%u.%u.%u.%u:%s%s%.*s", i ? "," : "",
		    a >> 24, a >> 16 & 0xFF, a >> 8 & 0xFF, a & 0xFF, sdr_verdict_name(c->verdict[i]),
		    c->category[i][0] ? "/" : "", SDR_CATEGORY_MAX, c->category[i]);
		if (w < 0 || (size_t)w >= size - off) {
			buf[0] = '\0';
			return NULL;
		}
		off += (size_t)w;
	}
	return buf;
}

/* ================================================================ local table */

/* csv_field - one RFC 4180 field at *p into out; advances past it; -1 with a reason */
static int
csv_field(const char **pp, char *out, size_t size, const char **why)
{
	const char *p = *pp;
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"') {
		for (p++;; p++) {
			if (*p == '\0' || *p == '\r' || *p == '\n') {
				*why = "a quoted field has no closing quote";
				return -1;
			}
			if (*p == '"') {
				if (p[1] != '"')
					break;
				p++;	/* "" is one quote */
			}
			if (n + 1 >= size) {
				*why = "a field is too long";
				return -1;
			}
			out[n++] = *p;
		}
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',' && *p != '\0' && *p != '\r' && *p != '\n') {
			*why = "text after a quoted field";
			return -1;
		}
	} else {
		for (; *p != ',' && *p != '\0' && *p != '\r' && *p != '\n'; p++) {
			if (*p == '"') {
				*why = "a quote inside an unquoted field";
				return -1;
			}
			if (n + 1 >= size) {
				*why = "a field is too long";
				return -1;
			}
			out[n++] = *p;
		}
		while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
			n--;
	}
	out[n] = '\0';
	*pp = p;
	return 0;
}

/* sdr_local_parse_line - "domain,verdict[,category]": 1 entry, 0 blank or comment, -1 */
int
sdr_local_parse_line(const char *line, char *domain, size_t dsize, enum sdr_verdict *v,
    char *category, size_t csize, char **cause)
{
	char f[3][300], shown[80];
	const char *p = line, *why = NULL;
	int nf = 0, verdict;

	if (p == NULL)
		return 0;
	if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;		/* a spreadsheet's UTF-8 byte order mark */
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '\r' || *p == '\n' || *p == '#')
		return 0;
	for (;;) {
		char tmp[300];

		if (csv_field(&p, nf < 3 ? f[nf] : tmp, sizeof(tmp), &why) < 0) {
			sdr_set_cause(cause, "field %d: %s", nf + 1, why);
			return -1;
		}
		nf++;
		if (*p != ',')
			break;
		p++;
	}
	if (*p == '\r')
		p++;
	if (*p == '\n')
		p++;
	if (*p != '\0') {
		sdr_set_cause(cause, "one entry per line: domain,verdict[,category]");
		return -1;
	}
	if (nf < 2 || nf > 3) {
		sdr_set_cause(cause, "%d fields: write domain,verdict[,category]", nf);
		return -1;
	}
	sdr_safe_text(f[0], sizeof(f[0]), shown, sizeof(shown));
	if (!sdr_domain_valid(f[0])) {
		sdr_set_cause(cause, "domain \"%s\" is not a domain name (letters, digits, '-' and dots)",
		    shown);
		return -1;
	}
	if (str_copy(domain, f[0], dsize) < 0) {
		sdr_set_cause(cause, "domain \"%s\" is too long", shown);
		return -1;
	}
	verdict = sdr_verdict_parse(f[1]);
	if (verdict < 0) {
		sdr_safe_text(f[1], sizeof(f[1]), shown, sizeof(shown));
		sdr_set_cause(cause, "verdict \"%s\" is not one of Awful, Poor, Tainted, Weak, Unknown, "
		    "Neutral, Good", shown);
		return -1;
	}
	if (nf == 3 && f[2][0] != '\0') {
		size_t n = strlen(f[2]);

		sdr_safe_text(f[2], sizeof(f[2]), shown, sizeof(shown));
		if (!category_ok(f[2], n) || n >= csize) {
			sdr_set_cause(cause, "category \"%s\": 1 to %d letters, digits, '-' or '_'", shown,
			    SDR_CATEGORY_MAX);
			return -1;
		}
		memcpy(category, f[2], n + 1);
	} else if (csize > 0)
		category[0] = '\0';
	*v = (enum sdr_verdict)verdict;
	return 1;
}

/* ================================================================ JSON: RDAP, bootstrap, STIX */

/* digits - n decimal digits at *p into *v */
static int
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

/*
 * rfc3339 - "2026-11-30T10:00:00Z", "...T10:00:00.123+02:00" (RFC 3339 5.6;
 * 't', 'z' and a space for 'T' as its note allows; no offset read as UTC)
 */
static int
rfc3339(const char *s, time_t *out)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int Y, M, D, h, m, sec, oh = 0, om = 0, sign = 0, leap;
	struct tm tm;
	time_t t;

	if (digits(&p, 4, &Y) < 0 || *p++ != '-' || digits(&p, 2, &M) < 0 || *p++ != '-' ||
	    digits(&p, 2, &D) < 0 || (*p != 'T' && *p != 't' && *p != ' '))
		return -1;
	p++;
	if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &m) < 0 || *p++ != ':' ||
	    digits(&p, 2, &sec) < 0)
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &oh) < 0)
			return -1;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
			return -1;
	}
	if (*p != '\0')
		return -1;
	leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || (M == 2 && D == 29 && !leap) ||
	    h > 23 || m > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;	/* a leap second 60 is the next minute's first */
	t = timegm(&tm);
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

/* json_parse - a JSON document of at most SDR_JSON_MAX bytes, or NULL with *cause */
static cJSON *
json_parse(const char *json, size_t len, const char *what, char **cause)
{
	cJSON *j;

	if (json == NULL || len == 0) {
		sdr_set_cause(cause, "%s: empty answer", what);
		return NULL;
	}
	if (len > SDR_JSON_MAX) {
		sdr_set_cause(cause, "%s: larger than %d MB", what, SDR_JSON_MAX / (1024 * 1024));
		return NULL;
	}
	j = cJSON_ParseWithLength(json, len);
	if (j == NULL) {
		sdr_set_cause(cause, "%s: not JSON", what);
		return NULL;
	}
	if (!cJSON_IsObject(j)) {
		sdr_set_cause(cause, "%s: not a JSON object", what);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* str_item - the string member name of o, or NULL */
static const char *
str_item(const cJSON *o, const char *name)
{
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(i) ? i->valuestring : NULL;
}

/* sdr_rdap_registration - the registration date of an RDAP domain object: 1, 0 none, -1 */
int
sdr_rdap_registration(const char *json, size_t len, time_t *when, char **cause)
{
	cJSON *j = json_parse(json, len, "RDAP answer", cause);
	const cJSON *events, *e;
	const char *cls;
	int ret = 0;

	if (j == NULL)
		return -1;
	cls = str_item(j, "objectClassName");
	if (cls == NULL && cJSON_GetObjectItemCaseSensitive(j, "errorCode") != NULL) {
		/* RFC 9083 6: an error response */
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "errorCode");
		const char *title = str_item(j, "title");
		char t[100];

		sdr_set_cause(cause, "RDAP error %d%s%s", cJSON_IsNumber(code) ? code->valueint : 0,
		    title ? ": " : "",
		    title ? sdr_safe_text(title, strlen(title), t, sizeof(t)) : "");
		cJSON_Delete(j);
		return -1;
	}
	if (cls != NULL ? strcmp(cls, "domain") != 0 : str_item(j, "ldhName") == NULL) {
		char t[40];

		sdr_set_cause(cause, "not an RDAP domain object%s%s%s", cls ? " (objectClassName \"" : "",
		    cls ? sdr_safe_text(cls, strlen(cls), t, sizeof(t)) : "", cls ? "\")" : "");
		cJSON_Delete(j);
		return -1;
	}
	events = cJSON_GetObjectItemCaseSensitive(j, "events");
	cJSON_ArrayForEach(e, (cJSON_IsArray(events) ? events : NULL)) {
		const char *action = str_item(e, "eventAction"), *date = str_item(e, "eventDate");
		char t[60];

		if (action == NULL || strcasecmp(action, "registration") != 0)
			continue;
		if (date == NULL || rfc3339(date, when) < 0) {
			sdr_set_cause(cause, "RDAP registration eventDate \"%s\" is not an RFC 3339 date",
			    date ? sdr_safe_text(date, strlen(date), t, sizeof(t)) : "");
			ret = -1;
		} else
			ret = 1;
		break;
	}
	cJSON_Delete(j);
	return ret;
}

/* https_first - the URL of a bootstrap service to use: the first https, else the first http */
static const char *
service_url(const cJSON *urls)
{
	const cJSON *u;
	const char *http = NULL;

	cJSON_ArrayForEach(u, (cJSON_IsArray(urls) ? urls : NULL)) {
		if (!cJSON_IsString(u))
			continue;
		if (strncasecmp(u->valuestring, "https://", 8) == 0 && u->valuestring[8] != '\0')
			return u->valuestring;
		if (http == NULL && strncasecmp(u->valuestring, "http://", 7) == 0 &&
		    u->valuestring[7] != '\0')
			http = u->valuestring;
	}
	return http;
}

/* sdr_rdap_bootstrap - the RDAP base URL serving domain (RFC 9224 4): 1, 0 none, -1 */
int
sdr_rdap_bootstrap(const char *json, size_t len, const char *domain, char *url, size_t size,
    char **cause)
{
	cJSON *j = json_parse(json, len, "RDAP bootstrap file", cause);
	const cJSON *services, *svc;
	const char *best = NULL;
	char dom[SDR_DOMAIN_MAX + 1];
	int best_labels = 0;
	size_t dlen, n;

	if (size > 0)
		url[0] = '\0';
	if (j == NULL)
		return -1;
	services = cJSON_GetObjectItemCaseSensitive(j, "services");
	if (!cJSON_IsArray(services)) {
		sdr_set_cause(cause, "not an RDAP bootstrap file (no \"services\" array)");
		cJSON_Delete(j);
		return -1;
	}
	sdr_domain_norm(domain ? domain : "", domain ? strlen(domain) : 0, dom);
	dlen = strlen(dom);
	cJSON_ArrayForEach(svc, (dlen ? services : NULL)) {
		const cJSON *labels = cJSON_GetArrayItem(svc, 0), *l;
		const char *u = service_url(cJSON_GetArrayItem(svc, 1));

		if (!cJSON_IsArray(svc) || u == NULL)
			continue;
		cJSON_ArrayForEach(l, (cJSON_IsArray(labels) ? labels : NULL)) {
			char e[SDR_DOMAIN_MAX + 1];
			size_t el;
			int nl = 1;

			if (!cJSON_IsString(l))
				continue;
			sdr_domain_norm(l->valuestring, strlen(l->valuestring), e);
			el = strlen(e);
			if (el == 0 || el > dlen ||
			    strcmp(dom + dlen - el, e) != 0 || (el < dlen && dom[dlen - el - 1] != '.'))
				continue;
			for (size_t i = 0; i < el; i++)
				nl += e[i] == '.';
			/* the longest match wins; between equals, the first */
			if (nl > best_labels) {
				best_labels = nl;
				best = u;
			}
		}
	}
	if (best == NULL) {
		cJSON_Delete(j);
		return 0;
	}
	n = strlen(best);
	if (n + (best[n - 1] != '/') + 1 > size) {
		sdr_set_cause(cause, "the RDAP bootstrap URL for %s is too long", dom);
		cJSON_Delete(j);
		return -1;
	}
	memcpy(url, best, n);
	if (best[n - 1] != '/')
		url[n++] = '/';
	url[n] = '\0';
	cJSON_Delete(j);
	return 1;
}

/* boot_sort - a label of the table and its position in the file (for sorting) */
struct boot_sort {
	struct sdr_bootstrap_entry e;
	size_t order;
};

static int
boot_cmp(const void *a, const void *b)
{
	const struct boot_sort *x = a, *y = b;
	int c = strcmp(x->e.label, y->e.label);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* sdr_bootstrap_free - release t's entries */
void
sdr_bootstrap_free(struct sdr_bootstrap *t)
{
	for (int i = 0; i < t->n; i++) {
		free(t->e[i].label);
		free(t->e[i].url);
	}
	free(t->e);
	t->e = NULL;
	t->n = 0;
}

/* sdr_bootstrap_build - the labels of a dns.json, sorted, each with its service's URL */
int
sdr_bootstrap_build(const char *json, size_t len, struct sdr_bootstrap *t, char **cause)
{
	cJSON *j = json_parse(json, len, "RDAP bootstrap file", cause);
	const cJSON *services, *svc;
	struct boot_sort *v = NULL;
	size_t n = 0, cap = 0, k = 0;

	t->n = 0;
	t->e = NULL;
	if (j == NULL)
		return -1;
	services = cJSON_GetObjectItemCaseSensitive(j, "services");
	if (!cJSON_IsArray(services)) {
		sdr_set_cause(cause, "not an RDAP bootstrap file (no \"services\" array)");
		cJSON_Delete(j);
		return -1;
	}
	cJSON_ArrayForEach(svc, services) {
		const cJSON *labels = cJSON_GetArrayItem(svc, 0), *l;
		const char *u = service_url(cJSON_GetArrayItem(svc, 1));
		size_t ul;

		if (!cJSON_IsArray(svc) || u == NULL)
			continue;
		ul = strlen(u);
		cJSON_ArrayForEach(l, (cJSON_IsArray(labels) ? labels : NULL)) {
			char e[SDR_DOMAIN_MAX + 1];

			if (!cJSON_IsString(l))
				continue;
			sdr_domain_norm(l->valuestring, strlen(l->valuestring), e);
			if (e[0] == '\0')
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n].e.label = str_dup(e);
			v[n].e.url = xmalloc(ul + 2);
			memcpy(v[n].e.url, u, ul + 1);
			if (u[ul - 1] != '/')
				memcpy(v[n].e.url + ul, "/", 2);
			v[n].order = n;
			n++;
		}
	}
	cJSON_Delete(j);
	if (n > 0)
		qsort(v, n, sizeof(*v), boot_cmp);
	t->e = xcalloc(n ? n : 1, sizeof(*t->e));
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && strcmp(t->e[k - 1].label, v[i].e.label) == 0) {
			free(v[i].e.label);	/* listed again: the first service keeps it */
			free(v[i].e.url);
			continue;
		}
		t->e[k++] = v[i].e;
	}
	t->n = (int)k;
	free(v);
	return 0;
}

static int
boot_find_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct sdr_bootstrap_entry *)elem)->label);
}

/* sdr_bootstrap_find - the base URL serving domain: its longest suffix that is a label */
int
sdr_bootstrap_find(const struct sdr_bootstrap *t, const char *domain, char *url, size_t size,
    char **cause)
{
	char dom[SDR_DOMAIN_MAX + 1];
	const char *p;

	if (size > 0)
		url[0] = '\0';
	sdr_domain_norm(domain ? domain : "", domain ? strlen(domain) : 0, dom);
	for (p = dom; *p != '\0'; p = strchr(p, '.') ? strchr(p, '.') + 1 : "") {
		const struct sdr_bootstrap_entry *e;

		if (t->n == 0 || (e = bsearch(p, t->e, (size_t)t->n, sizeof(*t->e),
		    boot_find_cmp)) == NULL)
			continue;
		if (strlen(e->url) + 1 > size) {
			sdr_set_cause(cause, "the RDAP bootstrap URL for %s is too long", dom);
			return -1;
		}
		memcpy(url, e->url, strlen(e->url) + 1);
		return 1;
	}
	return 0;
}

/* stix_domain - the domain of a pattern "[domain-name:value = 'x']", or -1 */
static int
stix_domain(const char *p, char out[SDR_DOMAIN_MAX + 1])
{
	const char *q;

#define SKIP() while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++
#define EXPECT(s) do { if (strncmp(p, s, strlen(s)) != 0) return -1; p += strlen(s); } while (0)
	SKIP();
	EXPECT("[");
	SKIP();
	EXPECT("domain-name");
	SKIP();
	EXPECT(":");
	SKIP();
	EXPECT("value");
	SKIP();
	EXPECT("=");
	SKIP();
	EXPECT("'");
	q = strchr(p, '\'');
	if (q == NULL)
		return -1;
	sdr_domain_norm(p, (size_t)(q - p), out);
	if (out[0] == '\0' || memchr(p, '\\', (size_t)(q - p)) != NULL)
		return -1;
	p = q + 1;
	SKIP();
	EXPECT("]");
	SKIP();
	return *p == '\0' ? 0 : -1;
#undef SKIP
#undef EXPECT
}

/* mentions - does a string of array a contain word (case-insensitively)? */
static int
mentions(const cJSON *a, const char *word)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, (cJSON_IsArray(a) ? a : NULL))
		if (cJSON_IsString(s) && strcasestr(s->valuestring, word) != NULL)
			return 1;
	return 0;
}

/* has - is word one of the strings of array a (case-insensitively)? */
static int
has(const cJSON *a, const char *word)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, (cJSON_IsArray(a) ? a : NULL))
		if (cJSON_IsString(s) && strcasecmp(s->valuestring, word) == 0)
			return 1;
	return 0;
}

/* stix_indicator - one indicator object into *ind; -1 when it is not one we can use */
static int
stix_indicator(const cJSON *o, struct sdr_indicator *ind)
{
	const cJSON *types = cJSON_GetObjectItemCaseSensitive(o, "indicator_types");
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(o, "labels");
	const cJSON *conf = cJSON_GetObjectItemCaseSensitive(o, "confidence");
	const char *id = str_item(o, "id"), *pattern = str_item(o, "pattern");
	const char *ptype = str_item(o, "pattern_type"), *from = str_item(o, "valid_from");
	const char *until = str_item(o, "valid_until");
	double d = cJSON_IsNumber(conf) ? conf->valuedouble : -1;
	/* confidence is 0..100 (STIX 2.1 3.2); NaN or absent: none */
	int c = !(d >= 0) ? -1 : d > 100 ? 100 : (int)d;

	memset(ind, 0, sizeof(*ind));
	/* STIX 2.1 2.9: "indicator--" and a UUID; the store keys on it */
	if (id == NULL || strncmp(id, "indicator--", 11) != 0 || id[11] == '\0' ||
	    strlen(id) >= sizeof(ind->id) || pattern == NULL ||
	    (ptype != NULL && strcmp(ptype, "stix") != 0) || stix_domain(pattern, ind->domain) < 0)
		return -1;
	sdr_safe_text(id, strlen(id), ind->id, sizeof(ind->id));
	if ((from != NULL && rfc3339(from, &ind->valid_from) < 0) ||
	    (until != NULL && rfc3339(until, &ind->valid_until) < 0))
		return -1;
	ind->revoked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "revoked"));
	if (has(types, "malicious-activity") || has(labels, "malicious-activity"))
		ind->verdict = c < 0 || c >= 80 ? SDR_AWFUL : c >= 50 ? SDR_POOR : SDR_TAINTED;
	else if (has(types, "anomalous-activity") || has(labels, "anomalous-activity") ||
	    has(types, "compromised") || has(labels, "compromised"))
		ind->verdict = c >= 80 ? SDR_TAINTED : SDR_WEAK;
	else if (has(types, "benign") || has(labels, "benign"))
		ind->verdict = SDR_GOOD;
	else
		ind->verdict = SDR_TAINTED;
	if (mentions(types, "malware") || mentions(labels, "malware"))
		str_copy(ind->category, "Malware", sizeof(ind->category));
	else if (mentions(types, "phishing") || mentions(labels, "phishing"))
		str_copy(ind->category, "Phishing", sizeof(ind->category));
	else if (mentions(types, "spam") || mentions(labels, "spam"))
		str_copy(ind->category, "Spam", sizeof(ind->category));
	else
		str_copy(ind->category, "Threat Feed", sizeof(ind->category));
	return 0;
}

/* sdr_stix_envelope - the domain indicators of a TAXII 2.1 envelope; -1 if not one */
int
sdr_stix_envelope(const char *json, size_t len, sdr_indicator_cb cb, void *arg, int *more,
    char *next, size_t nsize, int *skipped, char **cause)
{
	cJSON *j = json_parse(json, len, "TAXII answer", cause);
	const cJSON *objects, *o, *nx, *mo;
	int skip = 0;

	if (more != NULL)
		*more = 0;
	if (next != NULL && nsize > 0)
		next[0] = '\0';
	if (skipped != NULL)
		*skipped = 0;
	if (j == NULL)
		return -1;
	objects = cJSON_GetObjectItemCaseSensitive(j, "objects");
	mo = cJSON_GetObjectItemCaseSensitive(j, "more");
	nx = cJSON_GetObjectItemCaseSensitive(j, "next");
	if ((objects != NULL && !cJSON_IsArray(objects)) || (mo != NULL && !cJSON_IsBool(mo)) ||
	    (nx != NULL && !cJSON_IsString(nx) && !cJSON_IsNull(nx))) {
		sdr_set_cause(cause, "not a TAXII 2.1 envelope (objects, more or next of the wrong type)");
		cJSON_Delete(j);
		return -1;
	}
	if (cJSON_IsString(nx) && (next == NULL || str_copy(next, nx->valuestring, nsize) < 0)) {
		sdr_set_cause(cause, "TAXII envelope: the next cursor is longer than %zu bytes",
		    nsize ? nsize - 1 : 0);
		if (next != NULL && nsize > 0)
			next[0] = '\0';
		cJSON_Delete(j);
		return -1;
	}
	if (more != NULL)
		*more = cJSON_IsTrue(mo);
	cJSON_ArrayForEach(o, objects) {
		struct sdr_indicator ind;
		const char *type = str_item(o, "type");

		if (type == NULL || strcmp(type, "indicator") != 0)
			continue;	/* identities, markings, relationships: not ours */
		if (stix_indicator(o, &ind) < 0) {
			skip++;
			continue;
		}
		if (cb != NULL)
			cb(&ind, arg);
	}
	if (skipped != NULL)
		*skipped = skip;
	cJSON_Delete(j);
	return 0;
}
