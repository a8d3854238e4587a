/*
 * alertconf.h - alert recipients (AsyncOS alertconfig): which addresses
 * get a mail for which alerts, and the alert mail itself.
 *
 * A recipient is a configuration item in section "alert.rcpt": the key is
 * the address (domain in lower case), the value names the classes and
 * severities it wants, "classes=system,queue severities=critical,warning"
 * ("all" for every class or every severity). The sender address and the
 * duplicate interval are settings (alert.from, alert.dup_interval). Items
 * share the candidate, commit and rollback of every other item, so a
 * recipient is pending until commit as any configuration is.
 *
 * Classes are those mxgated raises alerts in (daemon/gw.c gw_alert
 * callers): System, Queue, Listener, Threat Defense Connector. A class
 * this build does not know (a newer alert) reaches recipients of "all".
 *
 * DIAGNOSTICS: parsers return -1 with a malloc'd one-line *cause saying
 * what is allowed; nothing here touches anything on failure.
 */
#ifndef MAIL_ALERTCONF_H
#define MAIL_ALERTCONF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;

#define ALERTCONF_SECTION "alert.rcpt"
#define ALERTCONF_MAX_RCPTS 100		/* recipients at most (AsyncOS keeps a short list) */
#define ALERTCONF_ADDR_MAX 320		/* longest address, with its NUL */

/* Alert classes, one bit each. */
#define ALERTCONF_C_SYSTEM	0x01u
#define ALERTCONF_C_QUEUE	0x02u
#define ALERTCONF_C_LISTENER	0x04u
#define ALERTCONF_C_TDC		0x08u
#define ALERTCONF_C_OTHER	0x80u	/* a class this build does not name: "all" only */
#define ALERTCONF_C_ALL		0xffu

/* Severities, one bit each: bit (1 << enum alert_severity) (store/alert.h). */
#define ALERTCONF_S_CRITICAL	0x01u
#define ALERTCONF_S_WARNING	0x02u
#define ALERTCONF_S_INFO	0x04u
#define ALERTCONF_S_ALL		0x07u

/* One alert recipient. */
struct alert_rcpt {
	char addr[ALERTCONF_ADDR_MAX];	/* local@domain, domain in lower case */
	unsigned classes;		/* ALERTCONF_C_* */
	unsigned severities;		/* ALERTCONF_S_* */
};

/* The recipients and settings of one configuration snapshot. */
struct alert_conf {
	int n;				/* recipients */
	struct alert_rcpt *r;		/* in address order */
	char from[ALERTCONF_ADDR_MAX];	/* alert.from; "" means alert@HOSTNAME */
	int dup_interval;		/* alert.dup_interval: seconds a repeated alert waits */
};

/* alertconf_parse_addr - check an address and normalise it (domain lower case) into out */
int alertconf_parse_addr(const char *in, char *out, size_t size, char **cause);

/* alertconf_parse_classes - "all" or a comma list of class names (any case) */
int alertconf_parse_classes(const char *in, unsigned *mask, char **cause);

/* alertconf_parse_severities - "all" or a comma list of critical, warning, information */
int alertconf_parse_severities(const char *in, unsigned *mask, char **cause);

/* alertconf_classes_text - "All" or "System, Queue" into buf */
const char *alertconf_classes_text(unsigned mask, char *buf, size_t size);

/* alertconf_severities_text - "All" or "Critical, Warning" into buf */
const char *alertconf_severities_text(unsigned mask, char *buf, size_t size);

/* alertconf_encode - the stored value of a recipient's choices (malloc'd) */
char *alertconf_encode(unsigned classes, unsigned severities);

/* alertconf_decode - a stored value into r's classes and severities */
int alertconf_decode(const char *value, struct alert_rcpt *r, char **cause);

/* alertconf_class_bit - the bit of a class as gw_alert names it ("Queue") */
unsigned alertconf_class_bit(const char *aclass);

/* alertconf_wants - does r want an alert of this severity (enum alert_severity) and class? */
int alertconf_wants(const struct alert_rcpt *r, int severity, const char *aclass);

/* alertconf_load - recipients and settings as this handle sees them */
int alertconf_load(struct store *st, struct alert_conf *ac, char **cause);

/* alertconf_free - release what alertconf_load allocated */
void alertconf_free(struct alert_conf *ac);

/* What an alert mail says. */
struct alertmail_in {
	const char *hostname;		/* the gateway's name */
	const char *from;		/* the From: address */
	const char *const *to;		/* recipients (To:) */
	int nto;
	int severity;			/* enum alert_severity */
	const char *aclass;		/* "System" */
	const char *text;		/* the alert's text */
	int64_t alert_id;		/* its displayalerts ID */
	int64_t mid;			/* the mail's MID (Message-ID) */
	time_t when;			/* when it was raised */
	int64_t suppressed;		/* duplicates not mailed since the last mail of it */
	time_t suppressed_since;	/* the first of those */
	const char *version;		/* mxgate's version */
};

/*
 * alertconf_build - the alert mail (CRLF lines), malloc'd, *len its size.
 * Subject as AsyncOS writes it: "Critical-HOSTNAME: (System) TEXT", the
 * text cut and made US-ASCII for the header; the body has it whole.
 */
char *alertconf_build(const struct alertmail_in *in, size_t *len);

#endif
