// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output_folded.c - folded stacks, the input of flamegraph.pl, speedscope
 * and inferno: one line per stack, `comm;outermost;...;innermost bytes`,
 * every sampled byte counted once. --folded writes the growth over the run,
 * --folded-peak what was in use at the peak.
 */
#include <errno.h>
#include <stdlib.h>

#include "output.h"
#include "text.h"

/* A frame name made safe (no control character, valid UTF-8), its ';' (the separator) as ':'. */
static void put_frame(FILE *f, const char *name)
{
	char *safe = mt_text_safe_dup(name, MT_TEXT_TERMINAL);

	for (const char *c = safe ? safe : "?"; *c; c++)
		fputc(*c == ';' ? ':' : *c, f);
	free(safe);
}

static void put_stack(FILE *f, const struct mt_profile *p, const struct mt_stack *s,
		      uint64_t bytes)
{
	const struct mt_location *l;
	char label[MT_FRAME_LABEL_LEN];
	uint32_t i, j;

	put_frame(f, s->comm);
	for (i = s->nr_locs; i-- > 0;) {
		l = &p->locations[s->locs[i]];
		for (j = l->nr_lines; j-- > 0;) {
			fputc(';', f);
			put_frame(f, profile_frame_label(p, l, &l->lines[j], label, sizeof(label)));
		}
	}
	fprintf(f, " %llu\n", (unsigned long long)bytes);
}

static int write_folded(const struct mt_report *r, FILE *f, enum mt_stack_value which)
{
	const struct mt_profile *p = r->profile;
	uint32_t *order;
	long nr, i;

	if (!p)
		return 0;
	nr = profile_sorted_stacks(p, which, &order);
	if (nr < 0)
		return nr;
	for (i = 0; i < nr; i++) {
		const struct mt_stack *s = &p->stacks[order[i]];

		put_stack(f, p, s, profile_stack_value(s, which));
	}
	free(order);
	return ferror(f) ? -EIO : 0;
}

static int write_growth(const struct mt_report *r, FILE *f)
{
	return write_folded(r, f, MT_VALUE_GROWTH);
}

static int write_at_peak(const struct mt_report *r, FILE *f)
{
	return write_folded(r, f, MT_VALUE_AT_PEAK);
}

const struct mt_writer mt_writer_folded = { "folded", write_growth };
const struct mt_writer mt_writer_folded_peak = { "folded at-peak", write_at_peak };
