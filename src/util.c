// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * util.c - checked number parsing, the clock, byte formatting, error
 * messages (see util.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <search.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "text.h"
#include "util.h"

void mt_err(const char *fmt, ...)
{
	char message[1024], safe[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	/* a path or a command from the command line may hold anything: one clean line */
	fprintf(stderr, "memtrace: %s\n", mt_text_safe(message, MT_TEXT_TERMINAL, safe, sizeof(safe)));
}

int mt_ensure_mem(void **items, size_t *cap, size_t elem_size, size_t need)
{
	size_t new_cap;
	void *grown;

	if (need <= *cap)
		return 0;
	new_cap = *cap + *cap / 2;
	if (new_cap < 16)
		new_cap = 16;
	if (new_cap < need)
		new_cap = need;
	if (elem_size && new_cap > SIZE_MAX / elem_size)
		return -ENOMEM;
	grown = realloc(*items, new_cap * elem_size);
	if (!grown)
		return -ENOMEM;
	*items = grown;
	*cap = new_cap;
	return 0;
}

int mt_append(void **items, size_t *nr, size_t *cap, size_t elem_size, const void *elem)
{
	if (mt_ensure_mem(items, cap, elem_size, *nr + 1))
		return -ENOMEM;
	memcpy((char *)*items + *nr * elem_size, elem, elem_size);
	(*nr)++;
	return 0;
}

int mt_parse_u64(const char *s, bool allow_suffix, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end && allow_suffix) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		end++;
		/* accept "KiB" and "KB" spellings */
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	}
	if (*end)
		return -EINVAL;
	if (shift && v > (ULLONG_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int mt_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e9)
		return -EINVAL;
	*out = v;
	return 0;
}

int mt_parse_pid_list(const char *s, int **pids, int *nr)
{
	char *copy, *tok, *save = NULL;
	size_t n = 0, cap = 0, i;
	int *list = NULL, err = 0, pid;
	uint64_t v;

	copy = strdup(s ? s : "");
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
		if (mt_parse_u64(tok, false, &v) || v == 0 || v > INT_MAX) {
			err = -EINVAL;
			break;
		}
		pid = (int)v;
		for (i = 0; i < n && list[i] != pid; i++)
			; /* a pid listed twice is one target */
		if (i == n)
			err = mt_append((void **)&list, &n, &cap, sizeof(*list), &pid);
	}
	if (!err && !n)
		err = -EINVAL;
	free(copy);
	if (err) {
		free(list);
		return err;
	}
	*pids = list;
	*nr = (int)n;
	return 0;
}

bool mt_sudo_caller(unsigned int *uid, unsigned int *gid)
{
	const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
	uint64_t vu, vg;

	if (geteuid() != 0 || !u || !g || mt_parse_u64(u, false, &vu) ||
	    mt_parse_u64(g, false, &vg) || vu > 0xfffffffe || vg > 0xfffffffe)
		return false;
	*uid = vu;
	*gid = vg;
	return true;
}

uint64_t mt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * MT_NS_PER_SEC + ts.tv_nsec;
}

char *mt_format_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	unsigned int u = 0;

	while (v >= 1024 && u < sizeof(units) / sizeof(units[0]) - 1) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

int mt_parse_listen(const char *listen, struct sockaddr_storage *addr)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	struct sockaddr_in *in = (struct sockaddr_in *)addr;
	const char *colon, *port_text;
	char host[64];
	uint64_t port;
	size_t len;

	memset(addr, 0, sizeof(*addr));
	if (listen[0] == '[') { /* [v6]:port */
		colon = strstr(listen, "]:");
		if (!colon)
			return -EINVAL;
		len = colon - listen - 1;
		port_text = colon + 2;
		listen++;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return -EINVAL;
		len = colon - listen;
		port_text = colon + 1;
	}
	if (!len || len >= sizeof(host) || mt_parse_u64(port_text, false, &port) || !port ||
	    port > 65535)
		return -EINVAL;
	memcpy(host, listen, len);
	host[len] = '\0';
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

static int cmp_pid_key(const void *a, const void *b)
{
	uint32_t pa = *(const uint32_t *)a, pb = *(const uint32_t *)b;

	return (pa > pb) - (pa < pb);
}

void *mt_pid_table_get(void **root, uint32_t pid, size_t size, bool create)
{
	void *node = tfind(&pid, root, cmp_pid_key), *item;

	if (node || !create)
		return node ? *(void **)node : NULL;
	item = calloc(1, size);
	if (!item)
		return NULL;
	*(uint32_t *)item = pid;
	if (!tsearch(item, root, cmp_pid_key)) {
		free(item);
		return NULL;
	}
	return item;
}

void mt_pid_table_remove(void **root, uint32_t pid)
{
	tdelete(&pid, root, cmp_pid_key);
}
