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

/*
 * Call fn with the target of every direct jump in code (len bytes of
 * machine code at address addr) that lands outside it: where a compiler
 * put the parts of a function it split off (python.c's eval loop). 0, or
 * -ENOMEM.
 */
int insn_jumps_out(const uint8_t *code, size_t len, uint64_t addr,
		   void (*fn)(void *ctx, uint64_t target), void *ctx);

#endif /* MEMTRACE_INSN_H */
