/*
 * findevent.c - follow a message through a mail log, and search the
 * envelope and Subject lines (see findevent.h for what belongs to a
 * message).
 *
 * One state machine (struct tracker) decides what belongs to a message.
 * The scan feeds it every line of the files; the index feeds it only the
 * lines that can matter: those naming a MID that may join the family (the
 * message and, transitively, every MID a line of a candidate names as
 * derived from it) and the MID-less lines of every connection such a line
 * names. Lines left out change neither the tracker's state nor its
 * output, so both ways give the same answer by construction; the
 * property test (tests/unit/test_findevent.c) checks it on generated logs.
 *
 * The rules, line by line, in file order:
 *   - a line deriving b from a, a being an open member: b joins (with a
 *     "Start MID b ICID 0" seen before it, for AsyncOS's order);
 *   - a line naming an open member belongs; the ICID and DCID it names
 *     become the message's; "Message finished MID n done" (or
 *     "... aborted", its last recipient deleted) closes n;
 *   - a late line (a remediation's, maillog.h) naming a closed member
 *     belongs too, and a message it derives from one joins;
 *   - a MID-less line of a connection of the message belongs, until the
 *     connection's close line; a connection's lines before it became the
 *     message's are kept aside until its close, and belong if it does.
 * The scan reads every file: a remediation may name a message long after
 * it finished.
 *
 * The log's files are opened relative to the listing's directory
 * descriptor, never through a symbolic link and only if regular
 * (util/fsutil.h, issue 9).
 *
 * DIAGNOSTICS: -1 with a one-line cause when a file cannot be read.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/findevent.h"
#include "mail/logindex.h"
#include "util/fsutil.h"
#include "util/lineread.h"
#include "util/str.h"

/* ---------------------------------------------------------------- a small map */

/* u64 (never 0) -> u32, open addressing with linear probing */
struct map {
	uint64_t *k;
	uint32_t *v;
	size_t cap, n;		/* cap a power of two */
};

static size_t
map_slot(const struct map *m, uint64_t k)
{
	return (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 20) & (m->cap - 1);
}

static void map_grow(struct map *m);

/* map_get - the value slot of k, or NULL */
static uint32_t *
map_get(struct map *m, uint64_t k)
{
	if (m->cap == 0)
		return NULL;
	for (size_t i = map_slot(m, k);; i = (i + 1) & (m->cap - 1)) {
		if (m->k[i] == k)
			return &m->v[i];
		if (m->k[i] == 0)
			return NULL;
	}
}

/* map_put - the value slot of k, added (value 0) if absent; *added set */
static uint32_t *
map_put(struct map *m, uint64_t k, int *added)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		map_grow(m);
	for (i = map_slot(m, k); m->k[i] != 0; i = (i + 1) & (m->cap - 1))
		if (m->k[i] == k) {
			*added = 0;
			return &m->v[i];
		}
	m->k[i] = k;
	m->v[i] = 0;
	m->n++;
	*added = 1;
	return &m->v[i];
}

static void
map_grow(struct map *m)
{
	struct map o = *m;
	int added;

	m->cap = o.cap ? o.cap * 2 : 64;
	m->k = xcalloc(m->cap, sizeof(*m->k));
	m->v = xcalloc(m->cap, sizeof(*m->v));
	m->n = 0;
	for (size_t i = 0; i < o.cap; i++)
		if (o.k[i])
			*map_put(m, o.k[i], &added) = o.v[i];
	free(o.k);
	free(o.v);
}

/* map_del - remove k (backward-shift deletion keeps probing chains whole) */
static void
map_del(struct map *m, uint64_t k)
{
	size_t i, j;

	if (m->cap == 0)
		return;
	for (i = map_slot(m, k); m->k[i] != k; i = (i + 1) & (m->cap - 1))
		if (m->k[i] == 0)
			return;
	m->k[i] = 0;
	m->n--;
	for (j = (i + 1) & (m->cap - 1); m->k[j] != 0; j = (j + 1) & (m->cap - 1)) {
		size_t h = map_slot(m, m->k[j]);

		/* move j back to i unless its home lies cyclically in (i, j] */
		if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
			m->k[i] = m->k[j];
			m->v[i] = m->v[j];
			m->k[j] = 0;
			i = j;
		}
	}
}

static void
map_free(struct map *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- positions */

struct posv {
	struct findevent_pos *v;
	size_t n, cap;
};

static void
posv_add(struct posv *p, int file, long long off)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n].file = file;
	p->v[p->n++].off = off;
}

static int
pos_cmp(const void *a, const void *b)
{
	const struct findevent_pos *x = a, *y = b;

	if (x->file != y->file)
		return x->file - y->file;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* posv_sort_unique - file order, each line once */
static void
posv_sort_unique(struct posv *p)
{
	size_t k = 0;

	if (p->n > 1)
		qsort(p->v, p->n, sizeof(*p->v), pos_cmp);
	for (size_t i = 0; i < p->n; i++)
		if (k == 0 || pos_cmp(&p->v[k - 1], &p->v[i]) != 0)
			p->v[k++] = p->v[i];
	p->n = k;
}

/* ---------------------------------------------------------------- the tracker */

#define K_MID (1ULL << 56)
#define K_ICID (2ULL << 56)
#define K_DCID (3ULL << 56)
#define ID(x) ((uint64_t)(x) & 0x00ffffffffffffffULL)

enum { M_OPEN = 1, M_DONE = 2 };

/* A connection that a line of the scan named. */
struct conn {
	int tied;			/* a line of the message named it */
	int closed;			/* its close line was seen (tied ones only are kept) */
	struct posv pend;		/* its lines before it was tied */
};

struct tracker {
	struct map fam;			/* member MID -> M_OPEN / M_DONE */
	struct map start0;		/* "Start MID n ICID 0" not yet tied: MID -> index in starts */
	struct posv starts;
	struct map conns;		/* K_ICID|id or K_DCID|id -> index in conn + 1 */
	struct conn *conn;
	size_t nconn, cconn;
	uint32_t *freec;		/* free conn slots */
	size_t nfree, cfree;
	int open_members;		/* members not finished */
	int open_conns;			/* tied connections not closed */
	struct posv out;		/* lines that belong */
};

static void
tracker_init(struct tracker *t, long long mid)
{
	int added;

	memset(t, 0, sizeof(*t));
	*map_put(&t->fam, K_MID | ID(mid), &added) = M_OPEN;
	t->open_members = 1;
}

static void
tracker_free(struct tracker *t)
{
	map_free(&t->fam);
	map_free(&t->start0);
	map_free(&t->conns);
	for (size_t i = 0; i < t->nconn; i++)
		free(t->conn[i].pend.v);
	free(t->conn);
	free(t->freec);
	free(t->starts.v);
	free(t->out.v);
}

/* member - M_OPEN, M_DONE or 0 */
static uint32_t
member(struct tracker *t, long long mid)
{
	uint32_t *v = map_get(&t->fam, K_MID | ID(mid));

	return v ? *v : 0;
}

/* conn_get - a connection's record, made if new */
static struct conn *
conn_get(struct tracker *t, uint64_t key)
{
	int added;
	uint32_t *v = map_put(&t->conns, key, &added);
	uint32_t i;

	if (!added)
		return &t->conn[*v - 1];
	if (t->nfree > 0) {
		i = t->freec[--t->nfree];
	} else {
		if (t->nconn == t->cconn) {
			t->cconn = t->cconn ? t->cconn * 2 : 64;
			t->conn = xrealloc(t->conn, t->cconn * sizeof(*t->conn));
		}
		i = (uint32_t)t->nconn++;
		memset(&t->conn[i], 0, sizeof(t->conn[i]));
	}
	*v = i + 1;
	return &t->conn[i];
}

/* conn_forget - an untied connection closed: nothing of it can belong any more */
static void
conn_forget(struct tracker *t, uint64_t key)
{
	uint32_t *v = map_get(&t->conns, key);
	uint32_t i;

	if (v == NULL)
		return;
	i = *v - 1;
	t->conn[i].pend.n = 0;
	t->conn[i].tied = t->conn[i].closed = 0;
	map_del(&t->conns, key);
	if (t->nfree == t->cfree) {
		t->cfree = t->cfree ? t->cfree * 2 : 64;
		t->freec = xrealloc(t->freec, t->cfree * sizeof(*t->freec));
	}
	t->freec[t->nfree++] = i;
}

/* tie - the message's line names this connection */
static void
tie(struct tracker *t, uint64_t key)
{
	struct conn *c = conn_get(t, key);

	if (c->tied)
		return;
	c->tied = 1;
	t->open_conns++;
	for (size_t i = 0; i < c->pend.n; i++)
		posv_add(&t->out, c->pend.v[i].file, c->pend.v[i].off);
	free(c->pend.v);
	memset(&c->pend, 0, sizeof(c->pend));
}

/* conn_line - a MID-less line of a connection */
static void
conn_line(struct tracker *t, uint64_t key, int file, long long off, int close)
{
	struct conn *c = conn_get(t, key);

	if (c->tied) {
		if (c->closed)
			return;
		posv_add(&t->out, file, off);
		if (close) {
			c->closed = 1;
			t->open_conns--;
		}
		return;
	}
	if (close) {
		conn_forget(t, key);
		return;
	}
	posv_add(&c->pend, file, off);
}

/* tracker_line - one line, in file order */
static void
tracker_line(struct tracker *t, int file, long long off, const struct maillog_line *l)
{
	int belongs = 0, added;
	uint32_t *v;

	if (l->nmid == 0) {
		if (l->icid > 0)
			conn_line(t, K_ICID | ID(l->icid), file, off, l->close);
		if (l->dcid > 0)
			conn_line(t, K_DCID | ID(l->dcid), file, off, l->close);
		return;
	}
	if (l->child && (member(t, l->parent) == M_OPEN ||
	    (l->late && member(t, l->parent) == M_DONE)) && member(t, l->child) == 0) {
		*map_put(&t->fam, K_MID | ID(l->child), &added) = M_OPEN;
		t->open_members++;
		if ((v = map_get(&t->start0, K_MID | ID(l->child))) != NULL) {
			posv_add(&t->out, t->starts.v[*v].file, t->starts.v[*v].off);
			map_del(&t->start0, K_MID | ID(l->child));
		}
	}
	for (int i = 0; i < l->nmid; i++)
		if (member(t, l->mid[i]) == M_OPEN ||
		    (l->late && member(t, l->mid[i]) == M_DONE))
			belongs = 1;
	if (belongs) {
		posv_add(&t->out, file, off);
		if (l->icid > 0)
			tie(t, K_ICID | ID(l->icid));
		if (l->dcid > 0)
			tie(t, K_DCID | ID(l->dcid));
		if (l->finished && (v = map_get(&t->fam, K_MID | ID(l->finished))) != NULL &&
		    *v == M_OPEN) {
			*v = M_DONE;
			t->open_members--;
		}
	} else if (l->start0 && member(t, l->start0) == 0) {
		*map_put(&t->start0, K_MID | ID(l->start0), &added) = (uint32_t)t->starts.n;
		posv_add(&t->starts, file, off);
	}
	if (l->finished && member(t, l->finished) == 0)
		map_del(&t->start0, K_MID | ID(l->finished));
}

/* ---------------------------------------------------------------- the session */

struct fefile {
	char *path;		/* DIR/NAME, for messages */
};

struct findevent {
	char *dir;
	int n;
	struct fefile *f;
	struct logindex_src *src;	/* the files, as the index sees them */
	struct logindex *x;		/* NULL: scanning */
	int flags;
	char line[LINEREAD_MAX + 1];	/* one line being looked at */
};

struct findevent_re {
	pcre2_code *code;
	pcre2_match_data *md;
};

/* findevent_indexed - is the index serving this session? */
int
findevent_indexed(const struct findevent *fe)
{
	return fe->x != NULL;
}

/* gc - remove the index files of log files that are gone */
static void
gc(const char *dir, const char *prefix)
{
	struct logset all;
	char *cause = NULL;
	unsigned long long *inos;
	int n = 0;

	if (logset_list(dir, prefix, "*", &all, &cause) < 0) {
		free(cause);
		return;
	}
	inos = xcalloc((size_t)all.n + 1, sizeof(*inos));
	for (int i = 0; i < all.n; i++) {
		struct stat st;

		if (fstatat(all.dirfd, all.f[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			inos[n++] = (unsigned long long)st.st_ino;
	}
	/* a listing that raced a rollover may miss a file: then keep everything */
	if (n == all.n)
		logindex_gc(dir, inos, n);
	free(inos);
	logset_free(&all);
}

/* index_open - (re)open the index; 0 (fe->x set, or NULL to scan) or -1 */
static int
index_open(struct findevent *fe, char **cause)
{
	int r;

	logindex_close(fe->x);
	fe->x = NULL;
	if (fe->flags & FINDEVENT_SCAN)
		return 0;
	r = logindex_open(fe->dir, fe->src, fe->n, &fe->x, cause);
	if (r < 0)
		return -1;
	if (r > 0)
		fe->x = NULL;	/* cannot be written here: scan */
	return 0;
}

/* findevent_open - a session over a log's files */
int
findevent_open(const char *dir, const char *prefix, const struct logset *set, int flags,
    struct findevent **out, char **cause)
{
	struct findevent *fe = xcalloc(1, sizeof(*fe));

	fe->dir = str_dup(dir);
	fe->flags = flags;
	fe->f = xcalloc((size_t)set->n + 1, sizeof(*fe->f));
	fe->src = xcalloc((size_t)set->n + 1, sizeof(*fe->src));
	for (int i = 0; i < set->n; i++) {
		struct stat st;
		int fd = fs_openat(set->dirfd, set->f[i].name, O_RDONLY | O_CLOEXEC, 0);

		if (fd < 0 || fstat(fd, &st) < 0) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			findevent_close(fe);
			if (e == ENOENT)
				return 1;
			*cause = str_printf("cannot read %s: %s", set->f[i].name, fs_strerror(e));
			return -1;
		}
		fe->f[fe->n].path = str_dup(set->f[i].path);
		fe->src[fe->n].fd = fd;
		fe->src[fe->n].size = (long long)st.st_size;
		fe->src[fe->n].ino = (unsigned long long)st.st_ino;
		fe->src[fe->n].current = set->f[i].current;
		fe->n++;
	}
	if (!(flags & FINDEVENT_SCAN))
		gc(dir, prefix);
	if (index_open(fe, cause) < 0) {
		findevent_close(fe);
		return -1;
	}
	*out = fe;
	return 0;
}

/* findevent_close - close the files, unmap the index */
void
findevent_close(struct findevent *fe)
{
	if (fe == NULL)
		return;
	logindex_close(fe->x);
	for (int i = 0; i < fe->n; i++) {
		close(fe->src[i].fd);
		free(fe->f[i].path);
	}
	free(fe->src);
	free(fe->f);
	free(fe->dir);
	free(fe);
}

/* findevent_line - the text of one line */
int
findevent_line(struct findevent *fe, const struct findevent_pos *pos, char *buf, size_t cap,
    size_t *len)
{
	if (pos->file < 0 || pos->file >= fe->n)
		return -1;
	return lineread_at(fe->src[pos->file].fd, pos->off, fe->src[pos->file].size, buf, cap, len,
	    NULL);
}

/* read_line - the line at (file, off) into fe->line, parsed; 0, or -1 if it is not a line start */
static int
read_line(struct findevent *fe, int file, long long off, size_t *len, struct maillog_line *l,
    char **cause)
{
	char prev;

	if (off < 0 || off >= fe->src[file].size)
		return -1;
	if (lineread_at(fe->src[file].fd, off, fe->src[file].size, fe->line, sizeof(fe->line), len,
	    &prev) < 0) {
		*cause = str_printf("cannot read %s: %s", fe->f[file].path, strerror(errno));
		return -2;
	}
	if (prev != '\n')
		return -1;
	if (maillog_parse(fe->line, *len, l) < 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- -m: scan */

static int
mid_scan(struct findevent *fe, struct tracker *t, char **cause)
{
	for (int i = 0; i < fe->n; i++) {
		struct lineread r;
		const char *line;
		size_t len;
		long long off;
		int complete, k;

		lineread_init(&r, fe->src[i].fd, 0, fe->src[i].size);
		while ((k = lineread_next(&r, &line, &len, &off, &complete)) == 1) {
			struct maillog_line l;

			if (maillog_parse(line, len, &l) < 0)
				continue;
			tracker_line(t, i, off, &l);
		}
		lineread_free(&r);
		if (k < 0) {
			*cause = str_printf("cannot read %s: %s", fe->f[i].path, strerror(r.err));
			return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- -m: index */

/* A line the index led to, kept for the tracker. */
struct cand {
	struct findevent_pos pos;
	size_t text, len;		/* in the candidates' text buffer */
};

struct cands {
	struct cand *v;
	size_t n, cap;
	char *text;
	size_t tlen, tcap;
};

static void
cands_add(struct cands *c, int file, long long off, const char *s, size_t n)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	if (c->tlen + n > c->tcap) {
		while (c->tlen + n > c->tcap)
			c->tcap = c->tcap ? c->tcap * 2 : 65536;
		c->text = xrealloc(c->text, c->tcap);
	}
	memcpy(c->text + c->tlen, s, n);
	c->v[c->n].pos.file = file;
	c->v[c->n].pos.off = off;
	c->v[c->n].text = c->tlen;
	c->v[c->n++].len = n;
	c->tlen += n;
}

static int
cand_cmp(const void *a, const void *b)
{
	return pos_cmp(&((const struct cand *)a)->pos, &((const struct cand *)b)->pos);
}

/* names_mid - does the parsed line name mid? */
static int
names_mid(const struct maillog_line *l, long long mid)
{
	for (int i = 0; i < l->nmid; i++)
		if (l->mid[i] == mid)
			return 1;
	return 0;
}

/*
 * mid_index - feed the tracker the candidate lines. 0; 1 if the index of
 * some file proved damaged (it is dropped: the caller rebuilds); -1 error.
 */
static int
mid_index(struct findevent *fe, long long mid, struct tracker *t, char **cause)
{
	struct map seen = { 0 }, seenc = { 0 };
	long long *queue = NULL;
	uint64_t *conns = NULL;
	size_t nq = 0, cq = 0, qi = 0, nc = 0, cc = 0;
	struct logindex_offs offs = { 0 };
	struct cands c = { 0 };
	int added, rc = 0;

	map_put(&seen, K_MID | ID(mid), &added);
	queue = xmalloc(sizeof(*queue) * (cq = 16));
	queue[nq++] = mid;
	/* the family's candidate MIDs and the connections their lines name */
	for (qi = 0; qi < nq && rc == 0; qi++) {
		long long m = queue[qi];

		for (int i = 0; i < fe->n && rc == 0; i++) {
			offs.n = 0;
			if (logindex_find(fe->x, i, LOGINDEX_MID, m, &offs) < 0) {
				logindex_drop(fe->x, i);
				rc = 1;
				break;
			}
			for (size_t j = 0; j < offs.n; j++) {
				struct maillog_line l;
				size_t len;
				int r = read_line(fe, i, offs.v[j], &len, &l, cause);

				if (r == -2) {
					rc = -1;
					break;
				}
				if (r < 0 || !names_mid(&l, m)) {
					logindex_drop(fe->x, i);
					rc = 1;
					break;
				}
				cands_add(&c, i, offs.v[j], fe->line, len);
				if (l.child && l.parent == m) {
					map_put(&seen, K_MID | ID(l.child), &added);
					if (added) {
						if (nq == cq)
							queue = xrealloc(queue, sizeof(*queue) * (cq *= 2));
						queue[nq++] = l.child;
					}
				}
				for (int w = 0; w < 2; w++) {
					uint64_t key = w == 0 ? (l.icid > 0 ? K_ICID | ID(l.icid) : 0) :
					    (l.dcid > 0 ? K_DCID | ID(l.dcid) : 0);

					if (key == 0)
						continue;
					map_put(&seenc, key, &added);
					if (added) {
						if (nc == cc) {
							cc = cc ? cc * 2 : 16;
							conns = xrealloc(conns, sizeof(*conns) * cc);
						}
						conns[nc++] = key;
					}
				}
			}
		}
	}
	/* the MID-less lines of those connections */
	for (size_t ci = 0; ci < nc && rc == 0; ci++) {
		enum logindex_type type = (conns[ci] >> 56) == 2 ? LOGINDEX_ICID : LOGINDEX_DCID;
		long long id = (long long)ID(conns[ci]);

		for (int i = 0; i < fe->n && rc == 0; i++) {
			offs.n = 0;
			if (logindex_find(fe->x, i, type, id, &offs) < 0) {
				logindex_drop(fe->x, i);
				rc = 1;
				break;
			}
			for (size_t j = 0; j < offs.n; j++) {
				struct maillog_line l;
				size_t len;
				int r = read_line(fe, i, offs.v[j], &len, &l, cause);

				if (r == -2) {
					rc = -1;
					break;
				}
				if (r < 0 || l.nmid != 0 ||
				    (type == LOGINDEX_ICID ? l.icid : l.dcid) != id) {
					logindex_drop(fe->x, i);
					rc = 1;
					break;
				}
				cands_add(&c, i, offs.v[j], fe->line, len);
			}
		}
	}
	if (rc == 0) {
		size_t k = 0;

		if (c.n > 1)
			qsort(c.v, c.n, sizeof(*c.v), cand_cmp);
		for (size_t i = 0; i < c.n; i++) {
			struct maillog_line l;

			if (k > 0 && pos_cmp(&c.v[i].pos, &c.v[k - 1].pos) == 0)
				continue;
			c.v[k++] = c.v[i];
			if (maillog_parse(c.text + c.v[i].text, c.v[i].len, &l) == 0)
				tracker_line(t, c.v[i].pos.file, c.v[i].pos.off, &l);
		}
	}
	map_free(&seen);
	map_free(&seenc);
	free(queue);
	free(conns);
	logindex_offs_free(&offs);
	free(c.v);
	free(c.text);
	return rc;
}

/* findevent_mid - the lines of a message and its derived messages */
int
findevent_mid(struct findevent *fe, long long mid, struct findevent_pos **pos, size_t *n,
    char **cause)
{
	struct tracker t;
	int r = 0;

	for (int attempt = 0; attempt < 3; attempt++) {
		tracker_init(&t, mid);
		if (fe->x == NULL) {
			r = mid_scan(fe, &t, cause);
			break;
		}
		r = mid_index(fe, mid, &t, cause);
		if (r <= 0)
			break;
		/* a damaged index: rebuilt once, then the scan */
		tracker_free(&t);
		if (attempt == 1)
			fe->flags |= FINDEVENT_SCAN;
		if (index_open(fe, cause) < 0)
			return -1;
	}
	if (r < 0) {
		tracker_free(&t);
		return -1;
	}
	posv_sort_unique(&t.out);
	*pos = t.out.v;
	*n = t.out.n;
	t.out.v = NULL;
	tracker_free(&t);
	return 0;
}

/* ---------------------------------------------------------------- searches */

/* findevent_re_new - compile a PCRE2 pattern */
struct findevent_re *
findevent_re_new(const char *pattern, int caseless, char **cause)
{
	struct findevent_re *re;
	int err;
	PCRE2_SIZE at;
	pcre2_code *code;

	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    caseless ? PCRE2_CASELESS : 0, &err, &at, NULL);
	if (code == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(err, msg, sizeof(msg));
		*cause = str_printf("Invalid regular expression '%.100s': %s at offset %zu.",
		    pattern, (const char *)msg, (size_t)at);
		return NULL;
	}
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);	/* without JIT it still works */
	re = xcalloc(1, sizeof(*re));
	re->code = code;
	re->md = pcre2_match_data_create_from_pattern(code, NULL);
	return re;
}

/* findevent_re_free - release a pattern */
void
findevent_re_free(struct findevent_re *re)
{
	if (re == NULL)
		return;
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re);
}

/* re_match - does re match somewhere in [s, s + n)? */
static int
re_match(const struct findevent_re *re, const char *s, size_t n)
{
	return pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, re->md, NULL) >= 0;
}

/* Hits being collected. */
struct hits {
	struct findevent_hit *v;
	size_t n, cap;
	struct map by_mid;		/* MID -> index + 1 */
	const struct findevent_re *re;
	int file;			/* the file being walked */
};

/* hit_add - the first match of a MID */
static void
hit_add(struct hits *h, long long mid, int file, long long off, const char *val, size_t len)
{
	int added;
	uint32_t *v = map_put(&h->by_mid, K_MID | ID(mid), &added);

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	memset(&h->v[h->n], 0, sizeof(h->v[h->n]));
	h->v[h->n].mid = mid;
	h->v[h->n].pos.file = file;
	h->v[h->n].pos.off = off;
	h->v[h->n].value = str_ndup(val, len);
	h->v[h->n].vlen = len;
	*v = (uint32_t)++h->n;
}

/* value_cb - an index value: test it unless its MID already matched */
static int
value_cb(void *arg, long long mid, long long off, const char *val, size_t len)
{
	struct hits *h = arg;

	if (map_get(&h->by_mid, K_MID | ID(mid)) == NULL && re_match(h->re, val, len))
		hit_add(h, mid, h->file, off, val, len);
	return 0;
}

static int
hit_cmp(const void *a, const void *b)
{
	const struct findevent_hit *x = a, *y = b;

	return x->mid < y->mid ? -1 : x->mid > y->mid;
}

/* findevent_hits_free - release search results */
void
findevent_hits_free(struct findevent_hit *hits, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(hits[i].value);
	free(hits);
}

/* search_scan - every line of every file */
static int
search_scan(struct findevent *fe, enum maillog_val kind, struct hits *h, char **cause)
{
	const char *word = kind == MAILLOG_VAL_FROM ? " From: " : kind == MAILLOG_VAL_TO ? " To: " :
	    " Subject ";
	size_t wlen = strlen(word);

	for (int i = 0; i < fe->n; i++) {
		struct lineread r;
		const char *line;
		size_t len;
		long long off;
		int complete, k;

		lineread_init(&r, fe->src[i].fd, 0, fe->src[i].size);
		while ((k = lineread_next(&r, &line, &len, &off, &complete)) == 1) {
			struct maillog_line l;

			/* a line without the word cannot have the value: not parsed */
			if (memmem(line, len, word, wlen) == NULL)
				continue;
			if (maillog_parse(line, len, &l) < 0 || l.vkind != kind)
				continue;
			if (map_get(&h->by_mid, K_MID | ID(l.vmid)) == NULL &&
			    re_match(h->re, l.val, l.vlen))
				hit_add(h, l.vmid, i, off, l.val, l.vlen);
		}
		lineread_free(&r);
		if (k < 0) {
			*cause = str_printf("cannot read %s: %s", fe->f[i].path, strerror(r.err));
			return -1;
		}
	}
	return 0;
}

/* hits_reset - forget what was collected */
static void
hits_reset(struct hits *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].value);
	h->n = 0;
	map_free(&h->by_mid);
}

/*
 * finish_hits - each hit's timestamp from its line; for the index, check
 * the line says what the index said. 0; 1 damaged (dropped); -1 error.
 */
static int
finish_hits(struct findevent *fe, enum maillog_val kind, struct hits *h, char **cause)
{
	for (size_t i = 0; i < h->n; i++) {
		struct findevent_hit *x = &h->v[i];
		struct maillog_line l;
		size_t len;
		int r = read_line(fe, x->pos.file, x->pos.off, &len, &l, cause);

		if (r == -2)
			return -1;
		if (r < 0 || l.vkind != kind || l.vmid != x->mid || l.vlen != x->vlen ||
		    memcmp(l.val, x->value, l.vlen) != 0) {
			if (fe->x == NULL)
				continue;	/* the file changed under the scan: keep what it saw */
			logindex_drop(fe->x, x->pos.file);
			return 1;
		}
		str_copy(x->when, "", sizeof(x->when));
		if (l.ts_len < sizeof(x->when)) {
			memcpy(x->when, fe->line, l.ts_len);
			x->when[l.ts_len] = '\0';
		}
	}
	return 0;
}

/* findevent_search - the messages whose value of a kind matches */
int
findevent_search(struct findevent *fe, enum maillog_val kind, const struct findevent_re *re,
    struct findevent_hit **hits, size_t *n, char **cause)
{
	struct hits h = { 0 };
	int r = 0;

	h.re = re;
	for (int attempt = 0; attempt < 3; attempt++) {
		hits_reset(&h);
		if (fe->x == NULL) {
			r = search_scan(fe, kind, &h, cause);
		} else {
			for (int i = 0; i < fe->n && r == 0; i++) {
				h.file = i;
				if (logindex_values(fe->x, i, kind, value_cb, &h) < 0) {
					logindex_drop(fe->x, i);
					r = 1;
				}
			}
		}
		if (r == 0)
			r = finish_hits(fe, kind, &h, cause);
		if (r <= 0)
			break;
		r = 0;
		if (attempt == 1)
			fe->flags |= FINDEVENT_SCAN;
		if (index_open(fe, cause) < 0) {
			r = -1;
			break;
		}
	}
	map_free(&h.by_mid);
	if (r < 0) {
		hits_reset(&h);
		free(h.v);
		return -1;
	}
	if (h.n > 1)
		qsort(h.v, h.n, sizeof(*h.v), hit_cmp);
	*hits = h.v;
	*n = h.n;
	return 0;
}
