// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * profile.c - the growth profile (see profile.h).
 *
 * In use at the peak: every sampled page is remembered by address until it
 * is unmapped or its process exits or execs. The set changes only at those
 * events, so the set at the peak is the set after the last sample taken at a
 * new peak (the traced total's rss equal to its peak, both read by the BPF
 * program) and before the next change that is not itself at a new peak: the
 * snapshot is taken then, lazily, once per run of rising samples.
 */
#include <errno.h>
#include <fnmatch.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "util.h"

/*
 * An index node: the fields of the thing it indexes that make its identity.
 * Pointers go to memory that never moves (not into the growing arrays).
 */
struct index_key {
	const char *s1, *s2;
	const uint32_t *locs;
	char comm[MT_COMM_LEN]; /* a stack's process name: a copy, its array moves */
	uint64_t n1, n2;
	uint32_t id;
};

/* A sampled page still mapped. */
struct page_ref {
	uint64_t addr;
	uint64_t bytes;
	uint32_t stack;
};

struct process_pages {
	uint32_t pid; /* first: the key of the pid table */
	size_t nr, cap;
	struct page_ref *refs;
};

static int cmp_strings(const void *a, const void *b)
{
	const struct index_key *ka = a, *kb = b;
	int c = strcmp(ka->s1, kb->s1);

	return c ? c : strcmp(ka->s2, kb->s2);
}

static int cmp_numbers(const void *a, const void *b)
{
	const struct index_key *ka = a, *kb = b;

	if (ka->n1 != kb->n1)
		return ka->n1 < kb->n1 ? -1 : 1;
	return (ka->n2 > kb->n2) - (ka->n2 < kb->n2);
}

static int cmp_stack(const void *a, const void *b)
{
	const struct index_key *ka = a, *kb = b;
	int c = strcmp(ka->comm, kb->comm);

	if (c)
		return c;
	if (ka->n1 != kb->n1)
		return ka->n1 < kb->n1 ? -1 : 1;
	return memcmp(ka->locs, kb->locs, ka->n1 * sizeof(*ka->locs));
}

/* The id indexed under `key`, or -1; with `insert`, a new node gets key->id. */
static long index_lookup(void **root, const struct index_key *key,
			 int (*cmp)(const void *, const void *), bool insert)
{
	struct index_key *node_key;
	void *node = tfind(key, root, cmp);

	if (node)
		return (*(struct index_key **)node)->id;
	if (!insert)
		return -1;
	node_key = malloc(sizeof(*node_key));
	if (!node_key)
		return -ENOMEM;
	*node_key = *key;
	if (!tsearch(node_key, root, cmp)) {
		free(node_key);
		return -ENOMEM;
	}
	return key->id;
}

int profile_init(struct mt_profile *p, const char *unwind, uint64_t sample_bytes,
		 uint64_t big_bytes)
{
	memset(p, 0, sizeof(*p));
	p->unwind = unwind;
	p->sample_bytes = sample_bytes;
	p->big_bytes = big_bytes;
	return 0;
}

static void free_process_pages(void *node)
{
	struct process_pages *pp = node;

	free(pp->refs);
	free(pp);
}

void profile_free(struct mt_profile *p)
{
	size_t i;

	tdestroy(p->module_index, free);
	tdestroy(p->function_index, free);
	tdestroy(p->location_index, free);
	tdestroy(p->stack_index, free);
	tdestroy(p->processes, free_process_pages);
	for (i = 0; i < p->nr_modules; i++) {
		free(p->modules[i].path);
		free(p->modules[i].build_id);
	}
	for (i = 0; i < p->nr_functions; i++) {
		free(p->functions[i].name);
		free(p->functions[i].file);
	}
	for (i = 0; i < p->nr_locations; i++)
		free(p->locations[i].lines);
	for (i = 0; i < p->nr_stacks; i++)
		free(p->stacks[i].locs);
	free(p->modules);
	free(p->functions);
	free(p->locations);
	free(p->stacks);
	memset(p, 0, sizeof(*p));
}

const char *profile_frame_label(const struct mt_profile *p, const struct mt_location *l,
				const struct mt_line *line, char *buf, size_t size)
{
	const struct mt_function *fn = &p->functions[line->function];
	const char *base = strrchr(fn->file, '/');

	if (strcmp(p->modules[l->module].path, MT_PYTHON_MODULE) || !fn->file[0])
		return fn->name;
	snprintf(buf, size, "%s (%s:%u)", fn->name, base ? base + 1 : fn->file, line->line);
	return buf;
}

bool profile_is_system_path(const char *path)
{
	return path[0] == '[' || !strncmp(path, "/lib/", 5) || !strncmp(path, "/lib64/", 7) ||
	       !strncmp(path, "/usr/lib/", 9) || !strncmp(path, "/usr/lib64/", 11);
}

/* The leading fields of struct mt_module and struct mt_function: what identifies them. */
struct string_pair {
	char *first, *second;
};

/* The id of the item (first, second) in an array of such items, added if new. */
static long intern_pair(void **index, void **items, size_t *nr, size_t *cap, size_t size,
			const char *first, const char *second)
{
	struct index_key key = { .s1 = first, .s2 = second, .id = *nr };
	struct string_pair *item;
	long id;

	id = index_lookup(index, &key, cmp_strings, false);
	if (id >= 0)
		return id;
	if (mt_ensure_mem(items, cap, size, *nr + 1))
		return -ENOMEM;
	item = (struct string_pair *)((char *)*items + *nr * size);
	memset(item, 0, size);
	item->first = strdup(first);
	item->second = strdup(second);
	key.s1 = item->first;
	key.s2 = item->second;
	id = item->first && item->second ? index_lookup(index, &key, cmp_strings, true) : -ENOMEM;
	if (id < 0) {
		free(item->first);
		free(item->second);
		return -ENOMEM;
	}
	(*nr)++;
	return id;
}

long profile_module(struct mt_profile *p, const char *path, const char *build_id)
{
	long id = intern_pair(&p->module_index, (void **)&p->modules, &p->nr_modules,
			      &p->cap_modules, sizeof(*p->modules), path, build_id);

	/* once system, always (unwind.c also marks an interpreter's module so) */
	if (id >= 0 && !p->modules[id].system)
		p->modules[id].system = profile_is_system_path(path);
	return id;
}

long profile_function(struct mt_profile *p, const char *name, const char *file)
{
	return intern_pair(&p->function_index, (void **)&p->functions, &p->nr_functions,
			   &p->cap_functions, sizeof(*p->functions), name, file);
}

long profile_find_location(struct mt_profile *p, uint32_t module, uint64_t address)
{
	struct index_key key = { .n1 = module, .n2 = address };

	return index_lookup(&p->location_index, &key, cmp_numbers, false);
}

long profile_add_location(struct mt_profile *p, uint32_t module, uint64_t address,
			  const struct mt_line *lines, uint32_t nr_lines)
{
	struct index_key key = { .n1 = module, .n2 = address, .id = p->nr_locations };
	struct mt_location *l;
	long id;

	if (mt_ensure_mem((void **)&p->locations, &p->cap_locations, sizeof(*l), p->nr_locations + 1))
		return -ENOMEM;
	l = &p->locations[p->nr_locations];
	l->module = module;
	l->address = address;
	l->nr_lines = nr_lines;
	l->lines = malloc(nr_lines * sizeof(*lines));
	if (!l->lines)
		return -ENOMEM;
	memcpy(l->lines, lines, nr_lines * sizeof(*lines));
	id = index_lookup(&p->location_index, &key, cmp_numbers, true);
	if (id < 0) {
		free(l->lines);
		return id;
	}
	p->nr_locations++;
	return id;
}

static long intern_stack(struct mt_profile *p, const char *comm, const uint32_t *locs,
			 uint32_t nr_locs)
{
	struct index_key key = { .locs = locs, .n1 = nr_locs, .id = p->nr_stacks };
	struct mt_stack *s;
	long id;

	snprintf(key.comm, sizeof(key.comm), "%s", comm);
	id = index_lookup(&p->stack_index, &key, cmp_stack, false);
	if (id >= 0)
		return id;
	if (mt_ensure_mem((void **)&p->stacks, &p->cap_stacks, sizeof(*s), p->nr_stacks + 1))
		return -ENOMEM;
	s = &p->stacks[p->nr_stacks];
	memset(s, 0, sizeof(*s));
	snprintf(s->comm, sizeof(s->comm), "%s", comm);
	s->nr_locs = nr_locs;
	s->locs = malloc((nr_locs ? nr_locs : 1) * sizeof(*locs));
	if (!s->locs)
		return -ENOMEM;
	memcpy(s->locs, locs, nr_locs * sizeof(*locs));
	key.locs = s->locs;
	id = index_lookup(&p->stack_index, &key, cmp_stack, true);
	if (id < 0) {
		free(s->locs);
		return id;
	}
	p->nr_stacks++;
	return id;
}

static struct process_pages *find_pages(struct mt_profile *p, uint32_t pid, bool create)
{
	return mt_pid_table_get(&p->processes, pid, sizeof(struct process_pages), create);
}

/* What is in use now is what was in use at the peak (see the comment at the top). */
static void snapshot_if_pending(struct mt_profile *p)
{
	size_t i;

	if (!p->peak_pending)
		return;
	for (i = 0; i < p->nr_stacks; i++)
		p->stacks[i].peak_bytes = p->stacks[i].inuse_bytes;
	p->peak_inuse_bytes = p->inuse_bytes;
	p->peak_rss = p->pending_rss;
	p->peak_ns = p->pending_ns;
	p->peak_pending = false;
}

static void drop_ref(struct mt_profile *p, struct process_pages *pp, size_t i)
{
	p->stacks[pp->refs[i].stack].inuse_bytes -= pp->refs[i].bytes;
	p->inuse_bytes -= pp->refs[i].bytes;
	pp->refs[i] = pp->refs[--pp->nr];
}

/* Sampled growth at addr (a page, or near it when `near`: several samples may share it). */
static int add_page(struct mt_profile *p, uint32_t pid, uint64_t addr, bool near, uint64_t bytes,
		    uint32_t stack)
{
	struct process_pages *pp = find_pages(p, pid, true);
	size_t i;

	if (!pp)
		return -ENOMEM;
	/* a page sampled again (copy-on-write, or an unmap we did not see) */
	for (i = 0; !near && i < pp->nr; i++) {
		if (pp->refs[i].addr == addr) {
			drop_ref(p, pp, i);
			break;
		}
	}
	if (mt_ensure_mem((void **)&pp->refs, &pp->cap, sizeof(*pp->refs), pp->nr + 1))
		return -ENOMEM;
	pp->refs[pp->nr++] = (struct page_ref){ .addr = addr, .bytes = bytes, .stack = stack };
	p->stacks[stack].inuse_bytes += bytes;
	p->inuse_bytes += bytes;
	return 0;
}

void profile_rename_location(struct mt_profile *p, uint32_t location, uint32_t function)
{
	if (location < p->nr_locations && p->locations[location].nr_lines)
		p->locations[location].lines[0].function = function;
}

int profile_on_sample(struct mt_profile *p, const struct mt_sample_event *e, uint64_t page,
		      uint64_t near, const char *comm, const uint32_t *locs, uint32_t nr_locs)
{
	bool at_new_peak = e->group_rss >= e->group_peak && e->group_peak >= p->peak_rss;
	long stack;
	int err;

	stack = intern_stack(p, comm, locs, nr_locs);
	if (stack < 0)
		return stack;
	if (e->kind != MT_SAMPLE_GROWTH) {
		p->stacks[stack].mapped_bytes += e->bytes;
		p->big_mappings++;
		return 0;
	}
	if (!at_new_peak)
		snapshot_if_pending(p);
	p->samples++;
	p->sampled_bytes += e->bytes;
	p->stacks[stack].alloc_bytes += e->bytes;
	err = add_page(p, e->hdr.pid, page ? page & ~4095ull : near, !page, e->bytes, stack);
	if (err)
		return err;
	if (at_new_peak) {
		p->peak_pending = true;
		p->pending_rss = e->group_peak;
		p->pending_ns = e->hdr.time_ns;
	}
	return 0;
}

int profile_on_unmap(struct mt_profile *p, const struct mt_unmap_event *e)
{
	struct process_pages *pp = find_pages(p, e->hdr.pid, false);
	uint64_t offset;
	size_t i;

	if (!pp || !pp->nr)
		return 0;
	snapshot_if_pending(p);
	for (i = 0; i < pp->nr;) {
		offset = pp->refs[i].addr - e->addr;
		if (pp->refs[i].addr < e->addr || offset >= e->len) {
			i++;
		} else if (e->new_addr && offset < e->new_len) { /* mremap moved it */
			pp->refs[i++].addr = e->new_addr + offset;
		} else {
			drop_ref(p, pp, i);
		}
	}
	return 0;
}

void profile_forget_process(struct mt_profile *p, uint32_t pid)
{
	struct process_pages *pp = find_pages(p, pid, false);

	if (!pp)
		return;
	snapshot_if_pending(p);
	while (pp->nr)
		drop_ref(p, pp, pp->nr - 1);
	mt_pid_table_remove(&p->processes, pid);
	free_process_pages(pp);
}

void profile_finish(struct mt_profile *p)
{
	snapshot_if_pending(p);
}

/*
 * The allocators and the copy helpers that touch memory for their callers:
 * a growth site is the first frame that is none of these (nor in a system
 * library). Shell patterns, case-insensitive; README.md lists them.
 */
static const char *const allocator_functions[] = {
	/* C: malloc, calloc, realloc, their internals (glibc's _int_*, sysmalloc) and relatives */
	"*malloc*", "*calloc*", "*realloc*", "*memalign*", "*valloc", "_int_*", "sysmalloc*",
	"*strdup*", "*strndup*", "*asprintf*", "free", "cfree", "__libc_free",
	/* C++ */
	"operator new*", "operator delete*", "_Znw*", "_Zna*",
	/* mappings */
	"mmap*", "__mmap*", "mremap*", "brk", "sbrk", "__brk", "__sbrk",
	/* the copies that first touch fresh memory */
	"*memset*", "*memcpy*", "*memmove*", "*bzero*", "*stpcpy*", "*strcpy*",
	/* CPython's object allocator */
	"pymalloc_*", "_PyObject_Malloc*", "_PyObject_Calloc*", "_PyObject_Realloc*",
	"PyObject_Malloc", "PyObject_Calloc", "PyObject_Realloc", "PyMem_*", "_PyMem_*",
	"allocate_from_new_pool", "new_arena", "_PyObject_GC_*", "_PyObject_New*",
	/* jemalloc, tcmalloc, mimalloc (their malloc entry points match the patterns above) */
	"je_*", "mallocx", "rallocx", "tc_new*", "tcmalloc::*", "mi_zalloc*", "mi_new*", "_mi_*",
};

bool profile_is_allocator(const char *function)
{
	for (size_t i = 0; i < sizeof(allocator_functions) / sizeof(allocator_functions[0]); i++) {
		if (!fnmatch(allocator_functions[i], function, FNM_CASEFOLD))
			return true;
	}
	return false;
}

const struct mt_line *profile_site_line(const struct mt_profile *p, const struct mt_stack *s)
{
	const struct mt_location *l;
	const struct mt_line *line;
	uint32_t i, j;

	if (!s->nr_locs)
		return NULL;
	for (i = 0; i < s->nr_locs; i++) {
		l = &p->locations[s->locs[i]];
		if (p->modules[l->module].system)
			continue;
		for (j = 0; j < l->nr_lines; j++) { /* inlined frames, innermost first */
			line = &l->lines[j];
			if (!profile_is_allocator(p->functions[line->function].name))
				return line;
		}
	}
	return &p->locations[s->locs[0]].lines[0];
}

uint64_t profile_stack_value(const struct mt_stack *s, enum mt_stack_value which)
{
	return which == MT_VALUE_AT_PEAK ? s->peak_bytes :
	       which == MT_VALUE_GROWTH	 ? s->alloc_bytes :
					   s->mapped_bytes;
}

static int cmp_site_bytes(const void *a, const void *b)
{
	const struct mt_site *sa = a, *sb = b;

	return (sa->bytes < sb->bytes) - (sa->bytes > sb->bytes);
}

long profile_sites(const struct mt_profile *p, enum mt_stack_value which, struct mt_site **sites)
{
	struct mt_site *v = calloc(p->nr_stacks ? p->nr_stacks : 1, sizeof(*v));
	const struct mt_line *line;
	size_t i, j, nr = 0;
	uint64_t bytes;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < p->nr_stacks; i++) {
		bytes = profile_stack_value(&p->stacks[i], which);
		line = profile_site_line(p, &p->stacks[i]);
		if (!bytes || !line)
			continue;
		for (j = 0; j < nr; j++) {
			if (v[j].function == line->function && v[j].line == line->line)
				break;
		}
		if (j == nr)
			v[nr++] = (struct mt_site){ .function = line->function, .line = line->line };
		v[j].bytes += bytes;
	}
	qsort(v, nr, sizeof(*v), cmp_site_bytes);
	*sites = v;
	return nr;
}

struct stack_order {
	const struct mt_profile *p;
	enum mt_stack_value which;
};

static int cmp_stack_bytes(const void *a, const void *b, void *ctx)
{
	const struct stack_order *o = ctx;
	uint64_t x = profile_stack_value(&o->p->stacks[*(const uint32_t *)a], o->which);
	uint64_t y = profile_stack_value(&o->p->stacks[*(const uint32_t *)b], o->which);

	return (x < y) - (x > y);
}

long profile_sorted_stacks(const struct mt_profile *p, enum mt_stack_value which,
			   uint32_t **order)
{
	uint32_t *v = malloc((p->nr_stacks ? p->nr_stacks : 1) * sizeof(*v));
	struct stack_order o = { .p = p, .which = which };
	size_t i, nr = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < p->nr_stacks; i++) {
		if (profile_stack_value(&p->stacks[i], which))
			v[nr++] = i;
	}
	qsort_r(v, nr, sizeof(*v), cmp_stack_bytes, &o);
	*order = v;
	return nr;
}
