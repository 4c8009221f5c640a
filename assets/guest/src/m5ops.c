/*
 * Issues every m5op a benchmark harness uses, around a small computation.
 * gem5-style simulators act on them; on QEMU the custom-3 opcode is an
 * illegal instruction, so the M-mode handler below skips it, and m5_exit is
 * followed by a normal finisher exit with the same code.  Console text and
 * exit code are therefore the same on both.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "csr.h"
#include "m5ops.h"
#include "trap.h"

#define OPCODE_MASK 0x7f

void mtrap_handler(struct trap_frame *f, unsigned long vec)
{
    (void)vec;
    /* Read the opcode from memory rather than mtval, which may be 0.  A
     * 16-bit load: with the C extension epc is only 2-byte aligned. */
    unsigned long opcode = *(const uint16_t *)f->epc & OPCODE_MASK;
    if (f->cause == CAUSE_ILLEGAL_INSN && opcode == M5OP_OPCODE) {
        f->epc += 4;
        return;
    }
    printf("unexpected trap: mcause=0x%lx mepc=0x%lx mtval=0x%lx\n", f->cause, f->epc, f->tval);
    exit(125);
}

static uint64_t collatz_steps(uint64_t limit)
{
    uint64_t total = 0;
    for (uint64_t n = 1; n <= limit; n++)
        for (uint64_t x = n; x != 1; total++)
            x = (x & 1) ? 3 * x + 1 : x / 2;
    return total;
}

int main(void)
{
    printf("m5ops: start\n");
    m5_reset_stats(0, 0);
    m5_work_begin(1, 0);
    uint64_t steps = collatz_steps(3000);
    m5_work_end(1, 0);
    m5_dump_stats(0, 0);
    m5_dump_reset_stats(0, 0);
    m5_checkpoint(0, 0);
    printf("m5ops: collatz steps for 1..3000 = %llu\n", (unsigned long long)steps);
    m5_exit(0);
    return 0;
}
