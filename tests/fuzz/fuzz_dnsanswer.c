/*
 * fuzz_dnsanswer.c - libFuzzer harness for net/dns.c dns_answer_parse,
 * which reads a DNS server's answer (untrusted bytes) for `dig`.
 *
 * Beyond "no crash, no leak, no overread" it abort()s when:
 *   - more records come back than asked for, or a negative count, or
 *     fewer counted in all than returned (total < nrr), or fewer
 *     returned than asked for while more were counted;
 *   - a record's name or data is not NUL-terminated within its buffer,
 *     or holds a byte a terminal would act on (control characters): dig
 *     prints them as they are.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fail - report an invariant that does not hold, and crash for libFuzzer */
static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_dnsanswer: %s\n", what);
	abort();
}

/* printable - NUL-terminated within size, no control characters */
static void
printable(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);

	if (end == NULL)
		fail("text not terminated");
	for (; s < end; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			fail("control character in printed text");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_rr rr[DNS_RR_MAX];
	int nrr = -1, total = -1, rcode = -1, max;

	if (size > 65535)
		return 0;
	max = size > 0 ? data[0] % (DNS_RR_MAX + 1) : DNS_RR_MAX;
	if (dns_answer_parse(data, (int)size, rr, max, &nrr, &total, &rcode) < 0)
		return 0;
	if (nrr < 0 || nrr > max || rcode < 0 || rcode > 15)
		fail("record count or rcode out of range");
	if (total < nrr || (nrr < max && total != nrr))
		fail("total does not match the records returned");
	for (int i = 0; i < nrr; i++) {
		printable(rr[i].name, sizeof(rr[i].name));
		printable(rr[i].data, sizeof(rr[i].data));
	}
	return 0;
}
