/*
 * buf.h - growable byte buffer with a hard size limit (curl's dynbuf idea).
 *
 * An append that would pass the limit fails with -1 and sets toobig;
 * the buffer keeps what it had. The data is always NUL-terminated.
 */
#ifndef UTIL_BUF_H
#define UTIL_BUF_H

#include <stddef.h>
#include <stdarg.h>

struct buf {
	char *data;	/* bytes, NUL-terminated */
	size_t len;	/* bytes in use, excluding the NUL */
	size_t cap;	/* allocated size */
	size_t max;	/* largest len allowed; 0 means no limit */
	int toobig;	/* set once an append was refused for size */
};

/* buf_init - empty buffer limited to max bytes (0: unlimited) */
void buf_init(struct buf *b, size_t max);

/* buf_free - release storage; the buffer may be reused after buf_init */
void buf_free(struct buf *b);

/* buf_reset - drop the contents, keep the storage */
void buf_reset(struct buf *b);

/* buf_add - append n bytes; -1 if the limit would be passed */
int buf_add(struct buf *b, const void *p, size_t n);

/* buf_addstr - append a C string */
int buf_addstr(struct buf *b, const char *s);

/* buf_addch - append one byte */
int buf_addch(struct buf *b, char c);

/* buf_printf - append formatted text */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* buf_vprintf - va_list form of buf_printf */
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* buf_steal - hand the malloc'd string to the caller; the buffer is emptied */
char *buf_steal(struct buf *b);

/* buf_consume - remove the first n bytes */
void buf_consume(struct buf *b, size_t n);

#endif
