/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * python.bpf.h - the Python frames of a growth sample. From 3.11 on,
 * CPython keeps its frames in a heap "data stack" of the thread state, not
 * on the C stack: the stack copy does not hold them, and reading them later
 * from userspace would give what the thread runs then. So they are walked
 * here, at the sample, and only named later (src/python.c): per frame the
 * code object and the instruction pointer.
 *
 * The faulting thread's PyThreadState is found by walking _PyRuntime's first
 * interpreter's thread list for the one whose native_thread_id (its gettid()
 * in its own pid namespace) is this thread's: no TLS layout, no libc
 * specifics, the same on x86_64 and arm64 and in containers. It is cached by
 * tid and checked at each use.
 */
#ifndef MEMTRACE_PYTHON_BPF_H
#define MEMTRACE_PYTHON_BPF_H

#include "common.bpf.h"

#define MT_PY_MAX_THREADS 64 /* thread states looked at per walk of the list */

/* 8 bytes of user memory; 0 if unreadable (the helper zeroes what it could not read) */
static __always_inline __u64 read_user_u64(__u64 addr)
{
	__u64 v;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

static __always_inline __u32 read_user_u32(__u64 addr)
{
	__u32 v;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/* The current thread's id in its own pid namespace: what CPython's native_thread_id holds. */
static __always_inline __u32 ns_tid(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	int nr = 0;

	/* MAX_PID_NS_LEVEL is 32 */
	bpf_probe_read_kernel(&nr, sizeof(nr), &pid->numbers[level & 31].nr);
	return nr;
}

/* The current thread's PyThreadState; 0 if it has none (a thread Python did not start). */
static __always_inline __u64 py_thread_state(const struct mt_py_layout *py, __u32 tid)
{
	__u64 *cached = bpf_map_lookup_elem(&py_threads, &tid), tstate;
	__u32 native = ns_tid();
	int i;

	if (cached && *cached && read_user_u32(*cached + py->thread_native_id) == native)
		return *cached;
	tstate = read_user_u64(py->runtime + py->interpreters_head);
	tstate = read_user_u64(tstate + py->threads_head);
	for (i = 0; i < MT_PY_MAX_THREADS && tstate; i++) {
		if (read_user_u32(tstate + py->thread_native_id) == native) {
			bpf_map_update_elem(&py_threads, &tid, &tstate, BPF_ANY);
			return tstate;
		}
		tstate = read_user_u64(tstate + py->thread_next);
	}
	return 0;
}

/*
 * Tell userspace of the code objects in rec's frames it has not heard of:
 * it names them from the process's memory, which is gone once the process
 * exits, and it may be far behind with the samples. An announcement the
 * ring buffer has no room for is forgotten, to be made again.
 */
static __always_inline void announce_py_codes(struct mt_sample_event *rec, __u32 tgid)
{
	struct mt_py_new_code key = { .tgid = tgid };
	__u8 seen = 1;
	__u32 i;

	for (i = 0; i < MT_PY_MAX_FRAMES && i < rec->py_nr_frames; i++) {
		key.code = rec->py_frames[i].code & ~7ull;
		key.check = rec->py_frames[i].check;
		if (bpf_map_lookup_elem(&py_codes_seen, &key))
			continue;
		bpf_map_update_elem(&py_codes_seen, &key, &seen, BPF_ANY);
		if (bpf_ringbuf_output(&py_code_events, &key, sizeof(key), 0))
			bpf_map_delete_elem(&py_codes_seen, &key);
	}
}

/*
 * The thread's frame chain into rec->py_frames, innermost first: code
 * object, instruction pointer and marker byte of each (userspace tells the
 * eval loop's own entry frames by it). The body has no branch but the
 * loop's end: the verifier then walks 64 iterations, not their paths. A
 * chain longer than py_frames is marked cut.
 */
static __always_inline void read_py_frames(struct mt_sample_event *rec, __u32 tgid)
{
	const struct mt_py_layout *py = bpf_map_lookup_elem(&py_procs, &tgid);
	struct mt_py_frame *f;
	__u64 frame;
	__u32 i;

	rec->py_nr_frames = 0;
	if (!py)
		return;
	frame = read_user_u64(py_thread_state(py, rec->tid) + py->thread_frame);
	if (py->cframe_frame != MT_PY_NO_FIELD)
		frame = read_user_u64(frame + py->cframe_frame);
	for (i = 0; i < MT_PY_MAX_FRAMES && frame; i++) {
		f = &rec->py_frames[i];
		f->code = read_user_u64(frame + py->frame_code);
		f->instr = read_user_u64(frame + py->frame_instr);
		f->check = read_user_u32((f->code & ~7ull) + py->code_check);
		f->marker = 0;
		bpf_probe_read_user(&f->marker, 1, (void *)(frame + py->frame_marker));
		frame = read_user_u64(frame + py->frame_previous);
	}
	if (frame)
		rec->flags |= MT_SAMPLE_PY_CUT;
	rec->py_nr_frames = i;
	announce_py_codes(rec, tgid);
}

/* A process that runs CPython forked: the child's interpreter is where its parent's was. */
static __always_inline void py_on_fork(__u32 parent, __u32 child)
{
	struct mt_py_layout *py = bpf_map_lookup_elem(&py_procs, &parent);

	if (py)
		bpf_map_update_elem(&py_procs, &child, py, BPF_ANY);
}

/* The process exec'd or exited: whatever it ran is gone. */
static __always_inline void py_forget(__u32 tgid)
{
	bpf_map_delete_elem(&py_procs, &tgid);
}

#endif /* MEMTRACE_PYTHON_BPF_H */
