/*
 * logindex.c - findevent's index: immutable segment files per log file.
 *
 * A segment file (little-endian, this machine's: it is a local cache):
 *
 *   header   HDR_WORDS u64 (below), the last a hash of the others
 *   fences   per block of FENCE keys { u64 first key, u64 hash of the block }
 *   keys     nkeys x { u64 key, u32 start, u32 hash }, ascending by key; a
 *            key is type << 56 | id; start is where its postings begin,
 *            hash that of its postings' bytes
 *   postings per key, LEB128 varints: the first line's offset in the log
 *            file, then the distance from the previous one
 *   values   one table per kind (From, To, Subject), entries in file
 *            order: varint MID, varint offset distance, varint length,
 *            the bytes of the value; the header holds each table's hash
 *
 * Every byte a lookup relies on is covered by a hash it checks: the
 * header, the fences, the key block it searches, the postings it decodes,
 * the values table it walks. Anything else in the file may be damaged
 * without changing an answer; what is found damaged is removed and built
 * again.
 *
 * The header also holds hashes of the log file's first bytes (up to 4 KB)
 * and of the last bytes before END (up to 1 KB). A segment is used only if
 * both still match the log file: a reused inode, a rewritten file or a
 * truncated one fails, and its segments are removed.
 *
 * Segments are written to a temporary name, synced and renamed, so a
 * reader sees a whole file or none; two processes writing the same
 * segment write the same bytes. Chains are picked at read time: from
 * offset 0, the segment that reaches furthest, and so on; segments left
 * over (superseded by a merge) are removed.
 *
 * DIR/.index is reached through a descriptor of DIR opened without
 * following a symbolic link below the data directory (util/fsutil.h) and
 * is itself never a link; segment files are opened, renamed and removed
 * relative to it, and only regular ones are read (issue 9: a root shell
 * must not write or remove files where a link planted by the daemon's
 * account points).
 *
 * DIAGNOSTICS: logindex_open fails only when a log file cannot be read;
 * an index that cannot be written is reported as 1 (scan instead); a
 * damaged segment is removed and rebuilt, not reported.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/logindex.h"
#include "util/fsutil.h"
#include "util/lineread.h"
#include "util/str.h"

#define HEAD_FP 4096
#define TAIL_FP 1024
#define GC_AGE 60
/*
 * "XMFEIX02": the format, and what mail/maillog.c reads from a line. Bump
 * it when either changes: segments of another version are rebuilt, so an
 * index never answers by rules the scan no longer follows.
 */
#define MAGIC 0x3230584945464d58ULL
#define BOM 0x0102030405060708ULL
#define NTABLES 3			/* From, To, Subject: maillog_val - 1 */

#define FENCE 256			/* keys per checked block */

enum {
	H_MAGIC, H_BOM, H_INO, H_START, H_END, H_HEADLEN, H_HEADHASH, H_TAILLEN, H_TAILHASH,
	H_NKEYS, H_FENCES, H_FENCEHASH, H_KEYS, H_POSTS, H_POSTSLEN,
	H_VALS, H_VALSLEN = H_VALS + NTABLES, H_VALSHASH = H_VALSLEN + NTABLES,
	H_TOTAL = H_VALSHASH + NTABLES, H_HASH, HDR_WORDS
};
#define HDR_SIZE (HDR_WORDS * 8)

/* ---------------------------------------------------------------- helpers */

/* hash - a 64-bit checksum of n bytes, a word at a time (not cryptographic) */
static uint64_t
hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL), w;

	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 31;
	}
	w = 0;
	if (n > 0)
		memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint32_t
get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* varint_put - LEB128 into p (10 bytes room); bytes written */
static size_t
varint_put(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/* varint_get - from [*p, e); -1 if cut or too long */
static int
varint_get(const unsigned char **p, const unsigned char *e, uint64_t *v)
{
	uint64_t r = 0;
	int shift = 0;

	while (*p < e && shift < 64) {
		unsigned char c = *(*p)++;

		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = r;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

/* fp - hash of the log bytes [off, off + n); -1 if they cannot all be read */
static int
fp(int fd, long long off, size_t n, uint64_t *h)
{
	char buf[HEAD_FP];
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got, off + (long long)got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	*h = hash(buf, n);
	return 0;
}

static uint64_t
key_of(enum logindex_type t, long long id)
{
	return (uint64_t)t << 56 | ((uint64_t)id & 0x00ffffffffffffffULL);
}

/* logindex_offs_free - release an offset list */
void
logindex_offs_free(struct logindex_offs *v)
{
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* offs_add - append one offset */
static void
offs_add(struct logindex_offs *v, long long off)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
	}
	v->v[v->n++] = off;
}

/* ---------------------------------------------------------------- building */

struct post {
	uint64_t key;		/* type << 56 | id */
	uint64_t off;		/* the line's offset */
};

struct val {
	uint64_t mid;		/* the value's message */
	uint64_t off;		/* its line */
	size_t spos;		/* the value in the builder's strings */
	size_t len;
};

/* Postings and values of a range of a log file, in memory. */
struct builder {
	long long start, end;		/* the bytes covered */
	struct post *p;
	size_t np, pcap;
	struct val *v[NTABLES];
	size_t nv[NTABLES], vcap[NTABLES];
	char *s;			/* value bytes */
	size_t slen, scap;
};

static void
builder_init(struct builder *b, long long start)
{
	memset(b, 0, sizeof(*b));
	b->start = b->end = start;
}

static void
builder_free(struct builder *b)
{
	free(b->p);
	for (int k = 0; k < NTABLES; k++)
		free(b->v[k]);
	free(b->s);
	memset(b, 0, sizeof(*b));
}

static void
builder_post(struct builder *b, uint64_t key, uint64_t off)
{
	if (b->np == b->pcap) {
		b->pcap = b->pcap ? b->pcap * 2 : 4096;
		b->p = xrealloc(b->p, b->pcap * sizeof(*b->p));
	}
	b->p[b->np].key = key;
	b->p[b->np++].off = off;
}

static void
builder_val(struct builder *b, int k, uint64_t mid, uint64_t off, const char *s, size_t n)
{
	struct val *v;

	if (b->nv[k] == b->vcap[k]) {
		b->vcap[k] = b->vcap[k] ? b->vcap[k] * 2 : 1024;
		b->v[k] = xrealloc(b->v[k], b->vcap[k] * sizeof(*b->v[k]));
	}
	if (b->slen + n > b->scap) {
		while (b->slen + n > b->scap)
			b->scap = b->scap ? b->scap * 2 : 65536;
		b->s = xrealloc(b->s, b->scap);
	}
	if (n > 0)
		memcpy(b->s + b->slen, s, n);
	v = &b->v[k][b->nv[k]++];
	v->mid = mid;
	v->off = off;
	v->spos = b->slen;
	v->len = n;
	b->slen += n;
}

/* val_bytes - a value's bytes (b->s is NULL while every value is empty) */
static const char *
val_bytes(const struct builder *b, const struct val *v)
{
	return b->s ? b->s + v->spos : "";
}

/* builder_line - index one line at off */
static void
builder_line(struct builder *b, const char *line, size_t len, long long off)
{
	struct maillog_line l;

	if (maillog_parse(line, len, &l) < 0)
		return;
	for (int i = 0; i < l.nmid; i++)
		builder_post(b, key_of(LOGINDEX_MID, l.mid[i]), (uint64_t)off);
	if (l.nmid == 0) {
		if (l.icid > 0)
			builder_post(b, key_of(LOGINDEX_ICID, l.icid), (uint64_t)off);
		if (l.dcid > 0)
			builder_post(b, key_of(LOGINDEX_DCID, l.dcid), (uint64_t)off);
	}
	if (l.vkind != MAILLOG_VAL_NONE)
		builder_val(b, (int)l.vkind - 1, (uint64_t)l.vmid, (uint64_t)off, l.val, l.vlen);
}

static int
post_cmp(const void *a, const void *b)
{
	const struct post *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* radix_sort - postings by (key, off): they arrive by offset, so a stable sort by key does */
static void
radix_sort(struct post *p, size_t n)
{
	struct post *tmp;
	uint64_t or = 0, and = ~0ULL;
	size_t cnt[256];

	if (n < 2)
		return;
	if (n < 4096) {
		qsort(p, n, sizeof(*p), post_cmp);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		or |= p[i].key;
		and &= p[i].key;
	}
	tmp = xmalloc(n * sizeof(*p));
	for (int byte = 0; byte < 8; byte++) {
		int sh = byte * 8;
		size_t sum = 0;

		if ((((or ^ and) >> sh) & 0xff) == 0)
			continue;	/* every key has the same byte here */
		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(p[i].key >> sh) & 0xff]++;
		for (int c = 0; c < 256; c++) {
			size_t t = cnt[c];

			cnt[c] = sum;
			sum += t;
		}
		for (size_t i = 0; i < n; i++)
			tmp[cnt[(p[i].key >> sh) & 0xff]++] = p[i];
		memcpy(p, tmp, n * sizeof(*p));
	}
	free(tmp);
}

/* Output bytes. */
struct out {
	unsigned char *d;
	size_t len, cap;
};

static void
out_need(struct out *o, size_t n)
{
	if (o->len + n > o->cap) {
		while (o->len + n > o->cap)
			o->cap = o->cap ? o->cap * 2 : 65536;
		o->d = xrealloc(o->d, o->cap);
	}
}

static void
out_u64(struct out *o, uint64_t v)
{
	out_need(o, 8);
	memcpy(o->d + o->len, &v, 8);
	o->len += 8;
}

static void
out_varint(struct out *o, uint64_t v)
{
	out_need(o, 10);
	o->len += varint_put(o->d + o->len, v);
}

static void
out_bytes(struct out *o, const void *p, size_t n)
{
	if (n == 0)
		return;
	out_need(o, n);
	memcpy(o->d + o->len, p, n);
	o->len += n;
}

static void
out_u32(struct out *o, uint32_t v)
{
	out_need(o, 4);
	memcpy(o->d + o->len, &v, 4);
	o->len += 4;
}

/*
 * encode - the segment file's bytes for b (its postings are sorted here).
 * The log file fd gives the fingerprints. NULL if they cannot be read.
 */
static unsigned char *
encode(struct builder *b, int fd, unsigned long long ino, size_t *len)
{
	struct out o = { 0 }, keys = { 0 }, posts = { 0 };
	uint64_t h[HDR_WORDS] = { 0 }, nkeys = 0, nf;

	h[H_MAGIC] = MAGIC;
	h[H_BOM] = BOM;
	h[H_INO] = ino;
	h[H_START] = (uint64_t)b->start;
	h[H_END] = (uint64_t)b->end;
	h[H_HEADLEN] = b->end < HEAD_FP ? (uint64_t)b->end : HEAD_FP;
	h[H_TAILLEN] = b->end < TAIL_FP ? (uint64_t)b->end : TAIL_FP;
	if (fp(fd, 0, (size_t)h[H_HEADLEN], &h[H_HEADHASH]) < 0 ||
	    fp(fd, b->end - (long long)h[H_TAILLEN], (size_t)h[H_TAILLEN], &h[H_TAILHASH]) < 0)
		return NULL;
	radix_sort(b->p, b->np);
	for (size_t i = 0; i < b->np;) {
		size_t j = i, at = posts.len;

		out_varint(&posts, b->p[i].off);
		for (j = i + 1; j < b->np && b->p[j].key == b->p[i].key; j++)
			out_varint(&posts, b->p[j].off - b->p[j - 1].off);
		out_u64(&keys, b->p[i].key);
		out_u32(&keys, (uint32_t)at);
		out_u32(&keys, (uint32_t)hash(posts.d + at, posts.len - at));
		nkeys++;
		i = j;
	}
	nf = (nkeys + FENCE - 1) / FENCE;
	out_need(&o, HDR_SIZE + nf * 16);
	o.len = HDR_SIZE;
	h[H_NKEYS] = nkeys;
	h[H_FENCES] = o.len;
	for (uint64_t f = 0; f < nf; f++) {
		size_t from = (size_t)(f * FENCE * 16);
		size_t n = (size_t)((f + 1) * FENCE <= nkeys ? FENCE : nkeys - f * FENCE) * 16;

		out_u64(&o, get64(keys.d + from));
		out_u64(&o, hash(keys.d + from, n));
	}
	h[H_FENCEHASH] = hash(o.d + h[H_FENCES], (size_t)(nf * 16));
	h[H_KEYS] = o.len;
	out_bytes(&o, keys.d, keys.len);
	free(keys.d);
	h[H_POSTS] = o.len;
	h[H_POSTSLEN] = posts.len;
	out_bytes(&o, posts.d, posts.len);
	free(posts.d);
	for (int k = 0; k < NTABLES; k++) {
		uint64_t prev = (uint64_t)b->start;

		h[H_VALS + k] = o.len;
		for (size_t i = 0; i < b->nv[k]; i++) {
			const struct val *v = &b->v[k][i];

			out_varint(&o, v->mid);
			out_varint(&o, v->off - prev);
			out_varint(&o, v->len);
			out_bytes(&o, val_bytes(b, v), v->len);
			prev = v->off;
		}
		h[H_VALSLEN + k] = o.len - h[H_VALS + k];
		h[H_VALSHASH + k] = hash(o.d + h[H_VALS + k], (size_t)h[H_VALSLEN + k]);
	}
	h[H_TOTAL] = o.len;
	h[H_HASH] = hash(h, H_HASH * 8);
	memcpy(o.d, h, HDR_SIZE);
	*len = o.len;
	return o.d;
}

/* ---------------------------------------------------------------- reading */

/* One segment, mapped from its file or held in memory. */
struct seg {
	unsigned char *base;		/* the bytes */
	size_t len;
	int mapped;			/* munmap, else free */
	char *name;			/* its file in DIR/.index; NULL in memory */
	uint64_t h[HDR_WORDS];		/* the header */
	int fences_ok;			/* the fences' hash was checked */
	int vals_ok[NTABLES];		/* each values table's hash was checked */
};

static void
seg_free(struct seg *s)
{
	if (s->base && s->mapped)
		munmap(s->base, s->len);
	else
		free(s->base);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

/* seg_check - the header is whole and its regions tile the file; 0 or -1 */
static int
seg_check(struct seg *s)
{
	uint64_t *h = s->h, end, nf;

	if (s->len < HDR_SIZE)
		return -1;
	memcpy(h, s->base, HDR_SIZE);
	if (h[H_MAGIC] != MAGIC || h[H_BOM] != BOM || h[H_HASH] != hash(h, H_HASH * 8) ||
	    h[H_TOTAL] != s->len || h[H_START] > h[H_END])
		return -1;
	nf = (h[H_NKEYS] + FENCE - 1) / FENCE;
	if (h[H_FENCES] != HDR_SIZE || h[H_NKEYS] > (s->len - HDR_SIZE) / 16 ||
	    h[H_KEYS] != h[H_FENCES] + nf * 16 || h[H_POSTS] != h[H_KEYS] + h[H_NKEYS] * 16 ||
	    h[H_POSTS] > s->len || h[H_POSTSLEN] > s->len - h[H_POSTS] ||
	    h[H_POSTSLEN] > 0xffffffffULL)
		return -1;
	end = h[H_POSTS] + h[H_POSTSLEN];
	for (int k = 0; k < NTABLES; k++) {
		if (h[H_VALS + k] != end || h[H_VALSLEN + k] > s->len - end)
			return -1;
		end += h[H_VALSLEN + k];
	}
	return end == s->len ? 0 : -1;
}

/* seg_map - map the segment file name of the directory ifd; 0 or -1 (unreadable or malformed) */
static int
seg_map(struct seg *s, int ifd, const char *name)
{
	int fd = fs_openat(ifd, name, O_RDONLY | O_CLOEXEC, 0);
	struct stat st;
	void *p;

	memset(s, 0, sizeof(*s));
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < HDR_SIZE) {
		close(fd);
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	s->base = p;
	s->len = (size_t)st.st_size;
	s->mapped = 1;
	s->name = str_dup(name);
	if (seg_check(s) < 0) {
		seg_free(s);
		return -1;
	}
	return 0;
}

/* seg_memory - a segment from encoded bytes (taken) */
static int
seg_memory(struct seg *s, unsigned char *d, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->base = d;
	s->len = len;
	return seg_check(s);
}

/* fences - the fence array, its hash checked once; NULL if damaged */
static const unsigned char *
fences(struct seg *s)
{
	const unsigned char *f = s->base + s->h[H_FENCES];
	size_t n = (size_t)(s->h[H_KEYS] - s->h[H_FENCES]);

	if (!s->fences_ok) {
		if (hash(f, n) != s->h[H_FENCEHASH])
			return NULL;
		s->fences_ok = 1;
	}
	return f;
}

/* key_block - keys [*first, *first + *n) of block b, its hash checked; NULL if damaged */
static const unsigned char *
key_block(struct seg *s, const unsigned char *f, uint64_t b, uint64_t *first, uint64_t *n)
{
	const unsigned char *k;

	*first = b * FENCE;
	*n = *first + FENCE <= s->h[H_NKEYS] ? FENCE : s->h[H_NKEYS] - *first;
	k = s->base + s->h[H_KEYS] + *first * 16;
	if (hash(k, (size_t)(*n * 16)) != get64(f + b * 16 + 8) || get64(k) != get64(f + b * 16))
		return NULL;
	return k;
}

/* postings - decode key entry e's postings (stop: where the next key's begin) into v */
static int
postings(const struct seg *s, const unsigned char *e, uint64_t stop, struct logindex_offs *v)
{
	const unsigned char *p, *end;
	uint64_t start = get32(e + 8), off, d, last = s->h[H_START];

	if (start >= stop || stop > s->h[H_POSTSLEN])
		return -1;
	p = s->base + s->h[H_POSTS] + start;
	end = s->base + s->h[H_POSTS] + stop;
	if ((uint32_t)hash(p, (size_t)(stop - start)) != get32(e + 12))
		return -1;
	if (varint_get(&p, end, &off) < 0)
		return -1;
	for (;;) {
		if (off < last || off >= s->h[H_END])
			return -1;
		offs_add(v, (long long)off);
		last = off;
		if (p == end)
			return 0;
		if (varint_get(&p, end, &d) < 0 || d == 0)
			return -1;
		off += d;
	}
}

/* next_start - where the postings after key i begin */
static uint64_t
next_start(const struct seg *s, uint64_t i)
{
	if (i + 1 < s->h[H_NKEYS])
		return get32(s->base + s->h[H_KEYS] + (i + 1) * 16 + 8);
	return s->h[H_POSTSLEN];
}

/* seg_find - the postings of key into v; 0, or -1 if damaged */
static int
seg_find(struct seg *s, uint64_t key, struct logindex_offs *v)
{
	const unsigned char *f, *k;
	uint64_t nf = (s->h[H_NKEYS] + FENCE - 1) / FENCE, lo = 0, hi = nf, first, n;

	if (nf == 0)
		return 0;
	if ((f = fences(s)) == NULL)
		return -1;
	/* the last block whose first key is <= key */
	while (lo < hi) {
		uint64_t m = lo + (hi - lo) / 2;

		if (get64(f + m * 16) <= key)
			lo = m + 1;
		else
			hi = m;
	}
	if (lo == 0)
		return 0;
	if ((k = key_block(s, f, lo - 1, &first, &n)) == NULL)
		return -1;
	lo = 0;
	hi = n;
	while (lo < hi) {
		uint64_t m = lo + (hi - lo) / 2;

		if (get64(k + m * 16) < key)
			lo = m + 1;
		else
			hi = m;
	}
	if (lo >= n || get64(k + lo * 16) != key)
		return 0;
	return postings(s, k + lo * 16, next_start(s, first + lo), v);
}

/* values_table - table k, its hash checked once; NULL if damaged */
static const unsigned char *
values_table(struct seg *s, int k)
{
	const unsigned char *p = s->base + s->h[H_VALS + k];

	if (!s->vals_ok[k]) {
		if (hash(p, (size_t)s->h[H_VALSLEN + k]) != s->h[H_VALSHASH + k])
			return NULL;
		s->vals_ok[k] = 1;
	}
	return p;
}

/* seg_values - walk one values table; 0, 1 (fn stopped) or -1 if damaged */
static int
seg_values(struct seg *s, int k, int (*fn)(void *, long long, long long, const char *, size_t),
    void *arg)
{
	const unsigned char *p = values_table(s, k), *e;
	uint64_t off = s->h[H_START];

	if (p == NULL)
		return -1;
	e = p + s->h[H_VALSLEN + k];
	while (p < e) {
		uint64_t mid, d, n;

		if (varint_get(&p, e, &mid) < 0 || varint_get(&p, e, &d) < 0 ||
		    varint_get(&p, e, &n) < 0 || n > (uint64_t)(e - p))
			return -1;
		off += d;
		if (off >= s->h[H_END])
			return -1;
		if (fn && fn(arg, (long long)mid, (long long)off, (const char *)p, (size_t)n))
			return 1;
		p += n;
	}
	return 0;
}

/* decode_val - seg_values callback for seg_decode */
struct decode_arg {
	struct builder *b;
	int k;
};

static int
decode_val(void *arg, long long mid, long long off, const char *val, size_t len)
{
	struct decode_arg *d = arg;

	builder_val(d->b, d->k, (uint64_t)mid, (uint64_t)off, val, len);
	return 0;
}

/* seg_decode - add a segment's postings and values to b (for a merge); 0 or -1 */
static int
seg_decode(struct seg *s, struct builder *b)
{
	uint64_t nf = (s->h[H_NKEYS] + FENCE - 1) / FENCE;
	struct logindex_offs v = { 0 };
	const unsigned char *f = nf ? fences(s) : NULL;

	if (nf && f == NULL)
		return -1;
	for (uint64_t bl = 0; bl < nf; bl++) {
		uint64_t first, n;
		const unsigned char *k = key_block(s, f, bl, &first, &n);

		if (k == NULL) {
			logindex_offs_free(&v);
			return -1;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t key = get64(k + i * 16);

			v.n = 0;
			if ((i > 0 && key <= get64(k + (i - 1) * 16)) ||
			    postings(s, k + i * 16, next_start(s, first + i), &v) < 0) {
				logindex_offs_free(&v);
				return -1;
			}
			for (size_t j = 0; j < v.n; j++)
				builder_post(b, key, (uint64_t)v.v[j]);
		}
	}
	logindex_offs_free(&v);
	for (int k = 0; k < NTABLES; k++) {
		struct decode_arg d = { b, k };

		if (seg_values(s, k, decode_val, &d) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- the index */

struct lxfile {
	int nseg;
	struct seg *seg;	/* the chain, in order; the last may be in memory */
	int damaged;		/* a lookup found it inconsistent */
};

struct logindex {
	int dfd;			/* DIR, -1 if it could not be opened */
	int ifd;			/* DIR/.index, -1 until it exists */
	const struct logindex_src *src;
	int n;
	struct lxfile *f;
	int writable;			/* -1 unknown, 0 no, 1 yes */
	unsigned seq;			/* temporary names */
};

/* A segment file found in the directory. */
struct found {
	unsigned long long ino;
	long long start, end;
	char *name;		/* in DIR/.index */
};

/* parse_name - "INO.START-END.fx" (lower-case hex) */
static int
parse_name(const char *name, struct found *f)
{
	char *e;

	if (!((name[0] >= '0' && name[0] <= '9') || (name[0] >= 'a' && name[0] <= 'f')))
		return -1;
	f->ino = strtoull(name, &e, 16);
	if (*e != '.')
		return -1;
	f->start = (long long)strtoull(e + 1, &e, 16);
	if (*e != '-')
		return -1;
	f->end = (long long)strtoull(e + 1, &e, 16);
	if (strcmp(e, ".fx") != 0 || f->start > f->end || f->start < 0)
		return -1;
	return 0;
}

/* seg_name - INO.START-END.fx */
static char *
seg_name(unsigned long long ino, long long start, long long end)
{
	return str_printf("%llx.%llx-%llx.fx", ino, (unsigned long long)start,
	    (unsigned long long)end);
}

/* open_idir - DIR/.index, a directory and no link; -1 if there is none */
static int
open_idir(int dfd)
{
	return dfd < 0 ? -1 :
			 openat(dfd, ".index", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* ensure_dir - can we write DIR/.index? (created on first need) */
static int
ensure_dir(struct logindex *x)
{
	if (x->writable >= 0)
		return x->writable;
	if (x->ifd < 0) {
		if (x->dfd < 0 || (mkdirat(x->dfd, ".index", 0700) < 0 && errno != EEXIST))
			return x->writable = 0;
		/* a file or a link of that name: no index, scan */
		if ((x->ifd = open_idir(x->dfd)) < 0)
			return x->writable = 0;
	}
	return x->writable = 1;
}

/* write_seg - encode b and write it as a segment file; the segment is kept in *s. 0 or -1 */
static int
write_seg(struct logindex *x, int i, struct builder *b, struct seg *s)
{
	const struct logindex_src *src = &x->src[i];
	unsigned char *d;
	size_t len, done = 0;
	char *tmp, *name;
	int fd;

	if (!ensure_dir(x))
		return -1;
	if ((d = encode(b, src->fd, src->ino, &len)) == NULL)
		return -1;
	tmp = str_printf(".tmp.%ld.%u", (long)getpid(), x->seq++);
	name = seg_name(src->ino, b->start, b->end);
	fd = fs_openat(x->ifd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	while (fd >= 0 && done < len) {
		ssize_t k = write(fd, d + done, len - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		done += (size_t)k;
	}
	/* synced before the rename: a crash never leaves a named file of zeros */
	if (fd < 0 || done < len || fdatasync(fd) < 0 || close(fd) < 0 ||
	    renameat(x->ifd, tmp, x->ifd, name) < 0) {
		if (fd >= 0 && done < len)
			close(fd);
		unlinkat(x->ifd, tmp, 0);
		free(tmp);
		free(name);
		free(d);
		x->writable = 0;
		return -1;
	}
	free(tmp);
	if (seg_memory(s, d, len) < 0) {	/* cannot happen: we just made it */
		free(name);
		seg_free(s);
		return -1;
	}
	s->name = name;
	return 0;
}

/* chain_add - append a segment to file i's chain */
static void
chain_add(struct lxfile *f, struct seg *s)
{
	f->seg = xrealloc(f->seg, sizeof(*f->seg) * (size_t)(f->nseg + 1));
	f->seg[f->nseg++] = *s;
	memset(s, 0, sizeof(*s));
}

/*
 * merge_tail - while the last segment is at least as long as the one
 * before it, write the two as one (binary-counter merging: a file keeps
 * about log2(size / SEG_MIN) segments, each byte rewritten as often)
 */
static int
merge_tail(struct logindex *x, int i)
{
	struct lxfile *f = &x->f[i];

	while (f->nseg >= 2) {
		struct seg *p = &f->seg[f->nseg - 2], *s = &f->seg[f->nseg - 1], m;
		long long plen = (long long)(p->h[H_END] - p->h[H_START]);
		long long slen = (long long)(s->h[H_END] - s->h[H_START]);
		struct builder b;

		if (p->name == NULL || s->name == NULL || plen > slen ||
		    plen + slen > LOGINDEX_SEG_MAX)
			return 0;
		builder_init(&b, (long long)p->h[H_START]);
		b.end = (long long)s->h[H_END];
		if (seg_decode(p, &b) < 0 || seg_decode(s, &b) < 0) {
			builder_free(&b);
			return -1;
		}
		if (write_seg(x, i, &b, &m) < 0) {
			builder_free(&b);
			return -1;
		}
		builder_free(&b);
		unlinkat(x->ifd, p->name, 0);
		unlinkat(x->ifd, s->name, 0);
		seg_free(p);
		seg_free(s);
		f->nseg -= 2;
		chain_add(f, &m);
	}
	return 0;
}

/* builder_append - move t's postings and values (which follow b's) into b */
static void
builder_append(struct builder *b, struct builder *t)
{
	for (size_t j = 0; j < t->np; j++)
		builder_post(b, t->p[j].key, t->p[j].off);
	for (int k = 0; k < NTABLES; k++)
		for (size_t j = 0; j < t->nv[k]; j++)
			builder_val(b, k, t->v[k][j].mid, t->v[k][j].off, val_bytes(t, &t->v[k][j]),
			    t->v[k][j].len);
	b->end = t->end;
}

/*
 * catch_up - index file i's bytes after its chain: whole segments of up
 * to SEG_MAX written as files; what remains of a current file under
 * SEG_MIN, and a last line without its newline, kept in memory.
 * 0; 1 if a segment had to be written and could not; -1 read error.
 */
static int
catch_up(struct logindex *x, int i, char **cause)
{
	const struct logindex_src *src = &x->src[i];
	struct lxfile *f = &x->f[i];
	long long covered = f->nseg ? (long long)f->seg[f->nseg - 1].h[H_END] : 0;
	struct lineread r;
	struct builder b, t;
	const char *line;
	size_t len;
	long long off;
	int complete, k, rc = 0;
	struct seg s;

	if (covered >= src->size)
		return 0;
	lineread_init(&r, src->fd, covered, src->size);
	builder_init(&b, covered);
	builder_init(&t, covered);
	while ((k = lineread_next(&r, &line, &len, &off, &complete)) == 1) {
		b.end = off;	/* the lines before this one end here */
		if (!complete) {
			/* the last line, still being written: in memory only */
			t.start = off;
			builder_line(&t, line, len, off);
			t.end = off + (long long)len;
			break;
		}
		if (off - b.start >= LOGINDEX_SEG_MAX) {
			if (write_seg(x, i, &b, &s) < 0) {
				rc = 1;
				goto out;
			}
			chain_add(f, &s);
			builder_free(&b);
			builder_init(&b, off);
		}
		builder_line(&b, line, len, off);
	}
	if (k < 0) {
		*cause = str_printf("cannot read the log: %s", strerror(r.err));
		rc = -1;
		goto out;
	}
	if (k == 0)
		b.end = r.end;	/* every line read was whole */
	if (b.end > b.start && (!src->current || b.end - b.start >= LOGINDEX_SEG_MIN)) {
		long long at = b.end;

		if (write_seg(x, i, &b, &s) < 0) {
			rc = 1;
			goto out;
		}
		chain_add(f, &s);
		if (merge_tail(x, i) < 0) {
			rc = 1;
			goto out;
		}
		builder_free(&b);
		builder_init(&b, at);
	}
	if (t.end > t.start)
		builder_append(&b, &t);
	if (b.end > b.start) {
		unsigned char *d = encode(&b, src->fd, src->ino, &len);

		if (d == NULL || seg_memory(&s, d, len) < 0) {
			if (d != NULL)
				seg_free(&s);
			*cause = str_dup("cannot read the log while indexing it");
			rc = -1;
			goto out;
		}
		chain_add(f, &s);
	}
out:
	builder_free(&b);
	builder_free(&t);
	lineread_free(&r);
	return rc;
}

/* found_cmp - by start, then the longest first */
static int
found_cmp(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;
}

/*
 * load_chain - file i's segments from those found: the chain from 0,
 * checked against the log file; the rest (superseded, or not matching
 * the file any more) removed
 */
static void
load_chain(struct logindex *x, int i, struct found *fs, int nf)
{
	const struct logindex_src *src = &x->src[i];
	struct lxfile *f = &x->f[i];
	long long pos = 0;
	int bad = 0, checked_head = 0;

	if (nf > 1)
		qsort(fs, (size_t)nf, sizeof(*fs), found_cmp);
	for (int j = 0; j < nf; j++) {
		struct seg s;
		uint64_t h;

		if (fs[j].end > src->size && !bad)
			continue;	/* written by another process after our snapshot */
		if (bad || fs[j].start != pos) {
			unlinkat(x->ifd, fs[j].name, 0);	/* superseded, or beyond a gap */
			continue;
		}
		if (seg_map(&s, x->ifd, fs[j].name) < 0 || s.h[H_INO] != src->ino ||
		    (long long)s.h[H_START] != fs[j].start || (long long)s.h[H_END] != fs[j].end) {
			seg_free(&s);
			unlinkat(x->ifd, fs[j].name, 0);
			continue;	/* a shorter one from the same start may do */
		}
		if (!checked_head) {
			if (fp(src->fd, 0, (size_t)s.h[H_HEADLEN], &h) < 0 || h != s.h[H_HEADHASH]) {
				bad = 1;	/* another file now has this inode */
				seg_free(&s);
				unlinkat(x->ifd, fs[j].name, 0);
				continue;
			}
			checked_head = 1;
		}
		if (fp(src->fd, (long long)s.h[H_END] - (long long)s.h[H_TAILLEN],
		    (size_t)s.h[H_TAILLEN], &h) < 0 || h != s.h[H_TAILHASH]) {
			bad = 1;		/* the indexed bytes are not there any more */
			seg_free(&s);
			unlinkat(x->ifd, fs[j].name, 0);
			continue;
		}
		pos = fs[j].end;
		chain_add(f, &s);
	}
	if (bad) {
		for (int j = 0; j < f->nseg; j++) {
			unlinkat(x->ifd, f->seg[j].name, 0);
			seg_free(&f->seg[j]);
		}
		f->nseg = 0;
	}
}

/* logindex_open - the index of a log's files, brought up to date */
int
logindex_open(const char *dir, const struct logindex_src *src, int n, struct logindex **out,
    char **cause)
{
	struct logindex *x = xcalloc(1, sizeof(*x));
	struct found *fs = NULL;
	int nf = 0, rc = 0;
	DIR *d;
	struct dirent *e;
	int dup;

	x->dfd = fs_open_dir(dir, 0);
	x->ifd = open_idir(x->dfd);
	x->src = src;
	x->n = n;
	x->f = xcalloc((size_t)n + 1, sizeof(*x->f));
	x->writable = -1;
	if (x->ifd >= 0 && (dup = fcntl(x->ifd, F_DUPFD_CLOEXEC, 0)) >= 0) {
		if ((d = fdopendir(dup)) == NULL) {
			close(dup);
		} else {
			while ((e = readdir(d)) != NULL) {
				struct found f;

				if (parse_name(e->d_name, &f) < 0)
					continue;
				f.name = str_dup(e->d_name);
				fs = xrealloc(fs, sizeof(*fs) * (size_t)(nf + 1));
				fs[nf++] = f;
			}
			closedir(d);
		}
	}
	for (int i = 0; i < n; i++) {
		struct found *mine = NULL;
		int nm = 0;

		for (int j = 0; j < nf; j++)
			if (fs[j].ino == src[i].ino) {
				mine = xrealloc(mine, sizeof(*mine) * (size_t)(nm + 1));
				mine[nm++] = fs[j];
			}
		load_chain(x, i, mine, nm);
		free(mine);
		if ((rc = catch_up(x, i, cause)) != 0)
			break;
	}
	for (int j = 0; j < nf; j++)
		free(fs[j].name);
	free(fs);
	if (rc != 0) {
		logindex_close(x);
		return rc;
	}
	*out = x;
	return 0;
}

/* logindex_find - the offsets of the lines of one file indexed under an ID */
int
logindex_find(struct logindex *x, int i, enum logindex_type type, long long id,
    struct logindex_offs *v)
{
	struct lxfile *f = &x->f[i];
	uint64_t key = key_of(type, id);

	if (f->damaged)
		return -1;
	for (int j = 0; j < f->nseg; j++)
		if (seg_find(&f->seg[j], key, v) < 0) {
			f->damaged = 1;
			return -1;
		}
	return 0;
}

/* logindex_values - walk the From, To or Subject values of one file */
int
logindex_values(struct logindex *x, int i, enum maillog_val kind,
    int (*fn)(void *arg, long long mid, long long off, const char *val, size_t len), void *arg)
{
	struct lxfile *f = &x->f[i];

	if (f->damaged || kind == MAILLOG_VAL_NONE)
		return -1;
	for (int j = 0; j < f->nseg; j++) {
		int r = seg_values(&f->seg[j], (int)kind - 1, fn, arg);

		if (r < 0) {
			f->damaged = 1;
			return -1;
		}
		if (r > 0)
			return 0;
	}
	return 0;
}

/* logindex_drop - remove the index files of one log file (found damaged) */
void
logindex_drop(struct logindex *x, int i)
{
	struct lxfile *f = &x->f[i];

	for (int j = 0; j < f->nseg; j++)
		if (f->seg[j].name)
			unlinkat(x->ifd, f->seg[j].name, 0);
	f->damaged = 1;
}

/* logindex_close - unmap and free */
void
logindex_close(struct logindex *x)
{
	if (x == NULL)
		return;
	for (int i = 0; i < x->n; i++) {
		for (int j = 0; j < x->f[i].nseg; j++)
			seg_free(&x->f[i].seg[j]);
		free(x->f[i].seg);
	}
	free(x->f);
	if (x->ifd >= 0)
		close(x->ifd);
	if (x->dfd >= 0)
		close(x->dfd);
	free(x);
}

/* logindex_gc - remove the index files of log files that are gone */
void
logindex_gc(const char *dir, const unsigned long long *inos, int n)
{
	int dfd = fs_open_dir(dir, 0), ifd = open_idir(dfd), dup = -1;
	DIR *d = NULL;
	struct dirent *e;
	time_t now = time(NULL);

	if (dfd >= 0)
		close(dfd);
	if (ifd >= 0 && (dup = fcntl(ifd, F_DUPFD_CLOEXEC, 0)) >= 0 && (d = fdopendir(dup)) == NULL)
		close(dup);
	if (d == NULL) {
		if (ifd >= 0)
			close(ifd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		struct found f;
		struct stat st;
		int known = 0;

		if (strncmp(e->d_name, ".tmp.", 5) != 0) {
			if (parse_name(e->d_name, &f) < 0)
				continue;
			for (int i = 0; i < n; i++)
				if (inos[i] == f.ino)
					known = 1;
			if (known)
				continue;
		}
		if (fstatat(ifd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_mtime < now - GC_AGE)
			unlinkat(ifd, e->d_name, 0);
	}
	closedir(d);
	close(ifd);
}
