/*
 * sdrconfig.c - the operations of `sdradvancedconfig` (the settings and
 * the three kinds of source: DNS blocklists, the local reputation table,
 * external threat feeds), shared by its batch forms and its dialogue.
 *
 * Each operation reads the configuration as this session sees it,
 * checks the whole change (mail/sdrconf.c and mail/sdr.c judge the
 * values: zones, return codes, verdicts, URLs), and only then stages it,
 * in one candidate group, so that a refused operation leaves nothing
 * pending and a store error half-way leaves nothing half-staged. An
 * import is all or nothing too: the first bad line is named ("line N:
 * why") and nothing is staged.
 *
 * An export is written under the data directory, in DIR/configuration,
 * as a new file: under a temporary name first, then linked to its name
 * (which fails if the name exists, unless force renames over it), in a
 * directory opened without following symbolic links (util/fsutil.h), so
 * an export never writes through a link planted there nor leaves half a
 * file under the name asked for.
 *
 * DIAGNOSTICS: one error line per refusal (see sdrconfig.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "commands/sdrconfig.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/str.h"

/* Room for a code map in normal form. */
#define CODES_TEXT_MAX (SDR_MAX_CODES * (16 + 2 * (SDR_CATEGORY_MAX + 1)) + 64)

/* said - print a lower layer's cause as the error line; CMD_ERROR */
static enum cmd_ret
said(struct cli *c, char *cause)
{
	cli_error(c, "%s", cause ? cause : "The operation failed.");
	free(cause);
	return CMD_ERROR;
}

/* stage_failed - "Cannot stage WHAT: cause" (cause freed) */
static void
stage_failed(struct cli *c, const char *what, char *cause)
{
	cli_error(c, "Cannot stage %s: %s", what, cause);
	free(cause);
}

int
sdrconfig_load(struct cli *c, struct sdr_conf *conf)
{
	char *cause = NULL;

	if (sdrconf_load(c->st, conf, &cause) < 0) {
		cli_error(c, "Cannot read the Sender Domain Reputation settings: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* group_begin, group_end - one candidate group around an operation's writes; errors printed */
static int
group_begin(struct cli *c)
{
	char *cause = NULL;

	if (config_begin(c->st, &cause) < 0) {
		said(c, str_printf("Cannot stage the change: %s", cause));
		free(cause);
		return -1;
	}
	return 0;
}

static enum cmd_ret
group_end(struct cli *c, int ok)
{
	char *cause = NULL;

	if (config_end(c->st, ok, &cause) < 0) {
		said(c, str_printf("Cannot stage the change: %s", cause));
		free(cause);
		return CMD_ERROR;
	}
	return ok ? CMD_OK : CMD_ERROR;
}

enum cmd_ret
sdrconfig_stage(struct cli *c, const char *const *names, const char *const *values, int n)
{
	char *cause = NULL;
	int ok = 1;

	if (group_begin(c) < 0)
		return CMD_ERROR;
	for (int i = 0; i < n && ok; i++) {
		char *cur;
		int same;

		if (values[i] == NULL)
			continue;
		cur = settings_get(c->st, names[i]);
		same = strcmp(cur, values[i]) == 0;
		free(cur);
		if (!same && settings_stage(c->st, names[i], values[i], &cause) < 0) {
			said(c, str_printf("Cannot stage %s: %s", names[i], cause));
			free(cause);
			ok = 0;
		}
	}
	return group_end(c, ok);
}

/* ---------------------------------------------------------- values */

int
sdrconfig_exception_list(struct cli *c, const char *in, char *out, size_t size, char **cause)
{
	struct addrlist_table t;
	const struct addrlist *l;
	char *why = NULL;
	int rc = -1;

	if (*in == '\0') {
		out[0] = '\0';
		return 0;
	}
	if (addrlist_load(c->st, &t, &why) < 0) {
		*cause = str_printf("Cannot read the address lists: %s", why);
		free(why);
		return -1;
	}
	l = addrlist_find(&t, in);
	if (l == NULL)
		*cause = str_printf("Invalid exception_list '%.100s': there is no address list of "
				    "that name (create one with addresslistconfig new NAME "
				    "domains=@example.com).",
		    in);
	else if (!l->domains_only)
		*cause = str_printf("Invalid exception_list '%.100s': the address list %s holds "
				    "more than domains; an exception list holds only domains "
				    "(@example.com, @.example.com).",
		    in, l->name);
	else if (str_copy(out, l->name, size) < 0)
		*cause = str_printf("Invalid exception_list '%.100s': the name is too long.", in);
	else
		rc = 0;
	addrlist_table_free(&t);
	return rc;
}

int
sdrconfig_rdap_url(const char *in, char *out, size_t size, char **cause)
{
	size_t n = strlen(in);

	if (n == 0) {
		out[0] = '\0';
		return 0;
	}
	if (sdrconf_url_check("rdap_url", in, cause) < 0)
		return -1;
	/* the base of "{base}domain/{name}" (RFC 9082 3.1.3) ends in '/' */
	if (str_fmt(out, size, "%s%s", in, in[n - 1] == '/' ? "" : "/") < 0 ||
	    strlen(out) > SDRCONF_URL_MAX) {
		*cause = str_printf("Invalid rdap_url '%.100s': the value is too long.", in);
		return -1;
	}
	return 0;
}

char *
sdrconfig_bootstrap(struct cli *c, const char *path, char **cause)
{
	int fd = cli_open_file(c, path);
	size_t len = 0;
	char *text = fd < 0 ? NULL : fs_read_fd(fd, SDRCONFIG_BOOTSTRAP_MAX, &len), url[1024];
	char *why = NULL, *compact = NULL, *printed;
	cJSON *o;

	if (text == NULL) {
		*cause = str_printf("Invalid rdap_bootstrap '%.200s': %s.", path,
		    errno == EFBIG ? "the file is too large (at most 4 MB)" :
		    errno == ENXIO ? "not a regular file" : strerror(errno));
		return NULL;
	}
	/*
	 * kept without the file's line breaks and indentation (a setting
	 * holds no control characters), as cJSON prints it: the same
	 * document, which the daemon parses as it would the file
	 */
	if (strlen(text) == len && (o = cJSON_ParseWithLength(text, len)) != NULL) {
		printed = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (printed == NULL)
			abort();	/* allocation failure, as xmalloc */
		compact = str_dup(printed);
		cJSON_free(printed);
	}
	free(text);
	/* any name: a bootstrap file without a service for it still answers 0 */
	if (compact == NULL ||
	    sdr_rdap_bootstrap(compact, strlen(compact), "example.com", url, sizeof(url),
		&why) < 0) {
		*cause = str_printf("Invalid rdap_bootstrap '%.200s': %s (an RFC 9224 dns.json "
				    "file is needed).",
		    path, why ? why : "the file is not JSON");
		free(why);
		free(compact);
		return NULL;
	}
	return compact;
}

/* ---------------------------------------------------------- settings */

/* yes_no - "Yes" / "No" */
static const char *
yes_no(int v)
{
	return v ? "Yes" : "No";
}

enum cmd_ret
sdrconfig_print_settings(struct cli *c)
{
	struct sdr_conf conf;

	if (sdrconfig_load(c, &conf) < 0)
		return CMD_ERROR;
	cli_printf(c, "%-44s %d seconds\n", "Sender Domain Reputation query timeout:",
	    conf.timeout);
	cli_printf(c, "%-44s %s\n", "Domain exception list:",
	    conf.exception_list[0] ? conf.exception_list : "none");
	cli_printf(c, "%-44s %s\n", "Exception list matches based on:",
	    conf.envfrom_only ? "envelope-from domain only" :
				"any of HELO, rDNS, env-from, From, Reply-To");
	cli_printf(c, "%-44s %s\n", "RDAP base URL:", conf.rdap_url[0] ? conf.rdap_url : "none");
	if (conf.rdap_bootstrap[0])
		cli_printf(c, "%-44s imported (%zu bytes)\n", "RDAP bootstrap file:",
		    strlen(conf.rdap_bootstrap));
	else
		cli_printf(c, "%-44s none\n", "RDAP bootstrap file:");
	cli_printf(c, "%-44s %d seconds\n", "Longest time an answer is cached:", conf.cache_ttl);
	cli_printf(c, "%-44s %s\n", "Verify RDAP and TAXII server certificates:",
	    yes_no(conf.verify_peer));
	cli_printf(c, "%-44s %d seconds\n", "External threat feed poll interval:",
	    conf.feed_interval);
	cli_printf(c, "%-44s %d\n", "DNS blocklists:", conf.nblocklists);
	cli_printf(c, "%-44s %d\n", "Local reputation table entries:", conf.nlocal);
	cli_printf(c, "%-44s %d\n", "External threat feeds:", conf.nfeeds);
	sdrconf_free(&conf);
	return CMD_OK;
}

/* ---------------------------------------------------------- blocklists */

/* find_zone - index of a zone in conf, or -1 */
static int
find_zone(const struct sdr_conf *conf, const char *zone)
{
	for (int i = 0; i < conf->nblocklists; i++)
		if (strcmp(conf->blocklists[i].zone, zone) == 0)
			return i;
	return -1;
}

enum cmd_ret
sdrconfig_blocklist_put(struct cli *c, const char *zone_in, const char *codes_text, int edit)
{
	struct sdr_conf conf;
	struct sdr_codes codes;
	char zone[256], *cause = NULL;
	enum cmd_ret r = CMD_ERROR;
	int i;

	if (sdrconf_zone_parse(zone_in, zone, sizeof(zone), &cause) < 0)
		return said(c, cause);
	if (sdr_codes_parse(codes_text, &codes, &cause) < 0) {
		said(c, str_printf("Invalid codes '%.100s': %s.", codes_text, cause));
		free(cause);
		return CMD_ERROR;
	}
	if (codes.n == 0) {
		cli_error(c, "Invalid codes '%.100s': give at least one ANSWER:Verdict[/Category].",
		    codes_text);
		return CMD_ERROR;
	}
	if (sdrconfig_load(c, &conf) < 0)
		return CMD_ERROR;
	i = find_zone(&conf, zone);
	if (edit && i < 0) {
		cli_error(c, "The zone %s is not configured: add it with blocklist new %s "
			     "codes=...",
		    zone, zone);
	} else if (!edit && i >= 0) {
		cli_error(c, "The zone %s is already configured: change its codes with blocklist "
			     "edit %s codes=...",
		    zone, zone);
	} else if (!edit && conf.nblocklists >= SDRCONF_MAX_BLOCKLISTS) {
		cli_error(c, "There are already %d DNS blocklists, the most allowed: delete one "
			     "first.",
		    SDRCONF_MAX_BLOCKLISTS);
	} else if (sdrconf_blocklist_set(c->st, zone, &codes, &cause) < 0) {
		said(c, str_printf("Cannot stage the blocklist %s: %s", zone, cause));
		free(cause);
	} else {
		r = CMD_OK;
	}
	sdrconf_free(&conf);
	return r;
}

enum cmd_ret
sdrconfig_blocklist_delete(struct cli *c, const char *zone_in)
{
	char zone[256], *cause = NULL;
	int rc;

	if (sdrconf_zone_parse(zone_in, zone, sizeof(zone), &cause) < 0)
		return said(c, cause);
	rc = sdrconf_blocklist_delete(c->st, zone, &cause);
	if (rc < 0) {
		said(c, str_printf("Cannot stage the removal of %s: %s", zone, cause));
		free(cause);
		return CMD_ERROR;
	}
	if (rc == 1) {
		cli_error(c, "The zone %s is not configured.", zone);
		return CMD_ERROR;
	}
	return CMD_OK;
}

enum cmd_ret
sdrconfig_blocklist_print(struct cli *c)
{
	struct sdr_conf conf;
	char text[CODES_TEXT_MAX];

	if (sdrconfig_load(c, &conf) < 0)
		return CMD_ERROR;
	if (conf.nblocklists == 0)
		cli_printf(c, "No DNS blocklists are configured.\n");
	else
		cli_printf(c, "%-32s %s\n", "Zone", "Return codes");
	for (int i = 0; i < conf.nblocklists; i++)
		cli_printf(c, "%-32s %s\n", conf.blocklists[i].zone,
		    sdr_codes_format(&conf.blocklists[i].codes, text, sizeof(text)));
	sdrconf_free(&conf);
	return CMD_OK;
}

/* ---------------------------------------------------------- local table */

enum cmd_ret
sdrconfig_local_add(struct cli *c, const char *domain, const char *spec)
{
	struct sdr_conf conf;
	struct sdr_local e;
	char *cause = NULL;
	enum cmd_ret r = CMD_ERROR;

	if (sdrconf_local_parse(domain, spec, &e, &cause) < 0)
		return said(c, cause);
	if (sdrconfig_load(c, &conf) < 0)
		return CMD_ERROR;
	if (conf.nlocal >= SDRCONF_MAX_LOCAL && sdrconf_local_find(&conf, e.domain) == NULL)
		cli_error(c, "The local reputation table holds %d entries, the most allowed: "
			     "delete some first.",
		    SDRCONF_MAX_LOCAL);
	else if (sdrconf_local_set(c->st, &e, &cause) < 0)
		stage_failed(c, e.domain, cause);
	else
		r = CMD_OK;
	sdrconf_free(&conf);
	return r;
}

enum cmd_ret
sdrconfig_local_delete(struct cli *c, const char *domain)
{
	char *cause = NULL;
	int rc = sdrconf_local_delete(c->st, domain, &cause);

	if (rc < 0) {
		said(c, str_printf("Cannot stage the removal of %.100s: %s", domain, cause));
		free(cause);
		return CMD_ERROR;
	}
	if (rc == 1) {
		cli_error(c, "The local reputation table has no entry for %.100s.", domain);
		return CMD_ERROR;
	}
	return CMD_OK;
}

/*
 * One parsed import. A domain given twice is found through a hash table
 * of the entries (open addressing, at most half full), so a file of
 * SDRCONF_MAX_LOCAL lines costs about as many lookups, not their square.
 */
struct import {
	int n;				/* entries (a domain given twice: the last line wins) */
	struct sdr_local *e;
	int *slot;			/* index + 1 of an entry in e, 0 empty */
	size_t nslot;			/* a power of two, at least twice n */
};

/* import_hash - FNV-1a of a domain */
static size_t
import_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* import_find - the slot of domain: its entry's, or the empty one where it would go */
static size_t
import_find(const struct import *im, const char *domain)
{
	size_t i = import_hash(domain) & (im->nslot - 1);

	while (im->slot[i] != 0 && strcmp(im->e[im->slot[i] - 1].domain, domain) != 0)
		i = (i + 1) & (im->nslot - 1);
	return i;
}

/* import_grow - a table twice as large, every entry placed again */
static void
import_grow(struct import *im)
{
	free(im->slot);
	im->nslot = im->nslot ? 2 * im->nslot : 64;
	im->slot = xcalloc(im->nslot, sizeof(*im->slot));
	for (int k = 0; k < im->n; k++)
		im->slot[import_find(im, im->e[k].domain)] = k + 1;
}

/*
 * import_add - an entry of the file; a later line for the same domain
 * replaces the earlier. -1 when it is a new domain and the file already
 * holds SDRCONF_MAX_LOCAL of them.
 */
static int
import_add(struct import *im, const struct sdr_local *e)
{
	size_t i;

	if (2 * ((size_t)im->n + 1) > im->nslot)
		import_grow(im);
	i = import_find(im, e->domain);
	if (im->slot[i] != 0) {
		im->e[im->slot[i] - 1] = *e;
		return 0;
	}
	if (im->n >= SDRCONF_MAX_LOCAL)
		return -1;
	if ((im->n & (im->n - 1)) == 0)
		im->e = xrealloc(im->e, (im->n ? 2 * (size_t)im->n : 16) * sizeof(*e));
	im->e[im->n++] = *e;
	im->slot[i] = im->n;
	return 0;
}

/* import_free - release a parsed import */
static void
import_free(struct import *im)
{
	free(im->e);
	free(im->slot);
	memset(im, 0, sizeof(*im));
}

/* import_parse - every line of text; -1 with the first bad line printed */
static int
import_parse(struct cli *c, char *text, struct import *im)
{
	long line = 0;
	char *p = text, *cause = NULL;

	while (*p) {
		char *nl = strchr(p, '\n'), *q;
		struct sdr_local e;
		int r;

		line++;
		if (nl)
			*nl = '\0';
		q = p + strlen(p);
		if (q > p && q[-1] == '\r')
			q[-1] = '\0';
		memset(&e, 0, sizeof(e));
		r = sdr_local_parse_line(p, e.domain, sizeof(e.domain), &e.verdict, e.category,
		    sizeof(e.category), &cause);
		if (r < 0) {
			cli_error(c, "line %ld: %s", line, cause ? cause : "not an entry.");
			free(cause);
			return -1;
		}
		/* no more domains than the table can ever hold */
		if (r == 1 && import_add(im, &e) < 0) {
			cli_error(c, "line %ld: the file holds more than %d entries, the most the "
				     "table allows.",
			    line, SDRCONF_MAX_LOCAL);
			return -1;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

enum cmd_ret
sdrconfig_local_import(struct cli *c, const char *path)
{
	struct sdr_conf conf;
	struct import im = { 0, NULL, NULL, 0 };
	unsigned char *unchanged = NULL;	/* [i]: entry i is in the table as it is */
	char *text, *cause = NULL, val[64 + SDR_CATEGORY_MAX], cur[64 + SDR_CATEGORY_MAX];
	size_t len = 0;
	int fd, added = 0, changed = 0, same = 0, ok = 1;
	enum cmd_ret r = CMD_ERROR;

	fd = cli_open_file(c, path);
	text = fd < 0 ? NULL : fs_read_fd(fd, SDRCONFIG_CSV_MAX, &len);
	if (text == NULL) {
		cli_error(c, "Cannot read the file %.200s: %s.", path,
		    errno == EFBIG ? "the file is too large (at most 32 MB)" :
		    errno == ENXIO ? "not a regular file" : strerror(errno));
		return CMD_ERROR;
	}
	if (strlen(text) != len) {
		size_t nul = strlen(text);
		long line = 1;

		for (size_t i = 0; i < nul; i++)
			line += text[i] == '\n';
		cli_error(c, "line %ld: the line holds a NUL byte.", line);
		free(text);
		return CMD_ERROR;
	}
	if (import_parse(c, text, &im) < 0 || sdrconfig_load(c, &conf) < 0) {
		free(text);
		import_free(&im);
		return CMD_ERROR;
	}
	free(text);
	unchanged = xcalloc((size_t)im.n + 1, 1);
	for (int i = 0; i < im.n; i++) {
		const struct sdr_local *old = sdrconf_local_find(&conf, im.e[i].domain);

		if (old == NULL)
			added++;
		else if (strcmp(sdrconf_local_text(old, cur, sizeof(cur)),
			     sdrconf_local_text(&im.e[i], val, sizeof(val))) == 0) {
			unchanged[i] = 1;
			same++;
		} else {
			changed++;
		}
	}
	if (conf.nlocal + added > SDRCONF_MAX_LOCAL) {
		cli_error(c, "The import would make %d entries; the local reputation table holds "
			     "at most %d.",
		    conf.nlocal + added, SDRCONF_MAX_LOCAL);
		goto out;
	}
	if (group_begin(c) < 0)
		goto out;
	/* an entry as it is already (in this session's view) needs no staging */
	for (int i = 0; i < im.n && ok; i++)
		if (!unchanged[i] && sdrconf_local_set(c->st, &im.e[i], &cause) < 0) {
			said(c, str_printf("Cannot stage the entry for %s: %s", im.e[i].domain,
			    cause));
			free(cause);
			ok = 0;
		}
	r = group_end(c, ok);
	if (r == CMD_OK)
		cli_printf(c, "Imported %d entries from %.200s: %d new, %d changed, %d "
			      "unchanged.\n",
		    im.n, path, added, changed, same);
out:
	sdrconf_free(&conf);
	import_free(&im);
	free(unchanged);
	return r;
}

/* export_name_ok - one file name: no '/', not hidden, printable, not too long */
static int
export_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 200 || name[0] == '.' || strchr(name, '/'))
		return 0;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return 0;
	return 1;
}

/* write_all - the whole of b to fd; -1 with errno */
static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

enum cmd_ret
sdrconfig_local_export(struct cli *c, const char *name, int force)
{
	struct sdr_conf conf;
	struct buf b;
	struct stat sb;
	char *dir, *tmp, val[64 + SDR_CATEGORY_MAX];
	int dfd, fd, rc, err;
	enum cmd_ret r = CMD_ERROR;

	if (!export_name_ok(name)) {
		cli_error(c, "Invalid file name '%.100s': give a name without '/' that does not "
			     "start with '.' (the file is written in the directory %s of the data "
			     "directory).",
		    name, SDRCONFIG_EXPORT_DIR);
		return CMD_ERROR;
	}
	if (sdrconfig_load(c, &conf) < 0)
		return CMD_ERROR;
	dir = str_printf("%s/%s", store_dir(c->st), SDRCONFIG_EXPORT_DIR);
	dfd = fs_open_dir(dir, 0700);
	if (dfd < 0) {
		cli_error(c, "Cannot open the directory %.200s: %s.", dir, fs_strerror(errno));
		goto out;
	}
	if (!force && fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		cli_error(c, "The file %.200s/%s exists: add force to replace it.", dir, name);
		close(dfd);
		goto out;
	}
	buf_init(&b, 0);
	buf_addstr(&b, "# domain,verdict,category\n");
	for (int i = 0; i < conf.nlocal; i++)
		buf_printf(&b, "%s,%s\n", conf.local[i].domain,
		    sdrconf_local_text(&conf.local[i], val, sizeof(val)));
	tmp = str_printf(".%s.%ld.tmp", name, (long)getpid());
	fd = fs_openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	rc = fd < 0 ? -1 : write_all(fd, b.data, b.len);
	if (rc == 0)
		rc = fsync(fd);
	err = errno;
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		rc = -1;
		err = errno;
	}
	if (rc == 0) {
		/* link: never replaces a file that appeared meanwhile; rename (force) does */
		rc = force ? renameat(dfd, tmp, dfd, name) : linkat(dfd, tmp, dfd, name, 0);
		err = errno;
		if (rc < 0 && err == EEXIST)
			cli_error(c, "The file %.200s/%s exists: add force to replace it.", dir,
			    name);
		else if (rc < 0)
			cli_error(c, "Cannot write %.200s/%s: %s.", dir, name, fs_strerror(err));
	} else {
		cli_error(c, "Cannot write %.200s/%s: %s.", dir, name, fs_strerror(err));
	}
	if (fd >= 0 && !(rc == 0 && force))
		unlinkat(dfd, tmp, 0);
	if (rc == 0) {
		cli_printf(c, "Exported %d entries to %s/%s.\n", conf.nlocal, dir, name);
		r = CMD_OK;
	}
	free(tmp);
	buf_free(&b);
	close(dfd);
out:
	free(dir);
	sdrconf_free(&conf);
	return r;
}

enum cmd_ret
sdrconfig_local_print(struct cli *c)
{
	struct sdr_conf conf;

	if (sdrconfig_load(c, &conf) < 0)
		return CMD_ERROR;
	if (conf.nlocal == 0)
		cli_printf(c, "The local reputation table is empty.\n");
	else
		cli_printf(c, "%-40s %-8s %s\n", "Domain", "Verdict", "Category");
	for (int i = 0; i < conf.nlocal && !c->stopped; i++)
		cli_printf(c, "%-40s %-8s %s\n", conf.local[i].domain,
		    sdr_verdict_name(conf.local[i].verdict),
		    conf.local[i].category[0] ? conf.local[i].category : "N/A");
	sdrconf_free(&conf);
	return CMD_OK;
}

/* ---------------------------------------------------------- feeds */

enum cmd_ret
sdrconfig_feed_new(struct cli *c, const char *name, const char *url)
{
	struct sdr_conf conf;
	char *cause = NULL;
	enum cmd_ret r = CMD_ERROR;
	int exists = 0;

	if (sdrconf_feed_name_valid(name, &cause) < 0 || sdrconf_feed_url_check(url, &cause) < 0)
		return said(c, cause);
	if (sdrconfig_load(c, &conf) < 0)
		return CMD_ERROR;
	for (int i = 0; i < conf.nfeeds; i++)
		exists |= strcasecmp(conf.feeds[i].name, name) == 0;
	if (exists)
		cli_error(c, "There is already a feed named %s.", name);
	else if (conf.nfeeds >= SDRCONF_MAX_FEEDS)
		cli_error(c, "There are already %d external threat feeds, the most allowed: delete "
			     "one first.",
		    SDRCONF_MAX_FEEDS);
	else if (sdrconf_feed_set(c->st, name, url, &cause) < 0)
		stage_failed(c, name, cause);
	else
		r = CMD_OK;
	sdrconf_free(&conf);
	return r;
}

enum cmd_ret
sdrconfig_feed_delete(struct cli *c, const char *name)
{
	char *cause = NULL;
	int rc = sdrconf_feed_delete(c->st, name, &cause);

	if (rc < 0) {
		said(c, str_printf("Cannot stage the removal of %.100s: %s", name, cause));
		free(cause);
		return CMD_ERROR;
	}
	if (rc == 1) {
		cli_error(c, "There is no feed named %.100s.", name);
		return CMD_ERROR;
	}
	return CMD_OK;
}

enum cmd_ret
sdrconfig_feed_print(struct cli *c)
{
	struct sdr_conf conf;

	if (sdrconfig_load(c, &conf) < 0)
		return CMD_ERROR;
	if (conf.nfeeds == 0)
		cli_printf(c, "No external threat feeds are configured.\n");
	else
		cli_printf(c, "%-24s %s\n", "Feed", "URL");
	for (int i = 0; i < conf.nfeeds; i++)
		cli_printf(c, "%-24s %s\n", conf.feeds[i].name, conf.feeds[i].url);
	sdrconf_free(&conf);
	return CMD_OK;
}
