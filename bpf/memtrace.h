/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * memtrace.h - the one contract between the BPF programs and userspace.
 *
 * Every struct that lives in a BPF map or crosses the ring buffer is defined
 * here, with fixed-width fields, explicit padding and size assertions, so that
 * both compilers agree on the layout. Ring-buffer records start with a type
 * tag (struct mt_event_header).
 */
#ifndef MEMTRACE_H
#define MEMTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <linux/bpf.h> /* struct bpf_spin_lock */
#endif

#define MT_COMM_LEN 16
#define MT_ARGS_LEN 256

/* Index of the kernel's mm counters (enum in include/linux/mm_types_task.h). */
enum mt_counter {
	MT_FILE = 0,
	MT_ANON = 1,
	MT_SWAP = 2,
	MT_SHMEM = 3,
	MT_NR_COUNTERS = 4,
};

/*
 * Peak tracking of one resident-size series (a process, or the traced group).
 * The update rule lives in rss_track.h so that userspace unit tests run the
 * very code the BPF programs run.
 */
struct mt_rss_track {
	__u64 rss;		/* current resident bytes: file + anon + shmem */
	__u64 peak;		/* highest rss seen */
	__u64 peak_ns;		/* CLOCK_MONOTONIC time of the peak */
	__u64 last_row_rss;	/* rss of the last timeline row sent */
	__u32 peak_unsent;	/* a new peak has no timeline row yet */
	__u32 window;		/* the live view's interval that window_peak belongs to */
	__u64 window_peak;	/* highest rss within that interval */
};

/*
 * proc_slot value of a process seen and not traced: found outside
 * --cgroup/--container, or met when no entry was free (counted once). Its
 * later events cost the one lookup that finds this.
 */
#define MT_SLOT_NOT_TRACED 0xffffffffu

/* mt_proc.flags */
#define MT_PROC_AWAIT_EXEC (1u << 0) /* `--` child: memtrace's own pre-exec copy, not yet CMD */
#define MT_PROC_ADOPT_MM (1u << 1)   /* -p: learn the mm (first own event, seed_running_task()) */
#define MT_PROC_EXITED (1u << 2)     /* exited: exit_status and exit_ns are set */
#define MT_PROC_ATTACHED (1u << 3)   /* was running before tracing started (-p) */
#define MT_PROC_OOM_KILLED (1u << 4) /* chosen by the OOM killer */
/* userspace has this image's mappings, or its parent's (a forked copy): samples need not wake it */
#define MT_PROC_LAYOUT_KNOWN (1u << 5)
#define MT_PROC_SAMPLED (1u << 6) /* this image has sent a growth sample: its unmaps matter */
#define MT_PROC_EXITING (1u << 7) /* an exiting thread took the exit report (BPF side only) */
/*
 * Its exit record was lost (ring buffer full): userspace reports the entry
 * from the map and frees it. Until then the BPF side owns an exiting
 * entry, record in flight or not, and frees it itself.
 */
#define MT_PROC_EXIT_LOST (1u << 8)

/* Everything known about one traced process. */
struct mt_proc {
	__u32 tgid;
	__u32 ppid;
	__u32 flags;
	__s32 exit_status; /* wait(2) status, valid once MT_PROC_EXITED */
	__u64 mm; /* the mm_struct being accounted, as an integer */
	__u64 start_ns;
	__u64 exit_ns;
	__u64 counters[MT_NR_COUNTERS];	     /* current bytes per kernel counter */
	__u64 peak_counters[MT_NR_COUNTERS]; /* the same at the peak */
	struct mt_rss_track rss;
	__u64 vm;	     /* current virtual size (total_vm) */
	__u64 vm_at_peak;    /* the virtual size when rss.peak was reached */
	__u64 peak_vm;
	__u64 mapped_bytes;   /* grown by mmap/mremap/brk */
	__u64 unmapped_bytes; /* shrunk by munmap/mremap/brk */
	__u64 faults;	     /* page faults (minor + major), final at exit */
	__u64 faults_base;   /* the kernel's count when tracing started (-p, exec of CMD) */
	__u64 cgroup_id;     /* the memory cgroup it is charged to (its group in `cgroups`) */
	__u64 hiwater_rss;   /* the kernel's VmHWM, read at exit */
	/*
	 * The kernel's signal->maxrss (bytes) when this image's tracing
	 * started: the marks of the images before it (exec folds the old
	 * mm's in). MT_MAXRSS_UNKNOWN for a process found running by
	 * userspace, until seed_running_task() reads it.
	 */
	__u64 maxrss_base;
	/*
	 * Its thread group leader's task_struct, as an integer: which process
	 * this is when that task is freed (its pid may already be another's).
	 */
	__u64 leader;
	char comm[MT_COMM_LEN];
};

#define MT_MAXRSS_UNKNOWN (~0ull)

/*
 * Value of the `procs` array (found through proc_slot[tgid]). The lock sits
 * outside struct mt_proc because the verifier forbids copying a
 * bpf_spin_lock: this way the exit event can carry a plain copy. A free
 * entry has tgid 0.
 */
struct mt_proc_entry {
	struct bpf_spin_lock lock; /* guards proc.counters, proc.peak_counters, proc.rss */
	__u32 pad;
	struct mt_proc proc;
};

/* The sum over every traced process (the target and its descendants). */
struct mt_group {
	__s64 counters[MT_NR_COUNTERS];
	__s64 vm; /* summed virtual size */
	__s64 vm_at_peak;
	__u64 peak_counters[MT_NR_COUNTERS];
	struct mt_rss_track rss;
	/*
	 * What its processes grew, exactly: the sum of every increase of their
	 * resident counters (what the growth samples estimate).
	 */
	__u64 grown_bytes;
};

/* Value of the one-entry `group` map (everything traced) and of `cgroups` (by memcg id). */
struct mt_group_entry {
	struct bpf_spin_lock lock;
	__u32 pad;
	struct mt_group group;
};

/* Counters of everything that could not be delivered or attributed (.bss). */
struct mt_stats {
	__u64 ringbuf_drops;   /* ring buffer full: a record was lost */
	__u64 untracked_procs; /* a new descendant could not be added to `procs` (map full) */
	__u64 exact_misses;    /* --exact: a change without its exact value (folded value used) */
	__u64 cgroups_full;    /* a memory cgroup could not get its group (map full) */
	__u64 samples_lost;    /* growth samples among ringbuf_drops */
	__u64 sampled_bytes_lost; /* the growth they stood for */
	__u64 lock_timeouts;   /* emulated locks (older kernels): an update made without its lock */
	__u64 regs_unreadable; /* a stack sample not taken: the task's user registers could not be read */
};

/* Key of lock_owners, the emulated locks of kernels whose tracing programs lack bpf_spin_lock. */
enum mt_lock_kind {
	MT_LOCK_PROC = 1,  /* a process's entry, by tgid */
	MT_LOCK_GROUP = 2, /* the total's (id 0) or a memory cgroup's, by id */
	MT_LOCK_SLOTS = 3, /* unused_slots */
};

/*
 * The entries of procs never used yet: next .. max_procs. Taken one at a
 * time, as free_slots (the entries given back) runs out: filling that queue
 * with every slot at start took 16,384 map updates, 0.85 s of each start in
 * an emulated arm64 guest.
 */
struct mt_unused_slots {
	struct bpf_spin_lock lock;
	__u32 next;
};

struct mt_lock_key {
	__u32 kind;
	__u32 pad;
	__u64 id;
};

/* --exact: the classic rss_stat event's value, handed to the BTF program (per CPU). */
struct mt_exact_stash {
	__u32 valid;
	__s32 member;
	__s64 size; /* bytes */
};

enum mt_event_type {
	MT_EV_ROW = 1,	/* a timeline row */
	MT_EV_FORK = 2, /* a traced process forked a new traced process */
	MT_EV_EXEC = 3, /* a traced process exec'd */
	MT_EV_EXIT = 4, /* a traced process exited: the final state of its entry */
	MT_EV_FOUND = 5, /* -a: a running process met for the first time */
	MT_EV_OOM = 6,	 /* the OOM killer chose a traced process (under -a: any) */
	MT_EV_CGROUP = 7, /* a cgroup was created: its id and path */
	MT_EV_SAMPLE = 8, /* a stack: a sampled page fault, or a big mapping */
	MT_EV_UNMAP = 9,  /* pages left a traced process: munmap, madvise, brk, mremap */
};

struct mt_event_header {
	__u32 type;
	__u32 pid; /* tgid; 0 for the group */
	__u64 time_ns;
};

/*
 * MT_EV_ROW: one point of a series: a process's (hdr.pid), a cgroup's
 * (cgroup_id) or the total (both 0). time_ns is when rss had this value.
 */
struct mt_row_event {
	struct mt_event_header hdr;
	__u64 cgroup_id;
	__u64 rss;
	__u64 vm;
};

/* MT_EV_FORK, MT_EV_EXEC and MT_EV_FOUND. */
struct mt_proc_event {
	struct mt_event_header hdr;
	__u64 start_ns; /* the entry's start: tells this process from an earlier one with its pid */
	__u32 ppid;
	__u32 args_len; /* bytes of args used: NUL-separated argv, possibly cut */
	char comm[MT_COMM_LEN];
	char args[MT_ARGS_LEN];
};

/* mt_oom_event.flags */
#define MT_OOM_FROM_ENTRY (1u << 0) /* the victim's memory is its entry's (mark_victim gave a pid) */
#define MT_OOM_MEMCG_UNREAD (1u << 1) /* the memcg figures are for userspace to read */

/* MT_EV_OOM: the victim and its memory when it was chosen. */
struct mt_oom_event {
	struct mt_event_header hdr;
	__u64 cgroup_id;		 /* its memory cgroup */
	__u64 counters[MT_NR_COUNTERS]; /* its mm's counters, bytes */
	__u64 memcg_usage;		 /* its memcg's charge, peak and limit (0: none) */
	__u64 memcg_peak;
	__u64 memcg_limit;
	__u32 flags;			 /* MT_OOM_* */
	__u32 pad;
	char comm[MT_COMM_LEN];
};

#define MT_CGROUP_PATH_LEN 256

/* MT_EV_CGROUP: a new cgroup, in any hierarchy (userspace keeps the memory one's). */
struct mt_cgroup_event {
	struct mt_event_header hdr;
	__u64 id;	    /* kernfs id: the inode of its directory */
	__u32 hierarchy_id; /* 0: cgroup2; v1 hierarchies as in /proc/PID/cgroup */
	__u32 pad;
	char path[MT_CGROUP_PATH_LEN]; /* within its hierarchy; cut if longer */
};

/* MT_EV_EXIT: the entry as it was when the process's last thread exited. */
struct mt_exit_event {
	struct mt_event_header hdr;
	struct mt_proc proc;
};

/* What a stack sample stands for (mt_sample_event.kind). */
enum mt_sample_kind {
	/*
	 * Sampled growth: `bytes` of resident growth, taken where a process's
	 * own counters grew (a fault, a read() into fresh memory, a populating
	 * mmap); the address is the instruction's in insn[], or the syscall's.
	 */
	MT_SAMPLE_GROWTH = 1,
	MT_SAMPLE_MMAP = 2,   /* an mmap of at least --big-bytes, unsampled */
	MT_SAMPLE_BRK = 3,    /* a brk growth of at least --big-bytes */
	MT_SAMPLE_MREMAP = 4, /* an mremap growth of at least --big-bytes */
};

#if defined(__TARGET_ARCH_arm64) || defined(__aarch64__)
/* arm64 user registers in DWARF numbering (x0-x30, sp), then pc */
#define MT_NR_REGS 33
#define MT_REG_SP 31
#define MT_REG_IP 32
#else
/* x86_64 user registers in DWARF numbering (rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip) */
#define MT_NR_REGS 17
#define MT_REG_SP 7
#define MT_REG_IP 16
#endif
#define MT_INSN_BYTES 16 /* the longest x86 instruction is 15 bytes; arm64's are 4 */
#define MT_MAX_FRAMES 127     /* frame-pointer stack depth (the kernel's default limit) */
#define MT_STACK_BYTES 8192   /* user stack copied for DWARF unwinding */
#define MT_STACK_SLACK 4096   /* room for the page-by-page copy's last page (verifier bound) */

/* mt_sample_event.flags: which stacks the record carries (--unwind). */
#define MT_SAMPLE_HAS_FP (1u << 0)
#define MT_SAMPLE_HAS_COPY (1u << 1)
#define MT_SAMPLE_PY_CUT (1u << 2) /* the Python frames go on past py_frames[] */

/*
 * Python frames (CPython 3.11+): where a process's interpreter keeps its
 * threads and frames, as byte offsets, set by userspace in `py_procs` for
 * each process running one (src/python.c reads them from the interpreter:
 * _Py_DebugOffsets from 3.13 on, a table for 3.11). A sample of such a
 * process carries its faulting thread's Python frames, innermost first.
 */
#define MT_PY_MAX_FRAMES 64
#define MT_PY_NO_FIELD 0xffff /* mt_py_layout: this interpreter has no such field */

struct mt_py_layout {
	__u64 runtime;		     /* address of _PyRuntime */
	__u16 interpreters_head;     /* _PyRuntime -> first PyInterpreterState */
	__u16 threads_head;	     /* interpreter -> first PyThreadState */
	__u16 thread_next;	     /* thread -> next */
	__u16 thread_native_id;	     /* thread -> native_thread_id (its tid, in its pid namespace) */
	__u16 thread_frame;	     /* thread -> current frame (3.13+), or -> cframe (3.11) */
	__u16 cframe_frame;	     /* cframe -> current frame; MT_PY_NO_FIELD from 3.13 on */
	__u16 frame_previous;	     /* _PyInterpreterFrame -> previous */
	__u16 frame_code;	     /* -> f_code / f_executable (3.14+: a tagged reference) */
	__u16 frame_instr;	     /* -> prev_instr (3.11) / instr_ptr */
	__u16 frame_marker;	     /* -> is_entry (3.11) / owner (3.13+): which frames end an eval call */
	__u16 code_check;	     /* code -> co_firstlineno: tells reused code addresses apart */
	__u16 pad;
};

/*
 * A code object a process's samples hold for the first time (py_codes_seen
 * is the BPF side's memory of them), sent through its own ring buffer,
 * py_code_events: userspace reads the code object's names at once, while
 * the process still runs, however far behind the samples it is.
 */
struct mt_py_new_code {
	__u32 tgid;
	__u32 check; /* co_firstlineno */
	__u64 code;  /* tag bits cleared */
};

struct mt_py_frame {
	__u64 code;  /* the code object, as the frame holds it (3.14+: tag bits too) */
	__u64 instr; /* the instruction pointer (3.11: the last one run) */
	__u32 check; /* the code object's co_firstlineno when sampled */
	__u8 marker; /* the byte at frame_marker */
	__u8 pad[3];
};

/*
 * MT_EV_SAMPLE: the user stack of a growth. Frame-pointer addresses from
 * bpf_get_stack(), and/or the registers and a copy of the stack above sp for
 * DWARF unwinding in userspace (the way perf --call-graph dwarf works), and
 * the instruction at ip, from which userspace computes the address grown.
 * group_rss/group_peak are the traced total's at the event: userspace uses
 * them to snapshot what was in use at the peak.
 */
struct mt_sample_event {
	struct mt_event_header hdr;
	__u32 tid;
	__u32 kind; /* enum mt_sample_kind */
	__u64 addr;
	__u64 bytes;
	__u64 group_rss;
	__u64 group_peak;
	__u32 flags;
	__u32 nr_ips;
	__u32 stack_len; /* bytes of stack[] copied from regs[MT_REG_SP] */
	__u32 insn_len;	 /* bytes of insn[] copied from regs[MT_REG_IP] */
	__s64 syscall;	 /* the syscall the task is in, -1 if none (a fault in user code) */
	__u8 insn[MT_INSN_BYTES]; /* the user instruction being run: what it touched is the address */
	__u64 regs[MT_NR_REGS];
	__u64 ips[MT_MAX_FRAMES];
	__u32 py_nr_frames; /* the faulting thread's Python frames, innermost first */
	__u32 pad;
	struct mt_py_frame py_frames[MT_PY_MAX_FRAMES];
	__u8 stack[MT_STACK_BYTES + MT_STACK_SLACK];
};

/*
 * MT_EV_UNMAP: [addr, addr + len) no longer holds the pages sampled there;
 * for mremap, the first new_len bytes moved to new_addr (0: not moved).
 */
struct mt_unmap_event {
	struct mt_event_header hdr;
	__u64 addr;
	__u64 len;
	__u64 new_addr;
	__u64 new_len;
};

_Static_assert(sizeof(struct mt_rss_track) == 48, "mt_rss_track layout");
_Static_assert(sizeof(struct mt_proc) == 256, "mt_proc layout");
_Static_assert(sizeof(struct mt_proc_entry) == 264, "mt_proc_entry layout");
_Static_assert(sizeof(struct mt_group_entry) == 144, "mt_group_entry layout");
_Static_assert(sizeof(struct mt_row_event) == 40, "mt_row_event layout");
_Static_assert(sizeof(struct mt_proc_event) == 304, "mt_proc_event layout");
_Static_assert(sizeof(struct mt_oom_event) == 104, "mt_oom_event layout");
_Static_assert(sizeof(struct mt_cgroup_event) == 288, "mt_cgroup_event layout");
_Static_assert(sizeof(struct mt_py_layout) == 32, "mt_py_layout layout");
_Static_assert(sizeof(struct mt_py_frame) == 24, "mt_py_frame layout");
_Static_assert(sizeof(struct mt_py_new_code) == 16, "mt_py_new_code layout");
_Static_assert(sizeof(struct mt_sample_event) == 80 + MT_INSN_BYTES +
						 8 * (MT_NR_REGS + MT_MAX_FRAMES) + 8 +
						 24 * MT_PY_MAX_FRAMES + MT_STACK_BYTES +
						 MT_STACK_SLACK,
	       "mt_sample_event layout");
_Static_assert(sizeof(struct mt_unmap_event) == 48, "mt_unmap_event layout");

#endif /* MEMTRACE_H */
