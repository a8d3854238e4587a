/*
 * logsub.c - log subscriptions: the model shared by `logconfig`,
 * `rollovernow` and the log tools (mxsh) and by the writers (mxgated for
 * mail_logs-type logs, mxsh for cli_logs-type ones).
 *
 * The built-in mail_logs and cli_logs are read from and staged to their
 * log.NAME.* settings, so the rows of store/settings_table.c remain their
 * one declaration (defaults and ranges); every other subscription is a
 * JSON item of section "logsub" checked against the same ranges. Loading
 * re-validates what is stored and names the item that is wrong.
 *
 * The writer side (logsub_out_*) keeps one util/logfile.c handle per
 * subscription and formats each line once for all of them; a line at a
 * level that no file takes is not even formatted, so Debug lines cost
 * nothing until a Debug subscription exists.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause for an unknown log, an
 * invalid value or a store error. Nothing here prints or exits.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "mail/logsub.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/printable.h"
#include "util/str.h"

/* Longest log line kept (util/logfile.c cuts at the same length). */
#define LOGSUB_LINE_MAX 8192

static const struct {
	const char *type, *prefix, *label;
} types[LOGSUB_NTYPES] = {
	[LOGSUB_MAIL] = { "mail_logs", "mail", "IronPort Text Mail Logs" },
	[LOGSUB_CLI] = { "cli_logs", "cli", "CLI Audit Logs" },
};

/* logsub_type_name - the type's batch word, also the name of its built-in log */
const char *
logsub_type_name(enum logsub_type t)
{
	return types[(unsigned)t < LOGSUB_NTYPES ? t : LOGSUB_MAIL].type;
}

/* logsub_prefix - the file prefix of a type's logs */
const char *
logsub_prefix(enum logsub_type t)
{
	return types[(unsigned)t < LOGSUB_NTYPES ? t : LOGSUB_MAIL].prefix;
}

/* logsub_type_label - the type as AsyncOS lists it */
const char *
logsub_type_label(enum logsub_type t)
{
	return types[(unsigned)t < LOGSUB_NTYPES ? t : LOGSUB_MAIL].label;
}

/* logsub_type_parse - a type from its batch word */
int
logsub_type_parse(const char *s, enum logsub_type *t)
{
	for (int i = 0; i < LOGSUB_NTYPES; i++)
		if (strcasecmp(s, types[i].type) == 0) {
			*t = (enum logsub_type)i;
			return 0;
		}
	return -1;
}

/* logsub_level_parse - a level from its name */
int
logsub_level_parse(const char *s, enum logfile_level *level)
{
	for (int i = LOGFILE_CRITICAL; i <= LOGFILE_TRACE; i++)
		if (strcasecmp(s, logfile_level_name((enum logfile_level)i)) == 0) {
			*level = (enum logfile_level)i;
			return 0;
		}
	return -1;
}

/* logsub_is_builtin - mail_logs or cli_logs */
int
logsub_is_builtin(const char *name)
{
	for (int i = 0; i < LOGSUB_NTYPES; i++)
		if (strcmp(name, types[i].type) == 0)
			return 1;
	return 0;
}

/* shown - operator text as a cause may echo it: printable, one line, cut */
static const char *
shown(const char *t, char *buf, size_t size)
{
	printable_copy(buf, size, t, strlen(t), 100);
	return buf;
}

/* logsub_name_valid - a name that is also a safe directory name */
int
logsub_name_valid(const char *name, char **cause)
{
	size_t n = strlen(name);
	char nb[512];

	/* the first character keeps ".", ".." and hidden directories out */
	if (n > 0 && !isalnum((unsigned char)name[0]))
		n = 0;
	for (const char *p = name; *p && n; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			n = 0;
	if (n == 0 || n > LOGSUB_NAME_MAX) {
		*cause = str_printf("Invalid log name '%s': a log name is 1 to %d letters, "
				    "digits, '_', '-' and '.', starting with a letter or a digit.",
		    shown(name, nb, sizeof(nb)), LOGSUB_NAME_MAX);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- fields */

/* The fields of a subscription and the settings rows that give their ranges. */
enum field { F_LEVEL = 0, F_MAX_SIZE, F_MAX_AGE, F_KEEP, NFIELDS };
static const char *const field_names[NFIELDS] = { "level", "max_size", "max_age", "keep" };

/* setting_name - log.TYPE.FIELD of a type's built-in */
static void
setting_name(enum logsub_type t, enum field f, char *out, size_t size)
{
	str_fmt(out, size, "log.%s.%s", logsub_type_name(t), field_names[f]);
}

/* field_def - the settings row of a field (the mail_logs row for ranges) */
static const struct setting_def *
field_def(enum logsub_type t, enum field f)
{
	char name[64];

	setting_name(t, f, name, sizeof(name));
	return settings_find(name);
}

/* def_long - a field's default from its settings row */
static long
def_long(enum logsub_type t, enum field f)
{
	const struct setting_def *d = field_def(t, f);
	long v = 0;

	if (d == NULL || d->def == NULL || str_to_long(d->def, 0, 2147483647L, &v) < 0)
		return 0;
	return v;
}

/* logsub_defaults - level Info, the built-in's default rollover */
void
logsub_defaults(struct logsub *s, const char *name, enum logsub_type t)
{
	memset(s, 0, sizeof(*s));
	str_copy(s->name, name, sizeof(s->name));
	s->type = t;
	s->level = LOGFILE_INFO;
	s->max_size = def_long(t, F_MAX_SIZE);
	s->max_age = def_long(t, F_MAX_AGE);
	s->keep = (int)def_long(t, F_KEEP);
	s->builtin = logsub_is_builtin(name);
}

/* parse_scaled - a decimal with an optional one-letter suffix from units */
static int
parse_scaled(const char *in, const char *units, const long *mults, long min, long max,
    long *out)
{
	char num[32];
	size_t n = strlen(in);
	long mult = 1, v;
	const char *u;

	if (n == 0 || n >= sizeof(num))
		return -1;
	str_copy(num, in, sizeof(num));
	if (!isdigit((unsigned char)num[n - 1])) {
		u = strchr(units, tolower((unsigned char)num[n - 1]));
		if (u == NULL)
			return -1;
		mult = mults[u - units];
		num[n - 1] = '\0';
	}
	if (!isdigit((unsigned char)num[0]) || str_to_long(num, 0, max, &v) < 0 ||
	    v > max / mult || v * mult < min)
		return -1;
	*out = v * mult;
	return 0;
}

/* logsub_set - one field from its batch key */
int
logsub_set(struct logsub *s, const char *key, const char *value, char **cause)
{
	static const long size_mults[] = { 1024L, 1024L * 1024, 1024L * 1024 * 1024 };
	static const long age_mults[] = { 1, 60, 3600, 86400 };
	const struct setting_def *d;
	char vb[512], kb[512];
	long v;

	if (strcmp(key, "type") == 0) {
		if (logsub_type_parse(value, &s->type) < 0) {
			*cause = str_printf("Invalid type '%s': the value must be mail_logs or "
					    "cli_logs.",
			    shown(value, vb, sizeof(vb)));
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "level") == 0) {
		if (logsub_level_parse(value, &s->level) < 0) {
			*cause = str_printf("Invalid level '%s': the value must be Critical, "
					    "Warning, Info, Debug or Trace.",
			    shown(value, vb, sizeof(vb)));
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "max_size") == 0) {
		d = field_def(s->type, F_MAX_SIZE);
		if (d == NULL || parse_scaled(value, "kmg", size_mults, d->min, d->max, &v) < 0) {
			*cause = str_printf("Invalid max_size '%s': the value must be a number "
					    "of bytes between %ld and %ld (K, M or G suffix allowed; "
					    "0: no size limit).",
			    shown(value, vb, sizeof(vb)), d ? d->min : 0, d ? d->max : 0);
			return -1;
		}
		s->max_size = v;
		return 0;
	}
	if (strcmp(key, "max_age") == 0) {
		d = field_def(s->type, F_MAX_AGE);
		if (d == NULL || parse_scaled(value, "smhd", age_mults, d->min, d->max, &v) < 0) {
			*cause = str_printf("Invalid max_age '%s': the value must be a number "
					    "of seconds between %ld and %ld (s, m, h or d suffix "
					    "allowed; 0: no time limit).",
			    shown(value, vb, sizeof(vb)), d ? d->min : 0, d ? d->max : 0);
			return -1;
		}
		s->max_age = v;
		return 0;
	}
	if (strcmp(key, "keep") == 0) {
		d = field_def(s->type, F_KEEP);
		if (d == NULL || !isdigit((unsigned char)*value) ||
		    str_to_long(value, d->min, d->max, &v) < 0) {
			*cause = str_printf("Invalid keep '%s': the value must be a number of "
					    "rolled files between %ld and %ld (0: keep all).",
			    shown(value, vb, sizeof(vb)), d ? d->min : 0, d ? d->max : 0);
			return -1;
		}
		s->keep = (int)v;
		return 0;
	}
	*cause = str_printf("Unknown key '%s': use type, level, max_size, max_age or keep.",
	    shown(key, kb, sizeof(kb)));
	return -1;
}

/* ---------------------------------------------------------- stored form */

/* logsub_encode - {"type":..,"level":..,"max_size":N,"max_age":N,"keep":N} */
char *
logsub_encode(const struct logsub *s)
{
	cJSON *o = cJSON_CreateObject();
	char *json, *out;

	cJSON_AddStringToObject(o, "type", logsub_type_name(s->type));
	cJSON_AddStringToObject(o, "level", logfile_level_name(s->level));
	cJSON_AddNumberToObject(o, "max_size", (double)s->max_size);
	cJSON_AddNumberToObject(o, "max_age", (double)s->max_age);
	cJSON_AddNumberToObject(o, "keep", s->keep);
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (json == NULL)
		abort();	/* cJSON fails only when out of memory */
	out = str_dup(json);
	cJSON_free(json);
	return out;
}

/* decode_num - a stored number member through logsub_set's checks */
static int
decode_num(const char *name, const cJSON *o, const char *key, struct logsub *s, char **cause)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
	char num[32], *why = NULL;

	if (m == NULL)
		return 0;	/* absent: the default */
	if (!cJSON_IsNumber(m) || m->valuedouble < 0 || m->valuedouble > 2147483647.0 ||
	    str_fmt(num, sizeof(num), "%lld", (long long)m->valuedouble) < 0 ||
	    logsub_set(s, key, num, &why) < 0) {
		free(why);
		*cause = str_printf("log %s: the stored %s is malformed", name, key);
		return -1;
	}
	return 0;
}

/* logsub_decode - a stored item, re-validated */
int
logsub_decode(const char *name, const char *json, struct logsub *s, char **cause)
{
	cJSON *o;
	const cJSON *m;
	enum logsub_type t;
	char *why = NULL, nb[512];

	if (logsub_name_valid(name, &why) < 0 || logsub_is_builtin(name)) {
		free(why);
		*cause = str_printf("log '%s': the stored name is not a valid log name",
		    shown(name, nb, sizeof(nb)));
		return -1;
	}
	o = cJSON_Parse(json);
	if (!cJSON_IsObject(o)) {
		*cause = str_printf("log %s: the stored value is not a JSON object", name);
		cJSON_Delete(o);
		return -1;
	}
	m = cJSON_GetObjectItemCaseSensitive(o, "type");
	if (!cJSON_IsString(m) || logsub_type_parse(m->valuestring, &t) < 0) {
		*cause = str_printf("log %s: the stored type is not mail_logs or cli_logs", name);
		cJSON_Delete(o);
		return -1;
	}
	logsub_defaults(s, name, t);
	/* unknown members are ignored: they may come from a newer release */
	m = cJSON_GetObjectItemCaseSensitive(o, "level");
	if (m && (!cJSON_IsString(m) || logsub_level_parse(m->valuestring, &s->level) < 0)) {
		*cause = str_printf("log %s: the stored level is malformed", name);
		cJSON_Delete(o);
		return -1;
	}
	if (decode_num(name, o, "max_size", s, cause) < 0 ||
	    decode_num(name, o, "max_age", s, cause) < 0 ||
	    decode_num(name, o, "keep", s, cause) < 0) {
		cJSON_Delete(o);
		return -1;
	}
	cJSON_Delete(o);
	return 0;
}

/* builtin - a built-in subscription from its settings */
static void
builtin(struct store *st, enum logsub_type t, struct logsub *s)
{
	char key[64], *v;

	logsub_defaults(s, types[t].type, t);
	setting_name(t, F_LEVEL, key, sizeof(key));
	v = settings_get(st, key);
	if (logsub_level_parse(v, &s->level) < 0)
		s->level = LOGFILE_INFO;
	free(v);
	setting_name(t, F_MAX_SIZE, key, sizeof(key));
	s->max_size = settings_get_int(st, key);
	setting_name(t, F_MAX_AGE, key, sizeof(key));
	s->max_age = settings_get_int(st, key);
	setting_name(t, F_KEEP, key, sizeof(key));
	s->keep = (int)settings_get_int(st, key);
}

struct loadctx {
	struct logsub *v;
	int n;
	char *cause;
};

/* add_item - config_item_cb for section logsub */
static int
add_item(const char *section, const char *key, const char *value, void *arg)
{
	struct loadctx *lc = arg;

	(void)section;
	lc->v = xrealloc(lc->v, sizeof(*lc->v) * (size_t)(lc->n + 1));
	if (logsub_decode(key, value, &lc->v[lc->n], &lc->cause) < 0)
		return 1;
	lc->n++;
	return 0;
}

/* logsub_load - the built-ins (from their settings), then the items by name */
int
logsub_load(struct store *st, struct logsub **subs, int *n, char **cause)
{
	struct loadctx lc = { NULL, 0, NULL };

	*subs = NULL;
	*n = 0;
	lc.v = xcalloc(LOGSUB_NTYPES, sizeof(*lc.v));
	for (int t = 0; t < LOGSUB_NTYPES; t++)
		builtin(st, (enum logsub_type)t, &lc.v[t]);
	lc.n = LOGSUB_NTYPES;
	if (config_list(st, LOGSUB_SECTION, add_item, &lc, cause) < 0 || lc.cause) {
		if (lc.cause)
			*cause = lc.cause;
		free(lc.v);
		return -1;
	}
	*subs = lc.v;
	*n = lc.n;
	return 0;
}

/* logsub_find - index by exact name, or -1 */
int
logsub_find(const struct logsub *subs, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(subs[i].name, name) == 0)
			return i;
	return -1;
}

/* stage_builtin - a built-in's four settings (only those that differ) */
static int
stage_builtin(struct store *st, const struct logsub *s, char **cause)
{
	char key[64], val[32], *cur;
	enum logsub_type t;

	if (logsub_type_parse(s->name, &t) < 0 || t != s->type) {
		*cause = str_printf("The type of %s cannot be changed.", s->name);
		return -1;
	}
	for (int f = 0; f < NFIELDS; f++) {
		setting_name(t, (enum field)f, key, sizeof(key));
		switch ((enum field)f) {
		case F_LEVEL:
			str_copy(val, logfile_level_name(s->level), sizeof(val));
			str_lower(val);
			break;
		case F_MAX_SIZE:
			str_fmt(val, sizeof(val), "%lld", s->max_size);
			break;
		case F_MAX_AGE:
			str_fmt(val, sizeof(val), "%lld", s->max_age);
			break;
		default:
			str_fmt(val, sizeof(val), "%d", s->keep);
			break;
		}
		cur = settings_get(st, key);
		if (strcmp(cur, val) != 0 && settings_stage(st, key, val, cause) < 0) {
			free(cur);
			return -1;
		}
		free(cur);
	}
	return 0;
}

/* logsub_stage - stage a subscription, all or nothing */
int
logsub_stage(struct store *st, const struct logsub *s, char **cause)
{
	char *json, *why = NULL;
	int rc;

	if (s->builtin || logsub_is_builtin(s->name)) {
		if (config_begin(st, cause) < 0)
			return -1;
		rc = stage_builtin(st, s, cause);
		if (config_end(st, rc == 0, rc == 0 ? cause : &why) < 0)
			rc = -1;
		free(why);
		return rc;
	}
	if (logsub_name_valid(s->name, cause) < 0)
		return -1;
	json = logsub_encode(s);
	rc = config_set(st, LOGSUB_SECTION, s->name, json, cause);
	free(json);
	return rc;
}

/* logsub_unstage - stage the removal of a subscription (not a built-in) */
int
logsub_unstage(struct store *st, const char *name, char **cause)
{
	if (logsub_is_builtin(name)) {
		*cause = str_printf("The log %s is built in and cannot be deleted.", name);
		return -1;
	}
	return config_delete(st, LOGSUB_SECTION, name, cause);
}

/* logsub_resolve - a log's directory and file prefix */
int
logsub_resolve(struct store *st, const char *name, char *dir, size_t dsize, char *prefix,
    size_t psize, char **cause)
{
	struct logsub *subs;
	struct buf names;
	int n, i;

	if (logsub_load(st, &subs, &n, cause) < 0)
		return -1;
	i = logsub_find(subs, n, name);
	if (i >= 0) {
		str_fmt(dir, dsize, "%s/logs/%s", store_dir(st), subs[i].name);
		str_copy(prefix, logsub_prefix(subs[i].type), psize);
		free(subs);
		return 0;
	}
	buf_init(&names, 0);
	for (i = 0; i < n; i++)
		buf_printf(&names, "%s%s", i ? ", " : "", subs[i].name);
	{
		char nb[256];

		printable_copy(nb, sizeof(nb), name, strlen(name), 60);
		*cause = str_printf("Unknown log '%s': the logs are %s.", nb, names.data);
	}
	buf_free(&names);
	free(subs);
	return -1;
}

/* ---------------------------------------------------------- writers */

struct out_file {
	char name[LOGSUB_NAME_MAX + 1];	/* subscription */
	struct logfile *lf;		/* its open current file */
	enum logfile_level level;	/* as set on lf */
};

struct logsub_out {
	char *datadir;			/* logs go under DATADIR/logs */
	enum logsub_type type;		/* the subscriptions this process writes */
	int n;
	struct out_file *f;		/* in the order of the last apply */
	int maxlevel;			/* highest level any file takes; -1: none */
};

/* logsub_out_new - nothing open yet */
struct logsub_out *
logsub_out_new(const char *datadir, enum logsub_type type)
{
	struct logsub_out *o = xcalloc(1, sizeof(*o));

	o->datadir = str_dup(datadir);
	o->type = type;
	o->maxlevel = -1;
	return o;
}

/* out_find - index of an open file by subscription name, or -1 */
static int
out_find(const struct logsub_out *o, const char *name)
{
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->f[i].name, name) == 0)
			return i;
	return -1;
}

/* logsub_out_apply - open, close and set the files to match subs */
int
logsub_out_apply(struct logsub_out *o, const struct logsub *subs, int n, char **cause)
{
	struct out_file *nf = xcalloc((size_t)n + 1, sizeof(*nf));
	int nn = 0, rc = 0;

	for (int i = 0; i < n; i++) {
		const struct logsub *s = &subs[i];
		int k, dup = 0;

		for (int j = 0; j < nn; j++)
			dup |= strcmp(nf[j].name, s->name) == 0;
		if (s->type != o->type || dup)
			continue;
		k = out_find(o, s->name);
		if (k >= 0) {
			nf[nn] = o->f[k];
			o->f[k].lf = NULL;	/* moved */
		} else {
			char *dir = str_printf("%s/logs/%s", o->datadir, s->name), *why = NULL;

			str_copy(nf[nn].name, s->name, sizeof(nf[nn].name));
			nf[nn].lf = logfile_open(dir, logsub_prefix(s->type), &why);
			free(dir);
			if (nf[nn].lf == NULL) {
				if (rc == 0)
					*cause = str_printf("log %s: %s", s->name, why);
				free(why);
				rc = -1;
				continue;
			}
		}
		nf[nn].level = s->level;
		logfile_set_level(nf[nn].lf, s->level);
		logfile_set_rollover(nf[nn].lf, s->max_size, s->max_age, s->keep);
		nn++;
	}
	/* whatever was not carried over is no longer subscribed */
	for (int i = 0; i < o->n; i++)
		logfile_close(o->f[i].lf);
	free(o->f);
	o->f = nf;
	o->n = nn;
	o->maxlevel = -1;
	for (int i = 0; i < nn; i++)
		if ((int)nf[i].level > o->maxlevel)
			o->maxlevel = (int)nf[i].level;
	return rc;
}

/* logsub_out_get - the open file of a subscription */
struct logfile *
logsub_out_get(struct logsub_out *o, const char *name)
{
	int k = o ? out_find(o, name) : -1;

	return k < 0 ? NULL : o->f[k].lf;
}

/* logsub_out_wants - would any file take a line at level? */
int
logsub_out_wants(const struct logsub_out *o, enum logfile_level level)
{
	return o != NULL && (int)level <= o->maxlevel;
}

/* logsub_out_vwrite - format once, write to each file that takes the level */
void
logsub_out_vwrite(struct logsub_out *o, enum logfile_level level, const char *fmt, va_list ap)
{
	char msg[LOGSUB_LINE_MAX];

	if (!logsub_out_wants(o, level))
		return;
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	for (int i = 0; i < o->n; i++)
		if (level <= o->f[i].level)
			logfile_write(o->f[i].lf, level, "%s", msg);
}

/* logsub_out_write - variadic form */
void
logsub_out_write(struct logsub_out *o, enum logfile_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logsub_out_vwrite(o, level, fmt, ap);
	va_end(ap);
}

/* logsub_out_reopen - every current file anew */
void
logsub_out_reopen(struct logsub_out *o)
{
	for (int i = 0; o && i < o->n; i++)
		if (logfile_reopen(o->f[i].lf) < 0)	/* a link planted in its place, say */
			logfile_write(o->f[i].lf, LOGFILE_WARNING,
			    "Log file %s not reopened: %s; still writing the file open before",
			    logfile_path(o->f[i].lf), fs_strerror(errno));
}

/* logsub_out_free - close everything */
void
logsub_out_free(struct logsub_out *o)
{
	if (o == NULL)
		return;
	for (int i = 0; i < o->n; i++)
		logfile_close(o->f[i].lf);
	free(o->f);
	free(o->datadir);
	free(o);
}
