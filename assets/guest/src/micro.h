/*
 * Shared by the timing microbenchmarks (chase, stream, branches,
 * false_sharing): m5ops that delimit the measured regions, a trap handler
 * that skips them on QEMU (where custom-3 is an illegal instruction, as in
 * m5ops.c), and a small deterministic random generator.  The console output
 * never depends on timing, so it is the same on every CPU model and on QEMU;
 * the measurements are the simulator's statistics dumps.
 */
#ifndef GUEST_MICRO_H
#define GUEST_MICRO_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "csr.h"
#include "m5ops.h"
#include "trap.h"

#define CAUSE_ILLEGAL_INSN_MICRO 2

void mtrap_handler(struct trap_frame *f, unsigned long vec)
{
    (void)vec;
    unsigned long opcode = *(const uint16_t *)f->epc & 0x7f;
    if (f->cause == CAUSE_ILLEGAL_INSN_MICRO && opcode == M5OP_OPCODE) {
        f->epc += 4;
        return;
    }
    printf("unexpected trap: mcause=0x%lx mepc=0x%lx mtval=0x%lx\n", f->cause, f->epc, f->tval);
    exit(125);
}

/* A measured region: statistics reset at its start and dumped at its end. */
static inline void region_begin(void) { m5_reset_stats(0, 0); }
static inline void region_end(void) { m5_dump_stats(0, 0); }

static inline uint64_t lcg_next(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 33;
}

#endif
