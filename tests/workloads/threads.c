// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * threads - NTHREADS threads each touch MIB MiB at the same time, wait for
 * each other, then exit. Prints the process's VmHWM (vmhwm_bytes).
 * usage: threads NTHREADS MIB
 */
#include <pthread.h>

#include "workload.h"

static pthread_barrier_t barrier;
static long mib;

static void *worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&barrier);
	touch_new(mib * MIB);
	pthread_barrier_wait(&barrier);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 4);
	pthread_t tids[64];

	mib = arg_long(argc, argv, 2, 32);
	if (n < 1 || n > 64)
		return 99;
	pthread_barrier_init(&barrier, NULL, n);
	for (long i = 0; i < n; i++)
		pthread_create(&tids[i], NULL, worker, NULL);
	for (long i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	printf("vmhwm_bytes=%llu\n", (unsigned long long)status_bytes("VmHWM"));
	return 0;
}
