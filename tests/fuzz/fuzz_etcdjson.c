/*
 * fuzz_etcdjson.c - libFuzzer harness for net/etcd.c's parsers: etcd's
 * gateway answers are a remote server's bytes.
 *
 * The first byte picks the parser ('r' range, 't' txn, 'w' one watch
 * message; any other byte: all three), the rest is the body. What a
 * parser keeps must hold its promises: counts not negative, every key and
 * value NUL-terminated at its length (vlen), a watch message's events in
 * revision order; a failure leaves nothing allocated behind and a
 * one-line cause. Failed invariants abort(); leaks are found by
 * libFuzzer's leak checker.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/etcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant fails */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* kv_ok - a parsed key-value keeps the promises of etcd.h */
static void
kv_ok(const struct etcd_kv *kv)
{
	check(kv->key != NULL && kv->value != NULL);
	(void)strlen(kv->key);		/* NUL-terminated (ASan reads it) */
	check(kv->value[kv->vlen] == '\0');
}

/* cause_ok - a failure: one malloc'd line */
static void
cause_ok(char *cause)
{
	check(cause != NULL && strchr(cause, '\n') == NULL);
	free(cause);
}

static void
range_ok(const struct etcd_range *r)
{
	check(r->n >= 0 && (r->n == 0 || r->kvs != NULL));
	for (int i = 0; i < r->n; i++)
		kv_ok(&r->kvs[i]);
}

static void
one_range(const char *b, size_t n)
{
	struct etcd_range r;
	char *cause = NULL;

	if (etcd_parse_range(b, n, &r, &cause) == 0) {
		check(cause == NULL);
		range_ok(&r);
		etcd_range_free(&r);
	} else {
		check(r.kvs == NULL && r.n == 0);
		cause_ok(cause);
	}
}

static void
one_txn(const char *b, size_t n)
{
	struct etcd_txn_result t;
	char *cause = NULL;

	if (etcd_parse_txn(b, n, &t, &cause) == 0) {
		check(cause == NULL && t.nranges >= 0);
		for (int i = 0; i < t.nranges; i++)
			range_ok(&t.ranges[i]);
		etcd_txn_result_free(&t);
	} else {
		check(t.ranges == NULL && t.nranges == 0);
		cause_ok(cause);
	}
}

static void
one_watch(const char *b, size_t n)
{
	struct etcd_event *ev = NULL;
	int64_t compacted = 0;
	int nev = 0, canceled = 0;
	char *cause = NULL;

	if (etcd_parse_watch(b, n, &ev, &nev, &compacted, &canceled, &cause) == 0) {
		check(cause == NULL && nev >= 0 && (nev == 0 || ev != NULL));
		for (int i = 0; i < nev; i++) {
			check(ev[i].type == ETCD_EV_PUT || ev[i].type == ETCD_EV_DELETE);
			check(ev[i].kv.mod_rev > 0);
			check(i == 0 || ev[i].kv.mod_rev >= ev[i - 1].kv.mod_rev);
			kv_ok(&ev[i].kv);
		}
		etcd_events_free(ev, nev);
	} else {
		check(ev == NULL && nev == 0);
		cause_ok(cause);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b;
	size_t n;
	char *copy;

	if (size == 0)
		return 0;
	/* a private copy of exactly the body: reading past it is an ASan error */
	n = size - 1;
	copy = malloc(n ? n : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, n);
	b = copy;
	switch (data[0]) {
	case 'r':
		one_range(b, n);
		break;
	case 't':
		one_txn(b, n);
		break;
	case 'w':
		one_watch(b, n);
		break;
	default:
		one_range(b, n);
		one_txn(b, n);
		one_watch(b, n);
		break;
	}
	free(copy);
	return 0;
}
