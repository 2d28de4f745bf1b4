// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pyprefetch.c - code objects read ahead by a thread of their own (see
 * pyprefetch.h). One mutex guards the table of watched processes and
 * what was read for each; the reads themselves run unlocked.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <search.h>
#include <stdbool.h>
#include <stdlib.h>

#include "memtrace.h"
#include "procfs.h"
#include "pyprefetch.h"

#define MT_POLL_MS 100 /* how often the thread looks at its stop flag */

/* A process whose code objects are read ahead, and those read. */
struct watched {
	uint32_t pid; /* the key */
	struct mt_py_code_layout layout;
	void *codes; /* tsearch tree of struct mt_py_code_object */
};

struct mt_py_prefetch {
	struct ring_buffer *rb;
	pthread_t thread;
	volatile bool stop;
	pthread_mutex_t lock;
	void *watched; /* tsearch tree of struct watched */
};

static int cmp_watched(const void *a, const void *b)
{
	const struct watched *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static struct watched *find_watched(struct mt_py_prefetch *pf, uint32_t pid)
{
	struct watched key = { .pid = pid }, **node = tfind(&key, &pf->watched, cmp_watched);

	return node ? *node : NULL;
}

/*
 * The layout pid's code objects have: its own, or its parent's (a child
 * forked before memtrace saw its fork runs its parent's interpreter).
 * Called locked; false if neither is watched.
 */
static bool layout_of(struct mt_py_prefetch *pf, uint32_t pid, struct mt_py_code_layout *l)
{
	struct watched *w = find_watched(pf, pid);
	struct mt_proc_status st;

	if (!w && procfs_read_status((int)pid, &st) == 0 && st.ppid > 0)
		w = find_watched(pf, (uint32_t)st.ppid);
	if (w)
		*l = w->layout;
	return w != NULL;
}

/* Keep c for pid (watching it with layout l if it was its parent that was); locked. */
static void keep_code(struct mt_py_prefetch *pf, uint32_t pid,
		      const struct mt_py_code_layout *l, struct mt_py_code_object *c)
{
	struct watched *w = find_watched(pf, pid), **node;

	if (!w) {
		w = calloc(1, sizeof(*w));
		node = w ? tsearch(w, &pf->watched, cmp_watched) : NULL;
		if (!node) {
			free(w);
			mt_py_code_free(c);
			return;
		}
		w->pid = pid;
		w->layout = *l;
	}
	if (!tsearch(c, &w->codes, mt_py_code_cmp))
		mt_py_code_free(c);
}

static int on_new_code(void *ctx, void *data, size_t size)
{
	const struct mt_py_new_code *e = data;
	struct mt_py_prefetch *pf = ctx;
	struct mt_py_code_layout l;
	struct mt_py_code_object *c;
	bool known;

	if (size < sizeof(*e))
		return 0;
	pthread_mutex_lock(&pf->lock);
	known = layout_of(pf, e->tgid, &l);
	pthread_mutex_unlock(&pf->lock);
	if (!known)
		return 0;
	c = mt_py_code_read(e->tgid, &l, e->code, e->check);
	if (!c)
		return 0;
	pthread_mutex_lock(&pf->lock);
	keep_code(pf, e->tgid, &l, c);
	pthread_mutex_unlock(&pf->lock);
	return 0;
}

static void *run(void *arg)
{
	struct mt_py_prefetch *pf = arg;

	while (!pf->stop)
		ring_buffer__poll(pf->rb, MT_POLL_MS);
	return NULL;
}

struct mt_py_prefetch *py_prefetch_start(int new_codes_fd)
{
	struct mt_py_prefetch *pf = calloc(1, sizeof(*pf));
	int err;

	if (!pf)
		return NULL;
	pthread_mutex_init(&pf->lock, NULL);
	pf->rb = ring_buffer__new(new_codes_fd, on_new_code, pf, NULL);
	if (!pf->rb) {
		err = errno;
		free(pf);
		errno = err;
		return NULL;
	}
	err = pthread_create(&pf->thread, NULL, run, pf);
	if (err) {
		ring_buffer__free(pf->rb);
		free(pf);
		errno = err;
		return NULL;
	}
	return pf;
}

static void free_watched(void *node)
{
	struct watched *w = node;

	tdestroy(w->codes, mt_py_code_free);
	free(w);
}

void py_prefetch_stop(struct mt_py_prefetch *pf)
{
	if (!pf)
		return;
	pf->stop = true;
	pthread_join(pf->thread, NULL);
	ring_buffer__free(pf->rb);
	tdestroy(pf->watched, free_watched);
	pthread_mutex_destroy(&pf->lock);
	free(pf);
}

int py_prefetch_watch(struct mt_py_prefetch *pf, uint32_t pid, const struct mt_py_code_layout *l)
{
	struct watched *w;
	int err = 0;

	pthread_mutex_lock(&pf->lock);
	w = find_watched(pf, pid);
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (w && tsearch(w, &pf->watched, cmp_watched)) {
			w->pid = pid;
		} else {
			free(w);
			w = NULL;
			err = -ENOMEM;
		}
	}
	if (w)
		w->layout = *l;
	pthread_mutex_unlock(&pf->lock);
	return err;
}

void py_prefetch_forget(struct mt_py_prefetch *pf, uint32_t pid)
{
	struct watched *w;

	if (!pf)
		return;
	pthread_mutex_lock(&pf->lock);
	w = find_watched(pf, pid);
	if (w) {
		tdelete(w, &pf->watched, cmp_watched);
		free_watched(w);
	}
	pthread_mutex_unlock(&pf->lock);
}

struct mt_py_code_object *py_prefetch_take(struct mt_py_prefetch *pf, uint32_t pid,
					   uint64_t addr, uint32_t check)
{
	struct mt_py_code_object key = { .addr = addr, .check = check }, *c = NULL, **node;
	struct watched *w;

	pthread_mutex_lock(&pf->lock);
	w = find_watched(pf, pid);
	node = w ? tfind(&key, &w->codes, mt_py_code_cmp) : NULL;
	if (node) {
		c = *node;
		tdelete(c, &w->codes, mt_py_code_cmp);
	}
	pthread_mutex_unlock(&pf->lock);
	return c;
}
