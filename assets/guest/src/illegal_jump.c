/*
 * Jumps to an address where QEMU virt has nothing mapped.  The fetch raises
 * an instruction access fault (mcause 1) with mtval = mepc = the target; the
 * M-mode handler reports it and exits with code 3.
 *
 * The target is the (empty) platform-bus window at 0x0400_0000.  Not
 * 0x4000_0000: on QEMU that is the PCIe MMIO window, which reads as all-ones,
 * so the jump ends in an illegal-instruction trap instead.  Not just above
 * RAM either, since that moves with the RAM size.
 */
#include <stdio.h>
#include <stdlib.h>
#include "trap.h"

#define TARGET 0x04000000UL

void mtrap_handler(struct trap_frame *f, unsigned long vec)
{
    (void)vec;
    printf("trap: mcause=0x%lx mtval=0x%lx mepc=0x%lx\n", f->cause, f->tval, f->epc);
    exit(3);
}

int main(void)
{
    printf("jumping to 0x%lx\n", (unsigned long)TARGET);
    ((void (*)(void))TARGET)();
    printf("returned from 0x%lx\n", (unsigned long)TARGET);
    return 0;
}
