// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * top.c - the live view (see top.h). Rates (growth, faults/s) are the change
 * since the previous interval; "peak in interval" comes from the kernel,
 * which restarts each entry's window peak when userspace advances the
 * interval number, so a spike between two screens still shows.
 */
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "rss_track.h"
#include "top.h"
#include "util.h"

#define MAX_ROWS 30
#define EXITED_SHOWN 5
#define EXITED_WINDOW_NS (10 * MT_NS_PER_SEC)

struct prev {
	uint64_t key; /* index in the report's processes + 1, or a cgroup id */
	uint64_t rss;
	uint64_t faults;
};

struct mt_top {
	enum mt_by by;
	enum mt_top_sort sort;
	bool batch;
	uint64_t last_ns;
	struct prev *prev, *next; /* last interval's values, this interval's */
	size_t nr_prev, nr_next, cap_prev, cap_next;
};

struct row {
	char label[64];
	char extra[64];
	uint64_t rss, peak, window_peak;
	double growth, faults; /* per second */
	const struct mt_memcg *memcg;
	size_t procs;
};

static const char *const sort_names[] = { "rss", "peak", "window", "growth", "faults" };

int top_parse_sort(const char *s)
{
	for (size_t i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]); i++) {
		if (!strcmp(s, sort_names[i]))
			return i;
	}
	return -1;
}

struct mt_top *top_new(enum mt_by by, enum mt_top_sort sort, bool batch)
{
	struct mt_top *top = calloc(1, sizeof(*top));

	if (top) {
		top->by = by;
		top->sort = sort;
		top->batch = batch;
	}
	return top;
}

void top_free(struct mt_top *top)
{
	if (!top)
		return;
	free(top->prev);
	free(top->next);
	free(top);
}

bool top_key(struct mt_top *top, int key)
{
	switch (key) {
	case 'm': top->sort = MT_SORT_RSS; break;
	case 'p': top->sort = MT_SORT_PEAK; break;
	case 'w': top->sort = MT_SORT_WINDOW; break;
	case 'g': top->sort = MT_SORT_GROWTH; break;
	case 'f': top->sort = MT_SORT_FAULTS; break;
	case 'q': return false;
	}
	return true;
}

static const struct prev *find_prev(const struct mt_top *top, uint64_t key)
{
	for (size_t i = 0; i < top->nr_prev; i++) {
		if (top->prev[i].key == key)
			return &top->prev[i];
	}
	return NULL;
}

/* Remember this interval's value for the next; rates against the last one. */
static void rates(struct mt_top *top, uint64_t key, uint64_t rss, uint64_t faults, double dt,
		  struct row *row)
{
	const struct prev *p = find_prev(top, key);

	if (top->nr_next == top->cap_next) {
		size_t cap = top->cap_next ? top->cap_next * 2 : 256;
		struct prev *grown = realloc(top->next, cap * sizeof(*grown));

		if (!grown)
			return;
		top->next = grown;
		top->cap_next = cap;
	}
	top->next[top->nr_next++] = (struct prev){ key, rss, faults };
	if (p && dt > 0) {
		row->growth = ((double)rss - (double)p->rss) / dt;
		row->faults = faults >= p->faults ? (faults - p->faults) / dt : 0;
	}
}

static double sort_value(const struct row *r, enum mt_top_sort sort)
{
	switch (sort) {
	case MT_SORT_PEAK: return r->peak;
	case MT_SORT_WINDOW: return r->window_peak;
	case MT_SORT_GROWTH: return r->growth;
	case MT_SORT_FAULTS: return r->faults;
	default: return r->rss;
	}
}

static enum mt_top_sort sorting; /* qsort has no context argument */

static int cmp_rows(const void *a, const void *b)
{
	double va = sort_value(a, sorting), vb = sort_value(b, sorting);

	return (va < vb) - (va > vb);
}

/* A process's or group's cgroup as a container label (its path if it is none). */
static void label_of(struct mt_cgroups *names, uint64_t cgroup_id, char *buf, size_t size)
{
	const char *path = names ? cgroups_path(names, cgroup_id) : NULL;
	struct mt_container c;

	container_from_cgroup_path(path, &c);
	container_label(&c, path, cgroup_id, buf, size);
}

static size_t process_rows(struct mt_top *top, const struct mt_report *r, uint32_t window,
			   struct mt_cgroups *names, double dt, struct row *rows)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct mt_process *p = r->procs[i];
		struct row *row = &rows[n];

		if (p->exited)
			continue;
		memset(row, 0, sizeof(*row));
		snprintf(row->label, sizeof(row->label), "%7u %-15s", p->k.tgid, p->k.comm);
		label_of(names, p->k.cgroup_id, row->extra, sizeof(row->extra));
		row->rss = p->k.rss.rss;
		row->peak = p->k.rss.peak;
		row->window_peak = mt_track_window_peak(&p->k.rss, window);
		rates(top, i + 1, row->rss, p->k.faults, dt, row);
		n++;
	}
	return n;
}

static size_t cgroup_rows(struct mt_top *top, const struct mt_report *r,
			  const struct mt_cgroup_snapshot *cgroups, size_t nr, uint32_t window,
			  struct mt_cgroups *names, double dt, struct row *rows)
{
	size_t n = 0;

	for (size_t i = 0; i < nr; i++) {
		const struct mt_rss_track *t = &cgroups[i].g.rss;
		struct row *row = &rows[n++];
		uint64_t faults = 0;

		memset(row, 0, sizeof(*row));
		if (top->by == MT_BY_CGROUP) { /* the path */
			const char *path = names ? cgroups_path(names, cgroups[i].id) : NULL;

			snprintf(row->label, sizeof(row->label), "%s", path ? path : "?");
		} else {
			label_of(names, cgroups[i].id, row->label, sizeof(row->label));
		}
		for (size_t j = 0; j < r->nr_procs; j++) {
			if (r->procs[j]->k.cgroup_id == cgroups[i].id && !r->procs[j]->exited) {
				row->procs++;
				faults += r->procs[j]->k.faults;
			}
		}
		row->rss = t->rss;
		row->peak = t->peak;
		row->window_peak = mt_track_window_peak(t, window);
		row->memcg = names ? cgroups_memcg(names, cgroups[i].id) : NULL;
		rates(top, cgroups[i].id | (1ull << 63), row->rss, faults, dt, row);
	}
	return n;
}

static void print_row(FILE *f, const struct row *row, bool by_process)
{
	char rss[32], peak[32], wpeak[32], growth[32], memcg[32], limit[32];
	uint64_t g = row->growth < 0 ? -row->growth : row->growth;

	mt_format_bytes(g, growth + 1, sizeof(growth) - 1);
	growth[0] = row->growth < 0 ? '-' : '+';
	fprintf(f, "%-*s %10s %10s %10s %11s/s %9.0f", by_process ? 23 : 40, row->label,
		mt_format_bytes(row->rss, rss, sizeof(rss)),
		mt_format_bytes(row->peak, peak, sizeof(peak)),
		mt_format_bytes(row->window_peak, wpeak, sizeof(wpeak)), growth, row->faults);
	if (by_process)
		fprintf(f, "  %s\n", row->extra);
	else
		fprintf(f, " %5zu %10s %10s\n", row->procs,
			row->memcg ? mt_format_bytes(row->memcg->usage, memcg, sizeof(memcg)) : "-",
			row->memcg && row->memcg->limit ?
				mt_format_bytes(row->memcg->limit, limit, sizeof(limit)) :
				"-");
}

static void print_exited(FILE *f, const struct mt_report *r, uint64_t now_ns)
{
	struct mt_process **sorted = report_by_peak(r);
	char peak[32];
	size_t shown = 0;

	if (!sorted)
		return;
	for (size_t i = 0; i < r->nr_procs && shown < EXITED_SHOWN; i++) {
		const struct mt_process *p = sorted[i];

		if (!p->exited || p->k.exit_ns + EXITED_WINDOW_NS < now_ns)
			continue;
		if (!shown++)
			fprintf(f, "exited in the last %llu s:\n",
				(unsigned long long)(EXITED_WINDOW_NS / MT_NS_PER_SEC));
		fprintf(f, "%7u %-15s peak %10s  %.1f s ago\n", p->k.tgid, p->k.comm,
			mt_format_bytes(p->k.rss.peak, peak, sizeof(peak)),
			(now_ns - p->k.exit_ns) / 1e9);
	}
	free(sorted);
}

void top_render(struct mt_top *top, FILE *f, const struct mt_report *r,
		const struct mt_cgroup_snapshot *cgroups, size_t nr_cgroups, uint32_t window,
		struct mt_cgroups *names, uint64_t now_ns)
{
	bool by_process = top->by == MT_BY_PROCESS;
	double dt = top->last_ns ? (now_ns - top->last_ns) / 1e9 : 0;
	size_t cap = (by_process ? r->nr_procs : nr_cgroups) + 1, n;
	struct row *rows = calloc(cap, sizeof(*rows));
	char rss[32], peak[32];
	struct prev *swap;

	if (!rows)
		return;
	top->nr_next = 0;
	n = by_process ? process_rows(top, r, window, names, dt, rows) :
			 cgroup_rows(top, r, cgroups, nr_cgroups, window, names, dt, rows);
	sorting = top->sort;
	qsort(rows, n, sizeof(*rows), cmp_rows);

	if (!top->batch)
		fputs("\033[H\033[2J", f); /* home, clear: a full-screen refresh */
	fprintf(f, "memtrace top - %.1f s, %zu %s, rss %s, peak %s, lost %llu, sort %s\n",
		report_seconds(r, now_ns), n, by_process ? "processes" : "groups",
		mt_format_bytes(r->group.rss.rss, rss, sizeof(rss)),
		mt_format_bytes(r->group.rss.peak, peak, sizeof(peak)),
		(unsigned long long)report_lost_events(r), sort_names[top->sort]);
	if (by_process)
		fprintf(f, "%7s %-15s %10s %10s %10s %13s %9s  %s\n", "PID", "COMMAND", "RSS",
			"PEAK", "PEAK/INT", "GROWTH", "FAULTS/s", "CONTAINER");
	else
		fprintf(f, "%-40s %10s %10s %10s %13s %9s %5s %10s %10s\n",
			top->by == MT_BY_CGROUP ? "CGROUP" : "CONTAINER", "RSS", "PEAK", "PEAK/INT", "GROWTH",
			"FAULTS/s", "PROCS", "MEMCG", "LIMIT");
	for (size_t i = 0; i < n && i < MAX_ROWS; i++)
		print_row(f, &rows[i], by_process);
	print_exited(f, r, now_ns);
	if (top->batch)
		fputc('\n', f);
	fflush(f);
	free(rows);

	swap = top->prev;
	top->prev = top->next;
	top->next = swap;
	top->nr_prev = top->nr_next;
	cap = top->cap_prev;
	top->cap_prev = top->cap_next;
	top->cap_next = cap;
	top->last_ns = now_ns;
}
