// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * top.c - the live view (see top.h). Rates (growth, faults/s) are the change
 * since the previous interval; "peak in interval" comes from the kernel,
 * which restarts each entry's window peak when userspace advances the
 * interval number, so a spike between two screens still shows.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "container.h"
#include "modes.h"
#include "rss_track.h"
#include "text.h"
#include "top.h"
#include "util.h"
#include "workload_groups.h"

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
	uint64_t intervals;	 /* shown so far (-n) */
	bool raw_terminal;	 /* keys read without Enter: the terminal's mode to restore */
	struct termios saved_terminal;
};

/* The labels are the traced world's text, made safe when printed. */
struct row {
	uint32_t pid;	 /* by process */
	char label[300]; /* a command, a container or a cgroup path */
	char extra[300]; /* by process: its container */
	uint64_t rss, peak, window_peak;
	double growth, faults; /* per second */
	struct mt_memcg memcg; /* not known: none; by workload: its runs' usage, largest limit */
	size_t procs;
};

const char *const mt_top_sort_names[] = { "rss", "peak", "window", "growth", "faults", NULL };

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

	struct prev now = { key, rss, faults };

	if (mt_append((void **)&top->next, &top->nr_next, &top->cap_next, sizeof(now), &now))
		return;
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
static void label_of(const struct mt_report *r, uint64_t cgroup_id, char *buf, size_t size)
{
	const struct mt_cgroup_group *cg = report_find_cgroup(r, cgroup_id);

	container_label(cg ? &cg->container : &(struct mt_container){ 0 }, cg ? cg->path : NULL,
			cgroup_id, buf, size);
}

static size_t process_rows(struct mt_top *top, const struct mt_report *r, double dt,
			   struct row *rows)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct mt_process *p = r->procs[i];
		struct row *row = &rows[n];

		if (p->exited)
			continue;
		memset(row, 0, sizeof(*row));
		row->pid = p->k.tgid;
		snprintf(row->label, sizeof(row->label), "%s", p->k.comm);
		label_of(r, p->k.cgroup_id, row->extra, sizeof(row->extra));
		row->rss = p->k.rss.rss;
		row->peak = p->k.rss.peak;
		row->window_peak = mt_track_window_peak(&p->k.rss, r->window);
		rates(top, i + 1, row->rss, p->k.faults, dt, row);
		n++;
	}
	return n;
}

static size_t cgroup_rows(struct mt_top *top, const struct mt_report *r, double dt,
			  struct row *rows)
{
	for (size_t i = 0; i < r->nr_cgroups; i++) {
		const struct mt_cgroup_group *cg = &r->cgroups[i];
		struct row *row = &rows[i];

		memset(row, 0, sizeof(*row));
		if (top->by == MT_BY_CGROUP) /* the path */
			snprintf(row->label, sizeof(row->label), "%s", cg->path ? cg->path : "?");
		else
			label_of(r, cg->id, row->label, sizeof(row->label));
		row->procs = cg->nr_running;
		row->rss = cg->g.rss.rss;
		row->peak = cg->g.rss.peak;
		row->window_peak = mt_track_window_peak(&cg->g.rss, r->window);
		row->memcg = cg->memcg;
		rates(top, cg->id | (1ull << 63), row->rss, cg->running_faults, dt, row);
	}
	return r->nr_cgroups;
}

/* A workload's key among the interval's values: its name's FNV-1a hash, apart from cgroup ids. */
static uint64_t workload_key(const char *name)
{
	uint64_t h = 14695981039346656037ull;

	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = (h ^ *c) * 1099511628211ull;
	return h | (3ull << 62);
}

/* -1 when the workloads cannot be gathered (no memory) */
static long workload_rows(struct mt_top *top, const struct mt_report *r, double dt,
			  struct row *rows)
{
	struct mt_workload_group *w;
	size_t n;

	w = workload_groups(r, &n);
	if (!w)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct row *row = &rows[i];

		memset(row, 0, sizeof(*row));
		snprintf(row->label, sizeof(row->label), "%s", w[i].name);
		row->procs = w[i].nr_running;
		row->rss = w[i].rss;
		row->peak = w[i].peak;
		row->window_peak = w[i].window_peak;
		row->memcg = (struct mt_memcg){ .known = w[i].memcg_usage > 0, .usage = w[i].memcg_usage,
						.limit = w[i].limit };
		rates(top, workload_key(w[i].name), row->rss, w[i].running_faults, dt, row);
	}
	workload_groups_free(w, n);
	return (long)n;
}

#define COMMAND_WIDTH 15
#define GROUP_WIDTH 40
#define CONTAINER_WIDTH 60

static void print_row(FILE *f, const struct row *row, bool by_process)
{
	char rss[32], peak[32], wpeak[32], growth[32], memcg[32], limit[32];
	char label[4 * GROUP_WIDTH + 1], extra[4 * CONTAINER_WIDTH + 1];
	uint64_t g = row->growth < 0 ? -row->growth : row->growth;

	mt_format_bytes(g, growth + 1, sizeof(growth) - 1);
	growth[0] = row->growth < 0 ? '-' : '+';
	if (by_process)
		fprintf(f, "%7u %s", row->pid,
			mt_text_cell(row->label, COMMAND_WIDTH, false, label, sizeof(label)));
	else
		fputs(mt_text_cell(row->label, GROUP_WIDTH, true, label, sizeof(label)), f);
	fprintf(f, " %10s %10s %10s %11s/s %9.0f", mt_format_bytes(row->rss, rss, sizeof(rss)),
		mt_format_bytes(row->peak, peak, sizeof(peak)),
		mt_format_bytes(row->window_peak, wpeak, sizeof(wpeak)), growth, row->faults);
	if (by_process)
		fprintf(f, "  %s\n", mt_text_safe(row->extra, MT_TEXT_TERMINAL, extra, sizeof(extra)));
	else
		fprintf(f, " %5zu %10s %10s\n", row->procs,
			row->memcg.known ? mt_format_bytes(row->memcg.usage, memcg, sizeof(memcg)) : "-",
			row->memcg.known && row->memcg.limit ?
				mt_format_bytes(row->memcg.limit, limit, sizeof(limit)) :
				"-");
}

static void print_exited(FILE *f, const struct mt_report *r, uint64_t now_ns)
{
	struct mt_process **sorted = report_by_peak(r);
	char peak[32], comm[4 * COMMAND_WIDTH + 1];
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
		fprintf(f, "%7u %s peak %10s  %.1f s ago\n", p->k.tgid,
			mt_text_cell(p->k.comm, COMMAND_WIDTH, false, comm, sizeof(comm)),
			mt_format_bytes(p->k.rss.peak, peak, sizeof(peak)),
			(now_ns - p->k.exit_ns) / 1e9);
	}
	free(sorted);
}

int top_render(struct mt_top *top, FILE *f, const struct mt_report *r, uint64_t now_ns)
{
	bool by_process = top->by == MT_BY_PROCESS;
	double dt = top->last_ns ? (now_ns - top->last_ns) / 1e9 : 0;
	size_t cap = (by_process ? r->nr_procs : r->nr_cgroups) + 1, n;
	struct row *rows = calloc(cap, sizeof(*rows));
	char rss[32], peak[32];
	struct prev *swap;
	int err = 0;

	if (!rows)
		return -ENOMEM;
	top->nr_next = 0;
	if (top->by == MT_BY_WORKLOAD) {
		long nw = workload_rows(top, r, dt, rows);

		if (nw < 0) {
			free(rows);
			return -ENOMEM;
		}
		n = (size_t)nw;
	} else {
		n = by_process ? process_rows(top, r, dt, rows) : cgroup_rows(top, r, dt, rows);
	}
	sorting = top->sort;
	qsort(rows, n, sizeof(*rows), cmp_rows);

	if (!top->batch)
		fputs("\033[H\033[2J", f); /* home, clear: a full-screen refresh */
	fprintf(f, "memtrace top - %.1f s, %zu %s, rss %s, peak %s, lost %llu, sort %s\n",
		report_seconds(r, now_ns), n, by_process ? "processes" : "groups",
		mt_format_bytes(r->group.rss.rss, rss, sizeof(rss)),
		mt_format_bytes(r->group.rss.peak, peak, sizeof(peak)),
		(unsigned long long)report_lost_events(r), mt_top_sort_names[top->sort]);
	if (by_process)
		fprintf(f, "%7s %-15s %10s %10s %10s %13s %9s  %s\n", "PID", "COMMAND", "RSS",
			"PEAK", "PEAK/INT", "GROWTH", "FAULTS/s", "CONTAINER");
	else
		fprintf(f, "%-*s %10s %10s %10s %13s %9s %5s %10s %10s\n", GROUP_WIDTH,
			top->by == MT_BY_CGROUP ? "CGROUP" : top->by == MT_BY_WORKLOAD ? "WORKLOAD" : "CONTAINER",
			"RSS", "PEAK", "PEAK/INT", "GROWTH",
			"FAULTS/s", "PROCS", "MEMCG", "LIMIT");
	for (size_t i = 0; i < n && i < MAX_ROWS; i++)
		print_row(f, &rows[i], by_process);
	print_exited(f, r, now_ns);
	if (top->batch)
		fputc('\n', f);
	free(rows);
	if (fflush(f) || ferror(f))
		err = -(errno ? errno : EIO);

	swap = top->prev;
	top->prev = top->next;
	top->next = swap;
	top->nr_prev = top->nr_next;
	cap = top->cap_prev;
	top->cap_prev = top->cap_next;
	top->cap_next = cap;
	top->last_ns = now_ns;
	return err;
}

/* top on a terminal: keys without Enter, no echo; restored at the end. */
static void enter_raw_terminal(struct mt_top *top)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &top->saved_terminal))
		return;
	raw = top->saved_terminal;
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	top->raw_terminal = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

static int top_start(struct mt_session *s, void **ctx)
{
	const struct mt_options *opts = session_options(s);
	/* screens redrawn in place only on a terminal: into a pipe or a file, lines (-b) */
	bool batch = opts->batch || !isatty(STDOUT_FILENO);
	struct mt_top *top = top_new(opts->by, opts->sort, batch);

	if (!top) {
		mt_err("out of memory");
		return -1;
	}
	if (!batch)
		enter_raw_terminal(top);
	*ctx = top;
	return 0;
}

/*
 * One table, then the next interval's peaks start afresh; false after -n
 * tables, or when stdout is gone (`| head` has read enough).
 */
static bool top_tick(struct mt_session *s, void *ctx, uint64_t now)
{
	const struct mt_options *opts = session_options(s);
	struct mt_top *top = ctx;

	if (top_render(top, stdout, session_report(s), now))
		return false;
	session_next_window(s);
	return !opts->iterations || ++top->intervals < opts->iterations;
}

static int top_fd(void *ctx)
{
	struct mt_top *top = ctx;

	return top->raw_terminal ? STDIN_FILENO : -1;
}

/* The keys pressed since the last look; false when one asks to quit. */
static bool top_on_fd(struct mt_session *s, void *ctx)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct mt_top *top = ctx;
	char key;

	(void)s;
	while (poll(&pfd, 1, 0) > 0 && read(STDIN_FILENO, &key, 1) == 1) {
		if (!top_key(top, key))
			return false;
	}
	return true;
}

static void top_stop(void *ctx)
{
	struct mt_top *top = ctx;

	if (top->raw_terminal)
		tcsetattr(STDIN_FILENO, TCSANOW, &top->saved_terminal);
	top_free(top);
}

const struct mt_mode_ops mt_top_ops = {
	.start = top_start,
	.tick = top_tick,
	.fd = top_fd,
	.on_fd = top_on_fd,
	.stop = top_stop,
};
