// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * main.c - memtrace's entry: parse the command line, check the privileges
 * tracing needs, and run the mode it asks for (session.c runs every mode;
 * the table below says what each shows while it traces).
 */
#include <stdbool.h>
#include <unistd.h>

#include "fleet.h"
#include "modes.h"
#include "options.h"
#include "procfs.h"
#include "util.h"

#define CAP_SYS_ADMIN 21
#define CAP_PERFMON 38
#define CAP_BPF 39

static const struct mt_mode_ops *const mode_ops[MT_MODE_COUNT] = {
	[MT_MODE_COMMAND] = &mt_trace_ops,
	[MT_MODE_PIDS] = &mt_trace_ops,
	[MT_MODE_ALL] = &mt_trace_ops,
	[MT_MODE_TOP] = &mt_top_ops,
	[MT_MODE_AUDIT] = &mt_trace_ops,
	[MT_MODE_SERVE] = &mt_trace_ops,
};

static bool has_bpf_privileges(void)
{
	struct mt_proc_status st;

	if (procfs_read_status(getpid(), &st))
		return geteuid() == 0;
	return (st.cap_eff & (1ull << CAP_SYS_ADMIN)) ||
	       ((st.cap_eff & (1ull << CAP_BPF)) && (st.cap_eff & (1ull << CAP_PERFMON)));
}

int main(int argc, char **argv)
{
	struct mt_options opts;
	int err, code;

	err = options_parse(&opts, argc, argv);
	if (err) {
		options_free(&opts);
		return err > 0 ? 0 : 2;
	}
	if (opts.mode == MT_MODE_AUDIT && opts.prometheus) { /* the fleet's: nothing traced here */
		code = fleet_run(&opts);
		options_free(&opts);
		return code;
	}
	if (!has_bpf_privileges()) {
		mt_err("permission denied: tracing needs root, or the capabilities CAP_BPF and CAP_PERFMON");
		options_free(&opts);
		return 1;
	}
	code = session_run(&opts, mode_ops[opts.mode]);
	options_free(&opts);
	return code;
}
