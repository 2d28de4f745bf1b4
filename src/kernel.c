// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * kernel.c - the names of what a kernel may lack (see kernel.h), for the
 * one line that says so and for every output.
 */
#include "kernel.h"

static const struct {
	const char *name;
	const char *needs;
} features[MT_FEATURE_COUNT] = {
	{ "virtual size", "the tracepoint raw_syscalls:sys_exit" },
	{ "following cgroup moves", "the tracepoint cgroup:cgroup_attach_task" },
	{ "naming short-lived cgroups", "the tracepoint cgroup:cgroup_mkdir" },
	{ "OOM kills", "the tracepoint oom:mark_victim" },
	{ "growth stacks", "a verifier that accepts the stack sampler in the kmem:rss_stat program" },
	{ "the memcg's figures at an OOM kill", "oom:mark_victim with the victim's task (6.1 has it, "
						"5.10 only its pid): read from the cgroup's files after the kill" },
	{ "exact exit times", "the tracepoint sched:sched_process_exit" },
};

static int index_of(enum mt_feature f)
{
	int i = 0;

	while (i < MT_FEATURE_COUNT - 1 && !(f & (1u << i)))
		i++;
	return i;
}

const char *mt_feature_name(enum mt_feature f)
{
	return features[index_of(f)].name;
}

const char *mt_feature_needs(enum mt_feature f)
{
	return features[index_of(f)].needs;
}

const char *mt_kernel_rss_counting(const struct mt_kernel *k)
{
	return k->rss_split ? "split" : "percpu";
}
