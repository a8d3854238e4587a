/*
 * alert.h - the alerts the appliance raised (AsyncOS displayalerts), kept
 * in DIR/queue.db.
 *
 * mxgated raises an alert when something an operator must act on happens
 * outside any shell command: a listener that cannot bind, an intake that
 * cannot be reached, a queue-writer failure, a full disk, and above all a
 * committed configuration it could not apply (then the alert carries the
 * commit number, and `commit` reports it). The shell lists them
 * (displayalerts), shows the new ones when an operator logs in, and keeps
 * per user the last one shown ("seen").
 *
 * The table is bounded: each raise keeps only the newest ALERT_KEEP rows.
 * Alert IDs increase and are never reused, so "seen up to ID n" stays
 * true when old rows go.
 *
 * DIAGNOSTICS: -1 with a malloc'd cause naming the operation and the
 * SQLite message.
 */
#ifndef STORE_ALERT_H
#define STORE_ALERT_H

#include <stdint.h>
#include <time.h>

struct queue;

/* How many alerts the table keeps (the newest). */
#define ALERT_KEEP 1000

/* Longest class and text stored; longer ones are cut. */
#define ALERT_CLASS_MAX 64
#define ALERT_TEXT_MAX 1000

/* AsyncOS alert severities, most severe first. */
enum alert_severity {
	ALERT_CRITICAL = 0,
	ALERT_WARNING,
	ALERT_INFO,
};

struct alert {
	int64_t id;			/* increasing, never reused */
	time_t raised;			/* when */
	enum alert_severity severity;	/* Critical, Warning, Info */
	const char *aclass;		/* "Listener", "System", "Queue", ... */
	const char *text;		/* one line, printable */
	int64_t commit;			/* configuration commit it concerns, 0 if none */
};

/* alert_cb - one alert; a non-zero return stops the walk and is returned */
typedef int (*alert_cb)(const struct alert *a, void *arg);

/* alert_severity_name - "Critical", "Warning", "Info" */
const char *alert_severity_name(enum alert_severity s);

/*
 * alert_raise - record an alert now; control characters in aclass and text
 * become blanks and both are cut to their maximum. *id (may be NULL) gets
 * its ID. Works inside or outside a queue_begin batch.
 */
int alert_raise(struct queue *q, enum alert_severity severity, const char *aclass,
    const char *text, int64_t commit, int64_t *id, char **cause);

/* alert_list - every alert with an ID above since_id, oldest first */
int alert_list(struct queue *q, int64_t since_id, alert_cb cb, void *arg, char **cause);

/* alert_latest - the newest n alerts, newest first */
int alert_latest(struct queue *q, int n, alert_cb cb, void *arg, char **cause);

/* alert_for_commits - alerts about commits first..last (inclusive), oldest first */
int alert_for_commits(struct queue *q, int64_t first, int64_t last, alert_cb cb, void *arg,
    char **cause);

/* alert_last_id - the newest alert's ID, 0 if none was ever raised, -1 on error */
int64_t alert_last_id(struct queue *q);

/* alert_seen_get - the last alert ID shown to user at a terminal (0: none) */
int64_t alert_seen_get(struct queue *q, const char *user);

/* alert_seen_set - user has seen every alert up to id (never moves back) */
int alert_seen_set(struct queue *q, const char *user, int64_t id, char **cause);

#endif
