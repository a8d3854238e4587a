/*
 * cloudjson.h - the JSON of the Cisco Cloud Service's device
 * registration (issue 14; the protocol is inferred, see
 * /work/notes/i14/api.md): the request mxsh sends and the answer it
 * keeps. Pure functions over bytes, tested and fuzzed without a network.
 *
 * An answer comes from a remote server and is untrusted: deviceId,
 * clientId and clientSecret must be non-empty printable ASCII strings
 * that fit struct cloud_reg, accountId and virtualAccount are optional
 * (printable, fitting), and jwks must be an object whose "keys" is an
 * array of at least one object; it is kept as compact JSON text of at
 * most CLOUD_KEYS_MAX bytes. Nothing is cut: a value that does not fit
 * makes the answer malformed.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause ("the answer has no
 * usable clientId"); no secret from the answer is ever in it.
 */
#ifndef MAIL_CLOUDJSON_H
#define MAIL_CLOUDJSON_H

#include <stddef.h>

#include "store/cloud.h"

#define CLOUDJSON_SECRET_MAX 1024	/* a clientSecret's bytes */
#define CLOUDJSON_ERROR_MAX 200		/* an error answer's text kept */

/* The device described in a registration request. */
struct cloudjson_device {
	const char *uid;		/* the machine's serial */
	const char *hostname;
	const char *version;		/* MXGATE_VERSION */
	int cluster;			/* deployment: 1 "cluster", 0 "standalone" */
};

/*
 * cloudjson_register_request - the body of a (re-)registration (malloc'd
 * compact JSON): token NULL or "" for none (re-registration with the
 * current credentials), device_id NULL or "" for a first registration
 */
char *cloudjson_register_request(const char *token, const char *device_id,
    const struct cloudjson_device *dev);

/*
 * cloudjson_register_answer - parse a registration answer of len bytes
 * into r's device_id, client_id, client_secret (malloc'd), account_id,
 * virtual_account and jwks (malloc'd); other fields are left as they
 * were. 0, or -1 with *cause and nothing allocated in r
 */
int cloudjson_register_answer(const char *body, size_t len, struct cloud_reg *r, char **cause);

/*
 * cloudjson_error - the "error" text of an error answer, printable
 * (escaped) and cut at CLOUDJSON_ERROR_MAX, into out[size]; 0, or -1
 * when the body holds none ("" in out)
 */
int cloudjson_error(const char *body, size_t len, char *out, size_t size);

#endif
