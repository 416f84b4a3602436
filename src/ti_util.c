/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: checked number and duration parsing, string and time helpers. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "ti_err.h"
#include "ti_util.h"

int
ti_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret_val)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return TI_EPARSE;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return TI_EPARSE;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return TI_ERANGE;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return TI_ERANGE;
	*ret_val = v;
	return 0;
}

int
ti_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret_val)
{
	uint64_t v;
	int r = ti_parse_u64(s, min, max, &v);

	if (r == 0)
		*ret_val = (uint32_t)v;
	return r;
}

int
ti_parse_duration(const char *s, uint64_t min, uint64_t max, uint64_t *ret_sec)
{
	char num[24];
	uint64_t mult = 1, v;
	size_t len;
	int r;

	if (s == NULL)
		return TI_EPARSE;
	len = strlen(s);
	if (len == 0 || len >= sizeof(num))
		return len == 0 ? TI_EPARSE : TI_ERANGE;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		if (num[len - 1] < '0' || num[len - 1] > '9')
			return TI_EPARSE;
		len++;
		break;
	}
	num[len - 1] = '\0';
	r = ti_parse_u64(num, 0, UINT64_MAX / mult, &v);
	if (r < 0)
		return r;
	v *= mult;
	if (v < min || v > max)
		return TI_ERANGE;
	*ret_sec = v;
	return 0;
}

int
ti_format_duration(char *buf, size_t size, uint64_t sec)
{
	if (sec != 0 && sec % 86400 == 0)
		return snprintf(buf, size, "%llud", (unsigned long long)(sec / 86400));
	if (sec != 0 && sec % 3600 == 0)
		return snprintf(buf, size, "%lluh", (unsigned long long)(sec / 3600));
	if (sec != 0 && sec % 60 == 0)
		return snprintf(buf, size, "%llum", (unsigned long long)(sec / 60));
	return snprintf(buf, size, "%llus", (unsigned long long)sec);
}

int
ti_parse_bool(const char *s, int *ret_val)
{
	static const char *yes[] = { "yes", "on", "true", "1" };
	static const char *no[] = { "no", "off", "false", "0" };

	for (size_t i = 0; i < TI_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret_val = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret_val = 0;
			return 0;
		}
	}
	return TI_EPARSE;
}

size_t
ti_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
ti_str_equal(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

uint64_t
ti_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
ti_random(void *buf, size_t size)
{
	uint8_t *p = buf;

	while (size > 0) {
		ssize_t n = getrandom(p, size, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		size -= (size_t)n;
	}
	return 0;
}
