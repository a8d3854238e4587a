/*
 * cfgfile.c - write and read the configuration file (mail/cfgfile.h).
 *
 * The file is written with cJSON_Print, one item a few lines, so that a
 * line and column mean something to the operator who edits one. Reading
 * takes cJSON's error position for malformed JSON; cJSON keeps no
 * positions for what it parsed, so a field of the wrong kind is placed by
 * a second, structural scan of the text (locate) that finds where each
 * top-level value and each element of "items" starts.
 *
 * The file comes from anywhere (a copy the operator edited, a truncated
 * transfer): every field is checked for kind and range before use, the
 * key derivation's limits are bounded (a file must not make loadconfig
 * spend gigabytes), and nothing of a refused file is kept.
 *
 * DIAGNOSTICS: see cfgfile.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "mail/cfgfile.h"
#include "store/store.h"
#include "util/str.h"

#define KEY_MAX 1024		/* bytes of a section or key */

_Static_assert(sizeof(((struct cfgfile *)0)->salt) == crypto_pwhash_SALTBYTES,
    "salt size is crypto_pwhash_SALTBYTES");

void
cfgfile_init(struct cfgfile *f)
{
	*f = (struct cfgfile){ 0 };
}

/* drop - cleanse and free a value that may be a secret */
static void
drop(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

void
cfgfile_free(struct cfgfile *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->items[i].section);
		free(f->items[i].key);
		drop(f->items[i].value);
	}
	free(f->items);
	free(f->version);
	free(f->hostname);
	free(f->saved);
	free(f->check);
	cfgfile_init(f);
}

void
cfgfile_add(struct cfgfile *f, const char *section, const char *key, const char *value,
    int secret)
{
	struct cfgfile_item *it;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->items = xrealloc(f->items, f->cap * sizeof(*f->items));
	}
	it = &f->items[f->n++];
	*it = (struct cfgfile_item){ 0 };
	it->section = str_dup(section);
	it->key = str_dup(key);
	it->value = str_dup(value);
	it->secret = secret;
}

void
cfgfile_position(const char *text, size_t off, size_t *line, size_t *column)
{
	size_t l = 1, c = 1;

	for (size_t i = 0; i < off && text[i] != '\0'; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*column = c;
}

/* ------------------------------------------------------------ sealing */

/* derive - the secretbox key of passphrase under f's salt and limits */
static int
derive(const struct cfgfile *f, const char *passphrase, unsigned char key[crypto_secretbox_KEYBYTES],
    char **cause)
{
	if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase), f->salt,
	    f->opslimit, f->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		*cause = str_dup("cannot derive a key from the passphrase (out of memory)");
		return -1;
	}
	return 0;
}

/* plain - "section\0key\0clear": what is sealed, binding the value to its item */
static unsigned char *
plain(const char *section, const char *key, const char *clear, size_t *len)
{
	size_t ls = strlen(section) + 1, lk = strlen(key) + 1, lc = strlen(clear);
	unsigned char *p = xmalloc(ls + lk + lc + 1);

	memcpy(p, section, ls);
	memcpy(p + ls, key, lk);
	memcpy(p + ls + lk, clear, lc);
	*len = ls + lk + lc;
	return p;
}

/* seal - base64(nonce || secretbox(section\0key\0clear)) */
static char *
seal(const unsigned char *key, const char *section, const char *name, const char *clear)
{
	size_t pl, bl, b64l;
	unsigned char *p = plain(section, name, clear, &pl), *box;
	char *b64;

	bl = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + pl;
	box = xmalloc(bl);
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, p, pl, box, key);
	sodium_memzero(p, pl);
	free(p);
	b64l = sodium_base64_ENCODED_LEN(bl, sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(b64l);
	sodium_bin2base64(b64, b64l, box, bl, sodium_base64_VARIANT_ORIGINAL);
	free(box);
	return b64;
}

/* unseal_one - the clear value of a sealed one, or NULL (altered, moved, wrong key) */
static char *
unseal_one(const unsigned char *key, const char *section, const char *name, const char *b64)
{
	size_t n = strlen(b64), bl, pl, ls = strlen(section) + 1, lk = strlen(name) + 1;
	unsigned char *box = xmalloc(n + 1), *p;
	char *clear = NULL;

	if (sodium_base642bin(box, n + 1, b64, n, NULL, &bl, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bl < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
		free(box);
		return NULL;
	}
	pl = bl - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	p = xmalloc(pl + 1);
	if (crypto_secretbox_open_easy(p, box + crypto_secretbox_NONCEBYTES,
	    bl - crypto_secretbox_NONCEBYTES, box, key) == 0 && pl >= ls + lk &&
	    memcmp(p, section, ls) == 0 && memcmp(p + ls, name, lk) == 0 &&
	    memchr(p + ls + lk, '\0', pl - ls - lk) == NULL) {
		clear = str_ndup((const char *)p + ls + lk, pl - ls - lk);
	}
	sodium_memzero(p, pl + 1);
	free(p);
	free(box);
	return clear;
}

/* ------------------------------------------------------------ writing */

char *
cfgfile_write(struct cfgfile *f, const char *passphrase, char **cause)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	cJSON *o = cJSON_CreateObject(), *items;
	char *text;

	cJSON_AddNumberToObject(o, "format", CFGFILE_FORMAT);
	cJSON_AddStringToObject(o, "product", CFGFILE_PRODUCT);
	cJSON_AddStringToObject(o, "version", f->version ? f->version : "");
	cJSON_AddStringToObject(o, "hostname", f->hostname ? f->hostname : "");
	cJSON_AddStringToObject(o, "saved", f->saved ? f->saved : "");
	cJSON_AddNumberToObject(o, "schema", f->schema);
	cJSON_AddNumberToObject(o, "commit", (double)f->commit);
	cJSON_AddStringToObject(o, "secrets", passphrase ? "encrypted" : "masked");
	if (passphrase) {
		cJSON *kdf = cJSON_AddObjectToObject(o, "kdf");
		char salt[sodium_base64_ENCODED_LEN(crypto_pwhash_SALTBYTES,
		    sodium_base64_VARIANT_ORIGINAL)];
		char *chk;

		randombytes_buf(f->salt, sizeof(f->salt));
		/* a file leaves the gateway: guessing its passphrase must cost what libsodium calls moderate */
		f->opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
		f->memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
		if (derive(f, passphrase, key, cause) < 0) {
			cJSON_Delete(o);
			return NULL;
		}
		sodium_bin2base64(salt, sizeof(salt), f->salt, sizeof(f->salt),
		    sodium_base64_VARIANT_ORIGINAL);
		chk = seal(key, "", "", CFGFILE_CHECK);
		cJSON_AddStringToObject(kdf, "alg", "argon2id13");
		cJSON_AddStringToObject(kdf, "salt", salt);
		cJSON_AddNumberToObject(kdf, "opslimit", (double)f->opslimit);
		cJSON_AddNumberToObject(kdf, "memlimit", (double)f->memlimit);
		cJSON_AddStringToObject(kdf, "check", chk);
		free(chk);
	}
	items = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; i < f->n; i++) {
		const struct cfgfile_item *it = &f->items[i];
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "section", it->section);
		cJSON_AddStringToObject(e, "key", it->key);
		/* an empty secret hides nothing: written as a value, loadable from a masked file */
		if (!it->secret || it->value[0] == '\0') {
			cJSON_AddStringToObject(e, "value", it->value);
		} else if (passphrase == NULL) {
			cJSON_AddStringToObject(e, "secret", CFGFILE_MASK);
		} else {
			char *s = seal(key, it->section, it->key, it->value);

			cJSON_AddStringToObject(e, "secret", s);
			free(s);
		}
		cJSON_AddItemToArray(items, e);
	}
	sodium_memzero(key, sizeof(key));
	text = cJSON_Print(o);
	cJSON_Delete(o);
	if (text == NULL) {
		*cause = str_dup("cannot write the configuration as JSON (out of memory)");
		return NULL;
	}
	/* cJSON's allocator is malloc: callers free() it */
	return text;
}

/* ------------------------------------------------------------ reading */

/* skip_blank - the first offset at or after i that is not JSON white space */
static size_t
skip_blank(const char *t, size_t len, size_t i)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	return i;
}

/*
 * locate - in a text cJSON accepted: where the value of the top-level
 * key starts (0 if it is not there), and in elems[0..nelems) where the
 * elements of that value start when it is an array. Strings are skipped
 * with their escapes, so brackets inside them do not count.
 */
static size_t
locate(const char *t, size_t len, const char *key, size_t *elems, size_t nelems)
{
	size_t i, klen = strlen(key), kstart = 0, kl = 0, found = 0, el = 0;
	int depth = 0, want_key = 0, have_key = 0, in_arr = 0;

	for (i = 0; i < len; i++) {
		char c = t[i];

		if (c == '"') {
			size_t s = i + 1;

			for (i++; i < len && t[i] != '"'; i++)
				if (t[i] == '\\')
					i++;
			if (depth == 1 && want_key) {
				kstart = s;
				kl = i - s;
				want_key = 0;
				have_key = 1;
			}
			continue;
		}
		switch (c) {
		case '{':
		case '[':
			depth++;
			if (depth == 1)
				want_key = 1;
			break;
		case '}':
		case ']':
			depth--;
			if (depth < 2)
				in_arr = 0;
			if (depth == 0)
				return found;
			break;
		case ',':
			if (depth == 1) {
				want_key = 1;
			} else if (depth == 2 && in_arr) {
				el++;
				if (el < nelems)
					elems[el] = skip_blank(t, len, i + 1);
			}
			break;
		case ':':
			if (depth == 1 && have_key && kl == klen &&
			    memcmp(t + kstart, key, klen) == 0) {
				found = skip_blank(t, len, i + 1);
				if (found < len && t[found] == '[') {
					in_arr = 1;
					el = 0;
					if (nelems > 0)
						elems[0] = skip_blank(t, len, found + 1);
				}
			}
			have_key = 0;
			break;
		default:
			break;
		}
	}
	return found;
}

/*
 * open_at_end - does text end inside a string or with a bracket open? Then
 * a parse error is the end of the file coming too early (a truncated
 * copy), whatever byte cJSON's error position points at (it cannot point
 * past the last one).
 */
static int
open_at_end(const char *t, size_t len)
{
	long depth = 0;

	for (size_t i = 0; i < len; i++) {
		if (t[i] == '"') {
			for (i++; i < len && t[i] != '"'; i++)
				if (t[i] == '\\')
					i++;
			if (i >= len)
				return 1;
		} else if (t[i] == '{' || t[i] == '[') {
			depth++;
		} else if (t[i] == '}' || t[i] == ']') {
			depth--;
		}
	}
	return depth > 0;
}

/* perr - "line L, column C: WHAT" at offset off of text */
static int
perr(char **cause, const char *text, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
perr(char **cause, const char *text, size_t off, const char *fmt, ...)
{
	size_t line, col;
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = str_vprintf(fmt, ap);
	va_end(ap);
	cfgfile_position(text, off, &line, &col);
	*cause = str_printf("line %zu, column %zu: %s", line, col, what);
	free(what);
	return -1;
}

/* field_at - where the top-level field name's value starts (the object's start if absent) */
static size_t
field_at(const char *text, size_t len, const char *name)
{
	size_t at = locate(text, len, name, NULL, 0);

	return at ? at : skip_blank(text, len, 0);
}

/* get_string - a top-level string field (required), copied into *out */
static int
get_string(const cJSON *o, const char *text, size_t len, const char *name, char **out,
    char **cause)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsString(v))
		return perr(cause, text, field_at(text, len, name), "\"%s\" must be %s", name,
		    v ? "a string" : "given (a string)");
	*out = str_dup(v->valuestring);
	return 0;
}

/* get_int - a top-level whole number field within [min, max] */
static int
get_int(const cJSON *o, const char *text, size_t len, const char *name, double min, double max,
    long long *out, char **cause)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	/* the range first: a cast of a double beyond long long is undefined */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= min && v->valuedouble <= max) ||
	    v->valuedouble != (double)(long long)v->valuedouble)
		return perr(cause, text, field_at(text, len, name),
		    "\"%s\" must be a whole number from %.0f to %.0f", name, min, max);
	*out = (long long)v->valuedouble;
	return 0;
}

/* control - does s hold a control character (a section or key must not) */
static int
control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* name_cmp - qsort of cJSON member names (a pointer to a char pointer) */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * once - refuse a top-level field given twice: cJSON takes the first, an
 * operator reading the file sees the last. The second one is placed (as
 * locate places a field: its last occurrence in the text).
 */
static int
once(const cJSON *o, const char *text, size_t len, char **cause)
{
	const cJSON *e;
	char **names;
	size_t n = 0, i;
	int ret = 0;

	for (e = o->child; e; e = e->next)
		n++;
	if (n < 2)
		return 0;
	names = xcalloc(n, sizeof(*names));
	for (i = 0, e = o->child; e; e = e->next)
		names[i++] = e->string ? e->string : "";
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(names[i - 1], names[i]) == 0) {
			if (control(names[i]) || strlen(names[i]) > 64)
				ret = perr(cause, text, field_at(text, len, names[i]),
				    "a field is given twice");
			else
				ret = perr(cause, text, field_at(text, len, names[i]),
				    "\"%s\" is given twice", names[i]);
			break;
		}
	free(names);
	return ret;
}

/* parse_kdf - the "kdf" object of an encrypted file */
static int
parse_kdf(const cJSON *o, const char *text, size_t len, struct cfgfile *f, char **cause)
{
	const cJSON *kdf = cJSON_GetObjectItemCaseSensitive(o, "kdf"), *v;
	size_t at = field_at(text, len, "kdf"), sl = 0;
	const char *salt;

	if (!cJSON_IsObject(kdf))
		return perr(cause, text, at, "an encrypted file needs \"kdf\" (an object)");
	v = cJSON_GetObjectItemCaseSensitive(kdf, "alg");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "argon2id13") != 0)
		return perr(cause, text, at, "\"kdf\": \"alg\" must be \"argon2id13\"");
	v = cJSON_GetObjectItemCaseSensitive(kdf, "salt");
	salt = cJSON_IsString(v) ? v->valuestring : NULL;
	if (salt == NULL || sodium_base642bin(f->salt, sizeof(f->salt), salt, strlen(salt), NULL,
	    &sl, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || sl != sizeof(f->salt))
		return perr(cause, text, at, "\"kdf\": \"salt\" must be %d bytes in base64",
		    (int)sizeof(f->salt));
	v = cJSON_GetObjectItemCaseSensitive(kdf, "opslimit");
	if (!cJSON_IsNumber(v) || v->valuedouble < crypto_pwhash_OPSLIMIT_MIN ||
	    v->valuedouble > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    v->valuedouble != (double)(unsigned long long)v->valuedouble)
		return perr(cause, text, at, "\"kdf\": \"opslimit\" must be a whole number from "
		    "%llu to %llu", (unsigned long long)crypto_pwhash_OPSLIMIT_MIN,
		    (unsigned long long)crypto_pwhash_OPSLIMIT_SENSITIVE);
	f->opslimit = (unsigned long long)v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(kdf, "memlimit");
	if (!cJSON_IsNumber(v) || v->valuedouble < crypto_pwhash_MEMLIMIT_MIN ||
	    v->valuedouble > crypto_pwhash_MEMLIMIT_MODERATE ||
	    v->valuedouble != (double)(unsigned long long)v->valuedouble)
		return perr(cause, text, at, "\"kdf\": \"memlimit\" must be a whole number from "
		    "%zu to %zu", (size_t)crypto_pwhash_MEMLIMIT_MIN,
		    (size_t)crypto_pwhash_MEMLIMIT_MODERATE);
	f->memlimit = (size_t)v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(kdf, "check");
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return perr(cause, text, at, "\"kdf\": \"check\" must be a string");
	f->check = str_dup(v->valuestring);
	return 0;
}

/* item_cmp - order of item indexes by (section, key), for the duplicate check */
static const struct cfgfile *sort_file;

static int
item_cmp(const void *a, const void *b)
{
	const struct cfgfile_item *x = &sort_file->items[*(const size_t *)a];
	const struct cfgfile_item *y = &sort_file->items[*(const size_t *)b];
	int r = strcmp(x->section, y->section);

	if (r == 0)
		r = strcmp(x->key, y->key);
	if (r == 0)
		r = x->line < y->line ? -1 : x->line > y->line;
	return r;
}

/* parse_items - the "items" array; offs: where each element starts */
static int
parse_items(const cJSON *o, const char *text, size_t len, struct cfgfile *f, char **cause)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items"), *e;
	size_t n, *offs, *order, i = 0, line = 1, col = 1, pos = 0;
	int ret = -1;

	if (!cJSON_IsArray(items))
		return perr(cause, text, field_at(text, len, "items"),
		    "\"items\" must be %s", items ? "an array" : "given (an array)");
	n = (size_t)cJSON_GetArraySize(items);
	if (n > CFGFILE_ITEMS_MAX)
		return perr(cause, text, field_at(text, len, "items"),
		    "more than %d items", CFGFILE_ITEMS_MAX);
	offs = xcalloc(n + 1, sizeof(*offs));
	locate(text, len, "items", offs, n);
	cJSON_ArrayForEach(e, items) {
		const cJSON *sec = cJSON_GetObjectItemCaseSensitive(e, "section");
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(e, "key");
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(e, "value");
		const cJSON *sct = cJSON_GetObjectItemCaseSensitive(e, "secret");
		struct cfgfile_item *it;

		/* offsets grow: the position is counted on from the last one */
		for (; pos < offs[i] && pos < len; pos++) {
			if (text[pos] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
#define IERR(...) do { *cause = NULL; perr(cause, text, offs[i], __VA_ARGS__); goto out; } while (0)
		if (!cJSON_IsObject(e))
			IERR("item %zu must be an object", i + 1);
		if (!cJSON_IsString(sec) || sec->valuestring[0] == '\0' ||
		    strlen(sec->valuestring) > KEY_MAX || control(sec->valuestring))
			IERR("item %zu: \"section\" must be a name (1 to %d printable characters)",
			    i + 1, KEY_MAX);
		if (!cJSON_IsString(key) || key->valuestring[0] == '\0' ||
		    strlen(key->valuestring) > KEY_MAX || control(key->valuestring))
			IERR("item %zu: \"key\" must be a name (1 to %d printable characters)",
			    i + 1, KEY_MAX);
		if ((val == NULL) == (sct == NULL))
			IERR("item %zu (%s %s) must have either \"value\" or \"secret\"", i + 1,
			    sec->valuestring, key->valuestring);
		if (!cJSON_IsString(val ? val : sct))
			IERR("item %zu (%s %s): \"%s\" must be a string", i + 1, sec->valuestring,
			    key->valuestring, val ? "value" : "secret");
		if (sct && f->secrets == CFGFILE_MASKED &&
		    strcmp(sct->valuestring, CFGFILE_MASK) != 0)
			IERR("item %zu (%s %s): a masked file holds a secret only as \"%s\"", i + 1,
			    sec->valuestring, key->valuestring, CFGFILE_MASK);
		cfgfile_add(f, sec->valuestring, key->valuestring,
		    val ? val->valuestring : sct->valuestring, sct != NULL);
		it = &f->items[f->n - 1];
		it->line = line;
		it->column = col;
		i++;
	}
	/* an item given twice would be set twice: which one is meant? */
	order = xcalloc(f->n + 1, sizeof(*order));
	for (i = 0; i < f->n; i++)
		order[i] = i;
	sort_file = f;
	qsort(order, f->n, sizeof(*order), item_cmp);
	for (i = 1; i < f->n; i++) {
		const struct cfgfile_item *a = &f->items[order[i - 1]], *b = &f->items[order[i]];

		if (strcmp(a->section, b->section) == 0 && strcmp(a->key, b->key) == 0) {
			*cause = str_printf("line %zu, column %zu: item %s %s is given twice "
					    "(first at line %zu)", b->line, b->column, b->section,
			    b->key, a->line);
			free(order);
			goto out;
		}
	}
	free(order);
	ret = 0;
out:
#undef IERR
	free(offs);
	return ret;
}

int
cfgfile_parse(const char *text, size_t len, struct cfgfile *f, char **cause)
{
	const char *end = NULL;
	cJSON *o;
	char *s = NULL;
	long long v;
	size_t off;

	cfgfile_init(f);
	if (len == 0)
		return perr(cause, "", 0, "the file is empty");
	if (memchr(text, '\0', len) != NULL)
		return perr(cause, text, (size_t)((const char *)memchr(text, '\0', len) - text),
		    "a NUL byte: this is not a configuration file");
	o = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (o == NULL) {
		off = end && end >= text ? (size_t)(end - text) : 0;
		if (off >= len || skip_blank(text, len, off) >= len || open_at_end(text, len))
			return perr(cause, text, len, "the file ends before the configuration does "
			    "(truncated?)");
		if ((unsigned char)text[off] >= 0x20 && (unsigned char)text[off] < 0x7f)
			return perr(cause, text, off, "not valid JSON near '%c'", text[off]);
		return perr(cause, text, off, "not valid JSON near byte 0x%02x",
		    (unsigned char)text[off]);
	}
	off = (size_t)(end - text);
	if (skip_blank(text, len, off) < len) {
		cJSON_Delete(o);
		return perr(cause, text, skip_blank(text, len, off),
		    "text after the end of the configuration");
	}
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return perr(cause, text, skip_blank(text, len, 0),
		    "not a configuration file (a JSON object is expected)");
	}
	if (once(o, text, len, cause) < 0) {
		cJSON_Delete(o);
		return -1;
	}
	if (get_string(o, text, len, "product", &s, cause) < 0)
		goto fail;
	if (strcmp(s, CFGFILE_PRODUCT) != 0) {
		perr(cause, text, field_at(text, len, "product"),
		    "not an %s configuration file (\"product\" is not \"%s\")", CFGFILE_PRODUCT,
		    CFGFILE_PRODUCT);
		free(s);
		goto fail;
	}
	free(s);
	if (get_int(o, text, len, "format", 0, 1e9, &v, cause) < 0)
		goto fail;
	if (v != CFGFILE_FORMAT) {
		perr(cause, text, field_at(text, len, "format"), v > CFGFILE_FORMAT ?
		    "format %lld is newer than this mxgate reads (%d)" :
		    "format %lld is not a format mxgate ever wrote", v, CFGFILE_FORMAT);
		goto fail;
	}
	f->format = (int)v;
	if (get_int(o, text, len, "schema", 1, 1e9, &v, cause) < 0)
		goto fail;
	if (v > STORE_SCHEMA_VERSION) {
		perr(cause, text, field_at(text, len, "schema"), "saved with configuration schema "
		    "%lld, newer than this mxgate understands (%d)", v, STORE_SCHEMA_VERSION);
		goto fail;
	}
	f->schema = (int)v;
	if (get_int(o, text, len, "commit", 0, 9007199254740991.0, &f->commit, cause) < 0 ||
	    get_string(o, text, len, "version", &f->version, cause) < 0 ||
	    get_string(o, text, len, "hostname", &f->hostname, cause) < 0 ||
	    get_string(o, text, len, "saved", &f->saved, cause) < 0 ||
	    get_string(o, text, len, "secrets", &s, cause) < 0)
		goto fail;
	if (strcmp(s, "masked") == 0) {
		f->secrets = CFGFILE_MASKED;
	} else if (strcmp(s, "encrypted") == 0) {
		f->secrets = CFGFILE_ENCRYPTED;
	} else {
		perr(cause, text, field_at(text, len, "secrets"),
		    "\"secrets\" must be \"masked\" or \"encrypted\"");
		free(s);
		goto fail;
	}
	free(s);
	if (f->secrets == CFGFILE_ENCRYPTED && parse_kdf(o, text, len, f, cause) < 0)
		goto fail;
	if (parse_items(o, text, len, f, cause) < 0)
		goto fail;
	f->sealed = 1;
	cJSON_Delete(o);
	return 0;
fail:
	cJSON_Delete(o);
	cfgfile_free(f);
	return -1;
}

size_t
cfgfile_masked(const struct cfgfile *f)
{
	size_t n = 0;

	if (f->secrets != CFGFILE_MASKED)
		return 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->items[i].secret;
	return n;
}

int
cfgfile_unseal(struct cfgfile *f, const char *passphrase, char **cause)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	char **clear, *chk;
	int ret = -1;

	if (f->secrets != CFGFILE_ENCRYPTED || !f->sealed) {
		f->sealed = 0;
		return 0;
	}
	if (derive(f, passphrase, key, cause) < 0)
		return -1;
	chk = unseal_one(key, "", "", f->check);
	if (chk == NULL || strcmp(chk, CFGFILE_CHECK) != 0) {
		free(chk);
		sodium_memzero(key, sizeof(key));
		*cause = str_dup("the passphrase is not the one the file was saved with");
		return -1;
	}
	free(chk);
	clear = xcalloc(f->n + 1, sizeof(*clear));
	for (size_t i = 0; i < f->n; i++) {
		const struct cfgfile_item *it = &f->items[i];

		if (!it->secret)
			continue;
		clear[i] = unseal_one(key, it->section, it->key, it->value);
		if (clear[i] == NULL) {
			*cause = str_printf("line %zu, column %zu: the secret of %s %s cannot be "
					    "opened (altered, or moved from another item)",
			    it->line, it->column, it->section, it->key);
			goto out;
		}
	}
	for (size_t i = 0; i < f->n; i++) {
		if (clear[i] == NULL)
			continue;
		drop(f->items[i].value);
		f->items[i].value = clear[i];
		clear[i] = NULL;
	}
	f->sealed = 0;
	ret = 0;
out:
	for (size_t i = 0; i < f->n; i++)
		drop(clear[i]);
	free(clear);
	sodium_memzero(key, sizeof(key));
	return ret;
}
