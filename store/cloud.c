/*
 * cloud.c - the table cloud_registration of DIR/config.db: the gateway's
 * registration with the Cisco Cloud Service (see cloud.h).
 *
 * One row at most (id = 1). cloud_put seals the client secret before it
 * opens its transaction (sealing may have to make the key file) and
 * replaces the row in one BEGIN IMMEDIATE transaction, so a reader sees
 * the old registration or the new one, and a failure leaves the old one.
 * Registrations are rare: statements are prepared per call.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause ("cloud registration:
 * WHAT: sqlite message"); the clear secret is never in it.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/cloud.h"
#include "store/secret.h"
#include "store/store_int.h"
#include "util/str.h"

#define SECRET_SECTION "cloud"
#define SECRET_NAME "client_secret"

/* err - cause from the connection */
static int
err(struct store *st, char **cause, const char *what)
{
	if (cause != NULL)
		*cause = str_printf("cloud registration: %s: %s", what, sqlite3_errmsg(st->db));
	return -1;
}

/* exec1 - prepare and step once a fixed statement without rows */
static int
exec1(struct store *st, const char *sql, char **cause, const char *what)
{
	sqlite3_stmt *s = store_prepare(st, sql, NULL);
	int rc;

	if (s == NULL)
		return err(st, cause, what);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		err(st, cause, what);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

/* cloud_get - the registration into r */
int
cloud_get(struct store *st, struct cloud_reg *r, char **cause)
{
	sqlite3_stmt *s;
	int rc;
	char *clear = NULL, *why = NULL;

	*r = (struct cloud_reg){ 0 };
	s = store_prepare(st, "SELECT server, device_id, client_id, client_secret, account_id,"
			      " virtual_account, jwks, registered, reregistered, last_contact,"
			      " last_error, last_error_at FROM cloud_registration WHERE id = 1",
	    NULL);
	if (s == NULL)
		return err(st, cause, "cannot read");
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		err(st, cause, "cannot read");
		sqlite3_finalize(s);
		return -1;
	}
	str_copy(r->server, store_col_text(s, 0), sizeof(r->server));
	str_copy(r->device_id, store_col_text(s, 1), sizeof(r->device_id));
	str_copy(r->client_id, store_col_text(s, 2), sizeof(r->client_id));
	if (secret_unseal(st, SECRET_SECTION, SECRET_NAME, store_col_text(s, 3), &clear,
		&why) < 0) {
		/* the row stays readable: status can say so, reregister/deregister replace it */
		free(why);
		clear = NULL;
		r->secret_unreadable = 1;
	}
	r->client_secret = clear;
	str_copy(r->account_id, store_col_text(s, 4), sizeof(r->account_id));
	str_copy(r->virtual_account, store_col_text(s, 5), sizeof(r->virtual_account));
	r->jwks = str_dup(store_col_text(s, 6));
	r->registered = (time_t)sqlite3_column_int64(s, 7);
	r->reregistered = (time_t)sqlite3_column_int64(s, 8);
	r->last_contact = (time_t)sqlite3_column_int64(s, 9);
	str_copy(r->last_error, store_col_text(s, 10), sizeof(r->last_error));
	r->last_error_at = (time_t)sqlite3_column_int64(s, 11);
	sqlite3_finalize(s);
	return 1;
}

/* cloud_put - replace the registration with r in one transaction */
int
cloud_put(struct store *st, const struct cloud_reg *r, char **cause)
{
	sqlite3_stmt *s = NULL;
	char *sealed = NULL;
	time_t contact = r->reregistered > r->registered ? r->reregistered : r->registered;

	if (r->device_id[0] == '\0' || r->client_id[0] == '\0') {
		if (cause != NULL)
			*cause = str_dup("cloud registration: no device ID or client ID to keep");
		return -1;
	}
	if (secret_seal(st, SECRET_SECTION, SECRET_NAME,
		r->client_secret ? r->client_secret : "", &sealed, cause) < 0)
		return -1;
	if (store_exec(st, "BEGIN IMMEDIATE", cause) < 0) {
		free(sealed);
		return -1;
	}
	s = store_prepare(st, "INSERT OR REPLACE INTO cloud_registration (id, server, device_id,"
			      " client_id, client_secret, account_id, virtual_account, jwks,"
			      " registered, reregistered, last_contact, last_error, last_error_at)"
			      " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0)",
	    NULL);
	if (s == NULL) {
		err(st, cause, "cannot write");
		goto fail;
	}
	store_bind_text(s, 1, r->server);
	store_bind_text(s, 2, r->device_id);
	store_bind_text(s, 3, r->client_id);
	store_bind_text(s, 4, sealed);
	store_bind_text(s, 5, r->account_id);
	store_bind_text(s, 6, r->virtual_account);
	store_bind_text(s, 7, r->jwks ? r->jwks : "");
	sqlite3_bind_int64(s, 8, (sqlite3_int64)r->registered);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)r->reregistered);
	sqlite3_bind_int64(s, 10, (sqlite3_int64)contact);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err(st, cause, "cannot write");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	free(sealed);
	sealed = NULL;
	if (store_exec(st, "COMMIT", cause) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(s);
	free(sealed);
	store_exec(st, "ROLLBACK", NULL);
	return -1;
}

/* cloud_delete - forget the registration */
int
cloud_delete(struct store *st, char **cause)
{
	return exec1(st, "DELETE FROM cloud_registration", cause, "cannot delete");
}

/* cloud_contact - record an exchange with the cloud */
int
cloud_contact(struct store *st, time_t when, const char *error, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (error == NULL)
		s = store_prepare(st, "UPDATE cloud_registration SET last_contact = ?1"
				      " WHERE id = 1", NULL);
	else
		s = store_prepare(st, "UPDATE cloud_registration SET last_error = ?2,"
				      " last_error_at = ?1 WHERE id = 1", NULL);
	if (s == NULL)
		return err(st, cause, "cannot record contact");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)when);
	if (error != NULL) {
		char e[sizeof(((struct cloud_reg *)0)->last_error)];

		str_copy(e, error, sizeof(e));	/* a longer one is cut: it is a note */
		store_bind_text(s, 2, e);
	}
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(st, cause, "cannot record contact");
	return 0;
}

/* cloud_reg_free - release what cloud_get allocated in r */
void
cloud_reg_free(struct cloud_reg *r)
{
	secret_drop(r->client_secret);
	r->client_secret = NULL;
	free(r->jwks);
	r->jwks = NULL;
}
