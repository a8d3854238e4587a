/*
 * etcdtool.c - net/etcd.c from the command line, for tests/e2e/etcd_client.sh
 * and for looking at a test etcd by hand.
 *
 * usage: etcdtool [-t timeout_ms] ENDPOINTS CA CERT KEY CMD [ARGS] [\; CMD [ARGS]]...
 *
 * CA, CERT, KEY are PEM files ("-": none). Several commands separated by
 * ";" arguments run on the same client, one after another (the client
 * keeps its endpoint between them), stopping at the first failure.
 *
 *   get KEY [REV]               "rev R count N", then per key
 *   getp PREFIX [REV [LIMIT]]   "KEY=VALUE create=C mod=M version=V lease=L"
 *                               (getp also "more" when cut at LIMIT)
 *   put KEY VALUE [LEASE]       "put rev R"
 *   del KEY | delp PREFIX       "deleted N rev R"
 *   txn-create KEY VALUE        put KEY if it does not exist (create rev 0),
 *                               else read it: "succeeded rev R" or "failed
 *                               rev R" and the key read
 *   txn-mod KEY MODREV VALUE    put KEY if its mod revision is MODREV, else read it
 *   txn-put K V [K V]...        every put in one transaction: "txn rev R"
 *   lease grant TTL             "lease ID"
 *   lease keepalive ID          "ttl N"
 *   lease revoke ID             "revoked"
 *   watch PREFIX START MAXMS [COUNT]
 *                               per revision "rev R n N" and per event
 *                               "  PUT KEY=VALUE" or "  DELETE KEY"; ends
 *                               after COUNT revisions (0: at MAXMS) with
 *                               "watch end last L"; a compacted start
 *                               prints "compacted C"
 *   members                     per member "NAME URL healthy=H leader=L rev=R"
 *                               (rev only when healthy)
 *   endpoint                    "endpoint URL" (the one that answered last)
 *   waitfile PATH               wait (30 s at most) until PATH exists
 *
 * Failures: one line "etcdtool: ERROR|EUNREACH|ESTOPPED: CAUSE" on
 * stderr; exit 1 (ETCD_ERROR), 2 (ETCD_EUNREACH), 3 (ETCD_ESTOPPED), 64
 * usage, 66 a file not read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/etcd.h"
#include "util/buf.h"
#include "util/str.h"

static int watch_left;		/* revisions still to print; 0: no limit */

static void
usage(void)
{
	fprintf(stderr, "usage: etcdtool [-t timeout_ms] ENDPOINTS CA CERT KEY CMD [ARGS]"
	    " [; CMD [ARGS]]...\n");
	exit(64);
}

/* slurp - a PEM file's text ("-": NULL) */
static char *
slurp(const char *path)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f;

	if (strcmp(path, "-") == 0 || path[0] == '\0')
		return NULL;
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "etcdtool: cannot read %s\n", path);
		exit(66);
	}
	buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&b, chunk, n) < 0) {
			fprintf(stderr, "etcdtool: %s is too large\n", path);
			exit(66);
		}
	fclose(f);
	return buf_steal(&b);
}

/* num - a decimal argument */
static int64_t
num(const char *s)
{
	unsigned long long v;

	if (str_to_ullong(s, &v) < 0 || v > (unsigned long long)INT64_MAX)
		usage();
	return (int64_t)v;
}

static void
print_range(const struct etcd_range *r, int with_more)
{
	printf("rev %lld count %d\n", (long long)r->revision, r->n);
	for (int i = 0; i < r->n; i++)
		printf("%s=%s create=%lld mod=%lld version=%lld lease=%lld\n", r->kvs[i].key,
		    r->kvs[i].value, (long long)r->kvs[i].create_rev, (long long)r->kvs[i].mod_rev,
		    (long long)r->kvs[i].version, (long long)r->kvs[i].lease);
	if (with_more && r->more)
		printf("more\n");
}

static void
print_txn(const struct etcd_txn_result *t)
{
	printf("%s rev %lld\n", t->succeeded ? "succeeded" : "failed", (long long)t->revision);
	for (int i = 0; i < t->nranges; i++)
		print_range(&t->ranges[i], 0);
}

static int
watch_cb(int64_t rev, const struct etcd_event *ev, int n, void *arg)
{
	(void)arg;
	printf("rev %lld n %d\n", (long long)rev, n);
	for (int i = 0; i < n; i++) {
		if (ev[i].type == ETCD_EV_PUT)
			printf("  PUT %s=%s\n", ev[i].kv.key, ev[i].kv.value);
		else
			printf("  DELETE %s\n", ev[i].kv.key);
	}
	fflush(stdout);
	return watch_left > 0 && --watch_left == 0;
}

/* run - one command (argv[0..argc-1]); 0 or an etcd error code with *cause */
static int
run(struct etcd *e, int argc, char **argv, char **cause)
{
	const char *c = argv[0];
	int rc;

	if (strcmp(c, "get") == 0 || strcmp(c, "getp") == 0) {
		struct etcd_range r;
		int p = c[3] == 'p';

		if (argc < 2 || argc > (p ? 5 : 3))
			usage();
		rc = etcd_get(e, argv[1], p, argc > 2 ? num(argv[2]) : 0,
		    argc > 3 ? (long)num(argv[3]) : 0, &r, cause);
		if (rc == 0) {
			print_range(&r, p);
			etcd_range_free(&r);
		}
		return rc;
	}
	if (strcmp(c, "put") == 0) {
		int64_t rev = 0;

		if (argc < 3 || argc > 4)
			usage();
		if ((rc = etcd_put(e, argv[1], argv[2], argc > 3 ? num(argv[3]) : 0, &rev,
		    cause)) == 0)
			printf("put rev %lld\n", (long long)rev);
		return rc;
	}
	if (strcmp(c, "del") == 0 || strcmp(c, "delp") == 0) {
		int64_t rev = 0;
		long n = 0;

		if (argc != 2)
			usage();
		if ((rc = etcd_delete(e, argv[1], c[3] == 'p', &n, &rev, cause)) == 0)
			printf("deleted %ld rev %lld\n", n, (long long)rev);
		return rc;
	}
	if (strcmp(c, "txn-create") == 0 || strcmp(c, "txn-mod") == 0) {
		int mod = c[4] == 'm';
		struct etcd_cmp cmp = { argv[1], mod ? ETCD_CMP_MOD : ETCD_CMP_CREATE, 0, NULL };
		struct etcd_op ok = { ETCD_OP_PUT, argv[1], NULL, 0, 0 };
		struct etcd_op fail = { ETCD_OP_GET, argv[1], NULL, 0, 0 };
		struct etcd_txn_result t;

		if (argc != (mod ? 4 : 3))
			usage();
		cmp.rev = mod ? num(argv[2]) : 0;
		ok.value = argv[mod ? 3 : 2];
		if ((rc = etcd_txn(e, &cmp, 1, &ok, 1, &fail, 1, &t, cause)) == 0) {
			print_txn(&t);
			etcd_txn_result_free(&t);
		}
		return rc;
	}
	if (strcmp(c, "txn-put") == 0) {
		struct etcd_txn_result t;
		struct etcd_op *ops;
		int n = (argc - 1) / 2;

		if (argc < 3 || (argc - 1) % 2 != 0)
			usage();
		ops = xcalloc((size_t)n, sizeof(*ops));
		for (int i = 0; i < n; i++) {
			ops[i].kind = ETCD_OP_PUT;
			ops[i].key = argv[1 + 2 * i];
			ops[i].value = argv[2 + 2 * i];
		}
		if ((rc = etcd_txn(e, NULL, 0, ops, n, NULL, 0, &t, cause)) == 0) {
			printf("txn rev %lld\n", (long long)t.revision);
			etcd_txn_result_free(&t);
		}
		free(ops);
		return rc;
	}
	if (strcmp(c, "lease") == 0) {
		int64_t id;
		int ttl;

		if (argc != 3)
			usage();
		if (strcmp(argv[1], "grant") == 0) {
			if ((rc = etcd_lease_grant(e, (int)num(argv[2]), &id, cause)) == 0)
				printf("lease %lld\n", (long long)id);
		} else if (strcmp(argv[1], "keepalive") == 0) {
			if ((rc = etcd_lease_keepalive(e, num(argv[2]), &ttl, cause)) == 0)
				printf("ttl %d\n", ttl);
		} else if (strcmp(argv[1], "revoke") == 0) {
			if ((rc = etcd_lease_revoke(e, num(argv[2]), cause)) == 0)
				printf("revoked\n");
		} else
			usage();
		return rc;
	}
	if (strcmp(c, "watch") == 0) {
		int64_t last = 0, comp = 0;

		if (argc < 4 || argc > 5)
			usage();
		watch_left = argc > 4 ? (int)num(argv[4]) : 0;
		rc = etcd_watch(e, argv[1], num(argv[2]), (long)num(argv[3]), watch_cb, NULL,
		    &last, &comp, cause);
		if (comp > 0)
			printf("compacted %lld\n", (long long)comp);
		if (rc == 0)
			printf("watch end last %lld\n", (long long)last);
		return rc;
	}
	if (strcmp(c, "members") == 0) {
		struct etcd_member *m;
		int n;

		if (argc != 1)
			usage();
		if ((rc = etcd_members(e, &m, &n, cause)) == 0) {
			for (int i = 0; i < n; i++) {
				printf("%s %s healthy=%d leader=%d", m[i].name, m[i].client_url,
				    m[i].healthy, m[i].leader);
				if (m[i].healthy)
					printf(" rev=%lld", (long long)m[i].revision);
				printf("\n");
			}
			free(m);
		}
		return rc;
	}
	if (strcmp(c, "endpoint") == 0) {
		printf("endpoint %s\n", etcd_endpoint(e));
		return 0;
	}
	if (strcmp(c, "waitfile") == 0) {
		struct stat st;

		if (argc != 2)
			usage();
		fflush(stdout);
		for (int i = 0; i < 3000 && stat(argv[1], &st) < 0; i++)
			usleep(10000);
		return 0;
	}
	usage();
	return 0;
}

int
main(int argc, char **argv)
{
	char *ca, *cert, *key, *cause = NULL;
	struct etcd *e;
	int timeout = 5000, opt, rc = 0;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			usage();
		timeout = (int)num(optarg);
	}
	argc -= optind;
	argv += optind;
	if (argc < 5)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	ca = slurp(argv[1]);
	cert = slurp(argv[2]);
	key = slurp(argv[3]);
	if (etcd_new(argv[0], ca, cert, key, timeout, &e, &cause) < 0) {
		fprintf(stderr, "etcdtool: ERROR: %s\n", cause);
		return 1;
	}
	argc -= 4;
	argv += 4;
	while (argc > 0 && rc == 0) {
		int n = 0;

		while (n < argc && strcmp(argv[n], ";") != 0)
			n++;
		if (n == 0)
			usage();
		rc = run(e, n, argv, &cause);
		argc -= n;
		argv += n;
		if (argc > 0) {		/* the ";" */
			argc--;
			argv++;
		}
	}
	if (rc < 0) {
		fprintf(stderr, "etcdtool: %s: %s\n", rc == ETCD_EUNREACH ? "EUNREACH" :
		    rc == ETCD_ESTOPPED ? "ESTOPPED" : "ERROR", cause ? cause : "(no cause)");
		free(cause);
	}
	etcd_free(e);
	free(ca);
	free(cert);
	free(key);
	return rc == 0 ? 0 : rc == ETCD_EUNREACH ? 2 : rc == ETCD_ESTOPPED ? 3 : 1;
}
