// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * insn.c - the address a growth sample's instruction touched (see insn.h).
 * The sample is taken where the kernel counts the growth, which does not
 * say where the page is; the faulting instruction does: its memory operand
 * (base + index * scale + displacement) in the user registers of the
 * fault. A string instruction's operand is where it has got to; a push or
 * call writes below the stack pointer.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdlib.h>

#include "insn.h"

/*
 * Growth inside a syscall: the memory it concerns. read() fills a buffer;
 * before 6.2 a thread's cached counts are folded into the mm where it
 * unmaps (zap's add_mm_rss_vec()), so growth is seen inside munmap, madvise,
 * brk and mremap too, about the range they free (its unmap record drops
 * it). The syscall's number, and the argument (as a DWARF register) that
 * holds the address.
 */
struct syscall_buffer {
	long nr;
	int reg;
};

#if defined(__aarch64__)

/* include/uapi/asm-generic/unistd.h; arguments in x0, x1... */
static const struct syscall_buffer syscall_buffers[] = {
	{ 63, 1 },  /* read(fd, buf, ...) */
	{ 67, 1 },  /* pread64 */
	{ 207, 1 }, /* recvfrom */
	{ 215, 0 }, /* munmap(addr, ...) */
	{ 214, 0 }, /* brk(addr): the new break (a shrink frees what lies above) */
	{ 216, 0 }, /* mremap(old, ...) */
	{ 233, 0 }, /* madvise(addr, ...) */
};

#define MT_CS_ARCH CS_ARCH_ARM64
#define MT_CS_MODE CS_MODE_ARM

/* A capstone register's value from the sample (x0-x30, sp); false if not one of those. */
static bool reg_value(const struct mt_sample_event *e, unsigned int reg, uint64_t *v)
{
	if (reg >= ARM64_REG_X0 && reg <= ARM64_REG_X28)
		*v = e->regs[reg - ARM64_REG_X0];
	else if (reg >= ARM64_REG_W0 && reg <= ARM64_REG_W30)
		*v = (uint32_t)e->regs[reg - ARM64_REG_W0];
	else if (reg == ARM64_REG_X29 || reg == ARM64_REG_X30)
		*v = e->regs[reg == ARM64_REG_X29 ? 29 : 30];
	else if (reg == ARM64_REG_SP || reg == ARM64_REG_WSP)
		*v = e->regs[MT_REG_SP];
	else
		return false;
	return true;
}

/* The memory operand's address, the written one first; 0 if none or unknown. */
static uint64_t operand_address(const struct mt_sample_event *e, const cs_insn *insn)
{
	const cs_arm64 *arm64 = &insn->detail->arm64;
	const cs_arm64_op *op = NULL;
	uint64_t base = 0, index = 0;

	for (int i = 0; i < arm64->op_count; i++) {
		if (arm64->operands[i].type != ARM64_OP_MEM)
			continue;
		if (!op || (arm64->operands[i].access & CS_AC_WRITE))
			op = &arm64->operands[i];
	}
	if (!op)
		return 0;
	if (op->mem.base != ARM64_REG_INVALID && !reg_value(e, op->mem.base, &base))
		return 0;
	if (op->mem.index != ARM64_REG_INVALID) {
		if (!reg_value(e, op->mem.index, &index))
			return 0;
		if (op->shift.type == ARM64_SFT_LSL)
			index <<= op->shift.value;
	}
	/* a post-indexed access ([x0], #16) touches the base; its displacement is 0 */
	return base + index + op->mem.disp;
}

#else /* x86_64 */

static const struct syscall_buffer syscall_buffers[] = {
	{ 0, 4 },  /* read(fd, buf, ...): rsi */
	{ 17, 4 }, /* pread64: rsi */
	{ 45, 4 }, /* recvfrom: rsi */
	{ 11, 5 }, /* munmap(addr, ...): rdi */
	{ 12, 5 }, /* brk(addr): rdi, the new break (a shrink frees what lies above) */
	{ 25, 5 }, /* mremap(old, ...): rdi */
	{ 28, 5 }, /* madvise(addr, ...): rdi */
};

#define MT_CS_ARCH CS_ARCH_X86
#define MT_CS_MODE CS_MODE_64

/* A capstone register's value from the sample (DWARF order); false if not a GPR. */
static bool reg_value(const struct mt_sample_event *e, unsigned int reg, uint64_t *v)
{
	static const struct {
		unsigned int regs[4]; /* 64, 32, 16, 8-bit names */
		int dwarf;
	} gprs[] = {
		{ { X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL }, 0 },
		{ { X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL }, 1 },
		{ { X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL }, 2 },
		{ { X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL }, 3 },
		{ { X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL }, 4 },
		{ { X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL }, 5 },
		{ { X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL }, 6 },
		{ { X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL }, 7 },
		{ { X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B }, 8 },
		{ { X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B }, 9 },
		{ { X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B }, 10 },
		{ { X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B }, 11 },
		{ { X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B }, 12 },
		{ { X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B }, 13 },
		{ { X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B }, 14 },
		{ { X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B }, 15 },
	};

	for (size_t i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++) {
		for (int w = 0; w < 4; w++) {
			if (gprs[i].regs[w] == reg) {
				*v = e->regs[gprs[i].dwarf];
				return true;
			}
		}
	}
	return false;
}

/* The memory operand's address, the written one first; 0 if none or unknown. */
static uint64_t operand_address(const struct mt_sample_event *e, const cs_insn *insn)
{
	const cs_x86 *x86 = &insn->detail->x86;
	const cs_x86_op *op = NULL;
	uint64_t base = 0, index = 0;

	for (int i = 0; i < x86->op_count; i++) {
		if (x86->operands[i].type != X86_OP_MEM)
			continue;
		if (!op || (x86->operands[i].access & CS_AC_WRITE))
			op = &x86->operands[i];
	}
	if (!op) {
		/* push and call write below the stack pointer */
		if (insn->id == X86_INS_PUSH || insn->id == X86_INS_CALL)
			return e->regs[MT_REG_SP] - 8;
		return 0;
	}
	if (op->mem.segment != X86_REG_INVALID)
		return 0; /* fs:/gs: relative (TLS): the segment base is not in the sample */
	if (op->mem.base == X86_REG_RIP)
		base = insn->address + insn->size;
	else if (op->mem.base != X86_REG_INVALID && !reg_value(e, op->mem.base, &base))
		return 0;
	if (op->mem.index != X86_REG_INVALID && !reg_value(e, op->mem.index, &index))
		return 0;
	return base + index * op->mem.scale + op->mem.disp;
}

#endif

#if defined(__aarch64__)
/* B, B.cond, CBZ/CBNZ, TBZ/TBNZ: the target is the immediate operand */
static bool jump_target(const cs_insn *insn, uint64_t *target)
{
	const cs_arm64 *arm64 = &insn->detail->arm64;

	for (int i = 0; i < arm64->op_count; i++) {
		if (arm64->operands[i].type == ARM64_OP_IMM) {
			*target = arm64->operands[i].imm;
			return true;
		}
	}
	return false;
}
#else
static bool jump_target(const cs_insn *insn, uint64_t *target)
{
	const cs_x86 *x86 = &insn->detail->x86;

	if (x86->op_count != 1 || x86->operands[0].type != X86_OP_IMM)
		return false;
	*target = x86->operands[0].imm;
	return true;
}
#endif

int insn_jumps_out(const uint8_t *code, size_t len, uint64_t addr,
		   void (*fn)(void *ctx, uint64_t target), void *ctx)
{
	uint64_t pc = addr, end = addr + len, target;
	csh handle;
	cs_insn *insn;

	if (cs_open(MT_CS_ARCH, MT_CS_MODE, &handle) != CS_ERR_OK)
		return -ENOMEM;
	/* skipdata: a byte that decodes as nothing does not end the sweep */
	cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(handle, CS_OPT_SKIPDATA, CS_OPT_ON);
	insn = cs_malloc(handle);
	if (!insn) {
		cs_close(&handle);
		return -ENOMEM;
	}
	while (len && cs_disasm_iter(handle, &code, &len, &pc, insn)) {
		if (insn->id && cs_insn_group(handle, insn, CS_GRP_JUMP) &&
		    jump_target(insn, &target) && (target < addr || target >= end))
			fn(ctx, target);
	}
	cs_free(insn, 1);
	cs_close(&handle);
	return 0;
}

struct mt_insn_decoder {
	csh handle;
};

struct mt_insn_decoder *insn_decoder_new(void)
{
	struct mt_insn_decoder *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (cs_open(MT_CS_ARCH, MT_CS_MODE, &d->handle) != CS_ERR_OK ||
	    cs_option(d->handle, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
		insn_decoder_free(d);
		return NULL;
	}
	return d;
}

void insn_decoder_free(struct mt_insn_decoder *d)
{
	if (!d)
		return;
	if (d->handle)
		cs_close(&d->handle);
	free(d);
}

uint64_t insn_address(struct mt_insn_decoder *d, const struct mt_sample_event *e, bool *exact)
{
	cs_insn *insn;
	uint64_t addr = 0;

	*exact = e->syscall < 0;
	if (e->syscall >= 0) {
		for (size_t i = 0; i < sizeof(syscall_buffers) / sizeof(syscall_buffers[0]); i++) {
			if (syscall_buffers[i].nr == e->syscall)
				return e->regs[syscall_buffers[i].reg];
		}
		return 0; /* a populating mmap: where is its result, not yet known */
	}
	if (!d || !e->insn_len ||
	    cs_disasm(d->handle, e->insn, e->insn_len, e->regs[MT_REG_IP], 1, &insn) != 1)
		return 0;
	addr = operand_address(e, insn);
	cs_free(insn, 1);
	return addr;
}
