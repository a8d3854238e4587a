/*
 * cloud.h - the gateway's registration with the Cisco Cloud Service
 * (issue 14, seed 004), kept in config.db beside the configuration but
 * not part of it: no commit, rollback, saveconfig or loadconfig touches
 * it (a registration is the cloud's state, like a licence, not a
 * setting). One row at most; a re-registration replaces it in one
 * transaction, a failed one leaves it as it was.
 *
 * The client secret is kept sealed like the SECRET settings
 * (store/secret.h: AES-256-GCM under DIR/secret.key, bound to
 * ("cloud", "client_secret")); cloud_get opens it.
 *
 * Written by mxsh (cloudserviceconfig register / reregister /
 * deregister) and by mxgated (last contact and last error of telemetry
 * sends); read by both (the threat response module reads it on each call,
 * so a new registration needs no reload).
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause; a secret's clear
 * value is never in a cause.
 */
#ifndef STORE_CLOUD_H
#define STORE_CLOUD_H

#include <time.h>

#include "store/store.h"

#define CLOUD_KEYS_MAX 16384		/* bytes of the platform's JWKS kept */

struct cloud_reg {
	char server[1024];		/* where it registered: a region name or an https:// URL */
	char device_id[128];		/* the cloud's name for this gateway */
	char client_id[256];		/* credentials for calls to the cloud (telemetry) */
	char *client_secret;		/* clear (malloc'd by cloud_get, "" none) */
	char account_id[128];		/* userAccountID (the smart account's, SLPIID) */
	char virtual_account[128];	/* sIVAN */
	char *jwks;			/* the platform's keys, JWKS JSON text (malloc'd): what
					 * the threat response module verifies callers' tokens with */
	time_t registered;		/* when (first registration: since) */
	time_t reregistered;		/* last re-registration, 0 never */
	time_t last_contact;		/* last successful exchange with the cloud */
	char last_error[512];		/* last failed exchange, "" none */
	time_t last_error_at;
	int secret_unreadable;		/* cloud_get: the sealed secret cannot be opened (secret.key
					 * lost or changed): client_secret NULL, the credentials
					 * unusable until reregister token= or deregister force */
};

/*
 * cloud_get - the registration into r: 1, 0 when not registered, -1; free
 * with cloud_reg_free. A secret that cannot be unsealed is not an error:
 * the row comes back with client_secret NULL and secret_unreadable set
 * (callers treat a NULL client_secret as no usable credentials).
 */
int cloud_get(struct store *st, struct cloud_reg *r, char **cause);

/*
 * cloud_put - replace the registration with r (server, device_id,
 * client_id, client_secret, account_id, virtual_account, jwks,
 * registered, reregistered; last_contact set to registered or
 * reregistered, last_error cleared) in one transaction
 */
int cloud_put(struct store *st, const struct cloud_reg *r, char **cause);

/* cloud_delete - forget the registration (deregister); 0 also when there was none */
int cloud_delete(struct store *st, char **cause);

/*
 * cloud_contact - record an exchange with the cloud at when: error NULL a
 * success (last_contact), else a failure (last_error, last_error_at);
 * 0 also when not registered (nothing to record)
 */
int cloud_contact(struct store *st, time_t when, const char *error, char **cause);

/* cloud_reg_free - release what cloud_get allocated in r (not r) */
void cloud_reg_free(struct cloud_reg *r);

#endif
