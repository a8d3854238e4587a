/*
 * listener.h - SMTP listener configuration (listenerconfig).
 *
 * A listener is the configuration item ("listener", NAME) -> JSON object
 * {"ip","port","type","domains","relay","max_size","max_rcpts",
 * "max_conns","tls"}. Public listeners take incoming mail for their
 * accepted domains; private listeners relay outgoing mail for listed
 * client addresses. The daemon reads the same model.
 */
#ifndef MAIL_LISTENER_H
#define MAIL_LISTENER_H

#include <stddef.h>
#include <sys/socket.h>

#define LISTENER_SECTION "listener"
#define LISTENER_NAME_MAX 63
#define LISTENER_LIST_MAX 4096

enum listener_type { LISTENER_PUBLIC = 0, LISTENER_PRIVATE = 1 };
enum listener_tls { LISTENER_TLS_NO = 0, LISTENER_TLS_PREFERRED, LISTENER_TLS_REQUIRED };

struct listener_conf {
	char name[LISTENER_NAME_MAX + 1];	/* letters, digits, '_' '-' '.' */
	char ip[64];				/* address to bind, IPv4 or IPv6 */
	int port;				/* 1..65535 */
	enum listener_type type;
	char domains[LISTENER_LIST_MAX];	/* public: "@a.test,@.b.test" (normalised) */
	char relay[LISTENER_LIST_MAX];		/* private: "127.0.0.1,10.0.0.0/8,::1" */
	long long max_size;			/* bytes, default 10485760 */
	int max_rcpts;				/* per message, default 1000 */
	int max_conns;				/* concurrent connections, default 1000 */
	enum listener_tls tls;			/* default no */
};

/* listener_defaults - a listener with every default and the given name */
void listener_defaults(struct listener_conf *l, const char *name);

/*
 * listener_set - set one field from its batch key (ip, port, type, domains,
 * relay, max_size, max_rcpts, max_conns, tls) and text value; validates.
 */
int listener_set(struct listener_conf *l, const char *key, const char *value, char **cause);

/* listener_validate - whole-object checks (public needs domains, private needs relay) */
int listener_validate(const struct listener_conf *l, char **cause);

/* listener_encode - JSON text for the store (malloc'd) */
char *listener_encode(const struct listener_conf *l);

/* listener_decode - parse the stored JSON of listener name */
int listener_decode(const char *name, const char *json, struct listener_conf *l, char **cause);

/* listener_accepts_domain - public listener: is mail for this recipient domain accepted? */
int listener_accepts_domain(const struct listener_conf *l, const char *domain);

/* listener_relay_allowed - private listener: may this client relay? */
int listener_relay_allowed(const struct listener_conf *l, const struct sockaddr *sa);

/*
 * listener_clash - the index in v[0..n) of a listener other than v[self]
 * (self -1: none is l) that l cannot live beside: the same name in any
 * case (*by_name 1), or the same port on the same address, or on a
 * wildcard (0.0.0.0, ::) of the same family (*by_name 0); -1 if none.
 * listenerconfig refuses the edit, loadconfig the file (confcheck_items).
 */
int listener_clash(const struct listener_conf *v, int n, const struct listener_conf *l,
    int self, int *by_name);

/* listener_type_name, listener_tls_name - "public"/"private", "no"/"preferred"/"required" */
const char *listener_type_name(enum listener_type t);
const char *listener_tls_name(enum listener_tls t);

#endif
