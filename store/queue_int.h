/*
 * queue_int.h - what the modules of queue.db share; not for other layers.
 *
 * queue.db has more than one owning module (queue.c: messages, counters,
 * IDs, state, requests; alert.c: alerts); they share the connection of a
 * struct queue, and queue.c's migrations create every table.
 */
#ifndef STORE_QUEUE_INT_H
#define STORE_QUEUE_INT_H

#include <sqlite3.h>

struct queue;

/* queue_sqlite - the connection of q (same thread rules as q) */
sqlite3 *queue_sqlite(struct queue *q);

/* queue_col - a text column of a row, "" for NULL (valid until the next step) */
static inline const char *
queue_col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

#endif
