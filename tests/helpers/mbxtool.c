/*
 * mbxtool.c - net/mailbox.h from the command line, for the tests
 * (tests/e2e/mailbox_imap.sh, mailbox_graph.sh): one profile given by
 * flags, one session, one action on the messages with a Message-ID.
 *
 * usage: mbxtool [-b imap|graph] -s SERVER [-a master|user] [-u USER]
 *                [-p PROFILE-PASSWORD] [-l LOGIN] [-w MAILBOX-PASSWORD]
 *                [-f FOLDER] [-t TENANT] [-T TOKEN-URL] [-c CA.pem] [-k]
 *                find|fetch|delete|forward MAILBOX MESSAGE-ID [TO [COMMENT]]
 *
 *   find     prints "found N" and each id on a line of its own
 *   fetch    writes the first message found to stdout as it is stored
 *   delete   deletes (or with -f moves) every message found: "deleted N"
 *   forward  the server forwards every message found to TO: "forwarded N",
 *            or "cannot forward: the caller sends it" (IMAP)
 *
 * IMAP auth master logs in as MAILBOX*USER with -p unless -l is given;
 * auth user as MAILBOX (or -l) with -w. -k does not check the server's
 * certificate.
 *
 * DIAGNOSTICS: "mbxtool: cause" on stderr and exit 1, or 3 when a later
 * try may succeed (mbx_passing: the server down, a 5xx); 64 for usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/mailbox.h"
#include "util/str.h"

static void
usage(void)
{
	fprintf(stderr, "usage: mbxtool [-b imap|graph] -s SERVER [-a master|user] [-u USER] "
	    "[-p PASSWORD] [-l LOGIN] [-w PASSWORD] [-f FOLDER] [-t TENANT] [-T TOKEN-URL] "
	    "[-c CA.pem] [-k] find|fetch|delete|forward MAILBOX MESSAGE-ID [TO [COMMENT]]\n");
	exit(64);
}

/* slurp - a whole small file (the CA), malloc'd */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 4096)
			s = xrealloc(s, cap += 65536);
		r = fread(s + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	s[n] = '\0';
	return s;
}

int
main(int argc, char **argv)
{
	struct remed_profile p = {};
	const char *login = NULL, *mpass = NULL, *mailbox, *msgid, *verb;
	char *ca = NULL, *cause = NULL, ids[MBX_MAX_HITS][256], lbuf[600];
	struct mbx *m;
	int c, n, rc = 0;

	p.backend = REMED_IMAP;
	p.auth = REMED_AUTH_MASTER;
	p.verify = 1;
	p.password = "";
	str_copy(p.name, "mbxtool", sizeof(p.name));
	while ((c = getopt(argc, argv, "b:s:a:u:p:l:w:f:t:T:c:k")) != -1) {
		switch (c) {
		case 'b':
			if (strcmp(optarg, "imap") == 0)
				p.backend = REMED_IMAP;
			else if (strcmp(optarg, "graph") == 0)
				p.backend = REMED_GRAPH;
			else
				usage();
			break;
		case 's': str_copy(p.server, optarg, sizeof(p.server)); break;
		case 'a':
			if (strcmp(optarg, "master") == 0)
				p.auth = REMED_AUTH_MASTER;
			else if (strcmp(optarg, "user") == 0)
				p.auth = REMED_AUTH_USER;
			else
				usage();
			break;
		case 'u': str_copy(p.user, optarg, sizeof(p.user)); break;
		case 'p': p.password = optarg; break;
		case 'l': login = optarg; break;
		case 'w': mpass = optarg; break;
		case 'f': str_copy(p.folder, optarg, sizeof(p.folder)); break;
		case 't': str_copy(p.tenant, optarg, sizeof(p.tenant)); break;
		case 'T': str_copy(p.token_url, optarg, sizeof(p.token_url)); break;
		case 'c':
			if ((ca = slurp(optarg)) == NULL) {
				fprintf(stderr, "mbxtool: cannot read %s\n", optarg);
				return 1;
			}
			break;
		case 'k': p.verify = 0; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		usage();
	verb = argv[0];
	mailbox = argv[1];
	msgid = argv[2];
	if (strcmp(verb, "forward") == 0 ? argc < 4 || argc > 5 : argc != 3)
		usage();
	if (p.backend == REMED_IMAP && p.auth == REMED_AUTH_MASTER) {
		if (login == NULL) {
			str_fmt(lbuf, sizeof(lbuf), "%s*%s", mailbox, p.user);
			login = lbuf;
		}
		mpass = p.password;
	} else if (p.backend == REMED_IMAP) {
		if (login == NULL)
			login = mailbox;
		if (mpass == NULL)
			mpass = "";
	}

	m = mbx_open(&p, ca);
	n = mbx_find(m, mailbox, login, mpass, msgid, ids, &cause);
	if (n < 0)
		goto fail;
	if (strcmp(verb, "find") == 0) {
		printf("found %d\n", n);
		for (int i = 0; i < n; i++)
			printf("%s\n", ids[i]);
	} else if (strcmp(verb, "fetch") == 0) {
		char *data;
		size_t len;

		if (n == 0) {
			cause = str_printf("no message with that Message-ID in mailbox %s", mailbox);
			goto fail;
		}
		if (mbx_fetch(m, mailbox, ids[0], &data, &len, &cause) < 0)
			goto fail;
		fwrite(data, 1, len, stdout);
		free(data);
	} else if (strcmp(verb, "delete") == 0) {
		for (int i = 0; i < n; i++)
			if (mbx_delete(m, mailbox, ids[i], &cause) < 0)
				goto fail;
		printf("deleted %d\n", n);
	} else if (strcmp(verb, "forward") == 0) {
		for (int i = 0; i < n; i++) {
			rc = mbx_forward(m, mailbox, ids[i], argv[3], argc > 4 ? argv[4] : "",
			    &cause);
			if (rc < 0)
				goto fail;
			if (rc == 1) {
				printf("cannot forward: the caller sends it\n");
				break;
			}
		}
		if (rc == 0)
			printf("forwarded %d\n", n);
		rc = 0;
	} else {
		mbx_close(m);
		free(ca);
		usage();
	}
	mbx_close(m);
	free(ca);
	return 0;
fail:
	fprintf(stderr, "mbxtool: %s\n", cause);
	free(cause);
	/* 3: a failure a later try may not have (mbx_passing), 1: one that stays */
	rc = mbx_passing(m) ? 3 : 1;
	mbx_close(m);
	free(ca);
	return rc;
}
