/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * insn.h - where a growth sample's memory is: the instruction the task was
 * running when its RSS grew comes in the sample (its bytes and the user
 * registers), and its memory operand's address is computed from them with
 * capstone. Inside a syscall (read() into fresh memory) it is the syscall's
 * buffer. "In use at the peak" keys sampled growth by this address.
 */
#ifndef MEMTRACE_INSN_H
#define MEMTRACE_INSN_H

#include <stdbool.h>
#include <stdint.h>

#include "memtrace.h"

struct mt_insn_decoder;

struct mt_insn_decoder *insn_decoder_new(void);
void insn_decoder_free(struct mt_insn_decoder *d);

/*
 * The address e's instruction wrote (*exact: that page), or where the
 * buffer of its syscall starts (not exact: the growth is somewhere in it);
 * 0 if it cannot be told.
 */
uint64_t insn_address(struct mt_insn_decoder *d, const struct mt_sample_event *e, bool *exact);

#endif /* MEMTRACE_INSN_H */
