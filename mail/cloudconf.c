/*
 * cloudconf.c - the Cisco Cloud Service's servers by region (see
 * cloudconf.h).
 */
#include <string.h>
#include <strings.h>

#include "mail/cloudconf.h"
#include "util/str.h"
#include "util/syntax.h"

static const struct {
	const char *name, *reg, *tr, *label;
} regions[] = {
	{ "nam", "https://api-sse.cisco.com", "https://visibility.amp.cisco.com",
	    "NAM - api-sse.cisco.com" },
	{ "eu", "https://api.eu.sse.itd.cisco.com", "https://visibility.eu.amp.cisco.com",
	    "Europe - api.eu.sse.itd.cisco.com" },
	{ "apjc", "https://api.apj.sse.itd.cisco.com", "https://visibility.apjc.amp.cisco.com",
	    "APJC - api.apj.sse.itd.cisco.com" },
};

#define NREGIONS (sizeof(regions) / sizeof(regions[0]))

/* find - the region named s, or -1 */
static int
find(const char *s)
{
	for (size_t i = 0; i < NREGIONS; i++)
		if (strcasecmp(s, regions[i].name) == 0)
			return (int)i;
	return -1;
}

int
cloud_region_ok(const char *s)
{
	return find(s) >= 0;
}

/* url_or_region - a region's URL (field by offset), or s itself when an https:// URL */
static int
url_or_region(const char *s, int tr, char *out, size_t size)
{
	int i = find(s);
	size_t n;

	if (i >= 0)
		return str_copy(out, tr ? regions[i].tr : regions[i].reg, size);
	/* a query or fragment would be cut into the paths appended to it */
	if (!syntax_https_url(s) || strpbrk(s, "?#") != NULL || str_copy(out, s, size) < 0)
		return -1;
	for (n = strlen(out); n > 8 && out[n - 1] == '/'; n--)
		out[n - 1] = '\0';
	return 0;
}

int
cloud_register_url(const char *s, char *out, size_t size)
{
	return url_or_region(s, 0, out, size);
}

int
cloud_tr_url(const char *s, char *out, size_t size)
{
	return url_or_region(s, 1, out, size);
}

int
cloud_url_host(const char *url, char *out, size_t size)
{
	const char *h, *e;

	if (strncasecmp(url, "https://", 8) != 0)
		return -1;
	h = url + 8;
	if (*h == '[') {
		h++;
		e = strchr(h, ']');
		if (e == NULL)
			return -1;
	} else {
		e = h + strcspn(h, ":/?#");
	}
	if (e == h || (size_t)(e - h) >= size)
		return -1;
	memcpy(out, h, (size_t)(e - h));
	out[e - h] = '\0';
	return 0;
}

const char *
cloud_region_label(const char *s)
{
	int i = find(s);

	return i >= 0 ? regions[i].label : s;
}
