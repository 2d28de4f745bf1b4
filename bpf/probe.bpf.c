// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probe.bpf.c - can this kernel's tracing programs take a bpf_spin_lock?
 * The loader loads this program (never attaches it) before memtrace's own,
 * and emulates the locks where the kernel refuses it (lock.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct locked_value {
	struct bpf_spin_lock lock;
	__u32 value;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked_value);
} probe_values SEC(".maps");

SEC("tp_btf/sched_process_fork")
int BPF_PROG(probe_spin_lock, struct task_struct *parent, struct task_struct *child)
{
	struct locked_value *v;
	__u32 zero = 0;

	v = bpf_map_lookup_elem(&probe_values, &zero);
	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->value++;
	bpf_spin_unlock(&v->lock);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
