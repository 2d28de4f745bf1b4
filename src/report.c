// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * report.c - build the run's report from events (see report.h). Processes
 * are kept in order of appearance; those still alive are also indexed by pid,
 * so that a reused pid starts a new record instead of overwriting an old one.
 */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "insn.h"
#include "procfs.h"
#include "report.h"
#include "unwind.h"
#include "util.h"

static int cmp_pid(const void *a, const void *b)
{
	const struct mt_process *pa = a, *pb = b;

	return (pa->k.tgid > pb->k.tgid) - (pa->k.tgid < pb->k.tgid);
}

void report_init(struct mt_report *r, uint64_t start_ns, bool keep_rows)
{
	memset(r, 0, sizeof(*r));
	r->start_ns = start_ns;
	r->keep_rows = keep_rows;
}

static void no_free(void *p)
{
	(void)p;
}

void report_free(struct mt_report *r)
{
	size_t i;

	tdestroy(r->live, no_free);
	for (i = 0; i < r->nr_procs; i++) {
		free(r->procs[i]->cmdline);
		free(r->procs[i]);
	}
	free(r->procs);
	for (i = 0; i < r->nr_cgroups; i++)
		free(r->cgroups[i].path);
	free(r->cgroups);
	tdestroy(r->cgroup_index, free);
	free(r->ooms);
	free(r->rows);
	unwinder_free(r->unwinder);
	insn_decoder_free(r->insns);
	if (r->profile)
		profile_free(r->profile);
	free(r->profile);
	memset(r, 0, sizeof(*r));
}

struct mt_process *report_find_live(struct mt_report *r, uint32_t pid)
{
	struct mt_process key = { .k.tgid = pid };
	void *node = tfind(&key, &r->live, cmp_pid);

	return node ? *(struct mt_process **)node : NULL;
}

struct mt_process *report_add(struct mt_report *r, const struct mt_proc *k, const char *cmdline)
{
	struct mt_process *p, *old;
	void *node;

	if (mt_ensure_mem((void **)&r->procs, &r->cap_procs, sizeof(*r->procs), r->nr_procs + 1))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->k = *k;
	p->cmdline = cmdline ? strdup(cmdline) : NULL;

	/* a live record with this pid is an earlier process whose exit was lost */
	old = report_find_live(r, k->tgid);
	if (old) {
		tdelete(old, &r->live, cmp_pid);
		old->exited = true; /* when and how: unknown */
		r->nr_exited++;
	}
	node = tsearch(p, &r->live, cmp_pid);
	if (!node) {
		free(p->cmdline);
		free(p);
		return NULL;
	}
	r->procs[r->nr_procs++] = p;
	return p;
}

int report_on_new(struct mt_report *r, const struct mt_proc_event *e)
{
	struct mt_process *parent = report_find_live(r, e->ppid);
	struct mt_process *known = report_find_live(r, e->hdr.pid);
	size_t len = e->args_len < MT_ARGS_LEN ? e->args_len : MT_ARGS_LEN;
	struct mt_proc k = {};
	char *cmdline = NULL;
	struct mt_process *p;

	/* already read from the kernel's map before this record came: the same process */
	if (known && known->k.start_ns == e->start_ns) {
		if (!known->cmdline && len)
			known->cmdline = procfs_join_args(e->args, len);
		else if (!known->cmdline && parent && parent->cmdline)
			known->cmdline = strdup(parent->cmdline);
		return 0;
	}
	if (r->unwinder && e->hdr.type == MT_EV_FORK &&
	    unwinder_on_fork(r->unwinder, e->hdr.pid, e->ppid))
		return -ENOMEM;

	k.tgid = e->hdr.pid;
	k.ppid = e->ppid;
	k.start_ns = e->start_ns;
	memcpy(k.comm, e->comm, sizeof(k.comm));
	k.comm[sizeof(k.comm) - 1] = '\0';
	if (e->hdr.type == MT_EV_FOUND)
		k.flags = MT_PROC_ATTACHED;
	if (len)
		cmdline = procfs_join_args(e->args, len);
	/* a forked child runs its parent's program until it execs */
	p = report_add(r, &k, cmdline ? cmdline : parent ? parent->cmdline : NULL);
	free(cmdline);
	return p ? 0 : -ENOMEM;
}

int report_enable_stacks(struct mt_report *r, const char *unwind, uint64_t sample_bytes,
			 uint64_t big_bytes)
{
	r->profile = malloc(sizeof(*r->profile));
	if (!r->profile)
		return -ENOMEM;
	profile_init(r->profile, unwind, sample_bytes, big_bytes);
	r->unwinder = unwinder_new(r->profile);
	r->insns = insn_decoder_new();
	return r->unwinder && r->insns ? 0 : -ENOMEM;
}

/* A process's sampled pages and mappings are gone with its image. */
static void forget_stacks(struct mt_report *r, uint32_t pid)
{
	if (!r->profile)
		return;
	profile_forget_process(r->profile, pid);
	unwinder_forget(r->unwinder, pid);
}

int report_on_sample(struct mt_report *r, const struct mt_sample_event *e)
{
	uint32_t locs[MT_MAX_LOCATIONS];
	struct mt_process *p;
	uint64_t addr = e->addr;
	bool exact = true;
	int nr;

	if (!r->profile)
		return 0;
	nr = unwinder_resolve(r->unwinder, e, locs);
	if (nr < 0)
		return nr;
	if (e->kind == MT_SAMPLE_GROWTH)
		addr = insn_address(r->insns, e, &exact);
	p = report_find_live(r, e->hdr.pid);
	return profile_on_sample(r->profile, e, exact ? addr : 0, addr, p ? p->k.comm : "?", locs,
				 nr);
}

int report_on_unmap(struct mt_report *r, const struct mt_unmap_event *e)
{
	return r->profile ? profile_on_unmap(r->profile, e) : 0;
}

int report_on_exec(struct mt_report *r, const struct mt_proc_event *e)
{
	struct mt_process *p = report_find_live(r, e->hdr.pid);
	size_t len = e->args_len < MT_ARGS_LEN ? e->args_len : MT_ARGS_LEN;
	char *cmdline;

	forget_stacks(r, e->hdr.pid);
	if (r->cgroup_names)
		cgroups_on_exec(r->cgroup_names, e->hdr.pid);
	if (!p)
		return 0;
	memcpy(p->k.comm, e->comm, sizeof(p->k.comm));
	p->k.comm[sizeof(p->k.comm) - 1] = '\0';
	if (!len)
		return 0;
	cmdline = procfs_join_args(e->args, len);
	if (!cmdline)
		return -ENOMEM;
	free(p->cmdline);
	p->cmdline = cmdline;
	return 0;
}

/* Take the kernel's record, keeping what only userspace knew (the start of a -p process). */
static void update_record(struct mt_process *p, const struct mt_proc *k)
{
	uint64_t start_ns = p->k.start_ns;

	p->k = *k;
	if (!p->k.start_ns)
		p->k.start_ns = start_ns;
}

static int cmp_u64_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y) - (x > y);
}

/*
 * Keep the `keep` exited processes with the largest peaks (and every live
 * one), in their order of appearance; the others are counted in r->unlisted.
 * This bounds memtrace's own memory under -a, where processes come and go
 * for as long as it runs.
 */
static void drop_small_exited(struct mt_report *r, size_t keep)
{
	uint64_t *peaks, threshold;
	size_t i, n = 0, kept_at_threshold = 0, above = 0, out = 0;

	if (r->nr_exited <= keep)
		return;
	peaks = malloc(r->nr_exited * sizeof(*peaks));
	if (!peaks)
		return;
	for (i = 0; i < r->nr_procs; i++) {
		if (r->procs[i]->exited)
			peaks[n++] = r->procs[i]->k.rss.peak;
	}
	qsort(peaks, n, sizeof(*peaks), cmp_u64_desc);
	threshold = peaks[keep ? keep - 1 : 0];
	for (i = 0; i < n; i++)
		above += peaks[i] > threshold;
	free(peaks);
	for (i = 0; i < r->nr_procs; i++) {
		struct mt_process *p = r->procs[i];
		bool keep_it = !p->exited || p->k.rss.peak > threshold ||
			       (keep && p->k.rss.peak == threshold && above + kept_at_threshold < keep &&
				++kept_at_threshold);

		if (keep_it) {
			r->procs[out++] = p;
			continue;
		}
		free(p->cmdline);
		free(p);
		r->nr_exited--;
		r->unlisted++;
	}
	r->nr_procs = out;
}

int report_on_exit(struct mt_report *r, const struct mt_proc *k)
{
	struct mt_process *p = report_find_live(r, k->tgid);

	forget_stacks(r, k->tgid);
	if (!p) {
		/* its fork event was lost: it still gets a record */
		p = report_add(r, k, NULL);
		if (!p)
			return -ENOMEM;
	}
	update_record(p, k);
	p->exited = true;
	r->nr_exited++;
	if (k->hiwater_rss) {
		p->vmhwm = k->hiwater_rss;
		p->vmhwm_known = true;
	}
	tdelete(p, &r->live, cmp_pid);
	/* compact now and then, not at every exit */
	if (r->keep_exited && r->nr_exited > 2 * r->keep_exited)
		drop_small_exited(r, r->keep_exited);

	if (r->keep_rows) {
		/* a peak reached right before exit has no row yet: the teardown is not traced */
		if (k->rss.peak_unsent)
			report_add_row(r, k->tgid, k->rss.peak_ns, k->rss.peak, k->vm_at_peak);
		return report_add_row(r, k->tgid, k->exit_ns, k->rss.rss, k->vm);
	}
	return 0;
}

int report_update(struct mt_report *r, const struct mt_proc *k)
{
	struct mt_process *p = report_find_live(r, k->tgid);

	/* an exit whose record is in flight is reported when the record comes */
	if (k->flags & MT_PROC_EXIT_LOST)
		return report_on_exit(r, k);
	if (!p) {
		p = report_add(r, k, NULL);
		if (!p)
			return -ENOMEM;
	}
	update_record(p, k);
	return 0;
}

int report_finish(struct mt_report *r, uint64_t end_ns)
{
	const struct mt_rss_track *g = &r->group.rss;
	struct mt_process *p;
	size_t i;
	int err = 0;

	r->end_ns = end_ns;
	if (r->profile) {
		unwinder_finish(r->unwinder);
		profile_finish(r->profile);
	}
	if (r->keep_exited)
		drop_small_exited(r, r->keep_exited);
	if (!r->keep_rows)
		return 0;
	/* close every series still open: its unsent peak, then where it ends */
	for (i = 0; i < r->nr_procs && !err; i++) {
		p = r->procs[i];
		if (p->exited)
			continue;
		if (p->k.rss.peak_unsent)
			err = report_add_row(r, p->k.tgid, p->k.rss.peak_ns, p->k.rss.peak,
					     p->k.vm_at_peak);
		if (!err)
			err = report_add_row(r, p->k.tgid, end_ns, p->k.rss.rss, p->k.vm);
	}
	if (!err && g->peak_unsent)
		err = report_add_row(r, 0, g->peak_ns, g->peak, r->group.vm_at_peak);
	if (!err)
		err = report_add_row(r, 0, end_ns, g->rss, r->group.vm);
	for (i = 0; i < r->nr_cgroups && !err; i++) {
		const struct mt_rss_track *t = &r->cgroups[i].g.rss;

		if (t->peak_unsent)
			err = report_add_cgroup_row(r, r->cgroups[i].id, t->peak_ns, t->peak);
		if (!err)
			err = report_add_cgroup_row(r, r->cgroups[i].id, end_ns, t->rss);
	}
	return err;
}

static int cmp_row_time(const struct mt_row *a, const struct mt_row *b)
{
	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns ? -1 : 1;
	return (a->pid > b->pid) - (a->pid < b->pid);
}

/*
 * Rows come nearly in time order (a peak's row comes once the value falls
 * again, records from other CPUs a little late): an insertion from the end
 * keeps them sorted at the cost of a few moves.
 */
static int add_row(struct mt_report *r, const struct mt_row *row)
{
	size_t at;

	if (!r->keep_rows)
		return 0;
	if (mt_ensure_mem((void **)&r->rows, &r->cap_rows, sizeof(*r->rows), r->nr_rows + 1))
		return -ENOMEM;
	for (at = r->nr_rows; at > 0 && cmp_row_time(&r->rows[at - 1], row) > 0; at--)
		;
	memmove(&r->rows[at + 1], &r->rows[at], (r->nr_rows - at) * sizeof(*r->rows));
	r->rows[at] = *row;
	r->nr_rows++;
	return 0;
}

int report_series(const struct mt_report *r, uint32_t pid, uint64_t cgroup_id,
		  struct mt_series *s)
{
	size_t cap = 0;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < r->nr_rows; i++) {
		const struct mt_row *row = &r->rows[i];

		if (row->pid == pid && row->cgroup_id == cgroup_id &&
		    mt_append((void **)&s->rows, &s->n, &cap, sizeof(*s->rows), &row)) {
			report_series_free(s);
			return -ENOMEM;
		}
	}
	return 0;
}

void report_series_free(struct mt_series *s)
{
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

int report_add_row(struct mt_report *r, uint32_t pid, uint64_t time_ns, uint64_t rss, uint64_t vm)
{
	return add_row(r, &(struct mt_row){ .time_ns = time_ns, .pid = pid, .rss = rss, .vm = vm });
}

int report_add_cgroup_row(struct mt_report *r, uint64_t cgroup_id, uint64_t time_ns, uint64_t rss)
{
	return add_row(r, &(struct mt_row){ .time_ns = time_ns, .cgroup_id = cgroup_id, .rss = rss });
}

int mt_exit_code(int wait_status)
{
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return WEXITSTATUS(wait_status);
}

double report_seconds(const struct mt_report *r, uint64_t time_ns)
{
	return ((double)time_ns - (double)r->start_ns) / 1e9;
}

static int cmp_peak_desc(const void *a, const void *b)
{
	const struct mt_process *pa = *(struct mt_process *const *)a;
	const struct mt_process *pb = *(struct mt_process *const *)b;

	if (pa->k.rss.peak != pb->k.rss.peak)
		return pa->k.rss.peak < pb->k.rss.peak ? 1 : -1;
	return (pa->k.start_ns > pb->k.start_ns) - (pa->k.start_ns < pb->k.start_ns);
}

struct mt_process **report_by_peak(const struct mt_report *r)
{
	struct mt_process **sorted = malloc((r->nr_procs + 1) * sizeof(*sorted));

	if (!sorted)
		return NULL;
	memcpy(sorted, r->procs, r->nr_procs * sizeof(*sorted));
	qsort(sorted, r->nr_procs, sizeof(*sorted), cmp_peak_desc);
	return sorted;
}

uint64_t report_untracked(const struct mt_report *r)
{
	return r->stats.untracked_procs + r->untracked_at_start;
}

unsigned int report_cgroup_ooms(const struct mt_report *r, uint64_t id, uint64_t *limit)
{
	unsigned int n = 0;

	for (size_t i = 0; i < r->nr_ooms; i++) {
		if (r->ooms[i].cgroup_id != id)
			continue;
		n++;
		if (limit && !*limit)
			*limit = r->ooms[i].memcg_limit;
	}
	return n;
}

uint64_t report_program_misses(const struct mt_report *r)
{
	uint64_t misses = 0;

	for (size_t i = 0; i < r->nr_programs; i++)
		misses += r->programs[i].misses;
	return misses;
}

uint64_t report_lost_events(const struct mt_report *r)
{
	return r->stats.ringbuf_drops + report_untracked(r) + r->stats.regs_unreadable;
}

void report_mark_gone(struct mt_report *r, struct mt_process *p, uint64_t time_ns)
{
	p->exited = true;
	r->nr_exited++;
	p->k.exit_ns = time_ns;
	tdelete(p, &r->live, cmp_pid);
}

/* cgroup_index's nodes: a cgroup id and its index in r->cgroups. */
struct cgroup_slot {
	uint64_t id;
	size_t index;
};

static int cmp_cgroup_slot(const void *a, const void *b)
{
	const struct cgroup_slot *sa = a, *sb = b;

	return (sa->id > sb->id) - (sa->id < sb->id);
}

static int index_cgroup(struct mt_report *r, uint64_t id, size_t index)
{
	struct cgroup_slot *slot = malloc(sizeof(*slot)), **node;

	if (!slot)
		return -ENOMEM;
	slot->id = id;
	slot->index = index;
	node = tsearch(slot, &r->cgroup_index, cmp_cgroup_slot);
	if (!node || *node != slot)
		free(slot);
	if (node && *node != slot)
		(*node)->index = index;
	return node ? 0 : -ENOMEM;
}

static struct mt_cgroup_group *find_cgroup(const struct mt_report *r, uint64_t id)
{
	struct cgroup_slot key = { .id = id }, **node;

	node = tfind(&key, &r->cgroup_index, cmp_cgroup_slot);
	return node ? &r->cgroups[(*node)->index] : NULL;
}

const struct mt_cgroup_group *report_find_cgroup(const struct mt_report *r, uint64_t id)
{
	return find_cgroup(r, id);
}

int report_update_cgroup(struct mt_report *r, uint64_t id, const struct mt_group *g)
{
	struct mt_cgroup_group *cg = find_cgroup(r, id);
	const struct mt_runtime_names *names;
	const struct mt_memcg *memcg;
	const char *path;

	if (!cg) {
		if (mt_ensure_mem((void **)&r->cgroups, &r->cap_cgroups, sizeof(*r->cgroups),
				  r->nr_cgroups + 1) ||
		    index_cgroup(r, id, r->nr_cgroups))
			return -ENOMEM;
		cg = &r->cgroups[r->nr_cgroups++];
		memset(cg, 0, sizeof(*cg));
		cg->id = id;
		path = r->cgroup_names ? cgroups_path(r->cgroup_names, id) : NULL;
		if (path) {
			cg->path = strdup(path);
			container_from_cgroup_path(path, &cg->container);
		}
	}
	cg->g = *g;
	if (!r->cgroup_names || !cg->path)
		return 0;
	/* read while the cgroup exists: a short-lived container's figures go with it */
	memcg = cgroups_memcg(r->cgroup_names, id);
	if (memcg)
		cg->memcg = *memcg;
	names = cgroups_runtime_names(r->cgroup_names, id);
	if (names)
		cg->names = *names;
	return 0;
}

void report_count_cgroups(struct mt_report *r)
{
	struct mt_cgroup_group *cg;

	for (size_t i = 0; i < r->nr_cgroups; i++) {
		r->cgroups[i].nr_procs = r->cgroups[i].nr_running = 0;
		r->cgroups[i].running_faults = 0;
	}
	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct mt_process *p = r->procs[i];

		cg = find_cgroup(r, p->k.cgroup_id);
		if (!cg)
			continue;
		cg->nr_procs++;
		if (!p->exited) {
			cg->nr_running++;
			cg->running_faults += p->k.faults;
		}
	}
}

static int cmp_cgroup_peak_desc(const void *a, const void *b)
{
	const struct mt_cgroup_group *ga = a, *gb = b;

	if (ga->g.rss.peak != gb->g.rss.peak)
		return ga->g.rss.peak < gb->g.rss.peak ? 1 : -1;
	return (ga->id > gb->id) - (ga->id < gb->id);
}

void report_sort_cgroups(struct mt_report *r)
{
	report_count_cgroups(r);
	qsort(r->cgroups, r->nr_cgroups, sizeof(*r->cgroups), cmp_cgroup_peak_desc);
	for (size_t i = 0; i < r->nr_cgroups; i++)
		index_cgroup(r, r->cgroups[i].id, i);
}

int report_on_oom(struct mt_report *r, const struct mt_oom_event *e)
{
	if (mt_ensure_mem((void **)&r->ooms, &r->cap_ooms, sizeof(*r->ooms), r->nr_ooms + 1))
		return -ENOMEM;
	r->ooms[r->nr_ooms] = *e;
	r->ooms[r->nr_ooms].comm[MT_COMM_LEN - 1] = '\0';
	/* older kernels: the memcg's figures right after the kill, from its files */
	if ((e->flags & MT_OOM_MEMCG_UNREAD) && r->cgroup_names) {
		const struct mt_memcg *m = cgroups_memcg(r->cgroup_names, e->cgroup_id);

		if (m) {
			r->ooms[r->nr_ooms].memcg_usage = m->usage;
			r->ooms[r->nr_ooms].memcg_peak = m->peak;
			r->ooms[r->nr_ooms].memcg_limit = m->limit;
		}
	}
	r->nr_ooms++;
	return 0;
}

void report_on_cgroup(struct mt_report *r, const struct mt_cgroup_event *e)
{
	char path[MT_CGROUP_PATH_LEN];

	if (!r->cgroup_names)
		return;
	memcpy(path, e->path, sizeof(path));
	path[sizeof(path) - 1] = '\0';
	cgroups_learn(r->cgroup_names, e->id, e->hierarchy_id, path);
}
