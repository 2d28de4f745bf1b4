// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * spike - the demo workload: a small steady footprint with one short spike.
 * Allocates BASE_MIB, then SPIKE_MIB more held for HOLD_MS, frees the spike
 * and runs on for AFTER_MS. A poller that samples every 100 ms rarely sees
 * the spike; the kernel's VmHWM (printed at the end) always does.
 * usage: spike SPIKE_MIB HOLD_MS [BASE_MIB [AFTER_MS]]
 */
#include "workload.h"

int main(int argc, char **argv)
{
	long spike = arg_long(argc, argv, 1, 64), hold = arg_long(argc, argv, 2, 1);
	long base = arg_long(argc, argv, 3, 8), after = arg_long(argc, argv, 4, 300);
	char *p;

	touch_new(base * MIB);
	sleep_ms(after);
	p = touch_new(spike * MIB);
	sleep_ms(hold);
	munmap(p, spike * MIB);
	sleep_ms(after);
	printf("vmhwm_bytes=%llu\n", (unsigned long long)status_bytes("VmHWM"));
	printf("vmrss_end_bytes=%llu\n", (unsigned long long)status_bytes("VmRSS"));
	return 0;
}
