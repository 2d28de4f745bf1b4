// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * grow - grow to MIB MiB of anonymous memory, hold it HOLD_MS, exit.
 * Prints vmhwm_bytes (the kernel's high-water mark) just before exiting.
 * usage: grow MIB [HOLD_MS]
 */
#include "workload.h"

int main(int argc, char **argv)
{
	long mib = arg_long(argc, argv, 1, 100), hold = arg_long(argc, argv, 2, 0);

	touch_new(mib * MIB);
	sleep_ms(hold);
	printf("faults=%llu\n", (unsigned long long)own_faults());
	printf("vmhwm_bytes=%llu\n", (unsigned long long)status_bytes("VmHWM"));
	return 0;
}
