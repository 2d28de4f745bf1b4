// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * version.c - memtrace --version (see version.h). build_version.h is made
 * by the Makefile, rewritten only when the version or the commit changed.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/libbpf.h>

#include "build_version.h"
#include "loader.h"
#include "version.h"

const char mt_version[] = MEMTRACE_VERSION;
const char mt_commit[] = MEMTRACE_COMMIT;

/* The file of the libbpf memtrace runs with: its name says the patch level ("libbpf.so.1.1.2"). */
static const char *libbpf_file(char *buf)
{
	Dl_info info;
	const char *name;

	if (!dladdr((void *)libbpf_version_string, &info) || !info.dli_fname ||
	    !realpath(info.dli_fname, buf))
		return "";
	name = strrchr(buf, '/');
	return name ? name + 1 : buf;
}

void version_print(FILE *f)
{
	char path[PATH_MAX];
	struct utsname u;

	fprintf(f, "memtrace %s\n", mt_version);
	fprintf(f, "commit: %s\n", mt_commit);
	fprintf(f, "libbpf: %s (%s)\n", libbpf_version_string(), libbpf_file(path));
	if (!uname(&u))
		fprintf(f, "kernel: %s %s\n", u.release, u.machine);
	mt_tracer__print_features(f);
}
